/* The check before the run: each rank's predicted peak memory (its
 * largest task's matrices and workspaces, from the suites' task_bytes,
 * plus a fixed allowance for the process, MPI and BLAS) against what a
 * node has for each of its ranks. Pure but for memory_available_here. */
#ifndef FIDRUN_MEMORY_PLAN_H
#define FIDRUN_MEMORY_PLAN_H

#include <stddef.h>
#include <stdio.h>

#include "config/config.h"
#include "run/plan.h"
#include "util/meminfo.h"

#define MEMORY_PROCESS_BYTES (64.0 * 1048576.0) /* code, libraries, MPI and BLAS buffers: measured about 30 MiB */

struct memory_peak {
    double bytes;  /* predicted peak of the rank: its largest task plus MEMORY_PROCESS_BYTES */
    long task;     /* that task's index in the plan, -1 when the rank has none */
};

/* Rank's peak from the plan and the configured suites. */
struct memory_peak memory_peak_of_rank(const struct run_config *cfg, const struct plan *p, int rank);

/* "rank 3: task NAME needs about 5.2 GiB, but ..." when the peak does not
 * fit in available / ranks_here bytes (what = "host memory" or "GPU memory");
 * FR_USAGE and the message in d, else FR_OK. */
int memory_check(const struct run_config *cfg, const struct plan *p, struct memory_peak peak, double available,
                 int ranks_here, const char *what, const char *where, struct diag *d);


/* validate's line: every rank's predicted peak, the largest named, against
 * this machine with all nranks ranks on it. */
void memory_print_prediction(const struct run_config *cfg, const struct plan *p, FILE *out);

/* "2.1 GiB", "340 MiB". */
const char *memory_text(double bytes, char *buf, size_t size);

#endif
