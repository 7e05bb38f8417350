/* OSFT on a real model: the linears of a HuggingFace folder (single file or
 * sharded) matched by their own names (config/layouts.h): the families'
 * layouts by config.json's model_type (llama, qwen2, mistral, gemma, phi3
 * fused, mixtral and qwen2_moe experts, gpt2's transposed Conv1D,
 * bert/roberta), globs over the file's tensors, embeddings and lm_head by
 * name (tied ones once). The Llama-family projections must have the shape
 * config.json gives them. Every rank opens the folder (headers only) and
 * lists the same matrices, so the plan needs no messages; a rank reads a
 * matrix's bytes only when it processes it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/hf_config.h"
#include "config/layouts.h"
#include "config/schema.h"
#include "io/st_model.h"
#include "suites/osft/osft_impl.h"

static int by_layer_then_order(const void *pa, const void *pb)
{
    const struct osft_checkpoint_matrix *a = pa, *b = pb;
    /* embeddings and lm_head (layer -1) after the layers */
    int64_t la = a->layer < 0 ? INT64_MAX : a->layer, lb = b->layer < 0 ? INT64_MAX : b->layer;
    if (la != lb)
        return la < lb ? -1 : 1;
    if (a->order != b->order)
        return a->order - b->order;
    if (a->expert != b->expert)
        return a->expert < b->expert ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

/* The Llama-family target a label names (T_COUNT for others), whose shape
 * config.json fixes. */
static int preset_target(const char *label)
{
    for (int t = 0; t < T_COUNT; t++)
        if (!strcmp(label, target_name((enum target)t)))
            return t;
    return T_COUNT;
}

static int check_shape(const struct osft_checkpoint_matrix *x, const struct hf_config *hc, const char *origin,
                       const char *shard, struct diag *d)
{
    int t = preset_target(x->label);
    if (t == T_COUNT || x->layer < 0 || x->expert >= 0 || !layout_known(hc->model_type))
        return FR_OK;
    struct linear_shape want = model_linear_shape(&hc->shape, (enum target)t);
    if (x->rows == want.out && x->cols == want.in)
        return FR_OK;
    return diag_fail(d, FR_USAGE, "%s: tensor '%s' is %lld x %lld, but %s (model_type '%s', hidden_size %d, "
                                  "intermediate_size %d, %d heads, %d key-value heads of %d) makes it %d x %d",
                     shard, x->name, (long long)x->rows, (long long)x->cols, origin, hc->model_type,
                     hc->shape.hidden_size, hc->shape.intermediate_size, hc->shape.num_attention_heads,
                     hc->shape.num_key_value_heads, hc->shape.head_dim, want.out, want.in);
}

int osft_checkpoint_open(struct osft_config *cfg, const struct ynode *node, const char *path, struct diag *d)
{
    char sub[300];
    const struct ynode *p = ytree_get(node, "path");
    if (!cfg->path[0])
        return schema_error(d, &node->loc, join_path(sub, sizeof sub, path, "path"),
                            "source: checkpoint needs 'path:', a HuggingFace model folder");
    if (!(cfg->checkpoint = calloc(1, sizeof *cfg->checkpoint)))
        return diag_fail(d, FR_RUNTIME, "out of memory");
    struct diag inner = {0};
    if (st_model_open(cfg->path, cfg->checkpoint, &inner)) {
        free(cfg->checkpoint);
        cfg->checkpoint = NULL;
        return schema_error(d, &p->loc, join_path(sub, sizeof sub, path, "path"), "%s", inner.msg);
    }
    const struct st_model *m = cfg->checkpoint;
    char origin[sizeof cfg->path + 16];
    struct hf_config hc;
    int have_config;
    if (st_model_config(cfg->path, origin, sizeof origin, &hc, &have_config, &inner))
        return schema_error(d, &p->loc, join_path(sub, sizeof sub, path, "path"), "%s", inner.msg);
    cfg->checkpoint_has_config = have_config;
    snprintf(cfg->model_type, sizeof cfg->model_type, "%s", have_config ? hc.model_type : "");
    const struct st_tensor **where;
    size_t nt;
    struct layout_tensor *t = st_model_layout_tensors(m, &where, &nt);
    if (!t)
        return diag_fail(d, FR_RUNTIME, "out of memory");
    const char *entries[OSFT_MAX_TARGET_ENTRIES];
    for (size_t i = 0; i < cfg->ntarget_entries; i++)
        entries[i] = cfg->target_entries[i];
    struct layout_request req = {have_config ? hc.model_type : NULL, have_config && hc.tie_word_embeddings, entries,
                                 cfg->ntarget_entries, cfg->layers};
    struct layout_match *lm;
    size_t nm;
    char why[1500];
    long bad = layout_match(&req, t, nt, &lm, &nm, why, sizeof why);
    int rc = FR_OK;
    if (bad < 0)
        rc = diag_fail(d, FR_RUNTIME, "out of memory");
    else if (bad > 0) {
        const struct ynode *tn = ytree_get(node, "targets");
        const struct ynode *e = tn && tn->kind == YN_SEQ ? tn->items[bad - 1] : tn;
        char item[340];
        snprintf(item, sizeof item, "%s[%ld]", join_path(sub, sizeof sub, path, "targets"), bad - 1);
        rc = schema_error(d, &e->loc, tn && tn->kind == YN_SEQ ? item : sub, "%s: %s", cfg->path, why);
    } else if (!nm) {
        rc = schema_error(d, &p->loc, join_path(sub, sizeof sub, path, "path"),
                          "%s has no 2-D floating-point weights in its layers%s%s%s", cfg->path,
                          have_config ? " for model_type " : "", have_config ? hc.model_type : "",
                          cfg->layers > 0 ? " in the layers asked for" : " (a quantized checkpoint?)");
    }
    if (!rc && !(cfg->matrices = calloc(nm, sizeof *cfg->matrices)))
        rc = diag_fail(d, FR_RUNTIME, "out of memory");
    for (size_t i = 0; !rc && i < nm; i++) {
        struct osft_checkpoint_matrix *x = &cfg->matrices[cfg->nmatrices++];
        snprintf(x->name, sizeof x->name, "%s", t[lm[i].tensor].name);
        snprintf(x->label, sizeof x->label, "%s", lm[i].label);
        x->rows = lm[i].rows;
        x->cols = lm[i].cols;
        x->layer = lm[i].layer;
        x->expert = lm[i].expert;
        x->transposed = lm[i].transposed;
        x->order = lm[i].order;
        x->index = i;
        const struct st_file *shard = NULL;
        st_model_find(m, x->name, &shard);
        if (have_config)
            rc = check_shape(x, &hc, origin, shard ? shard->path : cfg->path, d);
    }
    if (!rc) {
        qsort(cfg->matrices, cfg->nmatrices, sizeof *cfg->matrices, by_layer_then_order);
        for (size_t i = 0; i < nm; i++) /* the summary in the plan's order */
            lm[i] = (struct layout_match){.rows = cfg->matrices[i].rows, .cols = cfg->matrices[i].cols,
                                          .transposed = cfg->matrices[i].transposed};
        for (size_t i = 0; i < nm; i++)
            snprintf(lm[i].label, sizeof lm[i].label, "%s", cfg->matrices[i].label);
        layout_summary(lm, nm, cfg->matched, sizeof cfg->matched);
    }
    free(lm);
    free(t);
    free(where);
    return rc;
}

void osft_explain(const void *vcfg, FILE *out, int verbose)
{
    const struct osft_config *cfg = vcfg;
    if (cfg->source != SOURCE_CHECKPOINT)
        return;
    fprintf(out, "  targets matched in %s (%s): %s\n", cfg->path,
            cfg->model_type[0] ? cfg->model_type : "no config.json: every 2-D weight of its layers", cfg->matched);
    for (size_t i = 0; verbose && i < cfg->nmatrices; i++) {
        const struct osft_checkpoint_matrix *x = &cfg->matrices[i];
        fprintf(out, "    %-60s %6lld×%-6lld %s%s\n", x->name, (long long)x->rows, (long long)x->cols, x->label,
                x->transposed ? " (stored transposed, read as out×in)" : "");
    }
}

void osft_checkpoint_close(void *vcfg)
{
    struct osft_config *cfg = vcfg;
    if (cfg->checkpoint)
        st_model_close(cfg->checkpoint);
    free(cfg->checkpoint);
    free(cfg->matrices);
    cfg->checkpoint = NULL;
    cfg->matrices = NULL;
    cfg->nmatrices = 0;
}

double osft_checkpoint_bytes(const struct osft_config *cfg, const char *name)
{
    if (!cfg->checkpoint)
        return 0;
    const struct st_tensor *t = st_model_find(cfg->checkpoint, name, NULL);
    return t ? (double)t->bytes : 0;
}
