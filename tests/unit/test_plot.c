/* Plots as data: aggregation per (category, series) against sums and
 * maxima computed here, what a log axis leaves out, line order by x, and
 * the gnuplot script's data rows and escaping. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot.h"
#include "report/plot_gnuplot.h"

static void test_aggregates_per_cell(void **state)
{
    (void)state;
    const double vals[] = {3, -1, 7, 2.5, 0};
    for (int agg = PLOT_MAX; agg <= PLOT_SUM; agg++) {
        struct plot p;
        plot_init(&p, "t", "t", PLOT_BARS, (enum plot_agg)agg);
        double sum = 0, max = -INFINITY;
        for (size_t i = 0; i < 5; i++) {
            assert_int_equal(plot_add(&p, "q_proj", 0, "err", vals[i]), 0);
            assert_int_equal(plot_add(&p, "k_proj", 0, "err", 10 * vals[i]), 0);
            sum += vals[i];
            max = vals[i] > max ? vals[i] : max;
        }
        double want = agg == PLOT_MAX ? max : agg == PLOT_SUM ? sum : sum / 5;
        assert_int_equal(p.ncats, 2);
        assert_int_equal(p.nsers, 1);
        assert_true(fabs(plot_value(&p, 0, 0) - want) <= 1e-15);
        assert_true(fabs(plot_value(&p, 1, 0) - 10 * want) <= 1e-13);
        assert_true(isnan(plot_value(&p, 0, 1))); /* no such series */
        plot_free(&p);
    }
}

static void test_log_axis_and_nonfinite_values_are_counted_not_drawn(void **state)
{
    (void)state;
    struct plot p;
    plot_init(&p, "gap", "gap", PLOT_LINES, PLOT_MEAN);
    p.logx = p.logy = 1;
    plot_add(&p, "8", 8, "lpt", 1e-3);
    plot_add(&p, "8", 8, "kk", 0);         /* 0 on a log axis */
    plot_add(&p, "8", 8, "block", -2);     /* below 0 */
    plot_add(&p, "0", 0, "lpt", 1);        /* x = 0 on a log x axis */
    plot_add(&p, "2", 2, "lpt", NAN);
    plot_add(&p, "2", INFINITY, "lpt", 1); /* x not finite */
    assert_int_equal(p.dropped_nonpositive, 3);
    assert_int_equal(p.dropped_nonfinite, 2);
    assert_int_equal(p.npts, 1);
    assert_true(plot_has_data(&p));
    plot_free(&p);

    plot_init(&p, "bars", "bars", PLOT_BARS, PLOT_MAX); /* a linear axis keeps 0 and negatives */
    plot_add(&p, "a", 0, "s", 0);
    plot_add(&p, "b", 0, "s", -1);
    assert_int_equal(p.npts, 2);
    assert_int_equal(p.dropped_nonpositive, 0);
    plot_free(&p);
}

static void test_lines_are_drawn_in_x_order_bars_in_first_seen_order(void **state)
{
    (void)state;
    const double xs[] = {64, 2, 1024, 8};
    struct plot lines, bars;
    plot_init(&lines, "l", "l", PLOT_LINES, PLOT_MEAN);
    plot_init(&bars, "b", "b", PLOT_BARS, PLOT_MEAN);
    char name[16];
    for (size_t i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%g", xs[i]);
        plot_add(&lines, name, xs[i], "lpt", xs[i] / 2);
        plot_add(&bars, name, 0, "lpt", xs[i] / 2);
    }
    size_t order[4];
    plot_order(&lines, order);
    for (size_t i = 1; i < 4; i++)
        assert_true(lines.catx[order[i - 1]] < lines.catx[order[i]]);
    plot_order(&bars, order);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(order[i], i);
    plot_free(&lines);
    plot_free(&bars);
}

static char *script_of(const struct plot *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    plot_gnuplot_script(p, f);
    fclose(f);
    return text;
}

static void test_script_has_every_value_and_escapes_names(void **state)
{
    (void)state;
    struct plot p;
    plot_init(&p, "q", "a \"quoted\" title \\ here", PLOT_BARS, PLOT_MEAN);
    plot_add(&p, "b4 g128", 0, "rtn", 20.5);
    plot_add(&p, "b4 g128", 0, "gptq", 23.25);
    plot_add(&p, "b3 g\"x\"", 0, "gptq", 14);
    char *s = script_of(&p);
    assert_non_null(strstr(s, "set terminal svg"));
    assert_non_null(strstr(s, "set title \"a \\\"quoted\\\" title \\\\ here\""));
    /* one data row per category: the name, then each series' value or "?" */
    assert_non_null(strstr(s, "\"b4 g128\" 20.5 23.25\n"));
    assert_non_null(strstr(s, "\"b3 g\\\"x\\\"\" ? 14\n"));
    assert_non_null(strstr(s, "title \"rtn\""));
    assert_non_null(strstr(s, "title \"gptq\""));
    assert_non_null(strstr(s, "set yrange [0:*]"));
    free(s);
    plot_free(&p);

    plot_init(&p, "c", "change", PLOT_BARS, PLOT_MAX); /* negative values: the axis is not pinned at 0 */
    plot_add(&p, "x", 0, "s", -5);
    s = script_of(&p);
    assert_null(strstr(s, "set yrange [0:*]"));
    free(s);
    plot_free(&p);
}

static void test_gnuplot_is_found_through_the_environment(void **state)
{
    (void)state;
    char buf[256];
    setenv("FIDRUN_GNUPLOT", "", 1);
    assert_null(plot_gnuplot_find(buf, sizeof buf));
    setenv("FIDRUN_GNUPLOT", "/nonexistent/gnuplot", 1);
    assert_null(plot_gnuplot_find(buf, sizeof buf));
    setenv("FIDRUN_GNUPLOT", "/bin/sh", 1);
    assert_string_equal(plot_gnuplot_find(buf, sizeof buf), "/bin/sh");
    unsetenv("FIDRUN_GNUPLOT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregates_per_cell),
        cmocka_unit_test(test_log_axis_and_nonfinite_values_are_counted_not_drawn),
        cmocka_unit_test(test_lines_are_drawn_in_x_order_bars_in_first_seen_order),
        cmocka_unit_test(test_script_has_every_value_and_escapes_names),
        cmocka_unit_test(test_gnuplot_is_found_through_the_environment),
    };
    return cmocka_run_group_tests_name("plot", tests, NULL, NULL);
}
