/* Progress: counts per suite, the ETA from predicted costs, and when each
 * mode shows a line (a log: each 10 % and every few seconds while tasks
 * finish; a terminal: one line redrawn, throttled; quiet: nothing). */
#include "testutil.h"

#include "progress.h"

/* n tasks of cost 1 in suite 0, then m of cost 3 in suite 1 */
static void two_suites(struct task_list *tl, size_t n, size_t m)
{
    struct task t = {.cost = 1, .suite = 0};
    for (size_t i = 0; i < n + m; i++) {
        if (i == n)
            t = (struct task){.cost = 3, .suite = 1};
        t.id = (int)i;
        task_list_push(tl, &t);
    }
}

static const char *const names[] = {"osft", "quant"};

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

static void test_format_counts_per_suite_and_eta_from_costs(void **state)
{
    (void)state;
    struct task_list tl = {0};
    two_suites(&tl, 3, 1); /* total cost 6 */
    struct progress p;
    progress_init(&p, &tl, NULL, names, 2, 100.0, PROGRESS_OFF, NULL);
    progress_task_done(&p, 0, 101.0);
    progress_task_done(&p, 3, 106.0); /* cost 4 of 6 done in 6 s: 3 s to go */
    char line[256];
    progress_format(&p, 106.0, line, sizeof line);
    assert_string_equal(line, "[2/4]  50% · osft 1/3 · quant 1/1 · 6.0s elapsed · eta 3.0s");
    progress_task_done(&p, 1, 107.0);
    progress_task_done(&p, 2, 108.0);
    progress_task_done(&p, 9, 108.0); /* not in the plan: ignored */
    progress_format(&p, 108.0, line, sizeof line);
    assert_string_equal(line, "[4/4] 100% · osft 3/3 · quant 1/1 · 8.0s elapsed · eta 0s");
    task_list_free(&tl);
}

static void test_one_suite_is_not_listed(void **state)
{
    (void)state;
    struct task_list tl = {0};
    two_suites(&tl, 2, 0);
    struct progress p;
    progress_init(&p, &tl, NULL, names, 1, 0.0, PROGRESS_OFF, NULL);
    char line[256];
    progress_format(&p, 0.0, line, sizeof line);
    assert_string_equal(line, "[0/2]   0% · 0ms elapsed · eta ?");
    task_list_free(&tl);
}

static void test_log_prints_each_tenth_once(void **state)
{
    (void)state;
    struct task_list tl = {0};
    two_suites(&tl, 100, 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    struct progress p;
    progress_init(&p, &tl, NULL, names, 1, 0.0, PROGRESS_LINES, out);
    for (int i = 0; i < 100; i++) /* fast tasks: only the 10 % steps print */
        progress_task_done(&p, i, 0.01 * i);
    progress_finish(&p, 1.0);
    fflush(out);
    assert_int_equal(count(buf, "\n"), 10);
    assert_contains(buf, "[ 10/100]  10% ·");
    assert_contains(buf, "[100/100] 100% ·");
    assert_int_equal(count(buf, "\r"), 0);
    fclose(out);
    free(buf);
    task_list_free(&tl);
}

static void test_log_prints_every_few_seconds_while_tasks_finish(void **state)
{
    (void)state;
    struct task_list tl = {0};
    two_suites(&tl, 100, 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    struct progress p;
    progress_init(&p, &tl, NULL, names, 1, 0.0, PROGRESS_LINES, out);
    /* 3 tasks, one every PROGRESS_LOG_SECONDS: under 10 %, each due by the clock */
    for (int i = 0; i < 3; i++)
        progress_task_done(&p, i, (i + 1) * PROGRESS_LOG_SECONDS);
    /* nothing finished since: the clock alone prints nothing */
    progress_tick(&p, 100 * PROGRESS_LOG_SECONDS);
    fflush(out);
    assert_int_equal(count(buf, "\n"), 3);
    assert_contains(buf, "[  3/100]   3% ·");
    fclose(out);
    free(buf);
    task_list_free(&tl);
}

static void test_terminal_redraws_one_line_throttled(void **state)
{
    (void)state;
    struct task_list tl = {0};
    two_suites(&tl, 50, 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    struct progress p;
    progress_init(&p, &tl, NULL, names, 1, 0.0, PROGRESS_LIVE, out);
    /* 49 tasks: the first drawn at once, the rest within the redraw interval after it */
    for (int i = 0; i < 49; i++)
        progress_task_done(&p, i, PROGRESS_REDRAW_SECONDS * (1 + i / 100.0));
    progress_tick(&p, 1.5 * PROGRESS_REDRAW_SECONDS); /* still within the interval: not yet */
    progress_tick(&p, 2.5 * PROGRESS_REDRAW_SECONDS); /* the 48 waiting are drawn */
    progress_tick(&p, 0.5);                           /* nothing new, under a second: nothing */
    progress_tick(&p, 2.0);                           /* the elapsed clock moves */
    progress_task_done(&p, 49, 2.01);                 /* 100 % at once */
    progress_finish(&p, 2.02);                        /* the last state, then a newline */
    fflush(out);
    assert_int_equal(count(buf, "\r"), 5);
    assert_int_equal(count(buf, "\033[K"), 5);
    assert_int_equal(count(buf, "\n"), 1);
    assert_true(len > 0 && buf[len - 1] == '\n');
    assert_contains(buf, "\r[50/50] 100% ·");
    fclose(out);
    free(buf);
    task_list_free(&tl);
}

static void test_quiet_prints_nothing_but_counts(void **state)
{
    (void)state;
    struct task_list tl = {0};
    two_suites(&tl, 10, 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    struct progress p;
    progress_init(&p, &tl, NULL, names, 1, 0.0, PROGRESS_OFF, out);
    for (int i = 0; i < 10; i++)
        progress_task_done(&p, i, 10.0 * i);
    progress_finish(&p, 100.0);
    fflush(out);
    assert_int_equal(len, 0);
    assert_int_equal(p.done, 10);
    assert_int_equal(progress_mode_named("off", 1), PROGRESS_OFF);
    assert_int_equal(progress_mode_named(NULL, 1), PROGRESS_LIVE);
    assert_int_equal(progress_mode_named("auto", 0), PROGRESS_LINES);
    assert_int_equal(progress_mode_named("live", 0), PROGRESS_LIVE);
    assert_int_equal(progress_mode_named("log", 1), PROGRESS_LINES);
    fclose(out);
    free(buf);
    task_list_free(&tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_counts_per_suite_and_eta_from_costs),
        cmocka_unit_test(test_one_suite_is_not_listed),
        cmocka_unit_test(test_log_prints_each_tenth_once),
        cmocka_unit_test(test_log_prints_every_few_seconds_while_tasks_finish),
        cmocka_unit_test(test_terminal_redraws_one_line_throttled),
        cmocka_unit_test(test_quiet_prints_nothing_but_counts),
    };
    return cmocka_run_group_tests_name("progress", tests, NULL, NULL);
}
