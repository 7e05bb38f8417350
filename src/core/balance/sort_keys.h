/* Sorting item indices by cost, largest first, ties by index: a stable LSD
 * radix sort on the IEEE bits (monotone for non-negative doubles). Pure. */
#ifndef FIDRUN_SORT_KEYS_H
#define FIDRUN_SORT_KEYS_H

#include <stddef.h>
#include <stdint.h>

/* order[k] = index of the k-th largest cost (costs finite and >= 0), and
 * sorted[k] its cost when sorted is not NULL (saves the caller a random
 * access per item). 0, or -1 when out of memory. */
int sort_desc_by_cost(const double *cost, size_t n, uint32_t *order, double *sorted);

#endif
