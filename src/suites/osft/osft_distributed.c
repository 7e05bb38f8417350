/* A matrix too large for one rank's task (an embedding, lm_head): every
 * rank reads or makes only its block of rows, the ranks decompose it
 * together (mpi/dsvd.h: TSQR or ScaLAPACK), and the record carries the
 * same figures as a whole-matrix task's, computed without gathering W;
 * with --export-factors each rank writes its rows of U (osft_export_rows.c). */
#include "suites/osft/osft_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi/dsvd.h"

int osft_run_distributed(const struct osft_config *cfg, const struct run_context *ctx, const struct task *t,
                         struct osft_record *r, struct diag *d)
{
    int64_t m = t->dims[0], n = t->dims[1];
    struct dsvd_layout l;
    int rc = dsvd_layout_make(cfg->distributed_svd, m, n, cfg->distributed_block, ctx->rank, ctx->nranks, &l, d);
    if (rc)
        return rc;
    int64_t *rows = malloc((size_t)(l.nlocal ? l.nlocal : 1) * sizeof *rows);
    if (!rows)
        return diag_fail(d, FR_RUNTIME, "out of memory for the row list of %s", t->name);
    for (int64_t i = 0; i < l.nlocal; i++)
        rows[i] = dsvd_global_row(&l, i);
    const struct osft_checkpoint_matrix *cm = osft_task_matrix(cfg, t);
    struct matrix_source src = {(enum matrix_source_kind)cfg->source, ctx->seed, cfg->spectrum, cfg->checkpoint,
                                cm && cm->transposed};
    struct matrix w = {0};
    rc = matrix_source_load_rows(&src, t->name, m, n, rows, l.nlocal, (enum dtype)cfg->dtype, &w, d);
    free(rows);
    if (rc)
        return rc;
    struct dsvd_job job = {.w_local = &w,
                           .layout = &l,
                           .k_split = osft_split_rank(m, n, cfg->unfreeze_rank_ratio),
                           .atol = cfg->atol,
                           .rtol = cfg->rtol,
                           .keep_factors = cfg->export_factors[0] != 0};
    struct dsvd_outcome o;
    rc = dsvd_run(&job, &o, d);
    mat_free(&w);
    if (!rc && job.keep_factors)
        rc = osft_export_rows(cfg, ctx, t, &l, &o.u, &o.s, &o.vt, job.k_split, d);
    mat_free(&o.u);
    mat_free(&o.vt);
    if (rc) {
        mat_free(&o.s);
        return rc;
    }
    struct osft_outcome whole = {.ds = o.ds,
                                 .defect_u = o.defect_u,
                                 .defect_v = o.defect_v,
                                 .svd_seconds = o.svd_seconds,
                                 .driver = SVD_GESDD,
                                 .err_sigma = NAN,
                                 .s = o.s};
    for (int i = 0; i < SVD_DRIVER_COUNT; i++)
        whole.tune_seconds[i] = NAN;
    osft_fill_record(cfg, t, job.k_split, &whole, r);
    /* TSQR's last step is LAPACK gesdd of R on rank 0; ScaLAPACK's is p?gesvd */
    snprintf(r->svd_driver, sizeof r->svd_driver, "%s", l.method == DSVD_TSQR ? "gesdd" : "pgesvd");
    snprintf(r->distributed, sizeof r->distributed, "%s", dsvd_method_name(l.method));
    r->batch = 1;
    r->ranks_used = ctx->nranks;
    r->bytes_sent = o.bytes_sent;
    r->peak_rss_mib = o.peak_rss_mib;
    r->bytes_read = osft_checkpoint_bytes(cfg, t->name);
    mat_free(&o.s);
    return FR_OK;
}
