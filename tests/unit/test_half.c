/* binary16 conversions: the integer implementation (what clang 14 builds
 * use) against the compiler's _Float16, bit for bit: every half widened,
 * and floats narrowed around every rounding boundary, subnormals,
 * overflow, infinities and NaN. */
#include "testutil.h"

#include <math.h>

#include "core/half.h"

static void test_every_half_widens_the_same(void **state)
{
    (void)state;
#if defined(__FLT16_MAX__)
    for (uint32_t b = 0; b < 65536; b++) {
        float a = half_value_soft((uint16_t)b), c = half_value((uint16_t)b);
        uint32_t x, y;
        memcpy(&x, &a, 4);
        memcpy(&y, &c, 4);
        if (x != y)
            fail_msg("half 0x%04x: soft %a, _Float16 %a", b, a, c);
    }
#else
    skip();
#endif
}

static void test_floats_narrow_the_same(void **state)
{
    (void)state;
#if defined(__FLT16_MAX__)
    size_t checked = 0;
    /* every float whose low 13 bits (the ones rounded away) are near a
     * boundary, over all exponents and signs, plus a stride through the rest */
    static const uint32_t lows[] = {0, 1, 0xfff, 0x1000, 0x1001, 0x1fff};
    for (uint32_t high = 0; high < (1u << 19); high++)
        for (size_t k = 0; k < sizeof lows / sizeof lows[0]; k++) {
            uint32_t x = high << 13 | lows[k];
            float f;
            memcpy(&f, &x, 4);
            uint16_t s = half_bits_soft(f), h = half_bits(f);
            if (s != h && !(isnan(f) && (s & 0x7e00) == 0x7e00 && (h & 0x7e00) == 0x7e00))
                fail_msg("float 0x%08x (%a): soft 0x%04x, _Float16 0x%04x", x, f, s, h);
            checked++;
        }
    for (uint64_t x = 0; x < (1ull << 32); x += 65521) {
        float f;
        uint32_t x32 = (uint32_t)x;
        memcpy(&f, &x32, 4);
        if (!isnan(f) && half_bits_soft(f) != half_bits(f))
            fail_msg("float 0x%08x: soft 0x%04x, _Float16 0x%04x", x32, half_bits_soft(f), half_bits(f));
        checked++;
    }
    assert_true(checked > 3000000);
#else
    skip();
#endif
}

static void test_known_values(void **state)
{
    (void)state;
    assert_int_equal(half_bits_soft(1.0f), 0x3c00);
    assert_int_equal(half_bits_soft(-2.0f), 0xc000);
    assert_int_equal(half_bits_soft(65504.0f), 0x7bff);
    assert_int_equal(half_bits_soft(65520.0f), 0x7c00);  /* the tie above 65504 goes to infinity */
    assert_int_equal(half_bits_soft(0x1p-24f), 0x0001);  /* the smallest subnormal */
    assert_int_equal(half_bits_soft(0x1p-25f), 0x0000);  /* half of it: a tie, to even (0) */
    assert_int_equal(half_bits_soft(1.0f + 0x1p-11f), 0x3c00); /* a tie to even, down */
    assert_int_equal(half_bits_soft(1.0f + 3 * 0x1p-11f), 0x3c02); /* a tie to even, up */
    assert_true(half_value_soft(0x7c00) == INFINITY);
    assert_true(isnan(half_value_soft(0x7e00)));
    assert_true(half_value_soft(0x0001) == 0x1p-24f);
}

/* float to bfloat16: every finite bfloat16 value comes back as itself, and
 * a halfway case rounds to even. */
static void test_bf16_round_trip(void **state)
{
    (void)state;
    for (uint32_t b = 0; b < 65536; b++) {
        float f = bf16_value((uint16_t)b);
        if (isnan(f))
            assert_true(isnan(bf16_value(bf16_bits(f))));
        else if (bf16_bits(f) != b)
            fail_msg("0x%04x -> %g -> 0x%04x", b, f, bf16_bits(f));
    }
    assert_int_equal(bf16_bits(1.0f), 0x3f80);
    assert_int_equal(bf16_bits(1.0f + 1.0f / 256), 0x3f80);         /* halfway, to the even 1.0 */
    assert_int_equal(bf16_bits(1.0f + 3.0f / 256), 0x3f82);         /* halfway, to the even 1.0234375 */
    assert_int_equal(bf16_bits(1.0f + 1.0f / 256 + 1e-6f), 0x3f81); /* past halfway: up */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bf16_round_trip),
        cmocka_unit_test(test_every_half_widens_the_same),
        cmocka_unit_test(test_floats_narrow_the_same),
        cmocka_unit_test(test_known_values),
    };
    return cmocka_run_group_tests_name("half", tests, NULL, NULL);
}
