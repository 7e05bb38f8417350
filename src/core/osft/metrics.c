#include "core/osft/metrics.h"

#include <math.h>
#include <stdlib.h>

void diff_partial_add(const struct matrix *ref, const struct matrix *x, double atol, double rtol,
                      struct diff_partial *p, double *col_diff, double *col_ref)
{
    for (int64_t j = 0; j < ref->cols; j++) {
        double col_d = 0, col_r = 0;
        for (int64_t i = 0; i < ref->rows; i++) {
            double a = mat_get(ref, i, j), e = fabs(a - mat_get(x, i, j)), aa = fabs(a);
            p->nans += isnan(e) != 0;
            if (e > p->max_abs)
                p->max_abs = e;
            if (aa > p->max_abs_ref)
                p->max_abs_ref = aa;
            p->sum_abs += e;
            p->sum_sq += e * e;
            p->sum_sq_ref += aa * aa;
            col_d += e;
            col_r += aa;
            p->violations += !(e <= atol + rtol * aa);
        }
        col_diff[j] += col_d;
        col_ref[j] += col_r;
    }
    p->count += (double)ref->rows * (double)ref->cols;
}

void diff_partial_finish(const struct diff_partial *p, const double *col_diff, const double *col_ref, int64_t cols,
                         struct diff_stats *out)
{
    double n1d = 0, n1r = 0;
    for (int64_t j = 0; j < cols; j++) {
        if (col_diff[j] > n1d || isnan(col_diff[j]))
            n1d = col_diff[j];
        if (col_ref[j] > n1r)
            n1r = col_ref[j];
    }
    *out = (struct diff_stats){
        .max_abs = p->nans ? NAN : p->max_abs,
        .mean_abs = p->count > 0 ? p->sum_abs / p->count : 0,
        .fro_diff = sqrt(p->sum_sq),
        .fro_ref = sqrt(p->sum_sq_ref),
        .norm1_diff = n1d,
        .norm1_ref = n1r,
        .max_abs_ref = p->max_abs_ref,
        .violations = p->violations,
    };
}

void diff_stats_compute(const struct matrix *ref, const struct matrix *x, double atol, double rtol,
                        struct diff_stats *out)
{
    struct diff_partial p = {0};
    double n1d = 0, n1r = 0;
    for (int64_t j = 0; j < ref->cols; j++) { /* a column at a time: no workspace */
        double col_d = 0, col_r = 0;
        struct matrix rj = {ref->dtype, ref->rows, 1, ref->ld, (char *)ref->data + (size_t)(j * ref->ld) * dtype_size(ref->dtype)};
        struct matrix xj = {x->dtype, x->rows, 1, x->ld, (char *)x->data + (size_t)(j * x->ld) * dtype_size(x->dtype)};
        diff_partial_add(&rj, &xj, atol, rtol, &p, &col_d, &col_r);
        if (col_d > n1d || isnan(col_d))
            n1d = col_d;
        if (col_r > n1r)
            n1r = col_r;
    }
    diff_partial_finish(&p, &n1d, &n1r, 1, out);
}

double identity_defect_norm1(const struct matrix *g)
{
    int64_t k = g->cols;
    double *col = calloc((size_t)(k > 0 ? k : 1), sizeof *col);
    if (!col)
        return NAN;
    for (int64_t j = 0; j < k; j++) {
        for (int64_t i = 0; i <= j; i++) {
            double e = fabs((i == j ? 1.0 : 0.0) - mat_get(g, i, j));
            col[j] += e;
            if (i != j)
                col[i] += e;
        }
    }
    double norm = 0;
    for (int64_t j = 0; j < k; j++)
        if (col[j] > norm || isnan(col[j]))
            norm = col[j];
    free(col);
    return norm;
}

double svd_residual_ratio(double norm1_diff, double norm1_ref, int64_t m, int64_t n, double eps)
{
    if (norm1_ref <= 0)
        return norm1_diff == 0 ? 0 : 1.0 / eps;
    double maxdim = (double)(m > n ? m : n);
    /* scaled as xBDT01 does, avoiding overflow for huge residuals */
    if (norm1_ref >= norm1_diff)
        return (norm1_diff / norm1_ref) / (maxdim * eps);
    if (norm1_ref < 1)
        return (fmin(norm1_diff, maxdim * norm1_ref) / norm1_ref) / (maxdim * eps);
    return fmin(norm1_diff / norm1_ref, maxdim) / (maxdim * eps);
}

double orthogonality_ratio(double defect_norm1, int64_t dim, double eps)
{
    return defect_norm1 / ((double)(dim > 0 ? dim : 1) * eps);
}

int64_t singular_value_violations(const struct matrix *s)
{
    int64_t bad = 0;
    for (int64_t i = 0; i < s->rows; i++) {
        double v = mat_get(s, i, 0);
        if (!(v >= 0) || (i > 0 && v > mat_get(s, i - 1, 0)))
            bad++;
    }
    return bad;
}

