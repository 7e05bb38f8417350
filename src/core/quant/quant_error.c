#include "core/quant/quant_error.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>

int quant_error_compute(const float *w, const float *wq, int64_t out, int64_t in, const float *x, int64_t tokens,
                        struct quant_error *e)
{
    *e = (struct quant_error){0};
    double se = 0;
    for (int64_t i = 0; i < out * in; i++) {
        double d = (double)w[i] - (double)wq[i];
        se += d * d;
        if (isnan(d) || fabs(d) > e->max_abs_w_err)
            e->max_abs_w_err = fabs(d);
    }
    e->weight_mse = se / (double)(out * in);
    float *y = malloc((size_t)(tokens * out) * sizeof *y), *yq = malloc((size_t)(tokens * out) * sizeof *yq);
    if (!y || !yq) {
        free(y);
        free(yq);
        return -1;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)tokens, (int)out, (int)in, 1.0f, x, (int)in, w, (int)in,
                0.0f, y, (int)out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)tokens, (int)out, (int)in, 1.0f, x, (int)in, wq,
                (int)in, 0.0f, yq, (int)out);
    double num = 0, den = 0;
    for (int64_t i = 0; i < tokens * out; i++) {
        double d = (double)y[i] - (double)yq[i];
        num += d * d;
        den += (double)y[i] * (double)y[i];
        if (isnan(d) || fabs(d) > e->max_abs_out_err)
            e->max_abs_out_err = fabs(d);
        e->nan_count += isnan(yq[i]) != 0;
        e->inf_count += isinf(yq[i]) != 0;
    }
    free(y);
    free(yq);
    e->rel_out_err = den > 0 ? sqrt(num / den) : sqrt(num);
    e->sqnr_db = num > 0 ? 10 * log10(den / num) : INFINITY;
    return 0;
}
