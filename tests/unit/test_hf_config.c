/* config.json parsing, and every model preset against its repository's
 * published config.json (tests/fixtures/hf-configs: the architecture
 * fields as published, one file per repository). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/hf_config.h"

#define FIXTURES "tests/fixtures/hf-configs/"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    *len = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    return buf;
}

static int parse(const char *text, struct hf_config *c, struct diag *d)
{
    return hf_config_parse(text, strlen(text), "m/config.json", c, d);
}

static void test_every_preset_matches_its_published_config(void **state)
{
    (void)state;
    assert_true(model_count() >= 15);
    for (size_t i = 0; i < model_count(); i++) {
        const struct model_preset *m = model_at(i);
        char path[256], file[128]; /* "org/name" is stored as org__name.json */
        size_t j = 0;
        for (const char *c = m->id; *c && j + 3 < sizeof file; c++) {
            file[j++] = *c == '/' ? '_' : *c;
            if (*c == '/')
                file[j++] = '_';
        }
        file[j] = 0;
        snprintf(path, sizeof path, FIXTURES "%s.json", file);
        size_t len;
        char *text = slurp(path, &len);
        if (!text)
            fail_msg("%s: no published config at %s", m->id, path);
        struct hf_config c;
        struct diag d = {0};
        if (hf_config_parse(text, len, path, &c, &d))
            fail_msg("%s", d.msg);
        const struct model_preset *p = &c.shape;
        if (p->hidden_size != m->hidden_size || p->intermediate_size != m->intermediate_size ||
            p->num_hidden_layers != m->num_hidden_layers || p->num_attention_heads != m->num_attention_heads ||
            p->num_key_value_heads != m->num_key_value_heads || p->head_dim != m->head_dim ||
            strcmp(p->family, m->family) != 0)
            fail_msg("%s: the preset differs from its published config.json", m->id);
        for (int t = 0; t < T_COUNT; t++) {
            struct linear_shape a = model_linear_shape(m, (enum target)t), b = model_linear_shape(p, (enum target)t);
            assert_true(a.out == b.out && a.in == b.in);
        }
        assert_true(strstr(m->source, m->id) != NULL);
        free(text);
    }
}

static void test_phi3_has_fused_projections(void **state)
{
    (void)state;
    const struct model_preset *m = model_find("microsoft/Phi-3-mini-4k-instruct");
    assert_non_null(m);
    assert_int_equal(model_targets(m), TARGETS_FUSED);
    struct linear_shape qkv = model_linear_shape(m, T_QKV), gu = model_linear_shape(m, T_GATE_UP);
    /* 32 query heads + 2 x 32 key-value heads of 96; gate and up stacked */
    assert_int_equal(qkv.out, 9216);
    assert_int_equal(qkv.in, 3072);
    assert_int_equal(gu.out, 16384);
    assert_int_equal(gu.in, 3072);
    assert_int_equal(model_matrix_count(m, 0, model_targets(m)), 4 * 32);
    assert_int_equal(model_targets(model_find("Qwen/Qwen2.5-7B")), TARGETS_SPLIT);
    char buf[128];
    assert_string_equal(targets_text(TARGETS_FUSED, buf, sizeof buf), "o_proj, down_proj, qkv_proj, gate_up_proj");
}

static void test_defaults_as_transformers(void **state)
{
    (void)state;
    struct hf_config c;
    struct diag d = {0};
    assert_int_equal(parse("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128, "
                           "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"head_dim\": null}",
                           &c, &d),
                     FR_OK);
    assert_int_equal(c.shape.num_key_value_heads, 4); /* absent: as many as the attention heads */
    assert_int_equal(c.shape.head_dim, 16);           /* null: hidden / heads */
    assert_false(c.quant.present);
    assert_string_equal(c.shape.family, "llama");
    assert_int_equal(parse("{\"model_type\": \"mistral\", \"hidden_size\": 5120, \"intermediate_size\": 14336, "
                           "\"num_hidden_layers\": 40, \"num_attention_heads\": 32, \"num_key_value_heads\": 8, "
                           "\"head_dim\": 128}",
                           &c, &d),
                     FR_OK);
    assert_int_equal(model_linear_shape(&c.shape, T_Q).out, 4096); /* head_dim given: not 5120 / 32 */
    assert_int_equal(model_linear_shape(&c.shape, T_O).in, 4096);
}

static void test_quantization_config(void **state)
{
    (void)state;
    struct hf_config c;
    struct diag d = {0};
    assert_int_equal(parse("{\"model_type\": \"qwen2\", \"hidden_size\": 64, \"intermediate_size\": 128, "
                           "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, "
                           "\"quantization_config\": {\"quant_method\": \"gptq\", \"bits\": 4, \"group_size\": 128, "
                           "\"desc_act\": true, \"sym\": false, \"checkpoint_format\": \"gptq_v2\"}}",
                           &c, &d),
                     FR_OK);
    assert_true(c.quant.present && c.quant.bits == 4 && c.quant.group_size == 128 && c.quant.desc_act &&
                !c.quant.sym);
    assert_string_equal(c.quant.method, "gptq");
    assert_string_equal(c.quant.checkpoint_format, "gptq_v2");
    assert_int_equal(parse("{\"model_type\": \"qwen2\", \"hidden_size\": 64, \"intermediate_size\": 128, "
                           "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, "
                           "\"quantization_config\": {\"bits\": 8}}",
                           &c, &d),
                     FR_OK);
    /* absent: one group per row, symmetric, v1 zeros (AutoGPTQ's defaults) */
    assert_true(c.quant.group_size == -1 && c.quant.sym && !c.quant.desc_act);
    assert_string_equal(c.quant.checkpoint_format, "gptq");
}

static void expect_error(const char *text, const char *needle)
{
    struct hf_config c;
    struct diag d = {0};
    assert_int_equal(parse(text, &c, &d), FR_USAGE);
    assert_contains(d.msg, "m/config.json");
    assert_contains(d.msg, needle);
}

static void test_errors_name_the_file_and_key(void **state)
{
    (void)state;
    expect_error("{\"model_type\": \"llama\",", "not valid JSON");
    expect_error("[1, 2]", "must be a JSON object");
    expect_error("{\"hidden_size\": 64}", "'model_type'");
    expect_error("{\"model_type\": \"llama\", \"intermediate_size\": 1, \"num_hidden_layers\": 1, "
                 "\"num_attention_heads\": 1}",
                 "'hidden_size' is missing");
    expect_error("{\"model_type\": \"llama\", \"hidden_size\": \"64\", \"intermediate_size\": 1, "
                 "\"num_hidden_layers\": 1, \"num_attention_heads\": 1}",
                 "'hidden_size' must be a positive integer");
    expect_error("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": -5, "
                 "\"num_hidden_layers\": 1, \"num_attention_heads\": 1}",
                 "'intermediate_size' must be a positive integer");
    expect_error("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 8, "
                 "\"num_hidden_layers\": 1, \"num_attention_heads\": 4, \"num_key_value_heads\": 3}",
                 "not a multiple of num_key_value_heads");
    expect_error("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 8, "
                 "\"num_hidden_layers\": 1, \"num_attention_heads\": 4, \"quantization_config\": {\"bits\": 16}}",
                 "quantization_config.bits");
    expect_error("{\"model_type\": \"llama\", \"model_type\": \"qwen2\"}", "not valid JSON"); /* duplicate key */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_preset_matches_its_published_config),
        cmocka_unit_test(test_phi3_has_fused_projections),
        cmocka_unit_test(test_defaults_as_transformers),
        cmocka_unit_test(test_quantization_config),
        cmocka_unit_test(test_errors_name_the_file_and_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
