#include "cli/version.h"

#include <jansson.h>

#include "core/backend.h"
#include "core/quant/qmatmul.h"
#include "io/results.h"
#include "mpi/comm.h"
#include "run/device.h"
#include "util/version.h"
#include "util/yaml_tree.h"

/* The Makefile passes how the kernels were compiled; a build without it
 * (another build system) says so rather than guessing. */
#ifndef FIDRUN_KERNEL_FLAGS
#define FIDRUN_KERNEL_FLAGS "not recorded by this build"
#endif
#ifndef FIDRUN_GIT_DIRTY
#define FIDRUN_GIT_DIRTY -1
#endif

static const char *compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "an unknown C compiler";
#endif
}

static const char *jansson_version(void)
{
#if JANSSON_VERSION_HEX >= 0x020d00
    return jansson_version_str();
#else
    return JANSSON_VERSION;
#endif
}

void build_info_print(FILE *out)
{
    char blas[512], mpi[256], hdf5[64];
    fprintf(out, "fidrun %s (git %s, %s)\n", FIDRUN_VERSION, FIDRUN_GIT_COMMIT,
            FIDRUN_GIT_DIRTY == 1   ? "built from a tree with uncommitted changes"
            : FIDRUN_GIT_DIRTY == 0 ? "built from a clean tree"
                                    : "not built from a git tree");
    fprintf(out, "built with: %s · kernels %s\n", compiler(), FIDRUN_KERNEL_FLAGS);
    fprintf(out, "libraries: %s · HDF5 %s · libyaml %s · jansson %s\n", comm_library_version(mpi, sizeof mpi),
            results_hdf5_version(hdf5, sizeof hdf5), ytree_libyaml_version(), jansson_version());
    fprintf(out, "backends: cpu (%s; dequant kernels here: %s)\n", blas_description(blas, sizeof blas),
            qmatmul_isa());
    if (device_cuda_built()) {
        char cuda[256], why[256] = "";
        fprintf(out, "          cuda (%s)\n", device_versions(cuda, sizeof cuda));
        int n = device_gpu_count(why, sizeof why);
        fprintf(out, "GPUs visible: %d%s%s%s\n", n, why[0] ? " (" : "", why, why[0] ? ")" : "");
    } else {
        fprintf(out, "          no cuda (built without nvcc, or with NO_CUDA=1)\n");
    }
}
