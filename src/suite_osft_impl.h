/* Shared inside the OSFT suite: the factors each rank keeps for the
 * broadcast after its tasks. */
#ifndef FIDRUN_SUITE_OSFT_IMPL_H
#define FIDRUN_SUITE_OSFT_IMPL_H

#include "core/osft/osft_matrix.h"
#include "plugin/suite.h"
#include "suite_osft.h"

extern const struct table_desc osft_bcast_table;

/* Whether this run broadcasts the factors (and so keeps them). */
int osft_keeps_factors(const struct osft_config *cfg, const struct run_context *ctx);

int osft_state_new(const void *cfg, const struct task_list *tasks, void **state);
void osft_state_free(void *state);
/* Takes the factors of task id over; *h is emptied. */
void osft_state_keep(void *state, int32_t task_id, struct held_factors *h);

/* source: checkpoint: opens cfg->path and lists its 2-D target weights
 * (model.layers.N.self_attn.q_proj.weight, ...), the first `layers` layers,
 * in layer and target order. Errors name the config key or the file. */
int osft_checkpoint_open(struct osft_config *cfg, const struct ynode *node, const char *path, struct diag *d);
void osft_checkpoint_close(void *cfg);
/* Bytes of the named weight in the checkpoint (0 for synthetic weights). */
double osft_checkpoint_bytes(const struct osft_config *cfg, const char *name);

/* after_tasks: every matrix's factors to every rank. */
int osft_broadcast(const void *cfg, const struct run_context *ctx, void *row, struct diag *d);

/* cfg->targets made final for a layout `own` (whose: the model, in errors):
 * the names listed, each of which own must have, plus what the patterns
 * match in own; own when targets: is absent. */
int osft_resolve_targets(struct osft_config *cfg, unsigned own, const char *whose, const struct ynode *node,
                         const char *path, struct diag *d);

#endif
