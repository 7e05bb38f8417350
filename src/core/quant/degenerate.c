#include "core/quant/degenerate.h"

#include <float.h>
#include <math.h>
#include <string.h>
#include <stdio.h>

#include "core/half.h"

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

/* One row in four lanes (GCC vector extensions, SSE2 width): counts of non-finite,
 * saturated, zero and first-equal values, and the argmax (first index of the
 * largest value); NaN and Inf are told apart only when something is not
 * finite. */
static void scan_row(const float *row, int64_t out, struct degenerate *g, int64_t *zeros, int *constant,
                     int64_t *argmax)
{
    const float first = row[0];
    v4i nonfinite = {0}, saturated = {0}, zero = {0}, same = {0}, arg = {0, 1, 2, 3}, at = arg;
    const v4f fmax4 = {FLT_MAX, FLT_MAX, FLT_MAX, FLT_MAX}, half4 = {HALF_MAX, HALF_MAX, HALF_MAX, HALF_MAX},
              zero4 = {0, 0, 0, 0}, first4 = {first, first, first, first};
    v4f best = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    const v4i four = {4, 4, 4, 4}, absmask = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
    int64_t n = 0;
    for (; n + 4 <= out; n += 4, at += four) {
        v4f v;
        memcpy(&v, row + n, sizeof v);
        v4f a = (v4f)((v4i)v & absmask);
        nonfinite += (~(a <= fmax4)) & 1;
        saturated += (a > half4) & 1;
        zero += (v == zero4) & 1;
        same += (v == first4) & 1;
        v4i up = v > best; /* strictly larger: a lane keeps the first index of its maximum */
        best = (v4f)(((v4i)v & up) | ((v4i)best & ~up));
        arg = (at & up) | (arg & ~up);
    }
    int64_t nf = 0, sat = 0, zc = 0, sc = 0, bi = -1;
    float bv = -INFINITY;
    for (int j = 0; j < 4; j++) {
        nf += nonfinite[j];
        sat += saturated[j];
        zc += zero[j];
        sc += same[j];
        if (best[j] > bv || (best[j] == bv && best[j] > -INFINITY && arg[j] < bi)) {
            bv = best[j];
            bi = arg[j];
        }
    }
    for (; n < out; n++) {
        float v = row[n], a = fabsf(v);
        nf += !(a <= FLT_MAX);
        sat += a > HALF_MAX;
        zc += v == 0;
        sc += v == first;
        if (v > bv) {
            bv = v;
            bi = n;
        }
    }
    if (nf)
        for (int64_t k = 0; k < out; k++) {
            g->nan += isnan(row[k]) != 0;
            g->inf += isinf(row[k]) != 0;
        }
    g->saturated += sat; /* NaN compares false; Inf counts as saturated */
    *zeros += zc;
    *constant = out >= 2 && sc == out;
    *argmax = bi < 0 ? 0 : bi; /* all NaN or -Inf: index 0 */
}

void degenerate_scan(const float *y, int64_t batch, int64_t out, struct degenerate *g)
{
    *g = (struct degenerate){0};
    int64_t zeros = 0, first_argmax = -1;
    int stuck = batch >= DEGENERATE_MIN_ARGMAX_BATCH;
    for (int64_t b = 0; b < batch; b++) {
        int constant;
        int64_t arg;
        scan_row(y + b * out, out, g, &zeros, &constant, &arg);
        g->constant_rows += constant;
        if (b == 0)
            first_argmax = arg;
        else
            stuck &= arg == first_argmax;
    }
    g->all_zero = batch * out > 0 && zeros == batch * out;
    g->argmax_stuck = stuck && !g->all_zero; /* all-zero already names that case */
    if (batch >= 2)
        for (int64_t n = 0; n < out; n++) {
            int constant = 1;
            for (int64_t b = 1; b < batch && constant; b++)
                constant = y[b * out + n] == y[n];
            g->constant_cols += constant;
        }
}

int degenerate_count(const struct degenerate *g)
{
    return (g->nan > 0) + (g->inf > 0) + (g->saturated > 0) + g->all_zero + (g->constant_rows > 0) +
           (g->constant_cols > 0) + g->argmax_stuck;
}

const char *degenerate_describe(const struct degenerate *g, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
#define NOTE(cond, ...)                                                                         \
    if ((cond) && used < size)                                                                  \
        used += (size_t)snprintf(buf + used, size - used, "%s", used ? ", " : ""),              \
            used += used < size ? (size_t)snprintf(buf + used, size - used, __VA_ARGS__) : 0
    NOTE(g->nan, "NaN x%lld", (long long)g->nan);
    NOTE(g->inf, "Inf x%lld", (long long)g->inf);
    NOTE(g->saturated, "fp16 saturation x%lld", (long long)g->saturated);
    NOTE(g->all_zero, "all-zero output");
    NOTE(g->constant_rows, "constant row x%lld", (long long)g->constant_rows);
    NOTE(g->constant_cols, "constant column x%lld", (long long)g->constant_cols);
    NOTE(g->argmax_stuck, "argmax stuck");
#undef NOTE
    if (!buf[0])
        snprintf(buf, size, "none");
    return buf;
}
