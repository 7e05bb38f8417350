/* Shared inside the quant suite, file by file: quant_config.c (schema,
 * defaults, checks across keys), quant_shapes.c (the layer shapes),
 * quant_layers.c (RTN/GPTQ layer tasks), quant_kernels.c (dequant-matmul
 * kernel tasks), quant_report.c (rank 0's tables and checks) and
 * quant_suite.c (the plug-in: tables, plan, dispatch). */
#ifndef FIDRUN_SUITE_QUANT_IMPL_H
#define FIDRUN_SUITE_QUANT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/checks.h"
#include "plugin/suite.h"
#include "suites/quant/quant.h"
#include "util/diag.h"
#include "util/yaml_tree.h"

#define QUANT_MAX_SHAPES (QUANT_MAX_MODELS * T_COUNT + QUANT_MAX_LIST)

struct quant_shape {
    char name[64];
    int64_t out, in;
    const char *tensor; /* a checkpoint's weight (quant_layers.ckpt), NULL for synthetic ones */
};

/* quant_shapes.c: the layer tasks' shapes, the checkpoint's layers when
 * there is one, else quant_shape_list of the configured shapes. */
size_t quant_layer_shapes(const struct quant_layers *L, struct quant_shape *out);

/* The distinct shapes a quant_shapes names, in config order (a target whose
 * shape repeats an earlier one of the same model is folded into it). */
size_t quant_shape_list(const struct quant_shapes *s, struct quant_shape *out);

void quant_defaults(void *cfg);
int quant_configure(const struct ynode *node, const char *path, void *cfg, struct diag *d);
void quant_describe(const void *cfg, char *buf, size_t size);
void quant_inputs(const void *cfg, long long seed, char *buf, size_t size);

int quant_check_inputs(const void *cfg, const struct task *t, struct diag *d);
int quant_run_layer(const struct quant_config *cfg, const struct run_context *ctx, const struct task *t,
                    struct quant_layer_record *r, struct diag *d);
int quant_run_kernel(const struct quant_config *cfg, const struct run_context *ctx, const struct task *t,
                     struct quant_kernel_record *r, struct diag *d);

int quant_summarize(const void *cfg, const void *const *records, const size_t *n, const struct report_opts *o,
                    struct check_list *checks);

#endif
