/* Config errors: every bad input gives its message (file:line:col, key path,
 * found vs expected) and exit code 2; good input gives the right values. */
#include "testutil.h"

#include "config/config.h"
#include "suites/osft/osft.h"

static const char *good =
    "name: t\n"
    "seed: 7\n"
    "suites:\n"
    "  osft:\n"
    "    model: Qwen/Qwen2.5-0.5B-Instruct\n"
    "    layers: 2\n";

/* Loads text (from a temp file) and returns the status; message in d. */
static int load_text(const char *text, struct run_config *cfg, struct diag *d)
{
    const char *path = write_temp("config.yaml", text);
    int rc = config_load(path, NULL, 0, cfg, d);
    unlink(path);
    return rc;
}

static void expect_error(const char *text, const char *fragment1, const char *fragment2)
{
    struct run_config cfg;
    struct diag d = {0};
    assert_int_equal(load_text(text, &cfg, &d), FR_USAGE);
    assert_contains(d.msg, fragment1);
    if (fragment2)
        assert_contains(d.msg, fragment2);
    config_free(&cfg);
}

static void test_good_config(void **state)
{
    (void)state;
    struct run_config cfg;
    struct diag d = {0};
    assert_int_equal(load_text(good, &cfg, &d), FR_OK);
    assert_string_equal(cfg.name, "t");
    assert_int_equal(cfg.seed, 7);
    assert_int_equal(cfg.device, DEVICE_AUTO);
    assert_int_equal(cfg.balance, PARTITION_CODE(PA_LPT, 0));
    assert_int_equal(cfg.threads, 1);
    assert_string_equal(cfg.output, "results");
    assert_int_equal(cfg.nsuites, 1);
    const struct osft_config *o = cfg.suites[0].cfg;
    assert_string_equal(o->model->id, "Qwen/Qwen2.5-0.5B-Instruct");
    assert_int_equal(o->layers, 2);
    assert_int_equal(o->targets, TARGETS_SPLIT); /* absent: the model's own layout */
    assert_true(o->atol == 1e-5 && o->rtol == 1e-5 && o->unfreeze_rank_ratio == 0.5);
    config_free(&cfg);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct run_config cfg;
    struct diag d = {0};
    assert_int_equal(config_load("/nonexistent/x.yaml", NULL, 0, &cfg, &d), FR_USAGE);
    assert_contains(d.msg, "cannot open config file '/nonexistent/x.yaml'");
    assert_contains(d.msg, "No such file");
    config_free(&cfg);
}

static void test_directory(void **state)
{
    (void)state;
    struct run_config cfg;
    struct diag d = {0};
    assert_int_equal(config_load("/tmp", NULL, 0, &cfg, &d), FR_USAGE);
    assert_contains(d.msg, "is a directory");
    config_free(&cfg);
}

static void test_empty_and_comments(void **state)
{
    (void)state;
    expect_error("", "is empty", NULL);
    expect_error("# nothing here\n\n", "is empty", NULL);
}

static void test_not_yaml(void **state)
{
    (void)state;
    expect_error("suites: {osft: [\n", "not valid YAML", ":2:1");
    expect_error("a: b: c\n", "not valid YAML", ":1:5");
    expect_error("\t- x\n", "not valid YAML", NULL);
    expect_error("name: \"\xff\xfe\"\n", "not valid YAML", NULL);
}

static void test_root_not_mapping(void **state)
{
    (void)state;
    expect_error("- a\n- b\n", ":1:1: expected a mapping at the top level", "found a sequence");
    expect_error("just words\n", "expected a mapping at the top level", "found 'just words'");
}

static void test_unknown_key(void **state)
{
    (void)state;
    expect_error("sed: 1\nsuites: {osft: {model: Qwen/Qwen2.5-0.5B}}\n", ":1:1: sed: unknown key 'sed'",
                 "did you mean 'seed'?");
    expect_error("suites:\n  osft:\n    modle: Qwen/Qwen2.5-0.5B\n", ":3:5: suites.osft.modle: unknown key 'modle'",
                 "did you mean 'model'?");
    expect_error("colour: red\nsuites: {osft: {model: Qwen/Qwen2.5-0.5B}}\n", "unknown key 'colour'; known keys here",
                 NULL);
}

static void test_duplicate_key(void **state)
{
    (void)state;
    expect_error("seed: 1\nseed: 2\nsuites: {osft: {model: Qwen/Qwen2.5-0.5B}}\n", ":2:1: duplicate key 'seed'",
                 "first defined at");
}

static void test_wrong_type(void **state)
{
    (void)state;
    expect_error("seed: abc\nsuites: {osft: {model: Qwen/Qwen2.5-0.5B}}\n", ":1:7: seed: expected an integer",
                 "found 'abc'");
    expect_error("seed: \"5\"\nsuites: {osft: {model: Qwen/Qwen2.5-0.5B}}\n", "seed: expected an integer",
                 "found the quoted string \"5\"");
    expect_error("suites: {osft: {model: Qwen/Qwen2.5-0.5B, layers: [1, 2]}}\n",
                 "suites.osft.layers: expected an integer", "found a sequence");
    expect_error("suites: {osft: {model: Qwen/Qwen2.5-0.5B, layers: 2.5}}\n", "expected an integer", "'2.5'");
    expect_error("suites: [osft]\n", ":1:9: suites: expected a mapping of suites", "found a sequence");
    expect_error("suites: {osft: {model: Qwen/Qwen2.5-0.5B, dtype: float16}}\n",
                 "suites.osft.dtype: unknown value 'float16'", "expected one of float32");
    expect_error("suites: {osft: {model: Qwen/Qwen2.5-0.5B, targets: {q: 1}}}\n", "suites.osft.targets",
                 "found a mapping");
    expect_error("suites: {osft: {model: Qwen/Qwen2.5-0.5B, targets: [q, qq]}}\n", "suites.osft.targets[1]",
                 "unknown target 'qq'");
    expect_error("suites: {osft: {model: Qwen/Qwen2.5-0.5B, targets: [q, q_proj]}}\n", "listed twice", NULL);
    expect_error("suites: {osft: 5}\n", "suites.osft: expected a mapping", NULL);
    expect_error("suites: {osft: }\n", "suites.osft: expected a mapping with at least 'model:'", NULL);
}

static void test_out_of_range(void **state)
{
    (void)state;
    expect_error("suites: {osft: {model: Qwen/Qwen2.5-0.5B, unfreeze_rank_ratio: 1.5}}\n",
                 "suites.osft.unfreeze_rank_ratio: expected a number in [0, 1], found '1.5' (out of range)", NULL);
    expect_error("threads: 0\nsuites: {osft: {model: Qwen/Qwen2.5-0.5B}}\n", "threads: expected an integer in [1, 1024]",
                 NULL);
    expect_error("suites: {osft: {model: Qwen/Qwen2.5-0.5B, layers: 40}}\n",
                 "suites.osft.layers: expected an integer in [1, 24] (Qwen/Qwen2.5-0.5B has 24 layers)", "'40'");
}

static void test_negative_sizes(void **state)
{
    (void)state;
    expect_error("suites: {osft: {model: Qwen/Qwen2.5-0.5B, layers: -3}}\n", "suites.osft.layers", "'-3' (out of range)");
    expect_error("seed: -1\nsuites: {osft: {model: Qwen/Qwen2.5-0.5B}}\n", "seed: expected an integer in [0,", NULL);
    expect_error("suites: {osft: {model: Qwen/Qwen2.5-0.5B, atol: -1e-5}}\n", "suites.osft.atol", "out of range");
}

static void test_huge_numbers(void **state)
{
    (void)state;
    expect_error("seed: 99999999999999999999999999\nsuites: {osft: {model: Qwen/Qwen2.5-0.5B}}\n", "seed:",
                 "(too large)");
    expect_error("suites: {osft: {model: Qwen/Qwen2.5-0.5B, layers: 1000000000000}}\n", "suites.osft.layers",
                 "out of range");
    expect_error("suites: {osft: {model: Qwen/Qwen2.5-0.5B, atol: 1e999}}\n", "suites.osft.atol",
                 "too large or too small");
    expect_error("suites: {osft: {model: Qwen/Qwen2.5-0.5B, atol: .nan}}\n", "suites.osft.atol: expected a number",
                 NULL);
}

static void test_unknown_suite_and_model(void **state)
{
    (void)state;
    expect_error("suites: {osfft: {}}\n", ":1:10: suites.osfft: unknown suite 'osfft'", "did you mean 'osft'?");
    expect_error("suites: {gemm: {}}\n", "unknown suite 'gemm'; known suites: osft", NULL);
    expect_error("suites: {osft: {model: Qwen/Qwen2.5-1.5B-Instrukt}}\n", "unknown model 'Qwen/Qwen2.5-1.5B-Instrukt'",
                 "did you mean 'Qwen/Qwen2.5-1.5B-Instruct'?");
    expect_error("suites: {osft: {model: gpt-5}}\n", "unknown model 'gpt-5'; known models:", NULL);
    expect_error("suites: {osft: {layers: 2}}\n", "suites.osft.model: synthetic weights need 'model:' for their shapes", NULL);
    expect_error("name: x\n", "suites: missing required key 'suites'", NULL);
    expect_error("suites: {}\n", "suites: expected a mapping of suites", "an empty mapping");
}

static void test_anchors_and_aliases(void **state)
{
    (void)state;
    /* an alias is expanded as a copy of its anchor */
    struct run_config cfg;
    struct diag d = {0};
    assert_int_equal(load_text("defaults: &tol 1.0e-6\n", &cfg, &d), FR_USAGE); /* unknown key, but parsed */
    config_free(&cfg);
    assert_int_equal(load_text("suites:\n  osft:\n    model: Qwen/Qwen2.5-0.5B\n    atol: &t 2.0e-6\n    rtol: *t\n",
                               &cfg, &d),
                     FR_OK);
    const struct osft_config *o = cfg.suites[0].cfg;
    assert_true(o->atol == 2e-6 && o->rtol == 2e-6);
    config_free(&cfg);
    expect_error("seed: *nope\nsuites: {osft: {model: Qwen/Qwen2.5-0.5B}}\n", "alias '*nope' refers to an undefined anchor",
                 NULL);
    expect_error("a: &x [1, *x]\n", "recursive", NULL);
    expect_error("base: &b {seed: 1}\n<<: *b\n", "merge keys ('<<') are not supported", NULL);
    expect_error("&k seed: 1\n", "anchors on mapping keys are not supported", NULL);
}

static void test_billion_laughs(void **state)
{
    (void)state;
    expect_error("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                 "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                 "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                 "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                 "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
                 "more than 100000 nodes", NULL);
}

static void test_deep_nesting_and_documents(void **state)
{
    (void)state;
    char deep[400] = "x: ";
    for (int i = 0; i < 100; i++)
        strcat(deep, "[");
    strcat(deep, "\n");
    expect_error(deep, "nesting deeper than 64 levels", NULL);
    expect_error("seed: 1\n---\nseed: 2\n", "more than one YAML document", NULL);
    expect_error("seed: !custom 1\n", "unsupported YAML tag", NULL);
}

static void test_name_must_be_a_file_name(void **state)
{
    (void)state;
    expect_error("name: a/b\nsuites: {osft: {model: Qwen/Qwen2.5-0.5B}}\n", ":1:7: name:", "used in file names");
}

static void test_overrides(void **state)
{
    (void)state;
    const char *path = write_temp("ov.yaml", good);
    struct config_override ov[] = {
        {"suites.osft.layers=1", "--set suites.osft.layers=1"},
        {"seed=99", "--seed 99"},
        {"suites.osft.targets=[q, down]", "--set suites.osft.targets=[q, down]"},
        {"output=\"my results\"", "--out my results"},
    };
    struct run_config cfg;
    struct diag d = {0};
    assert_int_equal(config_load(path, ov, 4, &cfg, &d), FR_OK);
    const struct osft_config *o = cfg.suites[0].cfg;
    assert_int_equal(o->layers, 1);
    assert_int_equal(cfg.seed, 99);
    assert_int_equal(o->targets, (1u << T_Q) | (1u << T_DOWN));
    assert_string_equal(cfg.output, "my results");
    assert_contains(cfg.overrides, "seed=99");
    config_free(&cfg);

    struct config_override bad_value = {"suites.osft.layers=-1", "--set suites.osft.layers=-1"};
    assert_int_equal(config_load(path, &bad_value, 1, &cfg, &d), FR_USAGE);
    assert_contains(d.msg, "--set suites.osft.layers=-1: suites.osft.layers: expected an integer");
    config_free(&cfg);

    struct config_override bad_key = {"suites.osft.layres=1", "--set suites.osft.layres=1"};
    assert_int_equal(config_load(path, &bad_key, 1, &cfg, &d), FR_USAGE);
    assert_contains(d.msg, "unknown key 'layres' (did you mean 'layers'?)");
    config_free(&cfg);

    struct config_override no_eq = {"seed", "--set seed"};
    assert_int_equal(config_load(path, &no_eq, 1, &cfg, &d), FR_USAGE);
    assert_contains(d.msg, "--set seed: expected key.path=value");
    config_free(&cfg);

    struct config_override through_scalar = {"seed.x=1", "--set seed.x=1"};
    assert_int_equal(config_load(path, &through_scalar, 1, &cfg, &d), FR_USAGE);
    assert_contains(d.msg, "not a mapping");
    config_free(&cfg);

    struct config_override device = {"device=gpu", "--device gpu"};
    assert_int_equal(config_load(path, &device, 1, &cfg, &d), FR_USAGE);
    assert_contains(d.msg, "--device gpu: device: unknown value 'gpu'");
    config_free(&cfg);
    unlink(path);
}

static void test_select_suites(void **state)
{
    (void)state;
    const char *path = write_temp("sel.yaml", good);
    struct run_config cfg;
    struct diag d = {0};
    assert_int_equal(config_load(path, NULL, 0, &cfg, &d), FR_OK);
    assert_int_equal(config_select_suites(&cfg, "osfd", &d), FR_USAGE);
    assert_contains(d.msg, "unknown suite 'osfd' (did you mean 'osft'?)");
    assert_int_equal(config_select_suites(&cfg, "osft", &d), FR_OK);
    assert_int_equal(cfg.nsuites, 1);
    config_free(&cfg);
    unlink(path);
}

/* targets: names, short names and glob patterns over names and module paths */
static unsigned targets_of(const char *list)
{
    char text[300];
    snprintf(text, sizeof text, "suites:\n  osft:\n    model: Qwen/Qwen2.5-0.5B\n    targets: %s\n", list);
    struct run_config cfg;
    struct diag d = {0};
    if (load_text(text, &cfg, &d))
        fail_msg("%s: %s", list, d.msg);
    unsigned mask = ((const struct osft_config *)cfg.suites[0].cfg)->targets;
    config_free(&cfg);
    return mask;
}

static void test_target_patterns(void **state)
{
    (void)state;
    assert_int_equal(targets_of("['mlp.*']"), TARGET_BIT(T_GATE) | TARGET_BIT(T_UP) | TARGET_BIT(T_DOWN));
    assert_int_equal(targets_of("['self_attn.*', down]"), TARGET_BIT(T_Q) | TARGET_BIT(T_K) | TARGET_BIT(T_V) |
                                                           TARGET_BIT(T_O) | TARGET_BIT(T_DOWN));
    assert_int_equal(targets_of("'[kv]_proj'"), TARGET_BIT(T_K) | TARGET_BIT(T_V));
    assert_int_equal(targets_of("q_proj"), TARGET_BIT(T_Q));
    expect_error("suites:\n  osft:\n    model: Qwen/Qwen2.5-0.5B\n    targets: ['lm_head*']\n",
                 "config.yaml:4:15: suites.osft.targets[0]", "pattern 'lm_head*' matches no target");
    expect_error("suites:\n  osft:\n    model: Qwen/Qwen2.5-0.5B\n    targets: [q_prj]\n",
                 "suites.osft.targets[0]", "unknown target 'q_prj'");
    expect_error("suites:\n  osft:\n    model: Qwen/Qwen2.5-0.5B\n    targets: ['*qkv*']\n",
                 "suites.osft.targets", "the patterns match none of the layers of Qwen/Qwen2.5-0.5B (qwen2)");
    expect_error("suites:\n  osft:\n    model: Qwen/Qwen2.5-0.5B\n    targets: [q, qkv_proj]\n",
                 "suites.osft.targets", "Qwen/Qwen2.5-0.5B (qwen2) has no qkv_proj; its layers are q_proj");
    assert_int_equal(targets_of("~"), TARGETS_SPLIT);
}

/* A key that would have no effect is refused, naming it and its line. */
static void test_settings_without_effect(void **state)
{
    (void)state;
    expect_error("suites:\n  osft:\n    model: Qwen/Qwen2.5-0.5B\n    path: /models/q\n",
                 ":4:11: suites.osft.path: has no effect unless source: checkpoint", "(here source: synthetic)");
    expect_error("suites:\n  osft:\n    source: checkpoint\n    path: /models/q\n    synthetic: {std: 0.1}\n",
                 ":5:16: suites.osft.synthetic: has no effect unless source: synthetic", NULL);
    expect_error("suites:\n  osft:\n    source: checkpoint\n    model: Qwen/Qwen2.5-0.5B\n    path: /models/q\n",
                 ":4:12: suites.osft.model: has no effect unless source: synthetic", NULL);
    const char *quant = "suites:\n  quant:\n    layers: {sizes: [256], group_sizes: [128]}\n    calibration:\n";
    char text[512];
    snprintf(text, sizeof text, "%s      tensor: x\n", quant);
    expect_error(text, ":5:15: suites.quant.calibration.tensor: has no effect unless source: file", NULL);
    snprintf(text, sizeof text, "%s      source: file\n      path: a.safetensors\n      tensor: x\n      outliers: 3\n",
             quant);
    expect_error(text, ":8:17: suites.quant.calibration.outliers: has no effect unless source: synthetic", NULL);
    expect_error("suites:\n  quant:\n    layers: {sizes: [256], group_sizes: [128], tensors: [a.*]}\n",
                 "suites.quant.layers.tensors: has no effect unless checkpoint: DIR", NULL);
}

/* The run's first line: where the numbers come from. */
static void test_inputs(void **state)
{
    (void)state;
    struct run_config cfg;
    struct diag d = {0};
    char buf[512];
    assert_int_equal(load_text("seed: 42\nsuites:\n  osft: {model: Qwen/Qwen2.5-0.5B}\n"
                               "  quant: {layers: {sizes: [256], group_sizes: [128]}}\n", &cfg, &d), FR_OK);
    assert_string_equal(config_inputs(&cfg, buf, sizeof buf), "synthetic weights (seed 42)");
    config_free(&cfg);
    assert_int_equal(load_text("suites:\n  balance: {partition: {ranks: [2], distributions: [{name: u, dist: uniform, "
                               "n: 10, lo: 1, hi: 2}]}}\n", &cfg, &d), FR_OK);
    assert_string_equal(config_inputs(&cfg, buf, sizeof buf), "synthetic costs (seed 1234)");
    config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_config),       cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_directory),         cmocka_unit_test(test_empty_and_comments),
        cmocka_unit_test(test_not_yaml),          cmocka_unit_test(test_root_not_mapping),
        cmocka_unit_test(test_unknown_key),       cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_wrong_type),        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_negative_sizes),    cmocka_unit_test(test_huge_numbers),
        cmocka_unit_test(test_unknown_suite_and_model), cmocka_unit_test(test_anchors_and_aliases),
        cmocka_unit_test(test_billion_laughs),    cmocka_unit_test(test_deep_nesting_and_documents),
        cmocka_unit_test(test_name_must_be_a_file_name), cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_select_suites),    cmocka_unit_test(test_target_patterns),
        cmocka_unit_test(test_settings_without_effect), cmocka_unit_test(test_inputs),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
