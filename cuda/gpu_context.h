/* The process's GPU state, created by gpu_bind: the device, lanes of
 * streams and library handles (one host thread drives each lane, so that
 * small matrices overlap on the GPU), and auto's choice of SVD driver per
 * shape, shared by the lanes. */
#ifndef FIDRUN_GPU_CONTEXT_H
#define FIDRUN_GPU_CONTEXT_H

#include <pthread.h>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

extern "C" {
#include "core/backend.h"
#include "util/diag.h"
}

#define GPU_STREAMS 3
#define GPU_LANES 8
#define GPU_TUNED_MAX 64

/* What auto learned about one shape: each candidate's time on the first
 * matrix, and the drivers whose result missed the run's tolerance. */
struct tuned_shape {
    int64_t rows, cols;
    int dtype;
    double seconds[SVD_DRIVER_COUNT]; /* NaN: not tried or failed */
    unsigned rejected;                /* 1 << driver */
};

struct gpu_context;

struct gpu_lane {
    struct gpu_context *owner;
    cudaStream_t stream[GPU_STREAMS]; /* 0: SVD, reconstruction, diff; 1, 2: the Gram products */
    cublasHandle_t blas[GPU_STREAMS];  /* one per stream: a handle's workspace is not shared across streams */
    cusolverDnHandle_t solver;
    cusolverDnParams_t params;
    gesvdjInfo_t jacobi;
};

struct gpu_context {
    int bound, device;
    struct gpu_lane lane[GPU_LANES]; /* lane 0 from gpu_bind, the others on first use */
    int nlanes;
    pthread_mutex_t lock; /* lanes and tuned */
    struct tuned_shape tuned[GPU_TUNED_MAX];
    int ntuned;
};

/* NULL when no GPU is bound. */
struct gpu_context *gpu_context(void);

/* Lane i (0 <= i < GPU_LANES), created on first use; NULL with d filled
 * when its handles cannot be created. Thread-safe. */
struct gpu_lane *gpu_lane_get(struct gpu_context *c, int i, struct diag *d);

/* Status checks that put the call, file and line into the diag. */
int gpu_cuda_fail(cudaError_t e, const char *call, const char *file, int line, struct diag *d);
int gpu_cublas_fail(cublasStatus_t s, const char *call, const char *file, int line, struct diag *d);
int gpu_cusolver_fail(cusolverStatus_t s, const char *call, const char *file, int line, struct diag *d);

#define CUDA_TRY(call, d)                                                      \
    do {                                                                       \
        cudaError_t e_ = (call);                                               \
        if (e_ != cudaSuccess)                                                 \
            return gpu_cuda_fail(e_, #call, __FILE__, __LINE__, (d));          \
    } while (0)
#define CUBLAS_TRY(call, d)                                                    \
    do {                                                                       \
        cublasStatus_t s_ = (call);                                            \
        if (s_ != CUBLAS_STATUS_SUCCESS)                                       \
            return gpu_cublas_fail(s_, #call, __FILE__, __LINE__, (d));        \
    } while (0)
#define CUSOLVER_TRY(call, d)                                                  \
    do {                                                                       \
        cusolverStatus_t s_ = (call);                                          \
        if (s_ != CUSOLVER_STATUS_SUCCESS)                                     \
            return gpu_cusolver_fail(s_, #call, __FILE__, __LINE__, (d));      \
    } while (0)

static inline cudaDataType gpu_data_type(int dtype)
{
    return dtype == DT_F32 ? CUDA_R_32F : CUDA_R_64F;
}

#endif
