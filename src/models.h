/* Model presets: the linear-layer shapes of well-known decoder models,
 * derived from the hyper-parameters in their published config.json. Pure. */
#ifndef FIDRUN_MODELS_H
#define FIDRUN_MODELS_H

#include <stddef.h>

enum target {
    T_Q, T_K, T_V, T_O, T_GATE, T_UP, T_DOWN,
    T_COUNT
};

#define TARGETS_ALL ((1u << T_COUNT) - 1)

struct model_preset {
    const char *id;           /* HuggingFace repository id */
    const char *family;       /* "qwen2", "llama" */
    int hidden_size;
    int intermediate_size;
    int num_hidden_layers;
    int num_attention_heads;
    int num_key_value_heads;
    int head_dim;             /* hidden_size / num_attention_heads unless the config says otherwise */
    const char *source;       /* where the numbers come from */
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

struct linear_shape model_linear_shape(const struct model_preset *m, enum target t);

/* Number of linear weight matrices for layers [0, layers) and the chosen
 * targets (bit mask of enum target). */
size_t model_matrix_count(const struct model_preset *m, int layers, unsigned targets);

#endif
