/* Progress: counts per suite, the ETA from predicted costs, and when each
 * mode shows a line (a log: each 10 % and every few seconds while tasks
 * finish; a terminal: one line redrawn, throttled; quiet: nothing). */
#include "testutil.h"

#include "run/progress.h"

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

/* A progress over n one-suite tasks printing into memory. */
struct capture {
    struct task_list tl;
    char *buf;
    size_t len;
    FILE *out;
    struct progress p;
};

static void capture_start(struct capture *c, size_t n, enum progress_mode mode)
{
    memset(c, 0, sizeof *c);
    two_suites(&c->tl, n, 0);
    c->out = open_memstream(&c->buf, &c->len);
    progress_init(&c->p, &c->tl, NULL, names, 1, 0.0, mode, c->out);
}

static void capture_end(struct capture *c)
{
    fclose(c->out);
    free(c->buf);
    task_list_free(&c->tl);
}

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
    struct capture c;
    capture_start(&c, 100, PROGRESS_LINES);
    for (int i = 0; i < 100; i++) /* fast tasks: only the 10 % steps print */
        progress_task_done(&c.p, i, 0.01 * i);
    progress_finish(&c.p, 1.0);
    fflush(c.out);
    assert_int_equal(count(c.buf, "\n"), 10);
    assert_contains(c.buf, "[ 10/100]  10% ·");
    assert_contains(c.buf, "[100/100] 100% ·");
    assert_int_equal(count(c.buf, "\r"), 0);
    capture_end(&c);
}

static void test_log_prints_every_few_seconds_while_tasks_finish(void **state)
{
    (void)state;
    struct capture c;
    capture_start(&c, 100, PROGRESS_LINES);
    /* 3 tasks, one every PROGRESS_LOG_SECONDS: under 10 %, each due by the clock */
    for (int i = 0; i < 3; i++)
        progress_task_done(&c.p, i, (i + 1) * PROGRESS_LOG_SECONDS);
    /* nothing finished since: the clock alone prints nothing */
    progress_tick(&c.p, 100 * PROGRESS_LOG_SECONDS);
    fflush(c.out);
    assert_int_equal(count(c.buf, "\n"), 3);
    assert_contains(c.buf, "[  3/100]   3% ·");
    capture_end(&c);
}

static void test_terminal_redraws_one_line_throttled(void **state)
{
    (void)state;
    struct capture c;
    capture_start(&c, 50, PROGRESS_LIVE);
    /* 49 tasks: the first drawn at once, the rest within the redraw interval after it */
    for (int i = 0; i < 49; i++)
        progress_task_done(&c.p, i, PROGRESS_REDRAW_SECONDS * (1 + i / 100.0));
    progress_tick(&c.p, 1.5 * PROGRESS_REDRAW_SECONDS); /* still within the interval: not yet */
    progress_tick(&c.p, 2.5 * PROGRESS_REDRAW_SECONDS); /* the 48 waiting are drawn */
    progress_tick(&c.p, 0.5);                           /* nothing new, under a second: nothing */
    progress_tick(&c.p, 2.0);                           /* the elapsed clock moves */
    progress_task_done(&c.p, 49, 2.01);                 /* 100 % at once */
    progress_finish(&c.p, 2.02);                        /* the last state, then a newline */
    fflush(c.out);
    assert_int_equal(count(c.buf, "\r"), 5);
    assert_int_equal(count(c.buf, "\033[K"), 5);
    assert_int_equal(count(c.buf, "\n"), 1);
    assert_true(c.len > 0 && c.buf[c.len - 1] == '\n');
    assert_contains(c.buf, "\r[50/50] 100% ·");
    capture_end(&c);
}

static void test_quiet_prints_nothing_but_counts(void **state)
{
    (void)state;
    struct capture c;
    capture_start(&c, 10, PROGRESS_OFF);
    for (int i = 0; i < 10; i++)
        progress_task_done(&c.p, i, 10.0 * i);
    progress_finish(&c.p, 100.0);
    fflush(c.out);
    assert_int_equal(c.len, 0);
    assert_int_equal(c.p.done, 10);
    assert_int_equal(progress_mode_named("off", 1), PROGRESS_OFF);
    assert_int_equal(progress_mode_named(NULL, 1), PROGRESS_LIVE);
    assert_int_equal(progress_mode_named("auto", 0), PROGRESS_LINES);
    assert_int_equal(progress_mode_named("live", 0), PROGRESS_LIVE);
    assert_int_equal(progress_mode_named("log", 1), PROGRESS_LINES);
    capture_end(&c);
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
