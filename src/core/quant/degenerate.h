/* Degenerate-output detection: the kernel-level signs of a quantized model
 * that answers "!!!!" (a broken zero-point convention, a stuck kernel, an
 * overflow) in a batch x out output. Pure. */
#ifndef FIDRUN_DEGENERATE_H
#define FIDRUN_DEGENERATE_H

#include <stddef.h>
#include <stdint.h>

/* Argmax over outputs is only called stuck with at least this many inputs
 * (two random inputs share an argmax with probability 1/out). */
#define DEGENERATE_MIN_ARGMAX_BATCH 3

struct degenerate {
    int64_t nan, inf;
    int64_t saturated;     /* |y| > 65504: would be +-inf once cast to fp16 */
    int all_zero;          /* every output exactly 0 */
    int64_t constant_rows; /* inputs whose outputs are all equal (out >= 2) */
    int64_t constant_cols; /* outputs equal for every input (batch >= 2) */
    int argmax_stuck;      /* one argmax for every input (batch >= DEGENERATE_MIN_ARGMAX_BATCH) */
};

void degenerate_scan(const float *y, int64_t batch, int64_t out, struct degenerate *g);

/* Number of detectors that fired. */
int degenerate_count(const struct degenerate *g);

/* "all-zero output, constant column x3" or "none". */
const char *degenerate_describe(const struct degenerate *g, char *buf, size_t size);

#endif
