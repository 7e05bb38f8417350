/* The counter-based generator: Random123's known-answer vectors, order
 * independence, distribution, and the synthetic weights built on it. */
#include "testutil.h"

#include <math.h>

#include "core/backend.h"
#include "io/matrices.h"
#include "util/rng.h"

/* Known-answer vectors published with Random123 (kat_vectors, philox4x32 10 rounds). */
static void test_philox_kat(void **state)
{
    (void)state;
    const struct {
        uint32_t ctr[4], key[2], out[4];
    } kat[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{~0u, ~0u, ~0u, ~0u}, {~0u, ~0u}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (size_t i = 0; i < 3; i++) {
        uint32_t out[4];
        philox4x32_10(kat[i].ctr, (struct philox_key){{kat[i].key[0], kat[i].key[1]}}, out);
        assert_memory_equal(out, kat[i].out, sizeof out);
    }
}

static void test_any_slice_gives_the_same_numbers(void **state)
{
    (void)state;
    struct philox_key key = rng_key(1234, "model.layers.0.mlp.up_proj.weight");
    double all[101], part[101];
    rng_normals(key, 0, 0, 101, all);
    rng_normals(key, 0, 0, 37, part);
    rng_normals(key, 0, 37, 1, part + 37);
    rng_normals(key, 0, 38, 63, part + 38);
    assert_memory_equal(all, part, sizeof all);
    double other[4];
    rng_normals(rng_key(1234, "model.layers.1.mlp.up_proj.weight"), 0, 0, 4, other);
    assert_true(memcmp(all, other, sizeof other) != 0);
    rng_normals(rng_key(1235, "model.layers.0.mlp.up_proj.weight"), 0, 0, 4, other);
    assert_true(memcmp(all, other, sizeof other) != 0);
    rng_normals(key, 1, 0, 4, other);
    assert_true(memcmp(all, other, sizeof other) != 0);
}

static void test_normal_moments(void **state)
{
    (void)state;
    size_t n = 1 << 20;
    double *z = malloc(n * sizeof *z), s1 = 0, s2 = 0, s4 = 0;
    rng_normals(rng_key(42, "moments"), 0, 0, n, z);
    for (size_t i = 0; i < n; i++) {
        s1 += z[i];
        s2 += z[i] * z[i];
        s4 += z[i] * z[i] * z[i] * z[i];
    }
    double mean = s1 / n, var = s2 / n - mean * mean, kurt = s4 / n;
    /* standard errors: 1/sqrt(n) ~ 0.001 for the mean, sqrt(2/n) ~ 0.0014 for the variance */
    assert_true(fabs(mean) < 0.005);
    assert_true(fabs(var - 1) < 0.007);
    assert_true(fabs(kurt - 3) < 0.05);
    free(z);
}

static void test_synthetic_weights(void **state)
{
    (void)state;
    struct synthetic_spectrum sp = {.std = 0.02, .spikes = 8, .strength = 4, .decay = 0.7};
    struct matrix a, b, c;
    assert_int_equal(mat_alloc(&a, DT_F64, 96, 64) | mat_alloc(&b, DT_F64, 96, 64) | mat_alloc(&c, DT_F32, 96, 64), 0);
    synthetic_weight(7, "w", &sp, &a);
    synthetic_weight(7, "w", &sp, &b);
    synthetic_weight(7, "w", &sp, &c);
    assert_memory_equal(a.data, b.data, 96 * 64 * sizeof(double));
    for (int64_t j = 0; j < 64; j++)
        for (int64_t i = 0; i < 96; i++)
            assert_true(mat_get(&c, i, j) == (double)(float)mat_get(&a, i, j)); /* same values, rounded */
    /* decaying spectrum: the spikes stand above the Gaussian bulk, whose edge is std (sqrt(m) + sqrt(n)) */
    struct matrix u, s, vt;
    assert_int_equal(mat_alloc(&u, DT_F64, 96, 64) | mat_alloc(&s, DT_F64, 64, 1) | mat_alloc(&vt, DT_F64, 64, 64), 0);
    struct diag d = {0};
    assert_int_equal(backend_cpu.svd_thin(&a, &u, &s, &vt, &d), FR_OK);
    double edge = 0.02 * (sqrt(96.0) + sqrt(64.0));
    assert_true(mat_get(&s, 0, 0) > 3.5 * edge);
    assert_true(mat_get(&s, 1, 0) > 2.4 * edge && mat_get(&s, 1, 0) < mat_get(&s, 0, 0));
    assert_true(mat_get(&s, 32, 0) < edge);
    /* with no spikes the entries have the configured scale */
    sp.spikes = 0;
    synthetic_weight(7, "w", &sp, &b);
    double ss = 0;
    for (int64_t i = 0; i < 96 * 64; i++)
        ss += ((double *)b.data)[i] * ((double *)b.data)[i];
    assert_true(fabs(sqrt(ss / (96 * 64)) - 0.02) < 0.001);
    mat_free(&a), mat_free(&b), mat_free(&c), mat_free(&u), mat_free(&s), mat_free(&vt);
}

int main(void)
{
    blas_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_kat),
        cmocka_unit_test(test_any_slice_gives_the_same_numbers),
        cmocka_unit_test(test_normal_moments),
        cmocka_unit_test(test_synthetic_weights),
    };
    return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
