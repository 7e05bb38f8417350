/* How far quantized weights are from the originals: on the weights and on
 * the layer's outputs for given inputs. Pure (CBLAS for the products). */
#ifndef FIDRUN_QUANT_ERROR_H
#define FIDRUN_QUANT_ERROR_H

#include <stdint.h>

struct quant_error {
    double weight_mse;      /* mean (w - w')^2 */
    double max_abs_w_err;   /* max |w - w'| */
    double rel_out_err;     /* ||X W^T - X W'^T||_F / ||X W^T||_F */
    double sqnr_db;         /* 20 log10(||y|| / ||y - y'||) = -20 log10(rel_out_err) */
    double max_abs_out_err; /* max |y - y'| */
    int64_t nan_count, inf_count; /* in y' */
};

/* w, wq: out x in row-major; x: tokens x in. Returns -1 when out of memory. */
int quant_error_compute(const float *w, const float *wq, int64_t out, int64_t in, const float *x, int64_t tokens,
                        struct quant_error *e);

#endif
