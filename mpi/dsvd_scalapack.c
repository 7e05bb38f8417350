/* p?gesvd on a P x 1 BLACS grid made from MPI_COMM_WORLD: W's rows
 * block-cyclic in blocks of `block` rows (all of a row's columns on its
 * rank), U in the same layout, V^T (n x n) block-cyclic by rows and
 * gathered onto every rank afterwards. Built only with ScaLAPACK
 * (HAVE_SCALAPACK, libscalapack-openmpi-dev on Debian). */
#include "mpi/dsvd.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_SCALAPACK

/* ScaLAPACK and BLACS have no C header; these are their Fortran and C
 * entry points as the reference implementation defines them. */
int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_gridinit(int *context, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int context, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int context);
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *irsrc,
               const int *icsrc, const int *ictxt, const int *lld, int *info);
void psgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, float *a, const int *ia,
              const int *ja, const int *desca, float *s, float *u, const int *iu, const int *ju, const int *descu,
              float *vt, const int *ivt, const int *jvt, const int *descvt, float *work, const int *lwork,
              int *info);
void pdgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a, const int *ia,
              const int *ja, const int *desca, double *s, double *u, const int *iu, const int *ju,
              const int *descu, double *vt, const int *ivt, const int *jvt, const int *descvt, double *work,
              const int *lwork, int *info);

int dsvd_have_scalapack(void)
{
    return 1;
}

static int gesvd(enum dtype t, int m, int n, void *a, const int *desca, void *s, void *u, const int *descu,
                 void *vt, const int *descvt, void *work, int lwork)
{
    int one = 1, info = 0;
    if (t == DT_F32)
        psgesvd_("V", "V", &m, &n, a, &one, &one, desca, s, u, &one, &one, descu, vt, &one, &one, descvt, work,
                 &lwork, &info);
    else
        pdgesvd_("V", "V", &m, &n, a, &one, &one, desca, s, u, &one, &one, descu, vt, &one, &one, descvt, work,
                 &lwork, &info);
    return info;
}

/* V^T's local rows (nv x n, block-cyclic) from every rank into the whole
 * n x n on every rank. */
static int gather_vt(const struct matrix *local, const struct dsvd_layout *l, struct matrix *vt, double *sent,
                     struct diag *d)
{
    int p = l->nranks, n = (int)l->n, nb = (int)l->block, zero = 0;
    size_t es = dtype_size(local->dtype);
    int *counts = malloc((size_t)p * sizeof *counts), *displs = malloc((size_t)p * sizeof *displs);
    void *all = malloc((size_t)n * (size_t)n * es);
    if (!counts || !displs || !all) {
        free(counts), free(displs), free(all);
        return diag_fail(d, FR_RUNTIME, "out of memory gathering V^T");
    }
    for (int r = 0, off = 0; r < p; r++) {
        counts[r] = numroc_(&n, &nb, &r, &zero, &p) * n;
        displs[r] = off;
        off += counts[r];
    }
    MPI_Allgatherv(local->data, (int)(local->rows * n), local->dtype == DT_F32 ? MPI_FLOAT : MPI_DOUBLE, all, counts,
                   displs, local->dtype == DT_F32 ? MPI_FLOAT : MPI_DOUBLE, MPI_COMM_WORLD);
    *sent += (double)local->rows * n * (double)es * (p - 1);
    for (int r = 0; r < p; r++) {
        int rows = counts[r] / (n ? n : 1);
        struct matrix block = {local->dtype, rows, n, rows ? rows : 1, (char *)all + (size_t)displs[r] * es};
        for (int li = 0; li < rows; li++) {
            int64_t g = (int64_t)(li / nb) * p * nb + (int64_t)r * nb + li % nb;
            for (int j = 0; j < n; j++)
                mat_set(vt, g, j, mat_get(&block, li, j));
        }
    }
    free(counts), free(displs), free(all);
    return FR_OK;
}

int dsvd_scalapack(const struct matrix *w, const struct dsvd_layout *l, struct matrix *u, struct matrix *s,
                   struct matrix *vt, double *bytes_sent, struct diag *d)
{
    int m = (int)l->m, n = (int)l->n, nb = (int)l->block, p = l->nranks, zero = 0, info;
    enum dtype t = w->dtype;
    *bytes_sent = 0;
    *u = *s = *vt = (struct matrix){0};
    int handle = Csys2blacs_handle(MPI_COMM_WORLD), ctxt = handle, nprow, npcol, myrow, mycol;
    Cblacs_gridinit(&ctxt, "Row", p, 1);
    Cblacs_gridinfo(ctxt, &nprow, &npcol, &myrow, &mycol);
    int rc = FR_OK;
    if (myrow != l->rank || nprow != p || npcol != 1)
        rc = diag_fail(d, FR_RUNTIME, "BLACS placed rank %d at (%d, %d) of a %d x %d grid, not (%d, 0) of %d x 1",
                       l->rank, myrow, mycol, nprow, npcol, l->rank, p);
    int ml = numroc_(&m, &nb, &myrow, &zero, &nprow), nvl = numroc_(&n, &nb, &myrow, &zero, &nprow);
    int lda = ml > 1 ? ml : 1, ldv = nvl > 1 ? nvl : 1, desca[9], descv[9];
    if (!rc && ml != l->nlocal)
        rc = diag_fail(d, FR_RUNTIME, "rank %d holds %lld rows where ScaLAPACK expects %d", l->rank,
                       (long long)l->nlocal, ml);
    if (!rc) {
        descinit_(desca, &m, &n, &nb, &nb, &zero, &zero, &ctxt, &lda, &info);
        if (!info)
            descinit_(descv, &n, &n, &nb, &nb, &zero, &zero, &ctxt, &ldv, &info);
        if (info)
            rc = diag_fail(d, FR_RUNTIME, "descinit rejected argument %d", -info);
    }
    struct matrix a = {0}, vl = {0};
    void *work = NULL;
    int lwork = 0;
    if (!rc && (mat_alloc(&a, t, lda, n) || mat_alloc(u, t, lda, n) || mat_alloc(s, t, n, 1) ||
                mat_alloc(&vl, t, ldv, n) || mat_alloc(vt, t, n, n)))
        rc = diag_fail(d, FR_RUNTIME, "out of memory for p?gesvd's %d x %d local blocks", lda, n);
    if (!rc) {
        a.rows = u->rows = ml;
        vl.rows = nvl;
        mat_put_rows(&a, 0, w); /* p?gesvd overwrites its input */
        double query[2] = {0, 0};
        info = gesvd(t, m, n, a.data, desca, s->data, u->data, desca, vl.data, descv, query, -1);
        float q32;
        memcpy(&q32, query, sizeof q32);
        lwork = (int)(t == DT_F32 ? (double)q32 : query[0]) + 1;
        if (info)
            rc = diag_fail(d, FR_RUNTIME, "%cgesvd's workspace query failed (info = %d)", t == DT_F32 ? 's' : 'd',
                           info);
        else if (!(work = malloc((size_t)lwork * dtype_size(t))))
            rc = diag_fail(d, FR_RUNTIME, "out of memory for p?gesvd's workspace (%d elements)", lwork);
    }
    if (!rc && (info = gesvd(t, m, n, a.data, desca, s->data, u->data, desca, vl.data, descv, work, lwork)))
        rc = diag_fail(d, FR_RUNTIME, "%cgesvd %s (info = %d)", t == DT_F32 ? 's' : 'd',
                       info > 0 ? "did not converge" : "rejected an argument", info);
    free(work);
    mat_free(&a);
    if (!rc)
        rc = gather_vt(&vl, l, vt, bytes_sent, d);
    mat_free(&vl);
    Cblacs_gridexit(ctxt);
    Cfree_blacs_system_handle(handle);
    if (rc)
        mat_free(u), mat_free(s), mat_free(vt);
    return rc;
}

#else

int dsvd_have_scalapack(void)
{
    return 0;
}

int dsvd_scalapack(const struct matrix *w, const struct dsvd_layout *l, struct matrix *u, struct matrix *s,
                   struct matrix *vt, double *bytes_sent, struct diag *d)
{
    (void)w, (void)l, (void)u, (void)s, (void)vt, (void)bytes_sent;
    return diag_fail(d, FR_USAGE, "this fidrun was built without ScaLAPACK (libscalapack-openmpi-dev on Debian; "
                                  "make deps installs it): use distributed_svd: tsqr");
}

#endif
