#include "core/membw.h"

#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

/* Kept a loop (not turned into a memcpy call) so it moves data as STREAM does. */
__attribute__((noinline, optimize("no-tree-loop-distribute-patterns"))) static void copy_doubles(
    double *restrict c, const double *restrict a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        c[i] = a[i];
}

double stream_copy_gbps(size_t bytes, int repeats)
{
    size_t n = bytes / sizeof(double);
    double *a = malloc(n * sizeof *a), *c = malloc(n * sizeof *c);
    if (!a || !c || !n) {
        free(a);
        free(c);
        return 0;
    }
    for (size_t i = 0; i < n; i++) /* touch every page before timing */
        a[i] = (double)i;
    memset(c, 0, n * sizeof *c);
    double best = 0;
    for (int r = 0; r < (repeats > 0 ? repeats : 1); r++) {
        double t0 = now_seconds();
        copy_doubles(c, a, n);
        double t = now_seconds() - t0;
        double gbps = 2.0 * (double)(n * sizeof *a) / t / 1e9;
        best = gbps > best ? gbps : best;
    }
    volatile double sink = c[n / 2];
    (void)sink;
    free(a);
    free(c);
    return best;
}
