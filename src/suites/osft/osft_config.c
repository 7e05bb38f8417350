/* The OSFT suite's configuration: schema, defaults, the model or the
 * checkpoint, the header lines. */
#include "suites/osft/osft_impl.h"

#include <stdio.h>
#include <string.h>

#include "config/schema.h"
#include "mpi/dsvd.h"
#include "mpi/factor_bcast.h"

static const struct choice dtype_choices[] = {{"float32", DT_F32}, {"fp32", DT_F32}, {"float64", DT_F64},
                                              {"fp64", DT_F64},    {NULL, 0}};
static const struct choice svd_driver_choices[] = {{"auto", SVD_AUTO},     {"gesdd", SVD_GESDD},
                                                   {"gesvd", SVD_GESVD},   {"gesvdj", SVD_GESVDJ},
                                                   {"gesvdp", SVD_GESVDP}, {NULL, 0}};
static const struct choice broadcast_choices[] = {
    {"auto", BCAST_AUTO}, {"nccl", BCAST_NCCL}, {"mpi", BCAST_MPI}, {"off", BCAST_OFF}, {NULL, 0}};
static const struct choice export_dtype_choices[] = {{"float32", EXPORT_FLOAT32}, {"model", EXPORT_MODEL}, {NULL, 0}};
static const struct choice distributed_svd_choices[] = {
    {"auto", DSVD_AUTO}, {"tsqr", DSVD_TSQR}, {"scalapack", DSVD_SCALAPACK}, {NULL, 0}};
static const struct choice source_choices[] = {
    {"synthetic", SOURCE_SYNTHETIC}, {"checkpoint", SOURCE_CHECKPOINT}, {NULL, 0}};

static int parse_model(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    struct osft_config *cfg = obj;
    const char *ids[32];
    char known[1024], found[300];
    size_t n = model_count() < 32 ? model_count() : 32;
    for (size_t i = 0; i < n; i++)
        ids[i] = model_at(i)->id;
    join_names(ids, n, known, sizeof known);
    if (node->kind != YN_SCALAR || ytree_is_null(node))
        return schema_error(d, &node->loc, path, "expected a model id (one of %s), found %s", known,
                            describe_found(node, found, sizeof found));
    cfg->model = model_find(node->text);
    if (cfg->model)
        return FR_OK;
    return schema_unknown(d, &node->loc, path, "model", node->text, ids, n, "models");
}

#define OSFT_FIELD(k, t, member, lo, hi) \
    {.key = k, .type = t, .offset = offsetof(struct osft_config, member), .min = lo, .max = hi}

static const struct field synthetic_fields[] = {
    OSFT_FIELD("std", FT_REAL, spectrum.std, 1e-12, 1e6),
    OSFT_FIELD("spikes", FT_INT, spectrum.spikes, 0, 4096),
    OSFT_FIELD("strength", FT_REAL, spectrum.strength, 0, 1e6),
    OSFT_FIELD("decay", FT_REAL, spectrum.decay, 1e-6, 1),
    {0},
};

static const struct field osft_fields[] = {
    {.key = "model", .type = FT_CUSTOM, .custom = parse_model},
    {.key = "path", .type = FT_STRING, .offset = offsetof(struct osft_config, path),
     .size = sizeof(((struct osft_config *)0)->path)},
    OSFT_FIELD("layers", FT_INT, layers, 1, 100000),
    {.key = "targets", .type = FT_CUSTOM, .custom = osft_parse_targets},
    {.key = "dtype", .type = FT_ENUM, .offset = offsetof(struct osft_config, dtype), .choices = dtype_choices},
    {.key = "source", .type = FT_ENUM, .offset = offsetof(struct osft_config, source), .choices = source_choices},
    OSFT_FIELD("unfreeze_rank_ratio", FT_REAL, unfreeze_rank_ratio, 0, 1),
    OSFT_FIELD("atol", FT_REAL, atol, 0, 1e30),
    OSFT_FIELD("rtol", FT_REAL, rtol, 0, 1e30),
    OSFT_FIELD("ratio_threshold", FT_REAL, ratio_threshold, 0, 1e30),
    OSFT_FIELD("min_success_rate", FT_REAL, min_success_rate, 0, 100),
    {.key = "synthetic", .type = FT_MAP, .fields = synthetic_fields},
    {.key = "svd_driver", .type = FT_ENUM, .offset = offsetof(struct osft_config, svd_driver),
     .choices = svd_driver_choices},
    OSFT_FIELD("cross_check_every", FT_INT, cross_check_every, 0, 1000000),
    {.key = "broadcast", .type = FT_ENUM, .offset = offsetof(struct osft_config, broadcast),
     .choices = broadcast_choices},
    OSFT_FIELD("broadcast_memory_share", FT_REAL, broadcast_memory_share, 0.01, 0.95),
    OSFT_FIELD("gpu_lanes", FT_INT, gpu_lanes, 1, 8),
    OSFT_FIELD("gpu_overlap_max_elements", FT_INT, gpu_overlap_max_elements, 0, 1e12),
    {.key = "export_factors", .type = FT_STRING, .offset = offsetof(struct osft_config, export_factors),
     .size = sizeof(((struct osft_config *)0)->export_factors), .min = 1},
    {.key = "export_dtype", .type = FT_ENUM, .offset = offsetof(struct osft_config, export_dtype),
     .choices = export_dtype_choices},
    OSFT_FIELD("distribute_above_mib", FT_REAL, distribute_above_mib, 0, 1e12),
    {.key = "distributed_svd", .type = FT_ENUM, .offset = offsetof(struct osft_config, distributed_svd),
     .choices = distributed_svd_choices},
    OSFT_FIELD("distributed_block", FT_INT, distributed_block, 1, 65536),
    {0},
};

void osft_defaults(void *vcfg)
{
    struct osft_config *cfg = vcfg;
    *cfg = (struct osft_config){
        .targets = 0, /* the model's own layout */
        .dtype = DT_F32,
        .source = SOURCE_SYNTHETIC,
        .unfreeze_rank_ratio = 0.5,
        .atol = 1e-5,
        .rtol = 1e-5,
        .ratio_threshold = 35,
        .min_success_rate = 100,
        .spectrum = {.std = 0.02, .spikes = 16, .strength = 4.0, .decay = 0.7},
        .svd_driver = SVD_AUTO,
        .cross_check_every = 16,
        .broadcast = BCAST_AUTO,
        .broadcast_memory_share = 0.5,
        .gpu_lanes = 4,
        .gpu_overlap_max_elements = 4 << 20,
        .distribute_above_mib = 4096,
        .distributed_svd = DSVD_AUTO,
        .distributed_block = 64,
    };
}

int osft_configure(const struct ynode *node, const char *path, void *vcfg, struct diag *d)
{
    struct osft_config *cfg = vcfg;
    if (!node || ytree_is_null(node)) {
        struct yloc loc = node ? node->loc : (struct yloc){"(config)", 0, 0};
        return schema_error(d, &loc, path, "expected a mapping with at least 'model:'");
    }
    if (schema_apply(osft_fields, node, path, cfg, d))
        return d->code;
    if (cfg->source == SOURCE_CHECKPOINT) {
        if (schema_no_effect(node, path, "model", "source: synthetic",
                             "source: checkpoint, whose shapes come from the folder", d) ||
            schema_no_effect(node, path, "synthetic", "source: synthetic", "source: checkpoint", d))
            return d->code;
        return osft_checkpoint_open(cfg, node, path, d);
    }
    if (schema_no_effect(node, path, "path", "source: checkpoint", "source: synthetic", d))
        return d->code;
    if (!cfg->model) {
        char sub[300];
        return schema_error(d, &node->loc, join_path(sub, sizeof sub, path, "model"),
                            "synthetic weights need 'model:' for their shapes (or source: checkpoint with path:)");
    }
    char whose[200];
    snprintf(whose, sizeof whose, "%s (%s)", cfg->model->id, cfg->model->family);
    if (osft_resolve_targets(cfg, model_targets(cfg->model), whose, node, path, d))
        return d->code;
    if (cfg->layers > cfg->model->num_hidden_layers) {
        const struct ynode *l = ytree_get(node, "layers");
        char sub[300];
        return schema_error(d, &l->loc, join_path(sub, sizeof sub, path, "layers"),
                            "expected an integer in [1, %d] (%s has %d layers), found '%lld'",
                            cfg->model->num_hidden_layers, cfg->model->id, cfg->model->num_hidden_layers,
                            (long long)cfg->layers);
    }
    return FR_OK;
}

int64_t osft_layers(const struct osft_config *cfg)
{
    if (cfg->source == SOURCE_CHECKPOINT) {
        int64_t last = -1; /* embeddings and lm_head are in no layer */
        for (size_t i = 0; i < cfg->nmatrices; i++)
            last = cfg->matrices[i].layer > last ? cfg->matrices[i].layer : last;
        return last + 1;
    }
    return cfg->layers > 0 ? cfg->layers : cfg->model->num_hidden_layers;
}

void osft_describe(const void *vcfg, char *buf, size_t size)
{
    const struct osft_config *cfg = vcfg;
    char xc[48] = "no CPU cross-check";
    if (cfg->cross_check_every > 0)
        snprintf(xc, sizeof xc, "CPU cross-check every %lld", (long long)cfg->cross_check_every);
    char what[600];
    if (cfg->source == SOURCE_CHECKPOINT)
        snprintf(what, sizeof what, "checkpoint %s · %zu matri%s of %lld layer%s", cfg->path, cfg->nmatrices,
                 cfg->nmatrices == 1 ? "x" : "ces", (long long)osft_layers(cfg), osft_layers(cfg) == 1 ? "" : "s");
    else
        snprintf(what, sizeof what, "%s · %lld of %d layers", cfg->model->id, (long long)osft_layers(cfg),
                 cfg->model->num_hidden_layers);
    snprintf(buf, size,
             "OSFT fidelity · %s · %s · unfreeze ratio %.2f · atol %.0e rtol %.0e · svd %s · %s · broadcast %s",
             what, dtype_name(cfg->dtype), cfg->unfreeze_rank_ratio, cfg->atol, cfg->rtol,
             svd_driver_name(cfg->svd_driver), xc, bcast_method_name(cfg->broadcast));
}

void osft_inputs(const void *vcfg, long long seed, char *buf, size_t size)
{
    const struct osft_config *cfg = vcfg;
    if (cfg->source == SOURCE_CHECKPOINT)
        snprintf(buf, size, "checkpoint %s%s", cfg->path,
                 cfg->checkpoint_has_config ? ""
                                            : " (no config.json: the layout is read from the tensor names, their "
                                              "shapes are not checked against one)");
    else
        snprintf(buf, size, "synthetic weights (seed %lld)", seed);
}
