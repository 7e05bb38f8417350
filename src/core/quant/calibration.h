/* Calibration activations for GPTQ: seeded synthetic inputs with what makes
 * real hidden states hard to quantize against (channels that move together
 * and a few outlier channels 10-100x larger than the rest). Tokens x in,
 * row-major float32. Pure; io/activations.h reads them from a file. */
#ifndef FIDRUN_CALIBRATION_H
#define FIDRUN_CALIBRATION_H

#include <stdint.h>

#include "util/diag.h"

struct synthetic_activations {
    int64_t factors;    /* shared latent factors that correlate the channels */
    double correlation; /* share of each channel's variance from the factors, [0, 1) */
    int64_t outliers;   /* channels scaled up */
    double outlier_min, outlier_max; /* their scales, log-uniform in [min, max] */
};

/* x[t, k] = s_k (sum_f z[t, f] a[f, k] + sqrt(1 - c) e[t, k]) with z, e
 * standard normal and each channel's loadings a[., k] (normal directions)
 * scaled to norm sqrt(c): unit variance per ordinary channel, channels
 * correlated through F shared factors (|corr| about c/sqrt(F) on average). The channel structure (a, s) depends
 * on (seed, in) only; `stream` picks the tokens (calibration or held-out).
 * Pure (no I/O). */
int synthetic_activations(const struct synthetic_activations *sa, uint64_t seed, int64_t in, uint32_t stream,
                          int64_t tokens, float *x, struct diag *d);

/* Scale of channel k (1 for ordinary channels). */
double activation_channel_scale(const struct synthetic_activations *sa, uint64_t seed, int64_t in, int64_t k);

/* Calibration tokens and the held-out tokens the error is measured on, in
 * one malloc'd buffer (calibration first). */
struct activation_sets {
    float *calib, *held;
    int64_t ncalib, nheld;
};

void activation_sets_free(struct activation_sets *a);

/* Synthetic: `tokens` of stream 0, then `held` of stream 1. */
int activation_sets_synthetic(const struct synthetic_activations *sa, uint64_t seed, int64_t in, int64_t tokens,
                              int64_t held, struct activation_sets *a, struct diag *d);

#endif
