/* GPTQ on the GPU: the Hessian by cuBLAS SYRK, the inverse factor by
 * cuSOLVER (potrf, potri, potrf, with the reference's damping retries), the
 * column sweep by a kernel with one thread per output row (each row's
 * updates within a 128-column block are independent of the others) and
 * the trailing update by cuBLAS GEMM. The host steps before and after
 * (groups, dead columns, act-order permutation, unpermuting) and the
 * quantizer are the CPU reference's own code (gptq_impl.h, quantizer.h);
 * the sweep's updates use explicitly rounded operations (no fused
 * multiply-add) as the reference computes them, so codes differ only
 * where cuBLAS sums in another order.
 *
 * CPU reference: core/quant/gptq.c and core/quant/gptq_layer.c; held
 * together by tests/unit/test_gpu.c (test_gptq_against_cpu) and the quant
 * suite's cross_check_every sample. See docs/kernels.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/gpu_context.h"
extern "C" {
#include "core/quant/gptq_impl.h"
#include "core/quant/quantizer.h"
#include "util/clock.h"
}
#include "cuda/gpu.h"

#define SWEEP_ROWS 32     /* output rows a block sweeps: one warp's lanes quantize them */
#define SWEEP_THREADS 128 /* the block's threads share each column's trailing update */

struct sweep_args {
    const float *w;      /* out x in, column-major (W(n, k) at n + k out), permuted columns */
    float *err1;         /* out x block, column-major */
    int32_t *q;          /* out x in, column-major, permuted columns */
    const float *hinv;   /* in x in, row-major upper factor */
    float *cur_scale, *cur_zero; /* out: whole-row or current group */
    const float *gscale, *gzero; /* static groups: groups x out */
    float *qscale, *qzero;       /* groups x out, grouped non-static */
    const int64_t *perm;
    double *loss;
    int64_t out, in, gs, i1, count;
    int bits, sym, grouped, static_groups;
};

/* One block of columns [i1, i1 + count) for SWEEP_ROWS rows. The rows'
 * block of W lives in shared memory (tile[j][r], count x SWEEP_ROWS); per
 * column, the first warp quantizes it (one lane a row) and the whole block
 * then applies the column's error to the columns after it. Each entry sees
 * the same rounded operations in the same order as the CPU reference. */
__global__ void sweep_block(struct sweep_args a)
{
    extern __shared__ float tile[];
    __shared__ float err[SWEEP_ROWS];
    __shared__ double row_loss[SWEEP_ROWS];
    int r = threadIdx.x;
    int64_t n0 = blockIdx.x * (int64_t)SWEEP_ROWS, n = n0 + r;
    for (int64_t t = threadIdx.x; t < a.count * SWEEP_ROWS; t += SWEEP_THREADS) {
        int64_t j = t / SWEEP_ROWS, row = n0 + t % SWEEP_ROWS;
        tile[t] = row < a.out ? a.w[(a.i1 + j) * a.out + row] : 0.0f;
    }
    int quantizer = r < SWEEP_ROWS && n < a.out;
    int32_t maxq = quant_maxq(a.bits);
    float sc = 0, ze = 0;
    double loss = 0;
    if (quantizer) {
        sc = a.cur_scale[n];
        ze = a.cur_zero[n];
    }
    __syncthreads();
    for (int64_t i = 0; i < a.count; i++) {
        int64_t col = a.i1 + i;
        const float *hrow = a.hinv + col * a.in + a.i1;
        if (r < SWEEP_ROWS) {
            float e = 0;
            if (quantizer) {
                if (a.grouped && !a.static_groups && col % a.gs == 0) {
                    /* from W, which lacks this block's earlier updates, as in the reference */
                    quant_find_params(a.w + col * a.out + n, (size_t)a.gs, (size_t)a.out, a.bits, a.sym, &sc, &ze);
                    a.qscale[(col / a.gs) * a.out + n] = sc;
                    a.qzero[(col / a.gs) * a.out + n] = ze;
                } else if (a.grouped && a.static_groups) {
                    int64_t gi = a.perm[col] / a.gs;
                    sc = a.gscale[gi * a.out + n];
                    ze = a.gzero[gi * a.out + n];
                }
                float dd = hrow[i], wv = tile[i * SWEEP_ROWS + r];
                int32_t code = quant_code(wv, sc, ze, maxq);
                float qv = quant_value(code, sc, ze);
                a.q[col * a.out + n] = code;
                float diff = __fsub_rn(wv, qv);
                e = __fdiv_rn(diff, dd);
                loss += (double)__fdiv_rn(__fmul_rn(diff, diff), __fmul_rn(dd, dd)) / 2;
                a.err1[i * a.out + n] = e;
            }
            err[r] = e;
        }
        __syncthreads();
        for (int64_t t = (i + 1) * SWEEP_ROWS + threadIdx.x; t < a.count * SWEEP_ROWS; t += SWEEP_THREADS)
            tile[t] = __fsub_rn(tile[t], __fmul_rn(err[t % SWEEP_ROWS], hrow[t / SWEEP_ROWS]));
        __syncthreads();
    }
    if (r < SWEEP_ROWS) {
        if (quantizer) {
            a.cur_scale[n] = sc;
            a.cur_zero[n] = ze;
        }
        row_loss[r] = loss;
    }
    __syncthreads();
    if (threadIdx.x == 0) { /* one atomic a block, summed in row order */
        double sum = 0;
        for (int i = 0; i < SWEEP_ROWS; i++)
            sum += row_loss[i];
        atomicAdd(a.loss, sum);
    }
}

/* dst (cols x rows) = src (rows x cols)^T, row-major int32, by 32 x 32 tiles */
__global__ void transpose_codes(const int32_t *src, int32_t *dst, int64_t rows, int64_t cols)
{
    __shared__ int32_t t[32][33];
    int64_t r0 = blockIdx.y * 32, c0 = blockIdx.x * 32;
    for (int i = threadIdx.y; i < 32; i += blockDim.y)
        if (r0 + i < rows && c0 + threadIdx.x < cols)
            t[i][threadIdx.x] = src[(r0 + i) * cols + c0 + threadIdx.x];
    __syncthreads();
    for (int i = threadIdx.y; i < 32; i += blockDim.y)
        if (c0 + i < cols && r0 + threadIdx.x < rows)
            dst[(c0 + i) * rows + r0 + threadIdx.x] = t[threadIdx.x][i];
}

/* a += damp on the diagonal; symmetrize from the lower triangle; clear the
 * strict upper triangle (all column-major n x n). */
__global__ void add_diagonal(float *a, int64_t n, float damp)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        a[i + i * n] += damp;
}

__global__ void lower_to_full(float *a, int64_t n)
{
    int64_t j = blockIdx.x;
    for (int64_t i = j + 1 + threadIdx.x; i < n; i += blockDim.x)
        a[j + i * n] = a[i + j * n];
}

__global__ void clear_upper(float *a, int64_t n)
{
    int64_t j = blockIdx.x;
    for (int64_t i = threadIdx.x; i < j; i += blockDim.x)
        a[i + j * n] = 0;
}

/* Device buffers of one layer. */
struct gptq_dev {
    float *x, *h, *w, *err1, *hinv, *cur_scale, *cur_zero, *gscale, *gzero, *qscale, *qzero;
    int32_t *q;
    int64_t *perm;
    double *loss;
    int *info;
    void *ws;
};

static void dev_free(struct gptq_dev *g, cudaStream_t st)
{
    void *all[] = {g->x, g->h, g->w, g->err1, g->hinv, g->cur_scale, g->cur_zero, g->gscale,
                   g->gzero, g->qscale, g->qzero, g->q, g->perm, g->loss, g->info, g->ws};
    cudaStreamSynchronize(st);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i])
            cudaFree(all[i]);
    memset(g, 0, sizeof *g);
}

#define DEV_ALLOC(ptr, count, d) CUDA_TRY(cudaMalloc((void **)&(ptr), (size_t)(count) * sizeof *(ptr)), d)

/* H (in x in, row-major upper = column-major lower) as hessian_from_activations. */
static int hessian_on_gpu(struct gpu_lane *c, struct gptq_dev *g, const float *x, int64_t tokens, int64_t in,
                          int64_t samples, struct hessian *h, struct diag *d)
{
    cudaStream_t st = c->stream[0];
    DEV_ALLOC(g->x, tokens * in, d);
    DEV_ALLOC(g->h, in * in, d);
    CUDA_TRY(cudaMemcpyAsync(g->x, x, (size_t)(tokens * in) * sizeof *x, cudaMemcpyHostToDevice, st), d);
    CUDA_TRY(cudaMemsetAsync(g->h, 0, (size_t)(in * in) * sizeof *g->h, st), d);
    samples = samples < tokens ? samples : tokens;
    int64_t seen = 0;
    for (int64_t i = 0; i < samples; i++) {
        int64_t first = tokens * i / samples, last = tokens * (i + 1) / samples;
        double total = (double)(seen + 1);
        float beta = (float)((double)seen / total), alpha = (float)(2.0 / total);
        /* X^T X of the rows [first, last): the row-major tokens x in block is column-major in x tokens */
        CUBLAS_TRY(cublasSsyrk_64(c->blas[0], CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N, in, last - first, &alpha,
                                  g->x + first * in, in, &beta, g->h, in),
                   d);
        seen++;
    }
    if (hessian_init(h, in))
        return diag_fail(d, FR_RUNTIME, "out of memory for a %lld x %lld Hessian", (long long)in, (long long)in);
    h->nsamples = seen;
    CUDA_TRY(cudaMemcpyAsync(h->h, g->h, (size_t)(in * in) * sizeof *h->h, cudaMemcpyDeviceToHost, st), d);
    CUDA_TRY(cudaStreamSynchronize(st), d);
    cudaFree(g->x);
    cudaFree(g->h);
    g->x = g->h = NULL;
    return FR_OK;
}

/* Returns 1 when cuSOLVER reported a non-positive-definite matrix (info > 0). */
static int potrf_lower(struct gpu_lane *c, struct gptq_dev *g, float *a, int64_t n, int *bad, struct diag *d)
{
    cudaStream_t st = c->stream[0];
    size_t dev = 0, host = 0;
    CUSOLVER_TRY(cusolverDnXpotrf_bufferSize(c->solver, c->params, CUBLAS_FILL_MODE_LOWER, n, CUDA_R_32F, a, n,
                                             CUDA_R_32F, &dev, &host),
                 d);
    void *hws = host ? malloc(host) : NULL;
    if (host && !hws)
        return diag_fail(d, FR_RUNTIME, "out of memory for a cuSOLVER workspace");
    if (g->ws)
        cudaFree(g->ws);
    g->ws = NULL;
    cudaError_t e = cudaMalloc(&g->ws, dev ? dev : 1);
    cusolverStatus_t s = e == cudaSuccess ? cusolverDnXpotrf(c->solver, c->params, CUBLAS_FILL_MODE_LOWER, n,
                                                              CUDA_R_32F, a, n, CUDA_R_32F, g->ws, dev, hws, host,
                                                              g->info)
                                          : CUSOLVER_STATUS_ALLOC_FAILED;
    int info = 0;
    if (s == CUSOLVER_STATUS_SUCCESS)
        e = cudaMemcpyAsync(&info, g->info, sizeof info, cudaMemcpyDeviceToHost, st);
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(st);
    free(hws);
    if (s != CUSOLVER_STATUS_SUCCESS)
        return gpu_cusolver_fail(s, "cusolverDnXpotrf", __FILE__, __LINE__, d);
    if (e != cudaSuccess)
        return gpu_cuda_fail(e, "cusolverDnXpotrf", __FILE__, __LINE__, d);
    if (info < 0)
        return diag_fail(d, FR_RUNTIME, "cusolverDnXpotrf rejected argument %d", -info);
    *bad = info > 0;
    return FR_OK;
}

static int potri_lower(struct gpu_lane *c, struct gptq_dev *g, float *a, int64_t n, int *bad, struct diag *d)
{
    if (n > INT32_MAX)
        return diag_fail(d, FR_RUNTIME, "potri takes 32-bit sizes; %lld columns is too many", (long long)n);
    int lwork = 0;
    CUSOLVER_TRY(cusolverDnSpotri_bufferSize(c->solver, CUBLAS_FILL_MODE_LOWER, (int)n, a, (int)n, &lwork), d);
    if (g->ws)
        cudaFree(g->ws);
    g->ws = NULL;
    CUDA_TRY(cudaMalloc(&g->ws, (size_t)(lwork ? lwork : 1) * sizeof(float)), d);
    CUSOLVER_TRY(cusolverDnSpotri(c->solver, CUBLAS_FILL_MODE_LOWER, (int)n, a, (int)n, (float *)g->ws, lwork,
                                  g->info),
                 d);
    int info = 0;
    CUDA_TRY(cudaMemcpyAsync(&info, g->info, sizeof info, cudaMemcpyDeviceToHost, c->stream[0]), d);
    CUDA_TRY(cudaStreamSynchronize(c->stream[0]), d);
    if (info < 0)
        return diag_fail(d, FR_RUNTIME, "cusolverDnSpotri rejected argument %d", -info);
    *bad = info > 0;
    return FR_OK;
}

/* Hinv = upper Cholesky factor of (H + damp I)^-1 in row-major bytes, which
 * is the lower factor in column-major: cholesky, cholesky_inverse,
 * cholesky again, with the reference's tenfold damping retries. */
static int inverse_factor_gpu(struct gpu_lane *c, struct gptq_dev *g, const float *hp, int64_t n, double percdamp,
                              struct quantized *qz, struct diag *d)
{
    cudaStream_t st = c->stream[0];
    DEV_ALLOC(g->h, n * n, d); /* the permuted H, kept for retries */
    DEV_ALLOC(g->hinv, n * n, d);
    DEV_ALLOC(g->info, 1, d);
    CUDA_TRY(cudaMemcpyAsync(g->h, hp, (size_t)(n * n) * sizeof *hp, cudaMemcpyHostToDevice, st), d);
    double damp = gptq_first_damp(hp, n, percdamp);
    for (int attempt = 0; attempt <= GPTQ_MAX_DAMP_RETRIES; attempt++, damp *= 10) {
        CUDA_TRY(cudaMemcpyAsync(g->hinv, g->h, (size_t)(n * n) * sizeof *g->h, cudaMemcpyDeviceToDevice, st), d);
        add_diagonal<<<(unsigned)((n + 255) / 256), 256, 0, st>>>(g->hinv, n, (float)damp);
        CUDA_TRY(cudaGetLastError(), d);
        int bad = 0, rc = potrf_lower(c, g, g->hinv, n, &bad, d);
        if (!rc && !bad)
            rc = potri_lower(c, g, g->hinv, n, &bad, d);
        if (!rc && !bad) {
            lower_to_full<<<(unsigned)n, 256, 0, st>>>(g->hinv, n);
            CUDA_TRY(cudaGetLastError(), d);
            rc = potrf_lower(c, g, g->hinv, n, &bad, d);
        }
        if (rc)
            return rc;
        if (!bad) {
            clear_upper<<<(unsigned)n, 256, 0, st>>>(g->hinv, n);
            CUDA_TRY(cudaGetLastError(), d);
            qz->damp = damp;
            qz->damp_retries = attempt;
            return FR_OK;
        }
    }
    return gptq_damp_failed(d, damp / 10, percdamp);
}

static int sweep_on_gpu(struct gpu_lane *c, struct gptq_dev *g, const struct quant_spec *s, struct gptq_work *wk,
                        struct quantized *qz, double *loss, struct diag *d)
{
    cudaStream_t st = c->stream[0];
    int64_t out = qz->out, in = qz->in, groups = qz->groups, bs = wk->bs;
    int grouped = s->group_size > 0;
    DEV_ALLOC(g->w, out * in, d);
    DEV_ALLOC(g->err1, out * bs, d);
    DEV_ALLOC(g->q, out * in, d);
    DEV_ALLOC(g->cur_scale, out, d);
    DEV_ALLOC(g->cur_zero, out, d);
    DEV_ALLOC(g->qscale, groups * out, d);
    DEV_ALLOC(g->qzero, groups * out, d);
    DEV_ALLOC(g->perm, in, d);
    DEV_ALLOC(g->loss, 1, d);
    if (s->static_groups && grouped) {
        DEV_ALLOC(g->gscale, groups * out, d);
        DEV_ALLOC(g->gzero, groups * out, d);
        CUDA_TRY(cudaMemcpyAsync(g->gscale, wk->gscale, (size_t)(groups * out) * sizeof(float), cudaMemcpyHostToDevice, st), d);
        CUDA_TRY(cudaMemcpyAsync(g->gzero, wk->gzero, (size_t)(groups * out) * sizeof(float), cudaMemcpyHostToDevice, st), d);
    }
    /* W row-major out x in is W^T column-major: transposed on the way in */
    float *rowmajor = NULL;
    CUDA_TRY(cudaMalloc((void **)&rowmajor, (size_t)(out * in) * sizeof *rowmajor), d);
    cudaError_t e = cudaMemcpyAsync(rowmajor, wk->w, (size_t)(out * in) * sizeof *rowmajor, cudaMemcpyHostToDevice, st);
    float one = 1, zero = 0;
    cublasStatus_t bst = CUBLAS_STATUS_SUCCESS;
    if (e == cudaSuccess) /* beta is 0 but B is the output: zeros, not whatever the memory held */
        e = cudaMemsetAsync(g->w, 0, (size_t)(out * in) * sizeof(float), st);
    if (e == cudaSuccess)
        bst = cublasSgeam_64(c->blas[0], CUBLAS_OP_T, CUBLAS_OP_N, out, in, &one, rowmajor, in, &zero, g->w, out,
                             g->w, out);
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(st);
    cudaFree(rowmajor);
    if (e != cudaSuccess)
        return gpu_cuda_fail(e, "upload of W", __FILE__, __LINE__, d);
    if (bst != CUBLAS_STATUS_SUCCESS)
        return gpu_cublas_fail(bst, "cublasSgeam_64", __FILE__, __LINE__, d);
    CUDA_TRY(cudaMemcpyAsync(g->cur_scale, wk->scale, (size_t)out * sizeof(float), cudaMemcpyHostToDevice, st), d);
    CUDA_TRY(cudaMemcpyAsync(g->cur_zero, wk->zero, (size_t)out * sizeof(float), cudaMemcpyHostToDevice, st), d);
    CUDA_TRY(cudaMemcpyAsync(g->perm, wk->perm, (size_t)in * sizeof(int64_t), cudaMemcpyHostToDevice, st), d);
    CUDA_TRY(cudaMemsetAsync(g->loss, 0, sizeof(double), st), d);
    struct sweep_args a = {g->w, g->err1, g->q, g->hinv, g->cur_scale, g->cur_zero, g->gscale, g->gzero,
                           g->qscale, g->qzero, g->perm, g->loss, out, in, wk->gs, 0, 0, s->bits, s->sym, grouped,
                           s->static_groups};
    unsigned blocks = (unsigned)((out + SWEEP_ROWS - 1) / SWEEP_ROWS);
    size_t tile_bytes = (size_t)bs * SWEEP_ROWS * sizeof(float);
    int device = 0, shared_max = 0;
    CUDA_TRY(cudaGetDevice(&device), d);
    CUDA_TRY(cudaDeviceGetAttribute(&shared_max, cudaDevAttrMaxSharedMemoryPerBlockOptin, device), d);
    size_t static_bytes = SWEEP_ROWS * (sizeof(float) + sizeof(double));
    if (tile_bytes + static_bytes > (size_t)shared_max)
        return diag_fail(d, FR_USAGE, "block_size %lld is too large for the GPU's column sweep, which holds %d "
                         "rows x block_size floats in %d bytes of shared memory: at most %lld",
                         (long long)bs, SWEEP_ROWS, shared_max,
                         (long long)(((size_t)shared_max - static_bytes) / (SWEEP_ROWS * sizeof(float))));
    CUDA_TRY(cudaFuncSetAttribute(sweep_block, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)tile_bytes), d);
    for (int64_t i1 = 0; i1 < in; i1 += bs) {
        int64_t i2 = i1 + bs < in ? i1 + bs : in, count = i2 - i1;
        a.i1 = i1;
        a.count = count;
        sweep_block<<<blocks, SWEEP_THREADS, tile_bytes, st>>>(a);
        CUDA_TRY(cudaGetLastError(), d);
        if (i2 < in) {
            /* W[:, i2:] -= Err1 Hinv[i1:i2, i2:]; the row-major block of Hinv is the column-major
             * block at (i2, i1) transposed */
            float minus = -1, plus = 1;
            CUBLAS_TRY(cublasSgemm_64(c->blas[0], CUBLAS_OP_N, CUBLAS_OP_T, out, in - i2, count, &minus, g->err1, out,
                                      g->hinv + i2 + i1 * in, in, &plus, g->w + i2 * out, out),
                       d);
        }
    }
    /* codes back row-major (permuted order) for gptq_finish, transposed on
     * the GPU: on the host each code of the transpose is a cache miss */
    int32_t *qt = NULL;
    CUDA_TRY(cudaMallocAsync((void **)&qt, (size_t)(out * in) * sizeof *qt, st), d);
    transpose_codes<<<dim3((unsigned)((out + 31) / 32), (unsigned)((in + 31) / 32)), dim3(32, 8), 0, st>>>(g->q, qt, in,
                                                                                                          out);
    e = cudaGetLastError();
    if (e == cudaSuccess)
        e = cudaMemcpyAsync(wk->q, qt, (size_t)(out * in) * sizeof *qt, cudaMemcpyDeviceToHost, st);
    cudaFreeAsync(qt, st);
    if (e == cudaSuccess && grouped && !s->static_groups) {
        e = cudaMemcpyAsync(qz->scale, g->qscale, (size_t)(groups * out) * sizeof(float), cudaMemcpyDeviceToHost, st);
        if (e == cudaSuccess)
            e = cudaMemcpyAsync(qz->zero, g->qzero, (size_t)(groups * out) * sizeof(float), cudaMemcpyDeviceToHost, st);
    }
    if (e == cudaSuccess)
        e = cudaMemcpyAsync(loss, g->loss, sizeof *loss, cudaMemcpyDeviceToHost, st);
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(st);
    if (e != cudaSuccess)
        return gpu_cuda_fail(e, "download of the codes", __FILE__, __LINE__, d);
    return FR_OK;
}

extern "C" int gpu_gptq_layer(const float *w, int64_t out, int64_t in, const float *x, int64_t tokens, int64_t samples,
                          const struct quant_spec *s, struct quantized *qz, double *hessian_seconds,
                          double *quant_seconds, struct diag *d)
{
    struct gpu_context *ctx = gpu_context();
    struct gpu_lane *c = ctx ? gpu_lane_get(ctx, 0, d) : NULL;
    if (!c)
        return ctx ? d->code : diag_fail(d, FR_RUNTIME, "the CUDA backend was used without a bound GPU");
    struct gptq_dev g;
    memset(&g, 0, sizeof g);
    struct hessian h = {0, 0, NULL};
    struct gptq_work wk;
    memset(&wk, 0, sizeof wk);
    double t0 = now_seconds();
    int rc = hessian_on_gpu(c, &g, x, tokens, in, samples, &h, d);
    double t1 = now_seconds();
    *hessian_seconds = t1 - t0;
    int prepared = 0;
    if (!rc && !(rc = gptq_prepare(w, out, in, &h, s, qz, &wk, d)))
        prepared = 1;
    double loss = 0;
    if (!rc)
        rc = inverse_factor_gpu(c, &g, wk.hp, in, s->percdamp, qz, d);
    if (!rc)
        rc = sweep_on_gpu(c, &g, s, &wk, qz, &loss, d);
    if (!rc)
        gptq_finish(s, &wk, qz, loss);
    *quant_seconds = now_seconds() - t1;
    dev_free(&g, c->stream[0]);
    if (prepared)
        gptq_work_free(&wk);
    if (rc && prepared)
        quantized_free(qz);
    hessian_free(&h);
    return rc;
}
