/* Quantizer, RTN, GPTQ and the HF GPTQ packing: known answers and
 * invariants. */
#include "testutil.h"

#include <math.h>

#include "core/half.h"
#include "core/quant/gptq.h"
#include "core/quant/gptq_pack.h"
#include "core/quant/quantizer.h"
#include "util/rng.h"

static void test_quantizer_ties_round_to_even(void **state)
{
    (void)state;
    /* 2 bits, asym, range [0, 3]: scale 1, zero 0; .5 ties go to even */
    const float x[] = {0, 0.5f, 1.5f, 2.5f, 3};
    float s, z;
    quant_find_params(x, 5, 1, 2, 0, &s, &z);
    assert_true(s == 1.0f && z == 0.0f);
    const int32_t want[] = {0, 0, 2, 2, 3};
    for (int i = 0; i < 5; i++)
        assert_int_equal(quant_code(x[i], s, z, 3), want[i]);
}

static void test_quantizer_symmetric(void **state)
{
    (void)state;
    /* 2 bits sym on [-1.5, 0.75]: xmax = 1.5, scale = 3/3 = 1, zero = 2 */
    const float x[] = {-1.5f, 0.75f};
    float s, z;
    quant_find_params(x, 2, 1, 2, 1, &s, &z);
    assert_true(s == 1.0f && z == 2.0f);
    assert_int_equal(quant_code(-1.5f, s, z, 3), 0); /* -1.5 -> -2 (even) */
    assert_int_equal(quant_code(0.75f, s, z, 3), 3);
    assert_int_equal(quant_code(0.5f, s, z, 3), 2);  /* 0.5 -> 0 */
    assert_int_equal(quant_code(-0.5f, s, z, 3), 2); /* -0.5 -> -0 */
    assert_int_equal(quant_code(9.0f, s, z, 3), 3);  /* clamped */
    assert_true(quant_value(0, s, z) == -2.0f);
}

static void test_quantizer_range_includes_zero_and_all_zero(void **state)
{
    (void)state;
    const float pos[] = {2, 3}; /* range becomes [0, 3] */
    float s, z;
    quant_find_params(pos, 2, 1, 2, 0, &s, &z);
    assert_true(s == 1.0f && z == 0.0f);
    const float zeros[] = {0, 0, 0};
    quant_find_params(zeros, 3, 1, 4, 1, &s, &z); /* [-1, 1] */
    assert_true(s == 2.0f / 15.0f && z == 8.0f);
    const float strided[] = {5, -100, 1, -100}; /* stride 2 sees 5 and 1 */
    quant_find_params(strided, 2, 2, 2, 0, &s, &z);
    assert_true(s == 5.0f / 3.0f && z == 0.0f);
}

static float *random_weights(int64_t out, int64_t in, uint64_t seed)
{
    double *z = malloc((size_t)(out * in) * sizeof *z);
    float *w = malloc((size_t)(out * in) * sizeof *w);
    rng_normals(rng_key(seed, "w"), 0, 0, (size_t)(out * in), z);
    for (int64_t i = 0; i < out * in; i++)
        w[i] = (float)(0.02 * z[i]);
    free(z);
    return w;
}

static void scaled_identity(struct hessian *h, int64_t n, float c)
{
    assert_int_equal(hessian_init(h, n), 0);
    for (int64_t i = 0; i < n; i++)
        h->h[i * n + i] = c;
}

static void assert_same_quantized(const struct quantized *a, const struct quantized *b)
{
    assert_int_equal(a->groups, b->groups);
    assert_memory_equal(a->q, b->q, (size_t)(a->out * a->in) * sizeof *a->q);
    assert_memory_equal(a->scale, b->scale, (size_t)(a->groups * a->out) * sizeof *a->scale);
    assert_memory_equal(a->zero, b->zero, (size_t)(a->groups * a->out) * sizeof *a->zero);
    assert_memory_equal(a->g_idx, b->g_idx, (size_t)a->in * sizeof *a->g_idx);
}

static void test_gptq_with_identity_hessian_is_rtn(void **state)
{
    (void)state;
    const int bits[] = {2, 3, 4, 8};
    const int64_t groups[] = {-1, 32, 64};
    int64_t out = 24, in = 128;
    float *w = random_weights(out, in, 7);
    struct diag d = {0};
    for (int b = 0; b < 4; b++)
        for (int g = 0; g < 3; g++)
            for (int sym = 0; sym < 2; sym++)
                for (int act = 0; act < 2; act++) {
                    struct quant_spec s = {.bits = bits[b], .group_size = groups[g], .sym = sym, .act_order = act,
                                           .percdamp = 0.01, .block_size = 48};
                    struct quantized r, q;
                    struct hessian h;
                    scaled_identity(&h, in, 3.5f);
                    assert_int_equal(rtn_quantize(w, out, in, &s, &r, &d), 0);
                    assert_int_equal(gptq_quantize(w, out, in, &h, &s, &q, &d), 0);
                    assert_same_quantized(&r, &q);
                    assert_int_equal(q.damp_retries, 0);
                    assert_true(fabs(q.damp - 0.035) < 1e-9);
                    quantized_free(&r);
                    quantized_free(&q);
                    hessian_free(&h);
                }
    free(w);
}

/* x with two channels strongly correlated and one outlier channel */
static float *correlated_inputs(int64_t tokens, int64_t in, uint64_t seed)
{
    double *z = malloc((size_t)(tokens * (in + 1)) * sizeof *z);
    float *x = malloc((size_t)(tokens * in) * sizeof *x);
    rng_normals(rng_key(seed, "x"), 0, 0, (size_t)(tokens * (in + 1)), z);
    for (int64_t t = 0; t < tokens; t++) {
        double common = z[t * (in + 1) + in];
        for (int64_t k = 0; k < in; k++)
            x[t * in + k] = (float)((0.9 * common + 0.3 * z[t * (in + 1) + k]) * (k == 5 ? 30 : 1));
    }
    free(z);
    return x;
}

static double output_error(const float *w, const struct quantized *qz, const float *x, int64_t tokens)
{
    int64_t out = qz->out, in = qz->in;
    float *wq = malloc((size_t)(out * in) * sizeof *wq);
    quantized_dequantize(qz, wq);
    double num = 0, den = 0;
    for (int64_t t = 0; t < tokens; t++)
        for (int64_t n = 0; n < out; n++) {
            double y = 0, yq = 0;
            for (int64_t k = 0; k < in; k++) {
                y += (double)w[n * in + k] * x[t * in + k];
                yq += (double)wq[n * in + k] * x[t * in + k];
            }
            num += (y - yq) * (y - yq);
            den += y * y;
        }
    free(wq);
    return sqrt(num / den);
}

static void test_gptq_beats_rtn_on_correlated_inputs(void **state)
{
    (void)state;
    int64_t out = 32, in = 64, tokens = 512;
    float *w = random_weights(out, in, 11), *x = correlated_inputs(tokens, in, 12),
          *held = correlated_inputs(256, in, 13);
    struct diag d = {0};
    for (int act = 0; act < 2; act++) {
        struct quant_spec s = {.bits = 3, .group_size = 32, .act_order = act, .percdamp = 0.01, .block_size = 16};
        struct hessian h;
        assert_int_equal(hessian_init(&h, in), 0);
        hessian_add(&h, x, tokens / 2, 4);
        hessian_add(&h, x + tokens / 2 * in, tokens / 2, 4);
        struct quantized r, q;
        assert_int_equal(rtn_quantize(w, out, in, &s, &r, &d), 0);
        assert_int_equal(gptq_quantize(w, out, in, &h, &s, &q, &d), 0);
        double er = output_error(w, &r, held, 256), eg = output_error(w, &q, held, 256);
        assert_true(eg < 0.8 * er);
        assert_true(q.loss > 0);
        /* act-order keeps g_idx in the original column order: every group
         * holds group_size columns */
        int counts[2] = {0};
        for (int64_t k = 0; k < in; k++)
            counts[q.g_idx[k]]++;
        assert_int_equal(counts[0], 32);
        assert_int_equal(counts[1], 32);
        quantized_free(&r);
        quantized_free(&q);
        hessian_free(&h);
    }
    free(w);
    free(x);
    free(held);
}

static void test_gptq_dead_columns_and_damping_retry(void **state)
{
    (void)state;
    int64_t out = 4, in = 8;
    float *w = random_weights(out, in, 3);
    struct quant_spec s = {.bits = 4, .group_size = -1, .percdamp = 0.01, .block_size = 128};
    struct hessian h;
    scaled_identity(&h, in, 1.0f);
    h.h[2 * in + 2] = 0; /* dead input channel */
    struct quantized q;
    struct diag d = {0};
    assert_int_equal(gptq_quantize(w, out, in, &h, &s, &q, &d), 0);
    assert_int_equal(q.dead_columns, 1);
    for (int64_t n = 0; n < out; n++) /* a zeroed weight quantizes to the zero point */
        assert_int_equal(q.q[n * in + 2], (int32_t)q.zero[n]);
    quantized_free(&q);
    hessian_free(&h);

    /* diag(1, ..., 1, -0.5): mean 0.8125; damps 0.008125 and 0.08125 leave
     * -0.5 + damp < 0, the second retry at 0.8125 succeeds */
    scaled_identity(&h, in, 1.0f);
    h.h[in * in - 1] = -0.5f;
    assert_int_equal(gptq_quantize(w, out, in, &h, &s, &q, &d), 0);
    assert_int_equal(q.damp_retries, 2);
    assert_true(fabs(q.damp - 0.8125) < 1e-9);
    quantized_free(&q);
    hessian_free(&h);
    free(w);
}

static void fill_random_quantized(struct quantized *qz, int64_t out, int64_t in, int64_t groups, int bits,
                                  uint64_t seed)
{
    assert_int_equal(quantized_alloc(qz, out, in, groups, bits), 0);
    double *u = malloc((size_t)(out * in + 2 * groups * out + in) * sizeof *u);
    rng_uniforms(rng_key(seed, "q"), 0, 0, (size_t)(out * in + 2 * groups * out + in), u);
    int32_t top = quant_maxq(bits) + 1;
    for (int64_t i = 0; i < out * in; i++)
        qz->q[i] = (int32_t)(u[i] * top);
    for (int64_t i = 0; i < groups * out; i++) {
        qz->scale[i] = half_value(half_bits((float)(0.001 + 0.01 * u[out * in + i])));
        qz->zero[i] = (float)(int32_t)(u[out * in + groups * out + i] * top);
    }
    for (int64_t k = 0; k < in; k++)
        qz->g_idx[k] = (int32_t)(u[out * in + 2 * groups * out + k] * groups);
    free(u);
}

static void test_pack_unpack_identity_every_width(void **state)
{
    (void)state;
    const int bits[] = {2, 3, 4, 8};
    struct diag d = {0};
    for (int b = 0; b < 4; b++)
        for (int f = 0; f < 2; f++) {
            struct quantized qz, back;
            struct gptq_packed p;
            fill_random_quantized(&qz, 64, 96, 3, bits[b], 100 + b);
            for (int64_t i = 0; i < qz.groups * qz.out; i++) /* v1 cannot hold a zero point of 0 */
                if (f == ZEROS_V1 && qz.zero[i] == 0)
                    qz.zero[i] = 1;
            int64_t wrapped = -1;
            assert_int_equal(gptq_pack(&qz, (enum zero_format)f, &p, &wrapped, &d), 0);
            assert_int_equal(wrapped, 0);
            assert_int_equal(gptq_unpack(&p, (enum zero_format)f, &back, &d), 0);
            assert_same_quantized(&qz, &back);
            quantized_free(&qz);
            quantized_free(&back);
            gptq_packed_free(&p);
        }
}

/* AutoGPTQ's pack() for 3 bits, transcribed loop by loop, as the
 * independent reference for the straddling words. */
static void autogptq_pack3_column(const uint32_t *intweight, int64_t in, uint32_t *qweight)
{
    int64_t i = 0, row = 0;
    while (row < in * 3 / 32) {
        for (int64_t j = i; j < i + 10; j++)
            qweight[row] |= intweight[j] << (3 * (j - i));
        i += 10;
        qweight[row] |= intweight[i] << 30;
        row += 1;
        qweight[row] |= (intweight[i] >> 2) & 1;
        i += 1;
        for (int64_t j = i; j < i + 10; j++)
            qweight[row] |= intweight[j] << (3 * (j - i) + 1);
        i += 10;
        qweight[row] |= intweight[i] << 31;
        row += 1;
        qweight[row] |= (intweight[i] >> 1) & 0x3;
        i += 1;
        for (int64_t j = i; j < i + 10; j++)
            qweight[row] |= intweight[j] << (3 * (j - i) + 2);
        i += 10;
        row += 1;
    }
}

static void test_three_bit_straddles_as_autogptq(void **state)
{
    (void)state;
    /* by hand: codes 7,0,0,...: word 0 = 7; code 7 at j = 10 puts bits 30,31
     * in word 0 and bit 0 of word 1 */
    int32_t words[3] = {0};
    packed_put(words, 1, 3, 10, 7);
    assert_int_equal((uint32_t)words[0], 0xC0000000u);
    assert_int_equal(words[1], 1);
    packed_put(words, 1, 3, 21, 5); /* 101b: bit 31 of word 1, bits 0-1 of word 2 = 10b */
    assert_int_equal((uint32_t)words[1], 0x80000001u);
    assert_int_equal(words[2], 2);
    assert_int_equal(packed_get(words, 1, 3, 21), 5);

    uint32_t codes[64], ref[6] = {0};
    int32_t ours[6] = {0};
    for (int j = 0; j < 64; j++)
        codes[j] = (uint32_t)(j * 5 + j / 7) & 7u;
    autogptq_pack3_column(codes, 64, ref);
    for (int j = 0; j < 64; j++)
        packed_put(ours, 1, 3, j, codes[j]);
    assert_memory_equal(ours, ref, sizeof ref);
}

static void test_zero_conventions_and_traps(void **state)
{
    (void)state;
    struct diag d = {0};
    struct quantized qz;
    struct gptq_packed p;
    fill_random_quantized(&qz, 32, 64, 2, 4, 9);
    for (int64_t i = 0; i < qz.groups * qz.out; i++)
        qz.zero[i] = 8; /* symmetric */
    assert_int_equal(gptq_pack(&qz, ZEROS_V1, &p, NULL, &d), 0);
    assert_int_equal(packed_get(p.qzeros, 1, 4, 0), 7); /* v1 stores zero - 1 */
    assert_int_equal(gptq_zero(&p, ZEROS_V1, 1, 5), 8);
    int64_t count;
    assert_int_equal(gptq_zero_diagnose(&p, ZEROS_V1, 1, &count), ZD_CONSISTENT);
    assert_int_equal(gptq_zero_diagnose(&p, ZEROS_V2, 1, &count), ZD_V1_READ_AS_V2);
    assert_int_equal(count, 64);
    gptq_packed_free(&p);

    assert_int_equal(gptq_pack(&qz, ZEROS_V2, &p, NULL, &d), 0);
    assert_int_equal(packed_get(p.qzeros, 1, 4, 0), 8);
    assert_int_equal(gptq_zero_diagnose(&p, ZEROS_V1, 1, &count), ZD_V2_READ_AS_V1);
    assert_int_equal(gptq_zero_diagnose(&p, ZEROS_V2, 1, &count), ZD_CONSISTENT);
    gptq_packed_free(&p);

    qz.zero[3] = 0; /* asymmetric zero 0: v1 stores -1 -> 15, read back as 16 */
    int64_t wrapped;
    assert_int_equal(gptq_pack(&qz, ZEROS_V1, &p, &wrapped, &d), 0);
    assert_int_equal(wrapped, 1);
    assert_int_equal(packed_get(p.qzeros, 1, 4, 3), 15);
    assert_int_equal(gptq_zero(&p, ZEROS_V1, 0, 3), 16);
    assert_int_equal(gptq_zero_diagnose(&p, ZEROS_V1, 0, &count), ZD_V1_WRAPPED);
    assert_int_equal(count, 1);
    gptq_packed_free(&p);
    quantized_free(&qz);
}

static void test_pack_rejects_shapes_that_do_not_fill_words(void **state)
{
    (void)state;
    struct diag d = {0};
    assert_int_equal(gptq_pack_check_shape(4, 64, 100, &d), FR_USAGE);
    assert_contains(d.msg, "multiple of 8");
    assert_int_equal(gptq_pack_check_shape(3, 64, 48, &d), FR_USAGE);
    assert_contains(d.msg, "multiple of 32");
    assert_int_equal(gptq_pack_check_shape(3, 64, 96, &d), FR_OK);
    assert_int_equal(gptq_pack_check_shape(5, 64, 96, &d), FR_USAGE);
}

static void test_dequantize_matches_formula(void **state)
{
    (void)state;
    struct diag d = {0};
    struct quantized qz;
    struct gptq_packed p;
    fill_random_quantized(&qz, 16, 32, 4, 8, 21);
    assert_int_equal(gptq_pack(&qz, ZEROS_V2, &p, NULL, &d), 0);
    double *w = malloc(16 * 32 * sizeof *w);
    gptq_dequantize_f64(&p, ZEROS_V2, w);
    for (int64_t n = 0; n < 16; n++)
        for (int64_t k = 0; k < 32; k++) {
            int g = qz.g_idx[k];
            double want = (double)qz.scale[g * 16 + n] * (qz.q[n * 32 + k] - qz.zero[g * 16 + n]);
            assert_true(w[n * 32 + k] == want);
        }
    free(w);
    gptq_packed_free(&p);
    quantized_free(&qz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantizer_ties_round_to_even),
        cmocka_unit_test(test_quantizer_symmetric),
        cmocka_unit_test(test_quantizer_range_includes_zero_and_all_zero),
        cmocka_unit_test(test_gptq_with_identity_hessian_is_rtn),
        cmocka_unit_test(test_gptq_beats_rtn_on_correlated_inputs),
        cmocka_unit_test(test_gptq_dead_columns_and_damping_retry),
        cmocka_unit_test(test_pack_unpack_identity_every_width),
        cmocka_unit_test(test_three_bit_straddles_as_autogptq),
        cmocka_unit_test(test_zero_conventions_and_traps),
        cmocka_unit_test(test_pack_rejects_shapes_that_do_not_fill_words),
        cmocka_unit_test(test_dequantize_matches_formula),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
