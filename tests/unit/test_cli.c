/* Command-line parsing. */
#include "testutil.h"

#include "cli/run_args.h"

static int parse(struct cli *c, struct diag *d, int argc, const char **argv)
{
    return cli_parse(argc, (char **)argv, c, d);
}

static void test_run_forms(void **state)
{
    (void)state;
    struct cli c;
    struct diag d = {0};
    const char *a1[] = {"fidrun", "configs/osft.yaml", "--only", "model.layers.0.*", "-q"};
    assert_int_equal(parse(&c, &d, 5, a1), FR_OK);
    assert_int_equal(c.command, CMD_RUN);
    assert_string_equal(c.run.config, "configs/osft.yaml");
    assert_string_equal(c.run.only, "model.layers.0.*");
    assert_true(c.run.quiet && !c.run.verbose);
    cli_free(&c);
    const char *a2[] = {"fidrun", "run", "x.yaml", "--suite=osft", "--verbose"};
    assert_int_equal(parse(&c, &d, 5, a2), FR_OK);
    assert_int_equal(c.command, CMD_RUN);
    assert_string_equal(c.run.suites, "osft");
    assert_true(c.run.verbose);
    cli_free(&c);
}

static void test_overrides_in_order(void **state)
{
    (void)state;
    struct cli c;
    struct diag d = {0};
    const char *a[] = {"fidrun", "x.yaml", "--set", "suites.osft.layers=2", "--seed", "9", "--device=cpu",
                       "--out", "my \"dir\"", "--set=seed=3"};
    assert_int_equal(parse(&c, &d, 10, a), FR_OK);
    assert_int_equal(c.run.noverrides, 5);
    assert_string_equal(c.run.overrides[0].assignment, "suites.osft.layers=2");
    assert_string_equal(c.run.overrides[0].label, "--set suites.osft.layers=2");
    assert_string_equal(c.run.overrides[1].assignment, "seed=9");
    assert_string_equal(c.run.overrides[1].label, "--seed 9");
    assert_string_equal(c.run.overrides[2].assignment, "device=cpu");
    assert_string_equal(c.run.overrides[3].assignment, "output=\"my \\\"dir\\\"\"");
    assert_string_equal(c.run.overrides[4].assignment, "seed=3");
    cli_free(&c);
}

static void test_validate(void **state)
{
    (void)state;
    struct cli c;
    struct diag d = {0};
    const char *a[] = {"fidrun", "validate", "x.yaml", "--ranks", "8", "--json"};
    assert_int_equal(parse(&c, &d, 6, a), FR_OK);
    assert_int_equal(c.command, CMD_VALIDATE);
    assert_int_equal(c.ranks, 8);
    assert_true(c.json);
    cli_free(&c);
    const char *b[] = {"fidrun", "validate", "x.yaml", "--ranks", "0"};
    assert_int_equal(parse(&c, &d, 5, b), FR_USAGE);
    assert_contains(d.msg, "--ranks: expected an integer in [1, 1048576], found '0'");
    cli_free(&c);
    const char *e[] = {"fidrun", "x.yaml", "--ranks", "4"};
    assert_int_equal(parse(&c, &d, 4, e), FR_USAGE);
    assert_contains(d.msg, "belong to 'fidrun validate'");
    cli_free(&c);
}

static void test_errors(void **state)
{
    (void)state;
    struct cli c;
    struct diag d = {0};
    const char *a[] = {"fidrun", "x.yaml", "--sede", "3"};
    assert_int_equal(parse(&c, &d, 4, a), FR_USAGE);
    assert_contains(d.msg, "unknown option '--sede' (did you mean '--seed'?)");
    cli_free(&c);
    const char *b[] = {"fidrun", "x.yaml", "--set"};
    assert_int_equal(parse(&c, &d, 3, b), FR_USAGE);
    assert_contains(d.msg, "option --set needs a value");
    cli_free(&c);
    const char *e[] = {"fidrun", "x.yaml", "y.yaml"};
    assert_int_equal(parse(&c, &d, 3, e), FR_USAGE);
    assert_contains(d.msg, "unexpected argument 'y.yaml'");
    cli_free(&c);
    const char *f[] = {"fidrun"};
    assert_int_equal(parse(&c, &d, 1, f), FR_USAGE);
    assert_contains(d.msg, "no config file given");
    cli_free(&c);
}

static void test_help_and_version_need_no_config(void **state)
{
    (void)state;
    struct cli c;
    struct diag d = {0};
    const char *a[] = {"fidrun", "--help"};
    assert_int_equal(parse(&c, &d, 2, a), FR_OK);
    assert_int_equal(c.command, CMD_HELP);
    const char *b[] = {"fidrun", "-V"};
    assert_int_equal(parse(&c, &d, 2, b), FR_OK);
    assert_int_equal(c.command, CMD_VERSION);
    assert_non_null(strstr(cli_usage, "exit codes"));
    assert_null(c.help_page);
    /* each command's own page */
    const char *r[] = {"fidrun", "run", "--help"};
    assert_int_equal(parse(&c, &d, 3, r), FR_OK);
    assert_int_equal(c.command, CMD_HELP);
    assert_ptr_equal(c.help_page, cli_run_usage);
    const char *v[] = {"fidrun", "validate", "-h"};
    assert_int_equal(parse(&c, &d, 3, v), FR_OK);
    assert_ptr_equal(c.help_page, cli_validate_usage);
    const char *h[] = {"fidrun", "help"};
    assert_int_equal(parse(&c, &d, 2, h), FR_OK);
    assert_null(c.help_page);
    /* the run's page names every option a run takes, the validate page its own */
    static const char *const run_opts[] = {"--suite", "--only", "--set", "--device", "--out", "--seed", "--quiet",
                                           "--progress", "--verbose", "--junit", "--html", "--baseline",
                                           "--tolerance", "--band", "--atol", "--save-baseline", "--resume"};
    for (size_t k = 0; k < sizeof run_opts / sizeof *run_opts; k++)
        assert_non_null(strstr(cli_run_usage, run_opts[k]));
    assert_non_null(strstr(cli_validate_usage, "--ranks"));
    assert_non_null(strstr(cli_validate_usage, "--json"));
    assert_null(strstr(cli_validate_usage, "--resume"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_forms),
        cmocka_unit_test(test_overrides_in_order),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_help_and_version_need_no_config),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
