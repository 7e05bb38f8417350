/* Built as the _base variant from the normal source list, and again with
 * -DQMM_SUFFIX=_v3 -mavx2 -mfma -mf16c by the Makefile on x86-64. */
#include <string.h>

#include "core/half.h"
#include "core/quant/qmatmul_impl.h"

#ifdef __F16C__
#include <immintrin.h>
#endif

#ifndef QMM_SUFFIX
#define QMM_SUFFIX _base
#endif
#define QMM_CAT2(a, b) a##b
#define QMM_CAT(a, b) QMM_CAT2(a, b)
#define QMM_NAME(n) QMM_CAT(n, QMM_SUFFIX)

/* GCC vector extensions: eight lanes, lowered to AVX2 or to SSE pairs. */
typedef uint32_t v8u __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef float v8f __attribute__((vector_size(32)));

/* Codes of input k (as floats) for the tile's outputs. */
static inline void extract(const struct qmm_tile *t, int64_t k, float *restrict codes)
{
    int bits = t->bits;
    int64_t bit = k * bits;
    int sh = (int)(bit % 32);
    uint32_t mask = (1u << bits) - 1u;
    const uint32_t *restrict w0 = t->qweight + (bit / 32) * t->out + t->n0;
    if (sh + bits <= 32) {
        for (int64_t n = 0; n < t->nt; n++)
            codes[n] = (float)(int32_t)((w0[n] >> sh) & mask); /* codes < 2^8: signed conversion */
    } else {
        const uint32_t *restrict w1 = w0 + t->out;
        for (int64_t n = 0; n < t->nt; n++)
            codes[n] = (float)(int32_t)(((w0[n] >> sh) | (w1[n] << (32 - sh))) & mask);
    }
}

static inline void axpy(float *restrict y, float a, const float *restrict x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] += a * x[i];
}

/* GEMV (batch 1): one row of packed words (inputs k .. k + 32/bits - 1,
 * bits 2, 4 or 8) into the group's partial sums, in the same order as
 * extract + axpy. Each word is loaded once and its codes accumulated in a
 * register. */
static inline void word_row(const struct qmm_tile *t, int64_t k)
{
    int bits = t->bits, per = 32 / bits;
    uint32_t mask = (1u << bits) - 1u;
    int64_t nt = t->nt;
    const uint32_t *restrict w = t->qweight + (k / per) * t->out + t->n0;
    float *restrict p = t->part;
    const float *restrict x = t->x + k;
    int64_t n = 0;
    for (; n + 32 <= nt; n += 32) { /* four independent chains hide the add latency */
        v8u w0, w1, w2, w3;
        v8f a0, a1, a2, a3;
        memcpy(&w0, w + n, 32);
        memcpy(&w1, w + n + 8, 32);
        memcpy(&w2, w + n + 16, 32);
        memcpy(&w3, w + n + 24, 32);
        memcpy(&a0, p + n, 32);
        memcpy(&a1, p + n + 8, 32);
        memcpy(&a2, p + n + 16, 32);
        memcpy(&a3, p + n + 24, 32);
        for (int j = 0; j < per; j++) {
            unsigned sh = (unsigned)(j * bits);
            float xv = x[j];
            a0 += xv * __builtin_convertvector((v8i)((w0 >> sh) & mask), v8f);
            a1 += xv * __builtin_convertvector((v8i)((w1 >> sh) & mask), v8f);
            a2 += xv * __builtin_convertvector((v8i)((w2 >> sh) & mask), v8f);
            a3 += xv * __builtin_convertvector((v8i)((w3 >> sh) & mask), v8f);
        }
        memcpy(p + n, &a0, 32);
        memcpy(p + n + 8, &a1, 32);
        memcpy(p + n + 16, &a2, 32);
        memcpy(p + n + 24, &a3, 32);
    }
    for (; n < nt; n++)
        for (int j = 0; j < per; j++)
            p[n] += x[j] * (float)(int32_t)((w[n] >> (j * bits)) & mask);
}

/* One group's partial sums for 16 outputs (n .. n+15) and NB inputs of the
 * batch (b ..), kept in registers while the group's packed words go past:
 * per word, each code is shifted out, converted and multiplied into the
 * sums. The same additions in the same order as word_row, so the results
 * are identical; this order just keeps the sums out of memory, with up to
 * eight independent chains. NB is a constant after inlining. */
static inline __attribute__((always_inline)) void group_block(const struct qmm_tile *t, int64_t g, int64_t n,
                                                              int64_t b, const int NB, v8f sums[2][4])
{
    int bits = t->bits, per = 32 / bits;
    const uint32_t m = (1u << bits) - 1u;
    const v8u mask = {m, m, m, m, m, m, m, m};
    v8f acc[2][4];
    for (int h = 0; h < 2; h++)
        for (int i = 0; i < NB; i++)
            acc[h][i] = (v8f){0};
    const float *x = t->x + b * t->in;
    const uint32_t *w = t->qweight + t->n0 + n;
    for (int64_t k = g * t->group_size; k < (g + 1) * t->group_size; k += per) {
        v8u w0, w1;
        memcpy(&w0, w + (k / per) * t->out, sizeof w0);
        memcpy(&w1, w + (k / per) * t->out + 8, sizeof w1);
        for (int j = 0; j < per; j++) {
            unsigned sh = (unsigned)(j * bits);
            v8f c0 = __builtin_convertvector((v8i)((w0 >> sh) & mask), v8f);
            v8f c1 = __builtin_convertvector((v8i)((w1 >> sh) & mask), v8f);
            for (int i = 0; i < NB; i++) {
                float xv = x[i * t->in + k + j];
                acc[0][i] += xv * c0;
                acc[1][i] += xv * c1;
            }
        }
    }
    for (int h = 0; h < 2; h++)
        for (int i = 0; i < NB; i++)
            sums[h][i] = acc[h][i];
}

/* Batches of 2 and more, groups contiguous, bits 2, 4 or 8. */
static void tile_fp32_batched(const struct qmm_tile *t)
{
    int64_t nt = t->nt, n16 = nt - nt % 16;
    for (int64_t g = 0; g < t->groups; g++) {
        const float *restrict s = t->scale + g * t->out + t->n0, *restrict z = t->zero + g * t->out + t->n0;
        for (int64_t n = 0; n < n16; n += 16)
            for (int64_t b = 0; b < t->batch; b += 4) {
                int nb = t->batch - b < 4 ? (int)(t->batch - b) : 4;
                v8f sums[2][4];
                switch (nb) {
                case 1: group_block(t, g, n, b, 1, sums); break;
                case 2: group_block(t, g, n, b, 2, sums); break;
                case 3: group_block(t, g, n, b, 3, sums); break;
                default: group_block(t, g, n, b, 4, sums); break;
                }
                for (int h = 0; h < 2; h++) {
                    v8f sv, zv;
                    memcpy(&sv, s + n + 8 * h, sizeof sv);
                    memcpy(&zv, z + n + 8 * h, sizeof zv);
                    for (int i = 0; i < nb; i++) {
                        float xs = t->xsum[(b + i) * t->groups + g];
                        float *a = t->acc + (b + i) * nt + n + 8 * h;
                        v8f av;
                        memcpy(&av, a, sizeof av);
                        av += sv * (sums[h][i] - zv * xs);
                        memcpy(a, &av, sizeof av);
                    }
                }
            }
        for (int64_t n = n16; n < nt; n++) /* the last few outputs, one at a time */
            for (int64_t b = 0; b < t->batch; b++) {
                float p = 0;
                for (int64_t k = g * t->group_size; k < (g + 1) * t->group_size; k++)
                    p += t->x[b * t->in + k] *
                         (float)(int32_t)((t->qweight[(k * t->bits / 32) * t->out + t->n0 + n] >> (k * t->bits % 32)) &
                                          ((1u << t->bits) - 1u));
                t->acc[b * nt + n] += s[n] * (p - z[n] * t->xsum[b * t->groups + g]);
            }
    }
}

/* fp32, contiguous groups: per group the integer codes are summed against x
 * and scale (sum x q - zero sum x) is added once. Other g_idx: each weight
 * is dequantized, scale (q - zero), before its product. */
void QMM_NAME(qmm_tile_fp32)(const struct qmm_tile *t)
{
    int64_t nt = t->nt, batch = t->batch;
    float *restrict codes = t->codes;
    memset(t->acc, 0, (size_t)(batch * nt) * sizeof *t->acc);
    if (t->group_size > 0 && batch > 1 && t->bits != 3) {
        tile_fp32_batched(t);
        return;
    }
    if (t->group_size > 0) {
        for (int64_t g = 0; g < t->groups; g++) {
            memset(t->part, 0, (size_t)(batch * nt) * sizeof *t->part);
            int64_t k0 = g * t->group_size, k1 = k0 + t->group_size;
            if (t->bits == 3)
                for (int64_t k = k0; k < k1; k++) {
                    extract(t, k, codes);
                    for (int64_t b = 0; b < batch; b++)
                        axpy(t->part + b * nt, t->x[b * t->in + k], codes, nt);
                }
            else /* batch 1 here: larger batches went to tile_fp32_batched */
                for (int64_t k = k0; k < k1; k += 32 / t->bits)
                    word_row(t, k);
            const float *restrict s = t->scale + g * t->out + t->n0, *restrict z = t->zero + g * t->out + t->n0;
            for (int64_t b = 0; b < batch; b++) {
                float xs = t->xsum[b * t->groups + g];
                float *restrict a = t->acc + b * nt;
                const float *restrict p = t->part + b * nt;
                for (int64_t n = 0; n < nt; n++)
                    a[n] += s[n] * (p[n] - z[n] * xs);
            }
        }
        return;
    }
    for (int64_t k = 0; k < t->in; k++) {
        int64_t g = t->g_idx[k];
        const float *restrict s = t->scale + g * t->out + t->n0, *restrict z = t->zero + g * t->out + t->n0;
        extract(t, k, codes);
        for (int64_t n = 0; n < nt; n++)
            codes[n] = s[n] * (codes[n] - z[n]);
        for (int64_t b = 0; b < batch; b++)
            axpy(t->acc + b * nt, t->x[b * t->in + k], codes, nt);
    }
}

/* Eight floats rounded to the nearest fp16 value (ties to even). */
static inline void round_to_half(v8f *v)
{
#ifdef __F16C__
    *v = (v8f)_mm256_cvtph_ps(_mm256_cvtps_ph((__m256)*v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#else
    for (int i = 0; i < 8; i++)
        (*v)[i] = half_round((*v)[i]);
#endif
}

/* fp16: w = fp16(scale (q - zero)); acc = fp16(acc + x w) with x w exact in
 * float32, so each step is the float32 sum rounded to fp16 (a single
 * rounding as hfma does, except at rare double-rounding ties). */
void QMM_NAME(qmm_tile_fp16)(const struct qmm_tile *t)
{
    int64_t nt = t->nt, batch = t->batch, n8 = nt - nt % 8;
    float *restrict codes = t->codes;
    memset(t->acc, 0, (size_t)(batch * nt) * sizeof *t->acc);
    for (int64_t k = 0; k < t->in; k++) {
        int64_t g = t->g_idx[k];
        const float *restrict s = t->scale + g * t->out + t->n0, *restrict z = t->zero + g * t->out + t->n0;
        extract(t, k, codes);
        for (int64_t n = 0; n < n8; n += 8) {
            v8f c, sv, zv;
            memcpy(&c, codes + n, 32);
            memcpy(&sv, s + n, 32);
            memcpy(&zv, z + n, 32);
            c = sv * (c - zv);
            round_to_half(&c);
            memcpy(codes + n, &c, 32);
        }
        for (int64_t n = n8; n < nt; n++)
            codes[n] = half_round(s[n] * (codes[n] - z[n]));
        for (int64_t b = 0; b < batch; b++) {
            float xv = t->x[b * t->in + k];
            float *restrict a = t->acc + b * nt;
            for (int64_t n = 0; n < n8; n += 8) {
                v8f av, c;
                memcpy(&av, a + n, 32);
                memcpy(&c, codes + n, 32);
                av = av + xv * c;
                round_to_half(&av);
                memcpy(a + n, &av, 32);
            }
            for (int64_t n = n8; n < nt; n++)
                a[n] = half_round(a[n] + xv * codes[n]);
        }
    }
}
