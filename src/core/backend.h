/* The compute backend: the dense linear algebra the suites need, behind one
 * table of functions. The CPU backend (LAPACKE + CBLAS) is always built and
 * is the reference other backends are validated against. */
#ifndef FIDRUN_LINALG_H
#define FIDRUN_LINALG_H

#include "core/matrix.h"
#include "util/diag.h"

/* SVD drivers: LAPACK's gesdd (divide and conquer, the CPU default) and
 * gesvd (QR iteration), cuSOLVER's gesvd, gesvdj (Jacobi) and gesvdp
 * (polar decomposition). auto: gesdd on the CPU; on a GPU, the fastest
 * of the cuSOLVER three, timed on the first matrix of each shape. */
enum svd_driver { SVD_AUTO, SVD_GESDD, SVD_GESVD, SVD_GESVDJ, SVD_GESVDP, SVD_DRIVER_COUNT };
const char *svd_driver_name(int driver);

struct osft_job;
struct osft_outcome;
struct quant_spec;
struct quantized;
struct qmm_device_case;

enum gram_side {
    GRAM_COLUMNS, /* Q^T Q: columns of an m x k Q should be orthonormal */
    GRAM_ROWS,    /* Q Q^T: rows of a k x n Q should be orthonormal */
};

/* A backend that only runs whole jobs (CUDA) leaves the host-matrix
 * primitives NULL; the suites call osft_matrix. */
struct backend {
    const char *name; /* "cpu", "cuda" */

    /* Thin SVD of the m x n matrix a (left unchanged): u is m x k, s is
     * k x 1 (descending), vt is k x n, k = min(m, n); all allocated by the
     * caller in a's dtype. */
    int (*svd_thin)(const struct matrix *a, struct matrix *u, struct matrix *s, struct matrix *vt,
                    struct diag *d);

    /* out = U[:, :k_split] S[:k_split] VT[:k_split, :] + U[:, k_split:] S[k_split:] VT[k_split:, :],
     * the two halves summed in that order, as OSFT rebuilds a weight from its
     * frozen (high) and trainable (low) subspaces. */
    int (*reconstruct_split)(const struct matrix *u, const struct matrix *s, const struct matrix *vt,
                             int64_t k_split, struct matrix *out, struct diag *d);

    /* Upper triangle of Q^T Q or Q Q^T into g (k x k, caller-allocated). */
    int (*gram)(const struct matrix *q, enum gram_side side, struct matrix *g, struct diag *d);

    /* One OSFT matrix end to end where the backend computes: SVD, the split
     * reconstruction, its difference to the original and the Gram defects
     * of both factors (osft_matrix.h). */
    int (*osft_matrix)(const struct osft_job *job, struct osft_outcome *out, struct diag *d);

    /* n jobs at once: overlapped on up to `lanes` GPU stream sets (small
     * matrices leave a GPU mostly idle one at a time), one after another
     * on the CPU; seconds[i] is job i's own elapsed time. */
    int (*osft_matrices)(const struct osft_job *jobs, size_t n, struct osft_outcome *outs, double *seconds,
                         int lanes, struct diag *d);

    /* GPTQ of one layer w (out x in, row-major) from its calibration
     * activations x (tokens x in, row-major, in `samples` equal runs): the
     * Hessian and the quantization where the backend computes, timed as two
     * phases. The same algorithm and options as gptq.h's reference. */
    int (*gptq_layer)(const float *w, int64_t out, int64_t in, const float *x, int64_t tokens, int64_t samples,
                      const struct quant_spec *s, struct quantized *qz, double *hessian_seconds,
                      double *quant_seconds, struct diag *d);

    /* Optional: the dequant-matmul kernels on a device (qmatmul.h); NULL
     * where the CPU's own kernels run. */
    int (*qmatmul_device)(struct qmm_device_case *c, struct diag *d);
};

extern const struct backend backend_cpu;

/* The CPU backend's primitives (core/cpu_linalg.c), as in the table. */
int cpu_svd_thin(const struct matrix *a, struct matrix *u, struct matrix *s, struct matrix *vt, struct diag *d);
int cpu_reconstruct_split(const struct matrix *u, const struct matrix *s, const struct matrix *vt, int64_t k_split,
                          struct matrix *out, struct diag *d);
int cpu_gram(const struct matrix *q, enum gram_side side, struct matrix *g, struct diag *d);

/* LAPACK's thin SVD by driver (SVD_GESVD: ?gesvd, anything else: ?gesdd)
 * into caller-allocated u, s, vt of any leading dimensions. */
int cpu_svd(const struct matrix *a, struct matrix *u, struct matrix *s, struct matrix *vt, int driver,
            struct diag *d);

/* Threads the BLAS may use in this process. */
void blas_set_threads(int n);
/* The BLAS library's own description ("OpenBLAS 0.3.21 ... Haswell"). */
const char *blas_description(char *buf, size_t size);

#endif
