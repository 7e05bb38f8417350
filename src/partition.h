/* Assigning tasks with predicted costs to ranks. Deterministic (ties broken
 * by index), so every rank computes the same plan. Pure. */
#ifndef FIDRUN_PARTITION_H
#define FIDRUN_PARTITION_H

#include <stddef.h>

enum balance_algo {
    BAL_LPT,   /* largest cost first, each to the least-loaded rank */
    BAL_BLOCK, /* contiguous equal-count slices, the last rank takes the remainder */
};

const char *balance_algo_name(enum balance_algo a);

/* owner[i] in [0, nranks) for each of the n items. Returns 0, or -1 when
 * out of memory or nranks < 1. */
int partition_assign(enum balance_algo algo, const double *cost, size_t n, int nranks, int *owner);

/* loads[r] = sum of cost[i] with owner[i] == r. */
void partition_loads(const double *cost, const int *owner, size_t n, int nranks, double *loads);

/* max / mean of the loads (1 for a perfect balance; 1 when all are zero). */
double load_imbalance(const double *loads, int nranks);

#endif
