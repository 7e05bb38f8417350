#include "config/profile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct size_config table[] = {
    [TIER_SMALL] = {3.0, 8, 40, 128, 16384, 0},
    [TIER_MEDIUM] = {2.0, 16, 24, 128, 8192, 0},
    [TIER_LARGE] = {1.0, 64, 12, 64, 4096, 8},
    [TIER_XLARGE] = {0.5, 256, 4, 32, 2048, 8},
};

#define BASE_KERNEL_BATCH 16 /* the kernel sweep's GEMM batch before scaling */
#define REFERENCE_GPU_GIB 80.0

const struct size_config *size_config_for(enum size_tier t)
{
    return t >= TIER_SMALL && t <= TIER_XLARGE ? &table[t] : NULL;
}

enum size_tier size_tier_parse(const char *name)
{
    for (int t = TIER_SMALL; t <= TIER_XLARGE; t++)
        if (name && strcmp(name, size_tier_name((enum size_tier)t)) == 0)
            return (enum size_tier)t;
    return TIER_UNKNOWN;
}

/* A positive number under key, or def when absent. */
static int machine_number(const struct ynode *p, const char *key, double def, double *out, struct diag *d)
{
    const struct ynode *v = ytree_get(p, key);
    if (!v) {
        *out = def;
        return FR_OK;
    }
    char *end = NULL, where[600];
    double x = v->kind == YN_SCALAR && !v->quoted ? strtod(v->text, &end) : NAN;
    if (!end || *end || !(x > 0) || !isfinite(x))
        return diag_fail(d, FR_USAGE, "%s: profile key '%s' must be a positive number", yloc_format(&v->loc, where,
                                                                                                    sizeof where),
                         key);
    *out = x;
    return FR_OK;
}

static int put(struct ynode **root, const char *path, const char *fmt, double x, const char *source, struct diag *d)
{
    char text[64];
    snprintf(text, sizeof text, fmt, x);
    return ytree_set_text(root, path, text, source, d);
}

static int at_least(int x, int lo) { return x < lo ? lo : x; }

static void scale(const struct size_config *row, enum size_tier model_tier, enum size_tier machine_tier,
                  double gpu_gib, struct scaled_workload *w)
{
    int gap = model_tier > machine_tier ? (int)model_tier - (int)machine_tier : 0;
    w->model_tier = model_tier;
    w->machine_tier = machine_tier;
    w->layers = at_least(row->layers >> gap, 4);
    w->calibration_samples = at_least(row->calibration_samples >> gap, 8);
    double memory = fmin(fmax(gpu_gib / REFERENCE_GPU_GIB, 0.25), 2.0);
    int tokens = (int)((row->tokens_per_rank >> gap) * memory) / 256 * 256;
    w->tokens_per_rank = at_least(tokens, 256);
    w->ranks = row->ranks;
    int batch = (int)lround(BASE_KERNEL_BATCH * row->batch_multiplier);
    if (row->batch_cap && batch > row->batch_cap)
        batch = row->batch_cap;
    w->kernel_batches[0] = 1;
    w->kernel_batches[1] = at_least(batch, 2);
}

int profile_scale(const struct ynode *profile, const char *model, const char *source, struct ynode **out,
                  struct scaled_workload *w, struct diag *d)
{
    *out = NULL;
    char where[600];
    if (!profile || profile->kind != YN_MAP)
        return diag_fail(d, FR_USAGE, "%s: a profile is a mapping (gpu_memory_gib, gpus, cpu_cores, tier)",
                         profile ? yloc_format(&profile->loc, where, sizeof where) : source);
    const struct ynode *tier_node = ytree_get(profile, "tier");
    enum size_tier machine_tier = TIER_SMALL;
    if (tier_node && (tier_node->kind != YN_SCALAR || (machine_tier = size_tier_parse(tier_node->text)) == TIER_UNKNOWN))
        return diag_fail(d, FR_USAGE, "%s: profile tier '%s' is not one of small, medium, large, xlarge",
                         yloc_format(&tier_node->loc, where, sizeof where),
                         tier_node->kind == YN_SCALAR ? tier_node->text : ynode_kind_name(tier_node));
    double gpus, gib, cores;
    int rc;
    if ((rc = machine_number(profile, "gpus", 1, &gpus, d)) ||
        (rc = machine_number(profile, "gpu_memory_gib", REFERENCE_GPU_GIB, &gib, d)) ||
        (rc = machine_number(profile, "cpu_cores", 16, &cores, d)))
        return rc;
    struct model_size ms = model_size_from_name(model);
    enum size_tier model_tier = size_tier_of(ms.billions);
    if (model_tier == TIER_UNKNOWN)
        return diag_fail(d, FR_USAGE, "%s: the size of model '%s' is not in its name, so the workload cannot be "
                                      "scaled (name a model such as Qwen/Qwen2.5-7B)",
                         source, model ? model : "");
    scale(size_config_for(model_tier), model_tier, machine_tier, gib, w);

    struct ynode *t = ytree_clone(profile);
    if (!t)
        return diag_fail(d, FR_RUNTIME, "out of memory");
    static const char *const machine_keys[] = {"gpus", "gpu_memory_gib", "cpu_cores", "tier"};
    const double machine_values[] = {gpus, gib, cores};
    for (int i = 0; !rc && i < 4; i++)
        if (!ytree_get(t, machine_keys[i]))
            rc = i < 3 ? put(&t, machine_keys[i], "%g", machine_values[i], source, d)
                       : ytree_set_text(&t, "tier", size_tier_name(machine_tier), source, d);
    char billions[32];
    snprintf(billions, sizeof billions, "%g", ms.billions);
    if (!rc && !(rc = ytree_set_text(&t, "scaled.model", model, source, d)) &&
        !(rc = ytree_set_text(&t, "scaled.model_billions", billions, source, d)) &&
        !(rc = ytree_set_text(&t, "scaled.model_tier", size_tier_name(model_tier), source, d)) &&
        !(rc = put(&t, "scaled.layers", "%.0f", w->layers, source, d)) &&
        !(rc = put(&t, "scaled.calibration_samples", "%.0f", w->calibration_samples, source, d)) &&
        !(rc = put(&t, "scaled.tokens_per_rank", "%.0f", w->tokens_per_rank, source, d)) &&
        !(rc = put(&t, "scaled.ranks", "%.0f", w->ranks, source, d)))
        rc = ytree_set_ints(&t, "scaled.kernel_batches", w->kernel_batches, 2, source, d);
    if (rc) {
        ytree_free(t);
        return rc;
    }
    *out = t;
    return FR_OK;
}
