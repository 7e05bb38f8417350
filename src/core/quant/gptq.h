/* CPU reference RTN and GPTQ (Frantar et al., 2022), following the
 * IST-DASLab `gptq.py` and AutoGPTQ `fasterquant` step by step in float32
 * (CBLAS/LAPACKE), so their codes, scales and losses can be compared with
 * ours. Weights are out x in, row-major (nn.Linear layout). Pure: no I/O,
 * no MPI, no globals. */
#ifndef FIDRUN_GPTQ_H
#define FIDRUN_GPTQ_H

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

struct quant_spec {
    int bits;          /* 2, 3, 4 or 8 */
    int64_t group_size; /* -1: one group per row; else columns per group */
    int sym;
    int act_order;     /* GPTQ only: columns in order of decreasing diag(H) */
    int static_groups; /* GPTQ only: group parameters fixed from W before the sweep */
    double percdamp;   /* damping as a fraction of mean(diag(H)); 0.01 by default */
    int64_t block_size; /* columns per lazy batch update; 128 by default */
};

/* A quantized layer: codes in the original column order and one scale and
 * zero per (group, output row), laid out [groups][out] as HF GPTQ stores
 * them; column k uses group g_idx[k]. */
struct quantized {
    int64_t out, in, groups;
    int bits;
    int32_t *q;     /* out x in */
    float *scale;   /* groups x out */
    float *zero;    /* groups x out, integral values */
    int32_t *g_idx; /* in */
    double loss;    /* GPTQ: sum (w - q)^2 / (2 d^2); RTN: 0 */
    double damp;    /* damping added to diag(H) in the end */
    int damp_retries; /* Cholesky failures that raised the damping */
    int64_t dead_columns;
};

int quantized_alloc(struct quantized *qz, int64_t out, int64_t in, int64_t groups, int bits);
void quantized_free(struct quantized *qz);

/* Number of groups a spec gives a row of `in` columns. */
int64_t quant_groups(const struct quant_spec *s, int64_t in);

/* Validates a spec for a layer of `in` columns (bits, group size divides in). */
int quant_spec_check(const struct quant_spec *s, int64_t in, struct diag *d);

/* Round-to-nearest: the quantizer alone, groups in column order. */
int rtn_quantize(const float *w, int64_t out, int64_t in, const struct quant_spec *s, struct quantized *qz,
                 struct diag *d);

/* H = (2/n) sum x x^T over calibration samples, kept as a running mean as
 * GPTQ's add_batch does (n counts samples, a sample being a sequence of
 * tokens). */
struct hessian {
    int64_t n;
    int64_t nsamples;
    float *h; /* n x n, upper triangle until hessian_finish */
};

int hessian_init(struct hessian *h, int64_t n);
/* x: tokens x n row-major activations making up `samples` samples. */
void hessian_add(struct hessian *h, const float *x, int64_t tokens, int64_t samples);
void hessian_free(struct hessian *h);

/* hessian_init, then the tokens x n activations x in `samples` equal runs,
 * one hessian_add each (as GPTQ sees calibration samples one batch at a
 * time). Returns -1 when out of memory. */
int hessian_from_activations(struct hessian *h, const float *x, int64_t tokens, int64_t n, int64_t samples);

/* GPTQ of w (out x in, row-major; left unchanged) with Hessian h (its
 * contents are consumed). */
int gptq_quantize(const float *w, int64_t out, int64_t in, struct hessian *h, const struct quant_spec *s,
                  struct quantized *qz, struct diag *d);

/* hessian_from_activations then gptq_quantize, each phase timed: the CPU
 * backend's gptq_layer (core/backend.h). */
int gptq_layer_cpu(const float *w, int64_t out, int64_t in, const float *x, int64_t tokens, int64_t samples,
                   const struct quant_spec *s, struct quantized *qz, double *hessian_seconds, double *quant_seconds,
                   struct diag *d);

/* The same in float64 for one weight: exact, since a scale that fits fp16
 * times a small integer needs at most 20 bits. */
static inline double quantized_value_f64(const struct quantized *qz, int64_t n, int64_t k)
{
    int64_t g = qz->g_idx[k];
    return (double)qz->scale[g * qz->out + n] * ((double)qz->q[n * qz->in + k] - (double)qz->zero[g * qz->out + n]);
}

/* w'[n, k] = scale[g_idx[k], n] (q[n, k] - zero[g_idx[k], n]) in float32. */
void quantized_dequantize(const struct quantized *qz, float *w);

#endif
