/* suites.gptq: the schema, and the checkpoint matched against targets:
 * (config/layouts.h) into the linears to quantize and the tensors to copy. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/layouts.h"
#include "config/schema.h"
#include "io/safetensors.h"
#include "suites/gptq/gptq_model_impl.h"

static const struct choice method_choices[] = {{"gptq", GM_GPTQ}, {"rtn", GM_RTN}, {NULL, 0}};
static const struct choice format_choices[] = {
    {"gptq", ZEROS_V1}, {"v1", ZEROS_V1}, {"gptq_v2", ZEROS_V2}, {"v2", ZEROS_V2}, {NULL, 0}};

static int parse_targets(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    struct gptq_model_config *cfg = obj;
    cfg->ntarget_entries = 0;
    if (ytree_is_null(node))
        return FR_OK;
    size_t n = node->kind == YN_SEQ ? node->n : 1;
    if (!n || n > GPTQ_MODEL_MAX_TARGETS)
        return schema_error(d, &node->loc, path, "expected 1 to %d targets (names or globs)", GPTQ_MODEL_MAX_TARGETS);
    for (size_t i = 0; i < n; i++) {
        const struct ynode *e = node->kind == YN_SEQ ? node->items[i] : node;
        if (e->kind != YN_SCALAR || !e->text[0] || strlen(e->text) >= sizeof cfg->target_entries[0])
            return schema_error(d, &e->loc, path, "expected a target name or pattern, found %s", ynode_kind_name(e));
        snprintf(cfg->target_entries[cfg->ntarget_entries++], sizeof cfg->target_entries[0], "%s", e->text);
    }
    return FR_OK;
}

#define GF(k, t, member, lo, hi) {.key = k, .type = t, .offset = offsetof(struct gptq_model_config, member), .min = lo, .max = hi}

static const struct field calibration_fields[] = {
    {.key = "file", .type = FT_STRING, .offset = offsetof(struct gptq_model_config, calib_file),
     .size = sizeof(((struct gptq_model_config *)0)->calib_file), .min = 1},
    GF("tokens", FT_INT, tokens, 2, 1 << 24),
    GF("samples", FT_INT, samples, 1, 1 << 20),
    GF("held_out", FT_INT, held_out, 1, 1 << 20),
    {0},
};

static const struct field gptq_fields[] = {
    {.key = "path", .type = FT_STRING, .offset = offsetof(struct gptq_model_config, path),
     .size = sizeof(((struct gptq_model_config *)0)->path), .min = 1, .required = 1},
    {.key = "out", .type = FT_STRING, .offset = offsetof(struct gptq_model_config, out),
     .size = sizeof(((struct gptq_model_config *)0)->out), .min = 1, .required = 1},
    {.key = "targets", .type = FT_CUSTOM, .custom = parse_targets},
    GF("layers", FT_INT, layers, 1, 100000),
    {.key = "method", .type = FT_ENUM, .offset = offsetof(struct gptq_model_config, method), .choices = method_choices},
    GF("bits", FT_INT, spec.bits, 2, 8),
    GF("group_size", FT_INT, spec.group_size, -1, 1 << 20),
    {.key = "act_order", .type = FT_BOOL, .offset = offsetof(struct gptq_model_config, spec.act_order)},
    {.key = "sym", .type = FT_BOOL, .offset = offsetof(struct gptq_model_config, spec.sym)},
    {.key = "static_groups", .type = FT_BOOL, .offset = offsetof(struct gptq_model_config, spec.static_groups)},
    GF("percdamp", FT_REAL, spec.percdamp, 1e-9, 10),
    {.key = "format", .type = FT_ENUM, .offset = offsetof(struct gptq_model_config, format), .choices = format_choices},
    {.key = "calibration", .type = FT_MAP, .fields = calibration_fields},
    {0},
};

void gptq_model_defaults(void *vcfg)
{
    struct gptq_model_config *cfg = vcfg;
    *cfg = (struct gptq_model_config){
        .method = GM_GPTQ,
        /* symmetric, as AutoGPTQ and GPTQModel default to: v1 cannot store an asymmetric zero of 0 */
        .spec = {.bits = 4, .group_size = 128, .sym = 1, .percdamp = 0.01, .block_size = 128},
        .format = ZEROS_V1,
        .tokens = 2048,
        .samples = 128,
        .held_out = 512,
    };
}

/* The output must not be the model, nor a checkpoint already. */
static int check_out(const struct gptq_model_config *cfg, const struct ynode *node, const char *path,
                     struct diag *d)
{
    char sub[300], a[PATH_MAX], b[PATH_MAX];
    const struct ynode *o = ytree_get(node, "out");
    if (realpath(cfg->out, a) && realpath(cfg->path, b) && !strcmp(a, b))
        return schema_error(d, &o->loc, join_path(sub, sizeof sub, path, "out"),
                            "'%s' is the model folder itself: write the quantized checkpoint elsewhere", cfg->out);
    struct stat st;
    char probe[1100];
    static const char *const taken[] = {"model.safetensors", "model.safetensors.index.json"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(probe, sizeof probe, "%s/%s", cfg->out, taken[i]);
        if (stat(probe, &st) == 0)
            return schema_error(d, &o->loc, join_path(sub, sizeof sub, path, "out"),
                                "'%s' already holds a checkpoint (%s): choose an empty folder, or remove it", cfg->out,
                                taken[i]);
    }
    return FR_OK;
}

/* Every linear's activations in the calibration file, [tokens, in] or [batch, seq, in]. */
static int check_calibration(const struct gptq_model_config *cfg, const struct ynode *node, const char *path,
                             struct diag *d)
{
    if (!cfg->calib_file[0])
        return FR_OK;
    struct st_file f;
    char sub[300];
    const struct ynode *c = ytree_get(ytree_get(node, "calibration"), "file");
    struct diag inner = {0};
    if (st_open(cfg->calib_file, &f, &inner))
        return schema_error(d, &c->loc, join_path(sub, sizeof sub, path, "calibration.file"), "%s", inner.msg);
    int rc = FR_OK;
    for (size_t i = 0; !rc && i < cfg->nitems; i++) {
        const struct gptq_item *it = &cfg->items[i];
        if (!it->quantize)
            continue;
        char module[TASK_NAME_MAX];
        gptq_module_of(it->name, module, sizeof module);
        const struct st_tensor *t = st_find(&f, module);
        int64_t tokens = t && t->ndim >= 2 ? t->numel / t->shape[t->ndim - 1] : 0;
        if (t && t->ndim >= 2 && t->ndim <= 3 && t->shape[t->ndim - 1] == it->in && cfg->method == GM_GPTQ &&
            tokens - (tokens / 4 < cfg->held_out ? tokens / 4 : cfg->held_out) < it->in)
            rc = schema_error(d, &c->loc, join_path(sub, sizeof sub, path, "calibration.file"),
                              "%s: '%s' has %lld tokens, a quarter (at most held_out) kept for the error; GPTQ needs "
                              "at least %lld to calibrate a linear of %lld inputs",
                              cfg->calib_file, module, (long long)tokens, (long long)it->in, (long long)it->in);
        else if (!t || t->ndim < 2 || t->ndim > 3 || t->shape[t->ndim - 1] != it->in)
            rc = schema_error(d, &c->loc, join_path(sub, sizeof sub, path, "calibration.file"),
                              "%s has no activations for %s: a tensor named '%s' of [tokens, %lld] or [batch, seq, "
                              "%lld] (the inputs of that linear)%s",
                              cfg->calib_file, it->name, module, (long long)it->in, (long long)it->in,
                              t ? ", found another shape" : "");
    }
    st_close(&f);
    return rc;
}

/* The linears targets: names, and every other tensor to copy. */
static int list_items(struct gptq_model_config *cfg, const struct ynode *node, const char *path, struct diag *d)
{
    size_t n;
    const struct st_tensor **src;
    struct layout_tensor *t = st_model_layout_tensors(cfg->model, &src, &n);
    cfg->items = calloc(n ? n : 1, sizeof *cfg->items);
    char *linear = calloc(n ? n : 1, 1);
    if (!t || !cfg->items || !linear) {
        free(t);
        free(src);
        free(linear);
        return diag_fail(d, FR_RUNTIME, "out of memory");
    }
    const char *entries[GPTQ_MODEL_MAX_TARGETS];
    for (size_t i = 0; i < cfg->ntarget_entries; i++)
        entries[i] = cfg->target_entries[i];
    struct layout_request req = {cfg->have_config ? cfg->hc.model_type : NULL, 0, entries, cfg->ntarget_entries,
                                 cfg->layers};
    struct layout_match *lm = NULL;
    size_t nm = 0;
    char why[1500], sub[340];
    long bad = layout_match(&req, t, n, &lm, &nm, why, sizeof why);
    int rc = FR_OK;
    if (bad < 0)
        rc = diag_fail(d, FR_RUNTIME, "out of memory");
    else if (bad > 0) {
        const struct ynode *tn = ytree_get(node, "targets");
        const struct ynode *e = tn && tn->kind == YN_SEQ ? tn->items[bad - 1] : tn;
        snprintf(sub, sizeof sub, "%.300s.targets[%ld]", path, bad - 1);
        rc = schema_error(d, &e->loc, sub, "%s: %s", cfg->path, why);
    }
    for (size_t i = 0; !rc && i < nm; i++) {
        const struct layout_match *x = &lm[i];
        if (x->layer < 0) { /* loaders replace the layers' linears; embeddings and lm_head stay float */
            rc = diag_fail(d, FR_USAGE, "%s: '%s' is outside the layers; GPTQ checkpoints quantize the layers' "
                                        "linears and keep embeddings and lm_head as they are",
                           cfg->path, t[x->tensor].name);
            break;
        }
        linear[x->tensor] = 1;
        struct gptq_item *it = &cfg->items[cfg->nitems++];
        snprintf(it->name, sizeof it->name, "%s", t[x->tensor].name);
        snprintf(it->label, sizeof it->label, "%s", x->label);
        it->out = x->rows;
        it->in = x->cols;
        it->transposed = x->transposed;
        it->quantize = 1;
        cfg->nlinears++;
        struct diag why_not = {0};
        if (quant_spec_check(&cfg->spec, it->in, &why_not) || gptq_pack_check_shape(cfg->spec.bits, it->out, it->in, &why_not))
            rc = diag_fail(d, FR_USAGE, "%s: tensor '%s' [%lld, %lld] cannot be quantized as asked: %s", cfg->path,
                           it->name, (long long)it->out, (long long)it->in, why_not.msg);
    }
    /* GPTQ solves with the Hessian of the calibration inputs: fewer tokens than inputs leave it singular */
    for (size_t i = 0; !rc && cfg->method == GM_GPTQ && !cfg->calib_file[0] && i < cfg->nitems; i++)
        if (cfg->items[i].quantize && cfg->tokens < cfg->items[i].in) {
            const struct ynode *tk = ytree_get(ytree_get(node, "calibration"), "tokens");
            snprintf(sub, sizeof sub, "%.300s.calibration.tokens", path);
            rc = schema_error(d, tk ? &tk->loc : &node->loc, sub,
                              "%lld calibration tokens for %s, whose %lld inputs need at least as many (GPTQ's "
                              "Hessian is singular with fewer)",
                              (long long)cfg->tokens, cfg->items[i].name, (long long)cfg->items[i].in);
        }
    if (!rc && !cfg->nlinears)
        rc = diag_fail(d, FR_USAGE, "%s: no linear of its layers matches the targets (a quantized checkpoint?)",
                       cfg->path);
    for (size_t i = 0; !rc && i < n; i++) {
        if (linear[i])
            continue;
        struct gptq_item *it = &cfg->items[cfg->nitems++];
        snprintf(it->name, sizeof it->name, "%s", t[i].name);
        it->bytes = src[i]->bytes;
    }
    free(lm);
    free(t);
    free(src);
    free(linear);
    return rc;
}

int gptq_model_configure(const struct ynode *node, const char *path, void *vcfg, struct diag *d)
{
    struct gptq_model_config *cfg = vcfg;
    if (!node || ytree_is_null(node)) {
        struct yloc loc = node ? node->loc : (struct yloc){"(config)", 0, 0};
        return schema_error(d, &loc, path, "expected a mapping with 'path:' (the model) and 'out:' (the folder)");
    }
    if (schema_apply(gptq_fields, node, path, cfg, d))
        return d->code;
    if (cfg->spec.bits != 2 && cfg->spec.bits != 3 && cfg->spec.bits != 4 && cfg->spec.bits != 8) {
        char sub[300];
        return schema_error(d, &ytree_get(node, "bits")->loc, join_path(sub, sizeof sub, path, "bits"),
                            "expected 2, 3, 4 or 8 (the widths HF GPTQ packs), found %d", cfg->spec.bits);
    }
    if (cfg->method == GM_RTN && (cfg->spec.act_order || cfg->spec.static_groups)) {
        char sub[300];
        return schema_error(d, &node->loc, join_path(sub, sizeof sub, path, "method"),
                            "act_order and static_groups are GPTQ's; method rtn has neither");
    }
    if (cfg->calib_file[0] && schema_no_effect(ytree_get(node, "calibration"), path, "tokens", "there is no "
                                               "calibration file", "calibration.file is set", d))
        return d->code;
    if (!(cfg->model = calloc(1, sizeof *cfg->model)))
        return diag_fail(d, FR_RUNTIME, "out of memory");
    char sub[300];
    const struct ynode *p = ytree_get(node, "path");
    struct diag inner = {0};
    if (st_model_open(cfg->path, cfg->model, &inner)) {
        free(cfg->model);
        cfg->model = NULL;
        return schema_error(d, &p->loc, join_path(sub, sizeof sub, path, "path"), "%s", inner.msg);
    }
    if (st_model_config(cfg->path, cfg->config_origin, sizeof cfg->config_origin, &cfg->hc, &cfg->have_config,
                        &inner))
        return schema_error(d, &p->loc, join_path(sub, sizeof sub, path, "path"), "%s", inner.msg);
    if (!cfg->have_config)
        return schema_error(d, &p->loc, join_path(sub, sizeof sub, path, "path"),
                            "%s has no config.json: loaders need one, with the quantization_config fidrun adds",
                            cfg->path);
    if (cfg->hc.quant.present)
        return schema_error(d, &p->loc, join_path(sub, sizeof sub, path, "path"),
                            "%s is quantized already (config.json has a quantization_config)", cfg->path);
    int rc = list_items(cfg, node, path, d);
    if (!rc)
        rc = check_out(cfg, node, path, d);
    if (!rc)
        rc = check_calibration(cfg, node, path, d);
    return rc;
}

void gptq_model_release(void *vcfg)
{
    struct gptq_model_config *cfg = vcfg;
    if (cfg->model)
        st_model_close(cfg->model);
    free(cfg->model);
    free(cfg->items);
    cfg->model = NULL;
    cfg->items = NULL;
    cfg->nitems = cfg->nlinears = 0;
}

void gptq_model_describe(const void *vcfg, char *buf, size_t size)
{
    const struct gptq_model_config *cfg = vcfg;
    char group[32];
    snprintf(group, sizeof group, cfg->spec.group_size < 0 ? "whole rows" : "group %lld",
             (long long)cfg->spec.group_size);
    snprintf(buf, size, "GPTQ checkpoint · %s → %s · %zu linears quantized, %zu tensors copied · %s %d-bit, %s%s%s · "
                        "checkpoint_format %s",
             cfg->path, cfg->out, cfg->nlinears, cfg->nitems - cfg->nlinears, cfg->method == GM_GPTQ ? "GPTQ" : "RTN",
             cfg->spec.bits, group, cfg->spec.act_order ? ", act-order" : "", cfg->spec.sym ? ", sym" : "",
             zero_format_name((enum zero_format)cfg->format));
}

void gptq_model_inputs(const void *vcfg, long long seed, char *buf, size_t size)
{
    const struct gptq_model_config *cfg = vcfg;
    if (cfg->calib_file[0])
        snprintf(buf, size, "checkpoint %s · activations from %s", cfg->path, cfg->calib_file);
    else
        snprintf(buf, size, "checkpoint %s · synthetic activations (seed %lld): not the model's own inputs, so the "
                            "errors say how GPTQ fits these",
                 cfg->path, seed);
}

void gptq_model_explain(const void *vcfg, FILE *out, int verbose)
{
    const struct gptq_model_config *cfg = vcfg;
    fprintf(out, "  %zu linears to quantize (model_type %s), %zu tensors copied as they are\n", cfg->nlinears,
            cfg->hc.model_type, cfg->nitems - cfg->nlinears);
    for (size_t i = 0; verbose && i < cfg->nitems; i++) {
        const struct gptq_item *it = &cfg->items[i];
        if (it->quantize)
            fprintf(out, "    %-60s %6lld×%-6lld %s%s\n", it->name, (long long)it->out, (long long)it->in, it->label,
                    it->transposed ? " (stored transposed)" : "");
    }
}
