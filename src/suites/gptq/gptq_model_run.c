/* The gptq suite's plan and tasks. A linear: its weight, its calibration
 * activations, RTN or GPTQ, the HF packing, written into this rank's shard
 * and read back; a copy: the tensor's bytes as they are. Each rank's shard
 * has its header from the plan (every tensor its tasks write), opened at
 * its first task, so each task writes at its own offsets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/quant/calibration.h"
#include "core/quant/quant_error.h"
#include "io/activations.h"
#include "suites/gptq/gptq_model_impl.h"
#include "util/clock.h"
#include "util/hash.h"

void gptq_module_of(const char *weight, char *buf, size_t size)
{
    size_t len = strlen(weight);
    int cut = len > 7 && strcmp(weight + len - 7, ".weight") == 0 ? (int)len - 7 : (int)len;
    snprintf(buf, size, "%.*s", cut, weight);
}

void gptq_shard_name(int rank, int nranks, char *buf, size_t size)
{
    snprintf(buf, size, "model-%05d-of-%05d.safetensors", rank + 1, nranks);
}

size_t gptq_item_tensors(const struct gptq_model_config *cfg, const struct gptq_item *it, struct st_tensor *t,
                         char (*names)[TASK_NAME_MAX + 16])
{
    if (!it->quantize) {
        const struct st_tensor *src = st_model_find(cfg->model, it->name, NULL);
        snprintf(names[0], sizeof names[0], "%s", it->name);
        t[0] = *src;
        t[0].name = names[0];
        return 1;
    }
    char module[TASK_NAME_MAX];
    gptq_module_of(it->name, module, sizeof module);
    int64_t bits = cfg->spec.bits, groups = quant_groups(&cfg->spec, it->in);
    static const char *const suffix[] = {"qweight", "qzeros", "scales", "g_idx"};
    for (int k = 0; k < 4; k++)
        snprintf(names[k], sizeof names[k], "%s.%s", module, suffix[k]);
    t[0] = (struct st_tensor){.name = names[0], .dtype = ST_I32, .ndim = 2, .shape = {it->in * bits / 32, it->out}};
    t[1] = (struct st_tensor){.name = names[1], .dtype = ST_I32, .ndim = 2, .shape = {groups, it->out * bits / 32}};
    t[2] = (struct st_tensor){.name = names[2], .dtype = ST_F16, .ndim = 2, .shape = {groups, it->out}};
    t[3] = (struct st_tensor){.name = names[3], .dtype = ST_I32, .ndim = 1, .shape = {it->in}};
    for (int k = 0; k < 4; k++)
        t[k].bytes = (size_t)(t[k].shape[0] * (k == 3 ? 1 : t[k].shape[1])) * (k == 2 ? 2 : 4);
    return 4;
}

static void layer_group(const char *name, char *buf, size_t size)
{
    /* the name up to its layer's number, else the name: how progress groups the tasks */
    const char *p = name;
    for (; (p = strchr(p, '.')); p++)
        if (p[1] >= '0' && p[1] <= '9') {
            const char *e = p + 1;
            while (*e >= '0' && *e <= '9')
                e++;
            if (*e == '.') {
                snprintf(buf, size, "%.*s", (int)(e - name), name);
                return;
            }
        }
    snprintf(buf, size, "%.*s", (int)(size - 1), name);
}

int gptq_model_plan(const void *vcfg, struct task_list *tasks, struct diag *d)
{
    const struct gptq_model_config *cfg = vcfg;
    for (size_t i = 0; i < cfg->nitems; i++) {
        const struct gptq_item *it = &cfg->items[i];
        /* GPTQ: the Hessian (tokens x in^2), its Cholesky (in^3), the sweep (out x in^2);
         * a copy: its bytes, a few operations each */
        double in = (double)it->in;
        struct task t = {.table = it->quantize ? GPTQ_TABLE_LAYERS : GPTQ_TABLE_COPIES,
                         .cost = it->quantize ? (double)cfg->tokens * in * in + in * in * in + (double)it->out * in * in
                                              : 4.0 * (double)it->bytes,
                         .dims = {it->out, it->in, (int64_t)i, 0}};
        snprintf(t.name, sizeof t.name, "%s", it->name);
        layer_group(it->name, t.group, sizeof t.group);
        if (task_list_push(tasks, &t))
            return diag_fail(d, FR_RUNTIME, "out of memory while planning");
    }
    return FR_OK;
}

/* ---- this rank's shard ---- */

struct gptq_state {
    struct st_writer w;
    int open;
    size_t *offset; /* by task id: its first tensor's offset (SIZE_MAX: not this rank's) */
    size_t n;
};

int gptq_model_state_new(const void *cfg, const struct task_list *tasks, void **state)
{
    (void)cfg;
    struct gptq_state *s = calloc(1, sizeof *s);
    if (!s || !(s->offset = malloc((tasks->n ? tasks->n : 1) * sizeof *s->offset))) {
        free(s);
        return FR_RUNTIME;
    }
    s->n = tasks->n;
    for (size_t i = 0; i < s->n; i++)
        s->offset[i] = SIZE_MAX;
    *state = s;
    return FR_OK;
}

void gptq_model_state_free(void *state)
{
    struct gptq_state *s = state;
    if (s->open)
        st_writer_abort(&s->w);
    free(s->offset);
    free(s);
}

struct st_writer *gptq_model_shard(void *state, int *open)
{
    struct gptq_state *s = state;
    *open = s->open;
    s->open = 0; /* the caller closes or aborts it now */
    return &s->w;
}

static int open_shard(const struct gptq_model_config *cfg, const struct run_context *ctx, struct gptq_state *s,
                      struct diag *d)
{
    size_t nt = 0, cap = 0;
    for (size_t i = 0; i < ctx->tasks->n; i++)
        if (ctx->tasks->items[i].suite == ctx->suite && ctx->owner[i] == ctx->rank)
            cap += 4;
    struct st_tensor *t = calloc(cap ? cap : 1, sizeof *t);
    char (*names)[TASK_NAME_MAX + 16] = calloc(cap ? cap : 1, sizeof *names);
    size_t *offsets = malloc((cap ? cap : 1) * sizeof *offsets), *first = calloc(ctx->tasks->n ? ctx->tasks->n : 1,
                                                                                   sizeof *first);
    int rc = t && names && offsets && first ? FR_OK : diag_fail(d, FR_RUNTIME, "out of memory");
    if (!rc && mkdir(cfg->out, 0755) && errno != EEXIST)
        rc = diag_fail(d, FR_RUNTIME, "cannot make the folder '%s': %s", cfg->out, strerror(errno));
    for (size_t i = 0; !rc && i < ctx->tasks->n; i++) {
        const struct task *task = &ctx->tasks->items[i];
        if (task->suite != ctx->suite || ctx->owner[i] != ctx->rank)
            continue;
        first[i] = nt;
        nt += gptq_item_tensors(cfg, &cfg->items[task->dims[2]], t + nt, names + nt);
    }
    char path[1100], shard[64];
    gptq_shard_name(ctx->rank, ctx->nranks, shard, sizeof shard);
    snprintf(path, sizeof path, "%s/%s", cfg->out, shard);
    struct st_meta meta[] = {{"format", "pt"}};
    if (!rc && !(rc = st_writer_open(&s->w, path, t, nt, meta, 1, offsets, d)))
        s->open = 1;
    for (size_t i = 0; !rc && i < ctx->tasks->n; i++)
        if (ctx->tasks->items[i].suite == ctx->suite && ctx->owner[i] == ctx->rank)
            s->offset[i] = offsets[first[i]];
    free(t);
    free(names);
    free(offsets);
    free(first);
    return rc;
}

/* ---- a linear ---- */

/* W as nn.Linear holds it, out x in row-major. */
static int read_weight(const struct gptq_model_config *cfg, const struct gptq_item *it, float **w, struct diag *d)
{
    const struct st_file *shard;
    const struct st_tensor *t = st_model_find(cfg->model, it->name, &shard);
    size_t count = (size_t)(it->out * it->in);
    float *raw = malloc(count * sizeof *raw);
    *w = it->transposed ? malloc(count * sizeof **w) : raw;
    int rc = raw && *w ? st_to_f32(shard, t, raw, d) : diag_fail(d, FR_RUNTIME, "out of memory for %s", it->name);
    if (!rc && it->transposed) /* the file's [in, out] */
        for (int64_t i = 0; i < it->out; i++)
            for (int64_t j = 0; j < it->in; j++)
                (*w)[i * it->in + j] = raw[j * it->out + i];
    if (it->transposed)
        free(raw);
    if (rc) {
        free(*w);
        *w = NULL;
    }
    return rc;
}

static int activations(const struct gptq_model_config *cfg, const struct run_context *ctx, const struct gptq_item *it,
                       struct activation_sets *a, struct diag *d)
{
    char module[TASK_NAME_MAX];
    gptq_module_of(it->name, module, sizeof module);
    if (cfg->calib_file[0])
        return activation_sets_from_file(cfg->calib_file, module, it->in, cfg->held_out, a, d);
    struct synthetic_activations sa = {.factors = 16, .correlation = 0.8, .outliers = 8, .outlier_min = 10,
                                       .outlier_max = 100};
    return activation_sets_synthetic(&sa, ctx->seed ^ fnv1a64_bytes(FNV1A64_OFFSET, module, strlen(module)), it->in, cfg->tokens, cfg->held_out, a, d);
}

static int write_packed(struct gptq_state *s, size_t at, const struct gptq_packed *p, struct diag *d)
{
    size_t words = (size_t)(p->in * p->bits / 32 * p->out), zwords = (size_t)(p->groups * p->out * p->bits / 32),
           scales = (size_t)(p->groups * p->out);
    int rc = st_writer_put(&s->w, at, p->qweight, words * 4, d);
    if (!rc)
        rc = st_writer_put(&s->w, at += words * 4, p->qzeros, zwords * 4, d);
    if (!rc)
        rc = st_writer_put(&s->w, at += zwords * 4, p->scales, scales * 2, d);
    if (!rc)
        rc = st_writer_put(&s->w, at + scales * 2, p->g_idx, (size_t)p->in * 4, d);
    return rc;
}

static int run_linear(const struct gptq_model_config *cfg, const struct run_context *ctx, const struct task *t,
                      struct gptq_state *s, struct gptq_layer_row *r, struct diag *d)
{
    const struct gptq_item *it = &cfg->items[t->dims[2]];
    float *w = NULL, *wq = NULL;
    struct activation_sets a = {0};
    struct quantized qz = {0}, back = {0};
    struct gptq_packed p = {0};
    int rc = read_weight(cfg, it, &w, d);
    if (!rc)
        rc = activations(cfg, ctx, it, &a, d);
    double t0 = now_seconds(), hs = 0, qs = 0;
    if (!rc)
        rc = cfg->method == GM_RTN ? rtn_quantize(w, it->out, it->in, &cfg->spec, &qz, d)
                                   : ctx->backend->gptq_layer(w, it->out, it->in, a.calib, a.ncalib, cfg->samples,
                                                              &cfg->spec, &qz, &hs, &qs, d);
    r->quant_seconds = now_seconds() - t0;
    if (!rc)
        rc = gptq_pack(&qz, (enum zero_format)cfg->format, &p, &r->v1_wrapped, d);
    if (!rc)
        rc = write_packed(s, s->offset[t->id], &p, d);
    /* what a loader reads: the packed tensors unpacked and dequantized */
    if (!rc)
        rc = gptq_unpack(&p, (enum zero_format)cfg->format, &back, d);
    struct quant_error e = {0};
    if (!rc && (!(wq = malloc((size_t)(it->out * it->in) * sizeof *wq)) ||
                (quantized_dequantize(&back, wq), quant_error_compute(w, wq, it->out, it->in, a.held, a.nheld, &e))))
        rc = diag_fail(d, FR_RUNTIME, "out of memory measuring the error of %s", it->name);
    if (!rc) {
        snprintf(r->name, sizeof r->name, "%s", it->name);
        snprintf(r->target, sizeof r->target, "%s", it->label);
        r->rows = (int32_t)it->out;
        r->cols = (int32_t)it->in;
        r->bits = cfg->spec.bits;
        r->group_size = (int32_t)cfg->spec.group_size;
        r->rel_out_err = e.rel_out_err;
        r->sqnr_db = e.sqnr_db;
        r->weight_mse = e.weight_mse;
        r->max_abs_w_err = e.max_abs_w_err;
        r->nan_count = e.nan_count;
        r->inf_count = e.inf_count;
        r->gptq_loss = qz.loss;
        r->damp = qz.damp;
        r->roundtrip_ok = !memcmp(back.q, qz.q, (size_t)(it->out * it->in) * sizeof *qz.q);
    }
    free(w);
    free(wq);
    activation_sets_free(&a);
    quantized_free(&qz);
    quantized_free(&back);
    gptq_packed_free(&p);
    return rc;
}

int gptq_model_run(const void *vcfg, const struct run_context *ctx, const struct task *t, void *record,
                   struct diag *d)
{
    const struct gptq_model_config *cfg = vcfg;
    struct gptq_state *s = ctx->state;
    int rc = s->open ? FR_OK : open_shard(cfg, ctx, s, d);
    if (rc)
        return rc;
    if (t->table == GPTQ_TABLE_LAYERS)
        return run_linear(cfg, ctx, t, s, record, d);
    const struct gptq_item *it = &cfg->items[t->dims[2]];
    const struct st_tensor *src = st_model_find(cfg->model, it->name, NULL);
    struct gptq_copy_row *r = record;
    snprintf(r->name, sizeof r->name, "%s", it->name);
    snprintf(r->dtype, sizeof r->dtype, "%s", st_dtype_name(src->dtype));
    r->bytes = (double)src->bytes;
    return src->bytes ? st_writer_put(&s->w, s->offset[t->id], src->data, src->bytes, d) : FR_OK;
}
