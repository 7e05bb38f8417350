#include "config/models.h"

#include <stdio.h>
#include <strings.h>

/* Hyper-parameters as published in each repository's config.json (hidden,
 * intermediate, layers, attention heads, key-value heads, head_dim). The
 * unit tests hold the published values beside these and compare. */
#define HF(id) id, "https://huggingface.co/" id "/blob/main/config.json"
static const struct model_preset presets[] = {
    {HF("Qwen/Qwen2.5-0.5B"), "qwen2", 896, 4864, 24, 14, 2, 64},
    {HF("Qwen/Qwen2.5-0.5B-Instruct"), "qwen2", 896, 4864, 24, 14, 2, 64},
    {HF("Qwen/Qwen2.5-1.5B"), "qwen2", 1536, 8960, 28, 12, 2, 128},
    {HF("Qwen/Qwen2.5-1.5B-Instruct"), "qwen2", 1536, 8960, 28, 12, 2, 128},
    {HF("Qwen/Qwen2.5-3B"), "qwen2", 2048, 11008, 36, 16, 2, 128},
    {HF("Qwen/Qwen2.5-7B"), "qwen2", 3584, 18944, 28, 28, 4, 128},
    {HF("Qwen/Qwen2.5-14B"), "qwen2", 5120, 13824, 48, 40, 8, 128},
    {HF("Qwen/Qwen2.5-32B"), "qwen2", 5120, 27648, 64, 40, 8, 128},
    {HF("Qwen/Qwen2.5-72B"), "qwen2", 8192, 29568, 80, 64, 8, 128},
    {HF("meta-llama/Llama-3.1-8B"), "llama", 4096, 14336, 32, 32, 8, 128},
    {HF("meta-llama/Llama-3.1-8B-Instruct"), "llama", 4096, 14336, 32, 32, 8, 128},
    {HF("meta-llama/Llama-3.1-70B"), "llama", 8192, 28672, 80, 64, 8, 128},
    {HF("meta-llama/Llama-3.1-405B"), "llama", 16384, 53248, 126, 128, 8, 128},
    {HF("mistralai/Mistral-7B-v0.1"), "mistral", 4096, 14336, 32, 32, 8, 128},
    {HF("microsoft/Phi-3-mini-4k-instruct"), "phi3", 3072, 8192, 32, 32, 32, 96},
};
#undef HF

static const char *const target_names[T_COUNT] = {"q_proj",  "k_proj",    "v_proj",   "o_proj",      "gate_proj",
                                                  "up_proj", "down_proj", "qkv_proj", "gate_up_proj"};
static const char *const target_modules[T_COUNT] = {
    "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",   "self_attn.o_proj", "mlp.gate_proj",
    "mlp.up_proj",      "mlp.down_proj",    "self_attn.qkv_proj", "mlp.gate_up_proj"};

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

unsigned family_targets(const char *family)
{
    return family && strcasecmp(family, "phi3") == 0 ? TARGETS_FUSED : TARGETS_SPLIT;
}

unsigned model_targets(const struct model_preset *m) { return family_targets(m->family); }

const char *targets_text(unsigned mask, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (int t = 0; t < T_COUNT && used < size; t++)
        if (mask & TARGET_BIT(t))
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "", target_names[t]);
    return buf;
}

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
    case T_QKV: return (struct linear_shape){q + 2 * kv, m->hidden_size};
    case T_GATE_UP: return (struct linear_shape){2 * m->intermediate_size, m->hidden_size};
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
