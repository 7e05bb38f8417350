/* Thin SVD of a tall matrix on the GPU by a cuSOLVER driver (gesvd,
 * gesvdj, gesvdp), auto timing the candidates on the first matrix of each
 * shape. CPU reference: cpu_svd in core/cpu_linalg.c (LAPACK gesdd/gesvd);
 * held together by tests/unit/test_gpu.c (test_osft_every_driver: every
 * driver's factors against LAPACK's ratios). See docs/kernels.md. */
#include "cuda/svd.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Device and host workspace of one call, grown as needed. */
struct workspace {
    void *dev;
    size_t dev_bytes;
    void *host;
    size_t host_bytes;
};

static int workspace_ensure(struct workspace *w, size_t dev_bytes, size_t host_bytes, cudaStream_t st,
                            struct diag *d)
{
    if (dev_bytes > w->dev_bytes) {
        if (w->dev)
            CUDA_TRY(cudaFreeAsync(w->dev, st), d);
        w->dev = NULL;
        CUDA_TRY(cudaMallocAsync(&w->dev, dev_bytes, st), d);
        w->dev_bytes = dev_bytes;
    }
    if (host_bytes > w->host_bytes) {
        free(w->host);
        if (!(w->host = malloc(host_bytes)))
            return diag_fail(d, FR_RUNTIME, "out of host memory for a %zu-byte cuSOLVER workspace", host_bytes);
        w->host_bytes = host_bytes;
    }
    return FR_OK;
}

static void workspace_free(struct workspace *w, cudaStream_t st)
{
    if (w->dev)
        cudaFreeAsync(w->dev, st);
    free(w->host);
    memset(w, 0, sizeof *w);
}

struct svd_call {
    struct gpu_lane *c;
    int dtype;
    int64_t ma, na;
    void *a, *s, *p, *q;
    int *info;
    struct workspace ws;
};

static int call_gesvd(struct svd_call *k, struct diag *d)
{
    cudaDataType t = gpu_data_type(k->dtype);
    size_t dev = 0, host = 0;
    CUSOLVER_TRY(cusolverDnXgesvd_bufferSize(k->c->solver, k->c->params, 'S', 'S', k->ma, k->na, t, k->a, k->ma, t,
                                             k->s, t, k->p, k->ma, t, k->q, k->na, t, &dev, &host),
                 d);
    int rc = workspace_ensure(&k->ws, dev, host, k->c->stream[0], d);
    if (rc)
        return rc;
    CUSOLVER_TRY(cusolverDnXgesvd(k->c->solver, k->c->params, 'S', 'S', k->ma, k->na, t, k->a, k->ma, t, k->s, t,
                                  k->p, k->ma, t, k->q, k->na, t, k->ws.dev, dev, k->ws.host, host, k->info),
                 d);
    return FR_OK;
}

static int call_gesvdp(struct svd_call *k, double *err_sigma, struct diag *d)
{
    cudaDataType t = gpu_data_type(k->dtype);
    size_t dev = 0, host = 0;
    CUSOLVER_TRY(cusolverDnXgesvdp_bufferSize(k->c->solver, k->c->params, CUSOLVER_EIG_MODE_VECTOR, 1, k->ma, k->na,
                                              t, k->a, k->ma, t, k->s, t, k->p, k->ma, t, k->q, k->na, t, &dev,
                                              &host),
                 d);
    int rc = workspace_ensure(&k->ws, dev, host, k->c->stream[0], d);
    if (rc)
        return rc;
    CUSOLVER_TRY(cusolverDnXgesvdp(k->c->solver, k->c->params, CUSOLVER_EIG_MODE_VECTOR, 1, k->ma, k->na, t, k->a,
                                   k->ma, t, k->s, t, k->p, k->ma, t, k->q, k->na, t, k->ws.dev, dev, k->ws.host,
                                   host, k->info, err_sigma),
                 d);
    return FR_OK;
}

/* gesvdj has no 64-bit interface: its sizes must fit an int. */
static int call_gesvdj(struct svd_call *k, struct diag *d)
{
    if (k->ma > INT_MAX || k->na > INT_MAX)
        return diag_fail(d, FR_RUNTIME, "gesvdj takes 32-bit sizes; %lld x %lld is too large", (long long)k->ma,
                         (long long)k->na);
    int m = (int)k->ma, n = (int)k->na, lwork = 0;
    cusolverDnHandle_t h = k->c->solver;
    cusolverEigMode_t mode = CUSOLVER_EIG_MODE_VECTOR;
    if (k->dtype == DT_F32)
        CUSOLVER_TRY(cusolverDnSgesvdj_bufferSize(h, mode, 1, m, n, (float *)k->a, m, (float *)k->s, (float *)k->p, m,
                                                  (float *)k->q, n, &lwork, k->c->jacobi),
                     d);
    else
        CUSOLVER_TRY(cusolverDnDgesvdj_bufferSize(h, mode, 1, m, n, (double *)k->a, m, (double *)k->s,
                                                  (double *)k->p, m, (double *)k->q, n, &lwork, k->c->jacobi),
                     d);
    size_t elem = k->dtype == DT_F32 ? sizeof(float) : sizeof(double);
    int rc = workspace_ensure(&k->ws, (size_t)lwork * elem, 0, k->c->stream[0], d);
    if (rc)
        return rc;
    if (k->dtype == DT_F32)
        CUSOLVER_TRY(cusolverDnSgesvdj(h, mode, 1, m, n, (float *)k->a, m, (float *)k->s, (float *)k->p, m,
                                       (float *)k->q, n, (float *)k->ws.dev, lwork, k->info, k->c->jacobi),
                     d);
    else
        CUSOLVER_TRY(cusolverDnDgesvdj(h, mode, 1, m, n, (double *)k->a, m, (double *)k->s, (double *)k->p, m,
                                       (double *)k->q, n, (double *)k->ws.dev, lwork, k->info, k->c->jacobi),
                     d);
    return FR_OK;
}

/* One driver on the matrix in k->a, timed with events; checks info. */
static int run_driver(struct svd_call *k, int driver, double *seconds, double *err_sigma, struct diag *d)
{
    cudaStream_t st = k->c->stream[0];
    cudaEvent_t e0, e1;
    CUDA_TRY(cudaEventCreate(&e0), d);
    CUDA_TRY(cudaEventCreate(&e1), d);
    *err_sigma = NAN;
    int rc = cudaEventRecord(e0, st) == cudaSuccess ? FR_OK : diag_fail(d, FR_RUNTIME, "cudaEventRecord failed");
    if (!rc)
        rc = driver == SVD_GESVD    ? call_gesvd(k, d)
             : driver == SVD_GESVDJ ? call_gesvdj(k, d)
                                    : call_gesvdp(k, err_sigma, d);
    int info = 0;
    float ms = 0;
    if (!rc) {
        cudaEventRecord(e1, st);
        cudaMemcpyAsync(&info, k->info, sizeof info, cudaMemcpyDeviceToHost, st);
        cudaError_t e = cudaStreamSynchronize(st);
        if (e != cudaSuccess)
            rc = gpu_cuda_fail(e, svd_driver_name(driver), __FILE__, __LINE__, d);
        else
            cudaEventElapsedTime(&ms, e0, e1);
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    *seconds = ms / 1e3;
    if (!rc && info < 0)
        rc = diag_fail(d, FR_RUNTIME, "cuSOLVER %s rejected argument %d (%lld x %lld)", svd_driver_name(driver), -info,
                       (long long)k->ma, (long long)k->na);
    if (!rc && info > 0)
        rc = diag_fail(d, FR_RUNTIME, "cuSOLVER %s did not converge on a %lld x %lld matrix (info = %d)",
                       svd_driver_name(driver), (long long)k->ma, (long long)k->na, info);
    return rc;
}

/* The shape's entry; the caller holds the lock. */
static struct tuned_shape *tuned_entry(struct gpu_context *c, int dtype, int64_t ma, int64_t na)
{
    for (int i = 0; i < c->ntuned; i++)
        if (c->tuned[i].rows == ma && c->tuned[i].cols == na && c->tuned[i].dtype == dtype)
            return &c->tuned[i];
    return NULL;
}

/* The fastest candidate not rejected; gesvd (QR iteration, the most
 * robust) when every faster one was. */
static int fastest_kept(const struct tuned_shape *t)
{
    int best = SVD_GESVD;
    double best_s = INFINITY;
    for (int i = 0; i < SVD_DRIVER_COUNT; i++)
        if (!(t->rejected & (1u << i)) && t->seconds[i] < best_s) {
            best_s = t->seconds[i];
            best = i;
        }
    return best;
}

static int find_tuned(struct gpu_context *c, int dtype, int64_t ma, int64_t na)
{
    pthread_mutex_lock(&c->lock);
    struct tuned_shape *t = tuned_entry(c, dtype, ma, na);
    int driver = t ? fastest_kept(t) : SVD_AUTO;
    pthread_mutex_unlock(&c->lock);
    return driver;
}

/* Two lanes may tune the same shape at once; the first result stays. */
static int remember_tuned(struct gpu_context *c, int dtype, int64_t ma, int64_t na, const double *seconds)
{
    pthread_mutex_lock(&c->lock);
    struct tuned_shape *t = tuned_entry(c, dtype, ma, na);
    if (!t && c->ntuned < GPU_TUNED_MAX) {
        t = &c->tuned[c->ntuned++];
        *t = (struct tuned_shape){ma, na, dtype, {}, 0};
        memcpy(t->seconds, seconds, sizeof t->seconds);
    }
    struct tuned_shape mine = {ma, na, dtype, {}, 0};
    memcpy(mine.seconds, seconds, sizeof mine.seconds);
    int driver = fastest_kept(t ? t : &mine);
    pthread_mutex_unlock(&c->lock);
    return driver;
}

int svd_gpu_reject(struct gpu_context *c, int dtype, int64_t ma, int64_t na, int driver)
{
    pthread_mutex_lock(&c->lock);
    struct tuned_shape *t = tuned_entry(c, dtype, ma, na);
    int next = driver;
    if (t && driver != SVD_GESVD) {
        t->rejected |= 1u << driver;
        next = fastest_kept(t);
    }
    pthread_mutex_unlock(&c->lock);
    return next;
}

/* Times gesvd, gesvdj and gesvdp on a copy of the matrix each; the times
 * are remembered for the shape and the fastest that converged is used. */
static int tune(struct svd_call *k, struct svd_gpu_result *out, int *chosen, struct diag *d)
{
    static const int candidates[] = {SVD_GESVD, SVD_GESVDJ, SVD_GESVDP};
    cudaStream_t st = k->c->stream[0];
    size_t bytes = (size_t)k->ma * (size_t)k->na * (k->dtype == DT_F32 ? 4 : 8);
    void *orig = k->a, *scratch = NULL;
    CUDA_TRY(cudaMallocAsync(&scratch, bytes, st), d);
    int converged = 0;
    for (int i = 0; i < SVD_DRIVER_COUNT; i++)
        out->tune_seconds[i] = NAN;
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        struct diag ignored = {};
        double secs, err;
        k->a = scratch;
        if (cudaMemcpyAsync(scratch, orig, bytes, cudaMemcpyDeviceToDevice, st) != cudaSuccess)
            break;
        if (run_driver(k, candidates[i], &secs, &err, &ignored))
            continue; /* a driver that fails here is simply not a candidate */
        out->tune_seconds[candidates[i]] = secs;
        converged++;
    }
    k->a = orig;
    cudaFreeAsync(scratch, st);
    if (!converged)
        return diag_fail(d, FR_RUNTIME, "no cuSOLVER SVD driver succeeded on a %lld x %lld matrix", (long long)k->ma,
                         (long long)k->na);
    *chosen = remember_tuned(k->c->owner, k->dtype, k->ma, k->na, out->tune_seconds);
    out->tuned = 1;
    return FR_OK;
}

int svd_gpu_tall(struct gpu_lane *c, int dtype, int64_t ma, int64_t na, void *a, void *s, void *p, void *q,
                 int driver, struct svd_gpu_result *out, struct diag *d)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < SVD_DRIVER_COUNT; i++)
        out->tune_seconds[i] = NAN;
    struct svd_call k = {c, dtype, ma, na, a, s, p, q, NULL, {}};
    CUDA_TRY(cudaMallocAsync(&k.info, sizeof(int), c->stream[0]), d);
    if (driver == SVD_GESDD) /* LAPACK's divide and conquer has no cuSOLVER twin */
        driver = SVD_GESVD;
    int rc = FR_OK;
    if (driver == SVD_AUTO && (driver = find_tuned(c->owner, dtype, ma, na)) == SVD_AUTO)
        rc = tune(&k, out, &driver, d);
    if (!rc) {
        out->driver = driver;
        out->q_is_vt = driver == SVD_GESVD;
        rc = run_driver(&k, driver, &out->seconds, &out->err_sigma, d);
    }
    workspace_free(&k.ws, c->stream[0]);
    cudaFreeAsync(k.info, c->stream[0]);
    cudaStreamSynchronize(c->stream[0]);
    return rc;
}
