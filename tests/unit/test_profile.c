/* Profile scaling: the size-config table's invariants, immutability of the
 * profile given, unknown keys kept, defaults filled, bad tiers refused. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "config/profile.h"

static struct ynode *yaml(const char *text)
{
    struct ynode *n = NULL;
    struct diag d = {0};
    if (ytree_parse(text, strlen(text), "p.yaml", &n, &d))
        fail_msg("%s", d.msg);
    return n;
}

static int number(const struct ynode *root, const char *a, const char *b)
{
    const struct ynode *n = ytree_get(ytree_get(root, a), b);
    assert_non_null(n);
    return atoi(n->text);
}

static void test_table_is_progressive_and_within_its_caps(void **state)
{
    (void)state;
    assert_null(size_config_for(TIER_UNKNOWN));
    const struct size_config *prev = NULL;
    for (int t = TIER_SMALL; t <= TIER_XLARGE; t++) {
        const struct size_config *c = size_config_for((enum size_tier)t);
        assert_non_null(c);
        assert_true(c->batch_multiplier >= 0 && c->batch_multiplier <= 3);
        assert_true(c->ranks % 4 == 0 && c->ranks >= 8 && c->ranks <= 256);
        assert_true(c->layers >= 4 && c->layers <= 40);
        if (prev) /* bigger models: no more layers, samples, tokens or batch; no fewer ranks */
            assert_true(c->layers <= prev->layers && c->calibration_samples <= prev->calibration_samples &&
                        c->tokens_per_rank <= prev->tokens_per_rank && c->batch_multiplier <= prev->batch_multiplier &&
                        c->ranks >= prev->ranks);
        prev = c;
    }
}

static void test_scaling_returns_a_new_profile(void **state)
{
    (void)state;
    struct ynode *p = yaml("name: lab\ngpu_memory_gib: 40\nrack: b7\ntier: medium\n");
    char *before = ytree_leaves_text(p);
    struct ynode *out;
    struct scaled_workload w;
    struct diag d = {0};
    assert_int_equal(profile_scale(p, "Qwen2.5-72B-Instruct", "scaling", &out, &w, &d), FR_OK);
    char *after = ytree_leaves_text(p);
    assert_string_equal(before, after); /* the profile given is untouched */
    assert_string_equal(ytree_get(out, "rack")->text, "b7"); /* a key scaling does not know, kept */
    assert_string_equal(ytree_get(out, "gpus")->text, "1");  /* missing: the default */
    assert_string_equal(ytree_get(out, "cpu_cores")->text, "16");
    assert_string_equal(ytree_get(out, "gpu_memory_gib")->text, "40"); /* given: kept */
    assert_string_equal(ytree_get(ytree_get(out, "scaled"), "model_tier")->text, "xlarge");
    /* xlarge model on a medium machine: the xlarge row, halved twice, at the floors */
    assert_int_equal(w.layers, 4);
    assert_int_equal(number(out, "scaled", "layers"), 4);
    assert_int_equal(w.calibration_samples, 8);
    assert_int_equal(w.ranks, 256);
    assert_true(w.kernel_batches[0] == 1 && w.kernel_batches[1] == 8); /* capped at 8 */
    assert_true(w.tokens_per_rank % 256 == 0 && w.tokens_per_rank >= 256);
    free(before);
    free(after);
    ytree_free(out);
    ytree_free(p);
}

static void test_small_model_on_a_big_machine(void **state)
{
    (void)state;
    struct ynode *p = yaml("gpus: 8\ngpu_memory_gib: 160\ntier: large\n");
    struct ynode *out;
    struct scaled_workload w;
    struct diag d = {0};
    assert_int_equal(profile_scale(p, "Qwen/Qwen2.5-1.5B", "s", &out, &w, &d), FR_OK);
    assert_int_equal(w.layers, 40);
    assert_int_equal(w.calibration_samples, 128);
    assert_int_equal(w.kernel_batches[1], 48);        /* 16 x 3, no cap for small models */
    assert_int_equal(w.tokens_per_rank, 16384 * 2);   /* twice the row: 160 GiB against 80 */
    assert_int_equal(number(out, "scaled", "ranks"), 8);
    ytree_free(out);
    ytree_free(p);
}

static void expect_refused(const char *profile, const char *model, const char *words)
{
    struct ynode *p = yaml(profile), *out = (struct ynode *)1;
    struct scaled_workload w;
    struct diag d = {0};
    assert_int_equal(profile_scale(p, model, "s", &out, &w, &d), FR_USAGE);
    assert_null(out);
    assert_contains(d.msg, words);
    ytree_free(p);
}

static void test_refusals_name_what_is_wrong(void **state)
{
    (void)state;
    expect_refused("tier: huge\n", "llama-3.1-8b", "p.yaml:1:7: profile tier 'huge' is not one of small, medium, large, xlarge");
    expect_refused("gpus: many\n", "llama-3.1-8b", "p.yaml:1:7: profile key 'gpus' must be a positive number");
    expect_refused("gpu_memory_gib: -3\n", "llama-3.1-8b", "'gpu_memory_gib' must be a positive number");
    expect_refused("- a\n- b\n", "llama-3.1-8b", "a profile is a mapping");
    expect_refused("tier: small\n", "my-model", "the size of model 'my-model' is not in its name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_progressive_and_within_its_caps),
        cmocka_unit_test(test_scaling_returns_a_new_profile),
        cmocka_unit_test(test_small_model_on_a_big_machine),
        cmocka_unit_test(test_refusals_name_what_is_wrong),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
