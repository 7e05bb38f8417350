/* What a GPTQ checkpoint's layer says about itself: which zero-point
 * convention its zeros follow, its error against the original weights when
 * they are at hand, and the dequant-matmul kernel on its packed weights.
 * Pure: no I/O.
 *
 * The zero-point mix-up. checkpoint_format "gptq" (v1) stores zero - 1 and
 * "gptq_v2" the zero itself; a loader that takes one for the other shifts
 * every weight by one quantization step, and a served model answers "!!!!".
 * The codes tell which convention wrote them: a layer's weights are close
 * to zero-mean, so the mean of (code - zero) over the layer is close to 0
 * under the right convention, and close to -1 or +1 under the wrong one.
 * With m the mean of (code - stored zero), v2 reads m and v1 reads m - 1:
 * the zeros follow v2 when m is within 1/4 of 0 and v1 when it is within
 * 1/4 of 1. Between the two the layer does not say (a tiny or skewed
 * layer); beyond both (m near -1 or 2) the zeros follow neither: converted
 * twice, one step off whichever convention a loader assumes. */
#ifndef FIDRUN_GPTQ_CHECKPOINT_H
#define FIDRUN_GPTQ_CHECKPOINT_H

#include <stdint.h>

#include "core/quant/gptq_pack.h"
#include "core/quant/qmatmul.h"
#include "util/diag.h"

#define GPTQ_KERNEL_REL_MEAN_BOUND 1e-6 /* fp32 accumulation against fp64, as the kernel suite's default */

#define GPTQ_ZEROS_NEAR 0.25 /* |m - 0| or |m - 1| within which the zeros follow v2 or v1 */

enum zeros_look { LOOKS_V1, LOOKS_V2, LOOKS_UNDECIDED, LOOKS_NEITHER };

/* What m says: v1, v2, between them, or neither. */
enum zeros_look gptq_zeros_classify(double code_minus_zero);

struct gptq_layer_check {
    double code_minus_zero;    /* m: the mean of (code - stored zero) over the layer */
    enum zeros_look looks;     /* the convention the zeros follow, by m */
    int64_t stored_max_zeros;  /* stored zeros of 2^bits - 1: under v1, a zero of 0 wrapped (reads as 2^bits) */
    double err_declared;       /* ||W - dequant(declared)||_F / ||W||_F; NaN without the original */
    double err_other;          /* the same under the other convention */
    struct kernel_error kernel; /* the CPU kernel (fp32 accumulation, batch 1) against fp64, declared zeros */
    double kernel_seconds;     /* one call of the kernel */
};

/* m and the count of stored zeros at 2^bits - 1. p's g_idx must be in
 * [0, groups), as gptq_packed_from_tensors checks. */
double gptq_code_minus_zero(const struct gptq_packed *p, int64_t *stored_max_zeros);

/* All of the above for one layer; original is W (out x in, row-major) or
 * NULL. x for the kernel is drawn from seed. */
int gptq_layer_check(const struct gptq_packed *p, enum zero_format declared, const float *original, uint64_t seed,
                     struct gptq_layer_check *c, struct diag *d);

#endif
