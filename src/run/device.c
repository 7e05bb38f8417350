#include "run/device.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#ifdef FIDRUN_CUDA
#include "cuda/gpu.h"
#endif

int device_cuda_built(void)
{
#ifdef FIDRUN_CUDA
    return 1;
#else
    return 0;
#endif
}

int device_gpu_count(char *why, size_t size)
{
#ifdef FIDRUN_CUDA
    return gpu_visible_count(why, size);
#else
    snprintf(why, size, "built without CUDA");
    return 0;
#endif
}

static void use_cpu(struct device_choice *c, const char *note)
{
    c->backend = &backend_cpu;
    c->gpu_index = -1;
    c->gpu_host_index = -1;
    snprintf(c->note, sizeof c->note, "%.*s", (int)sizeof c->note - 1, note);
}

#ifdef FIDRUN_CUDA
static int use_gpu(int local_rank, const char *how, struct device_choice *c, struct diag *d)
{
    struct gpu_binding b;
    int rc = gpu_bind(local_rank, &b, d);
    if (rc)
        return rc;
    c->backend = &backend_cuda;
    c->gpu_index = b.index;
    c->gpu_host_index = b.host_index;
    snprintf(c->gpu_name, sizeof c->gpu_name, "%s", b.name);
    snprintf(c->gpu_pci_bus_id, sizeof c->gpu_pci_bus_id, "%s", b.pci_bus_id);
    c->gpu_memory_gib = b.memory_gib;
    snprintf(c->note, sizeof c->note, "%scuda (%d GPU%s visible)", how, b.visible, b.visible == 1 ? "" : "s");
    return FR_OK;
}
#endif

int device_select(int requested, int local_rank, struct device_choice *out, struct diag *d)
{
    memset(out, 0, sizeof *out);
    if (requested == DEVICE_CPU) {
        use_cpu(out, "cpu");
        return FR_OK;
    }
#ifdef FIDRUN_CUDA
    char why[256];
    if (gpu_visible_count(why, sizeof why) > 0)
        return use_gpu(local_rank, requested == DEVICE_AUTO ? "auto → " : "", out, d);
    if (requested == DEVICE_CUDA)
        return diag_fail(d, FR_RUNTIME, "device 'cuda' was requested but no GPU is usable here: %s "
                                        "(use --device cpu or auto)", why);
    char note[sizeof out->note];
    snprintf(note, sizeof note, "auto → cpu (%.*s)", (int)sizeof note - 16, why);
    use_cpu(out, note);
    return FR_OK;
#else
    (void)local_rank;
    if (requested == DEVICE_CUDA)
        return diag_fail(d, FR_RUNTIME, "device 'cuda' was requested but this fidrun was built without CUDA "
                                        "support (rebuild where nvcc is found, or use --device cpu)");
    use_cpu(out, "auto → cpu (built without CUDA)");
    return FR_OK;
#endif
}

void device_release(const struct device_choice *c)
{
#ifdef FIDRUN_CUDA
    if (c->gpu_index >= 0)
        gpu_unbind();
#else
    (void)c;
#endif
}

const char *device_versions(char *buf, size_t size)
{
#ifdef FIDRUN_CUDA
    return gpu_versions(buf, size);
#else
    snprintf(buf, size, "built without CUDA");
    return buf;
#endif
}
