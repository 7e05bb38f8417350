/* Baseline compare rules on hand-made rows. */
#include "testutil.h"

#include <math.h>

#include "report/compare.h"

struct row {
    char name[16];
    int32_t count;
    double err, seconds, gbps;
    int32_t pass;
};

static const struct column cols[] = {
    COL(COL_STR, struct row, name, ""),    COL(COL_I32, struct row, count, ""), COL(COL_F64, struct row, err, ""),
    COL(COL_F64, struct row, seconds, "s"), COL(COL_F64, struct row, gbps, "GB/s"),
    COLC(COL_I32, struct row, pass, "", CMP_PASS),
};
static const struct table_desc desc = TABLE_DESC("t", struct row, cols);

static const struct cmp_line *line(const struct cmp_report *r, const char *metric)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->lines[i].metric, metric))
            return &r->lines[i];
    fail_msg("no line for %s", metric);
    return NULL;
}

static void test_rules(void **state)
{
    (void)state;
    struct row base[3] = {{"a", 5, 0.10, 1.0, 10, 1}, {"b", 7, 0.20, 2.0, 20, 1}, {"c", 1, 0.3, 1, 1, 0}};
    /* rows in another order; b slower by 20 % (inside the 25 % band), a's
     * rate down 30 %, b's error up 2 %, c's check fails (it failed before) */
    struct row now[3] = {{"c", 1, 0.3, 1, 1, 0}, {"b", 7, 0.204, 2.4, 20, 1}, {"a", 5, 0.10, 0.5, 7, 1}};
    struct cmp_policy p;
    cmp_policy_defaults(&p);
    struct cmp_report r = {0};
    assert_int_equal(compare_rows("s/t", &desc, base, 3, now, 3, &p, &r), 0);
    assert_int_equal(line(&r, "count")->regressed, 0);
    assert_int_equal(line(&r, "seconds")->regressed, 0);
    assert_int_equal(line(&r, "gbps")->regressed, 1);
    assert_string_equal(line(&r, "gbps")->key, "a");
    assert_int_equal(line(&r, "err")->regressed, 1);
    assert_string_equal(line(&r, "err")->key, "b");
    assert_true(fabs(line(&r, "err")->hi - 0.202) < 1e-9);
    assert_int_equal(line(&r, "pass")->regressed, 0);
    assert_int_equal(r.regressions, 2);
    cmp_report_free(&r);

    /* an explicit reference for err: up to +5 % is fine; a failing check and a
     * missing row regress */
    assert_int_equal(cmp_policy_add(&p, "err=-1,0.05", &(struct diag){0}), 0);
    now[1].pass = 0;
    assert_int_equal(compare_rows("s/t", &desc, base, 3, now, 2, &p, &r), 0);
    assert_int_equal(line(&r, "err")->regressed, 0);
    assert_int_equal(line(&r, "pass")->regressed, 1);
    assert_int_equal(r.missing_rows, 1);
    assert_int_equal(r.regressions, 2); /* row a missing, b's check failing */
    cmp_report_free(&r);
}

static void test_exact_and_nan(void **state)
{
    (void)state;
    struct row base[1] = {{"a", 5, NAN, 1, 1, 1}}, now[1] = {{"a", 6, NAN, 1, 1, 1}};
    struct cmp_policy p;
    cmp_policy_defaults(&p);
    struct cmp_report r = {0};
    assert_int_equal(compare_rows("s/t", &desc, base, 1, now, 1, &p, &r), 0);
    assert_int_equal(line(&r, "count")->regressed, 1); /* integers must match */
    assert_int_equal(line(&r, "err")->regressed, 0);   /* NaN then, NaN now */
    now[0].err = 0.1;
    cmp_report_free(&r);
    assert_int_equal(compare_rows("s/t", &desc, base, 1, now, 1, &p, &r), 0);
    assert_int_equal(line(&r, "err")->regressed, 1);
    cmp_report_free(&r);
}

static void test_tolerance_option_errors(void **state)
{
    (void)state;
    struct cmp_policy p;
    struct diag d = {0};
    cmp_policy_defaults(&p);
    assert_int_equal(cmp_policy_add(&p, "err", &d), FR_USAGE);
    assert_contains(d.msg, "METRIC=LOWER,UPPER");
    assert_int_equal(cmp_policy_add(&p, "err=0.1,0.2", &d), FR_USAGE);
    assert_int_equal(cmp_policy_add(&p, "err=-0.1,x", &d), FR_USAGE);
    assert_int_equal(cmp_policy_add(&p, "sqnr_db=-0.02,1e9", &d), FR_OK);
    assert_int_equal(p.nover, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_exact_and_nan),
        cmocka_unit_test(test_tolerance_option_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
