/* Binding a GPU to this rank and the device-memory helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/gpu_context.h"
extern "C" {
#include "core/osft/factors.h"
#include "util/cuda_visible.h"
}
#include "cuda/gpu.h"

static struct gpu_context ctx = {0, 0, {}, 0, PTHREAD_MUTEX_INITIALIZER, {}, 0};

struct gpu_context *gpu_context(void)
{
    return ctx.bound ? &ctx : NULL;
}

int gpu_cuda_fail(cudaError_t e, const char *call, const char *file, int line, struct diag *d)
{
    cudaGetLastError(); /* clear a sticky-free error so later calls report their own */
    return diag_fail(d, FR_RUNTIME, "%s failed: %s (%s) at %s:%d", call, cudaGetErrorName(e),
                     cudaGetErrorString(e), file, line);
}

int gpu_cublas_fail(cublasStatus_t s, const char *call, const char *file, int line, struct diag *d)
{
    return diag_fail(d, FR_RUNTIME, "%s failed: %s at %s:%d", call, cublasGetStatusName(s), file, line);
}

static const char *cusolver_status_name(cusolverStatus_t s)
{
    switch (s) {
    case CUSOLVER_STATUS_NOT_INITIALIZED: return "CUSOLVER_STATUS_NOT_INITIALIZED";
    case CUSOLVER_STATUS_ALLOC_FAILED: return "CUSOLVER_STATUS_ALLOC_FAILED (out of GPU memory)";
    case CUSOLVER_STATUS_INVALID_VALUE: return "CUSOLVER_STATUS_INVALID_VALUE";
    case CUSOLVER_STATUS_ARCH_MISMATCH: return "CUSOLVER_STATUS_ARCH_MISMATCH";
    case CUSOLVER_STATUS_EXECUTION_FAILED: return "CUSOLVER_STATUS_EXECUTION_FAILED";
    case CUSOLVER_STATUS_INTERNAL_ERROR: return "CUSOLVER_STATUS_INTERNAL_ERROR";
    case CUSOLVER_STATUS_NOT_SUPPORTED: return "CUSOLVER_STATUS_NOT_SUPPORTED";
    default: return "cuSOLVER error";
    }
}

int gpu_cusolver_fail(cusolverStatus_t s, const char *call, const char *file, int line, struct diag *d)
{
    return diag_fail(d, FR_RUNTIME, "%s failed: %s (%d) at %s:%d", call, cusolver_status_name(s), (int)s, file,
                     line);
}

int gpu_visible_count(char *why, size_t size)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        int drv = -1;
        cudaDriverGetVersion(&drv);
        if (e == cudaErrorInsufficientDriver && drv == 0) /* what the runtime says when there is no driver */
            snprintf(why, size, "no NVIDIA driver is installed");
        else if (e == cudaErrorNoDevice)
            snprintf(why, size, "no CUDA device is visible");
        else
            snprintf(why, size, "cudaGetDeviceCount: %s", cudaGetErrorString(e));
        cudaGetLastError();
        return 0;
    }
    if (n == 0)
        snprintf(why, size, "no CUDA device is visible");
    return n;
}

static int host_index_of(int ordinal)
{
    return cuda_visible_host_index(getenv("CUDA_VISIBLE_DEVICES"), ordinal);
}

static int create_lane(struct gpu_lane *l, struct diag *d)
{
    l->owner = &ctx;
    for (int i = 0; i < GPU_STREAMS; i++) {
        CUDA_TRY(cudaStreamCreateWithFlags(&l->stream[i], cudaStreamNonBlocking), d);
        CUBLAS_TRY(cublasCreate(&l->blas[i]), d);
        CUBLAS_TRY(cublasSetStream(l->blas[i], l->stream[i]), d);
    }
    CUSOLVER_TRY(cusolverDnCreate(&l->solver), d);
    CUSOLVER_TRY(cusolverDnSetStream(l->solver, l->stream[0]), d);
    CUSOLVER_TRY(cusolverDnCreateParams(&l->params), d);
    CUSOLVER_TRY(cusolverDnCreateGesvdjInfo(&l->jacobi), d);
    return FR_OK;
}

static void destroy_lane(struct gpu_lane *l)
{
    if (l->jacobi)
        cusolverDnDestroyGesvdjInfo(l->jacobi);
    if (l->params)
        cusolverDnDestroyParams(l->params);
    if (l->solver)
        cusolverDnDestroy(l->solver);
    for (int i = 0; i < GPU_STREAMS; i++) {
        if (l->blas[i])
            cublasDestroy(l->blas[i]);
        if (l->stream[i])
            cudaStreamDestroy(l->stream[i]);
    }
    memset(l, 0, sizeof *l);
}

struct gpu_lane *gpu_lane_get(struct gpu_context *c, int i, struct diag *d)
{
    if (i < 0 || i >= GPU_LANES) {
        diag_fail(d, FR_RUNTIME, "GPU lane %d out of range", i);
        return NULL;
    }
    pthread_mutex_lock(&c->lock);
    int rc = FR_OK;
    while (!rc && c->nlanes <= i) {
        if ((rc = create_lane(&c->lane[c->nlanes], d)))
            destroy_lane(&c->lane[c->nlanes]);
        else
            c->nlanes++;
    }
    pthread_mutex_unlock(&c->lock);
    return rc ? NULL : &c->lane[i];
}

/* Ordinal, host index, name, memory, compute capability and PCI bus id. */
static int describe(int ordinal, struct gpu_binding *b, struct diag *d)
{
    cudaDeviceProp p;
    CUDA_TRY(cudaGetDeviceProperties(&p, ordinal), d);
    b->index = ordinal;
    b->host_index = host_index_of(ordinal);
    snprintf(b->name, sizeof b->name, "%.*s", (int)sizeof b->name - 1, p.name);
    b->memory_gib = (double)p.totalGlobalMem / (1024.0 * 1024.0 * 1024.0);
    b->cc_major = p.major;
    b->cc_minor = p.minor;
    CUDA_TRY(cudaDeviceGetPCIBusId(b->pci_bus_id, (int)sizeof b->pci_bus_id, ordinal), d);
    return FR_OK;
}

int gpu_bind(int local_rank, struct gpu_binding *b, struct diag *d)
{
    memset(b, 0, sizeof *b);
    char why[256];
    b->visible = gpu_visible_count(why, sizeof why);
    if (b->visible <= 0)
        return diag_fail(d, FR_RUNTIME, "no GPU to bind: %s", why);
    int rc = describe(local_rank % b->visible, b, d);
    if (rc)
        return rc;
    CUDA_TRY(cudaSetDevice(b->index), d);
    ctx.device = b->index;
    ctx.bound = 1;
    if (!gpu_lane_get(&ctx, 0, d)) {
        gpu_unbind();
        return d->code;
    }
    return FR_OK;
}

int gpu_bound(struct gpu_binding *b)
{
    struct diag d = {};
    memset(b, 0, sizeof *b);
    return ctx.bound ? describe(ctx.device, b, &d) : FR_RUNTIME;
}

void gpu_unbind(void)
{
    for (int i = 0; i < ctx.nlanes; i++)
        destroy_lane(&ctx.lane[i]);
    ctx.nlanes = 0;
    ctx.ntuned = 0;
    ctx.bound = 0;
}

int gpu_malloc(void **p, size_t bytes, struct diag *d)
{
    *p = NULL;
    CUDA_TRY(cudaMalloc(p, bytes ? bytes : 1), d);
    return FR_OK;
}

void gpu_free(void *p)
{
    cudaFree(p);
}

int gpu_to_host(void *dst, const void *src, size_t bytes, struct diag *d)
{
    CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, ctx.lane[0].stream[0]), d);
    CUDA_TRY(cudaStreamSynchronize(ctx.lane[0].stream[0]), d);
    return FR_OK;
}

int gpu_from_host(void *dst, const void *src, size_t bytes, struct diag *d)
{
    CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, ctx.lane[0].stream[0]), d);
    CUDA_TRY(cudaStreamSynchronize(ctx.lane[0].stream[0]), d);
    return FR_OK;
}

int gpu_memory(size_t *free_bytes, size_t *total_bytes, struct diag *d)
{
    CUDA_TRY(cudaMemGetInfo(free_bytes, total_bytes), d);
    return FR_OK;
}

#ifndef FIDRUN_NCCL
const char *gpu_nccl_version(char *buf, size_t size)
{
    snprintf(buf, size, "no NCCL");
    return buf;
}
#endif
