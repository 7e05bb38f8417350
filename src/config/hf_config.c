#include "config/hf_config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* A positive integer under key, or def when absent and def > 0. */
static int positive(json_t *root, const char *key, int def, const char *origin, int *out, struct diag *d)
{
    json_t *v = json_object_get(root, key);
    if (json_is_null(v)) /* some configs write "head_dim": null */
        v = NULL;
    if (!v && def > 0) {
        *out = def;
        return FR_OK;
    }
    if (!v)
        return diag_fail(d, FR_USAGE, "%s: key '%s' is missing (a decoder's config.json has it)", origin, key);
    if (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > 1 << 24)
        return diag_fail(d, FR_USAGE, "%s: key '%s' must be a positive integer", origin, key);
    *out = (int)json_integer_value(v);
    return FR_OK;
}

static void copy_string(json_t *root, const char *key, char *out, size_t size, const char *def)
{
    json_t *v = json_object_get(root, key);
    snprintf(out, size, "%s", json_is_string(v) ? json_string_value(v) : def);
}

static int parse_quant(json_t *q, const char *origin, struct hf_quant_config *out, struct diag *d)
{
    if (!json_is_object(q))
        return diag_fail(d, FR_USAGE, "%s: quantization_config must be an object", origin);
    out->present = 1;
    copy_string(q, "quant_method", out->method, sizeof out->method, "");
    copy_string(q, "checkpoint_format", out->checkpoint_format, sizeof out->checkpoint_format, "gptq");
    json_t *bits = json_object_get(q, "bits"), *gs = json_object_get(q, "group_size");
    if (!json_is_integer(bits) || json_integer_value(bits) < 2 || json_integer_value(bits) > 8)
        return diag_fail(d, FR_USAGE, "%s: quantization_config.bits must be an integer from 2 to 8", origin);
    out->bits = (int)json_integer_value(bits);
    out->group_size = -1;
    if (gs && (!json_is_integer(gs) || json_integer_value(gs) == 0 || json_integer_value(gs) < -1))
        return diag_fail(d, FR_USAGE, "%s: quantization_config.group_size must be -1 or a positive integer", origin);
    if (gs)
        out->group_size = (int)json_integer_value(gs);
    json_t *act = json_object_get(q, "desc_act"), *sym = json_object_get(q, "sym");
    out->desc_act = json_is_true(act);
    out->sym = sym ? json_is_true(sym) : 1; /* AutoGPTQ's and GPTQModel's default */
    return FR_OK;
}

/* GPT-2's keys under the names the others use (n_inner null: 4 n_embd, as
 * transformers' GPT2MLP). */
static void gpt2_aliases(json_t *root)
{
    static const char *const alias[][2] = {{"n_embd", "hidden_size"}, {"n_layer", "num_hidden_layers"},
                                           {"n_head", "num_attention_heads"}};
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++) {
        json_t *v = json_object_get(root, alias[i][0]);
        if (v && !json_object_get(root, alias[i][1]))
            json_object_set(root, alias[i][1], v);
    }
    json_t *inner = json_object_get(root, "n_inner"), *embd = json_object_get(root, "hidden_size");
    if (!json_object_get(root, "intermediate_size") && json_is_integer(embd))
        json_object_set_new(root, "intermediate_size", json_is_integer(inner)
                                                           ? json_integer(json_integer_value(inner))
                                                           : json_integer(4 * json_integer_value(embd)));
}

/* Families whose names outlive the parsed struct; others point into it. */
static const char *family_name(const char *model_type, const char *own)
{
    static const char *const known[] = {"qwen2", "qwen3",   "llama",   "mistral", "gemma", "gemma2",
                                        "granite", "phi3", "mixtral", "qwen2_moe", "gpt2", "bert", "roberta"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(model_type, known[i]) == 0)
            return known[i];
    return own;
}

int hf_config_parse(const char *text, size_t len, const char *origin, struct hf_config *out, struct diag *d)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return diag_fail(d, FR_USAGE, "%s:%d: not valid JSON: %s", origin, je.line, je.text);
    int rc = FR_OK;
    struct model_preset *s = &out->shape;
    if (!json_is_object(root))
        rc = diag_fail(d, FR_USAGE, "%s: config.json must be a JSON object", origin);
    if (!rc)
        copy_string(root, "model_type", out->model_type, sizeof out->model_type, "");
    if (!rc && !out->model_type[0])
        rc = diag_fail(d, FR_USAGE, "%s: key 'model_type' is missing or not a string", origin);
    if (!rc && !strcmp(out->model_type, "gpt2")) /* GPT-2 names them n_embd, n_layer, n_head, n_inner */
        gpt2_aliases(root);
    if (!rc && !(rc = positive(root, "hidden_size", 0, origin, &s->hidden_size, d)) &&
        !(rc = positive(root, "intermediate_size", 0, origin, &s->intermediate_size, d)) &&
        !(rc = positive(root, "num_hidden_layers", 0, origin, &s->num_hidden_layers, d)) &&
        !(rc = positive(root, "num_attention_heads", 0, origin, &s->num_attention_heads, d)) &&
        !(rc = positive(root, "num_key_value_heads", s->num_attention_heads, origin, &s->num_key_value_heads, d)))
        rc = positive(root, "head_dim", s->hidden_size / s->num_attention_heads, origin, &s->head_dim, d);
    if (!rc && s->num_attention_heads % s->num_key_value_heads)
        rc = diag_fail(d, FR_USAGE, "%s: num_attention_heads (%d) is not a multiple of num_key_value_heads (%d)",
                       origin, s->num_attention_heads, s->num_key_value_heads);
    json_t *q = rc ? NULL : json_object_get(root, "quantization_config");
    if (q)
        rc = parse_quant(q, origin, &out->quant, d);
    if (!rc) {
        /* absent: tied, transformers' PretrainedConfig default (GPT-2 and BERT rely on it) */
        json_t *tie = json_object_get(root, "tie_word_embeddings");
        out->tie_word_embeddings = tie ? json_is_true(tie) : 1;
        s->id = origin;
        s->source = origin;
        s->family = family_name(out->model_type, out->model_type);
    }
    json_decref(root);
    return rc;
}

int hf_quant_config_parse(const char *text, size_t len, const char *origin, struct hf_quant_config *out,
                          struct diag *d)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return diag_fail(d, FR_USAGE, "%s:%d: not valid JSON: %s", origin, je.line, je.text);
    int rc = parse_quant(root, origin, out, d);
    if (!rc && !out->method[0]) /* AutoGPTQ's quantize_config.json names no method */
        snprintf(out->method, sizeof out->method, "gptq");
    json_decref(root);
    return rc;
}
