/* Scalar parsing, spelling suggestions and the YAML tree. */
#include "testutil.h"

#include <math.h>

#include "config/schema.h"
#include "util/yaml_tree.h"

static void test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(edit_distance("kitten", "sitting"), 3);
    assert_int_equal(edit_distance("modle", "model"), 1); /* a transposition is one edit */
    assert_int_equal(edit_distance("SEED", "seed"), 0);
    assert_int_equal(edit_distance("", "abc"), 3);
    const char *keys[] = {"name", "seed", "device", "balance", "output", "threads", "suites"};
    assert_string_equal(closest_name("sed", keys, 7), "seed");
    assert_string_equal(closest_name("outptu", keys, 7), "output");
    assert_null(closest_name("colour", keys, 7));
}

static void test_parse_int(void **state)
{
    (void)state;
    int64_t v;
    int of;
    assert_int_equal(parse_int64("12", &v, &of), 0);
    assert_int_equal(v, 12);
    assert_int_equal(parse_int64("-3", &v, &of), 0);
    assert_int_equal(v, -3);
    assert_int_equal(parse_int64("0x1F", &v, &of), 0);
    assert_int_equal(v, 31);
    assert_int_equal(parse_int64("1_000", &v, &of), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(parse_int64("9223372036854775807", &v, &of), 0);
    assert_int_equal(v, INT64_MAX);
    assert_int_not_equal(parse_int64("9223372036854775808", &v, &of), 0);
    assert_true(of);
    assert_int_not_equal(parse_int64("123456789012345678901234567890123456789012345678901234567890123456789012345"
                                     "678901234567890123456789012345678901234567890123456789012345678901234567890",
                                     &v, &of),
                         0);
    assert_true(of);
    assert_int_not_equal(parse_int64("1.5", &v, &of), 0);
    assert_false(of);
    assert_int_not_equal(parse_int64("", &v, &of), 0);
    assert_int_not_equal(parse_int64("12abc", &v, &of), 0);
    assert_int_not_equal(parse_int64(" 12", &v, &of), 0);
}

static void test_parse_real(void **state)
{
    (void)state;
    double v;
    int of;
    assert_int_equal(parse_real("1e-5", &v, &of), 0);
    assert_true(v == 1e-5);
    assert_int_equal(parse_real(".5", &v, &of), 0);
    assert_true(v == 0.5);
    assert_int_equal(parse_real("-2.", &v, &of), 0);
    assert_true(v == -2);
    assert_int_equal(parse_real("3", &v, &of), 0);
    assert_int_equal(parse_real("-.inf", &v, &of), 0);
    assert_true(isinf(v) && v < 0);
    assert_int_not_equal(parse_real("1e999", &v, &of), 0);
    assert_true(of);
    assert_int_not_equal(parse_real("1e-999", &v, &of), 0);
    assert_true(of);
    const char *bad[] = {"nan", ".nan", "inf", "0x1p3", "1e", "e5", ".", "1.2.3", "--1", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (parse_real(bad[i], &v, &of) == 0)
            fail_msg("'%s' parsed as a number", bad[i]);
}

static void test_parse_bool(void **state)
{
    (void)state;
    int b;
    assert_int_equal(parse_bool("True", &b), 0);
    assert_true(b);
    assert_int_equal(parse_bool("off", &b), 0);
    assert_false(b);
    assert_int_not_equal(parse_bool("1", &b), 0);
}

static void test_tree_and_locations(void **state)
{
    (void)state;
    const char *text = "a:\n  b: [1, \"2\"]\n  c: ~\n";
    struct ynode *root;
    struct diag d = {0};
    assert_int_equal(ytree_parse(text, strlen(text), "t.yaml", &root, &d), FR_OK);
    const struct ynode *a = ytree_get(root, "a"), *b = ytree_get(a, "b");
    assert_int_equal(b->kind, YN_SEQ);
    assert_int_equal(b->n, 2);
    assert_int_equal(b->loc.line, 2);
    assert_int_equal(b->loc.col, 6);
    assert_false(b->items[0]->quoted);
    assert_true(b->items[1]->quoted);
    assert_true(ytree_is_null(ytree_get(a, "c")));
    struct ynode *v;
    assert_int_equal(ytree_parse("7", 1, "--set a.c=7", &v, &d), FR_OK);
    assert_int_equal(ytree_set_path(&root, "a.c", v, "--set a.c=7", &d), FR_OK);
    assert_string_equal(ytree_get(a, "c")->text, "7");
    assert_int_equal(ytree_parse("1", 1, "--set a.b.x=1", &v, &d), FR_OK);
    assert_int_equal(ytree_set_path(&root, "a.b.x", v, "--set a.b.x=1", &d), FR_USAGE);
    assert_contains(d.msg, "t.yaml:2:6 is a sequence, not a mapping");
    assert_int_equal(ytree_parse("1", 1, "--set z.y=1", &v, &d), FR_OK);
    assert_int_equal(ytree_set_path(&root, "z.y", v, "--set z.y=1", &d), FR_OK);
    assert_string_equal(ytree_get(ytree_get(root, "z"), "y")->text, "1");
    ytree_free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edit_distance), cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_parse_real),    cmocka_unit_test(test_parse_bool),
        cmocka_unit_test(test_tree_and_locations),
    };
    return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
