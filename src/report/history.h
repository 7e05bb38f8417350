/* The history of one config: its results files in time order, and for each
 * judged column of each table, the median over the rows in every run and
 * the verdict against the run before it (report/compare.h's rules), as
 * ReFrame's perflogs keep a performance variable across runs. */
#ifndef FIDRUN_HISTORY_H
#define FIDRUN_HISTORY_H

#include <stddef.h>

#include "report/compare.h"
#include "report/report_data.h"

#define HISTORY_MAX_RUNS 256
#define HISTORY_MAX_METRICS 256

struct history_run {
    char path[512], start[32], commit[64];
};

struct history_metric {
    char table[48], metric[32];
    enum col_cmp kind;
    double median[HISTORY_MAX_RUNS];            /* over the run's rows; NaN where the run lacks it */
    enum cmp_verdict verdict[HISTORY_MAX_RUNS]; /* against the run before (VERDICT_INFO for the first) */
};

struct history {
    char name[64];
    struct history_run runs[HISTORY_MAX_RUNS];
    size_t nruns;
    struct history_metric *metrics;
    size_t nmetrics;
    size_t skipped_runs; /* beyond HISTORY_MAX_RUNS, the oldest */
};

/* runs: loaded results files of one config (name), in any order. */
int history_build(const char *name, struct report_data *runs, size_t n, const struct cmp_policy *p,
                  struct history *h);
void history_free(struct history *h);

/* "lower is better", ... */
const char *history_direction(enum col_cmp k);

/* One block per metric: each run's median and verdict. */
void history_print(const struct history *h, FILE *out);

#endif
