/* GPTQ's steps, shared by the CPU reference (gptq.c) and the GPU port
 * (cuda/gptq.cu): the host-side preparation (spec checks, symmetric H,
 * whole-row and static group parameters, dead columns, act-order
 * permutation of W and H) and the finish (scales, g_idx, codes back in the
 * original column order) are this one code; only the inverse factor and
 * the column sweep differ. */
#ifndef FIDRUN_GPTQ_IMPL_H
#define FIDRUN_GPTQ_IMPL_H

#include "core/quant/gptq.h"

#define GPTQ_MAX_DAMP_RETRIES 8

struct gptq_work {
    int64_t gs, bs;   /* group size (in for one group), block size */
    float *w;         /* out x in, permuted */
    float *hp;        /* in x in, permuted H */
    float *hinv;      /* in x in: upper Cholesky factor of H^-1, row-major */
    int32_t *q;       /* out x in, permuted order */
    float *w1, *err1; /* out x block */
    float *gscale, *gzero; /* static groups: groups x out */
    float *scale, *zero;   /* out: whole-row parameters, or the current group */
    int64_t *perm;    /* permuted column i is original column perm[i] */
};

/* Allocates qz and g, and does everything before the inverse factor. */
int gptq_prepare(const float *w, int64_t out, int64_t in, struct hessian *hs, const struct quant_spec *s,
                 struct quantized *qz, struct gptq_work *g, struct diag *d);

/* percdamp * mean(diag(H)): the first damping tried. */
double gptq_first_damp(const float *h, int64_t n, double percdamp);

/* The error when every damping up to last_damp failed. */
int gptq_damp_failed(struct diag *d, double last_damp, double percdamp);

/* With g->q (permuted codes) and, for grouped non-static specs, qz's
 * scales and zeros filled by the sweep: the rest of qz. */
void gptq_finish(const struct quant_spec *s, struct gptq_work *g, struct quantized *qz, double loss);

void gptq_work_free(struct gptq_work *g);

#endif
