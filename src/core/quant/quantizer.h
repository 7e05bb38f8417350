/* The uniform quantizer of GPTQ (Frantar et al., 2022), exactly as the
 * IST-DASLab and AutoGPTQ `Quantizer` computes it in float32, so codes can be
 * compared with theirs entry by entry. Pure: no I/O, no globals.
 *
 *   maxq  = 2^bits - 1
 *   range = [min(min x, 0), max(max x, 0)]      (always includes 0)
 *   sym:    xmax = max(|xmin|, xmax), xmin = -xmax when xmin < 0,
 *           zero = (maxq + 1) / 2
 *   range [0, 0] becomes [-1, 1]
 *   scale = (xmax - xmin) / maxq,  asym: zero = round(-xmin / scale)
 *   q     = clamp(round(w / scale) + zero, 0, maxq),  w' = scale (q - zero)
 *
 * round() is round-half-to-even, which is what torch.round does (and rintf
 * under the default rounding mode): 2.5 -> 2, 3.5 -> 4, -0.5 -> -0. */
#ifndef FIDRUN_QUANTIZER_H
#define FIDRUN_QUANTIZER_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* The same code serves the CPU and the GPU sweep (cuda/gptq.cu); none
 * of it has a multiply-add a compiler could fuse, so both round alike. */
#ifdef __CUDACC__
#define QUANT_HD __host__ __device__
#else
#define QUANT_HD
#endif

static inline QUANT_HD int32_t quant_maxq(int bits) { return (int32_t)((1u << bits) - 1u); }

static inline int quant_bits_supported(int bits) { return bits == 2 || bits == 3 || bits == 4 || bits == 8; }

/* Scale and zero of values x[0], x[stride], ... x[(n-1) stride]. */
static inline QUANT_HD void quant_find_params(const float *x, size_t n, size_t stride, int bits, int sym,
                                              float *scale, float *zero)
{
    float xmin = 0, xmax = 0;
    for (size_t i = 0; i < n; i++) {
        float v = x[i * stride];
        xmin = v < xmin ? v : xmin;
        xmax = v > xmax ? v : xmax;
    }
    if (sym) {
        xmax = fabsf(xmin) > xmax ? fabsf(xmin) : xmax;
        if (xmin < 0)
            xmin = -xmax;
    }
    if (xmin == 0 && xmax == 0) {
        xmin = -1;
        xmax = 1;
    }
    float maxq = (float)quant_maxq(bits);
    *scale = (xmax - xmin) / maxq;
    *zero = sym ? (maxq + 1) / 2 : rintf(-xmin / *scale);
}

static inline QUANT_HD int32_t quant_code(float w, float scale, float zero, int32_t maxq)
{
    float q = rintf(w / scale) + zero;
    if (!(q > 0)) /* also NaN -> 0 */
        return 0;
    return q > (float)maxq ? maxq : (int32_t)q;
}

static inline QUANT_HD float quant_value(int32_t q, float scale, float zero) { return scale * ((float)q - zero); }

#endif
