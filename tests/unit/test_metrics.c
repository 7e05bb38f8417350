/* Metrics on known answers, and the CPU backend's SVD on a matrix built from
 * known orthogonal factors and singular values. */
#include "testutil.h"

#include <math.h>

#include "core/backend.h"
#include "core/osft/metrics.h"
#include "core/osft/osft_matrix.h"

static struct matrix wrap(double *data, int64_t rows, int64_t cols)
{
    return (struct matrix){DT_F64, rows, cols, rows, data};
}

static void test_diff_stats(void **state)
{
    (void)state;
    double ref[] = {1, 3, 2, 4}; /* column-major [[1, 2], [3, 4]] */
    double x[] = {1, 3, 2.5, 3};
    struct matrix a = wrap(ref, 2, 2), b = wrap(x, 2, 2);
    struct diff_stats s;
    diff_stats_compute(&a, &b, 0.1, 0.0, &s);
    assert_true(s.max_abs == 1.0);
    assert_true(s.mean_abs == 0.375);
    assert_true(fabs(s.fro_diff - sqrt(1.25)) < 1e-15);
    assert_true(fabs(s.fro_ref - sqrt(30.0)) < 1e-15);
    assert_true(s.norm1_diff == 1.5 && s.norm1_ref == 6.0);
    assert_true(s.max_abs_ref == 4.0);
    assert_int_equal(s.violations, 2);
    /* rtol scales with |ref|: 0.5 <= 0.25 * 2 passes, 1 > 0.25 * 4 fails */
    diff_stats_compute(&a, &b, 0.0, 0.25, &s);
    assert_int_equal(s.violations, 0);
    diff_stats_compute(&a, &b, 0.0, 0.2, &s);
    assert_int_equal(s.violations, 2);
    x[0] = NAN;
    diff_stats_compute(&a, &b, 1e9, 1e9, &s);
    assert_true(isnan(s.max_abs));
    assert_int_equal(s.violations, 1);
}

/* The partial sums of two row blocks, added and finished, against the
 * known answer of the whole: norm1 is a column sum across both blocks. */
static void test_diff_partial_over_row_blocks(void **state)
{
    (void)state;
    /* ref [[1, -2], [3, 4], [-5, 6]], x = ref + [[0, 1], [0.5, 0], [1, -3]] */
    double top_r[] = {1, -2}, top_x[] = {1, -1};                   /* row 0 */
    double bot_r[] = {3, -5, 4, 6}, bot_x[] = {3.5, -4, 4, 3};     /* rows 1, 2 column-major */
    struct matrix tr = {DT_F64, 1, 2, 1, top_r}, tx = {DT_F64, 1, 2, 1, top_x};
    struct matrix br = wrap(bot_r, 2, 2), bx = wrap(bot_x, 2, 2);
    struct diff_partial p = {0};
    double cd[2] = {0, 0}, cr[2] = {0, 0};
    diff_partial_add(&tr, &tx, 0.6, 0, &p, cd, cr);
    diff_partial_add(&br, &bx, 0.6, 0, &p, cd, cr);
    struct diff_stats s;
    diff_partial_finish(&p, cd, cr, 2, &s);
    assert_true(fabs(s.max_abs - 3) <= 0);
    assert_true(fabs(s.mean_abs - 5.5 / 6) <= 1e-15);
    assert_true(fabs(s.fro_diff - sqrt(1 + 0.25 + 1 + 9)) <= 1e-15);
    assert_true(fabs(s.norm1_diff - 4) <= 0); /* column 1: 1 + 0 + 3 */
    assert_true(fabs(s.norm1_ref - 12) <= 0); /* column 1: 2 + 4 + 6 */
    assert_true(fabs(s.max_abs_ref - 6) <= 0);
    assert_int_equal(s.violations, 3); /* 1, 1 and 3 exceed 0.6 */
    /* the same matrix whole */
    double whole_r[] = {1, 3, -5, -2, 4, 6}, whole_x[] = {1, 3.5, -4, -1, 4, 3};
    struct matrix wr = wrap(whole_r, 3, 2), wx = wrap(whole_x, 3, 2);
    struct diff_stats w;
    diff_stats_compute(&wr, &wx, 0.6, 0, &w);
    assert_true(fabs(w.norm1_diff - s.norm1_diff) <= 0);
    assert_true(fabs(w.fro_diff - s.fro_diff) <= 1e-15);
    assert_int_equal(w.violations, s.violations);
}

static void test_identity_defect(void **state)
{
    (void)state;
    double g[] = {1, 99 /* lower part ignored */, 0.1, 0.98};
    struct matrix m = wrap(g, 2, 2);
    assert_true(fabs(identity_defect_norm1(&m) - 0.12) < 1e-15);
    /* the largest column sum comes from the (implied) lower triangle: column 0 = 0.3 + 0.4 */
    double g3[] = {1, -7, -7, 0.3, 1, -7, 0.4, 0, 1};
    m = (struct matrix){DT_F64, 3, 3, 3, g3};
    assert_true(fabs(identity_defect_norm1(&m) - 0.7) < 1e-15);
    double id[] = {1, 0, 0, 1};
    m = wrap(id, 2, 2);
    assert_true(identity_defect_norm1(&m) == 0);
}

static void test_ratios(void **state)
{
    (void)state;
    double eps = dtype_eps(DT_F64);
    assert_true(fabs(svd_residual_ratio(1e-12, 10, 100, 50, eps) - (1e-13 / (100 * eps))) < 1e-9);
    assert_true(svd_residual_ratio(0, 0, 3, 3, eps) == 0);
    assert_true(svd_residual_ratio(1, 0, 3, 3, eps) == 1 / eps);
    assert_true(fabs(orthogonality_ratio(4 * eps, 4, eps) - 1.0) < 1e-12);
    assert_true(dtype_eps(DT_F32) == ldexp(1.0, -23));
}

static void test_singular_value_order(void **state)
{
    (void)state;
    double ok[] = {3, 2, 2, 0}, bad[] = {3, 2, 2.5, -1}, nan_[] = {NAN, 1};
    struct matrix m = wrap(ok, 4, 1);
    assert_int_equal(singular_value_violations(&m), 0);
    m = wrap(bad, 4, 1);
    assert_int_equal(singular_value_violations(&m), 2);
    m = wrap(nan_, 2, 1);
    assert_int_equal(singular_value_violations(&m), 1);
}

static void test_split_rank(void **state)
{
    (void)state;
    assert_int_equal(osft_split_rank(1536, 1536, 0.5), 768);
    assert_int_equal(osft_split_rank(256, 1536, 0.5), 128);
    assert_int_equal(osft_split_rank(8960, 1536, 0.5), 768);
    assert_int_equal(osft_split_rank(5, 7, 0.3), 3);
    assert_int_equal(osft_split_rank(1536, 1536, 0.0), 1535); /* capped at min(m, n) - 1 */
    assert_int_equal(osft_split_rank(1536, 1536, 1.0), 0);
}

/* Householder reflector I - 2 v v^T / v^T v applied to build exactly
 * orthogonal factors (in exact arithmetic) with a chosen spectrum. */
static void householder(double *q, int64_t n, const double *v)
{
    double vv = 0;
    for (int64_t i = 0; i < n; i++)
        vv += v[i] * v[i];
    for (int64_t j = 0; j < n; j++)
        for (int64_t i = 0; i < n; i++)
            q[i + j * n] = (i == j) - 2 * v[i] * v[j] / vv;
}

static void check_known_svd(int64_t m, int64_t n, enum dtype dt, double tol)
{
    int64_t k = m < n ? m : n;
    double *qu = malloc((size_t)(m * m) * sizeof *qu), *qv = malloc((size_t)(n * n) * sizeof *qv);
    double *vu = malloc((size_t)m * sizeof *vu), *vv = malloc((size_t)n * sizeof *vv);
    double *sigma = malloc((size_t)k * sizeof *sigma);
    for (int64_t i = 0; i < m; i++)
        vu[i] = 1.0 + 0.37 * (double)i - 0.01 * (double)(i * i);
    for (int64_t i = 0; i < n; i++)
        vv[i] = 0.5 - 0.23 * (double)i + 0.02 * (double)(i * i);
    householder(qu, m, vu);
    householder(qv, n, vv);
    for (int64_t i = 0; i < k; i++)
        sigma[i] = 10.0 / (double)(i + 1); /* distinct, decaying */
    struct matrix a, u, s, vt, w2, g;
    assert_int_equal(mat_alloc(&a, dt, m, n), 0);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double x = 0;
            for (int64_t r = 0; r < k; r++)
                x += qu[i + r * m] * sigma[r] * qv[j + r * n];
            mat_set(&a, i, j, x);
        }
    assert_int_equal(mat_alloc(&u, dt, m, k) | mat_alloc(&s, dt, k, 1) | mat_alloc(&vt, dt, k, n) |
                         mat_alloc(&w2, dt, m, n) | mat_alloc(&g, dt, k, k),
                     0);
    struct diag d = {0};
    assert_int_equal(backend_cpu.svd_thin(&a, &u, &s, &vt, &d), FR_OK);
    for (int64_t i = 0; i < k; i++)
        assert_true(fabs(mat_get(&s, i, 0) - sigma[i]) <= tol * sigma[0]);
    assert_int_equal(singular_value_violations(&s), 0);
    assert_int_equal(backend_cpu.reconstruct_split(&u, &s, &vt, osft_split_rank(m, n, 0.5), &w2, &d), FR_OK);
    struct diff_stats ds;
    diff_stats_compute(&a, &w2, 0, 0, &ds);
    double eps = dtype_eps(dt);
    assert_true(svd_residual_ratio(ds.norm1_diff, ds.norm1_ref, m, n, eps) < 35);
    assert_true(ds.max_abs < 100 * eps * sigma[0]);
    backend_cpu.gram(&u, GRAM_COLUMNS, &g, &d);
    assert_true(orthogonality_ratio(identity_defect_norm1(&g), m, eps) < 35);
    backend_cpu.gram(&vt, GRAM_ROWS, &g, &d);
    assert_true(orthogonality_ratio(identity_defect_norm1(&g), n, eps) < 35);
    /* the left singular vectors span the first k columns of qu (up to sign) */
    for (int64_t r = 0; r < k; r++) {
        double dot = 0;
        for (int64_t i = 0; i < m; i++)
            dot += mat_get(&u, i, r) * qu[i + r * m];
        assert_true(fabs(fabs(dot) - 1) < tol * 10);
    }
    mat_free(&a), mat_free(&u), mat_free(&s), mat_free(&vt), mat_free(&w2), mat_free(&g);
    free(qu), free(qv), free(vu), free(vv), free(sigma);
}

static void test_known_svd(void **state)
{
    (void)state;
    check_known_svd(40, 25, DT_F64, 1e-13);
    check_known_svd(25, 40, DT_F64, 1e-13);
    check_known_svd(30, 30, DT_F32, 1e-5);
    check_known_svd(64, 12, DT_F32, 1e-5);
}

static void test_reconstruct_split_is_the_sum_of_both_halves(void **state)
{
    (void)state;
    /* U = I (3x2), S = (2, 1), VT = [[1, 0, 1], [0, 1, 0]] -> [[2, 0, 2], [0, 1, 0], [0, 0, 0]] */
    double u[] = {1, 0, 0, 0, 1, 0}, sv[] = {2, 1}, vt[] = {1, 0, 0, 1, 1, 0}, out[9];
    double expect[] = {2, 0, 0, 0, 1, 0, 2, 0, 0};
    struct matrix U = wrap(u, 3, 2), S = wrap(sv, 2, 1), VT = wrap(vt, 2, 3), O = wrap(out, 3, 3);
    struct diag d = {0};
    for (int64_t ks = 0; ks <= 2; ks++) {
        memset(out, 0x7f, sizeof out); /* garbage: the first product must overwrite it */
        assert_int_equal(backend_cpu.reconstruct_split(&U, &S, &VT, ks, &O, &d), FR_OK);
        assert_memory_equal(out, expect, sizeof expect);
    }
}

int main(void)
{
    blas_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff_stats),         cmocka_unit_test(test_identity_defect),
        cmocka_unit_test(test_diff_partial_over_row_blocks),
        cmocka_unit_test(test_ratios),             cmocka_unit_test(test_singular_value_order),
        cmocka_unit_test(test_split_rank),         cmocka_unit_test(test_known_svd),
        cmocka_unit_test(test_reconstruct_split_is_the_sum_of_both_halves),
    };
    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
