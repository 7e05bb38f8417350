/* Targets matched against checkpoints' own tensor names, family by family
 * (the names transformers' modeling files give them), and the entries of
 * targets: as a user writes them. */
#include "testutil.h"

#include "config/layouts.h"

#define T2(name, r, c) {name, 2, {r, c}, 1}

/* Matches for (model_type, entries) over the tensors; the labels joined by ','. */
static long run(const char *type, int tied, const char *const *entries, size_t ne, const struct layout_tensor *t,
                size_t n, char *labels, size_t size, struct layout_match **m, size_t *nm)
{
    struct layout_request req = {type, tied, entries, ne, 0};
    char why[600] = "";
    long rc = layout_match(&req, t, n, m, nm, why, sizeof why);
    size_t used = 0;
    labels[0] = '\0';
    for (size_t i = 0; rc == 0 && i < *nm; i++)
        used += (size_t)snprintf(labels + used, size - used, "%s%s", i ? "," : "", (*m)[i].label);
    if (rc > 0)
        snprintf(labels, size, "%s", why);
    return rc;
}

static void test_llama_and_legacy_names(void **state)
{
    (void)state;
    const struct layout_tensor t[] = {
        T2("model.embed_tokens.weight", 1000, 64), T2("model.layers.0.self_attn.q_proj.weight", 64, 64),
        T2("model.layers.0.self_attn.k_proj.weight", 16, 64), {"model.layers.0.self_attn.k_proj.bias", 1, {16}, 1},
        T2("model.layers.0.mlp.down_proj.weight", 64, 128), {"model.layers.0.input_layernorm.weight", 1, {64}, 1},
        T2("model.layers.1.self_attn.q_proj.weight", 64, 64), T2("lm_head.weight", 1000, 64)};
    char got[600];
    struct layout_match *m;
    size_t n;
    assert_int_equal(run("qwen2", 0, NULL, 0, t, 8, got, sizeof got, &m, &n), 0);
    assert_string_equal(got, "q_proj,k_proj,down_proj,q_proj");
    assert_int_equal(m[3].layer, 1);
    free(m);
    const char *short_names[] = {"q", "down"};
    assert_int_equal(run("qwen2", 0, short_names, 2, t, 8, got, sizeof got, &m, &n), 0);
    assert_string_equal(got, "q_proj,down_proj,q_proj");
    free(m);
    /* embeddings and lm_head by name; tied, they are one matrix */
    const char *heads[] = {"lm_head", "model.embed_tokens.weight"};
    assert_int_equal(run("qwen2", 0, heads, 2, t, 8, got, sizeof got, &m, &n), 0);
    assert_string_equal(got, "embed_tokens,lm_head");
    free(m);
    assert_int_equal(run("qwen2", 1, heads, 2, t, 8, got, sizeof got, &m, &n), 0);
    assert_string_equal(got, "embed_tokens");
    free(m);
    /* a near miss is named with the nearest target */
    const char *typo[] = {"q_prj"};
    assert_int_equal(run("qwen2", 0, typo, 1, t, 8, got, sizeof got, &m, &n), 1);
    assert_contains(got, "'q_prj' matches no 2-D weight");
    assert_contains(got, "did you mean 'q_proj'?");
}

static void test_bert(void **state)
{
    (void)state;
    const struct layout_tensor t[] = {
        T2("embeddings.word_embeddings.weight", 30522, 384), T2("embeddings.position_embeddings.weight", 512, 384),
        T2("encoder.layer.0.attention.self.query.weight", 384, 384),
        T2("encoder.layer.0.attention.self.key.weight", 384, 384),
        T2("encoder.layer.0.attention.self.value.weight", 384, 384),
        T2("encoder.layer.0.attention.output.dense.weight", 384, 384),
        {"encoder.layer.0.attention.output.LayerNorm.weight", 1, {384}, 1},
        T2("encoder.layer.0.intermediate.dense.weight", 1536, 384),
        T2("encoder.layer.0.output.dense.weight", 384, 1536), T2("pooler.dense.weight", 384, 384)};
    size_t nt = sizeof t / sizeof t[0];
    char got[600];
    struct layout_match *m;
    size_t n;
    assert_int_equal(run("bert", 0, NULL, 0, t, nt, got, sizeof got, &m, &n), 0);
    assert_string_equal(got, "query,key,value,attention.output.dense,intermediate.dense,output.dense");
    free(m);
    /* globs range over the file's own names; "*" over every linear of the layers */
    const char *self[] = {"attention.self.*"}, *all[] = {"*"};
    assert_int_equal(run("bert", 0, self, 1, t, nt, got, sizeof got, &m, &n), 0);
    assert_string_equal(got, "query,key,value");
    free(m);
    assert_int_equal(run("bert", 0, all, 1, t, nt, got, sizeof got, &m, &n), 0);
    assert_int_equal(n, 6);
    free(m);
    /* without config.json: every 2-D weight in a layer, named by its module */
    assert_int_equal(run(NULL, 0, NULL, 0, t, nt, got, sizeof got, &m, &n), 0);
    assert_string_equal(got, "attention.self.query,attention.self.key,attention.self.value,attention.output.dense,"
                             "intermediate.dense,output.dense");
    free(m);
}

static void test_gpt2_is_transposed(void **state)
{
    (void)state;
    const struct layout_tensor t[] = {T2("transformer.wte.weight", 50257, 768),
                                      T2("transformer.h.0.attn.c_attn.weight", 768, 2304),
                                      T2("transformer.h.0.attn.c_proj.weight", 768, 768),
                                      T2("transformer.h.0.mlp.c_fc.weight", 768, 3072),
                                      T2("transformer.h.0.mlp.c_proj.weight", 3072, 768)};
    char got[600];
    struct layout_match *m;
    size_t n;
    assert_int_equal(run("gpt2", 1, NULL, 0, t, 5, got, sizeof got, &m, &n), 0);
    assert_string_equal(got, "c_attn,attn.c_proj,c_fc,mlp.c_proj");
    /* Conv1D stores [in, out]: as a linear, c_attn is 2304 x 768 */
    assert_true(m[0].transposed && m[0].rows == 2304 && m[0].cols == 768);
    assert_true(m[3].transposed && m[3].rows == 768 && m[3].cols == 3072);
    free(m);
}

static void test_mixture_of_experts(void **state)
{
    (void)state;
    struct layout_tensor t[3 * 4 + 5];
    char names[3 * 4][96];
    size_t k = 0;
    for (int e = 0; e < 4; e++)
        for (int w = 1; w <= 3; w++) {
            snprintf(names[k], sizeof names[k], "model.layers.0.block_sparse_moe.experts.%d.w%d.weight", e, w);
            t[k] = (struct layout_tensor)T2(names[k], w == 2 ? 64 : 224, w == 2 ? 224 : 64);
            k++;
        }
    t[k++] = (struct layout_tensor)T2("model.layers.0.block_sparse_moe.gate.weight", 4, 64);
    t[k++] = (struct layout_tensor)T2("model.layers.0.self_attn.q_proj.weight", 64, 64);
    t[k++] = (struct layout_tensor)T2("model.layers.0.self_attn.k_proj.weight", 16, 64);
    t[k++] = (struct layout_tensor)T2("model.layers.0.self_attn.v_proj.weight", 16, 64);
    t[k++] = (struct layout_tensor)T2("model.layers.0.self_attn.o_proj.weight", 64, 64);
    char got[600];
    struct layout_match *m;
    size_t n;
    /* every expert, the router only by name */
    assert_int_equal(run("mixtral", 0, NULL, 0, t, k, got, sizeof got, &m, &n), 0);
    assert_int_equal(n, 12 + 4);
    assert_string_equal(m[4].label, "experts.w2");
    assert_int_equal(m[4].expert, 1);
    free(m);
    const char *router[] = {"router"}, *w1[] = {"experts.w1"};
    assert_int_equal(run("mixtral", 0, router, 1, t, k, got, sizeof got, &m, &n), 0);
    assert_string_equal(got, "router");
    free(m);
    assert_int_equal(run("mixtral", 0, w1, 1, t, k, got, sizeof got, &m, &n), 0);
    assert_int_equal(n, 4);
    free(m);
    char sum[400];
    assert_int_equal(run("mixtral", 0, NULL, 0, t, k, got, sizeof got, &m, &n), 0);
    layout_summary(m, n, sum, sizeof sum);
    assert_contains(sum, "experts.w1 ×4 (224×64)");
    assert_contains(sum, "q_proj ×1 (64×64)");
    free(m);
}

static void test_qwen_moe_and_phi3(void **state)
{
    (void)state;
    const struct layout_tensor t[] = {T2("model.layers.0.mlp.experts.0.gate_proj.weight", 32, 64),
                                      T2("model.layers.0.mlp.experts.1.gate_proj.weight", 32, 64),
                                      T2("model.layers.0.mlp.shared_expert.down_proj.weight", 64, 128),
                                      T2("model.layers.0.mlp.shared_expert_gate.weight", 1, 64),
                                      T2("model.layers.0.mlp.gate.weight", 2, 64)};
    char got[600];
    struct layout_match *m;
    size_t n;
    assert_int_equal(run("qwen2_moe", 0, NULL, 0, t, 5, got, sizeof got, &m, &n), 0);
    assert_string_equal(got, "experts.gate_proj,experts.gate_proj,shared_expert.down_proj");
    free(m);
    const struct layout_tensor p[] = {T2("model.layers.0.self_attn.qkv_proj.weight", 9216, 3072),
                                      T2("model.layers.0.mlp.gate_up_proj.weight", 16384, 3072)};
    assert_int_equal(run("phi3", 0, NULL, 0, p, 2, got, sizeof got, &m, &n), 0);
    assert_string_equal(got, "qkv_proj,gate_up_proj");
    free(m);
    /* a quantized tensor is never a target */
    const struct layout_tensor q[] = {{"model.layers.0.self_attn.q_proj.weight", 2, {8, 64}, 0}};
    assert_int_equal(run("llama", 0, NULL, 0, q, 1, got, sizeof got, &m, &n), 0);
    assert_int_equal(n, 0);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_llama_and_legacy_names), cmocka_unit_test(test_bert),
        cmocka_unit_test(test_gpt2_is_transposed),     cmocka_unit_test(test_mixture_of_experts),
        cmocka_unit_test(test_qwen_moe_and_phi3),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
