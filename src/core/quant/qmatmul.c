#include "core/quant/qmatmul.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/quant/qmatmul_impl.h"

const char *accum_mode_name(enum accum_mode m) { return m == ACCUM_FP16 ? "fp16" : "fp32"; }

/* Outputs per tile. Batch 1 takes whole rows of packed words (one
 * sequential stream, partial sums in L1/L2); larger batches keep their
 * batch x tile partial sums near 32 KiB. Measured on a Zen 3 core. */
static int64_t tile_width(int64_t batch, int64_t out)
{
    int64_t t = batch <= 1 ? 16384 : 8192 / batch;
    t = t < 256 ? 256 : t;
    t -= t % 32;
    return t < out ? t : out;
}

typedef void (*tile_fn)(const struct qmm_tile *);

/* The AVX2+FMA+F16C build where the CPU has them (same results). */
static void pick_tiles(tile_fn *fp32, tile_fn *fp16)
{
    *fp32 = qmm_tile_fp32_base;
    *fp16 = qmm_tile_fp16_base;
#if defined(__x86_64__) && defined(FIDRUN_QMM_V3)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) {
        *fp32 = qmm_tile_fp32_v3;
        *fp16 = qmm_tile_fp16_v3;
    }
#endif
}

const char *qmatmul_isa(void)
{
    tile_fn a, b;
    pick_tiles(&a, &b);
    return a == qmm_tile_fp32_base ? "baseline" : "avx2+fma+f16c";
}

/* group_size when g_idx[k] == k / group_size with whole 32-column words per
 * group (the layout without act-order), else 0. */
static int64_t contiguous_groups(const struct gptq_packed *p)
{
    if (p->in % p->groups)
        return 0;
    int64_t gs = p->in / p->groups;
    if (gs % 32)
        return 0;
    for (int64_t k = 0; k < p->in; k++)
        if (p->g_idx[k] != k / gs)
            return 0;
    return gs;
}

/* Columns sorted by group (stable), when the groups are scattered but
 * equal-sized: the layout act-order GPTQ leaves. */
static int reorder_by_group(const struct gptq_packed *p, struct qmm_layer *L)
{
    int64_t gs = p->in / p->groups;
    if (p->in % p->groups || gs % 32)
        return 0;
    int64_t *count = calloc((size_t)p->groups + 1, sizeof *count);
    if (!count)
        return -1;
    for (int64_t k = 0; k < p->in; k++)
        count[p->g_idx[k] + 1]++;
    for (int64_t g = 0; g < p->groups; g++)
        if (count[g + 1] != gs) {
            free(count);
            return 0;
        }
    for (int64_t g = 0; g < p->groups; g++)
        count[g + 1] += count[g];
    L->perm = malloc((size_t)p->in * sizeof *L->perm);
    if (!L->perm || gptq_packed_alloc(&L->sorted, p->bits, p->out, p->in, p->groups)) {
        free(count);
        return -1;
    }
    for (int64_t k = 0; k < p->in; k++)
        L->perm[count[p->g_idx[k]]++] = (int32_t)k;
    free(count);
    int32_t *codes = malloc((size_t)(2 * p->in) * sizeof *codes);
    if (!codes)
        return -1;
    for (int64_t i = 0; i < p->in; i++)
        L->sorted.g_idx[i] = p->g_idx[L->perm[i]];
    for (int64_t n = 0; n < p->out; n++) {
        packed_read_stream(p->qweight + n, p->out, p->bits, codes, p->in);
        for (int64_t i = 0; i < p->in; i++)
            codes[p->in + i] = codes[L->perm[i]];
        packed_write_stream(L->sorted.qweight + n, p->out, p->bits, codes + p->in, p->in);
    }
    free(codes);
    L->p = &L->sorted;
    return 0;
}

int qmatmul_prepare(const struct gptq_packed *p, enum zero_format as, struct qmm_layer *L, struct diag *d)
{
    *L = (struct qmm_layer){.p = p};
    size_t n = (size_t)(p->groups * p->out);
    L->scale = malloc(n * sizeof *L->scale);
    L->zero = malloc(n * sizeof *L->zero);
    if (!L->scale || !L->zero || (!contiguous_groups(p) && reorder_by_group(p, L))) {
        qmatmul_release(L);
        return diag_fail(d, FR_RUNTIME, "out of memory preparing a %lld x %lld layer", (long long)p->out,
                         (long long)p->in);
    }
    L->group_size = contiguous_groups(L->p);
    for (int64_t g = 0; g < p->groups; g++)
        for (int64_t o = 0; o < p->out; o++) {
            L->scale[g * p->out + o] = half_value(p->scales[g * p->out + o]);
            L->zero[g * p->out + o] = (float)gptq_zero(p, as, g, o);
        }
    return FR_OK;
}

void qmatmul_release(struct qmm_layer *L)
{
    gptq_packed_free(&L->sorted);
    free(L->perm);
    free(L->scale);
    free(L->zero);
    *L = (struct qmm_layer){0};
}

static int run_with(const struct qmm_layer *L, const uint16_t *x, int64_t batch, enum accum_mode mode, float *y,
                    tile_fn fp32, tile_fn fp16, struct diag *d)
{
    const struct gptq_packed *p = L->p;
    int64_t nt = tile_width(batch, p->out);
    struct qmm_tile t = {.qweight = (const uint32_t *)p->qweight, .g_idx = p->g_idx, .scale = L->scale,
                         .zero = L->zero, .out = p->out, .in = p->in, .groups = p->groups, .batch = batch,
                         .bits = p->bits, .group_size = mode == ACCUM_FP32 ? L->group_size : 0};
    float *xf = malloc((size_t)(batch * p->in) * sizeof *xf);
    float *xsum = calloc((size_t)(batch * p->groups), sizeof *xsum);
    float *acc = malloc((size_t)(2 * batch * nt + nt) * sizeof *acc);
    if (!xf || !xsum || !acc) {
        free(xf);
        free(xsum);
        free(acc);
        return diag_fail(d, FR_RUNTIME, "out of memory for a %lld x %lld dequant-matmul", (long long)batch,
                         (long long)p->out);
    }
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < p->in; i++) {
            int64_t k = L->perm ? L->perm[i] : i; /* inputs in the layer's (sorted) column order */
            xf[b * p->in + i] = half_value(x[b * p->in + k]);
            xsum[b * p->groups + p->g_idx[i]] += xf[b * p->in + i];
        }
    t.x = xf;
    t.xsum = xsum;
    t.acc = acc;
    t.part = acc + batch * nt;
    t.codes = acc + 2 * batch * nt;
    for (t.n0 = 0; t.n0 < p->out; t.n0 += nt) {
        t.nt = t.n0 + nt <= p->out ? nt : p->out - t.n0;
        (mode == ACCUM_FP16 ? fp16 : fp32)(&t);
        for (int64_t b = 0; b < batch; b++)
            memcpy(y + b * p->out + t.n0, acc + b * t.nt, (size_t)t.nt * sizeof *y);
    }
    free(xf);
    free(xsum);
    free(acc);
    return FR_OK;
}

int qmatmul_run(const struct qmm_layer *L, const uint16_t *x, int64_t batch, enum accum_mode mode, float *y,
                struct diag *d)
{
    tile_fn fp32, fp16;
    pick_tiles(&fp32, &fp16);
    return run_with(L, x, batch, mode, y, fp32, fp16, d);
}

int qmatmul_run_baseline(const struct qmm_layer *L, const uint16_t *x, int64_t batch, enum accum_mode mode, float *y,
                         struct diag *d)
{
    return run_with(L, x, batch, mode, y, qmm_tile_fp32_base, qmm_tile_fp16_base, d);
}

int qmatmul(const struct gptq_packed *p, enum zero_format as, const uint16_t *x, int64_t batch, enum accum_mode mode,
            float *y, struct diag *d)
{
    struct qmm_layer L;
    int rc = qmatmul_prepare(p, as, &L, d);
    if (!rc)
        rc = qmatmul_run(&L, x, batch, mode, y, d);
    qmatmul_release(&L);
    return rc;
}

/* Rows of W dequantized in float64 per block, so the reference needs
 * O(block x in) doubles beside the unpacked codes even for 16384 x 16384
 * layers. */
#define REFERENCE_ROWS 256

int qmatmul_reference(const struct gptq_packed *p, enum zero_format as, const uint16_t *x, int64_t batch, double *y,
                      struct diag *d)
{
    int64_t in = p->in, rows = REFERENCE_ROWS < p->out ? REFERENCE_ROWS : p->out;
    double *xd = malloc((size_t)(batch * in) * sizeof *xd), *w = malloc((size_t)(rows * in) * sizeof *w);
    if (!xd || !w) {
        free(xd);
        free(w);
        return diag_fail(d, FR_RUNTIME, "out of memory for the fp64 reference of a %lld x %lld layer",
                         (long long)p->out, (long long)in);
    }
    for (int64_t i = 0; i < batch * in; i++)
        xd[i] = (double)half_value(x[i]);
    struct quantized u;
    int rc = gptq_unpack(p, as, &u, d);
    if (rc) {
        free(xd);
        free(w);
        return rc;
    }
    for (int64_t n0 = 0; n0 < p->out; n0 += rows) {
        int64_t nr = n0 + rows <= p->out ? rows : p->out - n0;
        for (int64_t n = 0; n < nr; n++)
            for (int64_t k = 0; k < in; k++)
                w[n * in + k] = quantized_value_f64(&u, n0 + n, k);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)nr, (int)in, 1.0, xd, (int)in, w,
                    (int)in, 0.0, y + n0, (int)p->out);
    }
    quantized_free(&u);
    free(xd);
    free(w);
    return FR_OK;
}

void kernel_error_compute(const float *y, const double *ref, int64_t count, struct kernel_error *e)
{
    double max_abs = 0, sum_diff = 0, sum_ref = 0, ref_max = 0;
    for (int64_t i = 0; i < count; i++) {
        double diff = fabs((double)y[i] - ref[i]);
        if (isnan(diff) || diff > max_abs) /* a NaN stays */
            max_abs = diff;
        sum_diff += diff;
        sum_ref += fabs(ref[i]);
        ref_max = fmax(ref_max, fabs(ref[i]));
    }
    e->max_abs = max_abs;
    e->rel_mean = sum_ref > 0 ? sum_diff / sum_ref : sum_diff;
    e->ref_max_abs = ref_max;
}
