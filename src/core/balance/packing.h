/* Packing sequences into rows (minibatches) of P ranks under a token
 * budget per rank per row: all ranks step together at each row, so the
 * balance inside a row is what counts. Sequences longer than the budget
 * are dropped and counted. Deterministic, ties by index. Pure. */
#ifndef FIDRUN_PACKING_H
#define FIDRUN_PACKING_H

#include <stddef.h>
#include <stdint.h>

enum pack_algo {
    PK_GREEDY,      /* mini_trainer's original sampler: input order, least-loaded rank, a new row on overflow */
    PK_LPT_BSEARCH, /* mini_trainer's packer: sorted, per row the longest prefix LPT fits (binary search) */
    PK_FFD,         /* first-fit decreasing into bins of the budget, P consecutive bins a row */
    PK_GLOBAL_LPT,  /* ours: the fewest rows LPT fits over rows x ranks at once, then rows of like loads */
    PK_COUNT
};

const char *pack_algo_name(enum pack_algo a);
int pack_algo_parse(const char *name, enum pack_algo *a); /* 0, or -1 if unknown */
size_t pack_algo_names(const char **out, size_t max);      /* every packer's name, in enum order */

/* Where each sequence went: row[i] and rank[i], or -1 and -1 if dropped. */
struct packing {
    int64_t *row;
    int32_t *rank;
    int64_t nrows;
    int64_t dropped;
};

enum pack_status { PACK_OK = 0, PACK_NOMEM = -1, PACK_BADARGS = -2 };

/* len[i] >= 0; nranks in [1, 65536]; budget >= 1. p's arrays are
 * allocated here (pack_free releases them). */
int pack_sequences(enum pack_algo algo, const int64_t *len, size_t n, int32_t nranks, int64_t budget,
                   struct packing *p);
void pack_free(struct packing *p);

/* mini_trainer's benchmark metrics (regression_tests/benchmark_batching.py):
 * a row's balance is min/max over its non-zero rank loads, its efficiency
 * sum/(P budget); rows without sequences count in rows but not in the
 * per-row statistics. Plus what they lack: the lower bound on rows and
 * whether anything broke the budget or went missing. */
struct pack_metrics {
    int64_t rows;
    double avg_row_balance, worst_row_balance, row_balance_std;
    double avg_row_efficiency, overall_efficiency;
    int64_t sequences, dropped, tokens, dropped_tokens;
    int64_t rows_lower_bound; /* ceil(tokens kept / (P budget)) */
    double rows_gap;          /* rows / lower bound - 1 */
    int64_t over_budget;      /* (row, rank) cells above the budget: 0 for a valid packing */
    int64_t misplaced;        /* sequences kept but without a valid (row, rank), or dropped though they fit */
};

int pack_metrics_compute(const int64_t *len, size_t n, int32_t nranks, int64_t budget, const struct packing *p,
                         struct pack_metrics *m);

#endif
