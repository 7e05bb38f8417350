/* The CUDA libraries' versions as they report themselves at run time, for
 * fidrun --version and the results file's provenance. */
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>
#include <stdio.h>

extern "C" {
#include "cuda/gpu.h"
}

extern "C" const char *gpu_versions(char *buf, size_t size)
{
    int rt = 0, drv = 0, smaj = 0, smin = 0, spat = 0, bv = 0;
    cudaRuntimeGetVersion(&rt);
    cudaDriverGetVersion(&drv);
    cusolverGetProperty(MAJOR_VERSION, &smaj);
    cusolverGetProperty(MINOR_VERSION, &smin);
    cusolverGetProperty(PATCH_LEVEL, &spat);
    cublasGetProperty(MAJOR_VERSION, &bv);
    int bmin = 0, bpat = 0;
    cublasGetProperty(MINOR_VERSION, &bmin);
    cublasGetProperty(PATCH_LEVEL, &bpat);
    char nccl[32];
    gpu_nccl_version(nccl, sizeof nccl);
    char driver[32] = "no driver";
    if (drv > 0)
        snprintf(driver, sizeof driver, "driver %d.%d", drv / 1000, drv % 1000 / 10);
    snprintf(buf, size, "CUDA runtime %d.%d · %s · cuSOLVER %d.%d.%d · cuBLAS %d.%d.%d · %s", rt / 1000,
             rt % 1000 / 10, driver, smaj, smin, spat, bv, bmin, bpat, nccl);
    return buf;
}
