/* The balance suite: partitioning and packing studies across rank counts.
 * Each cell (distribution x P x algorithm) is a task, spread over the MPI
 * ranks like any other; rank 0 tabulates and checks the results. */
#ifndef FIDRUN_SUITE_BALANCE_H
#define FIDRUN_SUITE_BALANCE_H

#include <stdint.h>

#include "core/balance/distributions.h"
#include "core/balance/packing.h"
#include "core/balance/partition.h"
#include "plugin/task.h"

#define BALANCE_MAX_DISTS 24
#define BALANCE_MAX_RANKS 32
#define BALANCE_MAX_ALGOS 16

/* A distribution entry; file: a user's costs (one per line, or a column). */
struct balance_dist {
    struct dist_spec spec;
    char file[256];
    char column[64];
    double *file_costs; /* the file's numbers, read once when the config is checked */
    size_t file_n;
};

struct balance_study {
    struct balance_dist dists[BALANCE_MAX_DISTS];
    size_t ndists;
    int64_t ranks[BALANCE_MAX_RANKS];
    size_t nranks;
    int algos[BALANCE_MAX_ALGOS]; /* partition codes, or pack algorithms */
    size_t nalgos;
    int64_t budget; /* packing */
};

struct balance_config {
    int64_t repeats;
    double kk_margin; /* kk's makespan may exceed lpt's by this fraction at most */
    struct balance_study partition, packing;
};

enum { BALANCE_TABLE_PARTITION, BALANCE_TABLE_PACKING };

struct balance_partition_record {
    struct record_head head;
    char distribution[48];
    char algorithm[24];
    int32_t ranks;
    int64_t items;
    double total, makespan, lower_bound, gap, max_over_mean, min_over_max, load_std, efficiency;
    int64_t min_items, max_items;
    int64_t unassigned;    /* items without a valid rank */
    double load_sum_error; /* |sum of loads - sum of costs| / sum of costs */
    int32_t repeats;
    int32_t deterministic; /* every repeat gave the same assignment */
    double median_seconds;
    double q1_seconds, q3_seconds; /* the repeats' spread, which a compare judges a change against */
};

struct balance_packing_record {
    struct record_head head;
    char distribution[48];
    char algorithm[24];
    int32_t ranks;
    int64_t budget, sequences, rows, rows_lower_bound;
    double rows_gap, avg_row_balance, worst_row_balance, row_balance_std, avg_row_efficiency, overall_efficiency;
    int64_t dropped, longer_than_budget; /* the latter counted from the lengths alone */
    int64_t over_budget, misplaced;
    int32_t repeats;
    int32_t deterministic;
    double median_seconds;
    double q1_seconds, q3_seconds;
};

/* Their layouts, /balance/partition and /balance/packing. */
extern const struct table_desc balance_partition_table, balance_packing_table;

#endif
