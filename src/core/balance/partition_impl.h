/* Internal to the partition module: the algorithms that live in their own
 * files. Costs are finite, >= 0 and already scaled so no sum overflows. */
#ifndef FIDRUN_PARTITION_IMPL_H
#define FIDRUN_PARTITION_IMPL_H

#include <stddef.h>
#include <stdint.h>

/* Karmarkar–Karp; equal_count: start from chunks of P sorted items. */
int partition_kk(const double *cost, size_t n, int32_t nranks, int equal_count, int32_t *owner);

/* Local search on an assignment: moves and swaps between the heaviest rank
 * and lighter ones while they lower it; swaps only keeps the counts;
 * raise_min then also lifts the lightest rank the same way. */
int partition_refine(const double *cost, size_t n, int32_t nranks, int swaps_only, int raise_min, int32_t *owner);

#endif
