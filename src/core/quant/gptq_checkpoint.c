#include "core/quant/gptq_checkpoint.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "util/clock.h"
#include "util/rng.h"

double gptq_code_minus_zero(const struct gptq_packed *p, int64_t *stored_max_zeros)
{
    int64_t in = p->in, out = p->out, zwords = out * p->bits / 32;
    int32_t *codes = malloc((size_t)in * sizeof *codes), *zeros = malloc((size_t)(p->groups * out) * sizeof *zeros);
    if (!codes || !zeros) {
        free(codes);
        free(zeros);
        return NAN;
    }
    uint32_t top = (1u << p->bits) - 1;
    *stored_max_zeros = 0;
    for (int64_t g = 0; g < p->groups; g++) {
        packed_read_stream(p->qzeros + g * zwords, 1, p->bits, zeros + g * out, out);
        for (int64_t n = 0; n < out; n++)
            *stored_max_zeros += (uint32_t)zeros[g * out + n] == top;
    }
    double sum = 0;
    for (int64_t n = 0; n < out; n++) {
        packed_read_stream(p->qweight + n, out, p->bits, codes, in);
        int64_t s = 0;
        for (int64_t k = 0; k < in; k++)
            s += codes[k] - zeros[(int64_t)p->g_idx[k] * out + n];
        sum += (double)s;
    }
    free(codes);
    free(zeros);
    return sum / ((double)in * (double)out);
}

enum zeros_look gptq_zeros_classify(double m)
{
    double to_v2 = fabs(m), to_v1 = fabs(m - 1);
    if (to_v2 <= GPTQ_ZEROS_NEAR)
        return LOOKS_V2;
    if (to_v1 <= GPTQ_ZEROS_NEAR)
        return LOOKS_V1;
    /* between the two the layer does not say; beyond both it follows neither */
    return m > 0 && m < 1 ? LOOKS_UNDECIDED : LOOKS_NEITHER;
}

/* ||W - dequant||_F / ||W||_F */
static double relative_error(const float *w, const double *deq, int64_t count)
{
    double num = 0, den = 0;
    for (int64_t i = 0; i < count; i++) {
        double e = (double)w[i] - deq[i];
        num += e * e;
        den += (double)w[i] * w[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static int errors_against(const struct gptq_packed *p, enum zero_format declared, const float *w,
                          struct gptq_layer_check *c, struct diag *d)
{
    int64_t count = p->in * p->out;
    double *deq = malloc((size_t)count * sizeof *deq);
    if (!deq)
        return diag_fail(d, FR_RUNTIME, "out of memory for a %lld x %lld layer", (long long)p->out, (long long)p->in);
    gptq_dequantize_f64(p, declared, deq);
    c->err_declared = relative_error(w, deq, count);
    gptq_dequantize_f64(p, declared == ZEROS_V1 ? ZEROS_V2 : ZEROS_V1, deq);
    c->err_other = relative_error(w, deq, count);
    free(deq);
    return FR_OK;
}

static int kernel_against_reference(const struct gptq_packed *p, enum zero_format declared, uint64_t seed,
                                    struct gptq_layer_check *c, struct diag *d)
{
    int64_t in = p->in, out = p->out;
    uint16_t *x = malloc((size_t)in * sizeof *x);
    double *u = malloc((size_t)in * sizeof *u), *ref = malloc((size_t)out * sizeof *ref);
    float *y = malloc((size_t)out * sizeof *y);
    int rc = x && u && ref && y ? FR_OK : diag_fail(d, FR_RUNTIME, "out of memory");
    if (!rc) {
        rng_uniforms(rng_key(seed, "gptq-check x"), 0, 0, (size_t)in, u);
        for (int64_t k = 0; k < in; k++)
            x[k] = half_bits((float)(2 * u[k] - 1));
        double t0 = now_seconds();
        rc = qmatmul(p, declared, x, 1, ACCUM_FP32, y, d);
        c->kernel_seconds = now_seconds() - t0;
    }
    if (!rc)
        rc = qmatmul_reference(p, declared, x, 1, ref, d);
    if (!rc)
        kernel_error_compute(y, ref, out, &c->kernel);
    free(x);
    free(u);
    free(ref);
    free(y);
    return rc;
}

int gptq_layer_check(const struct gptq_packed *p, enum zero_format declared, const float *original, uint64_t seed,
                     struct gptq_layer_check *c, struct diag *d)
{
    memset(c, 0, sizeof *c);
    c->err_declared = c->err_other = NAN;
    c->code_minus_zero = gptq_code_minus_zero(p, &c->stored_max_zeros);
    if (isnan(c->code_minus_zero))
        return diag_fail(d, FR_RUNTIME, "out of memory");
    c->looks = gptq_zeros_classify(c->code_minus_zero);
    int rc = original ? errors_against(p, declared, original, c, d) : FR_OK;
    return rc ? rc : kernel_against_reference(p, declared, seed, c, d);
}
