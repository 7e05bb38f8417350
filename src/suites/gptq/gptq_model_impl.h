/* Shared inside the gptq suite: gptq_model_config.c (schema, the
 * checkpoint's linears and copies), gptq_model_run.c (plan and tasks, each
 * rank's shard), gptq_model_finish.c (the shard closed, rank 0's index and
 * configs), gptq_model_summary.c (rank 0's tables and checks) and
 * gptq_model_suite.c (the plug-in). */
#ifndef FIDRUN_GPTQ_MODEL_IMPL_H
#define FIDRUN_GPTQ_MODEL_IMPL_H

#include <stdio.h>

#include "io/safetensors.h"
#include "suites/gptq/gptq_model.h"

enum { GPTQ_TABLE_LAYERS, GPTQ_TABLE_COPIES };

extern const struct table_desc gptq_layers_table, gptq_copies_table, gptq_shards_table;

/* "model.layers.0.mlp.up_proj" for its ".weight" */
void gptq_module_of(const char *weight, char *buf, size_t size);

/* The shard of a rank: model-RRRRR-of-PPPPP.safetensors */
void gptq_shard_name(int rank, int nranks, char *buf, size_t size);

/* The tensors an item becomes in the output: a linear's four
 * (qweight, qzeros, scales, g_idx), a copy's one; t (4 entries) and names
 * (4 buffers of TASK_NAME_MAX + 16) filled; returns how many. */
size_t gptq_item_tensors(const struct gptq_model_config *cfg, const struct gptq_item *it, struct st_tensor *t,
                         char (*names)[TASK_NAME_MAX + 16]);

/* gptq_model_config.c */
void gptq_model_defaults(void *cfg);
int gptq_model_configure(const struct ynode *node, const char *path, void *cfg, struct diag *d);
void gptq_model_release(void *cfg);
void gptq_model_describe(const void *cfg, char *buf, size_t size);
void gptq_model_inputs(const void *cfg, long long seed, char *buf, size_t size);
void gptq_model_explain(const void *cfg, FILE *out, int verbose);

/* gptq_model_run.c */
int gptq_model_plan(const void *cfg, struct task_list *tasks, struct diag *d);
int gptq_model_run(const void *cfg, const struct run_context *ctx, const struct task *t, void *record,
                   struct diag *d);
int gptq_model_state_new(const void *cfg, const struct task_list *tasks, void **state);
void gptq_model_state_free(void *state);
/* The rank's shard writer, opened at its first task (NULL before). */
struct st_writer *gptq_model_shard(void *state, int *open);

/* gptq_model_finish.c */
int gptq_model_finish(const void *cfg, const struct run_context *ctx, void *row, struct diag *d);

/* gptq_model_summary.c */
int gptq_model_summarize(const void *cfg, const void *const *records, const size_t *n, const struct report_opts *o,
                         struct check_list *checks);

#endif
