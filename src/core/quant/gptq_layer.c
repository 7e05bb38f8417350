/* The CPU backend's GPTQ of one layer: the reference, timed in two phases. */
#include "core/quant/gptq.h"
#include "util/clock.h"

int gptq_layer_cpu(const float *w, int64_t out, int64_t in, const float *x, int64_t tokens, int64_t samples,
                   const struct quant_spec *s, struct quantized *qz, double *hessian_seconds, double *quant_seconds,
                   struct diag *d)
{
    double t0 = now_seconds();
    struct hessian h;
    if (hessian_from_activations(&h, x, tokens, in, samples))
        return diag_fail(d, FR_RUNTIME, "out of memory for a %lld x %lld Hessian", (long long)in, (long long)in);
    double t1 = now_seconds();
    *hessian_seconds = t1 - t0;
    int rc = gptq_quantize(w, out, in, &h, s, qz, d);
    *quant_seconds = now_seconds() - t1;
    hessian_free(&h);
    return rc;
}
