/* Shared inside the OSFT suite, file by file: osft_config.c (schema,
 * defaults, header lines), osft_targets.c (targets: against a layout),
 * osft_checkpoint.c (source: checkpoint), osft_run.c (plan and tasks),
 * osft_summary.c (rank 0's tables and checks), osft_broadcast.c (the
 * factors to every rank after the tasks), osft_state.c (what a rank keeps
 * across tasks), osft_export.c and osft_export_rows.c (--export-factors),
 * osft_distributed.c (a matrix all ranks decompose) and osft_suite.c (the
 * plug-in). */
#ifndef FIDRUN_SUITE_OSFT_IMPL_H
#define FIDRUN_SUITE_OSFT_IMPL_H

#include "core/osft/factors.h"
#include "core/osft/osft_matrix.h"
#include "io/safetensors.h"
#include "plugin/suite.h"
#include "suites/osft/osft.h"

extern const struct table_desc osft_bcast_table;

/* Whether this run broadcasts the factors (and so keeps them). */
int osft_keeps_factors(const struct osft_config *cfg, const struct run_context *ctx);

int osft_state_new(const void *cfg, const struct task_list *tasks, void **state);
void osft_state_free(void *state);
/* Takes the factors of task id over; *h is emptied. */
void osft_state_keep(void *state, int32_t task_id, struct held_factors *h);
struct held_factors *osft_state_held(void *state, int32_t task_id);
void osft_state_release(void *state); /* every task's factors */

/* source: checkpoint: opens cfg->path and lists its 2-D target weights
 * (model.layers.N.self_attn.q_proj.weight, ...), the first `layers` layers,
 * in layer and target order. Errors name the config key or the file. */
int osft_checkpoint_open(struct osft_config *cfg, const struct ynode *node, const char *path, struct diag *d);
void osft_checkpoint_close(void *cfg);
/* validate: the tensors matched (every one when verbose). */
void osft_explain(const void *cfg, FILE *out, int verbose);
/* Bytes of the named weight in the checkpoint (0 for synthetic weights). */
double osft_checkpoint_bytes(const struct osft_config *cfg, const char *name);

/* --export-factors (osft_export.c): this rank's shard, written task by
 * task; finish closes it and rank 0 writes the index. */
struct osft_export;
/* The state's export slot; export_free is how the state frees what is in it. */
struct osft_export **osft_state_export(void *state, void (*export_free)(struct osft_export *));
void osft_export_free(struct osft_export *x);
int osft_export_task(const struct osft_config *cfg, const struct run_context *ctx, const struct task *t,
                     const struct held_factors *h, int64_t ks, struct diag *d);
int osft_export_finish(const struct osft_config *cfg, const struct run_context *ctx, struct diag *d);
/* This rank's shard opened (made on disk, sized by its header) if it is not yet. */
int osft_export_open(const struct osft_config *cfg, const struct run_context *ctx, struct diag *d);
/* Where task t's parts lie in rank r's shard, as the plan lays it out on
 * any rank: the file being written and each part's byte offset in it. */
struct export_place {
    char path[4200];
    size_t offset[OP_COUNT];
    enum st_dtype dtype;
};
int osft_export_locate(const struct osft_config *cfg, const struct run_context *ctx, const struct task *t, int r,
                       struct export_place *at, struct diag *d);
/* Element i of dst, in the export dtype dt, set to v. */
void osft_export_store(void *dst, size_t i, double v, enum st_dtype dt);
/* osft_export_rows.c: a distributed matrix's factors, each rank writing its
 * own rows of U into the one tensor per factor in rank 0's shard. */
struct dsvd_layout;
int osft_export_rows(const struct osft_config *cfg, const struct run_context *ctx, const struct task *t,
                     const struct dsvd_layout *l, const struct matrix *u_local, const struct matrix *s,
                     const struct matrix *vt, int64_t ks, struct diag *d);

/* after_tasks: every matrix's factors to every rank. */
int osft_broadcast(const void *cfg, const struct run_context *ctx, void *row, struct diag *d);

/* osft_config.c */
void osft_defaults(void *cfg);
int osft_configure(const struct ynode *node, const char *path, void *cfg, struct diag *d);
void osft_describe(const void *cfg, char *buf, size_t size);
void osft_inputs(const void *cfg, long long seed, char *buf, size_t size);
/* The layers the run covers: the checkpoint's, or layers: of the preset's. */
int64_t osft_layers(const struct osft_config *cfg);

/* osft_run.c */
int osft_plan(const void *cfg, struct task_list *tasks, struct diag *d);
int osft_run(const void *cfg, const struct run_context *ctx, const struct task *t, void *record, struct diag *d);
size_t osft_batch(const void *cfg, const struct run_context *ctx, const struct task *const *tasks, size_t n);
int osft_run_batch(const void *cfg, const struct run_context *ctx, const struct task *const *tasks, size_t n,
                   void *const *records, double *seconds, struct diag *d);
double osft_task_bytes(const void *cfg, const struct task *t, int ranks);
/* The record's figures from a whole-matrix outcome (osft_run.c). */
void osft_fill_record(const struct osft_config *cfg, const struct task *t, int64_t ks, const struct osft_outcome *o,
                      struct osft_record *r);
/* osft_distributed.c: a collective task, every rank with its block of rows. */
int osft_run_distributed(const struct osft_config *cfg, const struct run_context *ctx, const struct task *t,
                         struct osft_record *r, struct diag *d);
/* The matrix of a checkpoint task, or NULL for synthetic weights. */
const struct osft_checkpoint_matrix *osft_task_matrix(const struct osft_config *cfg, const struct task *t);
int osft_check_inputs(const void *cfg, const struct task *t, struct diag *d);

/* osft_summary.c */
int osft_summarize(const void *cfg, const void *const *records, const size_t *n, const struct report_opts *o,
                   struct check_list *checks);

/* osft_targets.c: targets: as the schema reads it (names and patterns) */
int osft_parse_targets(const struct ynode *node, const char *path, void *obj, struct diag *d);
/* cfg->targets made final for a layout `own` (whose: the model, in errors):
 * the names listed, each of which own must have, plus what the patterns
 * match in own; own when targets: is absent. */
int osft_resolve_targets(struct osft_config *cfg, unsigned own, const char *whose, const struct ynode *node,
                         const char *path, struct diag *d);

#endif
