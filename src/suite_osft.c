#include "suite_osft.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "core/osft/metrics.h"
#include "config/schema.h"
#include "plugin/suite.h"
#include "core/osft/osft_matrix.h"
#include "mpi/factor_bcast.h"
#include "suite_osft_impl.h"

static const struct column osft_cols[] = {
    RECORD_HEAD_COLUMNS(struct osft_record),
    COL(COL_STR, struct osft_record, name, ""),
    COL(COL_STR, struct osft_record, target, ""),
    COL(COL_I32, struct osft_record, layer, ""),
    COL(COL_I32, struct osft_record, rows, ""),
    COL(COL_I32, struct osft_record, cols, ""),
    COL(COL_I32, struct osft_record, k_split, ""),
    COL(COL_F64, struct osft_record, max_abs_err, ""),
    COL(COL_F64, struct osft_record, mean_abs_err, ""),
    COL(COL_F64, struct osft_record, rel_fro_err, ""),
    COL(COL_F64, struct osft_record, max_abs_w, ""),
    COL(COL_I64, struct osft_record, violations, "count"),
    COL(COL_I32, struct osft_record, pass, ""),
    COL(COL_F64, struct osft_record, resid_ratio, ""),
    COL(COL_F64, struct osft_record, orth_u_ratio, ""),
    COL(COL_F64, struct osft_record, orth_v_ratio, ""),
    COL(COL_I32, struct osft_record, sv_violations, "count"),
    COL(COL_F64, struct osft_record, sigma_max, ""),
    COL(COL_F64, struct osft_record, sigma_split, ""),
    COL(COL_F64, struct osft_record, sigma_min, ""),
    COL(COL_F64, struct osft_record, svd_seconds, "s"),
    COLC(COL_STR, struct osft_record, svd_driver, "", CMP_IGNORE),
    COLC(COL_STR, struct osft_record, auto_rejected, "", CMP_IGNORE),
    COLC(COL_I32, struct osft_record, tuned, "", CMP_IGNORE),
    COLC(COL_F64, struct osft_record, err_sigma, "", CMP_IGNORE),
    COLC(COL_F64, struct osft_record, tune_gesvd_s, "s", CMP_IGNORE),
    COLC(COL_F64, struct osft_record, tune_gesvdj_s, "s", CMP_IGNORE),
    COLC(COL_F64, struct osft_record, tune_gesvdp_s, "s", CMP_IGNORE),
    COLC(COL_I32, struct osft_record, batch, "", CMP_IGNORE),
    COL(COL_I32, struct osft_record, cross_checked, ""),
    COL(COL_F64, struct osft_record, xc_sigma_ratio, ""),
    COL(COL_F64, struct osft_record, xc_resid_ratio, ""),
    COL(COL_F64, struct osft_record, xc_orth_ratio, ""),
    COLC(COL_F64, struct osft_record, bytes_read, "B", CMP_IGNORE),
};
static const struct table_desc osft_table = TABLE_DESC("matrices", struct osft_record, osft_cols);
static const struct table_desc *const osft_tables[] = {&osft_table};

/* ---- configuration ---- */

static const struct choice dtype_choices[] = {{"float32", DT_F32}, {"fp32", DT_F32}, {"float64", DT_F64},
                                              {"fp64", DT_F64},    {NULL, 0}};
static const struct choice svd_driver_choices[] = {{"auto", SVD_AUTO},     {"gesdd", SVD_GESDD},
                                                   {"gesvd", SVD_GESVD},   {"gesvdj", SVD_GESVDJ},
                                                   {"gesvdp", SVD_GESVDP}, {NULL, 0}};
static const struct choice broadcast_choices[] = {
    {"auto", BCAST_AUTO}, {"nccl", BCAST_NCCL}, {"mpi", BCAST_MPI}, {"off", BCAST_OFF}, {NULL, 0}};
static const struct choice source_choices[] = {
    {"synthetic", SOURCE_SYNTHETIC}, {"checkpoint", SOURCE_CHECKPOINT}, {NULL, 0}};
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

static int parse_targets(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    unsigned mask = 0, patterns = 0;
    if (ytree_is_null(node)) { /* targets: ~ is the model's own layout */
        ((struct osft_config *)obj)->targets = ((struct osft_config *)obj)->target_patterns = 0;
        return FR_OK;
    }
    if (node->kind == YN_SEQ && node->n == 0)
        return schema_error(d, &node->loc, path, "expected at least one target, found an empty list");
    size_t n = node->kind == YN_SEQ ? node->n : 1;
    for (size_t i = 0; i < n; i++) {
        char item[340];
        snprintf(item, sizeof item, "%.300s[%zu]", path, i);
        if (target_entry(node->kind == YN_SEQ ? node->items[i] : node, node->kind == YN_SEQ ? item : path, &mask,
                         &patterns, d))
            return FR_USAGE;
    }
    ((struct osft_config *)obj)->targets = mask;
    ((struct osft_config *)obj)->target_patterns = patterns;
    return FR_OK;
}

int osft_resolve_targets(struct osft_config *cfg, unsigned own, const char *whose, const struct ynode *node,
                         const char *path, struct diag *d)
{
    const struct ynode *t = ytree_get(node, "targets");
    if (t && ytree_is_null(t))
        t = NULL;
    char sub[300], missing[128], has[128];
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
    {.key = "targets", .type = FT_CUSTOM, .custom = parse_targets},
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
    {0},
};

static void osft_defaults(void *vcfg)
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
    };
}

static int osft_configure(const struct ynode *node, const char *path, void *vcfg, struct diag *d)
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

static int64_t osft_layers(const struct osft_config *cfg)
{
    if (cfg->source == SOURCE_CHECKPOINT)
        return cfg->nmatrices ? cfg->matrices[cfg->nmatrices - 1].layer + 1 : 0;
    return cfg->layers > 0 ? cfg->layers : cfg->model->num_hidden_layers;
}

static void osft_describe(const void *vcfg, char *buf, size_t size)
{
    const struct osft_config *cfg = vcfg;
    char xc[48] = "no CPU cross-check";
    if (cfg->cross_check_every > 0)
        snprintf(xc, sizeof xc, "CPU cross-check every %lld", (long long)cfg->cross_check_every);
    char what[600];
    if (cfg->source == SOURCE_CHECKPOINT)
        snprintf(what, sizeof what, "checkpoint %s · %zu matrices of %lld layers", cfg->path, cfg->nmatrices,
                 (long long)osft_layers(cfg));
    else
        snprintf(what, sizeof what, "%s · %lld of %d layers", cfg->model->id, (long long)osft_layers(cfg),
                 cfg->model->num_hidden_layers);
    snprintf(buf, size,
             "OSFT fidelity · %s · %s · unfreeze ratio %.2f · atol %.0e rtol %.0e · svd %s · %s · broadcast %s",
             what, dtype_name(cfg->dtype), cfg->unfreeze_rank_ratio, cfg->atol, cfg->rtol,
             svd_driver_name(cfg->svd_driver), xc, bcast_method_name(cfg->broadcast));
}

static void osft_inputs(const void *vcfg, long long seed, char *buf, size_t size)
{
    const struct osft_config *cfg = vcfg;
    if (cfg->source == SOURCE_CHECKPOINT)
        snprintf(buf, size, "checkpoint %s", cfg->path);
    else
        snprintf(buf, size, "synthetic weights (seed %lld)", seed);
}

/* ---- plan and run ---- */

int64_t osft_split_rank(int64_t m, int64_t n, double ratio)
{
    int64_t kmin = m < n ? m : n;
    int64_t k = (int64_t)floor((double)kmin * (1.0 - ratio));
    if (k > kmin - 1)
        k = kmin - 1;
    return k < 0 ? 0 : k;
}

static int osft_plan(const void *vcfg, struct task_list *tasks, struct diag *d)
{
    const struct osft_config *cfg = vcfg;
    for (size_t i = 0; cfg->source == SOURCE_CHECKPOINT && i < cfg->nmatrices; i++) {
        const struct osft_checkpoint_matrix *m = &cfg->matrices[i];
        double kmin = m->rows < m->cols ? m->rows : m->cols;
        struct task task = {.cost = (double)m->rows * m->cols * kmin, .dims = {m->rows, m->cols, m->layer, m->target}};
        snprintf(task.name, sizeof task.name, "%s", m->name);
        snprintf(task.group, sizeof task.group, "model.layers.%lld", (long long)m->layer);
        if (task_list_push(tasks, &task))
            return diag_fail(d, FR_RUNTIME, "out of memory while planning");
    }
    if (cfg->source == SOURCE_CHECKPOINT)
        return FR_OK;
    unsigned want = cfg->targets;
    for (int64_t layer = 0; layer < osft_layers(cfg); layer++) {
        for (int t = 0; t < T_COUNT; t++) {
            if (!(want & TARGET_BIT(t)))
                continue;
            struct linear_shape s = model_linear_shape(cfg->model, (enum target)t);
            double kmin = s.out < s.in ? s.out : s.in;
            struct task task = {.cost = (double)s.out * s.in * kmin, .dims = {s.out, s.in, layer, t}};
            snprintf(task.name, sizeof task.name, "model.layers.%lld.%s.weight", (long long)layer,
                     target_module((enum target)t));
            snprintf(task.group, sizeof task.group, "model.layers.%lld", (long long)layer);
            if (task_list_push(tasks, &task))
                return diag_fail(d, FR_RUNTIME, "out of memory while planning");
        }
    }
    return FR_OK;
}

/* The CPU reference on a sample of matrices: LAPACK gesdd on the same W.
 * Not when the run is that reference already. */
static int wants_cross_check(const struct osft_config *cfg, const struct run_context *ctx, const struct task *t,
                             int driver_used)
{
    if (cfg->cross_check_every <= 0 || t->id % cfg->cross_check_every != 0)
        return 0;
    return !(ctx->backend == &backend_cpu && driver_used == SVD_GESDD);
}

static int cross_check(const struct osft_job *job, const struct osft_outcome *got, struct osft_record *r,
                       struct diag *d)
{
    struct osft_job ref_job = *job;
    ref_job.driver = SVD_GESDD;
    ref_job.keep_factors = 0;
    struct osft_outcome ref;
    int rc = cpu_osft_matrix(&ref_job, &ref, d);
    if (rc)
        return rc;
    int64_t m = job->w->rows, n = job->w->cols, k = ref.s.rows;
    double eps = dtype_eps(job->w->dtype), worst = 0, smax = k ? mat_get(&ref.s, 0, 0) : 0;
    for (int64_t i = 0; i < k; i++) {
        double e = fabs(mat_get(&got->s, i, 0) - mat_get(&ref.s, i, 0));
        if (!(e <= worst))
            worst = e;
    }
    double scale = (smax > 0 ? smax : 1) * (double)(m > n ? m : n) * eps;
    r->cross_checked = 1;
    r->xc_sigma_ratio = worst / scale;
    r->xc_resid_ratio = svd_residual_ratio(ref.ds.norm1_diff, ref.ds.norm1_ref, m, n, eps);
    r->xc_orth_ratio = fmax(orthogonality_ratio(ref.defect_u, m, eps), orthogonality_ratio(ref.defect_v, n, eps));
    mat_free(&ref.s);
    return FR_OK;
}

static void fill_record(const struct osft_config *cfg, const struct task *t, int64_t ks,
                        const struct osft_outcome *o, struct osft_record *r)
{
    int64_t m = t->dims[0], n = t->dims[1], k = o->s.rows;
    double eps = dtype_eps((enum dtype)cfg->dtype);
    const struct diff_stats *ds = &o->ds;
    snprintf(r->name, sizeof r->name, "%s", t->name);
    snprintf(r->target, sizeof r->target, "%s", target_name((enum target)t->dims[3]));
    r->layer = (int32_t)t->dims[2];
    r->rows = (int32_t)m;
    r->cols = (int32_t)n;
    r->k_split = (int32_t)ks;
    r->max_abs_err = ds->max_abs;
    r->mean_abs_err = ds->mean_abs;
    r->rel_fro_err = ds->fro_ref > 0 ? ds->fro_diff / ds->fro_ref : ds->fro_diff;
    r->max_abs_w = ds->max_abs_ref;
    r->violations = ds->violations;
    r->pass = ds->violations == 0;
    r->resid_ratio = svd_residual_ratio(ds->norm1_diff, ds->norm1_ref, m, n, eps);
    r->orth_u_ratio = orthogonality_ratio(o->defect_u, m, eps);
    r->orth_v_ratio = orthogonality_ratio(o->defect_v, n, eps);
    r->sv_violations = (int32_t)singular_value_violations(&o->s);
    r->sigma_max = mat_get(&o->s, 0, 0);
    r->sigma_split = mat_get(&o->s, ks, 0);
    r->sigma_min = mat_get(&o->s, k - 1, 0);
    r->svd_seconds = o->svd_seconds;
    snprintf(r->svd_driver, sizeof r->svd_driver, "%s", svd_driver_name(o->driver));
    size_t used = 0;
    r->auto_rejected[0] = 0;
    for (int i = 0; i < SVD_DRIVER_COUNT; i++)
        if (o->rejected & (1u << i))
            used += (size_t)snprintf(r->auto_rejected + used, sizeof r->auto_rejected - used, "%s%s",
                                     used ? "," : "", svd_driver_name(i));
    r->tuned = o->tuned;
    r->err_sigma = o->err_sigma;
    r->tune_gesvd_s = o->tune_seconds[SVD_GESVD];
    r->tune_gesvdj_s = o->tune_seconds[SVD_GESVDJ];
    r->tune_gesvdp_s = o->tune_seconds[SVD_GESVDP];
    r->xc_sigma_ratio = r->xc_resid_ratio = r->xc_orth_ratio = NAN;
}

/* The weight of task t, and the job for it. */
static int load_job(const struct osft_config *cfg, const struct run_context *ctx, const struct task *t,
                    struct matrix *w, struct osft_job *job, struct diag *d)
{
    int64_t m = t->dims[0], n = t->dims[1];
    struct matrix_source src = {(enum matrix_source_kind)cfg->source, ctx->seed, cfg->spectrum, cfg->checkpoint};
    int rc = matrix_source_load(&src, t->name, m, n, (enum dtype)cfg->dtype, w, d);
    *job = (struct osft_job){
        .w = w,
        .k_split = osft_split_rank(m, n, cfg->unfreeze_rank_ratio),
        .atol = cfg->atol,
        .rtol = cfg->rtol,
        .driver = cfg->svd_driver,
        .keep_factors = osft_keeps_factors(cfg, ctx),
    };
    return rc;
}

/* The record from the backend's outcome, the CPU cross-check where due,
 * and the factors kept for the broadcast; releases the outcome. */
static int finish_job(const struct osft_config *cfg, const struct run_context *ctx, const struct task *t,
                      const struct osft_job *job, struct osft_outcome *o, struct osft_record *r, struct diag *d)
{
    fill_record(cfg, t, job->k_split, o, r);
    r->batch = 1;
    r->bytes_read = osft_checkpoint_bytes(cfg, t->name);
    int rc = wants_cross_check(cfg, ctx, t, o->driver) ? cross_check(job, o, r, d) : FR_OK;
    if (!rc && job->keep_factors)
        osft_state_keep(ctx->state, t->id, &o->held);
    held_factors_release(&o->held);
    mat_free(&o->s);
    return rc;
}

static int osft_run(const void *vcfg, const struct run_context *ctx, const struct task *t, void *vrec,
                    struct diag *d)
{
    const struct osft_config *cfg = vcfg;
    struct matrix w = {0};
    struct osft_job job;
    struct osft_outcome o;
    int rc = load_job(cfg, ctx, t, &w, &job, d);
    if (!rc && !(rc = ctx->backend->osft_matrix(&job, &o, d)))
        rc = finish_job(cfg, ctx, t, &job, &o, vrec, d);
    mat_free(&w);
    return rc;
}

/* Small matrices run together, which a GPU overlaps on its lanes (the CPU
 * runs them one after another): up to two per lane, consecutive in this
 * rank's order. */
static size_t osft_batch(const void *vcfg, const struct run_context *ctx, const struct task *const *tasks,
                         size_t n)
{
    const struct osft_config *cfg = vcfg;
    if (!ctx->backend->osft_matrices || cfg->gpu_lanes <= 1)
        return 1;
    size_t most = 2 * (size_t)cfg->gpu_lanes, k = 0;
    while (k < n && k < most && tasks[k]->dims[0] * tasks[k]->dims[1] <= cfg->gpu_overlap_max_elements)
        k++;
    return k ? k : 1;
}

static int osft_run_batch(const void *vcfg, const struct run_context *ctx, const struct task *const *tasks,
                          size_t n, void *const *records, double *seconds, struct diag *d)
{
    const struct osft_config *cfg = vcfg;
    struct matrix *w = calloc(n, sizeof *w);
    struct osft_job *jobs = calloc(n, sizeof *jobs);
    struct osft_outcome *outs = calloc(n, sizeof *outs);
    double *load = calloc(n, sizeof *load);
    int rc = w && jobs && outs && load ? FR_OK : diag_fail(d, FR_RUNTIME, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        double t0 = now_seconds();
        rc = load_job(cfg, ctx, tasks[i], &w[i], &jobs[i], d);
        load[i] = now_seconds() - t0;
    }
    if (!rc)
        rc = ctx->backend->osft_matrices(jobs, n, outs, seconds, (int)cfg->gpu_lanes, d);
    for (size_t i = 0; !rc && i < n; i++) {
        double t0 = now_seconds();
        rc = finish_job(cfg, ctx, tasks[i], &jobs[i], &outs[i], records[i], d);
        ((struct osft_record *)records[i])->batch = (int32_t)n;
        seconds[i] += load[i] + now_seconds() - t0;
    }
    for (size_t i = 0; rc && outs && i < n; i++) { /* what a failure left behind */
        held_factors_release(&outs[i].held);
        mat_free(&outs[i].s);
    }
    for (size_t i = 0; w && i < n; i++)
        mat_free(&w[i]);
    free(w);
    free(jobs);
    free(outs);
    free(load);
    return rc;
}

/* ---- summary ---- */

struct target_summary {
    size_t n;
    int32_t rows, cols;
    double max_abs, sum_mean, max_rel, max_resid, max_orth_u, max_orth_v, sum_svd;
};

static int by_max_err_desc(const void *pa, const void *pb)
{
    const struct osft_record *a = *(const struct osft_record *const *)pa, *b = *(const struct osft_record *const *)pb;
    if (a->max_abs_err != b->max_abs_err)
        return a->max_abs_err > b->max_abs_err || isnan(a->max_abs_err) ? -1 : 1;
    return a->head.task_id - b->head.task_id;
}

static void print_matrix_row(FILE *out, const struct osft_record *r)
{
    fprintf(out, "  %-40s %5d×%-5d %9.1e %10.1e %9.1e %6.2f %6.2f %6.2f %6.2f  %d  %s\n", r->name, r->rows, r->cols,
            r->max_abs_err, r->mean_abs_err, r->rel_fro_err, r->resid_ratio, r->orth_u_ratio, r->orth_v_ratio,
            r->svd_seconds, r->head.rank, r->pass ? "ok" : "FAIL");
}

/* A checkpoint's bytes, by the rank that read them (each reads only its own matrices). */
static void summarize_reads(const struct osft_record *rec, size_t n, FILE *out)
{
    double total = 0;
    int ranks = 0;
    for (size_t i = 0; i < n; i++) {
        total += rec[i].bytes_read;
        ranks = rec[i].head.rank + 1 > ranks ? rec[i].head.rank + 1 : ranks;
    }
    if (total <= 0)
        return;
    fprintf(out, "  checkpoint read: %.1f MB in all, by rank:", total / 1e6);
    for (int r = 0; r < ranks; r++) {
        double mine = 0;
        for (size_t i = 0; i < n; i++)
            mine += rec[i].head.rank == r ? rec[i].bytes_read : 0;
        fprintf(out, " %.1f", mine / 1e6);
    }
    fprintf(out, " MB\n");
}

/* Which SVD driver ran, per shape (auto may pick differently per shape). */
static int summarize_drivers(const struct osft_record *rec, size_t n, FILE *out)
{
    char line[1024] = "";
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = rec[j].rows == rec[i].rows && rec[j].cols == rec[i].cols &&
                   strcmp(rec[j].svd_driver, rec[i].svd_driver) == 0;
        if (!seen && len < sizeof line)
            len += (size_t)snprintf(line + len, sizeof line - len, "%s %d×%d %s", len ? "," : "", rec[i].rows,
                                    rec[i].cols, rec[i].svd_driver);
    }
    double worst_err = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(rec[i].err_sigma) && rec[i].err_sigma > worst_err)
            worst_err = rec[i].err_sigma;
    fprintf(out, "  svd driver by shape:%s", line);
    if (worst_err > 0)
        fprintf(out, " · gesvdp h_err_sigma worst %.1e", worst_err);
    fprintf(out, "\n");
    for (size_t i = 0; i < n; i++) {
        if (!rec[i].auto_rejected[0])
            continue;
        int seen = 0, count = 0;
        for (size_t j = 0; j < n; j++) {
            int same = rec[j].rows == rec[i].rows && rec[j].cols == rec[i].cols &&
                       strcmp(rec[j].auto_rejected, rec[i].auto_rejected) == 0 &&
                       strcmp(rec[j].svd_driver, rec[i].svd_driver) == 0;
            seen |= same && j < i;
            count += same;
        }
        if (!seen)
            fprintf(out, "  auto reran %d %d×%d matri%s on %s: %s missed the tolerance\n", count, rec[i].rows,
                    rec[i].cols, count == 1 ? "x" : "ces", rec[i].svd_driver, rec[i].auto_rejected);
    }
    for (size_t i = 0; i < n; i++)
        if (rec[i].tuned)
            fprintf(out, "  auto timed on %s (%d×%d, rank %d): gesvd %.4f s · gesvdj %.4f s · gesvdp %.4f s → %s\n",
                    rec[i].name, rec[i].rows, rec[i].cols, rec[i].head.rank, rec[i].tune_gesvd_s,
                    rec[i].tune_gesvdj_s, rec[i].tune_gesvdp_s, rec[i].svd_driver);
    return 0;
}

/* The sampled CPU recomputation: singular values against LAPACK gesdd,
 * and the reference's own ratios beside ours. */
static int summarize_cross_check(const struct osft_config *cfg, const struct osft_record *rec, size_t n, FILE *out,
                                 struct check_list *checks)
{
    size_t count = 0;
    double worst = 0, ours = 0, theirs = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rec[i].cross_checked)
            continue;
        count++;
        if (!(rec[i].xc_sigma_ratio <= worst))
            worst = rec[i].xc_sigma_ratio;
        ours = fmax(ours, fmax(rec[i].resid_ratio, fmax(rec[i].orth_u_ratio, rec[i].orth_v_ratio)));
        theirs = fmax(theirs, fmax(rec[i].xc_resid_ratio, rec[i].xc_orth_ratio));
    }
    if (!count) {
        fprintf(out, "  cross-check: none (%s)\n", cfg->cross_check_every > 0
                                                       ? "the run is the CPU gesdd reference itself"
                                                       : "cross_check_every: 0");
        return 0;
    }
    fprintf(out, "  cross-check against CPU gesdd on %zu matrices: singular values ratio worst %.2f · "
                 "worst residual/orthogonality ratio %.2f here, %.2f on the CPU\n",
            count, worst, ours, theirs);
    return check_add(checks, "osft", "singular values vs CPU gesdd, worst ratio", "xc_sigma_ratio",
                     worst, -INFINITY, cfg->ratio_threshold, "");
}

static int summarize_broadcast(const void *rows, size_t n, FILE *out, struct check_list *checks)
{
    const struct osft_bcast_row *r = rows;
    if (!strcmp(r[0].method, "off") || !strncmp(r[0].method, "none", 4)) {
        fprintf(out, "  broadcast of the factors: %s\n", r[0].method);
        return 0;
    }
    int64_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad = bad > r[i].mismatches ? bad : r[i].mismatches;
    fprintf(out, "  broadcast of the factors: %s · %lld matrices · %.3f GB · %.3f s (slowest rank) · "
                 "algbw %.2f GB/s · busbw %.2f GB/s · %s · copies %s\n",
            r[0].method, (long long)r[0].matrices, r[0].bytes / 1e9, r[0].max_seconds, r[0].algbw, r[0].busbw,
            r[0].held_model ? "whole model held on every rank" : "one layer at a time",
            bad ? "DIFFER" : "identical on every rank");
    if (r[0].note[0])
        fprintf(out, "    (%s)\n", r[0].note);
    return check_add(checks, "osft", "broadcast copies that differ between ranks", "bcast_mismatches",
                     (double)bad, 0, 0, "count");
}

static int osft_summarize(const void *vcfg, const void *const *records, const size_t *counts,
                          const struct report_opts *o, struct check_list *checks)
{
    const struct osft_config *cfg = vcfg;
    const struct osft_record *rec = records[0];
    size_t n = counts[0];
    FILE *out = o->out;
    struct target_summary ts[T_COUNT] = {0};
    size_t passed = 0;
    int64_t sv_bad = 0;
    double max_abs = 0, sum_max = 0, sum_mean = 0, worst_resid = 0, worst_u = 0, worst_v = 0, max_w = 0;
    for (size_t i = 0; i < n; i++) {
        const struct osft_record *r = &rec[i];
        int t = 0;
        while (t < T_COUNT - 1 && strcmp(target_name((enum target)t), r->target) != 0)
            t++;
        struct target_summary *s = &ts[t];
        s->n++;
        s->rows = r->rows;
        s->cols = r->cols;
        s->max_abs = fmax(s->max_abs, r->max_abs_err);
        s->sum_mean += r->mean_abs_err;
        s->max_rel = fmax(s->max_rel, r->rel_fro_err);
        s->max_resid = fmax(s->max_resid, r->resid_ratio);
        s->max_orth_u = fmax(s->max_orth_u, r->orth_u_ratio);
        s->max_orth_v = fmax(s->max_orth_v, r->orth_v_ratio);
        s->sum_svd += r->svd_seconds;
        passed += r->pass != 0;
        sv_bad += r->sv_violations;
        /* NaN must surface in the worst-case figures, so compare with !(<=) */
        if (!(r->max_abs_err <= max_abs))
            max_abs = r->max_abs_err;
        if (!(r->resid_ratio <= worst_resid))
            worst_resid = r->resid_ratio;
        if (!(r->orth_u_ratio <= worst_u))
            worst_u = r->orth_u_ratio;
        if (!(r->orth_v_ratio <= worst_v))
            worst_v = r->orth_v_ratio;
        max_w = fmax(max_w, r->max_abs_w);
        sum_max += r->max_abs_err;
        sum_mean += r->mean_abs_err;
    }
    fprintf(out, "OSFT fidelity · %zu matrices · %s\n", n, dtype_name(cfg->dtype));
    fprintf(out, "  %-12s %-11s %4s %10s %11s %9s %6s %7s %7s %7s\n", "target", "shape", "n", "max|W-W'|",
            "mean|W-W'|", "rel.fro", "resid", "orth.U", "orth.V", "svd s");
    for (int t = 0; t < T_COUNT; t++) {
        const struct target_summary *s = &ts[t];
        if (!s->n)
            continue;
        char shape[32];
        snprintf(shape, sizeof shape, "%d×%d", s->rows, s->cols);
        fprintf(out, "  %-12s %-11s %4zu %10.1e %11.1e %9.1e %6.2f %7.2f %7.2f %7.2f\n", target_name((enum target)t),
                shape, s->n, s->max_abs, s->sum_mean / (double)s->n, s->max_rel, s->max_resid, s->max_orth_u,
                s->max_orth_v, s->sum_svd / (double)s->n);
    }
    const struct osft_record **order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return diag_fail(NULL, FR_RUNTIME, "out of memory");
    for (size_t i = 0; i < n; i++)
        order[i] = &rec[i];
    if (o->verbose) {
        fprintf(out, "  %-40s %11s %9s %10s %9s %6s %6s %6s %6s  %s\n", "matrix", "shape", "max", "mean", "rel.fro",
                "resid", "orth.U", "orth.V", "svd s", "rank");
        for (size_t i = 0; i < n; i++)
            print_matrix_row(out, order[i]);
    }
    qsort(order, n, sizeof *order, by_max_err_desc);
    fprintf(out, "  worst matrices by max|W-W'|:\n");
    for (size_t i = 0; i < n && i < 5; i++)
        print_matrix_row(out, order[i]);
    free(order);
    double rate = n ? 100.0 * (double)passed / (double)n : 0;
    char worst[48], mean_max[48], mean_mean[48];
    fprintf(out, "  %zu/%zu matrices within atol + rtol·|W| · max|W-W'| %s · mean of per-matrix max %s · "
                 "mean of per-matrix mean %s\n",
            passed, n, figure_text(max_abs, worst, sizeof worst),
            figure_text(n ? sum_max / (double)n : 0, mean_max, sizeof mean_max),
            figure_text(n ? sum_mean / (double)n : 0, mean_mean, sizeof mean_mean));

    double bound = cfg->atol + cfg->rtol * max_w;
    int fail = 0;
    fail |= check_add(checks, "osft", "success rate (matrices within tol)", "success_rate", rate,
                      cfg->min_success_rate, INFINITY, "%");
    fail |= check_add(checks, "osft", "max |W - W'| (atol + rtol*max|W|)", "max_abs_err", max_abs, -INFINITY,
                      bound, "");
    fail |= check_add(checks, "osft", "residual ratio, worst", "resid_ratio", worst_resid, -INFINITY,
                      cfg->ratio_threshold, "");
    fail |= check_add(checks, "osft", "orthogonality ratio U, worst", "orth_u_ratio", worst_u, -INFINITY,
                      cfg->ratio_threshold, "");
    fail |= check_add(checks, "osft", "orthogonality ratio V, worst", "orth_v_ratio", worst_v, -INFINITY,
                      cfg->ratio_threshold, "");
    fail |= check_add(checks, "osft", "singular values out of order or < 0", "sv_violations", (double)sv_bad, 0, 0,
                      "count");
    fail |= summarize_drivers(rec, n, out);
    summarize_reads(rec, n, out);
    fail |= summarize_cross_check(cfg, rec, n, out, checks);
    if (counts[1])
        fail |= summarize_broadcast(records[1], counts[1], out, checks);
    return fail ? FR_RUNTIME : FR_OK;
}

/* W and W', U and Vt of the thin SVD, and gesdd's workspace (JOBZ='S':
 * about 4k^2 + max(m, n) + 8k elements, 8k integers), at the run's precision. */
static double osft_task_bytes(const void *vcfg, const struct task *t)
{
    const struct osft_config *cfg = vcfg;
    double m = (double)t->dims[0], n = (double)t->dims[1], k = m < n ? m : n;
    double elem = cfg->dtype == DT_F64 ? 8 : 4;
    return elem * (2 * m * n + k * (m + n) + 4 * k * k + 8 * k + (m > n ? m : n)) + 32 * k;
}

const struct suite suite_osft = {
    .name = "osft",
    .config_size = sizeof(struct osft_config),
    .defaults = osft_defaults,
    .configure = osft_configure,
    .describe = osft_describe,
    .inputs = osft_inputs,
    .plan = osft_plan,
    .run = osft_run,
    .batch = osft_batch,
    .run_batch = osft_run_batch,
    .record_tables = osft_tables,
    .ntables = 1,
    .summarize = osft_summarize,
    .release = osft_checkpoint_close,
    .state_new = osft_state_new,
    .state_free = osft_state_free,
    .after_tasks = osft_broadcast,
    .after_table = &osft_bcast_table,
    .task_bytes = osft_task_bytes,
};
