/* The kernels around cuSOLVER and cuBLAS in one OSFT job: scaling by the
 * singular values, the |A - A'| statistics, ||I - G||_1 and the factor
 * checksum. CPU references: core/cpu_linalg.c (the split reconstruction),
 * core/osft/metrics.c (diff_stats_compute, identity_defect_norm1) and
 * core/osft/factors.c (factor_checksum); held together by
 * tests/unit/test_gpu.c (test_osft_every_driver compares the GPU job's
 * figures with the CPU's) and the broadcast's checksum check. See
 * docs/kernels.md. */
#include "cuda/metrics.h"

#include <math.h>

extern "C" {
#include "core/osft/factors.h"
}

#define THREADS 256

template <typename T>
__global__ void scale_columns(const T *p, const T *s, T *out, int64_t rows, int64_t k)
{
    int64_t total = rows * k;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x)
        out[i] = p[i] * s[i / rows];
}

template <typename T>
void launch_scale_columns(const T *p, const T *s, T *out, int64_t rows, int64_t k, cudaStream_t st)
{
    int64_t blocks = (rows * k + THREADS - 1) / THREADS;
    scale_columns<T><<<(unsigned)(blocks < 65535 * 8 ? blocks : 65535 * 8), THREADS, 0, st>>>(p, s, out, rows, k);
}

/* Block-wide reduction of DP_COUNT values: maxima for the first two, sums
 * for the rest. Thread 0 gets the result. */
__device__ void block_reduce(double v[DP_COUNT])
{
    __shared__ double sh[DP_COUNT][THREADS];
    for (int q = 0; q < DP_COUNT; q++)
        sh[q][threadIdx.x] = v[q];
    __syncthreads();
    for (int step = THREADS / 2; step > 0; step /= 2) {
        if (threadIdx.x < step)
            for (int q = 0; q < DP_COUNT; q++) {
                double a = sh[q][threadIdx.x], b = sh[q][threadIdx.x + step];
                sh[q][threadIdx.x] = q <= DP_MAX_REF ? fmax(a, b) : a + b;
            }
        __syncthreads();
    }
    for (int q = 0; q < DP_COUNT; q++)
        v[q] = sh[q][0];
}

template <typename T>
__global__ void diff_columns(const T *ref, const T *x, int64_t rows, int64_t cols, double atol, double rtol,
                             double *parts, double *row_e, double *row_ref)
{
    int64_t j = blockIdx.x;
    double v[DP_COUNT] = {0};
    for (int64_t i = threadIdx.x; i < rows; i += THREADS) {
        double a = (double)ref[i + j * rows], e = fabs(a - (double)x[i + j * rows]), aa = fabs(a);
        if (isnan(e))
            v[DP_NAN] += 1;
        else
            v[DP_MAX_E] = fmax(v[DP_MAX_E], e);
        v[DP_MAX_REF] = fmax(v[DP_MAX_REF], aa);
        v[DP_SUM_E] += e;
        v[DP_SUM_REF] += aa;
        v[DP_SUM_E2] += e * e;
        v[DP_SUM_REF2] += aa * aa;
        v[DP_VIOL] += !(e <= atol + rtol * aa);
        if (row_e) {
            atomicAdd(&row_e[i], e);
            atomicAdd(&row_ref[i], aa);
        }
    }
    block_reduce(v);
    if (threadIdx.x == 0)
        for (int q = 0; q < DP_COUNT; q++)
            parts[q * cols + j] = v[q];
}

template <typename T>
void launch_diff_columns(const T *ref, const T *x, int64_t rows, int64_t cols, double atol, double rtol,
                         double *parts, double *row_e, double *row_ref, cudaStream_t st)
{
    diff_columns<T><<<(unsigned)cols, THREADS, 0, st>>>(ref, x, rows, cols, atol, rtol, parts, row_e, row_ref);
}

/* The block's sum of one value per thread; thread 0 gets it. */
template <typename V>
__device__ V block_sum(V mine)
{
    __shared__ V sh[THREADS];
    sh[threadIdx.x] = mine;
    __syncthreads();
    for (int step = THREADS / 2; step > 0; step /= 2) {
        if (threadIdx.x < step)
            sh[threadIdx.x] += sh[threadIdx.x + step];
        __syncthreads();
    }
    return sh[0];
}

template <typename T>
__global__ void identity_defect(const T *g, int64_t k, double *col)
{
    int64_t j = blockIdx.x;
    double mine = 0;
    for (int64_t i = threadIdx.x; i <= j; i += THREADS) {
        double e = fabs((i == j ? 1.0 : 0.0) - (double)g[i + j * k]);
        mine += e;
        if (i != j)
            atomicAdd(&col[i], e); /* the lower triangle's copy of g(i, j) */
    }
    double total = block_sum(mine);
    if (threadIdx.x == 0)
        atomicAdd(&col[j], total);
}

template <typename T>
void launch_identity_defect(const T *g, int64_t k, double *col, cudaStream_t st)
{
    identity_defect<T><<<(unsigned)k, THREADS, 0, st>>>(g, k, col);
}

__global__ void checksum_words(const uint64_t *w, size_t n, unsigned long long *sum)
{
    unsigned long long mine = 0;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        mine += factor_mix(w[i] ^ (FACTOR_GOLDEN * (uint64_t)i));
    unsigned long long total = block_sum(mine);
    if (threadIdx.x == 0)
        atomicAdd(sum, total);
}

void launch_checksum(const uint64_t *words, size_t nwords, unsigned long long *sum, cudaStream_t st)
{
    size_t blocks = (nwords + THREADS - 1) / THREADS;
    checksum_words<<<(unsigned)(blocks < 1024 ? (blocks ? blocks : 1) : 1024), THREADS, 0, st>>>(words, nwords, sum);
}

template void launch_scale_columns<float>(const float *, const float *, float *, int64_t, int64_t, cudaStream_t);
template void launch_scale_columns<double>(const double *, const double *, double *, int64_t, int64_t, cudaStream_t);
template void launch_diff_columns<float>(const float *, const float *, int64_t, int64_t, double, double, double *,
                                         double *, double *, cudaStream_t);
template void launch_diff_columns<double>(const double *, const double *, int64_t, int64_t, double, double,
                                          double *, double *, double *, cudaStream_t);
template void launch_identity_defect<float>(const float *, int64_t, double *, cudaStream_t);
template void launch_identity_defect<double>(const double *, int64_t, double *, cudaStream_t);
