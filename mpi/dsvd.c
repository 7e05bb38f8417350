/* The distributed matrix's layout, and the OSFT figures computed where its
 * blocks are: W' of each rank's rows from its U rows (with S and V^T that
 * every rank holds), the difference statistics and U^T U summed over the
 * ranks. */
#include "mpi/dsvd.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend.h"
#include "util/clock.h"
#include "util/meminfo.h"

const char *dsvd_method_name(int method)
{
    static const char *const names[] = {"auto", "tsqr", "scalapack"};
    return method >= 0 && method < DSVD_METHOD_COUNT ? names[method] : "?";
}

/* TSQR's blocks: the first m % P ranks one row more. */
static int64_t tsqr_rows(int64_t m, int rank, int nranks)
{
    return m / nranks + (rank < m % nranks ? 1 : 0);
}

static int64_t tsqr_first_row(int64_t m, int rank, int nranks)
{
    int64_t extra = m % nranks;
    return (int64_t)rank * (m / nranks) + (rank < extra ? rank : extra);
}

/* numroc for a P x 1 grid: the rows of m in blocks of nb dealt to ranks in turn. */
static int64_t cyclic_rows(int64_t m, int64_t nb, int rank, int nranks)
{
    int64_t blocks = m / nb, rows = blocks / nranks * nb, extra = blocks % nranks;
    if (rank < extra)
        rows += nb;
    else if (rank == extra)
        rows += m % nb;
    return rows;
}

int dsvd_layout_make(int method, int64_t m, int64_t n, int64_t block, int rank, int nranks,
                     struct dsvd_layout *l, struct diag *d)
{
    if (m < n)
        return diag_fail(d, FR_USAGE, "a distributed SVD needs a tall matrix (rows >= columns); %lld x %lld is not",
                         (long long)m, (long long)n);
    int tsqr_fits = m / nranks >= n;
    if (method == DSVD_AUTO)
        method = tsqr_fits || !dsvd_have_scalapack() ? DSVD_TSQR : DSVD_SCALAPACK;
    if (method == DSVD_TSQR && !tsqr_fits)
        return diag_fail(d, FR_USAGE, "tsqr needs at least %lld rows on each of the %d ranks; %lld x %lld gives %lld "
                                      "(use distributed_svd: scalapack)",
                         (long long)n, nranks, (long long)m, (long long)n, (long long)(m / nranks));
    if (method == DSVD_SCALAPACK && !dsvd_have_scalapack())
        return diag_fail(d, FR_USAGE, "this fidrun was built without ScaLAPACK (libscalapack-openmpi-dev on Debian; "
                                      "make deps installs it): use distributed_svd: tsqr");
    if (block < 1)
        return diag_fail(d, FR_USAGE, "the distributed block must be at least 1 row, not %lld", (long long)block);
    *l = (struct dsvd_layout){method, m, n, block, rank, nranks, 0};
    l->nlocal = method == DSVD_TSQR ? tsqr_rows(m, rank, nranks) : cyclic_rows(m, block, rank, nranks);
    return FR_OK;
}

int64_t dsvd_global_row(const struct dsvd_layout *l, int64_t i)
{
    if (l->method == DSVD_TSQR)
        return tsqr_first_row(l->m, l->rank, l->nranks) + i;
    return i / l->block * l->nranks * l->block + (int64_t)l->rank * l->block + i % l->block;
}

/* The OSFT figures of the decomposition, reduced over the ranks. */
static int figures(const struct dsvd_job *job, const struct matrix *u, const struct matrix *s,
                   const struct matrix *vt, struct dsvd_outcome *out, struct diag *d)
{
    const struct matrix *w = job->w_local;
    int64_t n = job->layout->n;
    enum dtype t = w->dtype;
    struct matrix rebuilt = {0}, gu = {0}, gv = {0};
    double *cols = calloc((size_t)(2 * n + 1), sizeof *cols);
    int rc = cols && !mat_alloc(&rebuilt, t, w->rows, n) && !mat_alloc(&gu, t, n, n) && !mat_alloc(&gv, t, n, n)
                 ? FR_OK
                 : diag_fail(d, FR_RUNTIME, "out of memory for the figures of a %lld-row block", (long long)w->rows);
    struct diff_partial p = {0};
    if (!rc && w->rows > 0)
        rc = cpu_reconstruct_split(u, s, vt, job->k_split, &rebuilt, d);
    if (!rc) {
        diff_partial_add(w, &rebuilt, job->atol, job->rtol, &p, cols, cols + n);
        if (w->rows > 0)
            rc = cpu_gram(u, GRAM_COLUMNS, &gu, d);
        else
            memset(gu.data, 0, (size_t)(n * n) * dtype_size(t));
    }
    if (!rc)
        rc = cpu_gram(vt, GRAM_ROWS, &gv, d);
    if (!rc) {
        double maxima[2] = {p.max_abs, p.max_abs_ref};
        double sums[6] = {p.sum_abs, p.sum_sq, p.sum_sq_ref, p.count, (double)p.violations, (double)p.nans};
        MPI_Allreduce(MPI_IN_PLACE, maxima, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, sums, 6, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, cols, (int)(2 * n), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, gu.data, (int)(n * n), t == DT_F32 ? MPI_FLOAT : MPI_DOUBLE, MPI_SUM,
                      MPI_COMM_WORLD);
        p = (struct diff_partial){maxima[0], maxima[1], sums[0], sums[1], sums[2], sums[3], (int64_t)sums[4],
                                  (int64_t)sums[5]};
        diff_partial_finish(&p, cols, cols + n, n, &out->ds);
        out->defect_u = identity_defect_norm1(&gu);
        out->defect_v = identity_defect_norm1(&gv);
    }
    free(cols);
    mat_free(&rebuilt), mat_free(&gu), mat_free(&gv);
    return rc;
}

int dsvd_run(const struct dsvd_job *job, struct dsvd_outcome *out, struct diag *d)
{
    const struct dsvd_layout *l = job->layout;
    struct matrix u, vt;
    double sent = 0, t0 = now_seconds();
    memset(out, 0, sizeof *out);
    int rc = l->method == DSVD_TSQR ? dsvd_tsqr(job->w_local, l, &u, &out->s, &vt, &sent, d)
                                    : dsvd_scalapack(job->w_local, l, &u, &out->s, &vt, &sent, d);
    if (rc)
        return rc;
    double t1 = now_seconds();
    rc = figures(job, &u, &out->s, &vt, out, d);
    double times[3] = {t1 - t0, now_seconds() - t1, process_peak_rss_mib()};
    if (rc || !job->keep_factors) {
        mat_free(&u);
        mat_free(&vt);
    } else {
        out->u = u;
        out->vt = vt;
    }
    if (rc) {
        mat_free(&out->s);
        return rc;
    }
    MPI_Allreduce(MPI_IN_PLACE, times, 3, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, &sent, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    out->svd_seconds = times[0];
    out->metric_seconds = times[1];
    out->peak_rss_mib = times[2];
    out->bytes_sent = sent;
    return FR_OK;
}
