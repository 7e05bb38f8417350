/* The OSFT suite's plan and tasks: one matrix (or a batch of small ones)
 * decomposed by the backend, a sample cross-checked against the CPU
 * reference, each task's record. */
#include "suites/osft/osft_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/osft/metrics.h"
#include "mpi/dsvd.h"
#include "util/meminfo.h"
#include "util/clock.h"

/* The name up to its layer's number ("encoder.layer.3"), or without
 * ".weight" outside the layers: how progress groups the tasks. */
static void layer_group(const struct osft_checkpoint_matrix *m, char *buf, size_t size)
{
    size_t len = strlen(m->name);
    size_t end = len > 7 ? len - 7 : len;
    if (m->layer >= 0) {
        char num[32];
        int nlen = snprintf(num, sizeof num, ".%lld", (long long)m->layer);
        for (const char *p = strstr(m->name, num); p; p = strstr(p + 1, num))
            if (p[nlen] == '.') {
                end = (size_t)(p - m->name) + (size_t)nlen;
                break;
            }
    }
    snprintf(buf, size, "%.*s", (int)end, m->name);
}

/* The weight of task t as nn.Linear holds it (rows x cols = out x in). */
static int load_weight(const struct osft_config *cfg, uint64_t seed, const struct task *t, struct matrix *w,
                       struct diag *d)
{
    const struct osft_checkpoint_matrix *cm = osft_task_matrix(cfg, t);
    struct matrix_source src = {(enum matrix_source_kind)cfg->source, seed, cfg->spectrum, cfg->checkpoint,
                                cm && cm->transposed};
    return matrix_source_load(&src, t->name, t->dims[0], t->dims[1], (enum dtype)cfg->dtype, w, d);
}

static int osft_plan_tasks(const void *vcfg, struct task_list *tasks, struct diag *d);

/* Tall matrices whose whole-matrix task would peak above
 * distribute_above_mib become collective: every rank holds a block. */
static void mark_distributed(const struct osft_config *cfg, struct task_list *tasks, size_t first)
{
    for (size_t i = first; i < tasks->n; i++) {
        struct task *t = &tasks->items[i];
        if (osft_task_bytes(cfg, t, 1) / 1048576.0 > cfg->distribute_above_mib && t->dims[0] >= t->dims[1])
            t->collective = 1;
    }
}

int osft_plan(const void *vcfg, struct task_list *tasks, struct diag *d)
{
    size_t first = tasks->n;
    int rc = osft_plan_tasks(vcfg, tasks, d);
    if (!rc)
        mark_distributed(vcfg, tasks, first);
    return rc;
}

static int osft_plan_tasks(const void *vcfg, struct task_list *tasks, struct diag *d)
{
    const struct osft_config *cfg = vcfg;
    for (size_t i = 0; cfg->source == SOURCE_CHECKPOINT && i < cfg->nmatrices; i++) {
        const struct osft_checkpoint_matrix *m = &cfg->matrices[i];
        double kmin = m->rows < m->cols ? m->rows : m->cols;
        /* dims[3]: the matrix, whose label and layout the record and the reader need */
        struct task task = {.cost = (double)m->rows * m->cols * kmin, .dims = {m->rows, m->cols, m->layer, (int64_t)i}};
        snprintf(task.name, sizeof task.name, "%s", m->name);
        layer_group(m, task.group, sizeof task.group);
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

/* The weight of task t, and the job for it. */
static int load_job(const struct osft_config *cfg, const struct run_context *ctx, const struct task *t,
                    struct matrix *w, struct osft_job *job, struct diag *d)
{
    int64_t m = t->dims[0], n = t->dims[1];
    int rc = load_weight(cfg, ctx->seed, t, w, d);
    *job = (struct osft_job){
        .w = w,
        .k_split = osft_split_rank(m, n, cfg->unfreeze_rank_ratio),
        .atol = cfg->atol,
        .rtol = cfg->rtol,
        .driver = cfg->svd_driver,
        .keep_factors = osft_keeps_factors(cfg, ctx) || cfg->export_factors[0],
    };
    return rc;
}

/* The record from the backend's outcome, the CPU cross-check where due,
 * and the factors kept for the broadcast; releases the outcome. */
static int finish_job(const struct osft_config *cfg, const struct run_context *ctx, const struct task *t,
                      const struct osft_job *job, struct osft_outcome *o, struct osft_record *r, struct diag *d)
{
    osft_fill_record(cfg, t, job->k_split, o, r);
    r->batch = 1;
    r->bytes_read = osft_checkpoint_bytes(cfg, t->name);
    int rc = wants_cross_check(cfg, ctx, t, o->driver) ? cross_check(job, o, r, d) : FR_OK;
    if (!rc && cfg->export_factors[0])
        rc = osft_export_task(cfg, ctx, t, &o->held, job->k_split, d);
    if (!rc && osft_keeps_factors(cfg, ctx))
        osft_state_keep(ctx->state, t->id, &o->held);
    held_factors_release(&o->held);
    mat_free(&o->s);
    return rc;
}

int osft_run(const void *vcfg, const struct run_context *ctx, const struct task *t, void *vrec,
                    struct diag *d)
{
    const struct osft_config *cfg = vcfg;
    if (t->collective && (ctx->nranks > 1 || cfg->distributed_svd != DSVD_AUTO))
        return osft_run_distributed(cfg, ctx, t, vrec, d);
    struct matrix w = {0};
    struct osft_job job;
    struct osft_outcome o;
    int rc = load_job(cfg, ctx, t, &w, &job, d);

    if (!rc && !(rc = ctx->backend->osft_matrix(&job, &o, d)))
        rc = finish_job(cfg, ctx, t, &job, &o, vrec, d);
    struct osft_record *r = vrec;
    if (!rc && t->collective) { /* one rank: the whole matrix, as LAPACK does it */
        snprintf(r->distributed, sizeof r->distributed, "lapack");
        r->peak_rss_mib = process_peak_rss_mib();
    }
    mat_free(&w);
    return rc;
}

/* Small matrices run together, which a GPU overlaps on its lanes (the CPU
 * runs them one after another): up to two per lane, consecutive in this
 * rank's order. */
size_t osft_batch(const void *vcfg, const struct run_context *ctx, const struct task *const *tasks,
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

int osft_run_batch(const void *vcfg, const struct run_context *ctx, const struct task *const *tasks,
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

/* W and W', U and Vt of the thin SVD, and gesdd's workspace (JOBZ='S':
 * about 4k^2 + max(m, n) + 8k elements, 8k integers), at the run's precision. */
double osft_task_bytes(const void *vcfg, const struct task *t, int ranks)
{
    const struct osft_config *cfg = vcfg;
    double m = (double)t->dims[0], n = (double)t->dims[1], k = m < n ? m : n;
    double elem = cfg->dtype == DT_F64 ? 8 : 4;
    if (t->collective && ranks > 1) { /* a rank's block: W, its copy, U's rows, W' (mpi/dsvd.h), and the n x n
                                         pieces every rank holds: V^T, two Gram matrices, the TSQR tree's levels */
        double rows = ceil(m / ranks), levels = ceil(log2((double)ranks));
        return elem * (4 * rows * n + (8 + 2 * levels) * n * n) + 16 * n;
    }
    return elem * (2 * m * n + k * (m + n) + 4 * k * k + 8 * k + (m > n ? m : n)) + 32 * k;
}

/* A checkpoint's tensor, read and held finite before the run (synthetic
 * weights have nothing to check). */
int osft_check_inputs(const void *vcfg, const struct task *t, struct diag *d)
{
    const struct osft_config *cfg = vcfg;
    if (cfg->source != SOURCE_CHECKPOINT)
        return FR_OK;
    if (t->collective) /* never read whole: each rank's block is held finite when it is read */
        return FR_OK;
    struct matrix w;
    int rc = load_weight(cfg, 0, t, &w, d);
    if (!rc)
        mat_free(&w);
    return rc;
}
