/* Model presets against the shapes of the published configs (as the
 * issue lists them: q_proj 1536x1536, k/v 256x1536, ...). */
#include "testutil.h"

#include "config/models.h"

static void expect_shape(const struct model_preset *m, enum target t, int out, int in)
{
    struct linear_shape s = model_linear_shape(m, t);
    if (s.out != out || s.in != in)
        fail_msg("%s %s: %dx%d, expected %dx%d", m->id, target_name(t), s.out, s.in, out, in);
}

static void test_qwen25_15b(void **state)
{
    (void)state;
    const struct model_preset *m = model_find("Qwen/Qwen2.5-1.5B-Instruct");
    assert_non_null(m);
    assert_int_equal(m->num_hidden_layers, 28);
    expect_shape(m, T_Q, 1536, 1536);
    expect_shape(m, T_K, 256, 1536);
    expect_shape(m, T_V, 256, 1536);
    expect_shape(m, T_O, 1536, 1536);
    expect_shape(m, T_GATE, 8960, 1536);
    expect_shape(m, T_UP, 8960, 1536);
    expect_shape(m, T_DOWN, 1536, 8960);
    assert_int_equal(model_matrix_count(m, 0, TARGETS_SPLIT), 196);
    assert_int_equal(model_matrix_count(m, 3, (1u << T_Q) | (1u << T_DOWN)), 6);
}

static void test_qwen25_05b(void **state)
{
    (void)state;
    const struct model_preset *m = model_find("qwen/qwen2.5-0.5b-instruct"); /* ids match case-insensitively */
    assert_non_null(m);
    assert_int_equal(m->num_hidden_layers, 24);
    expect_shape(m, T_Q, 896, 896);
    expect_shape(m, T_K, 128, 896);
    expect_shape(m, T_O, 896, 896);
    expect_shape(m, T_GATE, 4864, 896);
    expect_shape(m, T_DOWN, 896, 4864);
    assert_int_equal(model_matrix_count(m, 0, TARGETS_SPLIT), 168);
}

static void test_llama31_8b(void **state)
{
    (void)state;
    const struct model_preset *m = model_find("meta-llama/Llama-3.1-8B");
    assert_non_null(m);
    assert_int_equal(m->num_hidden_layers, 32);
    expect_shape(m, T_Q, 4096, 4096);
    expect_shape(m, T_K, 1024, 4096);
    expect_shape(m, T_V, 1024, 4096);
    expect_shape(m, T_O, 4096, 4096);
    expect_shape(m, T_GATE, 14336, 4096);
    expect_shape(m, T_UP, 14336, 4096);
    expect_shape(m, T_DOWN, 4096, 14336);
    assert_int_equal(model_matrix_count(m, 0, TARGETS_SPLIT), 224);
}

static void test_every_preset_is_consistent(void **state)
{
    (void)state;
    for (size_t i = 0; i < model_count(); i++) {
        const struct model_preset *m = model_at(i);
        assert_int_equal(m->num_attention_heads % m->num_key_value_heads, 0);
        assert_int_equal(m->hidden_size, m->num_attention_heads * m->head_dim);
        assert_ptr_equal(model_find(m->id), m);
        assert_non_null(strstr(m->source, m->id));
    }
    assert_null(model_find("Qwen/Qwen2.5-7B-Chat"));
    assert_string_equal(target_module(T_GATE), "mlp.gate_proj");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qwen25_15b),
        cmocka_unit_test(test_qwen25_05b),
        cmocka_unit_test(test_llama31_8b),
        cmocka_unit_test(test_every_preset_is_consistent),
    };
    return cmocka_run_group_tests_name("models", tests, NULL, NULL);
}
