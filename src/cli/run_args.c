#include "cli/run_args.h"

#include <stdlib.h>
#include <string.h>

#include "config/schema.h"

const char cli_usage[] =
    "usage: fidrun CONFIG.yaml [options]          run (same as: fidrun run CONFIG.yaml)\n"
    "       fidrun validate CONFIG.yaml [options] parse and plan, print the plan, run nothing\n"
    "       fidrun balance --ranks P[,P] --algo NAME|all (--costs FILE | --dist NAME) [--json]\n"
    "                                           partition costs over ranks, print the metrics\n"
    "       fidrun pack --budget T --ranks P --algo NAME|all (--lengths FILE | --dist NAME)\n"
    "                                           pack sequences into minibatches of P ranks\n"
    "       fidrun gptq --weights W.safetensors --tensor NAME --bits B --group-size G --out Q.safetensors\n"
    "                                           quantize one layer to the HF GPTQ layout, print its error\n"
    "       fidrun compare BASE.h5 NEW.h5         compare two results files, exit 1 on a regression\n"
    "       fidrun history DIR [--name NAME] [--format text|html]\n"
    "                                           each metric of one config's runs in DIR, in time order\n"
    "       fidrun recover OUTPUT/NAME.journal    an interrupted run's journal as a results file\n"
    "                                           (marked incomplete, listing the tasks missing)\n"
    "       fidrun report RESULTS.h5 [--format text|json|csv|junit|html] [-o PATH]\n"
    "                                           a results file: its summary, JSON, CSV, JUnit or HTML\n"
    "       fidrun detect-size NAME|FOLDER [--json]\n"
    "                                           a model's size in billions and tier, from its name or files\n"
    "       fidrun gptq-check DIR [--original DIR] [--json]\n"
    "                                           a GPTQ checkpoint: zero-point convention, error, kernel\n"
    "       fidrun --help | --version\n"
    "Each command has a page of its own, fidrun COMMAND --help: run, validate, balance,\n"
    "pack, gptq, gptq-check, compare, history, recover, report, detect-size.\n"
    "\n"
    "Under MPI: mpirun -np N fidrun CONFIG.yaml, or srun fidrun CONFIG.yaml in a Slurm job.\n"
    "\n"
    "options:\n"
    "  --suite NAME[,NAME]   run only these configured suites (known: osft, balance, quant, gptq)\n"
    "  --only PATTERN        run only tasks whose name matches: a glob if it has * ? [,\n"
    "                        else a substring (e.g. --only 'model.layers.0.*')\n"
    "  --set KEY.PATH=VALUE  override a config value, typed and checked as in YAML\n"
    "                        (repeatable; e.g. --set suites.osft.layers=2)\n"
    "  --device auto|cpu|cuda  where to compute (auto: CUDA when built with it and a GPU\n"
    "                        is visible, else cpu; cuda without a GPU is an error, exit 3).\n"
    "                        Each rank binds GPU (local rank mod GPUs visible), through\n"
    "                        CUDA_VISIBLE_DEVICES or Slurm's GPU binding\n"
    "  --out DIR             folder for the results file (config key: output)\n"
    "  --seed N              seed of the synthetic weights (config key: seed)\n"
    "  --quiet, -q           no header, progress or tables: only the checks and the verdict\n"
    "  --progress MODE       live (one line redrawn), log (a line per 10 % or few seconds),\n"
    "                        off, or auto (default: live when the output reaches a terminal)\n"
    "  --verbose, -v         a table row per matrix; validate: every task of every rank\n"
    "  --baseline FILE.h5|auto  compare every figure with that earlier run (auto: the newest\n"
    "                        saved baseline of this config in the output folder; see fidrun\n"
    "                        compare --help for the rules); a regression fails the run (exit 1)\n"
    "  --tolerance M=LO,HI   baseline: allowed change of column M, fractions (repeatable)\n"
    "  --band F              baseline: the change of a time or rate that counts, beyond its\n"
    "                        measured spread (default 0.10)\n"
    "  --allow-different     baseline: compare even a run of another config or seed\n"
    "  --atol X              baseline: absolute slack for numbers (default 1e-12)\n"
    "  --save-baseline       mark the results file as a baseline (any results file serves)\n"
    "  --junit FILE.xml      also write the checks as JUnit XML (fidrun report --format junit)\n"
    "  --html FILE.html      also write the HTML report with plots (fidrun report --format html)\n"
    "  --export-factors DIR  OSFT: every target's factors (osft_U_high ... osft_V_low, as\n"
    "                        mini_trainer names them) as sharded safetensors, each rank its\n"
    "                        own shard (config: suites.osft.export_factors)\n"
    "  --resume DIR|auto     finish the interrupted run of this config whose journal is in DIR\n"
    "                        (its output folder; auto: the config's, starting afresh if none)\n"
    "  --fresh               start over where an earlier run left a journal (it is kept, renamed)\n"
    "  --ranks P             validate: plan for P ranks (default: the MPI size, else 1)\n"
    "  --json                validate: print the plan as JSON\n"
    "  --help, -h            this text\n"
    "  --version, -V         version and build\n"
    "\n"
    "Command-line values beat the config file, which beats the defaults.\n"
    "exit codes: 0 all checks passed, 1 a check failed, 2 usage or config error,\n"
    "            3 runtime error (I/O, MPI, out of memory, numerical library),\n"
    "            4 incomplete: interrupted by SIGTERM/SIGINT (the results file lists the tasks\n"
    "              missing; --resume finishes the run)\n";

const char cli_run_usage[] =
    "usage: fidrun run CONFIG.yaml [options]     (or: fidrun CONFIG.yaml [options])\n"
    "       mpirun -np N fidrun CONFIG.yaml [options]\n"
    "       srun fidrun CONFIG.yaml [options]       (inside a Slurm job; see jobs/*.sbatch)\n"
    "\n"
    "Runs the suites of CONFIG.yaml (osft, balance, quant, gptq) over the MPI ranks: every rank\n"
    "reads the same config and computes the same plan, runs its share of the tasks, and\n"
    "rank 0 gathers the records, prints the tables, checks every figure against its\n"
    "bounds and writes one results file, OUTPUT/NAME-YYYYmmdd-HHMMSS.h5 (never\n"
    "overwritten). The first line says where the numbers come from: synthetic weights\n"
    "(and their seed), or the checkpoint folder.\n"
    "\n"
    "what to run:\n"
    "  --suite NAME[,NAME]   only these configured suites (known: osft, balance, quant, gptq)\n"
    "  --only PATTERN        only tasks whose name matches: a glob if it has * ? [,\n"
    "                        else a substring (e.g. --only 'model.layers.0.*')\n"
    "  --set KEY.PATH=VALUE  override a config value, typed and checked as in YAML\n"
    "                        (repeatable; a key that would have no effect is refused)\n"
    "  --device auto|cpu|cuda  where to compute (auto: CUDA when built with it and a GPU\n"
    "                        is visible); each rank binds GPU (local rank mod GPUs visible)\n"
    "  --out DIR             folder for the results file and the journal (config: output)\n"
    "  --seed N              seed of the synthetic weights and costs (config: seed)\n"
    "what it prints and writes:\n"
    "  --quiet, -q           no header, progress or tables: only the checks and the verdict\n"
    "  --progress MODE       live (one line redrawn), log (a line per 10 % or few seconds),\n"
    "                        off, or auto (default: live when the output reaches a terminal)\n"
    "  --verbose, -v         a table row per task\n"
    "  --junit FILE.xml      also write the checks as JUnit XML\n"
    "  --html FILE.html      also write the HTML report with plots (gnuplot)\n"
    "  --export-factors DIR  OSFT: every target's frozen and trainable factors (U_high,\n"
    "                        S_high, V_high, U_low, S_low, V_low) into DIR as safetensors\n"
    "                        shards, one per rank, with model.safetensors.index.json; fp32,\n"
    "                        or the model's dtype with --set suites.osft.export_dtype=model\n"
    "against an earlier run:\n"
    "  --baseline FILE.h5|auto  compare every figure with that run (auto: the newest saved\n"
    "                        baseline of this config in the output folder; fidrun compare\n"
    "                        --help has the rules); a regression fails the run (exit 1)\n"
    "  --tolerance M=LO,HI   allowed change of column M, as fractions (repeatable)\n"
    "  --band F              the change of a time or rate that counts, beyond its measured\n"
    "                        spread (default 0.10)\n"
    "  --allow-different     compare even with a baseline of another config or seed (the\n"
    "                        differences are printed first); refused without it (exit 2)\n"
    "  --atol X              absolute slack for numbers (default 1e-12)\n"
    "  --save-baseline       mark the results file as a baseline\n"
    "after an interruption:\n"
    "  --resume DIR|auto     finish the interrupted run of this config from the journal in DIR\n"
    "                        (its output folder; auto: the config's, starting afresh if none),\n"
    "                        with any number of ranks; fidrun recover writes what it holds\n"
    "  --fresh               start over instead: an earlier run's journal in the output folder is\n"
    "                        kept as NAME.journal.old-YYYYmmdd-HHMMSS, nothing is deleted\n"
    "\n"
    "Each finished task is journaled in OUTPUT/NAME.journal/ until the results file is in\n"
    "place. SIGTERM or SIGINT stops every rank after its task and writes an incomplete\n"
    "results file (exit 4). A task past its suite's task_timeout ends the job (exit 3).\n"
    "Environment: OPENBLAS_NUM_THREADS (BLAS threads per rank; one per rank when ranks\n"
    "share the cores), CUDA_VISIBLE_DEVICES, FIDRUN_GNUPLOT (the gnuplot for --html).\n"
    "\n"
    "exit codes: 0 all checks passed, 1 a check failed or a baseline regressed,\n"
    "            2 usage or config error (nothing ran), 3 runtime error (I/O, MPI, CUDA,\n"
    "            out of memory, a task timed out), 4 incomplete (interrupted; --resume)\n";

const char cli_validate_usage[] =
    "usage: fidrun validate CONFIG.yaml [options]\n"
    "\n"
    "Reads and checks CONFIG.yaml as a run would (every key, type and range, with the\n"
    "file, line and column of the first error), resolves its profile, plans the tasks\n"
    "over the ranks, predicts each rank's peak memory against what this node has, and\n"
    "prints all of it. Nothing runs and nothing is written.\n"
    "\n"
    "options:\n"
    "  --ranks P             plan for P ranks (default: the MPI size, else 1)\n"
    "  --json                the plan as JSON (tasks, their predicted cost and rank)\n"
    "  --verbose, -v         every task of every rank, and every resolved value with its\n"
    "                        source (--set, the YAML's file:line, the profile, a default)\n"
    "  --suite NAME[,NAME]   plan only these configured suites\n"
    "  --only PATTERN        plan only tasks whose name matches (glob or substring)\n"
    "  --set KEY.PATH=VALUE  override a config value, as a run would (repeatable)\n"
    "  --device auto|cpu|cuda, --out DIR, --seed N   as for a run\n"
    "\n"
    "exit codes: 0 valid, 2 usage or config error, 3 runtime error (reading a checkpoint)\n";

static const char *const long_options[] = {"--suite",    "--only",      "--set",       "--device",
                                           "--out",      "--seed",      "--quiet",     "--verbose",
                                           "--help",     "--version",   "--ranks",     "--json",
                                           "--baseline", "--tolerance", "--band",      "--atol",
                                           "--save-baseline", "--junit", "--html", "--progress", "--resume", "--fresh", "--allow-different",
                                           "--export-factors"};

static int add_override(struct cli *c, const char *assignment, const char *label, struct diag *d)
{
    if (c->run.noverrides == RUN_MAX_OVERRIDES)
        return diag_fail(d, FR_USAGE, "more than %d overrides on the command line", RUN_MAX_OVERRIDES);
    char *a = strdup(assignment), *l = strdup(label);
    if (!a || !l) {
        free(a);
        free(l);
        return diag_fail(d, FR_RUNTIME, "out of memory");
    }
    c->run.overrides[c->run.noverrides++] = (struct config_override){a, l};
    return FR_OK;
}

/* option VALUE or option=VALUE */
static const char *option_value(int argc, char **argv, int *i, const char *name, struct diag *d)
{
    size_t len = strlen(name);
    if (argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (*i + 1 >= argc) {
        diag_fail(d, FR_USAGE, "option %s needs a value (see fidrun --help)", name);
        return NULL;
    }
    return argv[++*i];
}

static int is_option(const char *arg, const char *name)
{
    size_t len = strlen(name);
    return strncmp(arg, name, len) == 0 && (arg[len] == '\0' || arg[len] == '=');
}

/* --out takes any path: quote it so YAML reads it as a string. */
static int quoted_assignment(char *buf, size_t size, const char *key, const char *value)
{
    size_t j = (size_t)snprintf(buf, size, "%s=\"", key);
    for (const char *p = value; *p; p++) {
        if (j + 3 >= size)
            return -1;
        if (*p == '"' || *p == '\\')
            buf[j++] = '\\';
        buf[j++] = *p;
    }
    if (j + 2 > size)
        return -1;
    buf[j++] = '"';
    buf[j] = '\0';
    return 0;
}

static int parse_option(int argc, char **argv, int *i, struct cli *c, struct diag *d)
{
    const char *arg = argv[*i], *v;
    char label[1200], assignment[1200];
    if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0)
        return c->run.quiet = 1, FR_OK;
    if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0)
        return c->run.verbose = 1, FR_OK;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
        return c->command = CMD_HELP, FR_OK;
    if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0)
        return c->command = CMD_VERSION, FR_OK;
    if (strcmp(arg, "--json") == 0)
        return c->json = 1, FR_OK;
    if (strcmp(arg, "--save-baseline") == 0)
        return c->run.save_baseline = 1, FR_OK;
    if (strcmp(arg, "--fresh") == 0)
        return c->run.fresh = 1, FR_OK;
    if (strcmp(arg, "--allow-different") == 0)
        return c->run.cmp.allow_different = 1, FR_OK;
    if (is_option(arg, "--junit")) {
        if (!(v = option_value(argc, argv, i, "--junit", d)))
            return FR_USAGE;
        c->run.junit = v;
        return FR_OK;
    }
    if (is_option(arg, "--progress")) {
        if (!(v = option_value(argc, argv, i, "--progress", d)))
            return FR_USAGE;
        if (strcmp(v, "auto") && strcmp(v, "live") && strcmp(v, "log") && strcmp(v, "off"))
            return diag_fail(d, FR_USAGE, "--progress '%s' is not one of auto, live, log, off", v);
        c->run.progress = v;
        return FR_OK;
    }
    if (is_option(arg, "--resume")) {
        if (!(v = option_value(argc, argv, i, "--resume", d)))
            return FR_USAGE;
        c->run.resume = v;
        return FR_OK;
    }
    if (is_option(arg, "--html")) {
        if (!(v = option_value(argc, argv, i, "--html", d)))
            return FR_USAGE;
        c->run.html = v;
        return FR_OK;
    }
    if (is_option(arg, "--baseline")) {
        if (!(v = option_value(argc, argv, i, "--baseline", d)))
            return FR_USAGE;
        c->run.baseline = v;
        return FR_OK;
    }
    if (is_option(arg, "--tolerance")) {
        if (!(v = option_value(argc, argv, i, "--tolerance", d)))
            return FR_USAGE;
        return cmp_policy_add(&c->run.cmp, v, d);
    }
    if (is_option(arg, "--band") || is_option(arg, "--atol")) {
        int band = is_option(arg, "--band");
        double x;
        int overflow;
        if (!(v = option_value(argc, argv, i, band ? "--band" : "--atol", d)))
            return FR_USAGE;
        if (parse_real(v, &x, &overflow) || !(x >= 0))
            return diag_fail(d, FR_USAGE, "%s: expected a number >= 0, found '%s'", band ? "--band" : "--atol", v);
        *(band ? &c->run.cmp.band : &c->run.cmp.atol) = x;
        return FR_OK;
    }
    if (is_option(arg, "--suite")) {
        if (!(v = option_value(argc, argv, i, "--suite", d)))
            return FR_USAGE;
        c->run.suites = v;
        return FR_OK;
    }
    if (is_option(arg, "--only")) {
        if (!(v = option_value(argc, argv, i, "--only", d)))
            return FR_USAGE;
        c->run.only = v;
        return FR_OK;
    }
    if (is_option(arg, "--ranks")) {
        if (!(v = option_value(argc, argv, i, "--ranks", d)))
            return FR_USAGE;
        int64_t r;
        int overflow;
        if (parse_int64(v, &r, &overflow) || r < 1 || r > 1 << 20)
            return diag_fail(d, FR_USAGE, "--ranks: expected an integer in [1, 1048576], found '%s'", v);
        c->ranks = (int)r;
        return FR_OK;
    }
    if (is_option(arg, "--set")) {
        if (!(v = option_value(argc, argv, i, "--set", d)))
            return FR_USAGE;
        snprintf(label, sizeof label, "--set %s", v);
        return add_override(c, v, label, d);
    }
    static const char *const mapped[][2] = {{"--device", "device"},
                                            {"--seed", "seed"},
                                            {"--out", "output"},
                                            {"--export-factors", "suites.osft.export_factors"}};
    for (size_t k = 0; k < sizeof mapped / sizeof mapped[0]; k++) {
        if (!is_option(arg, mapped[k][0]))
            continue;
        if (!(v = option_value(argc, argv, i, mapped[k][0], d)))
            return FR_USAGE;
        snprintf(label, sizeof label, "%s %s", mapped[k][0], v);
        if (k >= 2) { /* paths: quoted, whatever they hold */
            if (quoted_assignment(assignment, sizeof assignment, mapped[k][1], v))
                return diag_fail(d, FR_USAGE, "%s: the path is too long", mapped[k][0]);
        } else {
            snprintf(assignment, sizeof assignment, "%s=%s", mapped[k][1], v);
        }
        return add_override(c, assignment, label, d);
    }
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
    const char *near = closest_name(name, long_options, sizeof long_options / sizeof long_options[0]);
    if (near)
        return diag_fail(d, FR_USAGE, "unknown option '%s' (did you mean '%s'?); see fidrun --help", name, near);
    return diag_fail(d, FR_USAGE, "unknown option '%s'; see fidrun --help", name);
}

int cli_parse(int argc, char **argv, struct cli *c, struct diag *d)
{
    memset(c, 0, sizeof *c);
    cmp_policy_defaults(&c->run.cmp);
    c->command = CMD_RUN;
    c->run.argc = argc;
    c->run.argv = argv;
    int first = 1, explicit_command = 0;
    if (argc > 1 && (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "validate") == 0 ||
                     strcmp(argv[1], "help") == 0)) {
        c->command = argv[1][0] == 'v' ? CMD_VALIDATE : argv[1][0] == 'h' ? CMD_HELP : CMD_RUN;
        explicit_command = 1;
        first = 2;
    }
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] == '-' && arg[1] != '\0') {
            if (parse_option(argc, argv, &i, c, d))
                return d->code;
            continue;
        }
        if (c->run.config)
            return diag_fail(d, FR_USAGE, "unexpected argument '%s' (the config is '%s'); see fidrun --help", arg,
                             c->run.config);
        c->run.config = arg;
    }
    if (c->command == CMD_HELP || c->command == CMD_VERSION) {
        /* "fidrun run --help", "fidrun validate --help": that command's page */
        if (explicit_command && argv[1][0] != 'h')
            c->help_page = argv[1][0] == 'v' ? cli_validate_usage : cli_run_usage;
        return FR_OK;
    }
    if (!c->run.config)
        return diag_fail(d, FR_USAGE, "%s", explicit_command ? "which config? usage: fidrun validate CONFIG.yaml"
                                                              : "no config file given; usage: fidrun CONFIG.yaml "
                                                                "[options] (see fidrun --help)");
    if ((c->run.baseline || c->run.save_baseline || c->run.junit || c->run.html || c->run.resume || c->run.fresh ||
         c->run.cmp.allow_different) &&
        c->command != CMD_RUN)
        return diag_fail(d, FR_USAGE, "--baseline, --save-baseline, --junit, --html, --resume and --fresh belong to a "
                                      "run, not to 'fidrun validate'");
    if (c->run.fresh && c->run.resume)
        return diag_fail(d, FR_USAGE, "--fresh starts over and --resume goes on: give one of them");
    if ((c->ranks || c->json) && c->command != CMD_VALIDATE)
        return diag_fail(d, FR_USAGE, "--ranks and --json belong to 'fidrun validate'; a run uses the MPI size");
    return FR_OK;
}

void cli_free(struct cli *c)
{
    for (size_t i = 0; i < c->run.noverrides; i++) {
        free((char *)c->run.overrides[i].assignment);
        free((char *)c->run.overrides[i].label);
    }
    c->run.noverrides = 0;
}
