/* OSFT on a real model: the 2-D attention and MLP weights of a HuggingFace
 * folder (single file or sharded), as the OSFT tooling targets them: the
 * split projections of the qwen/llama/mistral/gemma/granite layouts, phi3's
 * fused qkv_proj and gate_up_proj. With a config.json beside the weights,
 * its model_type picks the targets and every weight must have the shape
 * the config gives it. Every rank opens the folder (headers only) and lists
 * the same matrices, so the plan needs no messages; a rank reads a matrix's
 * bytes only when it processes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/hf_config.h"
#include "config/schema.h"
#include "io/st_model.h"
#include "suites/osft/osft_impl.h"

static int by_layer_then_target(const void *pa, const void *pb)
{
    const struct osft_checkpoint_matrix *a = pa, *b = pb;
    if (a->layer != b->layer)
        return a->layer < b->layer ? -1 : 1;
    return a->target - b->target;
}

/* "model.layers.12.self_attn.q_proj.weight" -> layer 12, target T_Q. */
static int parse_name(const char *name, int64_t *layer, int *target)
{
    long long l;
    int used = 0;
    if (sscanf(name, "model.layers.%lld.%n", &l, &used) != 1 || used == 0 || l < 0)
        return 0;
    for (int t = 0; t < T_COUNT; t++) {
        char want[96];
        snprintf(want, sizeof want, "%s.weight", target_module((enum target)t));
        if (strcmp(name + used, want) == 0) {
            *layer = l;
            *target = t;
            return 1;
        }
    }
    return 0;
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
    char origin[sizeof cfg->path + 16], has[128];
    struct hf_config hc;
    int have_config;
    if (st_model_config(cfg->path, origin, sizeof origin, &hc, &have_config, &inner))
        return schema_error(d, &p->loc, join_path(sub, sizeof sub, path, "path"), "%s", inner.msg);
    cfg->checkpoint_has_config = have_config;
    unsigned own = have_config ? model_targets(&hc.shape) : TARGETS_SPLIT | TARGETS_FUSED;
    char whose[sizeof origin + 64];
    if (have_config)
        snprintf(whose, sizeof whose, "%s (model_type '%s')", origin, hc.model_type);
    else
        snprintf(whose, sizeof whose, "%s", cfg->path);
    if (osft_resolve_targets(cfg, own, whose, node, path, d))
        return d->code;
    unsigned want = cfg->targets;
    size_t cap = 0;
    for (size_t s = 0; s < m->nshards; s++)
        cap += m->shards[s].n;
    cfg->matrices = calloc(cap ? cap : 1, sizeof *cfg->matrices);
    if (!cfg->matrices)
        return diag_fail(d, FR_RUNTIME, "out of memory");
    for (size_t s = 0; s < m->nshards; s++)
        for (size_t i = 0; i < m->shards[s].n; i++) {
            const struct st_tensor *t = &m->shards[s].tensors[i];
            int64_t layer;
            int target;
            if (t->ndim != 2 || !parse_name(t->name, &layer, &target) || !(want & TARGET_BIT(target)) ||
                (cfg->layers > 0 && layer >= cfg->layers))
                continue;
            struct linear_shape expect = have_config ? model_linear_shape(&hc.shape, (enum target)target)
                                                     : (struct linear_shape){(int)t->shape[0], (int)t->shape[1]};
            if (t->shape[0] != expect.out || t->shape[1] != expect.in)
                return diag_fail(d, FR_USAGE, "%s: tensor '%s' is %lld x %lld, but %s (model_type '%s', "
                                              "hidden_size %d, intermediate_size %d, %d heads, %d key-value "
                                              "heads of %d) makes it %d x %d",
                                 m->shards[s].path, t->name, (long long)t->shape[0], (long long)t->shape[1], origin,
                                 hc.model_type, hc.shape.hidden_size, hc.shape.intermediate_size,
                                 hc.shape.num_attention_heads, hc.shape.num_key_value_heads, hc.shape.head_dim,
                                 expect.out, expect.in);
            if (!st_dtype_floating(t->dtype))
                return diag_fail(d, FR_USAGE, "%s: tensor '%s' is %s; OSFT needs floating-point weights "
                                              "(a quantized checkpoint?)", m->shards[s].path, t->name,
                                 st_dtype_name(t->dtype));
            struct osft_checkpoint_matrix *x = &cfg->matrices[cfg->nmatrices++];
            snprintf(x->name, sizeof x->name, "%s", t->name);
            x->rows = t->shape[0];
            x->cols = t->shape[1];
            x->layer = layer;
            x->target = target;
        }
    if (!cfg->nmatrices)
        return schema_error(d, &p->loc, join_path(sub, sizeof sub, path, "path"),
                            "%s has no 2-D weights named model.layers.N.{self_attn,mlp}.*_proj.weight for the "
                            "targets (%s)%s", cfg->path, targets_text(want, has, sizeof has),
                            cfg->layers > 0 ? " in the layers asked for" : "");
    qsort(cfg->matrices, cfg->nmatrices, sizeof *cfg->matrices, by_layer_then_target);
    return FR_OK;
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
