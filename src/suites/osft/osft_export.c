/* --export-factors DIR: every target's OSFT factors as mini_trainer holds
 * them (<module>.osft_U_high, osft_S_high, osft_V_high, osft_U_low,
 * osft_S_low, osft_V_low), in a HuggingFace-style sharded folder. Each rank
 * writes its own shard, model-RRRRR-of-PPPPP.safetensors, with the factors of
 * the tasks the plan gave it: its header is known from the plan before the
 * first task, so each task's parts are written at their offsets as it
 * finishes and nothing is gathered. A matrix all ranks decomposed together
 * is one tensor per factor in rank 0's shard, each rank writing its own
 * rows of U there (osft_export_rows.c). Rank 0 writes
 * model.safetensors.index.json from the plan alone. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/half.h"
#include "core/osft/factors.h"
#include "io/safetensors.h"
#include "io/st_model.h"
#include "suites/osft/osft_impl.h"
#ifdef FIDRUN_CUDA
#include "cuda/gpu.h"
#endif

struct osft_export {
    struct st_writer w;
    int open;
    size_t *offset; /* by task id: its first part's offset in this rank's shard (SIZE_MAX: not this rank's) */
    enum st_dtype *dtype; /* by task id */
};

void osft_export_free(struct osft_export *x)
{
    if (!x)
        return;
    if (x->open)
        st_writer_abort(&x->w);
    free(x->offset);
    free(x->dtype);
    free(x);
}

/* The dtype a task's factors are written in: float32, or the model's (the
 * checkpoint tensor's, or the run's for synthetic weights). */
static enum st_dtype export_dtype(const struct osft_config *cfg, const struct task *t)
{
    if (cfg->export_dtype == EXPORT_FLOAT32)
        return ST_F32;
    const struct st_tensor *src = cfg->checkpoint ? st_model_find(cfg->checkpoint, t->name, NULL) : NULL;
    if (src && (src->dtype == ST_F16 || src->dtype == ST_BF16 || src->dtype == ST_F64))
        return src->dtype;
    return cfg->dtype == DT_F64 ? ST_F64 : ST_F32;
}

void osft_export_store(void *dst, size_t i, double v, enum st_dtype dt)
{
    if (dt == ST_F64)
        ((double *)dst)[i] = v;
    else if (dt == ST_F32)
        ((float *)dst)[i] = (float)v;
    else
        ((uint16_t *)dst)[i] = dt == ST_F16 ? half_bits((float)v) : bf16_bits((float)v);
}

static void shard_name(int rank, int nranks, char *buf, size_t size)
{
    snprintf(buf, size, "model-%05d-of-%05d.safetensors", rank + 1, nranks);
}

/* "model.layers.0.self_attn.q_proj.osft_U_high" */
static void part_name(const char *weight, enum osft_part p, char *buf, size_t size)
{
    size_t len = strlen(weight);
    int cut = len > 7 && strcmp(weight + len - 7, ".weight") == 0 ? (int)len - 7 : (int)len;
    snprintf(buf, size, "%.*s.%s", cut, weight, osft_part_name(p));
}

/* Task i's parts are in rank r's shard: r's own tasks, and in rank 0's
 * the ones all ranks ran together. */
static int in_shard(const struct run_context *ctx, size_t i, int r)
{
    int32_t owner = ctx->owner[i];
    return ctx->tasks->items[i].suite == ctx->suite && (owner == r || (owner == TASK_OWNER_ALL && r == 0));
}

/* A task this job ran: one rank's, or all ranks' together (not -1: done
 * before a resume, or left by an interrupt). */
static int ran_here(int32_t owner) { return owner >= 0 || owner == TASK_OWNER_ALL; }

static int export_dir(const struct osft_config *cfg, struct diag *d)
{
    if (mkdir(cfg->export_factors, 0755) && errno != EEXIST)
        return diag_fail(d, FR_RUNTIME, "--export-factors: cannot make the folder '%s': %s", cfg->export_factors,
                         strerror(errno));
    return FR_OK;
}

#define SHARD_META 4 /* format, content, unfreeze_rank_ratio, writer */

/* Rank r's shard as the plan makes it: every part of every task in it, in
 * plan order; the same on every rank. */
struct shard_plan {
    struct st_tensor *t;
    char (*names)[TASK_NAME_MAX + 16];
    size_t *offsets; /* from the data's start */
    size_t n;
    char path[4096], ratio[32];
    struct st_meta meta[SHARD_META];
};

static void shard_plan_free(struct shard_plan *sp)
{
    free(sp->t);
    free(sp->names);
    free(sp->offsets);
}

static int shard_plan_make(const struct osft_config *cfg, const struct run_context *ctx, int r, struct shard_plan *sp,
                           struct diag *d)
{
    size_t ntasks = ctx->tasks->n, nparts = 0;
    memset(sp, 0, sizeof *sp);
    for (size_t i = 0; i < ntasks; i++)
        nparts += in_shard(ctx, i, r) ? OP_COUNT : 0;
    sp->t = calloc(nparts ? nparts : 1, sizeof *sp->t);
    sp->names = calloc(nparts ? nparts : 1, sizeof *sp->names);
    sp->offsets = malloc((nparts ? nparts : 1) * sizeof *sp->offsets);
    if (!sp->t || !sp->names || !sp->offsets) {
        shard_plan_free(sp);
        return diag_fail(d, FR_RUNTIME, "out of memory");
    }
    for (size_t i = 0; i < ntasks; i++) {
        if (!in_shard(ctx, i, r))
            continue;
        const struct task *task = &ctx->tasks->items[i];
        int64_t m = task->dims[0], n = task->dims[1], ks = osft_split_rank(m, n, cfg->unfreeze_rank_ratio);
        enum st_dtype dt = export_dtype(cfg, task);
        for (int p = 0; p < OP_COUNT; p++, sp->n++) {
            int64_t rows, cols;
            osft_part_shape(m, n, ks, (enum osft_part)p, &rows, &cols);
            part_name(task->name, (enum osft_part)p, sp->names[sp->n], sizeof sp->names[sp->n]);
            sp->t[sp->n] = (struct st_tensor){.name = sp->names[sp->n], .dtype = dt, .ndim = cols ? 2 : 1,
                                              .shape = {rows, cols},
                                              .bytes = (size_t)(rows * (cols ? cols : 1)) * st_dtype_size(dt)};
        }
    }
    char shard[64];
    shard_name(r, ctx->nranks, shard, sizeof shard);
    snprintf(sp->path, sizeof sp->path, "%s/%s", cfg->export_factors, shard);
    snprintf(sp->ratio, sizeof sp->ratio, "%g", cfg->unfreeze_rank_ratio);
    struct st_meta meta[] = {{"format", "pt"}, {"content", "osft-factors"}, {"unfreeze_rank_ratio", sp->ratio},
                             {"writer", "fidrun"}};
    memcpy(sp->meta, meta, sizeof meta);
    return FR_OK;
}

/* This rank's shard, its header from the plan: every part of every task it holds. */
static int open_shard(const struct osft_config *cfg, const struct run_context *ctx, struct osft_export *x,
                      struct diag *d)
{
    size_t ntasks = ctx->tasks->n;
    struct shard_plan sp;
    x->offset = malloc((ntasks ? ntasks : 1) * sizeof *x->offset);
    x->dtype = malloc((ntasks ? ntasks : 1) * sizeof *x->dtype);
    if (!x->offset || !x->dtype)
        return diag_fail(d, FR_RUNTIME, "out of memory");
    int rc = shard_plan_make(cfg, ctx, ctx->rank, &sp, d);
    if (rc)
        return rc;
    if (!(rc = export_dir(cfg, d)) &&
        !(rc = st_writer_open(&x->w, sp.path, sp.t, sp.n, sp.meta, SHARD_META, sp.offsets, d)))
        x->open = 1;
    for (size_t i = 0, k = 0; i < ntasks; i++) {
        x->offset[i] = SIZE_MAX;
        if (in_shard(ctx, i, ctx->rank)) {
            x->offset[i] = sp.offsets[k];
            x->dtype[i] = sp.t[k].dtype;
            k += OP_COUNT;
        }
    }
    shard_plan_free(&sp);
    return rc;
}

static struct osft_export *export_of(const struct run_context *ctx, struct diag *d)
{
    struct osft_export **slot = osft_state_export(ctx->state, osft_export_free);
    if (!*slot && !(*slot = calloc(1, sizeof **slot)))
        diag_fail(d, FR_RUNTIME, "out of memory");
    return *slot;
}

int osft_export_open(const struct osft_config *cfg, const struct run_context *ctx, struct diag *d)
{
    struct osft_export *x = export_of(ctx, d);
    return !x ? FR_RUNTIME : x->open ? FR_OK : open_shard(cfg, ctx, x, d);
}

int osft_export_locate(const struct osft_config *cfg, const struct run_context *ctx, const struct task *t, int r,
                       struct export_place *at, struct diag *d)
{
    struct shard_plan sp;
    int rc = shard_plan_make(cfg, ctx, r, &sp, d);
    if (rc)
        return rc;
    size_t data_start = 0, k = 0;
    rc = st_header_layout(sp.t, sp.n, sp.meta, SHARD_META, sp.offsets, &data_start, d);
    for (size_t i = 0; i < (size_t)t->id; i++)
        k += in_shard(ctx, i, r) ? OP_COUNT : 0;
    if (!rc && (!in_shard(ctx, (size_t)t->id, r) || k + OP_COUNT > sp.n))
        rc = diag_fail(d, FR_RUNTIME, "%s: not in rank %d's shard", t->name, r);
    for (int p = 0; !rc && p < OP_COUNT; p++)
        at->offset[p] = data_start + sp.offsets[k + (size_t)p];
    if (!rc) {
        at->dtype = sp.t[k].dtype;
        st_writer_tmp_name(sp.path, at->path, sizeof at->path);
    }
    shard_plan_free(&sp);
    return rc;
}

/* One part, converted to the shard's dtype, at its offset. */
static int put_part(struct osft_export *x, size_t at, const float *v, size_t count, enum st_dtype dt, struct diag *d)
{
    if (dt == ST_F32)
        return st_writer_put(&x->w, at, v, count * 4, d);
    void *conv = malloc(count * st_dtype_size(dt));
    if (!conv)
        return diag_fail(d, FR_RUNTIME, "out of memory");
    for (size_t i = 0; i < count; i++)
        osft_export_store(conv, i, v[i], dt);
    int rc = st_writer_put(&x->w, at, conv, count * st_dtype_size(dt), d);
    free(conv);
    return rc;
}

int osft_export_task(const struct osft_config *cfg, const struct run_context *ctx, const struct task *t,
                     const struct held_factors *h, int64_t ks, struct diag *d)
{
    struct osft_export *x = export_of(ctx, d);
    if (!x)
        return FR_RUNTIME;
    int rc = x->open ? FR_OK : open_shard(cfg, ctx, x, d);
    if (rc || x->offset[t->id] == SIZE_MAX)
        return rc ? rc : diag_fail(d, FR_RUNTIME, "%s: not in this rank's plan", t->name);
    const void *buf = h->buf;
    void *host = NULL;
    if (h->on_device) {
#ifdef FIDRUN_CUDA
        if (!(host = malloc(h->bytes)))
            return diag_fail(d, FR_RUNTIME, "out of memory for the factors of %s", t->name);
        if ((rc = gpu_to_host(host, h->buf, h->bytes, d))) {
            free(host);
            return rc;
        }
        buf = host;
#else
        return diag_fail(d, FR_RUNTIME, "%s: factors in GPU memory in a build without CUDA", t->name);
#endif
    }
    int64_t m = t->dims[0], n = t->dims[1], rows, cols, biggest = 0;
    for (int p = 0; p < OP_COUNT; p++) {
        osft_part_shape(m, n, ks, (enum osft_part)p, &rows, &cols);
        biggest = rows * (cols ? cols : 1) > biggest ? rows * (cols ? cols : 1) : biggest;
    }
    float *v = malloc((size_t)(biggest ? biggest : 1) * sizeof *v);
    size_t at = x->offset[t->id];
    enum st_dtype dt = x->dtype[t->id];
    if (!v)
        rc = diag_fail(d, FR_RUNTIME, "out of memory for the factors of %s", t->name);
    for (int p = 0; !rc && p < OP_COUNT; p++) {
        osft_part_shape(m, n, ks, (enum osft_part)p, &rows, &cols);
        size_t count = (size_t)(rows * (cols ? cols : 1));
        if (factor_part_extract(buf, ks, (enum osft_part)p, v))
            rc = diag_fail(d, FR_RUNTIME, "%s: the factor buffer's header is not valid", t->name);
        else if (!(rc = put_part(x, at, v, count, dt, d)))
            at += count * st_dtype_size(dt);
    }
    free(v);
    free(host);
    return rc;
}

/* Rank 0: which shard holds each part, from the plan. */
static int write_index(const struct osft_config *cfg, const struct run_context *ctx, struct diag *d)
{
    json_t *map = json_object(), *meta = json_object();
    double total = 0;
    for (size_t i = 0; i < ctx->tasks->n; i++) {
        const struct task *t = &ctx->tasks->items[i];
        int32_t owner = ctx->owner[i];
        if (t->suite != ctx->suite || !ran_here(owner))
            continue;
        char shard[64], name[TASK_NAME_MAX + 16];
        shard_name(owner == TASK_OWNER_ALL ? 0 : owner, ctx->nranks, shard, sizeof shard);
        int64_t m = t->dims[0], n = t->dims[1], ks = osft_split_rank(m, n, cfg->unfreeze_rank_ratio), r, c;
        for (int p = 0; p < OP_COUNT; p++) {
            part_name(t->name, (enum osft_part)p, name, sizeof name);
            json_object_set_new(map, name, json_string(shard));
            osft_part_shape(m, n, ks, (enum osft_part)p, &r, &c);
            total += (double)(r * (c ? c : 1)) * (double)st_dtype_size(export_dtype(cfg, t));
        }
    }
    json_object_set_new(meta, "total_size", json_integer((json_int_t)total));
    json_object_set_new(meta, "content", json_string("osft-factors"));
    json_object_set_new(meta, "unfreeze_rank_ratio", json_real(cfg->unfreeze_rank_ratio));
    json_object_set_new(meta, "source", json_string(cfg->source == SOURCE_CHECKPOINT ? cfg->path : "synthetic"));
    json_t *doc = json_pack("{s:o, s:o}", "metadata", meta, "weight_map", map);
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", cfg->export_factors);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int bad = !doc || json_dump_file(doc, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) || rename(tmp, path);
    json_decref(doc);
    return bad ? diag_fail(d, FR_RUNTIME, "--export-factors: cannot write %s: %s", path, strerror(errno)) : FR_OK;
}

int osft_export_finish(const struct osft_config *cfg, const struct run_context *ctx, struct diag *d)
{
    struct osft_export **slot = osft_state_export(ctx->state, osft_export_free);
    int rc = FR_OK, all_run = 1;
    for (size_t i = 0; i < ctx->tasks->n; i++)
        all_run &= ctx->tasks->items[i].suite != ctx->suite || ran_here(ctx->owner[i]);
    if (!all_run) { /* interrupted or resumed: a shard would hold parts never computed */
        if (*slot && (*slot)->open)
            st_writer_abort(&(*slot)->w);
        if (*slot)
            (*slot)->open = 0;
        if (ctx->rank == 0)
            fprintf(stderr, "fidrun: warning: --export-factors: not every matrix was decomposed in this run "
                            "(interrupted, or resumed), so no factors were written to %s; run it whole again\n",
                    cfg->export_factors);
        return FR_OK;
    }
    if (*slot && (*slot)->open) {
        (*slot)->open = 0;
        rc = st_writer_close(&(*slot)->w, d);
    }
    if (!rc && ctx->rank == 0 && !(rc = export_dir(cfg, d)))
        rc = write_index(cfg, ctx, d);
    return rc;
}
