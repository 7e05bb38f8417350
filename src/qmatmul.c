#include "qmatmul.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "half.h"

const char *accum_mode_name(enum accum_mode m) { return m == ACCUM_FP16 ? "fp16" : "fp32"; }

/* Outputs per tile: the batch x tile accumulators stay in L1 while every
 * packed word of the tile's columns streams past once. */
static int64_t tile_width(int64_t batch, int64_t out)
{
    int64_t t = 4096 / (batch > 0 ? batch : 1);
    t = t < 16 ? 16 : t > 512 ? 512 : t;
    t -= t % 16;
    return t < out ? t : out;
}

struct unpacked_groups {
    float *scale, *zero; /* groups x out, widened once */
};

static int widen_groups(const struct gptq_packed *p, enum zero_format as, struct unpacked_groups *u)
{
    size_t n = (size_t)(p->groups * p->out);
    u->scale = malloc(n * sizeof *u->scale);
    u->zero = malloc(n * sizeof *u->zero);
    if (!u->scale || !u->zero)
        return -1;
    for (int64_t g = 0; g < p->groups; g++)
        for (int64_t o = 0; o < p->out; o++) {
            u->scale[g * p->out + o] = half_value(p->scales[g * p->out + o]);
            u->zero[g * p->out + o] = (float)gptq_zero(p, as, g, o);
        }
    return 0;
}

/* Codes of input 32 kb + j for the tile's outputs [n0, n0 + nt). */
static inline void extract_codes(const struct gptq_packed *p, int64_t kb, int j, int64_t n0, int64_t nt, float *codes)
{
    int bits = p->bits, bit = j * bits, wi = bit / 32, sh = bit % 32;
    uint32_t mask = (1u << bits) - 1u;
    const uint32_t *w0 = (const uint32_t *)p->qweight + (kb * bits + wi) * p->out + n0;
    if (sh + bits <= 32) {
        for (int64_t n = 0; n < nt; n++)
            codes[n] = (float)((w0[n] >> sh) & mask);
    } else {
        const uint32_t *w1 = w0 + p->out;
        for (int64_t n = 0; n < nt; n++)
            codes[n] = (float)(((w0[n] >> sh) | (w1[n] << (32 - sh))) & mask);
    }
}

static void tile_fp32(const struct gptq_packed *p, const struct unpacked_groups *u, const float *xf, int64_t batch,
                      int64_t n0, int64_t nt, float *acc, float *wv)
{
    memset(acc, 0, (size_t)(batch * nt) * sizeof *acc);
    for (int64_t kb = 0; kb < p->in / 32; kb++)
        for (int j = 0; j < 32; j++) {
            int64_t k = kb * 32 + j, g = p->g_idx[k];
            const float *s = u->scale + g * p->out + n0, *z = u->zero + g * p->out + n0;
            extract_codes(p, kb, j, n0, nt, wv);
            for (int64_t n = 0; n < nt; n++)
                wv[n] = s[n] * (wv[n] - z[n]);
            for (int64_t b = 0; b < batch; b++) {
                float xv = xf[b * p->in + k];
                float *a = acc + b * nt;
                for (int64_t n = 0; n < nt; n++)
                    a[n] += xv * wv[n];
            }
        }
}

static void tile_fp16(const struct gptq_packed *p, const struct unpacked_groups *u, const float *xf, int64_t batch,
                      int64_t n0, int64_t nt, float *acc, float *wv)
{
    _Float16 *acc16 = (_Float16 *)acc; /* batch x nt halves fit in the float tile */
    memset(acc16, 0, (size_t)(batch * nt) * sizeof *acc16);
    for (int64_t kb = 0; kb < p->in / 32; kb++)
        for (int j = 0; j < 32; j++) {
            int64_t k = kb * 32 + j, g = p->g_idx[k];
            const float *s = u->scale + g * p->out + n0, *z = u->zero + g * p->out + n0;
            extract_codes(p, kb, j, n0, nt, wv);
            for (int64_t n = 0; n < nt; n++)
                wv[n] = (float)(_Float16)(s[n] * (wv[n] - z[n]));
            for (int64_t b = 0; b < batch; b++) {
                float xv = xf[b * p->in + k]; /* an fp16 value */
                _Float16 *a = acc16 + b * nt;
                for (int64_t n = 0; n < nt; n++) /* exact sum in double, then one rounding to fp16 */
                    a[n] = (_Float16)((double)a[n] + (double)xv * (double)wv[n]);
            }
        }
    for (int64_t i = batch * nt - 1; i >= 0; i--) /* widen in place, back to front */
        acc[i] = (float)acc16[i];
}

int qmatmul(const struct gptq_packed *p, enum zero_format as, const uint16_t *x, int64_t batch, enum accum_mode mode,
            float *y, struct diag *d)
{
    int64_t nt = tile_width(batch, p->out);
    struct unpacked_groups u = {0};
    float *xf = malloc((size_t)(batch * p->in) * sizeof *xf);
    float *acc = malloc((size_t)(batch * nt) * sizeof *acc), *wv = malloc((size_t)nt * sizeof *wv);
    if (!xf || !acc || !wv || widen_groups(p, as, &u)) {
        free(xf);
        free(acc);
        free(wv);
        free(u.scale);
        free(u.zero);
        return diag_fail(d, FR_RUNTIME, "out of memory for a %lld x %lld dequant-matmul", (long long)batch,
                         (long long)p->out);
    }
    for (int64_t i = 0; i < batch * p->in; i++)
        xf[i] = half_value(x[i]);
    for (int64_t n0 = 0; n0 < p->out; n0 += nt) {
        int64_t w = n0 + nt <= p->out ? nt : p->out - n0;
        if (mode == ACCUM_FP16)
            tile_fp16(p, &u, xf, batch, n0, w, acc, wv);
        else
            tile_fp32(p, &u, xf, batch, n0, w, acc, wv);
        for (int64_t b = 0; b < batch; b++)
            memcpy(y + b * p->out + n0, acc + b * w, (size_t)w * sizeof *y);
    }
    free(xf);
    free(acc);
    free(wv);
    free(u.scale);
    free(u.zero);
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
