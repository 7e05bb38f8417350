/* Where and how a run happened, written as root attributes of the results file. */
#ifndef FIDRUN_PROVENANCE_H
#define FIDRUN_PROVENANCE_H

#include <stddef.h>
#include <time.h>

#include "config/config.h"
#include "io/results.h"
#include "plugin/ranks.h"

struct provenance {
    const struct run_config *cfg;
    const char *argv;        /* the command line, space-joined */
    time_t start, end;
    double wall_seconds;
    const struct rank_record *ranks;
    int nranks;
    const char *mpi_library;
    const char *blas;
    const char *device;      /* the backend rank 0 uses ("cpu", "cuda") */
    const char *cuda_versions; /* runtime, driver and libraries, or "built without CUDA" */
    const char *balance;
    double predicted_imbalance, realized_imbalance;
    double progress_cpu_seconds; /* rank 0's progress listener thread */
    size_t tasks;
    size_t checks, checks_failed;
};

int provenance_write(struct results_file *rf, const struct provenance *p, struct diag *d);

/* "cpu: <model name from /proc/cpuinfo>" or "cpu" */
const char *cpu_description(char *buf, size_t size);

/* Distinct values of a string field of the rank records, comma-separated;
 * returns how many. */
int distinct_hosts(const struct rank_record *r, int n, char *buf, size_t size);

/* The argument vector as one line. */
char *join_argv(int argc, char **argv);

#endif
