/* Shared by the OSFT backend tests (CPU and GPU): a seeded weight, and the
 * checks every backend's outcome must pass, against bounds computed from
 * LAPACK's test ratios and against an independent rebuild of W from the
 * factor buffer. */
#ifndef FIDRUN_TEST_OSFT_CHECK_H
#define FIDRUN_TEST_OSFT_CHECK_H

#include "testutil.h"

#include <math.h>

#include "core/osft/factors.h"
#include "core/osft/metrics.h"
#include "core/osft/osft_matrix.h"
#include "io/matrices.h"

static inline struct matrix test_weight(const char *name, int64_t m, int64_t n, enum dtype t)
{
    struct synthetic_spectrum sp = {.std = 0.02, .spikes = 8, .strength = 4.0, .decay = 0.7};
    struct matrix_source src = {.kind = SOURCE_SYNTHETIC, .seed = 1234, .spectrum = sp};
    struct matrix w;
    struct diag d = {0};
    assert_int_equal(matrix_source_load(&src, name, m, n, t, &w, &d), FR_OK);
    return w;
}

/* Ratios under LAPACK's threshold, singular values in order, and W rebuilt
 * from the host copy of the factor buffer (factor_rebuild, plain loops)
 * close to W. */
static inline void check_outcome(const struct matrix *w, const struct osft_outcome *o, const void *host_buf)
{
    int64_t m = w->rows, n = w->cols;
    double eps = dtype_eps(w->dtype);
    assert_true(svd_residual_ratio(o->ds.norm1_diff, o->ds.norm1_ref, m, n, eps) < 35);
    assert_true(orthogonality_ratio(o->defect_u, m, eps) < 35);
    assert_true(orthogonality_ratio(o->defect_v, n, eps) < 35);
    assert_int_equal(singular_value_violations(&o->s), 0);
    struct diff_stats ref;
    diff_stats_compute(w, w, 0, 0, &ref);
    assert_true(fabs(o->ds.fro_ref - ref.fro_ref) <= 1e-12 * ref.fro_ref);
    assert_true(fabs(o->ds.norm1_ref - ref.norm1_ref) <= 1e-12 * ref.norm1_ref);
    assert_true(o->ds.max_abs_ref == ref.max_abs_ref);
    if (!host_buf)
        return;
    struct matrix w2;
    assert_int_equal(mat_alloc(&w2, w->dtype, m, n), 0);
    assert_int_equal(factor_rebuild(host_buf, &w2), 0);
    struct diff_stats rb;
    diff_stats_compute(w, &w2, 0, 0, &rb);
    assert_true(svd_residual_ratio(rb.norm1_diff, rb.norm1_ref, m, n, eps) < 35);
    mat_free(&w2);
}

/* max |s - s_ref| / (s_ref,max max(m, n) eps), as the suite's cross-check. */
static inline double sigma_ratio(const struct matrix *s, const struct matrix *s_ref, int64_t m, int64_t n)
{
    double worst = 0;
    for (int64_t i = 0; i < s->rows; i++)
        worst = fmax(worst, fabs(mat_get(s, i, 0) - mat_get(s_ref, i, 0)));
    return worst / (mat_get(s_ref, 0, 0) * (double)(m > n ? m : n) * dtype_eps(s->dtype));
}

#endif
