/* Dequantize-matmul on the CPU, straight from the HF GPTQ packed layout:
 * y (batch x out) = x (batch x in, fp16) . dequant(W)^T, the W4A16 /
 * W8A16 (and 2/3-bit) product a GPTQ layer computes. The packed codes are
 * streamed once per call. Preparing a layer (once, when it is loaded, as
 * ExLlama-style kernels do) widens the scales and zero points to float32
 * and, for act-order layers whose groups are scattered over the columns,
 * sorts the packed columns by group so every call runs the contiguous-group
 * loop; the call then gathers x in that order.
 *
 * Two accumulation modes:
 *   fp32: float32 sums; y is the float32 accumulator (what a kernel holds
 *         before its final cast). Without act-order each group's codes are
 *         summed against x and scale (sum x q - zero sum x) added once, as
 *         fast GPU kernels do; with a scattered g_idx each weight is
 *         dequantized, scale (q - zero), before its product.
 *   fp16: w rounded to fp16, and each step acc = fp16(acc + x w), as a
 *         half-precision multiply-add (hfma) does; y holds fp16 values.
 * And the fp64 reference they are both checked against. */
#ifndef FIDRUN_QMATMUL_H
#define FIDRUN_QMATMUL_H

#include <stdint.h>

#include "core/quant/gptq_pack.h"
#include "util/diag.h"

enum accum_mode { ACCUM_FP32, ACCUM_FP16 };

const char *accum_mode_name(enum accum_mode m);

struct qmm_layer {
    const struct gptq_packed *p; /* the layer, or `sorted` */
    struct gptq_packed sorted;   /* columns sorted by group (act-order layers) */
    int32_t *perm;               /* sorted column i is original column perm[i]; NULL if not sorted */
    float *scale, *zero;         /* groups x out, widened */
    int64_t group_size;          /* of p when its groups are contiguous (g_idx[k] = k / size), else 0 */
};

/* Zero points read as `as`. p must outlive the prepared layer. */
int qmatmul_prepare(const struct gptq_packed *p, enum zero_format as, struct qmm_layer *L, struct diag *d);
void qmatmul_release(struct qmm_layer *L);

/* x: batch x in fp16 bits (original column order); y: batch x out. */
int qmatmul_run(const struct qmm_layer *L, const uint16_t *x, int64_t batch, enum accum_mode mode, float *y,
                struct diag *d);

/* The same with the baseline build of the inner loops whatever the CPU
 * (the tests compare the two builds bit for bit). */
int qmatmul_run_baseline(const struct qmm_layer *L, const uint16_t *x, int64_t batch, enum accum_mode mode, float *y,
                         struct diag *d);

/* prepare + run + release, for one-off products. */
int qmatmul(const struct gptq_packed *p, enum zero_format as, const uint16_t *x, int64_t batch, enum accum_mode mode,
            float *y, struct diag *d);

/* Which build of the inner loops this CPU runs ("avx2+fma+f16c"). */
const char *qmatmul_isa(void);

/* y = x . W^T in float64, W dequantized from the packed tensors as
 * gptq_dequantize_f64 does (exact: fp16 scale times a small integer). */
int qmatmul_reference(const struct gptq_packed *p, enum zero_format as, const uint16_t *x, int64_t batch, double *y,
                      struct diag *d);

/* The same products on a device (the CUDA backend's qmatmul_device): the
 * prepared layers of one kernel case (plain, act-order, v1 zeros, as the
 * CPU prepares them) uploaded once, run, validated by the caller against
 * the fp64 reference through y, and timed as llm.c's dev/cuda does:
 * warm-up calls, then device events around each call with the L2 cache
 * flushed before it, interleaved over the variants. Beside them, in the
 * same run: device-to-device copy bandwidth and cuBLAS fp16 GEMM
 * (cublasGemmEx) on the dequantized weights. */
#define QMM_VARIANTS 3
struct qmm_device_case {
    const struct qmm_layer *layers[QMM_VARIANTS];
    const uint16_t *x; /* batch x in, fp16 bits */
    int64_t batch;
    enum accum_mode mode;
    int warmup, repeats;
    double copy_bytes;           /* size of each copied array, at least 4x the L2 cache is used */
    float *y[QMM_VARIANTS];      /* out: each variant's batch x out result (caller-allocated) */
    double median[QMM_VARIANTS]; /* out: seconds per call */
    double worst;                /* out: slowest call of variant 0 */
    double readback_seconds;     /* out: copying y to the host (what validating a call adds) */
    double copy_gbps;            /* out: device copy, 2 x bytes / time, best of the repeats */
    double blas_median;          /* out: cublasGemmEx fp16 in, fp32 accumulate, on the dequantized weights */
    char device[16];             /* out: "sm_90" */
};

/* Comparison with the reference: max |y - ref| and mean|y - ref| / mean|ref|. */
struct kernel_error {
    double max_abs;
    double rel_mean;
    double ref_max_abs;
};

void kernel_error_compute(const float *y, const double *ref, int64_t count, struct kernel_error *e);

#endif
