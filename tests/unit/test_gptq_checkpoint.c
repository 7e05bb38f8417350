/* The zero-point convention read from the codes: known layers whose mean
 * code - stored zero is 0, 1, 1/2, -1 and 2, and the checks built on it. */
#include "testutil.h"

#include <math.h>

#include "core/half.h"
#include "core/quant/gptq_checkpoint.h"

/* A 4-bit layer (in 16, out 8, one group) of constant code and stored zero. */
static void layer(struct gptq_packed *p, int code, int stored_zero)
{
    assert_int_equal(gptq_packed_alloc(p, 4, 8, 16, 1), 0);
    int32_t codes[16], zeros[8];
    for (int k = 0; k < 16; k++)
        codes[k] = code;
    for (int n = 0; n < 8; n++) {
        zeros[n] = stored_zero;
        packed_write_stream(p->qweight + n, 8, 4, codes, 16);
        p->scales[n] = half_bits(0.5f);
    }
    packed_write_stream(p->qzeros, 1, 4, zeros, 8);
    for (int k = 0; k < 16; k++)
        p->g_idx[k] = 0;
}

static void test_mean_code_minus_zero_tells_the_convention(void **state)
{
    (void)state;
    struct gptq_packed p = {0};
    struct gptq_layer_check c;
    struct diag d = {0};
    layer(&p, 5, 5); /* v2: the stored zero is the zero */
    assert_int_equal(gptq_layer_check(&p, ZEROS_V2, NULL, 1, &c, &d), FR_OK);
    assert_true(c.code_minus_zero == 0 && c.looks == LOOKS_V2);
    assert_true(isnan(c.err_declared) && c.kernel.rel_mean <= GPTQ_KERNEL_REL_MEAN_BOUND);
    gptq_packed_free(&p);
    layer(&p, 5, 4); /* v1: zero - 1 stored */
    assert_int_equal(gptq_layer_check(&p, ZEROS_V1, NULL, 1, &c, &d), FR_OK);
    assert_true(c.code_minus_zero == 1 && c.looks == LOOKS_V1);
    gptq_packed_free(&p);
    layer(&p, 15, 15); /* a v1 zero of 0 wraps to 15 */
    int64_t top;
    assert_true(gptq_code_minus_zero(&p, &top) == 0 && top == 8);
    gptq_packed_free(&p);
}

static void test_half_way_is_undecided(void **state)
{
    (void)state;
    struct gptq_packed p = {0};
    struct gptq_layer_check c;
    struct diag d = {0};
    assert_int_equal(gptq_packed_alloc(&p, 4, 8, 16, 1), 0);
    int32_t codes[16], zeros[8] = {4, 4, 4, 4, 4, 4, 4, 4};
    for (int k = 0; k < 16; k++)
        codes[k] = 4 + k % 2; /* mean code - zero = 1/2 */
    for (int n = 0; n < 8; n++) {
        packed_write_stream(p.qweight + n, 8, 4, codes, 16);
        p.scales[n] = half_bits(1.0f);
    }
    packed_write_stream(p.qzeros, 1, 4, zeros, 8);
    for (int k = 0; k < 16; k++)
        p.g_idx[k] = 0;
    assert_int_equal(gptq_layer_check(&p, ZEROS_V2, NULL, 1, &c, &d), FR_OK);
    assert_true(fabs(c.code_minus_zero - 0.5) < 1e-12 && c.looks == LOOKS_UNDECIDED);
    gptq_packed_free(&p);
}

/* Zeros converted twice: v1's zero - 1 applied again (m near 2), or a v2
 * layer "converted" the other way (m near -1): near neither convention. */
static void test_converted_twice_follows_neither(void **state)
{
    (void)state;
    struct gptq_packed p = {0};
    struct gptq_layer_check c;
    struct diag d = {0};
    layer(&p, 6, 4); /* zero 6 stored as 4 */
    assert_int_equal(gptq_layer_check(&p, ZEROS_V1, NULL, 1, &c, &d), FR_OK);
    assert_true(c.code_minus_zero == 2 && c.looks == LOOKS_NEITHER);
    gptq_packed_free(&p);
    layer(&p, 5, 6); /* zero 5 stored as 6 */
    assert_int_equal(gptq_layer_check(&p, ZEROS_V2, NULL, 1, &c, &d), FR_OK);
    assert_true(c.code_minus_zero == -1 && c.looks == LOOKS_NEITHER);
    gptq_packed_free(&p);
    /* the measured means of the doubly converted checkpoints, and the edges */
    assert_int_equal(gptq_zeros_classify(-1.007), LOOKS_NEITHER);
    assert_int_equal(gptq_zeros_classify(1.993), LOOKS_NEITHER);
    assert_int_equal(gptq_zeros_classify(0.24), LOOKS_V2);
    assert_int_equal(gptq_zeros_classify(-0.24), LOOKS_V2);
    assert_int_equal(gptq_zeros_classify(0.76), LOOKS_V1);
    assert_int_equal(gptq_zeros_classify(1.24), LOOKS_V1);
    assert_int_equal(gptq_zeros_classify(0.5), LOOKS_UNDECIDED);
    assert_int_equal(gptq_zeros_classify(-0.3), LOOKS_NEITHER);
    assert_int_equal(gptq_zeros_classify(1.3), LOOKS_NEITHER);
}

static void test_errors_against_the_original(void **state)
{
    (void)state;
    struct gptq_packed p = {0};
    struct gptq_layer_check c;
    struct diag d = {0};
    layer(&p, 7, 5); /* W = 0.5 (7 - 5) = 1 under v2, 0.5 (7 - 6) = 0.5 under v1 */
    float w[8 * 16];
    for (int i = 0; i < 8 * 16; i++)
        w[i] = 1.0f;
    assert_int_equal(gptq_layer_check(&p, ZEROS_V2, w, 1, &c, &d), FR_OK);
    assert_true(c.err_declared == 0 && fabs(c.err_other - 0.5) < 1e-12);
    assert_int_equal(gptq_layer_check(&p, ZEROS_V1, w, 1, &c, &d), FR_OK);
    assert_true(fabs(c.err_declared - 0.5) < 1e-12 && c.err_other == 0);
    gptq_packed_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_code_minus_zero_tells_the_convention),
        cmocka_unit_test(test_half_way_is_undecided),
        cmocka_unit_test(test_converted_twice_follows_neither),
        cmocka_unit_test(test_errors_against_the_original),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
