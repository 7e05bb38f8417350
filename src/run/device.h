/* Which backend a rank computes on (device: auto | cpu | cuda) and, on a
 * GPU, which GPU it bound. */
#ifndef FIDRUN_DEVICE_H
#define FIDRUN_DEVICE_H

#include <stddef.h>

#include "core/backend.h"
#include "util/cuda_visible.h"
#include "util/diag.h"

struct device_choice {
    const struct backend *backend;
    char note[160];          /* for the run header: "auto → cuda (1 GPU visible)" */
    int gpu_index;           /* -1 on the CPU */
    int gpu_host_index;      /* through CUDA_VISIBLE_DEVICES; -1 when unknown */
    char gpu_name[96];
    char gpu_pci_bus_id[32];
    double gpu_memory_gib;
};

/* requested: enum device_kind. local_rank picks the GPU (local rank mod
 * GPUs visible). A cuda request without a usable GPU, or a fidrun built
 * without CUDA, is FR_RUNTIME with the reason. */
int device_select(int requested, int local_rank, struct device_choice *out, struct diag *d);
void device_release(const struct device_choice *c);

/* The CUDA, driver and library versions, or "built without CUDA". */
const char *device_versions(char *buf, size_t size);

/* 1 when this fidrun has the CUDA backend compiled in. */
int device_cuda_built(void);

/* GPUs this process sees (0 without CUDA), with the reason when none. */
int device_gpu_count(char *why, size_t size);

#endif
