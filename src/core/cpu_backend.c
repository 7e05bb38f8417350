/* The CPU backend, the reference every other backend is validated
 * against: core/cpu_linalg.c's primitives, the OSFT job of
 * core/osft/osft_matrix.c and GPTQ of core/quant/gptq_layer.c. */
#include "core/backend.h"
#include "core/osft/osft_matrix.h"
#include "core/quant/gptq.h"

const struct backend backend_cpu = {
    .name = "cpu",
    .svd_thin = cpu_svd_thin,
    .reconstruct_split = cpu_reconstruct_split,
    .gram = cpu_gram,
    .osft_matrix = cpu_osft_matrix,
    .osft_matrices = cpu_osft_matrices,
    .gptq_layer = gptq_layer_cpu,
};
