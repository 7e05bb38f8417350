#include "qmatmul.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "half.h"
#include "qmatmul_impl.h"

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

int qmatmul(const struct gptq_packed *p, enum zero_format as, const uint16_t *x, int64_t batch, enum accum_mode mode,
            float *y, struct diag *d)
{
    int64_t nt = tile_width(batch, p->out);
    struct qmm_tile t = {.qweight = (const uint32_t *)p->qweight, .g_idx = p->g_idx, .out = p->out, .in = p->in,
                         .groups = p->groups, .batch = batch, .bits = p->bits,
                         .group_size = mode == ACCUM_FP32 ? contiguous_groups(p) : 0};
    float *scale = malloc((size_t)(p->groups * p->out) * sizeof *scale);
    float *zero = malloc((size_t)(p->groups * p->out) * sizeof *zero);
    float *xf = malloc((size_t)(batch * p->in) * sizeof *xf);
    float *xsum = calloc((size_t)(batch * p->groups), sizeof *xsum);
    float *acc = malloc((size_t)(2 * batch * nt + 16 * nt) * sizeof *acc);
    if (!scale || !zero || !xf || !xsum || !acc) {
        free(scale);
        free(zero);
        free(xf);
        free(xsum);
        free(acc);
        return diag_fail(d, FR_RUNTIME, "out of memory for a %lld x %lld dequant-matmul", (long long)batch,
                         (long long)p->out);
    }
    for (int64_t g = 0; g < p->groups; g++)
        for (int64_t n = 0; n < p->out; n++) {
            scale[g * p->out + n] = half_value(p->scales[g * p->out + n]);
            zero[g * p->out + n] = (float)gptq_zero(p, as, g, n);
        }
    for (int64_t b = 0; b < batch; b++)
        for (int64_t k = 0; k < p->in; k++) {
            xf[b * p->in + k] = half_value(x[b * p->in + k]);
            xsum[b * p->groups + p->g_idx[k]] += xf[b * p->in + k];
        }
    t.scale = scale;
    t.zero = zero;
    t.x = xf;
    t.xsum = xsum;
    t.acc = acc;
    t.part = acc + batch * nt;
    t.codes = acc + 2 * batch * nt;
    tile_fn fp32, fp16;
    pick_tiles(&fp32, &fp16);
    for (t.n0 = 0; t.n0 < p->out; t.n0 += nt) {
        t.nt = t.n0 + nt <= p->out ? nt : p->out - t.n0;
        (mode == ACCUM_FP16 ? fp16 : fp32)(&t);
        for (int64_t b = 0; b < batch; b++)
            memcpy(y + b * p->out + t.n0, acc + b * t.nt, (size_t)t.nt * sizeof *y);
    }
    free(scale);
    free(zero);
    free(xf);
    free(xsum);
    free(acc);
    return FR_OK;
}

void qmatmul_reference(const double *w, int64_t out, int64_t in, const uint16_t *x, int64_t batch, double *y)
{
    double *xd = malloc((size_t)(batch * in) * sizeof *xd);
    if (!xd) {
        for (int64_t i = 0; i < batch * out; i++)
            y[i] = NAN;
        return;
    }
    for (int64_t i = 0; i < batch * in; i++)
        xd[i] = (double)half_value(x[i]);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)out, (int)in, 1.0, xd, (int)in, w, (int)in,
                0.0, y, (int)out);
    free(xd);
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
