/* Dequantize-matmul on the CPU, straight from the HF GPTQ packed layout:
 * y (batch x out) = x (batch x in, fp16) . dequant(W)^T, the W4A16 /
 * W8A16 (and 2/3-bit) product a GPTQ layer computes. The packed weights are
 * streamed once per call; scales and zero points (one per group and output,
 * a small fraction of the bytes) are widened once per call.
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

#include "diag.h"
#include "gptq_pack.h"

enum accum_mode { ACCUM_FP32, ACCUM_FP16 };

const char *accum_mode_name(enum accum_mode m);

/* x: batch x in fp16 bits; y: batch x out. Zero points read as `as`. */
int qmatmul(const struct gptq_packed *p, enum zero_format as, const uint16_t *x, int64_t batch, enum accum_mode mode,
            float *y, struct diag *d);

/* Which build of the inner loops this CPU runs ("avx2+fma+f16c"). */
const char *qmatmul_isa(void);

/* y = x . W^T in float64 with W from gptq_dequantize_f64 (w: out x in). */
void qmatmul_reference(const double *w, int64_t out, int64_t in, const uint16_t *x, int64_t batch, double *y);

/* Comparison with the reference: max |y - ref| and mean|y - ref| / mean|ref|. */
struct kernel_error {
    double max_abs;
    double rel_mean;
    double ref_max_abs;
};

void kernel_error_compute(const float *y, const double *ref, int64_t count, struct kernel_error *e);

#endif
