/* A table cell as text: floats in the fewest digits that read back to the
 * same double, checked against strtod (the reference reader) on doubles of
 * every magnitude and on the values people read by eye. */
#include "testutil.h"

#include <float.h>
#include <math.h>

#include "report/report_data.h"

struct row {
    double x;
};
static const struct column x_col = COL(COL_F64, struct row, x, "");

static const char *cell(double x, char *buf, size_t size)
{
    struct row r = {x};
    return report_cell(&x_col, &r, buf, size);
}

static void test_round_trip(void **state)
{
    (void)state;
    char buf[64];
    uint64_t s = 12345;
    for (int i = 0; i < 200000; i++) {
        /* random bit patterns: every exponent, subnormals included */
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double x;
        uint64_t bits = s ^ (s >> 29);
        memcpy(&x, &bits, sizeof x);
        if (!isfinite(x))
            continue;
        cell(x, buf, sizeof buf);
        double back = strtod(buf, NULL);
        if (memcmp(&back, &x, sizeof x) != 0)
            fail_msg("%a printed as %s reads back as %a", x, buf, back);
    }
    const double edges[] = {DBL_MIN, DBL_MAX, DBL_TRUE_MIN, -0.0, 5.625e-07, 1.0 / 3, 2.0 / 3, 1e23};
    for (size_t k = 0; k < sizeof edges / sizeof *edges; k++)
        assert_true(strtod(cell(edges[k], buf, sizeof buf), NULL) == edges[k]);
}

static void test_shortest(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(cell(0.5, buf, sizeof buf), "0.5");
    assert_string_equal(cell(0.1, buf, sizeof buf), "0.1");
    assert_string_equal(cell(100, buf, sizeof buf), "100");
    assert_string_equal(cell(5.625e-07, buf, sizeof buf), "5.625e-07");
    assert_string_equal(cell(1.0 / 3, buf, sizeof buf), "0.3333333333333333");
    assert_string_equal(cell(NAN, buf, sizeof buf), "nan");
    assert_string_equal(cell(-INFINITY, buf, sizeof buf), "-inf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_shortest),
    };
    return cmocka_run_group_tests_name("report_data", tests, NULL, NULL);
}
