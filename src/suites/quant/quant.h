/* The quantization suite: RTN and GPTQ error per layer (with HF GPTQ
 * packing round trips) and the dequant-matmul kernels against their fp64
 * reference, with throughput against this machine's copy bandwidth and
 * fp32 BLAS. Tables /quant/layers and /quant/kernels. */
#ifndef FIDRUN_SUITE_QUANT_H
#define FIDRUN_SUITE_QUANT_H

#include <stdint.h>

#include "config/models.h"
#include "core/quant/calibration.h"
#include "plugin/task.h"

#define QUANT_MAX_MODELS 4
#define QUANT_MAX_LIST 8
#define QUANT_MAX_KERNEL_STUDIES 8

enum quant_method { QM_RTN, QM_GPTQ };
enum calib_source { CALIB_SYNTHETIC, CALIB_FILE };

/* Layer shapes: one decoder layer's targets of each model, and squares. */
struct quant_shapes {
    const struct model_preset *models[QUANT_MAX_MODELS];
    size_t nmodels;
    unsigned targets;
    int64_t sizes[QUANT_MAX_LIST];
    size_t nsizes;
};

/* A layer read from a checkpoint folder (layers.checkpoint). */
#define QUANT_MAX_CKPT 32
struct quant_ckpt_layer {
    char tensor[160]; /* "model.layers.0.self_attn.q_proj.weight" */
    int64_t out, in;
};

struct quant_layers {
    int enabled;
    struct quant_shapes shapes;
    char checkpoint[512];   /* a HF model folder: its weights instead of synthetic ones */
    char tensors[QUANT_MAX_LIST][128]; /* which of its 2-D weights: globs over tensor names */
    size_t ntensors;
    struct quant_ckpt_layer ckpt[QUANT_MAX_CKPT];
    size_t nckpt;
    unsigned methods; /* bit per enum quant_method */
    int64_t bits[4];
    size_t nbits;
    int64_t group_sizes[QUANT_MAX_LIST];
    size_t ngroups;
    unsigned act_order; /* bit 0: without, bit 1: with (GPTQ only) */
    int sym, static_groups, zeros;
    double percdamp;
    int64_t block_size;
    int64_t cross_check_every; /* on a GPU: every Nth GPTQ layer task also by the CPU reference */
};

struct quant_calibration {
    int source;
    char path[512];
    char tensor[128];
    int64_t tokens, samples, held_out;
    struct synthetic_activations synthetic;
};

struct kernel_study {
    char name[32];
    struct quant_shapes shapes;
    int64_t bits[4];
    size_t nbits;
    int64_t group_size;
    int64_t batches[QUANT_MAX_LIST];
    size_t nbatches;
    unsigned modes; /* bit per enum accum_mode */
};

/* Bounds on max |y - y64| and mean|y - y64| / mean|y64|; with per_sqrt_k
 * both are multiplied by sqrt(K) (K = inputs), the growth of accumulated
 * rounding error, so one setting holds from 1024 to 16384 inputs. */
struct kernel_tolerance {
    double max_abs, rel_mean;
    int per_sqrt_k;
};

struct quant_kernels {
    struct kernel_study studies[QUANT_MAX_KERNEL_STUDIES];
    size_t nstudies;
    int64_t warmup, repeats;
    double copy_mib;
    struct kernel_tolerance tol[2]; /* by enum accum_mode */
    double dequant_max_abs;
};

struct quant_bounds {
    double gptq_over_rtn;
    double sqnr_floor[9]; /* dB, by bits */
    double validation_overhead, act_order_overhead, zeros_v1_overhead;
    double codes_equal;   /* cross-check: least share of codes equal to the CPU reference's */
    double error_ratio;   /* cross-check: largest |device error / CPU error - 1| */
};

struct quant_config {
    struct quant_layers layers;
    struct quant_calibration calib;
    struct quant_kernels kernels;
    struct quant_bounds bounds;
};

struct quant_layer_record {
    struct record_head head;
    char name[96];
    char layer[64];
    char method[8];
    int32_t rows, cols, bits, group_size, act_order, sym;
    char zeros[8];
    double weight_mse, rel_out_err, sqnr_db, max_abs_w_err, max_abs_out_err;
    int64_t nan_count, inf_count;
    double gptq_loss, damp;
    int32_t damp_retries;
    int64_t dead_columns, calib_tokens;
    double hessian_seconds, quant_seconds;
    int64_t packed_hash;
    int32_t roundtrip_ok;
    int64_t v1_wrapped;
    int32_t zeros_diagnosis;
    /* GPTQ on a GPU against the CPU reference on the same inputs, for a sample */
    int32_t cross_checked;
    int64_t xc_codes_differ;
    double xc_codes_equal;  /* share of codes equal */
    double xc_error_ratio;  /* rel_out_err of the device's layer / the reference's (fp32 scales) */
};

struct quant_kernel_record {
    struct record_head head;
    char name[96];
    char layer[64];
    int32_t rows, cols, bits, group_size, batch;
    char accum[8];
    char isa[16];
    double max_abs_diff, rel_mean_diff, ref_max_abs;
    double tol_max_abs, tol_rel_mean;
    int32_t within_tol;
    double dequant_max_abs_diff;
    int64_t nan_count, inf_count, saturated;
    int32_t all_zero;
    int64_t constant_rows, constant_cols;
    int32_t argmax_stuck, degenerate;
    int64_t v1_wrapped;
    double median_seconds, worst_seconds, bytes, gbytes_per_s, copy_gbytes_per_s, bandwidth_ratio, gflops;
    double q1_seconds, q3_seconds; /* the repeats' spread of median_seconds (NaN where not measured) */
    double blas_median_seconds, speedup_vs_blas;
    double act_order_ratio, zeros_v1_ratio, validation_ratio;
};

#endif
