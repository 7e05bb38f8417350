/* Thin SVD of a tall matrix on the GPU by cuSOLVER driver, with auto
 * timing the candidates on the first matrix of each shape. */
#ifndef FIDRUN_CUDA_SVD_H
#define FIDRUN_CUDA_SVD_H

#include "cuda/gpu_context.h"

struct svd_gpu_result {
    int driver;      /* enum svd_driver that produced the factors */
    int q_is_vt;     /* q holds V^T (gesvd) rather than V (gesvdj, gesvdp) */
    int tuned;       /* auto timed every candidate first */
    double seconds;  /* the call that produced the factors (cudaEvent) */
    double err_sigma; /* gesvdp's h_err_sigma, NaN otherwise */
    double tune_seconds[SVD_DRIVER_COUNT]; /* when tuned; NaN for drivers not tried or failed */
};

/* a: ma x na (ld ma, ma >= na), destroyed unless auto must try several
 * drivers (then a copy is kept for each try). p: ma x na, s: na, q: na x na.
 * Runs on the context's stream 0 and returns once it is done. */
int svd_gpu_tall(struct gpu_lane *c, int dtype, int64_t ma, int64_t na, void *a, void *s, void *p, void *q,
                 int driver, struct svd_gpu_result *out, struct diag *d);

/* Auto's result for this shape missed the run's tolerance: the driver is
 * not used for the shape again. Returns the driver auto uses next (the same
 * one when nothing is left: gesvd is never rejected). */
int svd_gpu_reject(struct gpu_context *c, int dtype, int64_t ma, int64_t na, int driver);

#endif
