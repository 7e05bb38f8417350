/* The CPU backend's dense linear algebra: LAPACKE ?gesdd/?gesvd and CBLAS
 * ?gemm/?syrk from OpenBLAS (SVD, the split reconstruction, Gram
 * matrices), and the BLAS's own settings. */
#include "core/backend.h"

#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static int too_big(const struct matrix *a, struct diag *d)
{
    if (a->rows > INT_MAX || a->cols > INT_MAX || a->ld > INT_MAX)
        return diag_fail(d, FR_RUNTIME, "a %lld x %lld matrix is larger than LAPACK's 32-bit indices allow",
                         (long long)a->rows, (long long)a->cols);
    return FR_OK;
}

const char *svd_driver_name(int driver)
{
    static const char *const names[] = {"auto", "gesdd", "gesvd", "gesvdj", "gesvdp"};
    return driver >= 0 && driver < SVD_DRIVER_COUNT ? names[driver] : "?";
}

int cpu_svd(const struct matrix *a, struct matrix *u, struct matrix *s, struct matrix *vt, int driver,
            struct diag *d)
{
    if (too_big(a, d) || too_big(u, d) || too_big(vt, d))
        return d->code;
    struct matrix work;
    if (mat_alloc(&work, a->dtype, a->rows, a->cols))
        return diag_fail(d, FR_RUNTIME, "out of memory for a %lld x %lld copy", (long long)a->rows,
                         (long long)a->cols);
    mat_put_rows(&work, 0, a);
    lapack_int m = (lapack_int)a->rows, n = (lapack_int)a->cols, info, k = m < n ? m : n;
    lapack_int lda = (lapack_int)work.ld, ldu = (lapack_int)u->ld, ldvt = (lapack_int)vt->ld;
    int qr = driver == SVD_GESVD;
    struct matrix superb = {0};
    if (qr && mat_alloc(&superb, a->dtype, k > 1 ? k : 1, 1)) {
        mat_free(&work);
        return diag_fail(d, FR_RUNTIME, "out of memory for gesvd's workspace");
    }
    if (a->dtype == DT_F32)
        info = qr ? LAPACKE_sgesvd(LAPACK_COL_MAJOR, 'S', 'S', m, n, work.data, lda, s->data, u->data, ldu,
                                   vt->data, ldvt, superb.data)
                  : LAPACKE_sgesdd(LAPACK_COL_MAJOR, 'S', m, n, work.data, lda, s->data, u->data, ldu, vt->data,
                                   ldvt);
    else
        info = qr ? LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'S', 'S', m, n, work.data, lda, s->data, u->data, ldu,
                                   vt->data, ldvt, superb.data)
                  : LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', m, n, work.data, lda, s->data, u->data, ldu, vt->data,
                                   ldvt);
    mat_free(&work);
    mat_free(&superb);
    char fn[8];
    snprintf(fn, sizeof fn, "%c%s", a->dtype == DT_F32 ? 's' : 'd', qr ? "gesvd" : "gesdd");
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
        return diag_fail(d, FR_RUNTIME, "%s: out of memory for its workspace", fn);
    if (info > 0)
        return diag_fail(d, FR_RUNTIME, "%s did not converge (info = %d)", fn, (int)info);
    if (info < 0)
        return diag_fail(d, FR_RUNTIME, "%s rejected argument %d", fn, (int)-info);
    return FR_OK;
}

int cpu_svd_thin(const struct matrix *a, struct matrix *u, struct matrix *s, struct matrix *vt,
                        struct diag *d)
{
    return cpu_svd(a, u, s, vt, SVD_GESDD, d);
}

/* C (m x n) = alpha A[:, cols] B[rows, :] + beta C for one slice of the inner dimension. */
static void gemm_slice(const struct matrix *a, const struct matrix *b, int64_t k0, int64_t k, double beta,
                       struct matrix *c)
{
    int m = (int)c->rows, n = (int)c->cols;
    if (a->dtype == DT_F32)
        cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, m, n, (int)k, 1.0f,
                    (const float *)a->data + k0 * a->ld, (int)a->ld, (const float *)b->data + k0, (int)b->ld,
                    (float)beta, c->data, (int)c->ld);
    else
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, m, n, (int)k, 1.0,
                    (const double *)a->data + k0 * a->ld, (int)a->ld, (const double *)b->data + k0, (int)b->ld,
                    beta, c->data, (int)c->ld);
}

int cpu_reconstruct_split(const struct matrix *u, const struct matrix *s, const struct matrix *vt,
                                 int64_t k_split, struct matrix *out, struct diag *d)
{
    if (too_big(u, d) || too_big(vt, d))
        return d->code;
    int64_t k = s->rows;
    struct matrix us;
    if (mat_alloc(&us, u->dtype, u->rows, k))
        return diag_fail(d, FR_RUNTIME, "out of memory for U*S (%lld x %lld)", (long long)u->rows, (long long)k);
    for (int64_t j = 0; j < k; j++) {
        double sj = mat_get(s, j, 0);
        for (int64_t i = 0; i < u->rows; i++)
            mat_set(&us, i, j, mat_get(u, i, j) * sj);
    }
    double beta = 0;
    if (k_split > 0) {
        gemm_slice(&us, vt, 0, k_split, 0.0, out);
        beta = 1;
    }
    if (k - k_split > 0)
        gemm_slice(&us, vt, k_split, k - k_split, beta, out);
    mat_free(&us);
    return FR_OK;
}

int cpu_gram(const struct matrix *q, enum gram_side side, struct matrix *g, struct diag *d)
{
    if (too_big(q, d))
        return d->code;
    enum CBLAS_TRANSPOSE t = side == GRAM_COLUMNS ? CblasTrans : CblasNoTrans;
    int k = (int)g->rows, inner = (int)(side == GRAM_COLUMNS ? q->rows : q->cols);
    if (q->dtype == DT_F32)
        cblas_ssyrk(CblasColMajor, CblasUpper, t, k, inner, 1.0f, q->data, (int)q->ld, 0.0f, g->data, (int)g->ld);
    else
        cblas_dsyrk(CblasColMajor, CblasUpper, t, k, inner, 1.0, q->data, (int)q->ld, 0.0, g->data, (int)g->ld);
    return FR_OK;
}

void blas_set_threads(int n)
{
    openblas_set_num_threads(n);
}

const char *blas_description(char *buf, size_t size)
{
    snprintf(buf, size, "%s (core %s)", openblas_get_config(), openblas_get_corename());
    return buf;
}
