/* CPU lists as ranges: runs collapse, singletons stay, a short buffer truncates. */
#include "testutil.h"

#include "run/affinity.h"

static void test_ranges(void **state)
{
    (void)state;
    char buf[64];
    const int a[] = {0, 1, 2, 3, 8, 10, 11};
    assert_string_equal(cpu_ranges_text(a, 7, buf, sizeof buf), "0-3,8,10-11");
    const int b[] = {5};
    assert_string_equal(cpu_ranges_text(b, 1, buf, sizeof buf), "5");
    assert_string_equal(cpu_ranges_text(NULL, 0, buf, sizeof buf), "");
    char small[5];
    assert_string_equal(cpu_ranges_text(a, 7, small, sizeof small), "0-3,");
}

static void test_this_process_has_a_cpu(void **state)
{
    (void)state;
    char buf[256];
    const char *t = cpu_affinity_text(buf, sizeof buf);
    assert_true(t[0] >= '0' && t[0] <= '9');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_this_process_has_a_cpu),
    };
    return cmocka_run_group_tests_name("affinity", tests, NULL, NULL);
}
