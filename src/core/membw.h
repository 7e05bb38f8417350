/* This machine's memory bandwidth, measured the way STREAM's Copy kernel
 * does (c[i] = a[i] over doubles, 2 x 8 bytes counted per element, best of
 * the repeats), so kernel throughput can be given as a share of it. */
#ifndef FIDRUN_MEMBW_H
#define FIDRUN_MEMBW_H

#include <stddef.h>

/* GB/s (1e9 bytes/s) copying two arrays of `bytes` each; 0 when out of memory. */
double stream_copy_gbps(size_t bytes, int repeats);

#endif
