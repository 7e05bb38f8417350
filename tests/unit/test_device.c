/* device: auto | cpu | cuda, as a rank chooses its backend. On a machine
 * without a GPU, auto falls back to the CPU and says why, and cuda is a
 * runtime error with the reason; with a GPU, auto and cuda bind it. */
#include "testutil.h"

#include "config/config.h"
#include "run/device.h"

static void test_cpu_is_always_cpu(void **state)
{
    (void)state;
    struct device_choice c;
    struct diag d = {0};
    assert_int_equal(device_select(DEVICE_CPU, 0, &c, &d), FR_OK);
    assert_ptr_equal(c.backend, &backend_cpu);
    assert_int_equal(c.gpu_index, -1);
    assert_string_equal(c.note, "cpu");
    device_release(&c);
}

static void test_auto_and_cuda(void **state)
{
    (void)state;
    char why[256] = "";
    int gpus = device_gpu_count(why, sizeof why);
    struct device_choice c;
    struct diag d = {0};
    assert_int_equal(device_select(DEVICE_AUTO, 3, &c, &d), FR_OK);
    if (gpus == 0) {
        assert_ptr_equal(c.backend, &backend_cpu);
        assert_contains(c.note, "auto → cpu (");
        assert_contains(c.note, why);
        assert_int_equal(device_select(DEVICE_CUDA, 0, &c, &d), FR_RUNTIME);
        assert_contains(d.msg, "device 'cuda' was requested but");
        assert_contains(d.msg, device_cuda_built() ? why : "built without CUDA");
        return;
    }
    assert_string_equal(c.backend->name, "cuda");
    assert_int_equal(c.gpu_index, 3 % gpus);
    assert_true(c.gpu_name[0] && c.gpu_pci_bus_id[0] && c.gpu_memory_gib > 0);
    device_release(&c);
}

static void test_visible_devices(void **state)
{
    (void)state;
    assert_int_equal(cuda_visible_host_index(NULL, 3), 3);
    assert_int_equal(cuda_visible_host_index("", 1), 1);
    assert_int_equal(cuda_visible_host_index("2,3", 0), 2);
    assert_int_equal(cuda_visible_host_index("2,3", 1), 3);
    assert_int_equal(cuda_visible_host_index("2,3", 2), -1);
    assert_int_equal(cuda_visible_host_index("GPU-8f0d2c1e-aaaa,5", 0), -1);
    assert_int_equal(cuda_visible_host_index("GPU-8f0d2c1e-aaaa,5", 1), 5);
    assert_int_equal(cuda_visible_host_index("MIG-GPU-1/2/0", 0), -1);
    assert_int_equal(cuda_visible_host_index("1x,2", 0), -1);
    assert_int_equal(cuda_visible_host_index("-1", 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_visible_devices),
        cmocka_unit_test(test_cpu_is_always_cpu),
        cmocka_unit_test(test_auto_and_cuda),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
