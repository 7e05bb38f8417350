/* Assigning n items with non-negative costs to P ranks: block, round-robin,
 * greedy, LPT, Karmarkar–Karp (free and equal-count), each optionally
 * followed by a bounded local-search refinement. Deterministic: the same
 * input gives the same assignment on every rank, ties broken by index.
 * Pure: no MPI, no I/O, no globals.
 *
 * Costs are doubles (integers are exact up to 2^53). Inputs whose sums
 * would overflow are scaled by a power of two internally, which changes no
 * decision; loads are reported in the input's units. */
#ifndef FIDRUN_PARTITION_H
#define FIDRUN_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#define PARTITION_MAX_RANKS 65536
#define PARTITION_MAX_ITEMS 100000000

enum partition_algo {
    PA_BLOCK,      /* contiguous equal-count slices, the remainder to the last rank */
    PA_ROUNDROBIN, /* item i to rank i mod P */
    PA_GREEDY,     /* input order, each to the least-loaded rank */
    PA_LPT,        /* largest first, each to the least-loaded rank */
    PA_KK,         /* Karmarkar–Karp largest differencing, P-way */
    PA_KK_EQUAL,   /* KK on chunks of P sorted items: counts differ by at most one */
    PA_COUNT
};

/* An algorithm and whether the refinement pass follows it. Encoded as one
 * int (algo | refine << 8) where a config enum needs it. */
struct partition_spec {
    enum partition_algo algo;
    int refine;
};

#define PARTITION_CODE(algo, refine) ((int)(algo) | ((refine) ? 1 << 8 : 0))
#define PARTITION_SPEC_CODE(s) PARTITION_CODE((s).algo, (s).refine)
struct partition_spec partition_spec_from_code(int code);

/* "lpt", "kk+refine", ... */
const char *partition_spec_name(struct partition_spec s, char *buf, size_t size);

/* Parses a name as partition_spec_name writes it. 0, or -1 if unknown. */
int partition_spec_parse(const char *name, struct partition_spec *s);

/* Every named variant, in the order studies list them (block, roundrobin,
 * greedy, lpt, kk, kk-equal, lpt+refine, kk+refine, kk-equal+refine). */
size_t partition_catalog(struct partition_spec *out, size_t max);

/* Their names, as partition_spec_name writes them (static strings). */
size_t partition_catalog_names(const char **names, size_t max);

enum partition_status { PART_OK = 0, PART_NOMEM = -1, PART_BADRANKS = -2, PART_BADCOST = -3 };

/* owner[i] in [0, nranks) for each item. Costs must be finite and >= 0
 * (PART_BADCOST names nothing: use partition_find_bad_cost for the index). */
int partition_assign(struct partition_spec s, const double *cost, size_t n, int32_t nranks, int32_t *owner);

/* Improves an existing assignment with the refinement pass alone: moves
 * and swaps that lower the heaviest rank, then ones that lift the lightest
 * (no load ever rises above the old maximum). 0, or PART_NOMEM. */
int partition_improve(const double *cost, size_t n, int32_t nranks, int32_t *owner);

/* Index of the first cost that is NaN, infinite or negative, or n. */
size_t partition_find_bad_cost(const double *cost, size_t n);

/* loads[r] = sum of cost[i] over owner[i] == r. */
void partition_loads(const double *cost, const int32_t *owner, size_t n, int32_t nranks, double *loads);

/* max / mean of the loads (1 for perfect balance, and when all are zero). */
double load_imbalance(const double *loads, int32_t nranks);

struct partition_metrics {
    double total;        /* sum of costs */
    double makespan;     /* max load */
    double lower_bound;  /* max(total / P, max cost): no assignment does better */
    double gap;          /* makespan / lower_bound - 1 (0 when both are 0) */
    double max_over_mean;
    double min_over_max; /* 1 when all loads are 0 */
    double load_std;     /* population standard deviation of the loads */
    double efficiency;   /* mean / max load */
    int64_t min_items, max_items; /* items per rank */
    int64_t unassigned;  /* owners outside [0, P): 0 for a valid assignment */
};

/* Metrics of an assignment. Returns 0, or -1 when out of memory. */
int partition_metrics_compute(const double *cost, const int32_t *owner, size_t n, int32_t nranks,
                              struct partition_metrics *m);

/* Graham's guarantee for LPT against the optimum: 4/3 - 1/(3P). */
double lpt_graham_bound(int32_t nranks);

#endif
