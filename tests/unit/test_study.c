/* Inputs of the balance studies: cost files, the balance/pack command
 * lines, and the seeded distributions. */
#include "testutil.h"

#include <math.h>

#include "cli/balance_pack.h"
#include "core/balance/distributions.h"
#include "io/costs_text.h"

static int parse(const char *text, const char *column, int integers, double **v, size_t *n, struct diag *d)
{
    return costs_parse(text, strlen(text), "lengths.txt", column, integers, v, n, d);
}

/* Found by fuzz_costs: a text ending in an empty field (no NUL after it,
 * as a mapped file has none) was read one byte past its end. The buffer
 * here is exactly the text, so a sanitized build catches a regression. */
static void test_costs_text_ending_in_an_empty_field(void **state)
{
    (void)state;
    static const char *const texts[] = {"a,", "tokens,\n1,", "1\n2,", ","};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t len = strlen(texts[i]);
        char *exact = malloc(len);
        memcpy(exact, texts[i], len);
        for (int c = 0; c < 3; c++) {
            double *v = NULL;
            size_t n = 0;
            struct diag d = {0};
            costs_parse(exact, len, "t", c == 0 ? NULL : c == 1 ? "2" : "tokens", 0, &v, &n, &d);
            free(v);
        }
        free(exact);
    }
}

static void test_costs_lines_and_csv(void **state)
{
    (void)state;
    double *v;
    size_t n;
    struct diag d = {0};
    assert_int_equal(parse("# lengths\n10\n\n 2.5 \n3e2\n", NULL, 0, &v, &n, &d), FR_OK);
    assert_int_equal(n, 3);
    assert_true(v[0] == 10 && v[1] == 2.5 && v[2] == 300);
    free(v);
    assert_int_equal(parse("id,tokens\na,5\nb,7\n", "tokens", 1, &v, &n, &d), FR_OK);
    assert_true(n == 2 && v[0] == 5 && v[1] == 7);
    free(v);
    assert_int_equal(parse("1,50\n2,60\n", "2", 1, &v, &n, &d), FR_OK);
    assert_true(n == 2 && v[0] == 50 && v[1] == 60);
    free(v);
    assert_int_equal(parse("tokens\n4\n", NULL, 1, &v, &n, &d), FR_OK); /* a header line */
    assert_true(n == 1 && v[0] == 4);
    free(v);
}

static void test_costs_errors_name_the_line(void **state)
{
    (void)state;
    double *v;
    size_t n;
    struct diag d = {0};
    assert_int_equal(parse("1\n2\nabc\n", NULL, 0, &v, &n, &d), FR_USAGE);
    assert_contains(d.msg, "lengths.txt:3:");
    assert_contains(d.msg, "'abc'");
    assert_int_equal(parse("1\n-4\n", NULL, 0, &v, &n, &d), FR_USAGE);
    assert_contains(d.msg, "lengths.txt:2:");
    assert_int_equal(parse("1\nnan\n", NULL, 0, &v, &n, &d), FR_USAGE);
    assert_contains(d.msg, "lengths.txt:2:");
    assert_int_equal(parse("1\ninf\n", NULL, 0, &v, &n, &d), FR_USAGE);
    assert_int_equal(parse("5\n2.5\n", NULL, 1, &v, &n, &d), FR_USAGE); /* lengths are whole */
    assert_contains(d.msg, "whole number");
    assert_int_equal(parse("# nothing\n\n", NULL, 0, &v, &n, &d), FR_USAGE);
    assert_contains(d.msg, "no numbers");
    assert_int_equal(parse("a,b\n1,2\n", "c", 0, &v, &n, &d), FR_USAGE);
    assert_contains(d.msg, "no column named 'c'");
    assert_int_equal(parse("1,2\n3\n", "2", 0, &v, &n, &d), FR_USAGE);
    assert_contains(d.msg, "lengths.txt:2: this line has no column 2");
}

static int cli(struct study_request *c, struct diag *d, const char *line)
{
    static char buf[1024];
    char *argv[64];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *save, *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
        argv[argc++] = tok;
    return study_cli_parse(argc, argv, c, d);
}

static void test_study_command_lines(void **state)
{
    (void)state;
    struct study_request c;
    struct diag d = {0};
    assert_int_equal(cli(&c, &d, "balance --ranks 8,64 --algo lpt,kk+refine --dist uniform --n-per-rank 3"), FR_OK);
    assert_true(c.nranks == 2 && c.ranks[1] == 64 && c.nalgos == 2 && c.algos[1].algo == PA_KK && c.algos[1].refine);
    assert_true(c.have_dist && c.dist.n_per_rank == 3 && c.dist.lo == 1000 && c.dist.hi == 2000);
    assert_int_equal(cli(&c, &d, "balance --ranks 4 --costs -"), FR_OK);
    assert_true(c.nalgos >= 9); /* all by default */
    assert_int_equal(cli(&c, &d, "pack --budget 130000 --ranks 4 --algo all --lengths x.txt --json"), FR_OK);
    assert_true(c.kind == STUDY_PACK && c.nalgos == PK_COUNT && c.json && c.budget == 130000);

    assert_int_equal(cli(&c, &d, "balance --ranks 0 --dist uniform"), FR_USAGE);
    assert_contains(d.msg, "--ranks");
    assert_int_equal(cli(&c, &d, "balance --ranks 4 --algo lpr --dist uniform"), FR_USAGE);
    assert_contains(d.msg, "did you mean 'lpt'");
    assert_int_equal(cli(&c, &d, "balance --ranks 4"), FR_USAGE);
    assert_contains(d.msg, "exactly one of --costs");
    assert_int_equal(cli(&c, &d, "pack --ranks 4 --dist realistic"), FR_USAGE);
    assert_contains(d.msg, "--budget");
    assert_int_equal(cli(&c, &d, "balance --ranks 4 --dist lognorm"), FR_USAGE);
    assert_contains(d.msg, "did you mean 'lognormal'");
    assert_int_equal(cli(&c, &d, "balance --ranks 4 --costs a --lengths b"), FR_USAGE);
    assert_int_equal(cli(&c, &d, "balance --ranks 4 --dist uniform --lo 5 --hi 1"), FR_USAGE);
    assert_contains(d.msg, "lo < --hi");
}

/* Seeded: the same (seed, name) gives the same items; another name does
 * not; the mini_trainer mixes have their stated counts and ranges. */
static void test_distributions(void **state)
{
    (void)state;
    struct dist_spec s;
    assert_int_equal(dist_preset("realistic", &s), 0);
    double *a, *b;
    size_t na, nb;
    assert_int_equal(dist_generate(&s, 1, 8, &a, &na), 0);
    assert_int_equal(dist_generate(&s, 1, 8, &b, &nb), 0);
    assert_int_equal(na, 2000);
    assert_memory_equal(a, b, na * sizeof *a);
    size_t bands[4] = {0};
    for (size_t i = 0; i < na; i++) {
        assert_true(a[i] >= 100 && a[i] < 100000 && a[i] == floor(a[i]));
        bands[(a[i] >= 2000) + (a[i] >= 20000) + (a[i] >= 60000)]++;
    }
    assert_true(bands[0] == 1000 && bands[1] == 600 && bands[2] == 300 && bands[3] == 100);
    free(b);
    snprintf(s.name, sizeof s.name, "other");
    assert_int_equal(dist_generate(&s, 1, 8, &b, &nb), 0);
    assert_memory_not_equal(a, b, na * sizeof *a);
    free(a);
    free(b);
    assert_int_equal(dist_preset("outliers", &s), 0);
    assert_int_equal(dist_generate(&s, 1, 8, &a, &na), 0);
    assert_int_equal(na, 53);
    int big = 0;
    for (size_t i = 0; i < na; i++)
        big += a[i] == 125000 || a[i] == 128000 || a[i] == 129000;
    assert_int_equal(big, 3);
    free(a);
    assert_int_equal(dist_preset("powerlaw", &s), 0);
    assert_int_equal(dist_generate(&s, 1, 8, &a, &na), 0);
    double max = 0, min = 1e9;
    for (size_t i = 0; i < na; i++) {
        max = fmax(max, a[i]);
        min = fmin(min, a[i]);
    }
    assert_true(max == 100000 && min == floor(100000 / pow(200, 0.7)));
    free(a);
    s = (struct dist_spec){.name = "u", .kind = DIST_UNIFORM, .n_per_rank = 3, .lo = 1000, .hi = 2000};
    assert_int_equal(dist_count(&s, 1024), 3072);
    s.n_per_rank = 0;
    s.n = 0;
    assert_int_equal(dist_generate(&s, 1, 8, &a, &na), 0);
    assert_true(na == 0 && a == NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_costs_lines_and_csv),
        cmocka_unit_test(test_costs_text_ending_in_an_empty_field),
        cmocka_unit_test(test_costs_errors_name_the_line),
        cmocka_unit_test(test_study_command_lines),
        cmocka_unit_test(test_distributions),
    };
    return cmocka_run_group_tests_name("study", tests, NULL, NULL);
}
