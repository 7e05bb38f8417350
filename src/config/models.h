/* Model presets: the linear-layer shapes of well-known decoder models,
 * derived from the hyper-parameters in their published config.json. Pure. */
#ifndef FIDRUN_MODELS_H
#define FIDRUN_MODELS_H

#include <stddef.h>

/* The decoder's linear layers as the OSFT tooling targets them: split
 * projections (qwen, llama, mistral, gemma, granite) or phi3's fused
 * qkv_proj and gate_up_proj. */
enum target {
    T_Q, T_K, T_V, T_O, T_GATE, T_UP, T_DOWN, T_QKV, T_GATE_UP,
    T_COUNT
};

#define TARGET_BIT(t) (1u << (t))
#define TARGETS_SPLIT (TARGET_BIT(T_QKV) - 1)
#define TARGETS_FUSED (TARGET_BIT(T_QKV) | TARGET_BIT(T_O) | TARGET_BIT(T_GATE_UP) | TARGET_BIT(T_DOWN))

struct model_preset {
    const char *id;           /* HuggingFace repository id */
    const char *source;       /* where the numbers come from */
    const char *family;       /* config.json's model_type: "qwen2", "llama", "mistral", "phi3" */
    int hidden_size;
    int intermediate_size;
    int num_hidden_layers;
    int num_attention_heads;
    int num_key_value_heads;
    int head_dim;             /* hidden_size / num_attention_heads unless the config says otherwise */
};

struct linear_shape {
    int out, in; /* weight is out x in (nn.Linear layout) */
};

const struct model_preset *model_find(const char *id);
size_t model_count(void);
const struct model_preset *model_at(size_t i);

/* Short name ("q_proj") and the HF module path inside a decoder layer
 * ("self_attn.q_proj"). */
const char *target_name(enum target t);
const char *target_module(enum target t);

/* The targets a family's checkpoints have: TARGETS_FUSED for phi3, else
 * TARGETS_SPLIT. */
unsigned family_targets(const char *family);
unsigned model_targets(const struct model_preset *m);

/* "q_proj, k_proj, ..." for a mask, into buf. */
const char *targets_text(unsigned mask, char *buf, size_t size);

struct linear_shape model_linear_shape(const struct model_preset *m, enum target t);

/* Number of linear weight matrices for layers [0, layers) and the chosen
 * targets (bit mask of enum target). */
size_t model_matrix_count(const struct model_preset *m, int layers, unsigned targets);

#endif
