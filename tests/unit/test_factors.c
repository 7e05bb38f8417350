/* The factor buffer (layout, checksum, rebuild) and the CPU backend's OSFT
 * job, on tall, wide and square weights in both precisions. */
#include "osft_check.h"

static void test_layout(void **state)
{
    (void)state;
    struct factor_layout a, b;
    factor_layout_of(300, 200, DT_F32, &a);
    factor_layout_of(200, 300, DT_F32, &b);
    assert_true(a.bytes == b.bytes && a.big_rows == 300 && a.k == 200);
    assert_true(a.big % FACTOR_ALIGN == 0 && a.s % FACTOR_ALIGN == 0 && a.small % FACTOR_ALIGN == 0);
    assert_true(a.big >= sizeof(struct factor_header));
    assert_true(a.s >= a.big + 300 * 200 * 4 && a.small >= a.s + 200 * 4);
    assert_true(a.bytes >= a.small + 200 * 200 * 4 && a.bytes % 8 == 0);
    factor_layout_of(300, 200, DT_F64, &b);
    assert_true(b.s >= b.big + 300 * 200 * 8);
}

static void test_checksum(void **state)
{
    (void)state;
    enum { N = 4096 };
    uint64_t *w = calloc(N, sizeof *w);
    assert_non_null(w);
    for (size_t i = 0; i < N; i++)
        w[i] = i * 0x100000001b3ull;
    uint64_t base = factor_checksum(w, N * 8);
    /* the definition, summed in the opposite order */
    uint64_t backwards = 0;
    for (size_t i = N; i-- > 0;)
        backwards += factor_mix(w[i] ^ (FACTOR_GOLDEN * (uint64_t)i));
    assert_true(base == backwards);
    /* one flipped bit anywhere, or two words swapped, changes it */
    for (size_t i = 0; i < N; i += 511) {
        w[i] ^= 1ull << (i % 64);
        assert_true(factor_checksum(w, N * 8) != base);
        w[i] ^= 1ull << (i % 64);
    }
    uint64_t t = w[3];
    w[3] = w[7];
    w[7] = t;
    assert_true(factor_checksum(w, N * 8) != base);
    free(w);
}

static void run_cpu(int64_t m, int64_t n, enum dtype t, int driver)
{
    struct matrix w = test_weight("model.layers.0.self_attn.q_proj.weight", m, n, t);
    struct osft_job job = {.w = &w, .k_split = (m < n ? m : n) / 2, .atol = 1e-5, .rtol = 1e-5,
                           .driver = driver, .keep_factors = 1};
    struct osft_outcome o;
    struct diag d = {0};
    assert_int_equal(cpu_osft_matrix(&job, &o, &d), FR_OK);
    assert_int_equal(o.driver, driver == SVD_GESVD ? SVD_GESVD : SVD_GESDD);
    assert_non_null(o.held.buf);
    struct factor_layout lay;
    factor_layout_of(m, n, t, &lay);
    assert_true(o.held.bytes == lay.bytes && !o.held.on_device);
    check_outcome(&w, &o, o.held.buf);
    /* the high and low parts together are W: same result as without a split */
    struct osft_outcome whole;
    job.k_split = 0;
    job.keep_factors = 0;
    assert_int_equal(cpu_osft_matrix(&job, &whole, &d), FR_OK);
    assert_null(whole.held.buf);
    assert_true(sigma_ratio(&whole.s, &o.s, m, n) == 0);
    held_factors_release(&o.held);
    assert_null(o.held.buf);
    mat_free(&o.s);
    mat_free(&whole.s);
    mat_free(&w);
}

static void test_cpu_shapes(void **state)
{
    (void)state;
    run_cpu(120, 80, DT_F32, SVD_GESDD);
    run_cpu(80, 120, DT_F32, SVD_GESDD);
    run_cpu(64, 64, DT_F64, SVD_GESDD);
    run_cpu(45, 130, DT_F64, SVD_GESVD);
    run_cpu(130, 45, DT_F32, SVD_AUTO);
}

/* QR iteration and divide and conquer agree on the singular values to
 * within LAPACK's own tolerance. */
static void test_gesvd_matches_gesdd(void **state)
{
    (void)state;
    struct matrix w = test_weight("model.layers.1.mlp.up_proj.weight", 200, 90, DT_F32);
    struct osft_job job = {.w = &w, .k_split = 45, .atol = 1e-5, .rtol = 1e-5, .driver = SVD_GESVD};
    struct osft_outcome a, b;
    struct diag d = {0};
    assert_int_equal(cpu_osft_matrix(&job, &a, &d), FR_OK);
    job.driver = SVD_GESDD;
    assert_int_equal(cpu_osft_matrix(&job, &b, &d), FR_OK);
    double r = sigma_ratio(&a.s, &b.s, 200, 90);
    assert_true(r > 0 && r < 35); /* different algorithms: close, not bit-equal */
    mat_free(&a.s);
    mat_free(&b.s);
    mat_free(&w);
}

/* A corrupt header is refused, not read. */
/* mini_trainer's six parts out of a buffer: U_high diag(S_high) V_high +
 * U_low diag(S_low) V_low is W again, the singular values descend across
 * the split, and the columns of U are orthonormal. Tall and wide. */
static void test_osft_parts(void **state)
{
    (void)state;
    static const int64_t shapes[][2] = {{48, 20}, {20, 48}};
    for (int s = 0; s < 2; s++) {
        int64_t m = shapes[s][0], n = shapes[s][1], k = m < n ? m : n, ks = 7;
        struct matrix w = test_weight("model.layers.0.mlp.up_proj.weight", m, n, DT_F64);
        struct osft_job job = {.w = &w, .k_split = ks, .atol = 1e-9, .rtol = 1e-9, .driver = SVD_GESDD,
                               .keep_factors = 1};
        struct osft_outcome o;
        struct diag d = {0};
        assert_int_equal(cpu_osft_matrix(&job, &o, &d), FR_OK);
        float *part[OP_COUNT];
        for (int p = 0; p < OP_COUNT; p++) {
            int64_t r, c;
            osft_part_shape(m, n, ks, (enum osft_part)p, &r, &c);
            assert_int_equal(r, p == OP_U_HIGH || p == OP_U_LOW ? m : p <= OP_V_HIGH ? ks : k - ks);
            part[p] = malloc((size_t)(r * (c ? c : 1)) * sizeof *part[p]);
            assert_int_equal(factor_part_extract(o.held.buf, ks, (enum osft_part)p, part[p]), 0);
        }
        assert_string_equal(osft_part_name(OP_V_LOW), "osft_V_low");
        double worst = 0, scale = 0;
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                double x = 0;
                for (int64_t l = 0; l < ks; l++)
                    x += (double)part[OP_U_HIGH][i * ks + l] * part[OP_S_HIGH][l] * part[OP_V_HIGH][l * n + j];
                for (int64_t l = 0; l < k - ks; l++)
                    x += (double)part[OP_U_LOW][i * (k - ks) + l] * part[OP_S_LOW][l] * part[OP_V_LOW][l * n + j];
                worst = fmax(worst, fabs(x - mat_get(&w, i, j)));
                scale = fmax(scale, fabs(mat_get(&w, i, j)));
            }
        assert_true(worst <= 1e-5 * scale); /* float parts */
        assert_true(part[OP_S_HIGH][ks - 1] >= part[OP_S_LOW][0]);
        double dot = 0, norm = 0;
        for (int64_t i = 0; i < m; i++) {
            dot += (double)part[OP_U_HIGH][i * ks] * part[OP_U_LOW][i * (k - ks)];
            norm += (double)part[OP_U_HIGH][i * ks] * part[OP_U_HIGH][i * ks];
        }
        assert_true(fabs(dot) < 1e-5 && fabs(norm - 1) < 1e-5);
        assert_int_equal(factor_part_extract(o.held.buf, k + 1, OP_U_HIGH, part[0]), -1);
        for (int p = 0; p < OP_COUNT; p++)
            free(part[p]);
        held_factors_release(&o.held);
        mat_free(&o.s);
        mat_free(&w);
    }
}

static void test_rebuild_refuses_bad_headers(void **state)
{
    (void)state;
    struct factor_layout lay;
    factor_layout_of(6, 4, DT_F64, &lay);
    unsigned char *buf = calloc(1, lay.bytes);
    struct matrix w;
    assert_int_equal(mat_alloc(&w, DT_F64, 6, 4), 0);
    struct factor_header h = factor_header_make(6, 4, DT_F64, FP_U, FP_VT, SVD_GESDD);
    memcpy(buf, &h, sizeof h);
    assert_int_equal(factor_rebuild(buf, &w), 0);
    h.magic = 0;
    memcpy(buf, &h, sizeof h);
    assert_int_equal(factor_rebuild(buf, &w), -1);
    h = factor_header_make(6, 4, DT_F64, FP_U, FP_UT, SVD_GESDD); /* two U's and no V */
    memcpy(buf, &h, sizeof h);
    assert_int_equal(factor_rebuild(buf, &w), -1);
    h = factor_header_make(4, 6, DT_F64, FP_U, FP_VT, SVD_GESDD); /* not this W's shape */
    memcpy(buf, &h, sizeof h);
    assert_int_equal(factor_rebuild(buf, &w), -1);
    mat_free(&w);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_cpu_shapes),
        cmocka_unit_test(test_gesvd_matches_gesdd),
        cmocka_unit_test(test_osft_parts),
        cmocka_unit_test(test_rebuild_refuses_bad_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
