/* NCCL for the factor broadcast; the communicator is bootstrapped by the
 * caller over MPI (rank 0's unique id, MPI_Bcast). */
#include <nccl.h>
#include <stdio.h>
#include <string.h>

#include "cuda/gpu.h"
#include "cuda/gpu_context.h"

static int nccl_fail(ncclResult_t r, const char *call, const char *file, int line, struct diag *d)
{
    return diag_fail(d, FR_RUNTIME, "%s failed: %s (%s) at %s:%d", call, ncclGetErrorString(r),
                     ncclGetLastError(NULL), file, line);
}

#define NCCL_TRY(call, d)                                                  \
    do {                                                                   \
        ncclResult_t r_ = (call);                                          \
        if (r_ != ncclSuccess)                                             \
            return nccl_fail(r_, #call, __FILE__, __LINE__, (d));          \
    } while (0)

int gpu_nccl_unique_id(unsigned char id[GPU_NCCL_ID_BYTES], struct diag *d)
{
    static_assert(sizeof(ncclUniqueId) == GPU_NCCL_ID_BYTES, "ncclUniqueId size");
    ncclUniqueId u;
    NCCL_TRY(ncclGetUniqueId(&u), d);
    memcpy(id, &u, sizeof u);
    return FR_OK;
}

int gpu_nccl_open(void **comm, int nranks, const unsigned char id[GPU_NCCL_ID_BYTES], int rank, struct diag *d)
{
    ncclUniqueId u;
    memcpy(&u, id, sizeof u);
    ncclComm_t c = NULL;
    NCCL_TRY(ncclCommInitRank(&c, nranks, u, rank), d);
    *comm = c;
    return FR_OK;
}

int gpu_nccl_broadcast(void *comm, void *const *bufs, const size_t *bytes, const int *roots, size_t n,
                       struct diag *d)
{
    struct gpu_context *c = gpu_context();
    if (!c)
        return diag_fail(d, FR_RUNTIME, "no GPU is bound");
    NCCL_TRY(ncclGroupStart(), d);
    for (size_t i = 0; i < n; i++) {
        ncclResult_t r = ncclBroadcast(bufs[i], bufs[i], bytes[i], ncclUint8, roots[i], (ncclComm_t)comm,
                                       c->lane[0].stream[0]);
        if (r != ncclSuccess) {
            ncclGroupEnd();
            return nccl_fail(r, "ncclBroadcast", __FILE__, __LINE__, d);
        }
    }
    NCCL_TRY(ncclGroupEnd(), d);
    CUDA_TRY(cudaStreamSynchronize(c->lane[0].stream[0]), d);
    return FR_OK;
}

void gpu_nccl_close(void *comm)
{
    ncclCommDestroy((ncclComm_t)comm);
}

const char *gpu_nccl_version(char *buf, size_t size)
{
    int v = 0;
    ncclGetVersion(&v);
    /* NCCL_VERSION(X, Y, Z) is X*10000 + Y*100 + Z from 2.9 on */
    snprintf(buf, size, "NCCL %d.%d.%d", v / 10000, v / 100 % 100, v % 100);
    return buf;
}
