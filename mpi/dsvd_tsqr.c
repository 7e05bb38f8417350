/* TSQR (Demmel, Grigori, Hoemmen, Langou 2012), then the SVD of its R:
 * the communication-optimal SVD of a tall-skinny matrix. Rank r holds a
 * contiguous block of at least n rows. Up the tree, level L pairs rank r
 * (r divisible by 2^(L+1)) with rank r + 2^L, which sends its n x n R; r
 * QRs the two stacked and keeps the reflectors. Rank 0 decomposes the last
 * R = U_R S V^T. Down the tree every node applies its reflectors to
 * [B; 0] (B = U_R at the root) and sends the lower half to its partner;
 * the leaves' Q applied to [B; 0] is U's block. */
#include "mpi/dsvd.h"

#include <lapacke.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend.h"

enum { TAG_UP = 100, TAG_DOWN = 200 };

static MPI_Datatype mpi_type(enum dtype t)
{
    return t == DT_F32 ? MPI_FLOAT : MPI_DOUBLE;
}

static int lapack_status(lapack_int info, const char *fn, enum dtype t, struct diag *d)
{
    if (info == 0)
        return FR_OK;
    if (info == LAPACK_WORK_MEMORY_ERROR)
        return diag_fail(d, FR_RUNTIME, "%c%s: out of memory for its workspace", t == DT_F32 ? 's' : 'd', fn);
    return diag_fail(d, FR_RUNTIME, "%c%s failed (info = %d)", t == DT_F32 ? 's' : 'd', fn, (int)info);
}

static int geqrf(struct matrix *a, struct matrix *tau, struct diag *d)
{
    lapack_int m = (lapack_int)a->rows, n = (lapack_int)a->cols, lda = (lapack_int)a->ld;
    lapack_int info = a->dtype == DT_F32 ? LAPACKE_sgeqrf(LAPACK_COL_MAJOR, m, n, a->data, lda, tau->data)
                                         : LAPACKE_dgeqrf(LAPACK_COL_MAJOR, m, n, a->data, lda, tau->data);
    return lapack_status(info, "geqrf", a->dtype, d);
}

/* c = Q c, Q the product of the reflectors geqrf left in a and tau. */
static int apply_q(const struct matrix *a, const struct matrix *tau, struct matrix *c, struct diag *d)
{
    lapack_int m = (lapack_int)c->rows, n = (lapack_int)c->cols, k = (lapack_int)a->cols;
    lapack_int info = a->dtype == DT_F32
                          ? LAPACKE_sormqr(LAPACK_COL_MAJOR, 'L', 'N', m, n, k, a->data, (lapack_int)a->ld,
                                           tau->data, c->data, (lapack_int)c->ld)
                          : LAPACKE_dormqr(LAPACK_COL_MAJOR, 'L', 'N', m, n, k, a->data, (lapack_int)a->ld,
                                           tau->data, c->data, (lapack_int)c->ld);
    return lapack_status(info, "ormqr", a->dtype, d);
}

/* r = the upper triangle of a's first n rows, zeros below. */
static void take_r(const struct matrix *a, struct matrix *r)
{
    memset(r->data, 0, (size_t)(r->ld * r->cols) * dtype_size(r->dtype));
    for (int64_t j = 0; j < r->cols; j++)
        for (int64_t i = 0; i <= j; i++)
            mat_set(r, i, j, mat_get(a, i, j));
}

static int levels_for(int nranks)
{
    int levels = 0;
    while ((1 << levels) < nranks)
        levels++;
    return levels;
}

struct tsqr_tree {
    int levels;
    struct matrix stacked[31], tau[31]; /* the reflectors of each level this rank combined at */
};

static void tree_free(struct tsqr_tree *t)
{
    for (int i = 0; i < t->levels; i++) {
        mat_free(&t->stacked[i]);
        mat_free(&t->tau[i]);
    }
}

/* Up the tree from this rank's R; returns the level it sent its R at (-1
 * for rank 0, which ends holding the last R in r). */
static int reduce_up(struct tsqr_tree *tree, struct matrix *r, const struct dsvd_layout *l, double *sent,
                     struct diag *d)
{
    int64_t n = l->n;
    enum dtype t = r->dtype;
    int count = (int)(n * n);
    for (int lev = 0; lev < tree->levels; lev++) {
        int step = 1 << lev;
        if (l->rank % (2 * step) == step) {
            MPI_Send(r->data, count, mpi_type(t), l->rank - step, TAG_UP + lev, MPI_COMM_WORLD);
            *sent += (double)count * (double)dtype_size(t);
            return lev;
        }
        if (l->rank + step >= l->nranks)
            continue;
        struct matrix *st = &tree->stacked[lev], *tau = &tree->tau[lev], other;
        if (mat_alloc(st, t, 2 * n, n) || mat_alloc(tau, t, n, 1) || mat_alloc(&other, t, n, n)) {
            diag_fail(d, FR_RUNTIME, "out of memory for the TSQR tree (%lld x %lld)", (long long)(2 * n),
                      (long long)n);
            return -2;
        }
        MPI_Recv(other.data, count, mpi_type(t), l->rank + step, TAG_UP + lev, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        mat_put_rows(st, 0, r);
        mat_put_rows(st, n, &other);
        mat_free(&other);
        if (geqrf(st, tau, d))
            return -2;
        take_r(st, r);
    }
    return -1;
}

/* Down the tree: b holds U_R at the root; at the end, this rank's n x n
 * block of the leaves' [B; 0]. */
static int expand_down(const struct tsqr_tree *tree, int sent_level, struct matrix *b, const struct dsvd_layout *l,
                       double *sent, struct diag *d)
{
    int64_t n = l->n;
    enum dtype t = b->dtype;
    int count = (int)(n * n);
    for (int lev = tree->levels - 1; lev >= 0; lev--) {
        int step = 1 << lev;
        if (lev == sent_level) {
            MPI_Recv(b->data, count, mpi_type(t), l->rank - step, TAG_DOWN + lev, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
            continue;
        }
        if (l->rank % (2 * step) != 0 || l->rank + step >= l->nranks)
            continue;
        struct matrix c, lower;
        if (mat_alloc(&c, t, 2 * n, n) || mat_alloc(&lower, t, n, n))
            return diag_fail(d, FR_RUNTIME, "out of memory for the TSQR tree");
        memset(c.data, 0, (size_t)(2 * n * n) * dtype_size(t));
        mat_put_rows(&c, 0, b);
        int rc = apply_q(&tree->stacked[lev], &tree->tau[lev], &c, d);
        if (!rc) {
            mat_take_rows(&c, 0, b);
            mat_take_rows(&c, n, &lower);
            MPI_Send(lower.data, count, mpi_type(t), l->rank + step, TAG_DOWN + lev, MPI_COMM_WORLD);
            *sent += (double)count * (double)dtype_size(t);
        }
        mat_free(&c);
        mat_free(&lower);
        if (rc)
            return rc;
    }
    return FR_OK;
}

int dsvd_tsqr(const struct matrix *w, const struct dsvd_layout *l, struct matrix *u, struct matrix *s,
              struct matrix *vt, double *bytes_sent, struct diag *d)
{
    int64_t n = l->n, ml = w->rows;
    enum dtype t = w->dtype;
    struct tsqr_tree tree = {.levels = levels_for(l->nranks)};
    struct matrix a = {0}, tau0 = {0}, r = {0}, b = {0};
    *bytes_sent = 0;
    *u = *s = *vt = (struct matrix){0};
    if (ml < n)
        return diag_fail(d, FR_USAGE, "TSQR needs at least %lld rows on every rank; rank %d has %lld", (long long)n,
                         l->rank, (long long)ml);
    if (mat_alloc(&a, t, ml, n) || mat_alloc(&tau0, t, n, 1) || mat_alloc(&r, t, n, n) || mat_alloc(&b, t, n, n) ||
        mat_alloc(s, t, n, 1) || mat_alloc(vt, t, n, n)) {
        mat_free(&a), mat_free(&tau0), mat_free(&r), mat_free(&b), mat_free(s), mat_free(vt);
        return diag_fail(d, FR_RUNTIME, "out of memory for TSQR's copy of %lld x %lld rows", (long long)ml,
                         (long long)n);
    }
    mat_put_rows(&a, 0, w);
    int rc = geqrf(&a, &tau0, d), sent_level = -1;
    if (!rc) {
        take_r(&a, &r);
        sent_level = reduce_up(&tree, &r, l, bytes_sent, d);
        rc = sent_level == -2 ? d->code : FR_OK;
    }
    if (!rc && l->rank == 0)
        rc = cpu_svd(&r, &b, s, vt, SVD_GESDD, d);
    /* the root's failure reaches the others as the job's end (the caller aborts) */
    if (!rc) {
        MPI_Bcast(s->data, (int)n, mpi_type(t), 0, MPI_COMM_WORLD);
        MPI_Bcast(vt->data, (int)(n * n), mpi_type(t), 0, MPI_COMM_WORLD);
        if (l->rank == 0)
            *bytes_sent += (double)(n + n * n) * (double)dtype_size(t) * (l->nranks - 1);
        rc = expand_down(&tree, sent_level, &b, l, bytes_sent, d);
    }
    if (!rc && mat_alloc(u, t, ml, n))
        rc = diag_fail(d, FR_RUNTIME, "out of memory for U's %lld x %lld rows", (long long)ml, (long long)n);
    if (!rc) {
        memset(u->data, 0, (size_t)(ml * n) * dtype_size(t));
        mat_put_rows(u, 0, &b);
        rc = apply_q(&a, &tau0, u, d);
    }
    tree_free(&tree);
    mat_free(&a), mat_free(&tau0), mat_free(&r), mat_free(&b);
    if (rc)
        mat_free(u), mat_free(s), mat_free(vt);
    return rc;
}
