/* A HuggingFace config.json: the model's family and the shapes of its
 * decoder's linear layers, and a GPTQ checkpoint's quantization_config.
 * Pure: it parses text (jansson); reading the file is the caller's. */
#ifndef FIDRUN_HF_CONFIG_H
#define FIDRUN_HF_CONFIG_H

#include <stddef.h>

#include "config/models.h"
#include "util/diag.h"

struct hf_quant_config {
    int present;                /* the config has a quantization_config */
    char method[16];            /* quant_method: "gptq", "awq", ... */
    int bits, group_size;       /* group_size -1: one group per row */
    int desc_act, sym;          /* act-order; symmetric */
    char checkpoint_format[16]; /* "gptq" (v1 zeros, the default) or "gptq_v2" */
};

struct hf_config {
    char model_type[32];
    struct model_preset shape; /* id and source name `origin`; family is model_type */
    int tie_word_embeddings;
    struct hf_quant_config quant;
};

/* Parses config.json's text; origin names it in errors ("path/config.json").
 * Needs hidden_size, intermediate_size, num_hidden_layers and
 * num_attention_heads (positive integers); num_key_value_heads defaults to
 * the attention heads and head_dim to hidden_size / heads, as transformers
 * does. Errors (FR_USAGE) name the origin and the key. The struct's strings
 * point into itself and into origin, which must outlive it. */
int hf_config_parse(const char *text, size_t len, const char *origin, struct hf_config *out, struct diag *d);

/* AutoGPTQ's quantize_config.json (the same keys as quantization_config,
 * at the top level; no quant_method means GPTQ). */
int hf_quant_config_parse(const char *text, size_t len, const char *origin, struct hf_quant_config *out,
                          struct diag *d);

#endif
