/* The CUDA backend against the CPU reference: GPU binding, the OSFT job
 * for every cuSOLVER driver on tall, wide and square weights in fp32 and
 * fp64, the factor buffer read back and rebuilt on the host, the GPU
 * checksum against the C one, and GPTQ (groups, act-order, static groups,
 * whole rows) against the CPU reference. Every test is skipped (and counted as
 * skipped) where no GPU is visible or fidrun was built without CUDA. */
#include "osft_check.h"

#ifdef FIDRUN_CUDA
#include "core/half.h"
#include "core/quant/calibration.h"
#include "core/quant/gptq.h"
#include "core/quant/gptq_pack.h"
#include "core/quant/qmatmul.h"
#include "cuda/gpu.h"

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

/* auto's promise: the fastest driver whose result meets the tolerance. A
 * tolerance nothing meets makes it reject every candidate faster than
 * gesvd on the first matrix of a shape, and go straight to gesvd after. */
static void test_auto_reruns_what_misses_the_tolerance(void **state)
{
    (void)state;
    need_gpu();
    struct matrix w = test_weight("model.layers.0.mlp.gate_proj.weight", 320, 192, DT_F32);
    struct osft_job job = {.w = &w, .k_split = 96, .atol = 0, .rtol = 1e-12, .driver = SVD_AUTO};
    struct osft_outcome o;
    struct diag d = {0};
    assert_int_equal(backend_cuda.osft_matrix(&job, &o, &d), FR_OK);
    assert_int_equal(o.driver, SVD_GESVD);
    assert_true(o.tuned && o.ds.violations > 0);
    unsigned faster = 0;
    for (int i = 0; i < SVD_DRIVER_COUNT; i++)
        if (o.tune_seconds[i] < o.tune_seconds[SVD_GESVD])
            faster |= 1u << i;
    assert_int_equal(o.rejected, faster);
    mat_free(&o.s);
    assert_int_equal(backend_cuda.osft_matrix(&job, &o, &d), FR_OK);
    assert_true(o.driver == SVD_GESVD && !o.tuned && o.rejected == 0);
    mat_free(&o.s);
    mat_free(&w);
}

/* GPTQ on the GPU against the CPU reference on the same weight and
 * activations: codes equal on >= 99.9 % of entries, loss and damping close. */
static void run_gptq(int64_t out, int64_t in, int64_t gs, int act_order, int static_groups, int sym)
{
    struct synthetic_activations sa = {.factors = 16, .correlation = 0.8, .outliers = 8, .outlier_min = 10,
                                       .outlier_max = 100};
    struct activation_sets a = {0};
    struct diag d = {0};
    assert_int_equal(activation_sets_synthetic(&sa, 99, in, 2048, 256, &a, &d), FR_OK);
    struct matrix wm = test_weight("model.layers.0.mlp.up_proj.weight", in, out, DT_F32); /* column-major in x out = W */
    struct quant_spec s = {.bits = 4, .group_size = gs, .sym = sym, .act_order = act_order,
                           .static_groups = static_groups, .percdamp = 0.01, .block_size = 128};
    struct quantized g = {0}, c = {0};
    double hs, qs;
    if (backend_cuda.gptq_layer(wm.data, out, in, a.calib, a.ncalib, 32, &s, &g, &hs, &qs, &d))
        fail_msg("GPTQ on the GPU, %lld x %lld group %lld: %s", (long long)out, (long long)in, (long long)gs, d.msg);
    assert_int_equal(gptq_layer_cpu(wm.data, out, in, a.calib, a.ncalib, 32, &s, &c, &hs, &qs, &d), FR_OK);
    int64_t differ = 0;
    for (int64_t i = 0; i < out * in; i++)
        differ += g.q[i] != c.q[i];
    if (differ > out * in / 1000)
        fail_msg("%lld of %lld codes differ from the CPU reference", (long long)differ, (long long)(out * in));
    assert_memory_equal(g.g_idx, c.g_idx, (size_t)in * sizeof *g.g_idx);
    assert_true(fabs(g.loss - c.loss) <= 0.01 * c.loss);
    /* the damping is percdamp x the mean of diag(H), and the GPU's H (cuBLAS
     * SYRK) is summed in another order than the CPU's: equal to rounding */
    if (!(fabs(g.damp - c.damp) <= 1e-5 * c.damp) || g.dead_columns != c.dead_columns)
        fail_msg("%lld x %lld group %lld: damping %.9g on the GPU, %.9g on the CPU; dead columns %lld, %lld",
                 (long long)out, (long long)in, (long long)gs, g.damp, c.damp, (long long)g.dead_columns,
                 (long long)c.dead_columns);
    quantized_free(&g);
    quantized_free(&c);
    mat_free(&wm);
    activation_sets_free(&a);
}

static void test_gptq_against_cpu(void **state)
{
    (void)state;
    need_gpu();
    run_gptq(256, 512, 128, 0, 0, 0);
    run_gptq(256, 512, 128, 1, 0, 0);
    run_gptq(256, 512, 128, 1, 1, 1);
    run_gptq(192, 384, -1, 0, 0, 0);
    run_gptq(128, 512, 256, 0, 0, 0); /* groups spanning two 128-column blocks */
}

/* The dequant-matmul kernels against the fp64 reference: fp32 within the
 * suite's default bound, fp16 within its sqrt(K) bound, for the GEMV and
 * the GEMM, 2/4/8 bits, with act-order (sorted groups) and v1 zeros. */
static void run_kernels(int bits, int64_t out, int64_t in, int64_t gs, int64_t batch, int act_order,
                        enum zero_format zf, enum accum_mode mode)
{
    struct matrix wm = test_weight("model.layers.2.self_attn.o_proj.weight", in, out, DT_F32);
    struct quant_spec s = {.bits = bits, .group_size = gs, .percdamp = 0.01, .block_size = 128};
    struct quantized qz = {0};
    struct gptq_packed p = {0};
    struct qmm_layer L = {0};
    struct diag d = {0};
    assert_int_equal(rtn_quantize(wm.data, out, in, &s, &qz, &d), FR_OK);
    if (act_order) /* scattered groups: column k in group (k * 7) % groups */
        for (int64_t k = 0; k < in; k++)
            qz.g_idx[k] = (int32_t)((k * 7) % qz.groups);
    assert_int_equal(gptq_pack(&qz, zf, &p, NULL, &d), FR_OK);
    assert_int_equal(qmatmul_prepare(&p, zf, &L, &d), FR_OK);
    uint16_t *x = malloc((size_t)(batch * in) * sizeof *x);
    double *ref = malloc((size_t)(batch * out) * sizeof *ref);
    float *y[QMM_VARIANTS];
    for (int v = 0; v < QMM_VARIANTS; v++)
        y[v] = malloc((size_t)(batch * out) * sizeof *y[v]);
    for (int64_t i = 0; i < batch * in; i++)
        x[i] = half_bits((float)(((i * 7919) % 2001) - 1000) / 1000.0f);
    struct qmm_device_case q = {.layers = {&L, &L, &L}, .x = x, .batch = batch, .mode = mode, .warmup = 1,
                                .repeats = 2, .copy_bytes = 1 << 20, .y = {y[0], y[1], y[2]}};
    if (gpu_qmatmul_device(&q, &d))
        fail_msg("%d-bit %lld x %lld batch %lld: %s", bits, (long long)out, (long long)in, (long long)batch, d.msg);
    assert_int_equal(qmatmul_reference(&p, zf, x, batch, ref, &d), FR_OK);
    struct kernel_error e;
    kernel_error_compute(y[0], ref, batch * out, &e);
    double k = mode == ACCUM_FP16 ? sqrt((double)in) : 1;
    double bound_abs = mode == ACCUM_FP16 ? 2.5e-2 * k : 1e-4, bound_rel = mode == ACCUM_FP16 ? 2.5e-4 * k : 1e-6;
    if (!(e.max_abs <= bound_abs && e.rel_mean <= bound_rel))
        fail_msg("%d-bit %lld x %lld batch %lld %s: max|dy| %.3g (<= %.3g), rel %.3g (<= %.3g)", bits, (long long)out,
                 (long long)in, (long long)batch, accum_mode_name(mode), e.max_abs, bound_abs, e.rel_mean, bound_rel);
    assert_true(q.median[0] > 0 && q.copy_gbps > 0 && q.blas_median > 0);
    for (int v = 0; v < QMM_VARIANTS; v++)
        free(y[v]);
    free(x);
    free(ref);
    qmatmul_release(&L);
    gptq_packed_free(&p);
    quantized_free(&qz);
    mat_free(&wm);
}

static void test_kernels_against_fp64(void **state)
{
    (void)state;
    need_gpu();
    for (int mode = ACCUM_FP32; mode <= ACCUM_FP16; mode++) {
        run_kernels(4, 512, 1024, 128, 1, 0, ZEROS_V2, (enum accum_mode)mode);
        run_kernels(4, 512, 1024, 128, 16, 0, ZEROS_V2, (enum accum_mode)mode);
        run_kernels(8, 256, 512, 64, 5, 0, ZEROS_V2, (enum accum_mode)mode);
        run_kernels(2, 256, 512, 128, 1, 0, ZEROS_V1, (enum accum_mode)mode);
        run_kernels(4, 512, 1024, 128, 3, 1, ZEROS_V2, (enum accum_mode)mode);
        run_kernels(4, 256, 1024, -1, 64, 0, ZEROS_V1, (enum accum_mode)mode);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels_against_fp64),
        cmocka_unit_test(test_binding),
        cmocka_unit_test(test_osft_every_driver),
        cmocka_unit_test(test_auto_reruns_what_misses_the_tolerance),
        cmocka_unit_test(test_gptq_against_cpu),
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
