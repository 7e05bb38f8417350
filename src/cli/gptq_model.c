/* fidrun gptq --model DIR --out DIR [options]: a whole checkpoint quantized
 * by the gptq suite. The options become a config (every rank builds the
 * same text), run as any config is: spread over the MPI ranks by the
 * planner, checked, with a results file; the config is kept in it
 * (config_text), so `fidrun report` shows exactly what was asked. */
#include "cli/gptq_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/launcher.h"
#include "run/driver.h"
#include "run/run_request.h"

const char gptq_model_usage[] =
    "usage: [mpirun -np N] fidrun gptq --model DIR --out DIR [options]\n"
    "\n"
    "Quantizes every linear of a HuggingFace checkpoint's layers (the family's own layout,\n"
    "as fidrun validate lists it; --targets to choose) and writes a folder loaders read:\n"
    "sharded safetensors with model.safetensors.index.json, each targeted linear as\n"
    "<module>.qweight .qzeros .scales .g_idx, every other tensor copied as it is, config.json\n"
    "with its quantization_config, AutoGPTQ's quantize_config.json, the folder's other files\n"
    "(tokenizer, ...). Each rank quantizes the linears the planner gives it and writes its own\n"
    "shard. The same as a config with a gptq suite (docs/quantization.md).\n"
    "\n"
    "options:\n"
    "  --model DIR            the unquantized checkpoint (config.json and safetensors)\n"
    "  --out DIR              the quantized checkpoint's folder (new, or without weights)\n"
    "  --method gptq|rtn      (default gptq)\n"
    "  --bits 2|3|4|8         (default 4)\n"
    "  --group-size G         columns per group, -1 for whole rows (default 128)\n"
    "  --act-order            columns by decreasing Hessian diagonal (desc_act)\n"
    "  --static-groups        group parameters fixed before the sweep\n"
    "  --asym                 asymmetric zero points (default symmetric, as AutoGPTQ and\n"
    "                         GPTQModel save; v1 cannot store an asymmetric zero of 0)\n"
    "  --percdamp F           damping, a fraction of mean(diag H) (default 0.01)\n"
    "  --format gptq|gptq_v2  zero-point convention (default gptq: v1, GPTQModel's default save\n"
    "                         format, which third-party loaders read)\n"
    "  --calib FILE           activations: a tensor per linear named by its module\n"
    "                         (model.layers.0.self_attn.q_proj), [tokens, in] or [batch, seq, in];\n"
    "                         without it synthetic activations, and the run says so\n"
    "  --tokens N             synthetic calibration tokens (default 2048; at least each linear's inputs)\n"
    "  --targets T[,T...]     names or globs over the checkpoint's own names (default: the layout's)\n"
    "  --layers N             only the first N layers\n"
    "  --seed N               of the synthetic activations (default 1234)\n"
    "  --device auto|cpu|cuda where GPTQ runs (default auto)\n"
    "  --progress MODE, --quiet, --junit FILE, --html FILE   as for a run\n"
    "exit codes: 0 written and every check passed, 1 a check failed (a layer that does not read\n"
    "back, NaN, a wrapped v1 zero), 2 bad input, 3 runtime error, 4 interrupted (nothing usable)\n";

/* "KEY: \"VALUE\"" lines, the value quoted as YAML double-quoted text. */
static int add_line(char *buf, size_t size, size_t *used, const char *key, const char *value, int quote)
{
    int n = snprintf(buf + *used, size - *used, "    %s: %s", key, quote ? "\"" : "");
    if (n < 0 || (size_t)n >= size - *used)
        return -1;
    *used += (size_t)n;
    for (const char *p = value; *p; p++) {
        if (*used + 3 >= size)
            return -1;
        if (quote && (*p == '"' || *p == '\\'))
            buf[(*used)++] = '\\';
        buf[(*used)++] = *p;
    }
    n = snprintf(buf + *used, size - *used, "%s\n", quote ? "\"" : "");
    if (n < 0 || (size_t)n >= size - *used)
        return -1;
    *used += (size_t)n;
    return 0;
}

struct option_key {
    const char *option, *key; /* key NULL: a flag handled apart */
    int quote, flag;          /* flag: takes no value; the key is set to "true" */
};

static const struct option_key keys[] = {
    {"--model", "path", 1, 0},         {"--out", "out", 1, 0},           {"--method", "method", 0, 0},
    {"--bits", "bits", 0, 0},          {"--group-size", "group_size", 0, 0}, {"--act-order", "act_order", 0, 1},
    {"--static-groups", "static_groups", 0, 1}, {"--percdamp", "percdamp", 0, 0}, {"--format", "format", 0, 0},
    {"--layers", "layers", 0, 0},
};

int gptq_model_main(int *argc, char ***argv)
{
    int n = *argc;
    char **v = *argv;
    static char text[16384];
    char calib[1200] = "", targets[2400] = "", top[2048] = "";
    size_t used = (size_t)snprintf(text, sizeof text, "suites:\n  gptq:\n");
    const char *model = NULL, *out = NULL;
    struct run_request req = {.config = "fidrun gptq", .config_text = text, .argc = n, .argv = v};
    cmp_policy_defaults(&req.cmp);
    struct diag d = {0};
    int rc = FR_OK;
    for (int i = 2; i < n && !rc; i++) {
        const char *o = v[i];
        const struct option_key *k = NULL;
        for (size_t j = 0; j < sizeof keys / sizeof keys[0] && !k; j++)
            if (!strcmp(o, keys[j].option))
                k = &keys[j];
        int needs = !k || !k->flag;
        const char *val = NULL;
        if (!strcmp(o, "--asym") || !strcmp(o, "--quiet") || !strcmp(o, "-q"))
            needs = 0;
        if (needs && i + 1 >= n) {
            rc = diag_fail(&d, FR_USAGE, "%s needs a value (see fidrun gptq --help)", o);
            break;
        }
        if (needs)
            val = v[++i];
        if (k) {
            if (!strcmp(o, "--model"))
                model = val;
            if (!strcmp(o, "--out"))
                out = val;
            if (add_line(text, sizeof text, &used, k->key, k->flag ? "true" : val, k->quote))
                rc = diag_fail(&d, FR_USAGE, "%s: too long", o);
        } else if (!strcmp(o, "--asym")) {
            if (add_line(text, sizeof text, &used, "sym", "false", 0))
                rc = diag_fail(&d, FR_USAGE, "the options are too long");
        } else if (!strcmp(o, "--calib") || !strcmp(o, "--tokens")) {
            size_t cl = strlen(calib);
            int file = !strcmp(o, "--calib"); /* a path quoted; a count as written, for the schema to check */
            snprintf(calib + cl, sizeof calib - cl, "%s%s: %s%s%s", cl ? ", " : "", file ? "file" : "tokens",
                     file ? "\"" : "", val, file ? "\"" : "");
        } else if (!strcmp(o, "--targets")) { /* each quoted: a glob such as *.q_proj is not a YAML alias */
            size_t tl = 0;
            targets[tl++] = '[';
            for (const char *p = val; *p && tl + 8 < sizeof targets;) {
                size_t len = strcspn(p, ",");
                tl += (size_t)snprintf(targets + tl, sizeof targets - tl, "%s\"%.*s\"", tl > 1 ? ", " : "", (int)len, p);
                p += len + (p[len] == ',');
            }
            snprintf(targets + tl, sizeof targets - tl, "]");
        } else if (!strcmp(o, "--seed") || !strcmp(o, "--device")) {
            size_t tl = strlen(top);
            snprintf(top + tl, sizeof top - tl, "%s: %s\n", o + 2, val);
        } else if (!strcmp(o, "--progress"))
            req.progress = val;
        else if (!strcmp(o, "--quiet") || !strcmp(o, "-q"))
            req.quiet = 1;
        else if (!strcmp(o, "--junit"))
            req.junit = val;
        else if (!strcmp(o, "--html"))
            req.html = val;
        else
            rc = diag_fail(&d, FR_USAGE, "unknown option '%s' for fidrun gptq --model (see fidrun gptq --help)", o);
    }
    if (!rc && (!model || !out))
        rc = diag_fail(&d, FR_USAGE, "fidrun gptq --model DIR needs --out DIR, the quantized checkpoint's folder");
    if (!rc && calib[0] && used + strlen(calib) + 32 < sizeof text)
        used += (size_t)snprintf(text + used, sizeof text - used, "    calibration: {%s}\n", calib);
    if (!rc && targets[0] && used + strlen(targets) + 32 < sizeof text)
        used += (size_t)snprintf(text + used, sizeof text - used, "    targets: %s\n", targets);
    /* the results file and journal go beside the checkpoint's files, in OUT/fidrun */
    char head[3000];
    const char *base = strrchr(model ? model : "model", '/');
    base = base && base[1] ? base + 1 : model ? model : "model";
    char name[64]; /* a config name: letters, digits, - _ . */
    size_t nl = 0;
    for (const char *p = base; *p && *p != '/' && nl + 1 < sizeof name; p++)
        name[nl++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                             *p == '_'
                         ? *p
                         : '-';
    name[nl] = '\0';
    snprintf(head, sizeof head, "name: gptq-%s\noutput: \"%.1000s/fidrun\"\n%s", name, out ? out : ".", top);
    if (!rc && strlen(head) + used + 1 < sizeof text) {
        memmove(text + strlen(head), text, used + 1);
        memcpy(text, head, strlen(head));
    }
    if (rc) {
        if (launcher_rank() <= 0)
            fprintf(stderr, "fidrun: error: %s\n", d.msg);
        return rc;
    }
    return driver_run(argc, argv, &req);
}
