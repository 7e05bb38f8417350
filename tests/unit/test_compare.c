/* Baseline compare rules on hand-made rows whose verdicts are known by
 * construction, and the suites' tables held to saying which way is better. */
#include "testutil.h"

#include <math.h>

#include "plugin/suite.h"
#include "report/compare.h"

struct row {
    char name[16];
    int32_t count;
    double err, sqnr, sigma, seconds, gbps, ratio;
    int32_t pass;
};

static const struct column cols[] = {
    COL(COL_STR, struct row, name, ""),
    COL(COL_I32, struct row, count, ""),
    COLC(COL_F64, struct row, err, "", CMP_LOWER),
    COLC(COL_F64, struct row, sqnr, "dB", CMP_HIGHER),
    COLC(COL_F64, struct row, sigma, "", CMP_INFO),
    COL(COL_F64, struct row, seconds, "s"),
    COL(COL_F64, struct row, gbps, "GB/s"),
    COLC(COL_F64, struct row, ratio, "", CMP_VALUE),
    COLC(COL_I32, struct row, pass, "", CMP_PASS),
};
static const struct table_desc desc = TABLE_DESC("t", struct row, cols);

static const struct cmp_line *line(const struct cmp_report *r, const char *metric)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->lines[i].metric, metric))
            return &r->lines[i];
    static const struct cmp_line none;
    fail_msg("no line for %s", metric);
    return &none;
}

static void test_directions(void **state)
{
    (void)state;
    struct row base[3] = {{"a", 5, 0.10, 20, 3.0, 1, 10, 1.0, 1},
                          {"b", 7, 0.20, 30, 4.0, 2, 20, 1.0, 1},
                          {"c", 1, 0.30, 10, 5.0, 1, 1, 1.0, 0}};
    /* rows in another order: a's error down 40 % and its SQNR up (better),
     * b's error up 2 % and its SQNR down 5 % (worse), every input changed,
     * c's check passes now (it failed before) */
    struct row now[3] = {{"c", 1, 0.30, 10, 9.0, 1, 1, 1.0, 1},
                         {"b", 7, 0.204, 28.5, 1.0, 2, 20, 1.0, 1},
                         {"a", 5, 0.06, 22, 7.0, 1, 10, 1.0, 1}};
    struct cmp_policy p;
    cmp_policy_defaults(&p);
    struct cmp_report r = {0};
    assert_int_equal(compare_rows("s/t", &desc, base, 3, now, 3, &p, &r), 0);
    const struct cmp_line *err = line(&r, "err"), *sqnr = line(&r, "sqnr");
    assert_int_equal(err->regressed, 1);
    assert_int_equal(err->improved, 1);
    assert_string_equal(err->key, "b"); /* the regressed row is the one shown */
    assert_true(fabs(err->hi - (0.202 + p.atol)) < 1e-12);
    assert_int_equal(sqnr->regressed, 1);
    assert_int_equal(sqnr->improved, 1);
    assert_int_equal(cmp_line_verdict(line(&r, "sigma")), VERDICT_INFO);
    assert_int_equal(line(&r, "sigma")->regressed, 0);
    assert_int_equal(cmp_line_verdict(line(&r, "pass")), VERDICT_IMPROVED);
    assert_int_equal(cmp_line_verdict(line(&r, "count")), VERDICT_OK);
    char allowed[64];
    assert_string_equal(cmp_allowed_text(err, allowed, sizeof allowed), "<= 0.202");
    assert_string_equal(cmp_allowed_text(sqnr, allowed, sizeof allowed), ">= 29.7");
    cmp_report_free(&r);

    /* only improvements: no regression anywhere, and they are counted */
    now[1].err = 0.1;
    now[1].sqnr = 40;
    assert_int_equal(compare_rows("s/t", &desc, base, 3, now, 3, &p, &r), 0);
    struct cmp_counts c;
    cmp_count(&r, &c);
    assert_int_equal(c.regressed, 0);
    assert_int_equal(c.improved, 3); /* err, sqnr, pass */
    assert_int_equal(c.figures_improved, 5);
    /* every line but the input is a metric: rows, count, err, sqnr, seconds, gbps, ratio, pass */
    assert_int_equal(c.metrics, 8);
    char verdict[200];
    assert_contains(cmp_verdict_line(&r, verdict, sizeof verdict), "NO REGRESSION: 0 of 8 metrics regressed");
    assert_contains(verdict, "3 improved");
    cmp_report_free(&r);
}

static void test_value_band_and_tolerance(void **state)
{
    (void)state;
    struct row base[2] = {{"a", 5, 0.1, 20, 1, 1, 10, 1.0, 1}, {"b", 5, 0.1, 20, 1, 1, 10, 1.0, 1}};
    struct row now[2] = {{"a", 5, 0.1, 20, 1, 1, 10, 0.98, 1}, {"b", 5, 0.104, 20, 1, 1, 10, 1.0, 0}};
    struct cmp_policy p;
    cmp_policy_defaults(&p);
    struct cmp_report r = {0};
    /* a ratio that should stay 1 is a band either way: 2 % below regresses */
    assert_int_equal(compare_rows("s/t", &desc, base, 2, now, 2, &p, &r), 0);
    assert_int_equal(line(&r, "ratio")->regressed, 1);
    assert_int_equal(line(&r, "err")->regressed, 1);
    cmp_report_free(&r);
    /* --tolerance err=-1,0.05 lets err rise 5 %; a failing check and a missing row regress */
    assert_int_equal(cmp_policy_add(&p, "err=-1,0.05", &(struct diag){0}), 0);
    assert_int_equal(compare_rows("s/t", &desc, base, 2, now, 2, &p, &r), 0);
    assert_int_equal(line(&r, "err")->regressed, 0);
    assert_int_equal(line(&r, "pass")->regressed, 1);
    cmp_report_free(&r);
    assert_int_equal(compare_rows("s/t", &desc, base, 2, now, 1, &p, &r), 0);
    assert_int_equal(r.missing_rows, 1);
    assert_int_equal(line(&r, "rows")->regressed, 1);
    assert_string_equal(line(&r, "rows")->key, "b");
    cmp_report_free(&r);
}

static void test_exact_and_nan(void **state)
{
    (void)state;
    struct row base[1] = {{"a", 5, NAN, 1, 1, 1, 1, 1, 1}}, now[1] = {{"a", 6, NAN, 1, 1, 1, 1, 1, 1}};
    struct cmp_policy p;
    cmp_policy_defaults(&p);
    struct cmp_report r = {0};
    assert_int_equal(compare_rows("s/t", &desc, base, 1, now, 1, &p, &r), 0);
    assert_int_equal(line(&r, "count")->regressed, 1); /* integers must match */
    assert_int_equal(line(&r, "err")->regressed, 0);   /* NaN then, NaN now */
    cmp_report_free(&r);
    now[0].err = 0.1; /* a figure that was NaN and is a number now has not regressed */
    assert_int_equal(compare_rows("s/t", &desc, base, 1, now, 1, &p, &r), 0);
    assert_int_equal(line(&r, "err")->regressed, 0);
    cmp_report_free(&r);
    base[0].err = 0.1; /* one that became NaN has */
    now[0].err = NAN;
    assert_int_equal(compare_rows("s/t", &desc, base, 1, now, 1, &p, &r), 0);
    assert_int_equal(line(&r, "err")->regressed, 1);
    cmp_report_free(&r);
}

/* Kernel-like rows: a median with its repeats' quartiles. */
struct timed {
    char name[8];
    double median_seconds, q1_seconds, q3_seconds, gbytes_per_s;
};

static const struct column timed_cols[] = {
    COL(COL_STR, struct timed, name, ""),
    COL(COL_F64, struct timed, median_seconds, "s"),
    COLC(COL_F64, struct timed, q1_seconds, "s", CMP_IGNORE),
    COLC(COL_F64, struct timed, q3_seconds, "s", CMP_IGNORE),
    COL(COL_F64, struct timed, gbytes_per_s, "GB/s"),
};
static const struct table_desc timed_desc = TABLE_DESC("k", struct timed, timed_cols);

static void test_time_against_its_spread(void **state)
{
    (void)state;
    struct cmp_policy p;
    cmp_policy_defaults(&p);
    struct cmp_report r = {0};
    /* two rows, too few to judge together, each by its quartiles: a 30 %
     * slower with the ranges apart regresses; b 30 % slower with repeats
     * spread so widely that the ranges overlap is noise */
    struct timed two_base[2] = {{"a", 1.0, 0.95, 1.05, 10}, {"b", 1.0, 0.7, 1.4, 10}};
    struct timed two_now[2] = {{"a", 1.3, 1.25, 1.35, 10 / 1.3}, {"b", 1.3, 1.0, 1.6, 10 / 1.3}};
    assert_int_equal(compare_rows("q/k", &timed_desc, two_base, 2, two_now, 2, &p, &r), 0);
    assert_int_equal(line(&r, "median_seconds")->regressed, 1);
    assert_string_equal(line(&r, "median_seconds")->key, "a");
    assert_int_equal(line(&r, "gbytes_per_s")->regressed, 1); /* a rate follows its time's verdict */
    cmp_report_free(&r);
    p.band = 0.5; /* a larger threshold lets a's 30 % pass */
    assert_int_equal(compare_rows("q/k", &timed_desc, two_base, 2, two_now, 2, &p, &r), 0);
    assert_int_equal(line(&r, "median_seconds")->regressed, 0);
    cmp_report_free(&r);
    cmp_policy_defaults(&p);

    /* twelve rows: one 60 % slower with its quartiles apart, the rest within
     * 3 %, is what two quiet runs of one binary look like; it is noise */
    enum { N = 12 };
    struct timed base[N], now[N];
    for (int i = 0; i < N; i++) {
        double t = 1e-3 * (1 + i), w = 1 + 0.03 * ((i % 3) - 1);
        base[i] = (struct timed){"", t, 0.98 * t, 1.02 * t, 1 / t};
        now[i] = (struct timed){"", t * w, 0.98 * t * w, 1.02 * t * w, 1 / (t * w)};
        snprintf(base[i].name, sizeof base[i].name, "k%d", i);
        snprintf(now[i].name, sizeof now[i].name, "k%d", i);
    }
    now[4].median_seconds = 1.6 * base[4].median_seconds;
    now[4].q1_seconds = 1.55 * base[4].median_seconds;
    now[4].q3_seconds = 1.65 * base[4].median_seconds;
    assert_int_equal(compare_rows("q/k", &timed_desc, base, N, now, N, &p, &r), 0);
    assert_int_equal(cmp_line_verdict(line(&r, "median_seconds")), VERDICT_OK);
    cmp_report_free(&r);
    /* all twelve 20 % slower: a regression, every row counted, the rate too */
    for (int i = 0; i < N; i++) {
        now[i] = base[i];
        now[i].median_seconds *= 1.2;
        now[i].q1_seconds *= 1.2;
        now[i].q3_seconds *= 1.2;
        now[i].gbytes_per_s /= 1.2;
    }
    assert_int_equal(compare_rows("q/k", &timed_desc, base, N, now, N, &p, &r), 0);
    assert_int_equal(line(&r, "median_seconds")->regressed, N);
    assert_int_equal(line(&r, "gbytes_per_s")->regressed, N);
    assert_contains(line(&r, "gbytes_per_s")->judged, "median change of 1/rate +20.0 %");
    cmp_report_free(&r);
    /* and 20 % faster: improved, never regressed */
    for (int i = 0; i < N; i++) {
        now[i].median_seconds = base[i].median_seconds / 1.2;
        now[i].gbytes_per_s = base[i].gbytes_per_s * 1.2;
    }
    assert_int_equal(compare_rows("q/k", &timed_desc, base, N, now, N, &p, &r), 0);
    assert_int_equal(cmp_line_verdict(line(&r, "median_seconds")), VERDICT_IMPROVED);
    assert_int_equal(cmp_line_verdict(line(&r, "gbytes_per_s")), VERDICT_IMPROVED);
    cmp_report_free(&r);
}

static void test_one_shot_times_together(void **state)
{
    (void)state;
    enum { N = 12 };
    struct row base[N], now[N];
    struct cmp_policy p;
    cmp_policy_defaults(&p);
    struct cmp_report r = {0};
    for (int i = 0; i < N; i++) {
        base[i] = (struct row){"", 1, 0.1, 20, 1, 1.0 + 0.1 * i, 10, 1, 1};
        snprintf(base[i].name, sizeof base[i].name, "m%d", i);
        now[i] = base[i];
    }
    /* every row 20 % slower, give or take 2 %: a slow-down beyond noise */
    for (int i = 0; i < N; i++)
        now[i].seconds = base[i].seconds * (1.2 + 0.02 * ((i % 3) - 1));
    assert_int_equal(compare_rows("s/t", &desc, base, N, now, N, &p, &r), 0);
    assert_int_equal(cmp_line_verdict(line(&r, "seconds")), VERDICT_REGRESSED);
    assert_int_equal(line(&r, "seconds")->regressed, N);
    assert_contains(line(&r, "seconds")->judged, "12 rows together");
    cmp_report_free(&r);
    /* a busy machine: a few rows 50 % slower, the rest within +-5 %: the
     * median change is inside the band, no regression */
    for (int i = 0; i < N; i++)
        now[i].seconds = base[i].seconds * (i % 4 == 0 ? 1.5 : 1.0 + 0.05 * ((i % 3) - 1));
    assert_int_equal(compare_rows("s/t", &desc, base, N, now, N, &p, &r), 0);
    assert_int_equal(cmp_line_verdict(line(&r, "seconds")), VERDICT_OK);
    cmp_report_free(&r);
    /* two rows say nothing about noise, however slow */
    for (int i = 0; i < 2; i++)
        now[i].seconds = base[i].seconds * 3;
    assert_int_equal(compare_rows("s/t", &desc, base, 2, now, 2, &p, &r), 0);
    assert_int_equal(cmp_line_verdict(line(&r, "seconds")), VERDICT_OK);
    assert_contains(line(&r, "seconds")->judged, "too few");
    cmp_report_free(&r);
    /* the same pair always gives the same interval (a fixed seed) */
    for (int i = 0; i < N; i++)
        now[i].seconds = base[i].seconds * (1.0 + 0.03 * (i % 5));
    struct cmp_report r2 = {0};
    assert_int_equal(compare_rows("s/t", &desc, base, N, now, N, &p, &r), 0);
    assert_int_equal(compare_rows("s/t", &desc, base, N, now, N, &p, &r2), 0);
    assert_string_equal(line(&r, "seconds")->judged, line(&r2, "seconds")->judged);
    cmp_report_free(&r);
    cmp_report_free(&r2);
}

/* Rows with the rank that timed them, as every suite record has. */
struct ranked {
    char name[8];
    int32_t rank;
    double seconds;
};

static const struct column ranked_cols[] = {
    COL(COL_STR, struct ranked, name, ""),
    COLC(COL_I32, struct ranked, rank, "", CMP_IGNORE),
    COL(COL_F64, struct ranked, seconds, "s"),
};
static const struct table_desc ranked_desc = TABLE_DESC("r", struct ranked, ranked_cols);

static void test_times_grouped_by_rank(void **state)
{
    (void)state;
    enum { N = 12 };
    struct ranked base[N], now[N];
    struct cmp_policy p;
    cmp_policy_defaults(&p);
    struct cmp_report r = {0};
    /* rank 1's ten rows 60 % slower, rank 0's two as they were: one rank
     * beside a busy neighbour, not a slower binary */
    for (int i = 0; i < N; i++) {
        base[i] = (struct ranked){"", i < 2 ? 0 : 1, 1e-3 * (1 + i)};
        snprintf(base[i].name, sizeof base[i].name, "t%d", i);
        now[i] = base[i];
        now[i].seconds *= (i < 2 ? 1.0 : 1.6) * (1 + 0.01 * (i % 3));
    }
    assert_int_equal(compare_rows("s/r", &ranked_desc, base, N, now, N, &p, &r), 0);
    assert_int_equal(cmp_line_verdict(line(&r, "seconds")), VERDICT_OK);
    assert_contains(line(&r, "seconds")->judged, "(on 2 ranks)");
    cmp_report_free(&r);
    /* the same rows as if one rank had timed them all: their median moved */
    struct ranked one[N];
    for (int i = 0; i < N; i++) {
        one[i] = now[i];
        one[i].rank = 0;
        base[i].rank = 0;
    }
    assert_int_equal(compare_rows("s/r", &ranked_desc, base, N, one, N, &p, &r), 0);
    assert_int_equal(cmp_line_verdict(line(&r, "seconds")), VERDICT_REGRESSED);
    cmp_report_free(&r);
    /* both ranks 20 % slower: a regression */
    for (int i = 0; i < N; i++) {
        base[i].rank = now[i].rank = i < 2 ? 0 : 1;
        now[i].seconds = base[i].seconds * 1.2;
    }
    assert_int_equal(compare_rows("s/r", &ranked_desc, base, N, now, N, &p, &r), 0);
    assert_int_equal(line(&r, "seconds")->regressed, N);
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

/* Every float column a suite writes says which way is better (or that it
 * is an input, or not compared): a new column cannot fall back to the
 * two-sided band unnoticed. Seconds and rates may rely on their unit. */
static void test_suite_columns_have_directions(void **state)
{
    (void)state;
    size_t checked = 0;
    for (size_t s = 0; s < suite_count(); s++) {
        const struct suite *su = suite_at(s);
        for (size_t t = 0; t <= su->ntables; t++) {
            const struct table_desc *td = t < su->ntables ? su->record_tables[t] : su->after_table;
            for (size_t c = 0; td && c < td->ncols; c++) {
                const struct column *col = &td->cols[c];
                if (col->type != COL_F64)
                    continue;
                size_t u = strlen(col->unit);
                int by_unit = !strcmp(col->unit, "s") || (u >= 2 && !strcmp(col->unit + u - 2, "/s"));
                if (col->cmp == CMP_AUTO && !by_unit)
                    fail_msg("%s/%s column %s has no direction (plugin/table.h CMP_LOWER, CMP_HIGHER, ...)",
                             su->name, td->name, col->name);
                checked++;
            }
        }
    }
    assert_true(checked > 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directions),
        cmocka_unit_test(test_value_band_and_tolerance),
        cmocka_unit_test(test_exact_and_nan),
        cmocka_unit_test(test_time_against_its_spread),
        cmocka_unit_test(test_one_shot_times_together),
        cmocka_unit_test(test_times_grouped_by_rank),
        cmocka_unit_test(test_tolerance_option_errors),
        cmocka_unit_test(test_suite_columns_have_directions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
