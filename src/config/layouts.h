/* Which tensors of a checkpoint are the linear layers a suite targets, by
 * the checkpoint's own names: the families' layouts (picked by config.json's
 * model_type) and globs over the file's tensors. Pure: the caller lists the
 * tensors (names, shapes) and gets back the matched ones.
 *
 * A tensor is in a layer when one component of its name is a number after
 * "layers", "layer", "h", "blocks" or "block" (model.layers.3.self_attn...,
 * encoder.layer.3.attention..., transformer.h.3.attn...). Its module is the
 * rest of the name without ".weight", an expert's index written as *
 * (mlp.experts.*.gate_proj). A family's layout names its linears' modules,
 * their short names, which the suite targets by default, and which are
 * stored transposed ([in, out]: GPT-2's Conv1D).
 *
 * targets entries: a name without * ? [ matches a tensor whose short name,
 * module, full name or full name without ".weight" it is (so lm_head and
 * model.embed_tokens.weight can be named); a glob matches the layers'
 * 2-D weights by short name, module or full name. No entries: the family's
 * default linears, or every 2-D weight in a layer for an unknown family.
 * Tied embeddings (config.json's tie_word_embeddings, true when absent as
 * in transformers) are one matrix: the embedding is kept, lm_head dropped;
 * naming lm_head of a tied model that does not store it names the
 * embedding. */
#ifndef FIDRUN_LAYOUTS_H
#define FIDRUN_LAYOUTS_H

#include <stddef.h>
#include <stdint.h>

struct layout_tensor {
    const char *name;
    int ndim;
    int64_t shape[2];
    int floating; /* a float dtype (quantized or integer tensors are never targets) */
};

#define LAYOUT_LABEL_MAX 48

struct layout_match {
    size_t tensor;                 /* index into the list given */
    char label[LAYOUT_LABEL_MAX];  /* short name: q_proj, query, c_attn, experts.w1, lm_head */
    int64_t layer;                 /* -1 outside the layers (embeddings, lm_head) */
    int64_t expert;                /* -1 when not an expert's */
    int transposed;                /* stored [in, out]: rows and cols are the tensor's shape swapped */
    int64_t rows, cols;            /* as nn.Linear: out x in */
    int order;                     /* its place in the family's layout (q, k, v, o, ...); the same for others */
};

struct layout_request {
    const char *model_type;        /* config.json's, or NULL without one */
    int tied;                      /* tie_word_embeddings */
    const char *const *entries;    /* targets:, or NULL for the default */
    size_t nentries;
    int64_t max_layers;            /* only layers below this (0: all) */
};

/* Matches, in the order of the tensors given (every tensor once). 0, -1
 * out of memory, or the index + 1 of the first entry that matches nothing,
 * with a sentence naming it and what the layers have (a near name first)
 * in why. */
long layout_match(const struct layout_request *req, const struct layout_tensor *t, size_t n,
                  struct layout_match **out, size_t *nout, char *why, size_t why_size);

/* Whether the family's layout is known ("llama", "bert", "gpt2", ...). */
int layout_known(const char *model_type);

/* "q_proj ×24 (896×896), ..." for the matches: each label once, with its
 * count and shape (the first seen), transposed ones marked. */
void layout_summary(const struct layout_match *m, size_t n, char *buf, size_t size);

#endif
