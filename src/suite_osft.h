/* OSFT fidelity: SVD of each weight, split into a frozen high and trainable
 * low subspace, rebuilt, and checked against the original. */
#ifndef FIDRUN_SUITE_OSFT_H
#define FIDRUN_SUITE_OSFT_H

#include <stdint.h>

#include "matrices.h"
#include "models.h"
#include "task.h"

struct osft_config {
    const struct model_preset *model;
    int64_t layers; /* 0: all of the model's layers */
    unsigned targets;
    int dtype;
    int source;
    double unfreeze_rank_ratio;
    double atol, rtol;
    double ratio_threshold;
    double min_success_rate; /* percent */
    struct synthetic_spectrum spectrum;
};

struct osft_record {
    struct record_head head;
    char name[TASK_NAME_MAX];
    char target[16];
    int32_t layer;
    int32_t rows, cols, k_split;
    double max_abs_err, mean_abs_err, rel_fro_err, max_abs_w;
    int64_t violations; /* entries outside atol + rtol |W| */
    int32_t pass;
    double resid_ratio, orth_u_ratio, orth_v_ratio;
    int32_t sv_violations;
    double sigma_max, sigma_split, sigma_min;
    double svd_seconds;
};

/* k = floor(min(m, n) * (1 - ratio)) capped at min(m, n) - 1. */
int64_t osft_split_rank(int64_t m, int64_t n, double unfreeze_rank_ratio);

#endif
