/* fidrun gptq-check DIR [--original DIR]: a GPTQ checkpoint folder read as
 * loaders read it, every layer dequantized, the zero-point convention
 * checked against what the codes say, the error against the original
 * weights, and the CPU kernel on the real packed weights. */
#include "cli/gptq_check.h"

#include <fnmatch.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/hf_config.h"
#include "core/quant/gptq_checkpoint.h"
#include "io/contained.h"
#include "io/gptq_file.h"
#include "io/safetensors.h"
#include "io/st_model.h"
#include "util/text_file.h"

static const char usage[] =
    "usage: fidrun gptq-check DIR|FILE.safetensors [--original DIR] [--only GLOB] [--json] [--seed N]\n"
    "\n"
    "Reads a GPTQ checkpoint (a folder: model.safetensors, its shards, or any *.safetensors;\n"
    "or one .safetensors file; with config.json's quantization_config or AutoGPTQ's\n"
    "quantize_config.json in the folder) and, for every layer\n"
    "(<prefix>.qweight .qzeros .scales .g_idx):\n"
    "  - which zero-point convention its zeros follow (v1 'gptq' stores zero - 1,\n"
    "    'gptq_v2' the zero): the mean of code - stored zero is within 0.25 of 0 under\n"
    "    v2 and of 1 under v1; a checkpoint_format that disagrees is the v1/v2 mix-up\n"
    "    that makes a served model answer \"!!!!\"; near neither (-1, 2: zeros\n"
    "    converted twice) is flagged too;\n"
    "  - with --original, the relative error ||W - W_q||_F / ||W||_F against the\n"
    "    unquantized folder's <prefix>.weight, under the declared convention and the\n"
    "    other one;\n"
    "  - the dequant-matmul kernel (CPU, fp32 accumulation, batch 1) on the packed\n"
    "    weights against the fp64 reference.\n"
    "\n"
    "options:\n"
    "  --original DIR   the unquantized model folder\n"
    "  --only GLOB      layers whose prefix matches (e.g. 'model.layers.0.*')\n"
    "  --json           one JSON document on stdout instead of the table\n"
    "  --seed N         for the kernel's input (default 1234)\n"
    "exit codes: 0 consistent, 1 a mix-up, zeros that follow neither convention, or the\n"
    "kernel outside its bound, 2 bad input\n"
    "(folder, config, tensors), 3 runtime error\n";

struct check_args {
    const char *dir, *original, *only;
    int json;
    unsigned long long seed;
};

static int parse_args(int argc, char **argv, struct check_args *a, struct diag *d)
{
    *a = (struct check_args){.seed = 1234};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            fputs(usage, stdout);
            exit(0);
        }
        int value = !strcmp(s, "--original") || !strcmp(s, "--only") || !strcmp(s, "--seed");
        if (value && i + 1 >= argc)
            return diag_fail(d, FR_USAGE, "%s needs a value (see fidrun gptq-check --help)", s);
        if (!strcmp(s, "--original"))
            a->original = argv[++i];
        else if (!strcmp(s, "--only"))
            a->only = argv[++i];
        else if (!strcmp(s, "--seed")) {
            char *end;
            a->seed = strtoull(argv[++i], &end, 10);
            if (*end)
                return diag_fail(d, FR_USAGE, "--seed expects a non-negative integer, found '%s'", argv[i]);
        } else if (!strcmp(s, "--json"))
            a->json = 1;
        else if (s[0] == '-')
            return diag_fail(d, FR_USAGE, "unknown option '%s' (see fidrun gptq-check --help)", s);
        else if (!a->dir)
            a->dir = s;
        else
            return diag_fail(d, FR_USAGE, "one checkpoint folder only, found '%s' and '%s'", a->dir, s);
    }
    return a->dir ? FR_OK : diag_fail(d, FR_USAGE, "which checkpoint folder? (see fidrun gptq-check --help)");
}

/* config.json's quantization_config, else quantize_config.json. */
static int read_quant_config(const char *dir, struct hf_quant_config *q, char *origin, size_t size, struct diag *d)
{
    struct hf_config c;
    int have, rc = st_model_config(dir, origin, size, &c, &have, d);
    if (rc)
        return rc;
    if (have && c.quant.present) {
        *q = c.quant;
        return FR_OK;
    }
    size_t len;
    int missing;
    char *text;
    snprintf(origin, size, "%s/quantize_config.json", dir);
    if (!(text = contained_read_text(dir, "quantize_config.json", &len, &missing, d)))
        return missing ? diag_fail(d, FR_USAGE, "%s: no quantization_config in config.json and no "
                                                "quantize_config.json: not a GPTQ checkpoint?", dir)
                       : d->code;
    rc = hf_quant_config_parse(text, len, origin, q, d);
    free(text);
    return rc;
}

static const struct st_tensor *need(const struct st_model *m, const char *prefix, const char *suffix,
                                    enum st_dtype dtype, int ndim, struct diag *d)
{
    char name[300];
    snprintf(name, sizeof name, "%s.%s", prefix, suffix);
    const struct st_file *shard = NULL;
    const struct st_tensor *t = st_model_find(m, name, &shard);
    return gptq_tensor_check(shard ? shard->path : m->dir, prefix, suffix, t, dtype, ndim, d);
}

static int read_layer(const struct st_model *m, const char *prefix, enum zero_format declared, struct gptq_packed *p,
                      struct diag *d)
{
    const struct st_tensor *qw = need(m, prefix, "qweight", ST_I32, 2, d), *qz = NULL, *sc = NULL, *gi = NULL;
    if (qw)
        qz = need(m, prefix, "qzeros", ST_I32, 2, d);
    if (qz)
        sc = need(m, prefix, "scales", ST_F16, 2, d);
    if (sc)
        gi = need(m, prefix, "g_idx", ST_I32, 1, d);
    return gi ? gptq_packed_from_tensors(m->dir, prefix, qw, qz, sc, gi, declared, p, d) : d->code;
}

/* <prefix>.weight of the original folder, out x in, widened to float. */
/* <prefix>.weight of the original folder as out x in, widened to float;
 * conv1d: the folder is GPT-2's, whose Conv1D weights are stored [in, out]. */
static float *read_original(const struct st_model *o, const char *prefix, int64_t out, int64_t in, int conv1d,
                            struct diag *d)
{
    char name[300];
    snprintf(name, sizeof name, "%s.weight", prefix);
    const struct st_file *shard;
    const struct st_tensor *t = st_model_find(o, name, &shard);
    if (!t) {
        diag_fail(d, FR_USAGE, "%s: no tensor '%s' to compare the quantized layer with", o->dir, name);
        return NULL;
    }
    int64_t fr = conv1d ? in : out, fc = conv1d ? out : in;
    if (t->ndim != 2 || t->shape[0] != fr || t->shape[1] != fc) {
        diag_fail(d, FR_USAGE, "%s: tensor '%s' is not %lld x %lld, the quantized layer's shape%s", shard->path, name,
                  (long long)fr, (long long)fc, conv1d ? " (GPT-2's Conv1D, stored [in, out])" : "");
        return NULL;
    }
    float *raw = malloc((size_t)(out * in) * sizeof *raw), *w = NULL;
    if (!raw || (conv1d && !(w = malloc((size_t)(out * in) * sizeof *w))))
        diag_fail(d, FR_RUNTIME, "out of memory");
    else if (!st_to_f32(shard, t, raw, d) && !conv1d)
        return raw;
    else if (!d->code) {
        for (int64_t i = 0; i < out; i++)
            for (int64_t j = 0; j < in; j++)
                w[i * in + j] = raw[j * out + i];
        free(raw);
        return w;
    }
    free(raw);
    free(w);
    return NULL;
}

struct layer_row {
    char prefix[256];
    int64_t out, in;
    struct gptq_layer_check c;
};

static int by_prefix(const void *a, const void *b)
{
    return strcmp(((const struct layer_row *)a)->prefix, ((const struct layer_row *)b)->prefix);
}

/* Every <prefix>.qweight in the folder (matching --only). */
static struct layer_row *list_layers(const struct st_model *m, const char *only, size_t *n)
{
    size_t cap = 0;
    for (size_t s = 0; s < m->nshards; s++)
        cap += m->shards[s].n;
    struct layer_row *rows = calloc(cap ? cap : 1, sizeof *rows);
    *n = 0;
    for (size_t s = 0; rows && s < m->nshards; s++)
        for (size_t i = 0; i < m->shards[s].n; i++) {
            const char *name = m->shards[s].tensors[i].name;
            size_t len = strlen(name), suffix = strlen(".qweight");
            if (len <= suffix || strcmp(name + len - suffix, ".qweight") || len - suffix >= sizeof rows->prefix)
                continue;
            struct layer_row *r = &rows[*n];
            memcpy(r->prefix, name, len - suffix);
            r->prefix[len - suffix] = 0;
            if (!only || fnmatch(only, r->prefix, 0) == 0)
                (*n)++;
        }
    if (rows)
        qsort(rows, *n, sizeof *rows, by_prefix);
    return rows;
}

static const char *zf_name(enum zero_format f) { return f == ZEROS_V2 ? "gptq_v2" : "gptq"; }

struct verdict {
    size_t looks_v1, looks_v2, undecided, neither, original_prefers_other, kernel_over;
    int mixed_up;
    double worst_neither; /* the m furthest from both conventions */
};

static const char *look_name(enum zeros_look l)
{
    static const char *const names[] = {"v1", "v2", "?", "neither"};
    return names[l];
}

static struct verdict judge(const struct layer_row *rows, size_t n, enum zero_format declared)
{
    struct verdict v = {0};
    for (size_t i = 0; i < n; i++) {
        const struct gptq_layer_check *c = &rows[i].c;
        v.looks_v1 += c->looks == LOOKS_V1;
        v.looks_v2 += c->looks == LOOKS_V2;
        v.undecided += c->looks == LOOKS_UNDECIDED;
        if (c->looks == LOOKS_NEITHER) {
            double far = fmin(fabs(c->code_minus_zero), fabs(c->code_minus_zero - 1));
            if (!v.neither++ || far > fmin(fabs(v.worst_neither), fabs(v.worst_neither - 1)))
                v.worst_neither = c->code_minus_zero;
        }
        v.original_prefers_other += c->err_other < c->err_declared;
        v.kernel_over += !(c->kernel.rel_mean <= GPTQ_KERNEL_REL_MEAN_BOUND);
    }
    size_t against = declared == ZEROS_V1 ? v.looks_v2 : v.looks_v1, with = declared == ZEROS_V1 ? v.looks_v1 : v.looks_v2;
    v.mixed_up = against > with || 2 * v.original_prefers_other > n;
    return v;
}

static void print_table(const struct check_args *a, const struct hf_quant_config *q, enum zero_format declared,
                        const struct layer_row *rows, size_t n, const struct verdict *v)
{
    printf("GPTQ checkpoint %s · %d-bit, group %d, desc_act %s, sym %s · checkpoint_format %s (%s zeros) · %zu "
           "layers\n",
           a->dir, q->bits, q->group_size, q->desc_act ? "true" : "false", q->sym ? "true" : "false",
           q->checkpoint_format, declared == ZEROS_V2 ? "v2" : "v1", n);
    printf("  %-40s %11s %10s %6s %12s %12s %12s\n", "layer", "shape", "mean(q-z)", "looks", "err declared",
           "err other", "kernel err");
    for (size_t i = 0; i < n; i++) {
        const struct layer_row *r = &rows[i];
        char shape[32];
        snprintf(shape, sizeof shape, "%lldx%lld", (long long)r->out, (long long)r->in);
        printf("  %-40s %11s %10.3f %6s %12.3e %12.3e %12.1e\n", r->prefix, shape, r->c.code_minus_zero,
               look_name(r->c.looks), r->c.err_declared, r->c.err_other,
               r->c.kernel.rel_mean);
    }
    printf("zeros: %zu layers look v1, %zu v2, %zu undecided, %zu neither", v->looks_v1, v->looks_v2, v->undecided,
           v->neither);
    if (a->original)
        printf(" · against %s: %zu of %zu layers closer under the other convention", a->original,
               v->original_prefers_other, n);
    printf("\nkernel: %zu of %zu layers outside rel. mean error %.0e\n", v->kernel_over, n, GPTQ_KERNEL_REL_MEAN_BOUND);
    if (v->neither)
        printf("NEITHER: the zeros of %zu of %zu layers follow neither v1 nor v2 (mean code - zero %.3f, near "
               "neither 0 nor 1): converted twice? Every weight is a quantization step off whichever convention a "
               "loader assumes\n",
               v->neither, n, v->worst_neither);
    else if (v->mixed_up)
        printf("MIX-UP: checkpoint_format says %s, but the zeros were written as %s: a loader that trusts the "
               "config shifts every weight by one quantization step (served models answer \"!!!!\"); set "
               "checkpoint_format to %s\n",
               zf_name(declared), zf_name(declared == ZEROS_V1 ? ZEROS_V2 : ZEROS_V1),
               zf_name(declared == ZEROS_V1 ? ZEROS_V2 : ZEROS_V1));
    else
        printf("consistent: the zeros follow checkpoint_format %s\n", zf_name(declared));
}

static void print_json(const struct check_args *a, const struct hf_quant_config *q, enum zero_format declared,
                       const struct layer_row *rows, size_t n, const struct verdict *v)
{
    json_t *layers = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct layer_row *r = &rows[i];
        json_t *l = json_pack("{s:s, s:I, s:I, s:f, s:s, s:I, s:f, s:f}", "prefix", r->prefix, "out",
                              (json_int_t)r->out, "in", (json_int_t)r->in, "code_minus_zero", r->c.code_minus_zero,
                              "looks", r->c.looks == LOOKS_V1 ? "gptq" : r->c.looks == LOOKS_V2 ? "gptq_v2"
                                       : r->c.looks == LOOKS_NEITHER ? "neither" : "undecided", "stored_max_zeros",
                              (json_int_t)r->c.stored_max_zeros, "kernel_rel_mean_error", r->c.kernel.rel_mean,
                              "kernel_seconds", r->c.kernel_seconds);
        if (a->original) {
            json_object_set_new(l, "error_declared", json_real(r->c.err_declared));
            json_object_set_new(l, "error_other", json_real(r->c.err_other));
        }
        json_array_append_new(layers, l);
    }
    json_t *doc = json_pack("{s:s, s:s?, s:{s:i, s:i, s:b, s:b, s:s}, s:o, s:{s:I, s:I, s:I, s:I, s:b}}",
                            "checkpoint", a->dir, "original", a->original, "quantization", "bits", q->bits,
                            "group_size", q->group_size, "desc_act", q->desc_act, "sym", q->sym, "checkpoint_format",
                            zf_name(declared), "layers", layers, "verdict", "looks_v1", (json_int_t)v->looks_v1,
                            "looks_v2", (json_int_t)v->looks_v2, "undecided", (json_int_t)v->undecided, "neither",
                            (json_int_t)v->neither, "mixed_up", v->mixed_up);
    char *s = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    puts(s ? s : "{}");
    free(s);
    json_decref(doc);
}

static int check_folder(const struct check_args *a, struct diag *d)
{
    struct hf_quant_config q;
    char origin[1100];
    struct st_model m, o;
    int rc = st_model_open_any(a->dir, &m, d);
    if (rc)
        return rc;
    /* a file's settings are in its folder, as fidrun gptq writes them */
    if (!(rc = read_quant_config(m.dir, &q, origin, sizeof origin, d)) && strcmp(q.method, "gptq") != 0)
        rc = diag_fail(d, FR_USAGE, "%s: quant_method '%s' is not GPTQ", origin, q.method);
    if (!rc && strcmp(q.checkpoint_format, "gptq") && strcmp(q.checkpoint_format, "gptq_v2"))
        rc = diag_fail(d, FR_USAGE, "%s: checkpoint_format '%s' is neither 'gptq' (v1 zeros) nor 'gptq_v2'", origin,
                       q.checkpoint_format);
    int conv1d = 0; /* the original's config says GPT-2: its linears are stored [in, out] */
    if (!rc && a->original)
        rc = st_model_open(a->original, &o, d);
    if (!rc && a->original) {
        struct hf_config oc;
        char oorigin[1100];
        int have;
        struct diag quiet = {0};
        conv1d = !st_model_config(a->original, oorigin, sizeof oorigin, &oc, &have, &quiet) && have &&
                 !strcmp(oc.model_type, "gpt2");
    }
    if (rc) {
        st_model_close(&m);
        return rc;
    }
    enum zero_format declared = strcmp(q.checkpoint_format, "gptq_v2") == 0 ? ZEROS_V2 : ZEROS_V1;
    size_t n = 0;
    struct layer_row *rows = list_layers(&m, a->only, &n);
    if (!rows)
        rc = diag_fail(d, FR_RUNTIME, "out of memory");
    else if (!n)
        rc = diag_fail(d, FR_USAGE, "%s: no GPTQ layers (tensors named <prefix>.qweight)%s", a->dir,
                       a->only ? " match --only" : "");
    for (size_t i = 0; !rc && i < n; i++) {
        struct gptq_packed p = {0};
        float *w = NULL;
        if ((rc = read_layer(&m, rows[i].prefix, declared, &p, d)))
            break;
        rows[i].out = p.out;
        rows[i].in = p.in;
        if (a->original && !(w = read_original(&o, rows[i].prefix, p.out, p.in, conv1d, d)))
            rc = d->code;
        if (!rc)
            rc = gptq_layer_check(&p, declared, w, a->seed, &rows[i].c, d);
        free(w);
        gptq_packed_free(&p);
    }
    if (!rc) {
        struct verdict v = judge(rows, n, declared);
        (a->json ? print_json : print_table)(a, &q, declared, rows, n, &v);
        rc = v.mixed_up || v.neither || v.kernel_over ? FR_CHECK_FAILED : FR_OK;
    }
    free(rows);
    if (a->original)
        st_model_close(&o);
    st_model_close(&m);
    return rc;
}

int gptq_check_main(int argc, char **argv)
{
    struct check_args a;
    struct diag d = {0};
    int rc = parse_args(argc, argv, &a, &d);
    if (!rc)
        rc = check_folder(&a, &d);
    if (rc && d.msg[0])
        fprintf(stderr, "fidrun gptq-check: error: %s\n", d.msg);
    return rc;
}
