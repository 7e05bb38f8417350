/* The compute backend: the dense linear algebra the suites need, behind one
 * table of functions. The CPU backend (LAPACKE + CBLAS) is always built and
 * is the reference other backends are validated against. */
#ifndef FIDRUN_LINALG_H
#define FIDRUN_LINALG_H

#include "diag.h"
#include "matrix.h"

enum gram_side {
    GRAM_COLUMNS, /* Q^T Q: columns of an m x k Q should be orthonormal */
    GRAM_ROWS,    /* Q Q^T: rows of a k x n Q should be orthonormal */
};

struct backend {
    const char *name; /* "cpu" */

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
};

extern const struct backend backend_cpu;

/* Threads the BLAS may use in this process. */
void blas_set_threads(int n);
/* The BLAS library's own description ("OpenBLAS 0.3.21 ... Haswell"). */
const char *blas_description(char *buf, size_t size);

#endif
