/* The plan: every suite's tasks, filtered by --only, assigned to ranks.
 * Computed identically on every rank from the config, so nothing is sent. */
#ifndef FIDRUN_PLAN_H
#define FIDRUN_PLAN_H

#include <stdio.h>

#include <stdint.h>

#include "config/config.h"
#include "core/balance/partition.h"
#include "plugin/task.h"
#include "run/run_request.h"

struct plan {
    struct task_list tasks;
    int nranks;
    struct partition_spec balance;
    int32_t *owner;       /* per task; -1 for a task a resumed run does not run */
    double *loads;        /* predicted load per rank */
    double total_cost;
    double imbalance;     /* predicted, with balance */
    struct partition_spec alt; /* for comparison: block (mini_trainer's split), or lpt when balance is block */
    double imbalance_alt;
};

/* only: glob (fnmatch) on task names when it contains * ? or [, else a
 * substring; NULL or "" keeps everything. */
int plan_build(const struct run_config *cfg, const char *only, int nranks, struct plan *p, struct diag *d);

/* A resumed run: assigns only the tasks not done (done[i] per task);
 * done tasks get owner -1. The plan is freed on failure. */
int plan_skip_done(struct plan *p, const uint8_t *done, struct diag *d);

/* What every run and validate starts with: the config with the command
 * line's overrides, the --suite selection, and the plan for nranks. */
int plan_from_request(const struct run_request *c, int nranks, struct run_config *cfg, struct plan *p,
                           struct diag *d);

/* Indices of the tasks all ranks run together (owner TASK_OWNER_ALL), in
 * plan order; returns the count. */
size_t plan_collective_tasks(const struct plan *p, size_t *idx);

/* Indices of rank's tasks in execution order (plan order); returns the count. */
size_t plan_rank_tasks(const struct plan *p, int rank, size_t *idx);

void plan_free(struct plan *p);

int task_matches(const char *name, const char *pattern);

/* "plan: 196 tasks over 4 ranks by lpt · predicted imbalance 1.003 (block: 1.171)" */
void plan_print_summary(const struct plan *p, FILE *out);

/* Human-readable plan: a line per rank, a line per task with --verbose. */
void plan_print(const struct plan *p, FILE *out, int verbose);

/* The same as a JSON document (jansson). Returns 0 or -1. */
int plan_print_json(const struct plan *p, const struct run_config *cfg, FILE *out);

#endif
