#include "quantizer.h"

void quant_find_params(const float *x, size_t n, size_t stride, int bits, int sym, float *scale, float *zero)
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
