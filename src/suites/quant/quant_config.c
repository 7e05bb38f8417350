/* The quant suite's configuration: schema, defaults, checks across keys. */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"
#include "core/quant/gptq.h"
#include "core/quant/gptq_pack.h"
#include "core/quant/qmatmul.h"
#include "core/quant/quantizer.h"
#include "io/safetensors.h"
#include "io/st_model.h"
#include "suites/quant/quant_impl.h"

static const struct choice method_choices[] = {{"rtn", QM_RTN}, {"gptq", QM_GPTQ}, {NULL, 0}};
static const struct choice bool_choices[] = {{"false", 0}, {"true", 1}, {"off", 0}, {"on", 1},
                                             {"no", 0},    {"yes", 1},  {NULL, 0}};
static const struct choice zeros_choices[] = {{"gptq_v2", ZEROS_V2}, {"v2", ZEROS_V2}, {"gptq", ZEROS_V1},
                                              {"v1", ZEROS_V1},      {NULL, 0}};
static const struct choice mode_choices[] = {{"fp32", ACCUM_FP32}, {"fp16", ACCUM_FP16}, {NULL, 0}};
static const struct choice calib_choices[] = {{"synthetic", CALIB_SYNTHETIC}, {"file", CALIB_FILE}, {NULL, 0}};
static const struct choice target_choices[] = {
    {"q_proj", T_Q},   {"k_proj", T_K},       {"v_proj", T_V}, {"o_proj", T_O}, {"gate_proj", T_GATE},
    {"up_proj", T_UP}, {"down_proj", T_DOWN}, {"qkv_proj", T_QKV}, {"gate_up_proj", T_GATE_UP}, {NULL, 0}};

static int parse_models(const struct ynode *node, const char *path, struct quant_shapes *s, struct diag *d)
{
    const char *ids[32];
    size_t n = model_count() < 32 ? model_count() : 32;
    for (size_t i = 0; i < n; i++)
        ids[i] = model_at(i)->id;
    const struct ynode *const *items = &node;
    size_t count = 1;
    if (node->kind == YN_SEQ) {
        items = (const struct ynode *const *)node->items;
        count = node->n;
    }
    if (count > QUANT_MAX_MODELS)
        return schema_error(d, &node->loc, path, "expected at most %d models, found %zu", QUANT_MAX_MODELS, count);
    for (size_t i = 0; i < count; i++) {
        char found[300], item[340];
        snprintf(item, sizeof item, "%.300s[%zu]", path, i);
        if (items[i]->kind != YN_SCALAR || ytree_is_null(items[i]))
            return schema_error(d, &items[i]->loc, item, "expected a model id, found %s",
                                describe_found(items[i], found, sizeof found));
        if (!(s->models[i] = model_find(items[i]->text)))
            return schema_unknown(d, &items[i]->loc, item, "model", items[i]->text, ids, n, "models");
    }
    s->nmodels = count;
    return FR_OK;
}

static int parse_layer_models(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    return parse_models(node, path, &((struct quant_config *)obj)->layers.shapes, d);
}

static int parse_study_models(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    return parse_models(node, path, &((struct kernel_study *)obj)->shapes, d);
}

#define SHAPE_FIELDS(T, prefix, models_parser)                                                               \
    {.key = "models", .type = FT_CUSTOM, .custom = models_parser},                                             \
    {.key = "targets", .type = FT_ENUM_SET, .offset = offsetof(T, prefix targets), .choices = target_choices}, \
    {.key = "sizes", .type = FT_INT_LIST, .offset = offsetof(T, prefix sizes), .size = QUANT_MAX_LIST,       \
     .count_offset = offsetof(T, prefix nsizes), .min = 32, .max = 65536}

#define BITS_FIELD(T, prefix)                                                                                \
    {.key = "bits", .type = FT_INT_LIST, .offset = offsetof(T, prefix bits), .size = 4,                     \
     .count_offset = offsetof(T, prefix nbits), .min = 2, .max = 8}

/* layers.tensors: one glob or a list of them, over a checkpoint's tensor names. */
static int parse_tensor_patterns(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    struct quant_layers *L = &((struct quant_config *)obj)->layers;
    size_t n = node->kind == YN_SEQ ? node->n : 1;
    if (node->kind == YN_MAP || n == 0 || n > QUANT_MAX_LIST)
        return schema_error(d, &node->loc, path, "expected 1 to %d tensor names or patterns", QUANT_MAX_LIST);
    for (size_t i = 0; i < n; i++) {
        const struct ynode *item = node->kind == YN_SEQ ? node->items[i] : node;
        if (item->kind != YN_SCALAR || !item->text[0] || strlen(item->text) >= sizeof L->tensors[0])
            return schema_error(d, &item->loc, path, "expected a tensor name or pattern of 1 to %zu characters",
                                sizeof L->tensors[0] - 1);
        snprintf(L->tensors[i], sizeof L->tensors[i], "%s", item->text);
    }
    L->ntensors = n;
    return FR_OK;
}

#define L(member) offsetof(struct quant_config, layers.member)
static const struct field layer_fields[] = {
    SHAPE_FIELDS(struct quant_config, layers.shapes., parse_layer_models),
    {.key = "methods", .type = FT_ENUM_SET, .offset = L(methods), .choices = method_choices},
    BITS_FIELD(struct quant_config, layers.),
    {.key = "group_sizes", .type = FT_INT_LIST, .offset = L(group_sizes), .size = QUANT_MAX_LIST,
     .count_offset = L(ngroups), .min = -1, .max = 65536},
    {.key = "act_order", .type = FT_ENUM_SET, .offset = L(act_order), .choices = bool_choices},
    {.key = "sym", .type = FT_BOOL, .offset = L(sym)},
    {.key = "static_groups", .type = FT_BOOL, .offset = L(static_groups)},
    {.key = "zeros", .type = FT_ENUM, .offset = L(zeros), .choices = zeros_choices},
    {.key = "percdamp", .type = FT_REAL, .offset = L(percdamp), .min = 1e-9, .max = 10},
    {.key = "block_size", .type = FT_INT, .offset = L(block_size), .min = 1, .max = 65536},
    {.key = "cross_check_every", .type = FT_INT, .offset = L(cross_check_every), .min = 0, .max = 1000000},
    {.key = "checkpoint", .type = FT_STRING, .offset = L(checkpoint), .size = 512, .min = 1},
    {.key = "tensors", .type = FT_CUSTOM, .custom = parse_tensor_patterns},
    {0},
};

#define C(member) offsetof(struct quant_config, calib.member)
static const struct field calib_fields[] = {
    {.key = "source", .type = FT_ENUM, .offset = C(source), .choices = calib_choices},
    {.key = "path", .type = FT_STRING, .offset = C(path), .size = sizeof(((struct quant_calibration *)0)->path)},
    {.key = "tensor", .type = FT_STRING, .offset = C(tensor),
     .size = sizeof(((struct quant_calibration *)0)->tensor)},
    {.key = "tokens", .type = FT_INT, .offset = C(tokens), .min = 1, .max = 1e7},
    {.key = "samples", .type = FT_INT, .offset = C(samples), .min = 1, .max = 1e6},
    {.key = "held_out", .type = FT_INT, .offset = C(held_out), .min = 1, .max = 1e6},
    {.key = "factors", .type = FT_INT, .offset = C(synthetic.factors), .min = 1, .max = 4096},
    {.key = "correlation", .type = FT_REAL, .offset = C(synthetic.correlation), .min = 0, .max = 0.999},
    {.key = "outliers", .type = FT_INT, .offset = C(synthetic.outliers), .min = 0, .max = 65536},
    {.key = "outlier_scale_min", .type = FT_REAL, .offset = C(synthetic.outlier_min), .min = 1, .max = 1e4},
    {.key = "outlier_scale_max", .type = FT_REAL, .offset = C(synthetic.outlier_max), .min = 1, .max = 1e4},
    {0},
};

#define S(member) offsetof(struct kernel_study, member)
static const struct field study_fields[] = {
    {.key = "name", .type = FT_STRING, .offset = S(name), .size = sizeof(((struct kernel_study *)0)->name),
     .min = 1, .required = 1},
    SHAPE_FIELDS(struct kernel_study, shapes., parse_study_models),
    BITS_FIELD(struct kernel_study, ),
    {.key = "group_size", .type = FT_INT, .offset = S(group_size), .min = -1, .max = 65536},
    {.key = "batches", .type = FT_INT_LIST, .offset = S(batches), .size = QUANT_MAX_LIST,
     .count_offset = S(nbatches), .min = 1, .max = 4096},
    {.key = "modes", .type = FT_ENUM_SET, .offset = S(modes), .choices = mode_choices},
    {0},
};

static const struct kernel_study study_defaults = {
    .bits = {4}, .nbits = 1, .group_size = 128, .batches = {1}, .nbatches = 1, .modes = 1u << ACCUM_FP32};

static int check_bits(const int64_t *bits, size_t n, const struct ynode *node, const char *path, struct diag *d)
{
    for (size_t i = 0; i < n; i++)
        if (!quant_bits_supported((int)bits[i])) {
            const struct ynode *b = ytree_get(node, "bits");
            char sub[300];
            return schema_error(d, b ? &b->loc : &node->loc, join_path(sub, sizeof sub, path, "bits"),
                                "expected bit widths from 2, 3, 4, 8, found %lld", (long long)bits[i]);
        }
    return FR_OK;
}

static int shapes_empty(const struct quant_shapes *s) { return s->nmodels == 0 && s->nsizes == 0; }

/* targets: are matched against each model's own layout; a model that has
 * none of them would silently contribute no shapes. */
static int check_targets(const struct quant_shapes *s, const struct ynode *node, const char *path, struct diag *d)
{
    for (size_t m = 0; s->targets && m < s->nmodels; m++)
        if (!(s->targets & model_targets(s->models[m]))) {
            char want[128], has[128], sub[300];
            const struct ynode *t = ytree_get(node, "targets");
            return schema_error(d, t ? &t->loc : &node->loc, join_path(sub, sizeof sub, path, "targets"),
                                "%s (%s) has none of %s; its layers are %s", s->models[m]->id, s->models[m]->family,
                                targets_text(s->targets, want, sizeof want),
                                targets_text(model_targets(s->models[m]), has, sizeof has));
        }
    return FR_OK;
}

static int check_study(const struct ynode *node, const char *path, void *elem, struct diag *d)
{
    struct kernel_study *ks = elem;
    if (shapes_empty(&ks->shapes))
        return schema_error(d, &node->loc, path, "expected 'models:' or 'sizes:' (the layer shapes to run)");
    if (check_targets(&ks->shapes, node, path, d))
        return d->code;
    if (ks->group_size == 0)
        return schema_error(d, &node->loc, path, "group_size must be -1 (whole rows) or positive, not 0");
    return check_bits(ks->bits, ks->nbits, node, path, d);
}

#define K(member) offsetof(struct quant_config, kernels.member)
#define TOLERANCE_FIELDS(mode)                                                                          \
    {{.key = "max_abs", .type = FT_REAL, .offset = K(tol[mode].max_abs), .min = 0, .max = 1e30},        \
     {.key = "rel_mean", .type = FT_REAL, .offset = K(tol[mode].rel_mean), .min = 0, .max = 1e30},      \
     {.key = "per_sqrt_k", .type = FT_BOOL, .offset = K(tol[mode].per_sqrt_k)},                        \
     {0}}
static const struct field tolerance_mode_fields[2][4] = {TOLERANCE_FIELDS(ACCUM_FP32), TOLERANCE_FIELDS(ACCUM_FP16)};
static const struct field tolerance_fields[] = {
    {.key = "fp32", .type = FT_MAP, .fields = tolerance_mode_fields[ACCUM_FP32]},
    {.key = "fp16", .type = FT_MAP, .fields = tolerance_mode_fields[ACCUM_FP16]},
    {.key = "dequant_max_abs", .type = FT_REAL, .offset = K(dequant_max_abs), .min = 0, .max = 1e30},
    {0},
};
static const struct field kernel_fields[] = {
    {.key = "studies", .type = FT_MAP_LIST, .offset = K(studies), .size = QUANT_MAX_KERNEL_STUDIES,
     .count_offset = K(nstudies), .elem_size = sizeof(struct kernel_study), .element_defaults = &study_defaults,
     .fields = study_fields, .element_check = check_study, .required = 1},
    {.key = "warmup", .type = FT_INT, .offset = K(warmup), .min = 0, .max = 100},
    {.key = "repeats", .type = FT_INT, .offset = K(repeats), .min = 1, .max = 1000},
    {.key = "copy_mib", .type = FT_REAL, .offset = K(copy_mib), .min = 1, .max = 65536},
    {.key = "tolerance", .type = FT_MAP, .fields = tolerance_fields},
    {0},
};

#define B(member) offsetof(struct quant_config, bounds.member)
static const struct field floor_fields[] = {
    {.key = "2", .type = FT_REAL, .offset = B(sqnr_floor[2]), .min = -1e3, .max = 1e3},
    {.key = "3", .type = FT_REAL, .offset = B(sqnr_floor[3]), .min = -1e3, .max = 1e3},
    {.key = "4", .type = FT_REAL, .offset = B(sqnr_floor[4]), .min = -1e3, .max = 1e3},
    {.key = "8", .type = FT_REAL, .offset = B(sqnr_floor[8]), .min = -1e3, .max = 1e3},
    {0},
};
static const struct field overhead_fields[] = {
    {.key = "validation", .type = FT_REAL, .offset = B(validation_overhead), .min = 1, .max = 1e3},
    {.key = "act_order", .type = FT_REAL, .offset = B(act_order_overhead), .min = 1, .max = 1e3},
    {.key = "zeros_v1", .type = FT_REAL, .offset = B(zeros_v1_overhead), .min = 1, .max = 1e3},
    {0},
};
static const struct field cross_check_fields[] = {
    {.key = "codes_equal", .type = FT_REAL, .offset = B(codes_equal), .min = 0, .max = 1},
    {.key = "error_ratio", .type = FT_REAL, .offset = B(error_ratio), .min = 0, .max = 1e3},
    {0},
};
static const struct field bound_fields[] = {
    {.key = "gptq_over_rtn", .type = FT_REAL, .offset = B(gptq_over_rtn), .min = 0, .max = 1e3},
    {.key = "cross_check", .type = FT_MAP, .fields = cross_check_fields},
    {.key = "sqnr_floor_db", .type = FT_MAP, .fields = floor_fields},
    {.key = "overhead", .type = FT_MAP, .fields = overhead_fields},
    {0},
};

static int parse_layers(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    ((struct quant_config *)obj)->layers.enabled = !ytree_is_null(node);
    return schema_apply(layer_fields, node, path, obj, d);
}

static int parse_kernels(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    return schema_apply(kernel_fields, node, path, obj, d);
}

static const struct field quant_fields[] = {
    {.key = "layers", .type = FT_CUSTOM, .custom = parse_layers},
    {.key = "calibration", .type = FT_MAP, .fields = calib_fields},
    {.key = "kernels", .type = FT_CUSTOM, .custom = parse_kernels},
    {.key = "checks", .type = FT_MAP, .fields = bound_fields},
    {0},
};

void quant_defaults(void *vcfg)
{
    struct quant_config *cfg = vcfg;
    *cfg = (struct quant_config){
        .layers = {.methods = (1u << QM_RTN) | (1u << QM_GPTQ), .bits = {4}, .nbits = 1, .group_sizes = {128},
                   .ngroups = 1, .act_order = 1u, .zeros = ZEROS_V2, .percdamp = 0.01, .block_size = 128,
                   .cross_check_every = 4},
        .calib = {.source = CALIB_SYNTHETIC, .tokens = 4096, .samples = 32, .held_out = 512,
                  .synthetic = {.factors = 16, .correlation = 0.8, .outliers = 8, .outlier_min = 10,
                                .outlier_max = 100}},
        .kernels = {.warmup = 1, .repeats = 5, .copy_mib = 64,
                    .tol = {[ACCUM_FP32] = {.max_abs = 1e-4, .rel_mean = 1e-6},
                            [ACCUM_FP16] = {.max_abs = 2.5e-2, .rel_mean = 2.5e-4, .per_sqrt_k = 1}},
                    .dequant_max_abs = 1e-6},
        .bounds = {.gptq_over_rtn = 1.0, .sqnr_floor = {[2] = 0, [3] = 6, [4] = 12, [8] = 30},
                   .validation_overhead = 1.01, .act_order_overhead = 1.25, .zeros_v1_overhead = 1.10,
                   .codes_equal = 0.999, .error_ratio = 0.01},
    };
}

/* Every layer's input dimension must split into the configured groups and
 * pack into whole words. */
static int check_list_pack(const struct quant_shape *list, size_t n, const int64_t *bits, size_t nbits,
                           const int64_t *groups, size_t ngroups, const struct ynode *node, const char *path,
                           struct diag *d)
{
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < nbits; b++) {
            struct diag tmp = {0};
            if (gptq_pack_check_shape((int)bits[b], list[i].out, list[i].in, &tmp))
                return schema_error(d, &node->loc, path, "layer %s (%lld x %lld): %s", list[i].name,
                                    (long long)list[i].out, (long long)list[i].in, tmp.msg);
            for (size_t g = 0; g < ngroups; g++)
                if (groups[g] > 0 && list[i].in % groups[g])
                    return schema_error(d, &node->loc, path,
                                        "group size %lld does not divide the %lld inputs of layer %s",
                                        (long long)groups[g], (long long)list[i].in, list[i].name);
        }
    return FR_OK;
}

static int check_shapes_pack(const struct quant_shapes *s, const int64_t *bits, size_t nbits,
                             const int64_t *groups, size_t ngroups, const struct ynode *node, const char *path,
                             struct diag *d)
{
    struct quant_shape list[QUANT_MAX_SHAPES];
    return check_list_pack(list, quant_shape_list(s, list), bits, nbits, groups, ngroups, node, path, d);
}

static int by_tensor(const void *a, const void *b)
{
    return strcmp(((const struct quant_ckpt_layer *)a)->tensor, ((const struct quant_ckpt_layer *)b)->tensor);
}

/* layers.checkpoint: the folder's 2-D floating weights whose names match
 * layers.tensors (default: layer 0's), headers only. */
static int list_checkpoint_layers(struct quant_layers *L, const struct ynode *layers, const char *path,
                                  struct diag *d)
{
    char sub[300];
    const struct ynode *cn = ytree_get(layers, "checkpoint");
    struct st_model m;
    struct diag inner = {0};
    if (st_model_open(L->checkpoint, &m, &inner))
        return schema_error(d, &cn->loc, join_path(sub, sizeof sub, path, "checkpoint"), "%s", inner.msg);
    if (!L->ntensors) {
        snprintf(L->tensors[0], sizeof L->tensors[0], "model.layers.0.*");
        L->ntensors = 1;
    }
    int rc = FR_OK;
    L->nckpt = 0;
    for (size_t s = 0; !rc && s < m.nshards; s++)
        for (size_t i = 0; !rc && i < m.shards[s].n; i++) {
            const struct st_tensor *t = &m.shards[s].tensors[i];
            int match = 0;
            for (size_t k = 0; k < L->ntensors && !match; k++)
                match = fnmatch(L->tensors[k], t->name, 0) == 0;
            if (!match || t->ndim != 2 || !st_dtype_floating(t->dtype))
                continue;
            if (L->nckpt == QUANT_MAX_CKPT || strlen(t->name) >= sizeof L->ckpt[0].tensor)
                rc = schema_error(d, &cn->loc, join_path(sub, sizeof sub, path, "tensors"),
                                  "more than %d weights of %s match (or a name is over %zu characters): name fewer",
                                  QUANT_MAX_CKPT, L->checkpoint, sizeof L->ckpt[0].tensor - 1);
            else
                L->ckpt[L->nckpt++] = (struct quant_ckpt_layer){.out = t->shape[0], .in = t->shape[1]};
            if (!rc)
                snprintf(L->ckpt[L->nckpt - 1].tensor, sizeof L->ckpt[0].tensor, "%s", t->name);
        }
    st_model_close(&m);
    if (!rc && !L->nckpt)
        rc = schema_error(d, &cn->loc, join_path(sub, sizeof sub, path, "checkpoint"),
                          "no 2-D floating-point weight of %s matches %s%s", L->checkpoint, L->tensors[0],
                          L->ntensors > 1 ? " or the other patterns" : "");
    if (!rc)
        qsort(L->ckpt, L->nckpt, sizeof L->ckpt[0], by_tensor);
    return rc;
}

int quant_configure(const struct ynode *node, const char *path, void *vcfg, struct diag *d)
{
    struct quant_config *cfg = vcfg;
    if (!node || ytree_is_null(node)) {
        struct yloc loc = node ? node->loc : (struct yloc){"(config)", 0, 0};
        return schema_error(d, &loc, path, "expected a mapping with 'layers:' and/or 'kernels:'");
    }
    if (schema_apply(quant_fields, node, path, cfg, d))
        return d->code;
    char sub[300];
    const struct ynode *layers = ytree_get(node, "layers");
    if (!cfg->layers.enabled && !cfg->kernels.nstudies)
        return schema_error(d, &node->loc, path, "expected 'layers:' and/or 'kernels:' (nothing to run)");
    if (cfg->layers.enabled) {
        join_path(sub, sizeof sub, path, "layers");
        if (cfg->layers.checkpoint[0] && list_checkpoint_layers(&cfg->layers, layers, sub, d))
            return d->code;
        if (check_targets(&cfg->layers.shapes, layers, sub, d))
            return d->code;
        if (!cfg->layers.checkpoint[0] && shapes_empty(&cfg->layers.shapes))
            return schema_error(d, &layers->loc, sub, "expected 'models:' or 'sizes:' (the layer shapes to run)");
        if (!cfg->layers.methods || !cfg->layers.act_order)
            return schema_error(d, &layers->loc, sub, "'methods:' and 'act_order:' must name at least one value");
        if (check_bits(cfg->layers.bits, cfg->layers.nbits, layers, sub, d))
            return d->code;
        for (size_t g = 0; g < cfg->layers.ngroups; g++)
            if (cfg->layers.group_sizes[g] == 0)
                return schema_error(d, &layers->loc, sub, "group sizes must be -1 (whole rows) or positive, not 0");
        struct quant_shape list[QUANT_MAX_SHAPES];
        if (check_list_pack(list, quant_layer_shapes(&cfg->layers, list), cfg->layers.bits, cfg->layers.nbits,
                            cfg->layers.group_sizes, cfg->layers.ngroups, layers, sub, d))
            return d->code;
    }
    const struct ynode *kern = ytree_get(node, "kernels");
    for (size_t i = 0; i < cfg->kernels.nstudies; i++) {
        const struct kernel_study *ks = &cfg->kernels.studies[i];
        snprintf(sub, sizeof sub, "%s.kernels.studies[%zu]", path, i);
        if (check_shapes_pack(&ks->shapes, ks->bits, ks->nbits, &ks->group_size, 1, kern, sub, d))
            return d->code;
    }
    const struct quant_calibration *c = &cfg->calib;
    const struct ynode *cn = ytree_get(node, "calibration");
    join_path(sub, sizeof sub, path, "calibration");
    if (c->source == CALIB_FILE && (!c->path[0] || !c->tensor[0]))
        return schema_error(d, cn ? &cn->loc : &node->loc, sub, "source: file needs 'path:' and 'tensor:'");
    static const char *const synthetic_only[] = {"tokens", "factors", "correlation", "outliers",
                                                 "outlier_scale_min", "outlier_scale_max"};
    static const char *const file_only[] = {"path", "tensor"};
    for (size_t k = 0; c->source == CALIB_FILE && k < sizeof synthetic_only / sizeof *synthetic_only; k++)
        if (schema_no_effect(cn, sub, synthetic_only[k], "source: synthetic", "source: file, whose tensor holds the "
                             "activations", d))
            return d->code;
    for (size_t k = 0; c->source == CALIB_SYNTHETIC && k < sizeof file_only / sizeof *file_only; k++)
        if (schema_no_effect(cn, sub, file_only[k], "source: file", "source: synthetic", d))
            return d->code;
    if (cfg->layers.enabled && !cfg->layers.checkpoint[0]) {
        char lsub[300];
        if (schema_no_effect(layers, join_path(lsub, sizeof lsub, path, "layers"), "tensors", "checkpoint: DIR",
                             "no checkpoint: the shapes are models: and sizes:", d))
            return d->code;
    }
    if (c->source == CALIB_FILE)
        return FR_OK; /* the file's tensor says how many tokens there are */
    if (c->synthetic.outlier_max < c->synthetic.outlier_min)
        return schema_error(d, cn ? &cn->loc : &node->loc, sub, "outlier_scale_max is below outlier_scale_min");
    if (c->samples > c->tokens)
        return schema_error(d, cn ? &cn->loc : &node->loc, sub, "samples (%lld) exceed tokens (%lld)",
                            (long long)c->samples, (long long)c->tokens);
    return FR_OK;
}

void quant_describe(const void *vcfg, char *buf, size_t size)
{
    const struct quant_config *cfg = vcfg;
    const struct quant_calibration *c = &cfg->calib;
    char calib[700];
    if (c->source == CALIB_FILE)
        snprintf(calib, sizeof calib, "activations %.300s of %.300s in %lld samples (held out: a quarter, at "
                 "most %lld)", c->tensor, c->path, (long long)c->samples, (long long)c->held_out);
    else
        snprintf(calib, sizeof calib, "synthetic activations, %lld tokens in %lld samples (held out %lld)",
                 (long long)c->tokens, (long long)c->samples, (long long)c->held_out);
    snprintf(buf, size, "Quantization · calibration %s · %zu kernel stud%s · %lld repeats", calib,
             cfg->kernels.nstudies,
             cfg->kernels.nstudies == 1 ? "y" : "ies", (long long)cfg->kernels.repeats);
}

void quant_inputs(const void *vcfg, long long seed, char *buf, size_t size)
{
    const struct quant_config *cfg = vcfg;
    const struct quant_layers *L = &cfg->layers;
    int synthetic = cfg->kernels.nstudies > 0 || (L->enabled && !shapes_empty(&L->shapes));
    size_t used = 0;
    buf[0] = '\0';
    if (L->enabled && L->checkpoint[0])
        used = (size_t)snprintf(buf, size, "checkpoint %s", L->checkpoint);
    if (synthetic && used < size)
        used += (size_t)snprintf(buf + used, size - used, "%ssynthetic weights (seed %lld)", used ? " + " : "",
                                 seed);
    if (cfg->calib.source == CALIB_FILE && used < size)
        snprintf(buf + used, size - used, "%sactivations from %s", used ? " + " : "", cfg->calib.path);
}
