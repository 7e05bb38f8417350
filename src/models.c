#include "models.h"

#include <strings.h>

/* Hyper-parameters as published in each repository's config.json. */
static const struct model_preset presets[] = {
    {"Qwen/Qwen2.5-0.5B", "qwen2", 896, 4864, 24, 14, 2, 64,
     "https://huggingface.co/Qwen/Qwen2.5-0.5B/blob/main/config.json"},
    {"Qwen/Qwen2.5-0.5B-Instruct", "qwen2", 896, 4864, 24, 14, 2, 64,
     "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct/blob/main/config.json"},
    {"Qwen/Qwen2.5-1.5B", "qwen2", 1536, 8960, 28, 12, 2, 128,
     "https://huggingface.co/Qwen/Qwen2.5-1.5B/blob/main/config.json"},
    {"Qwen/Qwen2.5-1.5B-Instruct", "qwen2", 1536, 8960, 28, 12, 2, 128,
     "https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct/blob/main/config.json"},
    {"meta-llama/Llama-3.1-8B", "llama", 4096, 14336, 32, 32, 8, 128,
     "https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/config.json"},
    {"meta-llama/Llama-3.1-8B-Instruct", "llama", 4096, 14336, 32, 32, 8, 128,
     "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct/blob/main/config.json"},
};

static const char *const target_names[T_COUNT] = {
    "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
static const char *const target_modules[T_COUNT] = {
    "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
    "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};

size_t model_count(void) { return sizeof presets / sizeof presets[0]; }

const struct model_preset *model_at(size_t i) { return i < model_count() ? &presets[i] : NULL; }

const struct model_preset *model_find(const char *id)
{
    for (size_t i = 0; i < model_count(); i++)
        if (strcasecmp(presets[i].id, id) == 0)
            return &presets[i];
    return NULL;
}

const char *target_name(enum target t) { return t < T_COUNT ? target_names[t] : "?"; }
const char *target_module(enum target t) { return t < T_COUNT ? target_modules[t] : "?"; }

struct linear_shape model_linear_shape(const struct model_preset *m, enum target t)
{
    int q = m->num_attention_heads * m->head_dim;
    int kv = m->num_key_value_heads * m->head_dim;
    switch (t) {
    case T_Q: return (struct linear_shape){q, m->hidden_size};
    case T_K:
    case T_V: return (struct linear_shape){kv, m->hidden_size};
    case T_O: return (struct linear_shape){m->hidden_size, q};
    case T_GATE:
    case T_UP: return (struct linear_shape){m->intermediate_size, m->hidden_size};
    case T_DOWN: return (struct linear_shape){m->hidden_size, m->intermediate_size};
    default: return (struct linear_shape){0, 0};
    }
}

size_t model_matrix_count(const struct model_preset *m, int layers, unsigned targets)
{
    if (layers <= 0 || layers > m->num_hidden_layers)
        layers = m->num_hidden_layers;
    size_t per_layer = 0;
    for (int t = 0; t < T_COUNT; t++)
        per_layer += (targets >> t) & 1u;
    return per_layer * (size_t)layers;
}
