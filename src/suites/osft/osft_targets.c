/* targets: the names and patterns a config lists, and their resolution
 * against a model's own layout (synthetic presets and checkpoints alike). */
#include "suites/osft/osft_impl.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "config/schema.h"

static const struct choice target_choices[] = {
    {"q_proj", T_Q},   {"k_proj", T_K},       {"v_proj", T_V},   {"o_proj", T_O}, {"gate_proj", T_GATE},
    {"up_proj", T_UP}, {"down_proj", T_DOWN}, {"q", T_Q},        {"k", T_K},      {"v", T_V},
    {"o", T_O},        {"gate", T_GATE},      {"up", T_UP},      {"down", T_DOWN}, {"qkv_proj", T_QKV},
    {"gate_up_proj", T_GATE_UP}, {"qkv", T_QKV}, {"gate_up", T_GATE_UP}, {NULL, 0}};

/* One entry of targets: a name from target_choices, or a glob (with * ? [)
 * matched against the names (q_proj) and the module paths (self_attn.q_proj). */
static int target_entry(const struct ynode *n, const char *path, unsigned *mask, unsigned *patterns,
                        struct diag *d)
{
    char known[400];
    if (n->kind != YN_SCALAR)
        return schema_error(d, &n->loc, path, "expected a target name or pattern, found %s", ynode_kind_name(n));
    if (strpbrk(n->text, "*?[")) {
        unsigned m = 0;
        for (int t = 0; t < T_COUNT; t++)
            if (fnmatch(n->text, target_name((enum target)t), 0) == 0 ||
                fnmatch(n->text, target_module((enum target)t), 0) == 0)
                m |= TARGET_BIT(t);
        if (!m)
            return schema_error(d, &n->loc, path, "pattern '%s' matches no target (targets: %s)", n->text,
                                targets_text(TARGETS_SPLIT | TARGETS_FUSED, known, sizeof known));
        *patterns |= m;
        return FR_OK;
    }
    for (const struct choice *c = target_choices; c->name; c++)
        if (strcmp(c->name, n->text) == 0) {
            if (*mask & TARGET_BIT(c->value))
                return schema_error(d, &n->loc, path, "'%s' is listed twice", n->text);
            *mask |= TARGET_BIT(c->value);
            return FR_OK;
        }
    return schema_error(d, &n->loc, path, "unknown target '%s' (targets: %s, their short names q, k, ..., or a "
                                          "pattern such as 'mlp.*')",
                        n->text, targets_text(TARGETS_SPLIT | TARGETS_FUSED, known, sizeof known));
}

/* targets: as written (checked against a layout once the source is known:
 * a preset's in osft_resolve_targets, a checkpoint's own tensor names in
 * osft_checkpoint_open). */
int osft_parse_targets(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    struct osft_config *cfg = obj;
    cfg->ntarget_entries = 0;
    if (ytree_is_null(node)) /* targets: ~ is the model's own layout */
        return FR_OK;
    if (node->kind == YN_SEQ && node->n == 0)
        return schema_error(d, &node->loc, path, "expected at least one target, found an empty list");
    size_t n = node->kind == YN_SEQ ? node->n : 1;
    if (n > OSFT_MAX_TARGET_ENTRIES)
        return schema_error(d, &node->loc, path, "at most %d targets (use patterns such as 'mlp.*')",
                            OSFT_MAX_TARGET_ENTRIES);
    for (size_t i = 0; i < n; i++) {
        const struct ynode *e = node->kind == YN_SEQ ? node->items[i] : node;
        char item[340];
        snprintf(item, sizeof item, "%.300s[%zu]", path, i);
        if (e->kind != YN_SCALAR || !e->text[0])
            return schema_error(d, &e->loc, node->kind == YN_SEQ ? item : path,
                                "expected a target name or pattern, found %s", ynode_kind_name(e));
        if (strlen(e->text) >= sizeof cfg->target_entries[0])
            return schema_error(d, &e->loc, node->kind == YN_SEQ ? item : path, "a target of over %zu characters",
                                sizeof cfg->target_entries[0] - 1);
        for (size_t j = 0; j < cfg->ntarget_entries; j++)
            if (!strcmp(cfg->target_entries[j], e->text))
                return schema_error(d, &e->loc, node->kind == YN_SEQ ? item : path, "'%s' is listed twice", e->text);
        snprintf(cfg->target_entries[cfg->ntarget_entries++], sizeof cfg->target_entries[0], "%s", e->text);
    }
    return FR_OK;
}

/* The entries against the Llama-family names of the synthetic presets. */
static int preset_targets(const struct ynode *node, const char *path, unsigned *mask, unsigned *patterns,
                          struct diag *d)
{
    *mask = *patterns = 0;
    if (!node || ytree_is_null(node))
        return FR_OK;
    size_t n = node->kind == YN_SEQ ? node->n : 1;
    for (size_t i = 0; i < n; i++) {
        char item[340];
        snprintf(item, sizeof item, "%.300s[%zu]", path, i);
        if (target_entry(node->kind == YN_SEQ ? node->items[i] : node, node->kind == YN_SEQ ? item : path, mask,
                         patterns, d))
            return FR_USAGE;
    }
    return FR_OK;
}

int osft_resolve_targets(struct osft_config *cfg, unsigned own, const char *whose, const struct ynode *node,
                         const char *path, struct diag *d)
{
    const struct ynode *t = ytree_get(node, "targets");
    if (t && ytree_is_null(t))
        t = NULL;
    char sub[300], missing[128], has[128];
    if (preset_targets(t, join_path(sub, sizeof sub, path, "targets"), &cfg->targets, &cfg->target_patterns, d))
        return FR_USAGE;
    if (cfg->targets & ~own)
        return schema_error(d, &t->loc, join_path(sub, sizeof sub, path, "targets"), "%s has no %s; its layers are %s",
                            whose, targets_text(cfg->targets & ~own, missing, sizeof missing),
                            targets_text(own, has, sizeof has));
    if (t && !cfg->targets && !(cfg->target_patterns & own))
        return schema_error(d, &t->loc, join_path(sub, sizeof sub, path, "targets"),
                            "the patterns match none of the layers of %s (%s)", whose,
                            targets_text(own, has, sizeof has));
    cfg->targets = t ? cfg->targets | (cfg->target_patterns & own) : own;
    return FR_OK;
}
