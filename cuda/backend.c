/* The CUDA backend's table. Whole OSFT jobs, GPTQ and the dequant-matmul
 * kernels run on the GPU; the host-matrix primitives (svd_thin,
 * reconstruct_split, gram) are left NULL: the suites use them only on the
 * CPU backend, the reference these kernels are checked against
 * (docs/kernels.md). */
#include "cuda/gpu.h"

const struct backend backend_cuda = {
    .name = "cuda",
    .osft_matrix = gpu_osft_matrix,
    .osft_matrices = gpu_osft_matrices,
    .gptq_layer = gpu_gptq_layer,
    .qmatmul_device = gpu_qmatmul_device,
};
