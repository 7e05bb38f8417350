#include "degenerate.h"

#include <math.h>
#include <stdio.h>

#include "half.h"

void degenerate_scan(const float *y, int64_t batch, int64_t out, struct degenerate *g)
{
    *g = (struct degenerate){0};
    int64_t zeros = 0, first_argmax = -1;
    int stuck = batch >= DEGENERATE_MIN_ARGMAX_BATCH;
    for (int64_t b = 0; b < batch; b++) {
        const float *row = y + b * out;
        int constant = out >= 2;
        int64_t arg = 0;
        for (int64_t n = 0; n < out; n++) {
            float v = row[n];
            g->nan += isnan(v) != 0;
            g->inf += isinf(v) != 0;
            g->saturated += fabsf(v) > HALF_MAX && !isnan(v);
            zeros += v == 0;
            constant &= v == row[0];
            if (v > row[arg])
                arg = n;
        }
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
