/* A suite is one kind of test (OSFT fidelity, ...): its folder fills in
 * this table and one line in plugin/registry.c registers it. The driver,
 * MPI, HDF5 and reporting never learn suite names. */
#ifndef FIDRUN_SUITE_H
#define FIDRUN_SUITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/backend.h"
#include "plugin/checks.h"
#include "plugin/table.h"
#include "plugin/task.h"
#include "util/diag.h"
#include "util/yaml_tree.h"

#define SUITE_MAX_TABLES 4 /* record tables, plus one after_table */

struct run_context {
    uint64_t seed;
    const struct backend *backend;
    int rank, nranks;
    int local_rank, local_size; /* among the ranks on this host */
    const struct task_list *tasks; /* the whole plan, the same on every rank */
    const int32_t *owner;          /* rank of each task (TASK_OWNER_ALL: all together); in after_tasks -1 for a task not run by this
                                      process's job (done before a resume, or left by an interrupt) */
    int suite;                     /* index of the suite in the config; tasks with t->suite == suite are its own */
    void *state;                   /* the suite's, from state_new (NULL without) */
};

struct report_opts {
    FILE *out;
    int verbose; /* a row per task */
};

struct suite {
    const char *name;
    size_t config_size;
    void (*defaults)(void *cfg);
    /* node is the mapping under suites.<name> (may be NULL or null). */
    int (*configure)(const struct ynode *node, const char *path, void *cfg, struct diag *d);
    /* One line for the run header ("OSFT fidelity · float32 · ..."). */
    void (*describe)(const void *cfg, char *buf, size_t size);
    /* Where the suite's numbers come from, for the run's first line:
     * "synthetic weights (seed 1234)", "checkpoint DIR", ... */
    void (*inputs)(const void *cfg, long long seed, char *buf, size_t size);
    int (*plan)(const void *cfg, struct task_list *tasks, struct diag *d);
    /* Runs one task into record (record_tables[t->table]->row_size bytes,
     * zeroed, starting with struct record_head). */
    int (*run)(const void *cfg, const struct run_context *ctx, const struct task *t, void *record,
               struct diag *d);
    /* Optional, together: of n consecutive tasks of this rank (same suite
     * and table), how many to run as one batch (1: one by one), and running
     * them: records[i] for tasks[i], seconds[i] each task's own time.
     * OSFT overlaps small matrices on a GPU this way. */
    size_t (*batch)(const void *cfg, const struct run_context *ctx, const struct task *const *tasks, size_t n);
    int (*run_batch)(const void *cfg, const struct run_context *ctx, const struct task *const *tasks, size_t n,
                     void *const *records, double *seconds, struct diag *d);
    /* The suite's result tables, /<suite>/<table name> in the results file;
     * each task's record goes to the table its plan gave it. */
    const struct table_desc *const *record_tables;
    size_t ntables;
    /* Rank 0: prints the suite's tables and adds its checks. records[k]
     * holds n[k] rows of table k, sorted by task id. */
    int (*summarize)(const void *cfg, const void *const *records, const size_t *n, const struct report_opts *o,
                     struct check_list *checks);
    /* Optional: frees what configure allocated inside cfg (not cfg itself). */
    void (*release)(void *cfg);

    /* Optional: state a run keeps across its tasks (the factors OSFT
     * broadcasts afterwards, ...); 0 or FR_RUNTIME. */
    int (*state_new)(const void *cfg, const struct task_list *tasks, void **state);
    void (*state_free)(void *state);
    /* Optional and collective: once every rank has run its tasks, fills this
     * rank's row of after_table (one row per rank, /<suite>/<name>); the
     * rows reach summarize as records[ntables], n[ntables] = ranks. An error
     * on any rank must end the job (comm_abort), never leave others waiting. */
    int (*after_tasks)(const void *cfg, const struct run_context *ctx, void *row, struct diag *d);
    const struct table_desc *after_table;

    /* Optional: before any task runs, on the rank that will run it, reads
     * what task t takes from outside (a checkpoint's tensor, an activations
     * file) and holds it to what the run would (finite values, shapes), so
     * bad input ends the job with exit 2 before anything is journaled.
     * FR_USAGE naming the file and tensor. */
    int (*check_inputs)(const void *cfg, const struct task *t, struct diag *d);

    /* Optional, for fidrun validate: what the config resolved to that the
     * description does not say (a checkpoint's matched tensors; verbose:
     * every one). */
    void (*explain)(const void *cfg, FILE *out, int verbose);

    /* Optional: the memory one task holds at its peak on one rank, in bytes (its
     * matrices and workspaces, on the host; on a GPU about the same on the
     * device), for the check before the run. */
    double (*task_bytes)(const void *cfg, const struct task *t, int ranks); /* ranks: sharing a collective task (else 1) */
};

size_t suite_count(void);
const struct suite *suite_at(size_t i);
const struct suite *suite_find(const char *name);

#endif
