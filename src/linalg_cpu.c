/* CPU backend: LAPACKE ?gesdd and CBLAS ?gemm/?syrk from OpenBLAS. */
#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "linalg.h"

static int too_big(const struct matrix *a, struct diag *d)
{
    if (a->rows > INT_MAX || a->cols > INT_MAX || a->ld > INT_MAX)
        return diag_fail(d, FR_RUNTIME, "a %lld x %lld matrix is larger than LAPACK's 32-bit indices allow",
                         (long long)a->rows, (long long)a->cols);
    return FR_OK;
}

static int cpu_svd_thin(const struct matrix *a, struct matrix *u, struct matrix *s, struct matrix *vt,
                        struct diag *d)
{
    if (too_big(a, d))
        return d->code;
    struct matrix work;
    if (mat_alloc(&work, a->dtype, a->rows, a->cols))
        return diag_fail(d, FR_RUNTIME, "out of memory for a %lld x %lld copy", (long long)a->rows,
                         (long long)a->cols);
    for (int64_t j = 0; j < a->cols; j++)
        memcpy((char *)work.data + (size_t)j * work.ld * dtype_size(a->dtype),
               (const char *)a->data + (size_t)j * a->ld * dtype_size(a->dtype),
               (size_t)a->rows * dtype_size(a->dtype));
    lapack_int m = (lapack_int)a->rows, n = (lapack_int)a->cols, info;
    if (a->dtype == DT_F32)
        info = LAPACKE_sgesdd(LAPACK_COL_MAJOR, 'S', m, n, work.data, (lapack_int)work.ld, s->data, u->data,
                              (lapack_int)u->ld, vt->data, (lapack_int)vt->ld);
    else
        info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', m, n, work.data, (lapack_int)work.ld, s->data, u->data,
                              (lapack_int)u->ld, vt->data, (lapack_int)vt->ld);
    mat_free(&work);
    const char *fn = a->dtype == DT_F32 ? "sgesdd" : "dgesdd";
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
        return diag_fail(d, FR_RUNTIME, "%s: out of memory for its workspace", fn);
    if (info > 0)
        return diag_fail(d, FR_RUNTIME, "%s did not converge (info = %d)", fn, (int)info);
    if (info < 0)
        return diag_fail(d, FR_RUNTIME, "%s rejected argument %d", fn, (int)-info);
    return FR_OK;
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

static int cpu_reconstruct_split(const struct matrix *u, const struct matrix *s, const struct matrix *vt,
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

static int cpu_gram(const struct matrix *q, enum gram_side side, struct matrix *g, struct diag *d)
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

const struct backend backend_cpu = {
    .name = "cpu",
    .svd_thin = cpu_svd_thin,
    .reconstruct_split = cpu_reconstruct_split,
    .gram = cpu_gram,
};

void blas_set_threads(int n)
{
    openblas_set_num_threads(n);
}

const char *blas_description(char *buf, size_t size)
{
    snprintf(buf, size, "%s (core %s)", openblas_get_config(), openblas_get_corename());
    return buf;
}
