/* What driver.c and its helpers share: the state of one run on one rank
 * and rank 0's summary of it. Internal to the driver. */
#ifndef FIDRUN_DRIVER_IMPL_H
#define FIDRUN_DRIVER_IMPL_H

#include <stddef.h>
#include <time.h>

#include "config/config.h"
#include "io/results.h"
#include "mpi/comm.h"
#include "plugin/checks.h"
#include "plugin/ranks.h"
#include "plugin/suite.h"
#include "run/device.h"
#include "run/plan.h"
#include "run/run_journal.h"
#include "run/run_request.h"
#include "util/diag.h"

struct run_state {
    const struct run_request *req;
    struct comm_info ci;
    struct run_config cfg;
    struct plan plan;
    struct device_choice dev;
    void *suite_state[CONFIG_MAX_SUITES];
    struct rank_record *ranks; /* rank 0: one per rank (host, device) */
    void *records[CONFIG_MAX_SUITES][SUITE_MAX_TABLES]; /* this rank's, then (rank 0) everyone's */
    size_t nrecords[CONFIG_MAX_SUITES][SUITE_MAX_TABLES];
    double t0;
    time_t wall0;
    double progress_cpu_seconds; /* rank 0: the progress listener's CPU time */
    struct run_journal journal;  /* every rank: its journal file; rank 0: what an earlier attempt left */
    unsigned char *ran;          /* per task: run by this job (every rank's, after execute) */
    int interrupted;             /* the signal that stopped a rank, on every rank after execute */
    char journal_kept[1100];     /* rank 0, --fresh: where the earlier run's journal now is */
    char baseline[1400];         /* rank 0, --baseline: the file (auto resolved), "" without */
    struct diag d;
};

/* Rank 0's summary of the run, written to the results file. */
struct run_summary {
    size_t missing;        /* tasks of the plan in no record: interrupted, or not journaled */
    char *missing_names;   /* their names, one per line */
    struct check_list checks;
    struct rank_record *suite_ranks[CONFIG_MAX_SUITES];
    struct rank_record *total_ranks;
    double realized;
    double cost_r[CONFIG_MAX_SUITES]; /* predicted cost vs task time, Pearson r */
};

/* driver_checks.c: before the first task */
double output_bytes(const struct run_state *s);
int check_memory(struct run_state *s);
/* Every rank, its own tasks: each suite's check_inputs (a checkpoint's
 * tensors read and held to be finite, ...), so bad input ends the run with
 * exit 2 before anything runs; the first error is named with its rank. */
int check_inputs(struct run_state *s);

/* driver_journal.c: the journal's part of a run */
int share_journal(struct run_state *s);
int merge_journal_rows(struct run_state *s, size_t suite, size_t table, size_t row);
int find_missing(struct run_state *s, struct run_summary *r);
int write_completeness(struct run_state *s, const struct run_summary *r, struct results_file *rf);

#endif
