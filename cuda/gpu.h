/* The CUDA side of fidrun as plain C, for the host code: binding a GPU,
 * the CUDA backend, device memory and NCCL. Compiled in when the Makefile
 * finds nvcc (FIDRUN_CUDA is then defined for every file). */
#ifndef FIDRUN_GPU_H
#define FIDRUN_GPU_H

#include <stddef.h>
#include <stdint.h>

/* C headers: C linkage for what they declare, also when a .cu includes this first */
#ifdef __cplusplus
extern "C" {
#endif

#include "core/backend.h"
#include "util/diag.h"

struct gpu_binding {
    int visible;       /* GPUs this process sees */
    int index;         /* the CUDA ordinal bound: local rank mod visible */
    int host_index;    /* the same GPU's index on the host, read through CUDA_VISIBLE_DEVICES (-1 if unknown) */
    char name[96];
    char pci_bus_id[32];
    double memory_gib;
    int cc_major, cc_minor;
};

/* How many GPUs this process sees; 0 with the reason in why. */
int gpu_visible_count(char *why, size_t size);

/* Binds GPU (local_rank mod visible) to this process and creates the
 * backend's handles and stream. */
int gpu_bind(int local_rank, struct gpu_binding *b, struct diag *d);
void gpu_unbind(void);
/* The binding of this process; FR_RUNTIME when none. */
int gpu_bound(struct gpu_binding *b);

/* "CUDA runtime 13.0 · driver 13.0 · cuSOLVER 12.0.4 · cuBLAS 13.0.0 · NCCL 2.27.7" */
const char *gpu_versions(char *buf, size_t size);

/* The CUDA backend (cuda/backend.c): whole OSFT jobs, GPTQ and the
 * dequant-matmul kernels on the GPU; the host-matrix primitives stay the
 * CPU's. */
extern const struct backend backend_cuda;

/* Its osft_matrix and osft_matrices (cuda/osft_matrix.cu): one job, or n
 * overlapped on up to `lanes` stream sets. */
int gpu_osft_matrix(const struct osft_job *job, struct osft_outcome *out, struct diag *d);
int gpu_osft_matrices(const struct osft_job *jobs, size_t n, struct osft_outcome *outs, double *seconds, int lanes,
                      struct diag *d);

/* The CUDA backend's qmatmul_device (core/quant/qmatmul.h): the dequant-matmul
 * kernels, validated by the caller and timed beside cuBLAS and copies. */
struct qmm_device_case;
int gpu_qmatmul_device(struct qmm_device_case *q, struct diag *d);

/* The CUDA backend's gptq_layer (core/backend.h): GPTQ with the Hessian, the
 * inverse factor and the column sweep on the GPU. */
int gpu_gptq_layer(const float *w, int64_t out, int64_t in, const float *x, int64_t tokens, int64_t samples,
                   const struct quant_spec *s, struct quantized *qz, double *hessian_seconds, double *quant_seconds,
                   struct diag *d);

/* Device memory and copies on the backend's stream (synchronous). */
int gpu_malloc(void **p, size_t bytes, struct diag *d);
void gpu_free(void *p);
int gpu_to_host(void *dst, const void *src, size_t bytes, struct diag *d);
int gpu_from_host(void *dst, const void *src, size_t bytes, struct diag *d);
/* factor_checksum (factors.h) of a device buffer. */
int gpu_checksum(const void *buf, size_t bytes, uint64_t *sum, struct diag *d);
/* Free and total memory of the bound GPU. */
int gpu_memory(size_t *free_bytes, size_t *total_bytes, struct diag *d);

/* NCCL (with FIDRUN_NCCL), bootstrapped by the caller: rank 0 gets the id, MPI broadcasts it. */
#define GPU_NCCL_ID_BYTES 128
int gpu_nccl_unique_id(unsigned char id[GPU_NCCL_ID_BYTES], struct diag *d);
int gpu_nccl_open(void **comm, int nranks, const unsigned char id[GPU_NCCL_ID_BYTES], int rank, struct diag *d);
/* In one NCCL group: buffer i (device, bytes[i]) broadcast in place from rank roots[i]; returns when done. */
int gpu_nccl_broadcast(void *comm, void *const *bufs, const size_t *bytes, const int *roots, size_t n,
                       struct diag *d);
void gpu_nccl_close(void *comm);
/* "NCCL 2.27.7", or "no NCCL" when built without it. */
const char *gpu_nccl_version(char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
