/* One tall matrix (m >= n) decomposed by all the ranks together: each rank
 * holds a block of W's rows, and of U's, never the whole matrix. Two
 * methods on the same row layout's contract:
 *   TSQR: each rank QRs its contiguous row block (LAPACK geqrf), the R
 *     factors are reduced in a binary tree (geqrf of two stacked R), the
 *     root takes the SVD of the last n x n R (gesdd), and U = Q U_R is
 *     formed back down the tree (ormqr), staying distributed;
 *   ScaLAPACK: p?gesvd on a P x 1 BLACS grid, rows block-cyclic in blocks
 *     of `block` rows.
 * S and V^T (n and n x n) end up on every rank. The fidelity figures of
 * the OSFT split (W against U_high S_high V_high^T + U_low S_low V_low^T,
 * LAPACK's residual and orthogonality ratios) are computed where the
 * blocks are and reduced: W is never gathered. */
#ifndef FIDRUN_DSVD_H
#define FIDRUN_DSVD_H

#include <stdint.h>

#include "core/matrix.h"
#include "core/osft/metrics.h"
#include "util/diag.h"

enum dsvd_method { DSVD_AUTO, DSVD_TSQR, DSVD_SCALAPACK, DSVD_METHOD_COUNT };

const char *dsvd_method_name(int method);
/* Whether this build has ScaLAPACK (it is optional at build time). */
int dsvd_have_scalapack(void);

/* Which rows of an m x n matrix this rank holds. */
struct dsvd_layout {
    int method;          /* DSVD_TSQR or DSVD_SCALAPACK (never auto) */
    int64_t m, n;
    int64_t block;       /* ScaLAPACK's row block; TSQR: unused (one contiguous block a rank) */
    int rank, nranks;
    int64_t nlocal;      /* rows here */
};

/* auto: TSQR when every rank's contiguous block has at least n rows (the
 * tall-skinny case it is made for), else ScaLAPACK. A method that cannot
 * run this shape or build is FR_USAGE with the reason. */
int dsvd_layout_make(int method, int64_t m, int64_t n, int64_t block, int rank, int nranks,
                     struct dsvd_layout *l, struct diag *d);
/* The global index of local row i. */
int64_t dsvd_global_row(const struct dsvd_layout *l, int64_t i);

struct dsvd_job {
    const struct matrix *w_local; /* nlocal x n, this rank's rows in layout order (left unchanged) */
    const struct dsvd_layout *layout;
    int64_t k_split;
    double atol, rtol;
    int keep_factors; /* hand U's rows and V^T back in the outcome (for --export-factors) */
};

struct dsvd_outcome {
    struct diff_stats ds;      /* W against W', over the whole matrix */
    double defect_u, defect_v; /* ||I - U^T U||_1, ||I - V^T V||_1 */
    double svd_seconds;        /* the decomposition (max over ranks) */
    double metric_seconds;     /* rebuilding and the figures (max over ranks) */
    double bytes_sent;         /* by the ranks in all, in the decomposition */
    double peak_rss_mib;       /* the largest rank's peak resident memory so far */
    struct matrix s;           /* n x 1 singular values, on every rank (caller mat_free's it) */
    struct matrix u, vt;       /* with keep_factors: U's local rows (nlocal x n) and V^T (n x n); else empty */
};

/* Collective over MPI_COMM_WORLD: every rank calls it with its block. An
 * error on one rank is returned there; the caller ends the job (the others
 * may be inside a collective). */
int dsvd_run(const struct dsvd_job *job, struct dsvd_outcome *out, struct diag *d);

/* The decompositions alone, for tests: U's local rows (nlocal x n), S and
 * V^T on every rank; allocated here. */
int dsvd_tsqr(const struct matrix *w_local, const struct dsvd_layout *l, struct matrix *u_local, struct matrix *s,
              struct matrix *vt, double *bytes_sent, struct diag *d);
int dsvd_scalapack(const struct matrix *w_local, const struct dsvd_layout *l, struct matrix *u_local,
                   struct matrix *s, struct matrix *vt, double *bytes_sent, struct diag *d);

#endif
