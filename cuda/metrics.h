/* Kernels the CUDA backend launches around cuSOLVER and cuBLAS: scaling by
 * the singular values, |A - A'| statistics, ||I - G||_1 and the factor
 * checksum. Each has a plain C reference it is tested against
 * (core/osft/metrics.c, core/osft/factors.c). */
#ifndef FIDRUN_CUDA_METRICS_H
#define FIDRUN_CUDA_METRICS_H

#include <cuda_runtime.h>
#include <stdint.h>

/* Per-column partial sums of the |ref - x| statistics, in double. */
enum diff_part { DP_MAX_E, DP_MAX_REF, DP_SUM_E, DP_SUM_REF, DP_SUM_E2, DP_SUM_REF2, DP_VIOL, DP_NAN, DP_COUNT };

/* out = p * diag(s): p is rows x k (ld rows). */
template <typename T>
void launch_scale_columns(const T *p, const T *s, T *out, int64_t rows, int64_t k, cudaStream_t st);

/* parts: DP_COUNT x cols doubles (part-major); row_e/row_ref: rows doubles
 * each, zeroed by the caller, or NULL when row sums are not wanted. */
template <typename T>
void launch_diff_columns(const T *ref, const T *x, int64_t rows, int64_t cols, double atol, double rtol,
                         double *parts, double *row_e, double *row_ref, cudaStream_t st);

/* col: k doubles, zeroed by the caller; receives the column sums of
 * |I - G| for the symmetric G given by its upper triangle (ld k). */
template <typename T>
void launch_identity_defect(const T *g, int64_t k, double *col, cudaStream_t st);

/* *sum (zeroed by the caller) += factor_checksum of words[0, nwords). */
void launch_checksum(const uint64_t *words, size_t nwords, unsigned long long *sum, cudaStream_t st);

#endif
