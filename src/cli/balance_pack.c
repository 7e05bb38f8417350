#include "cli/balance_pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/launcher.h"
#include "config/schema.h"

const char study_balance_usage[] =
    "usage: fidrun balance --ranks P[,P...] [--algo NAME[,NAME...]|all] (--costs FILE|- | --dist NAME [...])\n"
    "\n"
    "Partitions item costs over P ranks with each algorithm and prints the loads' metrics:\n"
    "makespan, lower bound LB = max(sum/P, max item), gap = makespan/LB - 1, max/mean,\n"
    "min/max, std of loads, efficiency = mean/max, items per rank, time (median of repeats).\n"
    "\n"
    "  --ranks P[,P...]   rank counts, 1 to 65536 (e.g. 8,64,1024)\n"
    "  --algo NAMES       block, roundrobin, greedy, lpt, kk, kk-equal, and NAME+refine\n"
    "                     (local search after it); all (the default) runs each\n"
    "  --costs FILE|-     one number per line, or a CSV column (RFC 4180: quoted fields may\n"
    "                     hold commas, quotes and line breaks; see --column); - reads stdin\n"
    "  --column C         the CSV column: a 1-based index or a header name\n"
    "  --dist NAME        generate instead: uniform, lognormal, normal, powerlaw, bimodal,\n"
    "                     realistic, outliers, equal, giant (docs/balance.md has each)\n"
    "  --n N              items to generate; --n-per-rank K makes n = K*P\n"
    "  --lo, --hi, --mean, --sigma, --value X   the distribution's parameters\n"
    "  --seed S           seed of the generated items (default 0)\n"
    "  --repeats R        time each algorithm R times, report the median (default 3)\n"
    "  --loads            print every rank's load as well\n"
    "  --json             one JSON object per algorithm x P (a JSON array), keyed as the\n"
    "                     balance suite's /balance/partition columns\n"
    "  --assign FILE      write the plan: which rank each item goes to, one line per item x\n"
    "                     algorithm x P (algorithm,ranks,item,line,label,cost,rank; item counts\n"
    "                     from 0, line is the input line, label the record's other field); CSV,\n"
    "                     or JSON when FILE ends in .json\n"
    "\n"
    "exit codes: 0 done, 2 bad input (the message names the file and line), 3 out of memory\n";

const char study_pack_usage[] =
    "usage: fidrun pack --budget T --ranks P[,P...] [--algo NAME[,NAME...]|all] (--lengths FILE|- | --dist NAME)\n"
    "\n"
    "Packs sequences into rows (minibatches) of P ranks, at most T tokens per rank per row,\n"
    "and prints mini_trainer's batching metrics: rows, average/worst/std of the per-row\n"
    "balance (min non-zero load / max load), average row efficiency, overall efficiency =\n"
    "tokens / (rows P T), dropped sequences (longer than T), time; plus the lower bound\n"
    "on rows, ceil(tokens / (P T)), and the gap to it.\n"
    "\n"
    "  --budget T         max tokens per rank per row (mini_trainer's max_tokens_per_rank)\n"
    "  --ranks P[,P...]   rank counts\n"
    "  --algo NAMES       greedy, lpt-bsearch, ffd, global-lpt; all (the default) runs each\n"
    "  --lengths FILE|-   one whole number per line, or a CSV column (--column)\n"
    "  --dist NAME ...    generate instead, as for fidrun balance (values rounded down)\n"
    "  --repeats R, --seed S   as for fidrun balance\n"
    "  --json             keyed as the balance suite's /balance/packing columns\n"
    "  --assign FILE      the plan: each sequence's row and rank (algorithm,ranks,item,line,\n"
    "                     label,length,row,rank; -1 for one dropped), CSV or .json\n"
    "\n"
    "exit codes: 0 done, 2 bad input (the message names the file and line), 3 out of memory\n";

struct preset {
    const char *name;
    int kind;
    int64_t n;
    double lo, hi, mean, sigma, value;
};

static const struct preset presets[] = {
    {"uniform", DIST_UNIFORM, 1000, 1000, 2000, 0, 0, 0},
    {"lognormal", DIST_LOGNORMAL, 1000, 0, 0, 8, 1, 0},
    {"normal", DIST_NORMAL, 1000, 1, 1e18, 10000, 3000, 0},
    {"powerlaw", DIST_POWERLAW, 200, 0, 0, 0, 0, 0},
    {"bimodal", DIST_BIMODAL, 200, 0, 0, 0, 0, 0},
    {"realistic", DIST_REALISTIC, 2000, 0, 0, 0, 0, 0},
    {"outliers", DIST_OUTLIERS, 50, 0, 0, 0, 0, 0},
    {"equal", DIST_EQUAL, 1000, 0, 0, 0, 0, 1000},
    {"giant", DIST_GIANT, 1000, 100, 1000, 0, 0, 1e6},
};

int dist_preset(const char *name, struct dist_spec *s)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        const struct preset *p = &presets[i];
        if (strcmp(p->name, name) == 0) {
            memset(s, 0, sizeof *s);
            snprintf(s->name, sizeof s->name, "%s", name);
            s->kind = p->kind;
            s->n = p->n;
            s->lo = p->lo;
            s->hi = p->hi;
            s->mean = p->mean;
            s->sigma = p->sigma;
            s->value = p->value;
            return 0;
        }
    }
    return -1;
}

static int parse_ranks(const char *v, struct study_request *c, struct diag *d)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", v);
    c->nranks = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int64_t r;
        int overflow;
        if (parse_int64(tok, &r, &overflow) || r < 1 || r > PARTITION_MAX_RANKS)
            return diag_fail(d, FR_USAGE, "--ranks: expected rank counts in [1, 65536], found '%s'", tok);
        if (c->nranks == STUDY_MAX_RANKS)
            return diag_fail(d, FR_USAGE, "--ranks: at most %d rank counts", STUDY_MAX_RANKS);
        c->ranks[c->nranks++] = (int32_t)r;
    }
    if (!c->nranks)
        return diag_fail(d, FR_USAGE, "--ranks: expected rank counts such as 8 or 8,64,1024");
    return FR_OK;
}

static int parse_algos(const char *v, struct study_request *c, struct diag *d)
{
    char buf[1024], known[512];
    snprintf(buf, sizeof buf, "%s", v);
    c->nalgos = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "all") == 0) {
            if (c->kind == STUDY_BALANCE) {
                c->nalgos = partition_catalog(c->algos, STUDY_MAX_ALGOS);
            } else {
                for (int a = 0; a < PK_COUNT; a++)
                    c->pack_algos[a] = (enum pack_algo)a;
                c->nalgos = PK_COUNT;
            }
            continue;
        }
        if (c->nalgos == (c->kind == STUDY_BALANCE ? STUDY_MAX_ALGOS : PK_COUNT))
            return diag_fail(d, FR_USAGE, "--algo: too many algorithms");
        if (c->kind == STUDY_BALANCE && partition_spec_parse(tok, &c->algos[c->nalgos]) == 0) {
            c->nalgos++;
            continue;
        }
        if (c->kind == STUDY_PACK && pack_algo_parse(tok, &c->pack_algos[c->nalgos]) == 0) {
            c->nalgos++;
            continue;
        }
        const char *names[STUDY_MAX_ALGOS];
        size_t n = c->kind == STUDY_BALANCE ? partition_catalog_names(names, STUDY_MAX_ALGOS)
                                            : pack_algo_names(names, STUDY_MAX_ALGOS);
        join_names(names, n, known, sizeof known);
        const char *near = closest_name(tok, names, n);
        if (near)
            return diag_fail(d, FR_USAGE, "--algo: unknown algorithm '%s' (did you mean '%s'?); known: %s, all", tok,
                             near, known);
        return diag_fail(d, FR_USAGE, "--algo: unknown algorithm '%s'; known: %s, all", tok, known);
    }
    return FR_OK;
}

static int number_option(const char *name, const char *v, double lo, double hi, double *out, struct diag *d)
{
    int overflow;
    if (parse_real(v, out, &overflow) || *out < lo || *out > hi)
        return diag_fail(d, FR_USAGE, "%s: expected a number in [%g, %g], found '%s'", name, lo, hi, v);
    return FR_OK;
}

static int int_option(const char *name, const char *v, int64_t lo, int64_t hi, int64_t *out, struct diag *d)
{
    int overflow;
    if (parse_int64(v, out, &overflow) || *out < lo || *out > hi)
        return diag_fail(d, FR_USAGE, "%s: expected an integer in [%lld, %lld], found '%s'", name, (long long)lo,
                         (long long)hi, v);
    return FR_OK;
}

static const char *const options[] = {"--ranks", "--algo",  "--costs", "--lengths", "--column", "--dist",
                                      "--n",     "--n-per-rank", "--lo", "--hi",    "--mean",   "--sigma",
                                      "--value", "--seed",  "--budget", "--repeats", "--json",   "--loads",
                                      "--help",  "--assign"};

/* Distribution options, in the order of options[DIST_OPTION..]. */
#define DIST_OPTION 5
struct pending {
    const char *v[8];
};
enum { P_DIST, P_N, P_N_PER_RANK, P_LO, P_HI, P_MEAN, P_SIGMA, P_VALUE };

static int apply_dist(const struct pending *p, struct study_request *c, struct diag *d)
{
    const char *name = p->v[P_DIST];
    if (!name) {
        for (int k = P_N; k <= P_VALUE; k++)
            if (p->v[k])
                return diag_fail(d, FR_USAGE, "%s goes with --dist NAME", options[DIST_OPTION + k]);
        return FR_OK;
    }
    if (dist_preset(name, &c->dist)) {
        const char *names[16];
        size_t n = 0;
        for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
            names[n++] = presets[i].name;
        return schema_unknown(d, &(struct yloc){"--dist", 0, 0}, "", "distribution", name, names, n,
                              "distributions");
    }
    c->have_dist = 1;
    if (p->v[P_N] && int_option("--n", p->v[P_N], 0, PARTITION_MAX_ITEMS, &c->dist.n, d))
        return FR_USAGE;
    if (p->v[P_N_PER_RANK] && int_option("--n-per-rank", p->v[P_N_PER_RANK], 1, 100000, &c->dist.n_per_rank, d))
        return FR_USAGE;
    double *reals[] = {&c->dist.lo, &c->dist.hi, &c->dist.mean, &c->dist.sigma, &c->dist.value};
    for (int k = P_LO; k <= P_VALUE; k++)
        if (p->v[k] && number_option(options[DIST_OPTION + k], p->v[k], -1e300, 1e300, reals[k - P_LO], d))
            return FR_USAGE;
    if ((c->dist.kind == DIST_UNIFORM || c->dist.kind == DIST_GIANT || c->dist.kind == DIST_NORMAL) &&
        !(c->dist.lo >= 0 && c->dist.lo < c->dist.hi))
        return diag_fail(d, FR_USAGE, "--dist %s: expected 0 <= --lo < --hi, found lo %g, hi %g", name, c->dist.lo,
                         c->dist.hi);
    if (c->dist.sigma < 0 || c->dist.value < 0)
        return diag_fail(d, FR_USAGE, "--dist %s: --sigma and --value must be >= 0", name);
    if (c->kind == STUDY_PACK)
        c->dist.integer = 1;
    return FR_OK;
}

int study_cli_parse(int argc, char **argv, struct study_request *c, struct diag *d)
{
    memset(c, 0, sizeof *c);
    c->kind = strcmp(argv[0], "pack") == 0 ? STUDY_PACK : STUDY_BALANCE;
    c->repeats = 3;
    struct pending p = {0};
    const char *file_opt = c->kind == STUDY_PACK ? "--lengths" : "--costs";
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--json") == 0 || strcmp(arg, "--loads") == 0 || strcmp(arg, "--help") == 0 ||
            strcmp(arg, "-h") == 0) {
            *(arg[2] == 'j' ? &c->json : arg[2] == 'l' ? &c->loads : &c->help) = 1;
            continue;
        }
        const char *eq = strchr(arg, '=');
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(eq ? (size_t)(eq - arg) : strlen(arg)), arg);
        size_t k = 0, nopt = sizeof options / sizeof options[0];
        while (k < nopt && strcmp(options[k], name) != 0)
            k++;
        if (k == nopt || (strcmp(name, "--costs") == 0 && c->kind == STUDY_PACK) ||
            (strcmp(name, "--lengths") == 0 && c->kind == STUDY_BALANCE) ||
            (strcmp(name, "--budget") == 0 && c->kind == STUDY_BALANCE)) {
            const char *near = closest_name(name, options, nopt);
            if (near && strcmp(near, name) != 0)
                return diag_fail(d, FR_USAGE, "unknown option '%s' (did you mean '%s'?); see fidrun %s --help", name,
                                 near, argv[0]);
            return diag_fail(d, FR_USAGE, "unknown option '%s' for fidrun %s; see fidrun %s --help", name, argv[0],
                             argv[0]);
        }
        const char *v = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!v)
            return diag_fail(d, FR_USAGE, "option %s needs a value (see fidrun %s --help)", name, argv[0]);
        int64_t iv;
        int rc = FR_OK;
        if (strcmp(name, "--ranks") == 0)
            rc = parse_ranks(v, c, d);
        else if (strcmp(name, "--algo") == 0)
            rc = parse_algos(v, c, d);
        else if (strcmp(name, file_opt) == 0)
            c->file = v;
        else if (strcmp(name, "--column") == 0)
            c->column = v;
        else if (strcmp(name, "--assign") == 0)
            c->assign = v;
        else if (strcmp(name, "--seed") == 0)
            rc = int_option(name, v, 0, INT64_MAX, &iv, d), c->seed = (uint64_t)iv;
        else if (strcmp(name, "--budget") == 0)
            rc = int_option(name, v, 1, INT64_C(1) << 50, &c->budget, d);
        else if (strcmp(name, "--repeats") == 0)
            rc = int_option(name, v, 1, 1000, &iv, d), c->repeats = (int)iv;
        else /* distribution options, applied once --dist is known */
            p.v[k - DIST_OPTION] = v;
        if (rc)
            return rc;
    }
    if (c->help)
        return FR_OK;
    if (apply_dist(&p, c, d))
        return FR_USAGE;
    if (!c->nranks)
        return diag_fail(d, FR_USAGE, "fidrun %s needs --ranks P (see fidrun %s --help)", argv[0], argv[0]);
    if (c->kind == STUDY_PACK && !c->budget)
        return diag_fail(d, FR_USAGE, "fidrun pack needs --budget T, the most tokens per rank per row");
    if (!c->file == !c->have_dist)
        return diag_fail(d, FR_USAGE, "fidrun %s needs exactly one of %s FILE (or - for stdin) and --dist NAME",
                         argv[0], file_opt);
    if (c->column && !c->file)
        return diag_fail(d, FR_USAGE, "--column goes with %s", file_opt);
    if (!c->nalgos)
        parse_algos("all", c, d);
    return FR_OK;
}

int balance_pack_main(int argc, char **argv)
{
    struct study_request sc;
    struct diag d = {0};
    if (study_cli_parse(argc, argv, &sc, &d))
        return cli_print_error(&d);
    if (launcher_rank() > 0)
        return FR_OK;
    if (sc.help) {
        fputs(sc.kind == STUDY_PACK ? study_pack_usage : study_balance_usage, stdout);
        return FR_OK;
    }
    return study_run(&sc);
}
