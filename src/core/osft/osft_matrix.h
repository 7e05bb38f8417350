/* One OSFT matrix end to end, the unit of work a backend does for the OSFT
 * suite: W = U S V^T, W' = (high part) + (low part), |W - W'| statistics
 * and the Gram defects of U and V, all computed where the backend computes
 * (a GPU keeps W and its factors on the device). */
#ifndef FIDRUN_OSFT_MATRIX_H
#define FIDRUN_OSFT_MATRIX_H

#include <stddef.h>
#include <stdint.h>

#include "core/backend.h"
#include "core/matrix.h"
#include "core/osft/metrics.h"
#include "util/diag.h"

struct osft_job {
    const struct matrix *w; /* host, m x n */
    int64_t k_split;        /* the first k_split singular directions are the frozen part */
    double atol, rtol;      /* violation bound per entry: atol + rtol |W| */
    int driver;             /* enum svd_driver */
    int keep_factors;       /* hand the factor buffer (factors.h) to the caller */
};

/* A factor buffer in host or device memory, released with free_buf. */
struct held_factors {
    void *buf;
    size_t bytes;
    int on_device;
    void (*free_buf)(void *buf);
};

struct osft_outcome {
    struct diff_stats ds;      /* W against W' */
    double defect_u, defect_v; /* ||I - U^T U||_1, ||I - V^T V||_1 */
    double svd_seconds;        /* the SVD calls alone (with auto, any it rejected included) */
    int driver;                /* enum svd_driver that ran */
    unsigned rejected;         /* auto: 1 << driver for each whose result on this matrix missed the tolerance */
    int tuned;                 /* auto timed every candidate on this matrix first */
    double err_sigma;          /* gesvdp's h_err_sigma; NaN for other drivers */
    double tune_seconds[SVD_DRIVER_COUNT]; /* when tuned: each candidate's time (NaN: not tried or failed) */
    struct matrix s;           /* k x 1 singular values on the host (caller mat_free's it) */
    struct held_factors held;  /* with keep_factors */
};

void held_factors_release(struct held_factors *h);

/* The CPU backend's implementation (LAPACK gesdd or gesvd, CBLAS), and a
 * batch of jobs run one after another. */
int cpu_osft_matrix(const struct osft_job *job, struct osft_outcome *out, struct diag *d);
int cpu_osft_matrices(const struct osft_job *jobs, size_t n, struct osft_outcome *outs, double *seconds, int lanes,
                      struct diag *d);

/* The split rank of OSFT for an unfreeze ratio: k = floor(min(m, n) *
 * (1 - ratio)) capped at min(m, n) - 1; the top k singular directions are
 * frozen, the rest trainable. */
int64_t osft_split_rank(int64_t m, int64_t n, double unfreeze_rank_ratio);

#endif
