/* Inner loops of the CPU dequant-matmul, compiled twice (baseline x86-64 or
 * the host's default, and AVX2+FMA+F16C on x86-64) and chosen at run time.
 * Both builds do the same operations in the same order (no contraction, no
 * reassociation), so they give bit-identical results. */
#ifndef FIDRUN_QMATMUL_IMPL_H
#define FIDRUN_QMATMUL_IMPL_H

#include <stdint.h>

struct qmm_tile {
    const uint32_t *qweight; /* in * bits / 32 x out */
    const int32_t *g_idx;
    const float *scale, *zero; /* groups x out, widened */
    const float *x;            /* batch x in, fp16 values as float */
    const float *xsum;         /* batch x groups: sum of x over each group (contiguous groups only) */
    int64_t out, in, groups, batch;
    int bits;
    int64_t group_size; /* > 0 when g_idx[k] == k / group_size and group_size % 32 == 0, else 0 */
    int64_t n0, nt;     /* the tile's outputs */
    float *acc;         /* batch x nt: the result */
    float *part;        /* batch x nt scratch */
    float *codes;       /* nt scratch */
};

void qmm_tile_fp32_base(const struct qmm_tile *t);
void qmm_tile_fp16_base(const struct qmm_tile *t);
void qmm_tile_fp32_v3(const struct qmm_tile *t);
void qmm_tile_fp16_v3(const struct qmm_tile *t);

#endif
