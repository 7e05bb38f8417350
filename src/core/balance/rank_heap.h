/* A binary min-heap of ranks keyed by (load, rank): the least-loaded rank
 * on top, ties to the lowest rank. Used by greedy and LPT partitioning and
 * by the packers. Pure. */
#ifndef FIDRUN_RANK_HEAP_H
#define FIDRUN_RANK_HEAP_H

#include <stdint.h>

struct rank_heap {
    double *load;
    int32_t *rank;
    int32_t n;
};

/* n ranks, all at load 0. Returns 0, or -1 when out of memory. */
int rank_heap_init(struct rank_heap *h, int32_t n);
void rank_heap_reset(struct rank_heap *h);
void rank_heap_free(struct rank_heap *h);

/* Adds amount to the top rank's load and restores the heap. */
void rank_heap_add_to_top(struct rank_heap *h, double amount);

static inline int32_t rank_heap_top(const struct rank_heap *h) { return h->rank[0]; }
static inline double rank_heap_top_load(const struct rank_heap *h) { return h->load[0]; }

#endif
