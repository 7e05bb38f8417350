/* W4A16 / W8A16 (and 2-bit) dequant-matmul on the GPU, straight from the HF
 * GPTQ packed layout as the CPU prepares it (columns sorted by group for
 * act-order layers, scales and zero points widened to float32):
 *
 *   y (batch x out) = x (batch x in, fp16) . dequant(W)^T
 *
 * Each thread owns 4 consecutive output columns and reads their packed
 * words as one 16-byte load, so a warp streams 512 contiguous bytes of a
 * packed row. Blocks split K into chunks inside one group (split-K); each
 * adds its chunk's share to y with atomicAdd, after applying the group's
 * scale once: scale (sum x q - zero sum x), as the CPU's fp32 mode does.
 * The fp16 mode dequantizes each weight to fp16 and accumulates with hfma
 * inside a chunk; chunks are then summed in fp32. Batch 1 is the GEMV
 * (one batch row per block). Batches 2-64 are a GEMM on the tensor cores
 * (WMMA 16x16x16): each warp owns 16 outputs x 16 batch rows; per 16-input
 * step it unpacks its 16 x 16 tile of codes into shared memory, as fp16
 * codes (exact: at most 255) for the fp32 mode, whose fp32 accumulator
 * then holds sum x q exactly as the CPU forms it before the group's scale,
 * or as fp16 weights with an fp16 accumulator for the fp16 mode. Outputs
 * that are not a multiple of 16 take the CUDA-core kernel (8 rows a block).
 *
 * The harness times it as llm.c's dev/cuda does: warm-up, cudaEvents around
 * each call, the L2 cache flushed before each, and beside it in the same
 * run device-to-device copy bandwidth and cublasGemmEx on fp16 weights.
 *
 * CPU reference: core/quant/qmatmul.c (and qmatmul_tiles.c); both are held
 * to an fp64 dequant-matmul by tests/unit/test_gpu.c
 * (test_kernels_against_fp64) and by every kernel task of the quant suite.
 * See docs/kernels.md.
 */
#include <cuda_fp16.h>
#include <math.h>
#include <mma.h>
#include <type_traits>
#include <stdlib.h>
#include <string.h>

#include "cuda/gpu_context.h"
extern "C" {
#include "core/quant/qmatmul.h"
#include "util/clock.h"
}
#include "cuda/gpu.h"

#define QT 128  /* threads per block */
#define CHUNK 128 /* inputs per block (or the group size when smaller) */

struct dev_layer {
    int bits;
    int64_t in, out, groups, group_size, chunk;
    int32_t *qw;
    float *scale, *zero;
    int32_t *perm; /* NULL when the columns are in order */
};

/* The CUDA-core kernel. Each thread's packed words for the chunk (up to
 * 16 rows of 16 bytes) are requested before x is staged, so that a
 * thread has them all in flight at once: with one outstanding load a
 * thread, a 4096 x 4096 W4 GEMV (256 blocks) reached 16 % of copy
 * bandwidth on an H100. Codes become floats without the conversion unit,
 * which runs at an eighth of the FMA rate and bounded the kernel: OR-ing
 * a code into the mantissa of 2^23 and subtracting 2^23 gives it exactly.
 * The fp16 mode converts two columns' weights in one instruction. */
__device__ __forceinline__ float code_to_float(uint32_t q)
{
    return __uint_as_float(0x4B000000u | q) - 8388608.0f;
}

template <int BITS, int BT, bool HALF>
__global__ void qmm_kernel(const int32_t *qw, const float *scale, const float *zero, const __half *x, float *y,
                           int64_t in, int64_t out, int64_t batch, int64_t group_size, int64_t chunk)
{
    constexpr int VALS = 32 / BITS;
    constexpr uint32_t MASK = (1u << BITS) - 1u;
    constexpr int RMAX = CHUNK / VALS, RB = RMAX < 16 ? RMAX : 16;
    __shared__ float xs[BT][CHUNK];
    __shared__ __half2 xh[BT][CHUNK]; /* the fp16 mode's x, twice */
    __shared__ float sx[BT];
    int64_t k0 = blockIdx.y * chunk, b0 = blockIdx.z * (int64_t)BT;
    int64_t n0 = (blockIdx.x * (int64_t)QT + threadIdx.x) * 4;
    int64_t rows = chunk / VALS, r0 = k0 / VALS;
    bool active = n0 < out;
    int4 wv[RB];
#pragma unroll
    for (int u = 0; u < RB; u++)
        if (active && u < rows)
            wv[u] = __ldg(reinterpret_cast<const int4 *>(qw + (r0 + u) * out + n0));
    for (int64_t i = threadIdx.x; i < BT * chunk; i += QT) {
        int64_t b = i / chunk, k = i % chunk;
        __half v = b0 + b < batch ? x[(b0 + b) * in + k0 + k] : __float2half(0.0f);
        if (HALF)
            xh[b][k] = __half2half2(v);
        else
            xs[b][k] = __half2float(v);
    }
    __syncthreads();
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    for (int b = warp; b < BT && !HALF; b += QT / 32) { /* sum of each batch row's chunk, a warp a row */
        float s = 0;
        for (int64_t k = lane; k < chunk; k += 32)
            s += xs[b][k];
        for (int off = 16; off > 0; off /= 2)
            s += __shfl_xor_sync(0xffffffffu, s, off);
        if (lane == 0)
            sx[b] = s;
    }
    __syncthreads();
    if (!active)
        return;
    int64_t g = k0 / group_size;
    float sc[4], ze[4];
    for (int c = 0; c < 4; c++) {
        sc[c] = scale[g * out + n0 + c];
        ze[c] = zero[g * out + n0 + c];
    }
    float acc[BT][4];
    __half2 hacc[BT][2]; /* columns (0, 1) and (2, 3) */
    for (int b = 0; b < BT; b++) {
        for (int c = 0; c < 4; c++)
            acc[b][c] = 0;
        hacc[b][0] = hacc[b][1] = __float2half2_rn(0.0f);
    }
    for (int64_t rb = 0; rb < rows; rb += RB) {
        if (rb > 0) /* 8-bit codes: the chunk's second half */
#pragma unroll
            for (int u = 0; u < RB; u++)
                if (rb + u < rows)
                    wv[u] = __ldg(reinterpret_cast<const int4 *>(qw + (r0 + rb + u) * out + n0));
#pragma unroll
        for (int u = 0; u < RB; u++) {
            if (rb + u >= rows)
                break;
            uint32_t w[4] = {(uint32_t)wv[u].x, (uint32_t)wv[u].y, (uint32_t)wv[u].z, (uint32_t)wv[u].w};
#pragma unroll
            for (int j = 0; j < VALS; j++) {
                int64_t k = (rb + u) * VALS + j;
                float q[4];
#pragma unroll
                for (int c = 0; c < 4; c++)
                    q[c] = code_to_float((w[c] >> (BITS * j)) & MASK);
                if (HALF) {
#pragma unroll
                    for (int p = 0; p < 2; p++) {
                        __half2 wh = __floats2half2_rn(sc[2 * p] * (q[2 * p] - ze[2 * p]),
                                                       sc[2 * p + 1] * (q[2 * p + 1] - ze[2 * p + 1]));
#pragma unroll
                        for (int b = 0; b < BT; b++)
                            hacc[b][p] = __hfma2(xh[b][k], wh, hacc[b][p]);
                    }
                } else {
#pragma unroll
                    for (int c = 0; c < 4; c++)
#pragma unroll
                        for (int b = 0; b < BT; b++)
                            acc[b][c] += xs[b][k] * q[c];
                }
            }
        }
    }
    for (int b = 0; b < BT; b++) {
        if (b0 + b >= batch)
            break;
        for (int c = 0; c < 4; c++) {
            float part = HALF ? (c % 2 ? __high2float(hacc[b][c / 2]) : __low2float(hacc[b][c / 2]))
                              : sc[c] * (acc[b][c] - ze[c] * sx[b]);
            atomicAdd(&y[(b0 + b) * out + n0 + c], part);
        }
    }
}

/* The tensor-core GEMM: 4 warps a block, each 16 outputs x 16 batch rows,
 * over one chunk of inputs inside one group. */
#define WM_WARPS 4
#define XS_LD (CHUNK + 8)
#define WS_LD 24
#define CS_LD 20
template <int BITS, bool HALF>
__global__ void qmm_wmma(const int32_t *qw, const float *scale, const float *zero, const __half *x, float *y,
                         int64_t in, int64_t out, int64_t batch, int64_t group_size, int64_t chunk)
{
    using namespace nvcuda;
    constexpr int VALS = 32 / BITS;
    constexpr uint32_t MASK = (1u << BITS) - 1u;
    typedef typename std::conditional<HALF, __half, float>::type acc_t;
    __shared__ __align__(32) __half xs[16][XS_LD];
    __shared__ __align__(32) __half ws[WM_WARPS][16][WS_LD];
    __shared__ __align__(32) float cs[WM_WARPS][16][CS_LD];
    __shared__ float sx[16];
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int64_t k0 = blockIdx.y * chunk, b0 = blockIdx.z * 16, n0 = (blockIdx.x * WM_WARPS + warp) * 16;
    for (int64_t i = threadIdx.x; i < 16 * chunk; i += blockDim.x) {
        int64_t b = i / chunk, k = i % chunk;
        xs[b][k] = b0 + b < batch ? x[(b0 + b) * in + k0 + k] : __float2half(0.0f);
    }
    __syncthreads();
    if (threadIdx.x < 16) {
        float s = 0;
        for (int64_t k = 0; k < chunk; k++)
            s += __half2float(xs[threadIdx.x][k]);
        sx[threadIdx.x] = s;
    }
    __syncthreads();
    if (n0 >= out) /* no block-wide synchronisation below this */
        return;
    int64_t g = k0 / group_size, n = n0 + lane % 16;
    float sc = scale[g * out + n], ze = zero[g * out + n];
    wmma::fragment<wmma::accumulator, 16, 16, 16, acc_t> acc;
    wmma::fill_fragment(acc, (acc_t)0.0f);
    for (int64_t kk = 0; kk < chunk; kk += 16) {
        /* lane: output n, inputs kk + 8 (lane / 16) .. + 7 */
        int kh = 8 * (lane / 16);
#pragma unroll
        for (int j = 0; j < 8; j++) {
            int64_t k = k0 + kk + kh + j;
            uint32_t word = (uint32_t)qw[(k / VALS) * out + n];
            float q = (float)((word >> (BITS * (k % VALS))) & MASK);
            if constexpr (HALF)
                ws[warp][kh + j][lane % 16] = __float2half(sc * (q - ze));
            else
                ws[warp][kh + j][lane % 16] = __float2half(q);
        }
        __syncwarp();
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::row_major> b;
        wmma::load_matrix_sync(a, &xs[0][kk], XS_LD);
        wmma::load_matrix_sync(b, &ws[warp][0][0], WS_LD);
        wmma::mma_sync(acc, a, b, acc);
        __syncwarp();
    }
    if constexpr (HALF) {
        /* fragments' element order is opaque: through memory, then widened (ws is free now) */
        wmma::store_matrix_sync(&ws[warp][0][0], acc, WS_LD, wmma::mem_row_major);
        __syncwarp();
        for (int e = lane; e < 256; e += 32)
            cs[warp][e / 16][e % 16] = __half2float(ws[warp][e / 16][e % 16]);
    } else {
        wmma::store_matrix_sync(&cs[warp][0][0], acc, CS_LD, wmma::mem_row_major);
    }
    __syncwarp();
    for (int e = lane; e < 256; e += 32) {
        int b = e / 16, c = e % 16;
        if (b0 + b >= batch)
            continue;
        float v = cs[warp][b][c];
        if constexpr (!HALF) /* the group's scale once: scale (sum x q - zero sum x) */
            v = scale[g * out + n0 + c] * (v - zero[g * out + n0 + c] * sx[b]);
        atomicAdd(&y[(b0 + b) * out + n0 + c], v);
    }
}

__global__ void gather_columns(const __half *x, const int32_t *perm, __half *xs, int64_t batch, int64_t in)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < batch * in; i += (int64_t)gridDim.x * blockDim.x)
        xs[i] = x[(i / in) * in + perm[i % in]];
}

/* W16 (out x in, row-major fp16) from the packed layer, for cuBLAS. */
template <int BITS>
__global__ void dequantize_fp16(const int32_t *qw, const float *scale, const float *zero, __half *w, int64_t in,
                                int64_t out, int64_t group_size)
{
    constexpr int VALS = 32 / BITS;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < in * out; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t n = i / in, k = i % in, g = k / group_size;
        uint32_t word = (uint32_t)qw[(k / VALS) * out + n];
        float q = (float)((word >> (BITS * (k % VALS))) & ((1u << BITS) - 1u));
        w[i] = __float2half(scale[g * out + n] * (q - zero[g * out + n]));
    }
}

static int upload_layer(const struct qmm_layer *L, struct dev_layer *g, cudaStream_t st, struct diag *d)
{
    const struct gptq_packed *p = L->p;
    memset(g, 0, sizeof *g);
    if (p->bits != 2 && p->bits != 4 && p->bits != 8)
        return diag_fail(d, FR_RUNTIME, "the GPU kernels take 2, 4 or 8 bits; this layer has %d", p->bits);
    if (p->out % 4)
        return diag_fail(d, FR_RUNTIME, "the GPU kernels need a multiple of 4 outputs; this layer has %lld",
                         (long long)p->out);
    if (L->group_size <= 0)
        return diag_fail(d, FR_RUNTIME, "a layer without contiguous groups reached the GPU kernels");
    g->bits = p->bits;
    g->in = p->in;
    g->out = p->out;
    g->groups = p->groups;
    g->group_size = L->group_size;
    g->chunk = L->group_size % CHUNK == 0 ? CHUNK : L->group_size;
    if (g->chunk > CHUNK || g->chunk % (32 / p->bits))
        return diag_fail(d, FR_RUNTIME, "group size %lld does not suit the GPU kernels (a divisor of %d or a "
                                        "multiple of it, whole packed words)", (long long)L->group_size, CHUNK);
    size_t words = (size_t)(p->in * p->bits / 32 * p->out), ng = (size_t)(p->groups * p->out);
    CUDA_TRY(cudaMalloc((void **)&g->qw, words * sizeof *g->qw), d);
    CUDA_TRY(cudaMalloc((void **)&g->scale, ng * sizeof *g->scale), d);
    CUDA_TRY(cudaMalloc((void **)&g->zero, ng * sizeof *g->zero), d);
    CUDA_TRY(cudaMemcpyAsync(g->qw, p->qweight, words * sizeof *g->qw, cudaMemcpyHostToDevice, st), d);
    CUDA_TRY(cudaMemcpyAsync(g->scale, L->scale, ng * sizeof *g->scale, cudaMemcpyHostToDevice, st), d);
    CUDA_TRY(cudaMemcpyAsync(g->zero, L->zero, ng * sizeof *g->zero, cudaMemcpyHostToDevice, st), d);
    if (L->perm) {
        CUDA_TRY(cudaMalloc((void **)&g->perm, (size_t)p->in * sizeof *g->perm), d);
        CUDA_TRY(cudaMemcpyAsync(g->perm, L->perm, (size_t)p->in * sizeof *g->perm, cudaMemcpyHostToDevice, st), d);
    }
    CUDA_TRY(cudaStreamSynchronize(st), d);
    return FR_OK;
}

static void free_layer(struct dev_layer *g)
{
    cudaFree(g->qw);
    cudaFree(g->scale);
    cudaFree(g->zero);
    cudaFree(g->perm);
    memset(g, 0, sizeof *g);
}

template <int BITS>
static void launch_bits(const struct dev_layer *g, const __half *x, float *y, int64_t batch, int half, cudaStream_t st)
{
    if (batch > 1 && g->out % 16 == 0 && g->chunk % 16 == 0) {
        dim3 grid((unsigned)((g->out / 16 + WM_WARPS - 1) / WM_WARPS), (unsigned)(g->in / g->chunk),
                  (unsigned)((batch + 15) / 16));
        if (half)
            qmm_wmma<BITS, true><<<grid, 32 * WM_WARPS, 0, st>>>(g->qw, g->scale, g->zero, x, y, g->in, g->out, batch,
                                                                 g->group_size, g->chunk);
        else
            qmm_wmma<BITS, false><<<grid, 32 * WM_WARPS, 0, st>>>(g->qw, g->scale, g->zero, x, y, g->in, g->out,
                                                                  batch, g->group_size, g->chunk);
        return;
    }
    int64_t bt = batch == 1 ? 1 : 8;
    dim3 grid((unsigned)((g->out / 4 + QT - 1) / QT), (unsigned)(g->in / g->chunk), (unsigned)((batch + bt - 1) / bt));
    if (batch == 1 && half)
        qmm_kernel<BITS, 1, true><<<grid, QT, 0, st>>>(g->qw, g->scale, g->zero, x, y, g->in, g->out, batch, g->group_size, g->chunk);
    else if (batch == 1)
        qmm_kernel<BITS, 1, false><<<grid, QT, 0, st>>>(g->qw, g->scale, g->zero, x, y, g->in, g->out, batch, g->group_size, g->chunk);
    else if (half)
        qmm_kernel<BITS, 8, true><<<grid, QT, 0, st>>>(g->qw, g->scale, g->zero, x, y, g->in, g->out, batch, g->group_size, g->chunk);
    else
        qmm_kernel<BITS, 8, false><<<grid, QT, 0, st>>>(g->qw, g->scale, g->zero, x, y, g->in, g->out, batch, g->group_size, g->chunk);
}

/* One call as a server makes it: y zeroed, x gathered for act-order, the kernel. */
static int qmm_call(const struct dev_layer *g, const __half *x, __half *xg, float *y, int64_t batch, int half,
                    cudaStream_t st, struct diag *d)
{
    CUDA_TRY(cudaMemsetAsync(y, 0, (size_t)(batch * g->out) * sizeof *y, st), d);
    if (g->perm) {
        gather_columns<<<256, 256, 0, st>>>(x, g->perm, xg, batch, g->in);
        x = xg;
    }
    if (g->bits == 4)
        launch_bits<4>(g, x, y, batch, half, st);
    else if (g->bits == 8)
        launch_bits<8>(g, x, y, batch, half, st);
    else
        launch_bits<2>(g, x, y, batch, half, st);
    CUDA_TRY(cudaGetLastError(), d);
    return FR_OK;
}

struct bench {
    cudaStream_t st;
    cudaEvent_t e0, e1;
    void *flush;
    size_t flush_bytes;
};

/* Device time of what `call` enqueues, after an L2 flush. */
#define TIMED(b, seconds, call)                                                        \
    do {                                                                               \
        CUDA_TRY(cudaMemsetAsync((b)->flush, 0, (b)->flush_bytes, (b)->st), d);        \
        CUDA_TRY(cudaEventRecord((b)->e0, (b)->st), d);                                \
        int rc_ = (call);                                                              \
        if (rc_)                                                                       \
            return rc_;                                                                \
        CUDA_TRY(cudaEventRecord((b)->e1, (b)->st), d);                                \
        CUDA_TRY(cudaEventSynchronize((b)->e1), d);                                    \
        float ms_ = 0;                                                                 \
        CUDA_TRY(cudaEventElapsedTime(&ms_, (b)->e0, (b)->e1), d);                     \
        (seconds) = ms_ / 1e3;                                                         \
    } while (0)

struct run_buffers {
    struct dev_layer layer[QMM_VARIANTS];
    __half *x, *xg, *w16;
    float *y;
    void *copy_a, *copy_b;
    double *times;
};

static int copy_call(void *dst, const void *src, size_t bytes, cudaStream_t st, struct diag *d)
{
    CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, st), d);
    return FR_OK;
}

static int gemm_call(cublasHandle_t h, const __half *w16, const __half *x, float *y, int64_t out, int64_t in,
                     int64_t batch, struct diag *d)
{
    float one = 1, zero = 0;
    /* column-major: y^T (out x batch) = W (row-major out x in, op T) . x^T */
    CUBLAS_TRY(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, (int)out, (int)batch, (int)in, &one, w16, CUDA_R_16F, (int)in,
                            x, CUDA_R_16F, (int)in, &zero, y, CUDA_R_32F, (int)out, CUBLAS_COMPUTE_32F,
                            CUBLAS_GEMM_DEFAULT),
               d);
    return FR_OK;
}

static int run_case(struct gpu_lane *c, struct qmm_device_case *q, struct run_buffers *rb, struct bench *b,
                    struct diag *d)
{
    const struct gptq_packed *p = q->layers[0]->p;
    int64_t in = p->in, out = p->out, batch = q->batch;
    int half = q->mode == ACCUM_FP16, reps = q->repeats > 0 ? q->repeats : 1, rc;
    for (int v = 0; v < QMM_VARIANTS; v++)
        if ((rc = upload_layer(q->layers[v], &rb->layer[v], b->st, d)))
            return rc;
    CUDA_TRY(cudaMalloc((void **)&rb->x, (size_t)(batch * in) * sizeof(__half)), d);
    CUDA_TRY(cudaMalloc((void **)&rb->xg, (size_t)(batch * in) * sizeof(__half)), d);
    CUDA_TRY(cudaMalloc((void **)&rb->y, (size_t)(batch * out) * sizeof(float)), d);
    CUDA_TRY(cudaMemcpyAsync(rb->x, q->x, (size_t)(batch * in) * sizeof(__half), cudaMemcpyHostToDevice, b->st), d);
    /* results for validation, one call each */
    for (int v = 0; v < QMM_VARIANTS; v++) {
        if ((rc = qmm_call(&rb->layer[v], rb->x, rb->xg, rb->y, batch, half, b->st, d)))
            return rc;
        CUDA_TRY(cudaMemcpyAsync(q->y[v], rb->y, (size_t)(batch * out) * sizeof(float), cudaMemcpyDeviceToHost, b->st), d);
    }
    CUDA_TRY(cudaStreamSynchronize(b->st), d);
    for (int i = 0; i < q->warmup; i++)
        for (int v = 0; v < QMM_VARIANTS; v++)
            if ((rc = qmm_call(&rb->layer[v], rb->x, rb->xg, rb->y, batch, half, b->st, d)))
                return rc;
    if (!(rb->times = (double *)malloc((size_t)(QMM_VARIANTS + 3) * (size_t)reps * sizeof *rb->times)))
        return diag_fail(d, FR_RUNTIME, "out of memory");
    double *t = rb->times;
    /* interleaved, so a slow spell hits every variant alike */
    for (int i = 0; i < reps; i++)
        for (int v = QMM_VARIANTS - 1; v >= 0; v--)
            TIMED(b, t[v * reps + i], qmm_call(&rb->layer[v], rb->x, rb->xg, rb->y, batch, half, b->st, d));
    for (int i = 0; i < reps; i++) {
        double t0 = now_seconds();
        CUDA_TRY(cudaMemcpy(q->y[0], rb->y, (size_t)(batch * out) * sizeof(float), cudaMemcpyDeviceToHost), d);
        t[QMM_VARIANTS * reps + i] = now_seconds() - t0;
    }
    /* cuBLAS fp16 on the dequantized weights */
    CUDA_TRY(cudaMalloc((void **)&rb->w16, (size_t)(in * out) * sizeof(__half)), d);
    const struct dev_layer *g = &rb->layer[0];
    if (g->bits == 4)
        dequantize_fp16<4><<<1024, 256, 0, b->st>>>(g->qw, g->scale, g->zero, rb->w16, in, out, g->group_size);
    else if (g->bits == 8)
        dequantize_fp16<8><<<1024, 256, 0, b->st>>>(g->qw, g->scale, g->zero, rb->w16, in, out, g->group_size);
    else
        dequantize_fp16<2><<<1024, 256, 0, b->st>>>(g->qw, g->scale, g->zero, rb->w16, in, out, g->group_size);
    CUDA_TRY(cudaGetLastError(), d);
    if ((rc = gemm_call(c->blas[0], rb->w16, rb->x, rb->y, out, in, batch, d)))
        return rc;
    for (int i = 0; i < reps; i++)
        TIMED(b, t[(QMM_VARIANTS + 1) * reps + i], gemm_call(c->blas[0], rb->w16, rb->x, rb->y, out, in, batch, d));
    /* device-to-device copy bandwidth, arrays well over the L2 cache */
    size_t bytes = (size_t)q->copy_bytes > 2 * b->flush_bytes ? (size_t)q->copy_bytes : 2 * b->flush_bytes;
    CUDA_TRY(cudaMalloc(&rb->copy_a, bytes), d);
    CUDA_TRY(cudaMalloc(&rb->copy_b, bytes), d);
    CUDA_TRY(cudaMemsetAsync(rb->copy_a, 1, bytes, b->st), d);
    for (int i = 0; i < reps; i++)
        TIMED(b, t[(QMM_VARIANTS + 2) * reps + i], copy_call(rb->copy_b, rb->copy_a, bytes, b->st, d));
    for (int v = 0; v < QMM_VARIANTS; v++)
        q->median[v] = median_seconds(t + v * reps, reps);
    q->worst = 0;
    for (int i = 0; i < reps; i++)
        q->worst = t[i] > q->worst ? t[i] : q->worst;
    q->readback_seconds = median_seconds(t + QMM_VARIANTS * reps, reps);
    q->blas_median = median_seconds(t + (QMM_VARIANTS + 1) * reps, reps);
    double best = INFINITY;
    for (int i = 0; i < reps; i++)
        best = t[(QMM_VARIANTS + 2) * reps + i] < best ? t[(QMM_VARIANTS + 2) * reps + i] : best;
    q->copy_gbps = 2.0 * (double)bytes / best / 1e9;
    return FR_OK;
}

extern "C" int gpu_qmatmul_device(struct qmm_device_case *q, struct diag *d)
{
    struct gpu_context *ctx = gpu_context();
    struct gpu_lane *c = ctx ? gpu_lane_get(ctx, 0, d) : NULL;
    if (!c)
        return ctx ? d->code : diag_fail(d, FR_RUNTIME, "the CUDA backend was used without a bound GPU");
    cudaDeviceProp prop;
    CUDA_TRY(cudaGetDeviceProperties(&prop, ctx->device), d);
    snprintf(q->device, sizeof q->device, "sm_%d%d", prop.major, prop.minor);
    struct bench b = {c->stream[0], NULL, NULL, NULL, 2 * (size_t)(prop.l2CacheSize > 0 ? prop.l2CacheSize : 1 << 26)};
    struct run_buffers rb;
    memset(&rb, 0, sizeof rb);
    CUDA_TRY(cudaEventCreate(&b.e0), d);
    CUDA_TRY(cudaEventCreate(&b.e1), d);
    int rc = cudaMalloc(&b.flush, b.flush_bytes) == cudaSuccess
                 ? run_case(c, q, &rb, &b, d)
                 : diag_fail(d, FR_RUNTIME, "out of GPU memory for the L2 flush buffer");
    cudaStreamSynchronize(b.st);
    for (int v = 0; v < QMM_VARIANTS; v++)
        free_layer(&rb.layer[v]);
    cudaFree(rb.x);
    cudaFree(rb.xg);
    cudaFree(rb.w16);
    cudaFree(rb.y);
    cudaFree(rb.copy_a);
    cudaFree(rb.copy_b);
    cudaFree(b.flush);
    free(rb.times);
    cudaEventDestroy(b.e0);
    cudaEventDestroy(b.e1);
    return rc;
}
