#include "core/osft/metrics.h"

#include <math.h>
#include <stdlib.h>

void diff_stats_compute(const struct matrix *ref, const struct matrix *x, double atol, double rtol,
                        struct diff_stats *out)
{
    double max_abs = 0, sum_abs = 0, sum_sq = 0, sum_sq_ref = 0, n1d = 0, n1r = 0, max_ref = 0;
    int64_t bad = 0;
    int saw_nan = 0;
    for (int64_t j = 0; j < ref->cols; j++) {
        double col_d = 0, col_r = 0;
        for (int64_t i = 0; i < ref->rows; i++) {
            double a = mat_get(ref, i, j), e = fabs(a - mat_get(x, i, j)), aa = fabs(a);
            saw_nan |= isnan(e);
            if (e > max_abs)
                max_abs = e;
            if (aa > max_ref)
                max_ref = aa;
            sum_abs += e;
            sum_sq += e * e;
            sum_sq_ref += aa * aa;
            col_d += e;
            col_r += aa;
            bad += !(e <= atol + rtol * aa);
        }
        if (col_d > n1d || isnan(col_d))
            n1d = col_d;
        if (col_r > n1r)
            n1r = col_r;
    }
    double count = (double)ref->rows * (double)ref->cols;
    *out = (struct diff_stats){
        .max_abs = saw_nan ? NAN : max_abs,
        .mean_abs = count > 0 ? sum_abs / count : 0,
        .fro_diff = sqrt(sum_sq),
        .fro_ref = sqrt(sum_sq_ref),
        .norm1_diff = n1d,
        .norm1_ref = n1r,
        .max_abs_ref = max_ref,
        .violations = bad,
    };
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

