/* Dequant-matmul kernels against the fp64 reference on odd sizes, every
 * bit width, act-order g_idx, both zero conventions and both accumulation
 * modes; and each degenerate-output detector on a crafted case. */
#include "testutil.h"

#include <math.h>

#include "core/half.h"
#include "core/quant/degenerate.h"
#include "core/quant/gptq_pack.h"
#include "core/quant/qmatmul.h"
#include "core/quant/quantizer.h"
#include "util/rng.h"

static void random_layer(struct quantized *qz, int64_t out, int64_t in, int64_t groups, int bits, int act_order,
                         uint64_t seed)
{
    assert_int_equal(quantized_alloc(qz, out, in, groups, bits), 0);
    size_t n = (size_t)(out * in + 2 * groups * out + in);
    double *u = malloc(n * sizeof *u);
    rng_uniforms(rng_key(seed, "layer"), 0, 0, n, u);
    int32_t top = quant_maxq(bits) + 1;
    for (int64_t i = 0; i < out * in; i++)
        qz->q[i] = (int32_t)(u[i] * top);
    for (int64_t i = 0; i < groups * out; i++) {
        qz->scale[i] = (float)(0.002 + 0.02 * u[out * in + i]);
        qz->zero[i] = (float)(1 + (int32_t)(u[out * in + groups * out + i] * (top - 1)));
    }
    for (int64_t k = 0; k < in; k++)
        qz->g_idx[k] = act_order ? (int32_t)(u[out * in + 2 * groups * out + k] * groups) : (int32_t)(k * groups / in);
    free(u);
}

static uint16_t *random_x(int64_t batch, int64_t in, uint64_t seed)
{
    double *z = malloc((size_t)(batch * in) * sizeof *z);
    uint16_t *x = malloc((size_t)(batch * in) * sizeof *x);
    rng_normals(rng_key(seed, "x"), 0, 0, (size_t)(batch * in), z);
    for (int64_t i = 0; i < batch * in; i++)
        x[i] = half_bits((float)z[i]);
    free(z);
    return x;
}

static void run_case(int bits, int64_t out, int64_t in, int64_t groups, int act, enum zero_format f, int64_t batch,
                     enum accum_mode mode, struct kernel_error *e)
{
    struct quantized qz;
    struct gptq_packed p;
    struct diag d = {0};
    random_layer(&qz, out, in, groups, bits, act, (uint64_t)(bits * 100 + act * 10 + f));
    assert_int_equal(gptq_pack(&qz, f, &p, NULL, &d), 0);
    uint16_t *x = random_x(batch, in, (uint64_t)batch);
    double *w = malloc((size_t)(out * in) * sizeof *w), *ref = malloc((size_t)(batch * out) * sizeof *ref),
           *ref2 = malloc((size_t)(batch * out) * sizeof *ref2);
    float *y = malloc((size_t)(batch * out) * sizeof *y);
    assert_int_equal(qmatmul_reference(&p, f, x, batch, ref, &d), 0);
    /* the blocked reference against a plain triple loop over the whole W */
    gptq_dequantize_f64(&p, f, w);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t n = 0; n < out; n++) {
            double s = 0;
            for (int64_t k = 0; k < in; k++)
                s += (double)half_value(x[b * in + k]) * w[n * in + k];
            ref2[b * out + n] = s;
            assert_true(fabs(s - ref[b * out + n]) <= 1e-12 * (1 + fabs(s)));
        }
    free(ref2);
    assert_int_equal(qmatmul(&p, f, x, batch, mode, y, &d), 0);
    kernel_error_compute(y, ref, batch * out, e);
    free(w);
    free(ref);
    free(y);
    free(x);
    gptq_packed_free(&p);
    quantized_free(&qz);
}

static void test_kernels_match_reference(void **state)
{
    (void)state;
    const int bits[] = {2, 3, 4, 8};
    const int64_t batches[] = {1, 3, 17, 64};
    for (int b = 0; b < 4; b++)
        for (int act = 0; act < 2; act++)
            for (int f = 0; f < 2; f++)
                for (int bi = 0; bi < 4; bi++) {
                    struct kernel_error e32, e16;
                    /* 608 outputs: one full 512-wide tile plus a partial one at batch 1 */
                    run_case(bits[b], 608, 224, 7, act, (enum zero_format)f, batches[bi], ACCUM_FP32, &e32);
                    run_case(bits[b], 608, 224, 7, act, (enum zero_format)f, batches[bi], ACCUM_FP16, &e16);
                    if (!(e32.rel_mean < 1e-6 && e32.max_abs < 1e-5 * e32.ref_max_abs))
                        fail_msg("fp32 bits %d act %d fmt %d batch %lld: rel %.3g max %.3g (ref %.3g)", bits[b], act,
                                 f, (long long)batches[bi], e32.rel_mean, e32.max_abs, e32.ref_max_abs);
                    if (!(e16.rel_mean < 5e-3 && e16.rel_mean > e32.rel_mean))
                        fail_msg("fp16 bits %d batch %lld: rel %.3g", bits[b], (long long)batches[bi], e16.rel_mean);
                }
}

/* 616 outputs: tiles end in 8 outputs the 16-wide batched loop leaves to
 * its one-at-a-time tail */
static void test_kernels_ragged_outputs(void **state)
{
    (void)state;
    const int bits[] = {4, 8};
    const int64_t batches[] = {1, 2, 3, 17};
    for (int b = 0; b < 2; b++)
        for (int bi = 0; bi < 4; bi++)
            for (int act = 0; act < 2; act++) {
                struct kernel_error e;
                run_case(bits[b], 616, 256, 4, act, ZEROS_V2, batches[bi], ACCUM_FP32, &e);
                if (!(e.rel_mean < 1e-6 && e.max_abs < 1e-5 * e.ref_max_abs))
                    fail_msg("bits %d batch %lld act %d: rel %.3g max %.3g", bits[b], (long long)batches[bi], act,
                             e.rel_mean, e.max_abs);
            }
}

/* The AVX2+FMA+F16C build and the baseline build give the same bits. */
static void test_builds_agree_bit_for_bit(void **state)
{
    (void)state;
    if (!strcmp(qmatmul_isa(), "baseline"))
        skip();
    const int bits[] = {3, 4, 8};
    for (int b = 0; b < 3; b++)
        for (int act = 0; act < 2; act++)
            for (int mode = 0; mode < 2; mode++)
                for (int64_t batch = 1; batch <= 9; batch += 4) {
                    struct quantized qz;
                    struct gptq_packed p;
                    struct qmm_layer L;
                    struct diag d = {0};
                    random_layer(&qz, bits[b] == 3 ? 640 : 616, 256, 4, bits[b], act, 77);
                    assert_int_equal(gptq_pack(&qz, ZEROS_V2, &p, NULL, &d), 0);
                    assert_int_equal(qmatmul_prepare(&p, ZEROS_V2, &L, &d), 0);
                    uint16_t *x = random_x(batch, 256, 3);
                    float *y1 = malloc((size_t)(batch * p.out) * sizeof *y1), *y2 = malloc((size_t)(batch * p.out) * 4);
                    assert_int_equal(qmatmul_run(&L, x, batch, (enum accum_mode)mode, y1, &d), 0);
                    assert_int_equal(qmatmul_run_baseline(&L, x, batch, (enum accum_mode)mode, y2, &d), 0);
                    assert_memory_equal(y1, y2, (size_t)(batch * p.out) * sizeof *y1);
                    free(y1);
                    free(y2);
                    free(x);
                    qmatmul_release(&L);
                    gptq_packed_free(&p);
                    quantized_free(&qz);
                }
}

static void test_zero_convention_mix_up_breaks_outputs(void **state)
{
    (void)state;
    struct quantized qz;
    struct gptq_packed p;
    struct diag d = {0};
    random_layer(&qz, 64, 64, 2, 4, 0, 5);
    assert_int_equal(gptq_pack(&qz, ZEROS_V2, &p, NULL, &d), 0);
    uint16_t *x = random_x(4, 64, 6);
    double *ref = malloc(4 * 64 * sizeof *ref);
    float *y = malloc(4 * 64 * sizeof *y);
    assert_int_equal(qmatmul_reference(&p, ZEROS_V2, x, 4, ref, &d), 0);
    assert_int_equal(qmatmul(&p, ZEROS_V1, x, 4, ACCUM_FP32, y, &d), 0); /* v2 data read as v1 */
    struct kernel_error e;
    kernel_error_compute(y, ref, 4 * 64, &e);
    assert_true(e.rel_mean > 0.05);
    free(ref);
    free(y);
    free(x);
    gptq_packed_free(&p);
    quantized_free(&qz);
}

static struct degenerate scan(const float *y, int64_t batch, int64_t out)
{
    struct degenerate g;
    degenerate_scan(y, batch, out, &g);
    return g;
}

static void test_degenerate_detectors(void **state)
{
    (void)state;
    enum { B = 4, N = 6 };
    const float normal[B * N] = {0.1f, -2, 3, 0.5f, 1, -1, 2, 0.3f, -0.2f, 1.5f, 0, 4,
                                 -3, 1, 0.2f, 5, 0.1f, 2, 1, 6, -1, 0.5f, 2, 0.25f};
    struct degenerate g = scan(normal, B, N);
    char buf[256];
    assert_int_equal(degenerate_count(&g), 0);
    assert_string_equal(degenerate_describe(&g, buf, sizeof buf), "none");

    float y[B * N];
    memset(y, 0, sizeof y);
    g = scan(y, B, N);
    assert_true(g.all_zero);
    assert_false(g.argmax_stuck);
    assert_contains(degenerate_describe(&g, buf, sizeof buf), "all-zero output");

    memcpy(y, normal, sizeof y);
    y[7] = NAN;
    y[8] = INFINITY;
    y[9] = 70000;
    g = scan(y, B, N);
    assert_int_equal(g.nan, 1);
    assert_int_equal(g.inf, 1);
    assert_int_equal(g.saturated, 2); /* 70000 and +inf */
    assert_contains(degenerate_describe(&g, buf, sizeof buf), "NaN x1, Inf x1, fp16 saturation x2");

    memcpy(y, normal, sizeof y);
    for (int n = 0; n < N; n++)
        y[2 * N + n] = 0.75f; /* one input gives the same value everywhere */
    g = scan(y, B, N);
    assert_int_equal(g.constant_rows, 1);
    assert_int_equal(g.constant_cols, 0);

    memcpy(y, normal, sizeof y);
    for (int b = 0; b < B; b++)
        y[b * N + 4] = -7; /* one output is the same for every input */
    g = scan(y, B, N);
    assert_int_equal(g.constant_cols, 1);
    assert_int_equal(g.constant_rows, 0);
    assert_false(g.argmax_stuck);

    memcpy(y, normal, sizeof y);
    for (int b = 0; b < B; b++)
        y[b * N + 1] = 100 + (float)b; /* every input's argmax is output 1 */
    g = scan(y, B, N);
    assert_true(g.argmax_stuck);
    assert_int_equal(degenerate_count(&g), 1);
    g = scan(y, 2, N); /* two inputs are not enough evidence */
    assert_false(g.argmax_stuck);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels_match_reference),
        cmocka_unit_test(test_kernels_ragged_outputs),
        cmocka_unit_test(test_builds_agree_bit_for_bit),
        cmocka_unit_test(test_zero_convention_mix_up_breaks_outputs),
        cmocka_unit_test(test_degenerate_detectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
