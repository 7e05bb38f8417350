/* Hardware profiles and workload scaling. A profile describes a machine
 * (configs/profiles/NAME.yaml: gpu_memory_gib, gpus, cpu_cores, tier, and
 * any keys of the user's own); scaling it for a model gives the test
 * workload that fits: layers tested, calibration samples, the batch sizes
 * of the kernel sweep, the ranks and the tokens per rank of the balance
 * studies. Pure: trees in, a new tree out, no I/O.
 *
 * The size-config table has a row per model tier (model_size.h: small
 * <= 10 B, medium <= 20 B, large <= 50 B, xlarge). Along the tiers the
 * work per matrix grows, so fewer layers are tested, with fewer
 * calibration samples and smaller kernel batches, over more ranks:
 *
 *   tier    batch x  ranks  layers  samples  tokens/rank  batch cap
 *   small     3        8      40      128      16384        -
 *   medium    2       16      24      128       8192        -
 *   large     1       64      12       64       4096        8
 *   xlarge    0.5    256       4       32       2048        8
 *
 * A machine whose own tier is below the model's (a workstation for a 70 B
 * model) takes the row of the model's tier and halves its layers and
 * samples (at least 4 and 8) and tokens per rank for each tier of
 * difference. Tokens per rank also follow GPU memory, against 80 GiB
 * (between a quarter and twice the row's, in multiples of 256). */
#ifndef FIDRUN_PROFILE_H
#define FIDRUN_PROFILE_H

#include "config/model_size.h"
#include "util/diag.h"
#include "util/yaml_tree.h"

struct size_config {
    double batch_multiplier;  /* the kernel sweep's batches (after batch 1) times this, in [0, 3] */
    int ranks;                /* a multiple of 4 in [8, 256] */
    int layers;               /* in [4, 40] */
    int calibration_samples;
    int tokens_per_rank;
    int batch_cap;            /* 0: none */
};

/* The row for a tier; NULL for TIER_UNKNOWN. */
const struct size_config *size_config_for(enum size_tier t);

/* The tier named (small, medium, large, xlarge), or TIER_UNKNOWN. */
enum size_tier size_tier_parse(const char *name);

/* The scaled workload, as the keys profile_scale writes under `scaled:`. */
struct scaled_workload {
    enum size_tier model_tier, machine_tier;
    int layers, calibration_samples, tokens_per_rank, ranks;
    int kernel_batches[2];
};

/* A new tree: a copy of profile (a mapping; unknown keys kept as they
 * are), its missing machine keys filled with defaults (gpus 1,
 * gpu_memory_gib 80, cpu_cores 16, tier small), and a `scaled:` mapping
 * for model (a name detect-size reads). profile is not changed. Every
 * node added is located at `source`. Errors (FR_USAGE) name the profile's
 * location: not a mapping, an unknown tier (naming it and the known
 * ones), a machine key that is not a positive number, a model whose size
 * the name does not tell. *out is NULL on error. */
int profile_scale(const struct ynode *profile, const char *model, const char *source, struct ynode **out,
                  struct scaled_workload *w, struct diag *d);

#endif
