/* Error measures for decompositions, computed in double whatever the matrix
 * precision. Pure: no I/O, no MPI, no globals. */
#ifndef FIDRUN_METRICS_H
#define FIDRUN_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/matrix.h"

struct diff_stats {
    double max_abs;     /* max |ref - x| (NaN if any entry is NaN) */
    double mean_abs;    /* mean |ref - x| */
    double fro_diff;    /* ||ref - x||_F */
    double fro_ref;     /* ||ref||_F */
    double norm1_diff;  /* ||ref - x||_1 (max column sum) */
    double norm1_ref;   /* ||ref||_1 */
    double max_abs_ref; /* max |ref| */
    int64_t violations; /* entries with NOT(|ref - x| <= atol + rtol |ref|), as torch.allclose */
};

/* ref and x have the same shape (any dtype each). */
void diff_stats_compute(const struct matrix *ref, const struct matrix *x, double atol, double rtol,
                        struct diff_stats *out);

/* The same over a matrix held in row blocks (a distributed matrix): each
 * block's sums added into a diff_partial and its column sums into
 * col_diff/col_ref (cols each, zeroed first); the partials of all blocks
 * summed (max for the maxima), then finished. Equal to diff_stats_compute
 * on the whole matrix up to the order of the sums. */
struct diff_partial {
    double max_abs, max_abs_ref;     /* combined by max */
    double sum_abs, sum_sq, sum_sq_ref, count; /* by sum */
    int64_t violations, nans;        /* by sum */
};
void diff_partial_add(const struct matrix *ref, const struct matrix *x, double atol, double rtol,
                      struct diff_partial *p, double *col_diff, double *col_ref);
void diff_partial_finish(const struct diff_partial *p, const double *col_diff, const double *col_ref, int64_t cols,
                         struct diff_stats *out);

/* ||I - G||_1 for a symmetric k x k matrix G given by its upper triangle
 * (e.g. the result of ?syrk). Returns NaN when out of memory. */
double identity_defect_norm1(const struct matrix *g_upper);

/* LAPACK's SVD test ratio ||A - U S V^T||_1 / (||A||_1 * max(m, n) * eps)
 * (xDRVBD/xBDT01); when ||A|| = 0 the ratio is 0 for an exact result, 1/eps otherwise. */
double svd_residual_ratio(double norm1_diff, double norm1_ref, int64_t m, int64_t n, double eps);

/* LAPACK's orthogonality ratio (xORT01): ||I - Q^T Q||_1 / (dim * eps). */
double orthogonality_ratio(double defect_norm1, int64_t dim, double eps);

/* Number of singular values that are negative, NaN or larger than their
 * predecessor (0 for a valid non-increasing spectrum). */
int64_t singular_value_violations(const struct matrix *s);

#endif
