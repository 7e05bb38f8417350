#include "cli/gptq.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/gptq_model.h"
#include "config/config.h"
#include "config/schema.h"
#include "core/quant/gptq.h"
#include "core/quant/gptq_pack.h"
#include "core/quant/quant_error.h"
#include "io/activations.h"
#include "io/gptq_file.h"
#include "io/safetensors.h"
#include "io/st_model.h"
#include "run/device.h"
#include "util/clock.h"

#define HELD_OUT_TOKENS 512 /* at most, for the error of the written weights */
#define GPTQ_SAMPLES 128    /* calibration runs, GPTQ's customary count */

static const char usage[] =
    "usage: fidrun gptq --weights W.safetensors|DIR --tensor NAME --out Q.safetensors [options]\n"
    "\n"
    "Quantizes one linear layer (out x in, as nn.Linear stores it; --weights a file, or a\n"
    "model folder whose shards hold it) and writes it in the\n"
    "HuggingFace GPTQ layout (NAME minus '.weight' + .qweight .qzeros .scales .g_idx),\n"
    "with quantize_config.json beside it; prints the error of the written weights.\n"
    "\n"
    "options:\n"
    "  --method gptq|rtn       (default gptq)\n"
    "  --bits 2|3|4|8          (default 4)\n"
    "  --group-size G          columns per group, -1 for whole rows (default 128)\n"
    "  --act-order             GPTQ: columns by decreasing Hessian diagonal (desc_act)\n"
    "  --static-groups         GPTQ: group parameters fixed before the sweep\n"
    "  --sym                   symmetric (zero point 2^(bits-1))\n"
    "  --percdamp F            damping, a fraction of mean(diag H) (default 0.01)\n"
    "  --format gptq|gptq_v2   zero-point convention (default gptq, v1: zero - 1 stored, what\n"
    "                          GPTQModel saves and loaders read; gptq_v2 stores the zero)\n"
    "  --calib X.safetensors   calibration activations, [tokens, in] or [batch, seq, in];\n"
    "                          the last quarter (at most 512 tokens) is held out for the error\n"
    "  --calib-tensor NAME     their tensor (default: the file's only tensor)\n"
    "  --tokens N              without --calib: synthetic tokens (default 2048, seed --seed)\n"
    "  --seed N                (default 1234)\n"
    "  --device auto|cpu|cuda  where GPTQ runs (default cpu, the reference; auto: a GPU when\n"
    "                          one is visible; cuda without one exits 3)\n"
    "exit codes: 0 written, 2 bad input (file, tensor, shape, dtype, NaN), 3 runtime error\n";

struct gptq_args {
    const char *weights, *tensor, *out, *calib, *calib_tensor;
    struct quant_spec spec;
    int method; /* 0 rtn, 1 gptq */
    enum zero_format format;
    int64_t tokens, seed;
    int device; /* enum device_kind */
};

static int take(int argc, char **argv, int *i, const char **v, struct diag *d)
{
    if (*i + 1 >= argc)
        return diag_fail(d, FR_USAGE, "%s needs a value (see fidrun gptq --help)", argv[*i]);
    *v = argv[++*i];
    return FR_OK;
}

static int take_int(int argc, char **argv, int *i, int64_t lo, int64_t hi, int64_t *out, struct diag *d)
{
    const char *v = NULL, *opt = argv[*i];
    int overflow;
    if (take(argc, argv, i, &v, d))
        return FR_USAGE;
    if (parse_int64(v, out, &overflow) || *out < lo || *out > hi)
        return diag_fail(d, FR_USAGE, "%s: expected an integer in [%lld, %lld], found '%s'", opt, (long long)lo,
                         (long long)hi, v);
    return FR_OK;
}

static int parse_args(int argc, char **argv, struct gptq_args *a, struct diag *d)
{
    *a = (struct gptq_args){.spec = {.bits = 4, .group_size = 128, .percdamp = 0.01, .block_size = 128},
                            .method = 1, .format = ZEROS_V1, .tokens = 2048, .seed = 1234, .device = DEVICE_CPU};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = NULL;
        int64_t n;
        int rc = FR_OK, overflow;
        if (!strcmp(o, "--weights"))
            rc = take(argc, argv, &i, &a->weights, d);
        else if (!strcmp(o, "--tensor"))
            rc = take(argc, argv, &i, &a->tensor, d);
        else if (!strcmp(o, "--out"))
            rc = take(argc, argv, &i, &a->out, d);
        else if (!strcmp(o, "--calib"))
            rc = take(argc, argv, &i, &a->calib, d);
        else if (!strcmp(o, "--calib-tensor"))
            rc = take(argc, argv, &i, &a->calib_tensor, d);
        else if (!strcmp(o, "--act-order"))
            a->spec.act_order = 1;
        else if (!strcmp(o, "--static-groups"))
            a->spec.static_groups = 1;
        else if (!strcmp(o, "--sym"))
            a->spec.sym = 1;
        else if (!strcmp(o, "--bits")) {
            if (!(rc = take_int(argc, argv, &i, 2, 8, &n, d)) && n != 5 && n != 6 && n != 7)
                a->spec.bits = (int)n;
            else if (!rc)
                rc = diag_fail(d, FR_USAGE, "--bits: expected 2, 3, 4 or 8, found %lld", (long long)n);
        } else if (!strcmp(o, "--group-size")) {
            if (!(rc = take_int(argc, argv, &i, -1, 1 << 20, &a->spec.group_size, d)) && a->spec.group_size == 0)
                rc = diag_fail(d, FR_USAGE, "--group-size: expected -1 (whole rows) or a positive size, found 0");
        } else if (!strcmp(o, "--tokens"))
            rc = take_int(argc, argv, &i, 2, 1 << 24, &a->tokens, d);
        else if (!strcmp(o, "--seed"))
            rc = take_int(argc, argv, &i, 0, INT64_MAX, &a->seed, d);
        else if (!strcmp(o, "--device")) {
            if (!(rc = take(argc, argv, &i, &v, d))) {
                a->device = !strcmp(v, "cpu") ? DEVICE_CPU : !strcmp(v, "auto") ? DEVICE_AUTO
                            : !strcmp(v, "cuda")                          ? DEVICE_CUDA
                                                                          : -1;
                if (a->device < 0)
                    rc = diag_fail(d, FR_USAGE, "--device: expected auto, cpu or cuda, found '%s'", v);
            }
        }
        else if (!strcmp(o, "--percdamp")) {
            if (!(rc = take(argc, argv, &i, &v, d)) &&
                (parse_real(v, &a->spec.percdamp, &overflow) || !(a->spec.percdamp > 0)))
                rc = diag_fail(d, FR_USAGE, "--percdamp: expected a positive number, found '%s'", v);
        } else if (!strcmp(o, "--method")) {
            if (!(rc = take(argc, argv, &i, &v, d))) {
                if (!strcmp(v, "gptq") || !strcmp(v, "rtn"))
                    a->method = !strcmp(v, "gptq");
                else
                    rc = diag_fail(d, FR_USAGE, "--method: expected gptq or rtn, found '%s'", v);
            }
        } else if (!strcmp(o, "--format")) {
            if (!(rc = take(argc, argv, &i, &v, d))) {
                if (!strcmp(v, "gptq") || !strcmp(v, "v1"))
                    a->format = ZEROS_V1;
                else if (!strcmp(v, "gptq_v2") || !strcmp(v, "v2"))
                    a->format = ZEROS_V2;
                else
                    rc = diag_fail(d, FR_USAGE, "--format: expected gptq (v1) or gptq_v2, found '%s'", v);
            }
        } else
            rc = diag_fail(d, FR_USAGE, "unknown option '%s' (see fidrun gptq --help)", o);
        if (rc)
            return rc;
    }
    if (!a->weights || !a->tensor || !a->out)
        return diag_fail(d, FR_USAGE, "fidrun gptq needs --weights, --tensor and --out (see fidrun gptq --help)");
    return FR_OK;
}

/* The named 2-D floating tensor as float32, checked for NaN/Inf. */
static int load_weight(const struct gptq_args *a, float **w, int64_t *out, int64_t *in, struct diag *d)
{
    struct st_model m;
    int rc = st_model_open_any(a->weights, &m, d);
    if (rc)
        return rc;
    const struct st_file *shard = NULL;
    const struct st_tensor *t = st_model_find(&m, a->tensor, &shard);
    if (!t) {
        const char *names[4096];
        size_t n = 0, total = 0;
        for (size_t s = 0; s < m.nshards; s++)
            for (size_t i = 0; i < m.shards[s].n; i++, total++)
                if (n < 4096)
                    names[n++] = m.shards[s].tensors[i].name;
        char with_weight[300]; /* "...q_proj" for "...q_proj.weight" */
        snprintf(with_weight, sizeof with_weight, "%s.weight", a->tensor);
        const char *near = st_model_find(&m, with_weight, NULL) ? with_weight : closest_name(a->tensor, names, n);
        rc = diag_fail(d, FR_USAGE, "%s: no tensor named '%s'%s%s%s (it has %zu tensors)", a->weights,
                       a->tensor, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "", total);
    } else if (t->ndim != 2) {
        rc = diag_fail(d, FR_USAGE, "%s: tensor '%s' has %d dimensions; a linear weight [out, in] has 2", a->weights,
                       a->tensor, t->ndim);
    } else if (!(*w = malloc((size_t)t->numel * sizeof **w))) {
        rc = diag_fail(d, FR_RUNTIME, "out of memory for '%s'", a->tensor);
    } else if (!(rc = st_to_f32(shard, t, *w, d))) { /* non-finite values are refused there, by row and column */
        *out = t->shape[0];
        *in = t->shape[1];
    }
    if (rc && t) {
        free(*w);
        *w = NULL;
    }
    st_model_close(&m);
    return rc;
}

static int load_calibration(const struct gptq_args *a, int64_t in, struct activation_sets *sets, struct diag *d)
{
    if (!a->calib) {
        struct synthetic_activations sa = {.factors = 16, .correlation = 0.8, .outliers = 8, .outlier_min = 10,
                                           .outlier_max = 100};
        return activation_sets_synthetic(&sa, (uint64_t)a->seed, in, a->tokens, HELD_OUT_TOKENS, sets, d);
    }
    char only[256];
    const char *tensor = a->calib_tensor;
    if (!tensor) {
        struct st_file f;
        int rc = st_open(a->calib, &f, d);
        if (rc)
            return rc;
        if (f.n != 1) {
            rc = diag_fail(d, FR_USAGE, "%s holds %zu tensors; name the activations with --calib-tensor", a->calib,
                           f.n);
            st_close(&f);
            return rc;
        }
        snprintf(only, sizeof only, "%s", f.tensors[0].name);
        tensor = only;
        st_close(&f);
    }
    return activation_sets_from_file(a->calib, tensor, in, HELD_OUT_TOKENS, sets, d);
}

static void layer_prefix(const char *tensor, char *buf, size_t size)
{
    size_t n = strlen(tensor);
    if (n > 7 && !strcmp(tensor + n - 7, ".weight"))
        n -= 7;
    snprintf(buf, size, "%.*s", (int)n, tensor);
}

static int quantize_layer(const struct gptq_args *a, const struct backend *be, float *w, int64_t out, int64_t in,
                          const float *x, int64_t ncalib, struct quantized *qz, double *seconds, struct diag *d)
{
    double t0 = now_seconds();
    if (!a->method) {
        int rc = rtn_quantize(w, out, in, &a->spec, qz, d);
        *seconds = now_seconds() - t0;
        return rc;
    }
    double hs, qs;
    int rc = be->gptq_layer(w, out, in, x, ncalib, GPTQ_SAMPLES, &a->spec, qz, &hs, &qs, d);
    *seconds = now_seconds() - t0;
    if (!rc)
        printf("GPTQ on %s: Hessian %.3f s · quantization %.3f s\n", be->name, hs, qs);
    return rc;
}

static int report(const struct gptq_args *a, const char *prefix, const float *w, int64_t out, int64_t in,
                  const float *held, int64_t nheld, const struct quantized *qz, double seconds, int64_t wrapped,
                  struct diag *d)
{
    struct gptq_packed back;
    struct gptq_file_info info;
    struct quantized unpacked;
    int rc = gptq_file_read(a->out, prefix, -1, &back, &info, d);
    if (rc)
        return rc;
    if ((rc = gptq_unpack(&back, info.format, &unpacked, d))) {
        gptq_packed_free(&back);
        return rc;
    }
    float *wq = malloc((size_t)(out * in) * sizeof *wq);
    struct quant_error e;
    if (wq)
        quantized_dequantize(&unpacked, wq);
    if (!wq || quant_error_compute(w, wq, out, in, held, nheld, &e)) {
        free(wq);
        quantized_free(&unpacked);
        gptq_packed_free(&back);
        return diag_fail(d, FR_RUNTIME, "out of memory measuring the error");
    }
    int exact = !memcmp(unpacked.q, qz->q, (size_t)(out * in) * sizeof *qz->q);
    int64_t suspicious;
    enum zero_diagnosis zd = gptq_zero_diagnose(&back, info.format, a->spec.sym, &suspicious);
    printf("%s: %s %d-bit, group %lld%s%s, %s zeros · %lld x %lld · %.2fs\n", a->out, a->method ? "GPTQ" : "RTN",
           a->spec.bits, (long long)a->spec.group_size, a->spec.act_order ? ", act-order" : "",
           a->spec.sym ? ", sym" : "", zero_format_name(a->format), (long long)out, (long long)in, seconds);
    printf("  relative output error %.4e · SQNR %.2f dB · weight MSE %.3e · max |w - w'| %.3e · max |y - y'| %.3e "
           "(%lld held-out tokens)\n",
           e.rel_out_err, e.sqnr_db, e.weight_mse, e.max_abs_w_err, e.max_abs_out_err, (long long)nheld);
    printf("  NaN %lld · Inf %lld · GPTQ loss %.4g · damping %.3g%s · read back %s\n", (long long)e.nan_count,
           (long long)e.inf_count, qz->loss, qz->damp, qz->damp_retries ? " (raised after a failed Cholesky)" : "",
           exact ? "bit-exact" : "DIFFERENT");
    if (wrapped)
        printf("  warning: %lld zero points of 0 wrap to %d in v1 and read back as %d: use --format gptq_v2\n",
               (long long)wrapped, (1 << a->spec.bits) - 1, 1 << a->spec.bits);
    if (zd != ZD_CONSISTENT)
        printf("  warning: %s (%lld zero points)\n", zero_diagnosis_text(zd), (long long)suspicious);
    free(wq);
    quantized_free(&unpacked);
    gptq_packed_free(&back);
    return exact && !e.nan_count && !e.inf_count ? FR_OK : FR_CHECK_FAILED;
}

int gptq_main(int argc, char **argv)
{
    struct gptq_args a;
    struct diag d = {0};
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            fputs("\nA whole checkpoint:\n\n", stdout);
            fputs(gptq_model_usage, stdout);
            return FR_OK;
        }
    float *w = NULL;
    struct activation_sets acts = {0};
    int64_t out = 0, in = 0, wrapped = 0;
    double seconds = 0;
    struct quantized qz = {0};
    struct gptq_packed p = {0};
    char prefix[256];
    int rc = parse_args(argc, argv, &a, &d);
    if (!rc)
        rc = load_weight(&a, &w, &out, &in, &d);
    if (!rc && (rc = quant_spec_check(&a.spec, in, &d)) == FR_OK)
        rc = gptq_pack_check_shape(a.spec.bits, out, in, &d);
    if (rc && w && d.code == FR_USAGE) { /* name the tensor the shape belongs to */
        char msg[sizeof d.msg];
        snprintf(msg, sizeof msg, "%s", d.msg);
        diag_fail(&d, FR_USAGE, "%s: tensor '%s' [%lld, %lld]: %s", a.weights, a.tensor, (long long)out,
                  (long long)in, msg);
    }
    if (!rc)
        rc = load_calibration(&a, in, &acts, &d);
    struct device_choice dev = {0};
    if (!rc)
        rc = device_select(a.device, 0, &dev, &d);
    if (!rc)
        rc = quantize_layer(&a, dev.backend, w, out, in, acts.calib, acts.ncalib, &qz, &seconds, &d);
    if (dev.backend)
        device_release(&dev);
    if (!rc)
        rc = gptq_pack(&qz, a.format, &p, &wrapped, &d);
    if (!rc) {
        struct gptq_file_info info = {.bits = a.spec.bits, .group_size = a.spec.group_size,
                                      .desc_act = a.spec.act_order, .sym = a.spec.sym,
                                      .static_groups = a.spec.static_groups, .damp_percent = a.spec.percdamp,
                                      .format = a.format};
        layer_prefix(a.tensor, prefix, sizeof prefix);
        rc = gptq_file_write(a.out, prefix, &p, &info, 1, &d);
    }
    if (!rc)
        rc = report(&a, prefix, w, out, in, acts.held, acts.nheld, &qz, seconds, wrapped, &d);
    if (rc && rc != FR_CHECK_FAILED)
        fprintf(stderr, "fidrun: error: %s\n", d.msg);
    free(w);
    activation_sets_free(&acts);
    quantized_free(&qz);
    gptq_packed_free(&p);
    return rc;
}
