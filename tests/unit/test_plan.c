/* The plan: task enumeration, --only filtering and assignment invariants. */
#include "testutil.h"

#include "run/plan.h"

static const char *config_text =
    "suites:\n"
    "  osft:\n"
    "    model: Qwen/Qwen2.5-1.5B-Instruct\n";

static void load(struct run_config *cfg, const struct config_override *ov, size_t nov)
{
    const char *path = write_temp("plan.yaml", config_text);
    struct diag d = {0};
    assert_int_equal(config_load(path, ov, nov, cfg, &d), FR_OK);
    unlink(path);
}

static void test_full_model_plan(void **state)
{
    (void)state;
    struct run_config cfg;
    struct plan p;
    struct diag d = {0};
    load(&cfg, NULL, 0);
    assert_int_equal(plan_build(&cfg, NULL, 4, &p, &d), FR_OK);
    assert_int_equal(p.tasks.n, 196);
    assert_string_equal(p.tasks.items[0].name, "model.layers.0.self_attn.q_proj.weight");
    assert_string_equal(p.tasks.items[6].name, "model.layers.0.mlp.down_proj.weight");
    assert_string_equal(p.tasks.items[195].group, "model.layers.27");
    /* cost m n min(m, n) */
    assert_true(p.tasks.items[1].cost == 256.0 * 1536 * 256);
    assert_true(p.tasks.items[4].cost == 8960.0 * 1536 * 1536);
    double sum = 0, loads = 0;
    size_t count = 0, idx[196];
    for (size_t i = 0; i < p.tasks.n; i++) {
        assert_int_equal(p.tasks.items[i].id, (int)i);
        sum += p.tasks.items[i].cost;
    }
    for (int r = 0; r < 4; r++) {
        count += plan_rank_tasks(&p, r, idx);
        loads += p.loads[r];
    }
    assert_int_equal(count, 196); /* every task on exactly one rank */
    assert_true(loads == sum && p.total_cost == sum);
    assert_true(p.imbalance >= 1.0);
    plan_free(&p);
    /* 8 ranks: block hands 24 matrices to ranks 0-6 and 28 to rank 7 (1.143 predicted) */
    assert_int_equal(plan_build(&cfg, NULL, 8, &p, &d), FR_OK);
    assert_true(p.imbalance < 1.01 && p.imbalance_alt > 1.14 && p.imbalance_alt < 1.15);
    plan_free(&p);
    config_free(&cfg);
}

static void test_only_filter(void **state)
{
    (void)state;
    struct run_config cfg;
    struct plan p;
    struct diag d = {0};
    load(&cfg, NULL, 0);
    assert_int_equal(plan_build(&cfg, "model.layers.1.*", 2, &p, &d), FR_OK);
    assert_int_equal(p.tasks.n, 7);
    plan_free(&p);
    assert_int_equal(plan_build(&cfg, "down_proj", 2, &p, &d), FR_OK); /* substring */
    assert_int_equal(p.tasks.n, 28);
    plan_free(&p);
    assert_int_equal(plan_build(&cfg, "nothing*", 2, &p, &d), FR_USAGE);
    assert_contains(d.msg, "--only 'nothing*' matches none of the 196 tasks");
    config_free(&cfg);
    assert_true(task_matches("model.layers.10.mlp.up_proj.weight", "*.layers.1?.mlp.*"));
    assert_false(task_matches("model.layers.1.mlp.up_proj.weight", "*.layers.1?.mlp.*"));
}

static void test_layers_and_targets(void **state)
{
    (void)state;
    struct config_override ov[] = {{"suites.osft.layers=3", "l"}, {"suites.osft.targets=[k, gate]", "t"}};
    struct run_config cfg;
    struct plan p;
    struct diag d = {0};
    load(&cfg, ov, 2);
    assert_int_equal(plan_build(&cfg, NULL, 1, &p, &d), FR_OK);
    assert_int_equal(p.tasks.n, 6);
    assert_string_equal(p.tasks.items[1].name, "model.layers.0.mlp.gate_proj.weight");
    plan_free(&p);
    config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_model_plan),
        cmocka_unit_test(test_only_filter),
        cmocka_unit_test(test_layers_and_targets),
    };
    return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
