/* The CUDA backend against the CPU reference: GPU binding, the OSFT job
 * for every cuSOLVER driver on tall, wide and square weights in fp32 and
 * fp64, the factor buffer read back and rebuilt on the host, and the GPU
 * checksum against the C one. Every test is skipped (and counted as
 * skipped) where no GPU is visible or fidrun was built without CUDA. */
#include "osft_check.h"

#ifdef FIDRUN_CUDA
#include "gpu.h"

static int setup(void **state)
{
    (void)state;
    char why[256];
    struct gpu_binding b;
    struct diag d = {0};
    if (gpu_visible_count(why, sizeof why) > 0 && gpu_bind(0, &b, &d) == FR_OK)
        return 0;
    fprintf(stderr, "no GPU: %s %s\n", why, d.msg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gpu_unbind();
    return 0;
}

static void need_gpu(void)
{
    struct gpu_binding b;
    if (gpu_bound(&b))
        skip();
}

static void test_binding(void **state)
{
    (void)state;
    need_gpu();
    struct gpu_binding b;
    assert_int_equal(gpu_bound(&b), FR_OK);
    assert_true(b.name[0] && b.pci_bus_id[0] && b.memory_gib > 1);
    char v[256];
    assert_contains(gpu_versions(v, sizeof v), "cuSOLVER");
}

static void run_gpu(int64_t m, int64_t n, enum dtype t, int driver)
{
    struct matrix w = test_weight("model.layers.0.mlp.down_proj.weight", m, n, t);
    struct osft_job job = {.w = &w, .k_split = (m < n ? m : n) / 2, .atol = 1e-5, .rtol = 1e-5,
                           .driver = driver, .keep_factors = 1};
    struct osft_outcome g, c;
    struct diag d = {0};
    if (backend_cuda.osft_matrix(&job, &g, &d))
        fail_msg("%lld x %lld %s %s: %s", (long long)m, (long long)n, dtype_name(t), svd_driver_name(driver), d.msg);
    assert_true(g.held.on_device && g.held.buf);
    assert_true(driver == SVD_AUTO ? g.driver != SVD_AUTO : g.driver == driver);
    void *host = malloc(g.held.bytes);
    assert_non_null(host);
    assert_int_equal(gpu_to_host(host, g.held.buf, g.held.bytes, &d), FR_OK);
    check_outcome(&w, &g, host);
    uint64_t sum;
    assert_int_equal(gpu_checksum(g.held.buf, g.held.bytes, &sum, &d), FR_OK);
    assert_true(sum == factor_checksum(host, g.held.bytes));
    job.keep_factors = 0;
    job.driver = SVD_GESDD;
    assert_int_equal(cpu_osft_matrix(&job, &c, &d), FR_OK);
    double r = sigma_ratio(&g.s, &c.s, m, n);
    if (!(r < 35))
        fail_msg("%lld x %lld %s %s: singular values ratio %.1f against LAPACK", (long long)m, (long long)n,
                 dtype_name(t), svd_driver_name(g.driver), r);
    assert_true(g.ds.violations == 0 && c.ds.violations == 0);
    free(host);
    held_factors_release(&g.held);
    mat_free(&g.s);
    mat_free(&c.s);
    mat_free(&w);
}

static void test_osft_every_driver(void **state)
{
    (void)state;
    need_gpu();
    static const int drivers[] = {SVD_GESVD, SVD_GESVDJ, SVD_GESVDP, SVD_AUTO};
    static const int64_t shapes[][2] = {{300, 200}, {200, 300}, {256, 256}, {64, 1536}};
    for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            run_gpu(shapes[s][0], shapes[s][1], DT_F32, drivers[i]);
            run_gpu(shapes[s][0], shapes[s][1], DT_F64, drivers[i]);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binding),
        cmocka_unit_test(test_osft_every_driver),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

#else

static void built_without_cuda(void **state)
{
    (void)state;
    skip();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(built_without_cuda),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
