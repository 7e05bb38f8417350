/* The memory check before a run: a rank's peak is its largest task's
 * bytes (each suite's task_bytes) plus the process allowance; a plan whose
 * peak exceeds a rank's share of the node is refused, naming the task, the
 * need, what is available and the fix; one that fits passes. */
#include "testutil.h"

#include "plugin/suite.h"
#include "run/memory_plan.h"

static const char *config_text =
    "suites:\n"
    "  osft:\n"
    "    model: Qwen/Qwen2.5-0.5B-Instruct\n"
    "    layers: 2\n";

static void load(struct run_config *cfg, struct plan *p, int nranks)
{
    struct diag d = {0};
    assert_int_equal(config_load(write_temp("mem.yaml", config_text), NULL, 0, cfg, &d), FR_OK);
    assert_int_equal(plan_build(cfg, NULL, nranks, p, &d), FR_OK);
}

static void test_peak_is_the_largest_owned_task(void **state)
{
    (void)state;
    struct run_config cfg;
    struct plan p;
    load(&cfg, &p, 3);
    for (int r = 0; r < 3; r++) {
        double largest = 0;
        long which = -1;
        for (size_t i = 0; i < p.tasks.n; i++) {
            if (p.owner[i] != r)
                continue;
            const struct task *t = &p.tasks.items[i];
            double b = cfg.suites[t->suite].suite->task_bytes(cfg.suites[t->suite].cfg, t, 1);
            /* at least W, W', U and Vt in float32 */
            assert_true(b >= 4.0 * (2.0 * t->dims[0] * t->dims[1]));
            if (which < 0 || b > largest)
                largest = b, which = (long)i;
        }
        struct memory_peak m = memory_peak_of_rank(&cfg, &p, r);
        assert_int_equal(m.task, which);
        assert_true(m.bytes == largest + MEMORY_PROCESS_BYTES);
    }
    plan_free(&p);
    config_free(&cfg);
}

static void test_check_refuses_what_does_not_fit(void **state)
{
    (void)state;
    struct run_config cfg;
    struct plan p;
    load(&cfg, &p, 2);
    struct memory_peak m = memory_peak_of_rank(&cfg, &p, 0);
    struct diag d = {0};
    /* exactly the peak for each of 4 ranks fits; a byte less does not */
    assert_int_equal(memory_check(&cfg, &p, m, 4 * m.bytes, 4, "host memory", "host n1", &d), FR_OK);
    assert_int_equal(memory_check(&cfg, &p, m, 4 * m.bytes - 4, 4, "host memory", "host n1", &d), FR_USAGE);
    assert_contains(d.msg, p.tasks.items[m.task].name);
    assert_contains(d.msg, "host n1 has");
    assert_contains(d.msg, "for each of its 4 ranks: run fewer ranks per node");
    assert_contains(d.msg, "dtype float32 (suites.osft.dtype)");
    struct memory_peak none = {MEMORY_PROCESS_BYTES, -1}; /* a rank without tasks is never refused */
    assert_int_equal(memory_check(&cfg, &p, none, 1, 1, "host memory", "h", &d), FR_OK);
    plan_free(&p);
    config_free(&cfg);
}

static void test_text(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(memory_text(340.0 * 1048576, buf, sizeof buf), "340 MiB");
    assert_string_equal(memory_text(2.5 * 1073741824, buf, sizeof buf), "2.5 GiB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peak_is_the_largest_owned_task),
        cmocka_unit_test(test_check_refuses_what_does_not_fit),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests_name("memory_plan", tests, NULL, NULL);
}
