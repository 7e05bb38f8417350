#include "suites/quant/quant.h"

#include <stdio.h>
#include <string.h>

#include "core/quant/gptq.h"
#include "core/quant/gptq_pack.h"
#include "core/quant/qmatmul.h"
#include "suites/quant/quant_impl.h"

/* ---- tables ---- */

#define LCOL(kind, field, unit) COL(kind, struct quant_layer_record, field, unit)
#define LCOLC(kind, field, unit, cmp) COLC(kind, struct quant_layer_record, field, unit, cmp)
static const struct column layer_cols[] = {
    RECORD_HEAD_COLUMNS(struct quant_layer_record),
    LCOL(COL_STR, name, ""),           LCOL(COL_STR, layer, ""),         LCOL(COL_STR, method, ""),
    LCOL(COL_I32, rows, ""),           LCOL(COL_I32, cols, ""),          LCOL(COL_I32, bits, ""),
    LCOL(COL_I32, group_size, ""),     LCOL(COL_I32, act_order, ""),     LCOL(COL_I32, sym, ""),
    LCOL(COL_STR, zeros, ""),          LCOLC(COL_F64, weight_mse, "", CMP_LOWER),    LCOLC(COL_F64, rel_out_err, "", CMP_LOWER),
    LCOLC(COL_F64, sqnr_db, "dB", CMP_HIGHER),      LCOLC(COL_F64, max_abs_w_err, "", CMP_LOWER), LCOLC(COL_F64, max_abs_out_err, "", CMP_LOWER),
    LCOLC(COL_I64, nan_count, "count", CMP_LOWER), LCOLC(COL_I64, inf_count, "count", CMP_LOWER), LCOLC(COL_F64, gptq_loss, "", CMP_LOWER),
    LCOLC(COL_F64, damp, "", CMP_INFO),           LCOLC(COL_I32, damp_retries, "count", CMP_LOWER), LCOLC(COL_I64, dead_columns, "count", CMP_INFO),
    LCOLC(COL_I64, calib_tokens, "count", CMP_INFO), LCOL(COL_F64, hessian_seconds, "s"), LCOL(COL_F64, quant_seconds, "s"),
    LCOL(COL_I64, packed_hash, ""),    LCOLC(COL_I32, roundtrip_ok, "", CMP_PASS),  LCOLC(COL_I64, v1_wrapped, "count", CMP_LOWER),
    LCOL(COL_I32, zeros_diagnosis, ""),
    LCOL(COL_I32, cross_checked, ""),  LCOLC(COL_I64, xc_codes_differ, "count", CMP_LOWER), LCOLC(COL_F64, xc_codes_equal, "", CMP_HIGHER),
    LCOLC(COL_F64, xc_error_ratio, "", CMP_VALUE),
};
#define KCOL(kind, field, unit) COL(kind, struct quant_kernel_record, field, unit)
#define KCOLC(kind, field, unit, cmp) COLC(kind, struct quant_kernel_record, field, unit, cmp)
static const struct column kernel_cols[] = {
    RECORD_HEAD_COLUMNS(struct quant_kernel_record),
    KCOL(COL_STR, name, ""),              KCOL(COL_STR, layer, ""),             KCOL(COL_I32, rows, ""),
    KCOL(COL_I32, cols, ""),              KCOL(COL_I32, bits, ""),              KCOL(COL_I32, group_size, ""),
    KCOL(COL_I32, batch, ""),             KCOL(COL_STR, accum, ""),             KCOLC(COL_STR, isa, "", CMP_IGNORE),
    KCOLC(COL_F64, max_abs_diff, "", CMP_LOWER),      KCOLC(COL_F64, rel_mean_diff, "", CMP_LOWER),     KCOLC(COL_F64, ref_max_abs, "", CMP_INFO),
    KCOLC(COL_F64, tol_max_abs, "", CMP_IGNORE),       KCOLC(COL_F64, tol_rel_mean, "", CMP_IGNORE),      KCOLC(COL_I32, within_tol, "", CMP_PASS),
    KCOLC(COL_F64, dequant_max_abs_diff, "", CMP_LOWER), KCOLC(COL_I64, nan_count, "count", CMP_LOWER), KCOLC(COL_I64, inf_count, "count", CMP_LOWER),
    KCOLC(COL_I64, saturated, "count", CMP_LOWER),    KCOLC(COL_I32, all_zero, "", CMP_LOWER),          KCOLC(COL_I64, constant_rows, "count", CMP_LOWER),
    KCOLC(COL_I64, constant_cols, "count", CMP_LOWER), KCOLC(COL_I32, argmax_stuck, "", CMP_LOWER),     KCOLC(COL_I32, degenerate, "count", CMP_LOWER),
    KCOLC(COL_I64, v1_wrapped, "count", CMP_LOWER),   KCOL(COL_F64, median_seconds, "s"), KCOLC(COL_F64, q1_seconds, "s", CMP_IGNORE), KCOLC(COL_F64, q3_seconds, "s", CMP_IGNORE),   KCOLC(COL_F64, worst_seconds, "s", CMP_IGNORE),
    KCOLC(COL_F64, bytes, "B", CMP_INFO),            KCOL(COL_F64, gbytes_per_s, "GB/s"),  KCOLC(COL_F64, copy_gbytes_per_s, "GB/s", CMP_IGNORE),
    KCOLC(COL_F64, bandwidth_ratio, "", CMP_RATE),   KCOL(COL_F64, gflops, "GFLOP/s"),     KCOLC(COL_F64, blas_median_seconds, "s", CMP_IGNORE),
    KCOLC(COL_F64, speedup_vs_blas, "", CMP_RATE),   KCOLC(COL_F64, act_order_ratio, "", CMP_IGNORE),   KCOLC(COL_F64, zeros_v1_ratio, "", CMP_IGNORE),
    KCOLC(COL_F64, validation_ratio, "", CMP_IGNORE),
};
static const struct table_desc layer_table = TABLE_DESC("layers", struct quant_layer_record, layer_cols);
static const struct table_desc kernel_table = TABLE_DESC("kernels", struct quant_kernel_record, kernel_cols);
static const struct table_desc *const quant_tables[] = {&layer_table, &kernel_table};

/* ---- plan ---- */

/* Predicted costs in flop-equivalents, fitted to task times on a Zen 3
 * core (about 15 Gflop/s): making a synthetic weight costs some 1500 per
 * element, the rest is the arithmetic. */
static double layer_cost(const struct quant_config *cfg, const struct quant_shape *s, int method)
{
    double out = (double)s->out, in = (double)s->in, tokens = (double)cfg->calib.tokens;
    double held = (double)cfg->calib.held_out, bs = (double)cfg->layers.block_size;
    double common = 1500 * out * in + (tokens + held) * in * 60 + 4 * held * out * in;
    if (method == QM_RTN)
        return common + 10 * out * in;
    return common + tokens * in * in + 4.0 / 3.0 * in * in * in + out * in * in + out * in * bs;
}

/* Drawing, packing three ways and preparing a layer: some 1200 per element;
 * then per multiply-add the timed calls of three variants and the fp64
 * references and BLAS calls; fp16 accumulation is about three times slower
 * here (no fp16 arithmetic on this CPU). */
static double kernel_cost(const struct quant_config *cfg, const struct quant_shape *s, int64_t batch, int mode)
{
    double mac = (double)s->out * (double)s->in * (double)batch;
    double calls = 3.0 * (double)(cfg->kernels.warmup + cfg->kernels.repeats);
    double per_mac = (mode == ACCUM_FP16 ? 6 : 2) * calls + 12;
    return 1200 * (double)s->out * (double)s->in + per_mac * mac + 4e8 * cfg->kernels.copy_mib / 64;
}

static int push(struct task_list *tasks, struct task *t, struct diag *d)
{
    return task_list_push(tasks, t) ? diag_fail(d, FR_RUNTIME, "out of memory while planning") : FR_OK;
}

static int quant_plan(const void *vcfg, struct task_list *tasks, struct diag *d)
{
    const struct quant_config *cfg = vcfg;
    struct quant_shape shapes[QUANT_MAX_SHAPES];
    const struct quant_layers *L = &cfg->layers;
    size_t ns = L->enabled ? quant_layer_shapes(L, shapes) : 0;
    for (size_t s = 0; s < ns; s++)
        for (int m = 0; m < 2; m++) {
            if (!(L->methods >> m & 1u))
                continue;
            for (size_t b = 0; b < L->nbits; b++)
                for (size_t g = 0; g < L->ngroups; g++)
                    for (int act = 0; act < 2; act++) {
                        /* act-order changes nothing for RTN: one RTN task per (bits, group) */
                        if (m == QM_RTN ? act != 0 : !(L->act_order >> act & 1u))
                            continue;
                        struct task t = {.table = 0, .cost = layer_cost(cfg, &shapes[s], m),
                                         .dims = {(int64_t)s, m, (int64_t)b, (int64_t)(g << 1 | (size_t)act)}};
                        snprintf(t.name, sizeof t.name, "%.60s %s b%lld g%lld%s", shapes[s].name,
                                 m == QM_GPTQ ? "gptq" : "rtn", (long long)L->bits[b], (long long)L->group_sizes[g],
                                 act ? " act" : "");
                        snprintf(t.group, sizeof t.group, "%.47s", shapes[s].name);
                        if (push(tasks, &t, d))
                            return d->code;
                    }
        }
    for (size_t k = 0; k < cfg->kernels.nstudies; k++) {
        const struct kernel_study *ks = &cfg->kernels.studies[k];
        ns = quant_shape_list(&ks->shapes, shapes);
        for (size_t s = 0; s < ns; s++)
            for (size_t b = 0; b < ks->nbits; b++)
                for (size_t bi = 0; bi < ks->nbatches; bi++)
                    for (int mode = 0; mode < 2; mode++) {
                        if (!(ks->modes >> mode & 1u))
                            continue;
                        struct task t = {.table = 1, .cost = kernel_cost(cfg, &shapes[s], ks->batches[bi], mode),
                                         .dims = {(int64_t)k, (int64_t)s, (int64_t)b, (int64_t)(bi << 1 | (size_t)mode)}};
                        snprintf(t.name, sizeof t.name, "%.24s/%.40s b%lld g%lld x%lld %s", ks->name, shapes[s].name,
                                 (long long)ks->bits[b], (long long)ks->group_size, (long long)ks->batches[bi],
                                 accum_mode_name((enum accum_mode)mode));
                        snprintf(t.group, sizeof t.group, "%.12s/%.34s", ks->name, shapes[s].name);
                        if (push(tasks, &t, d))
                            return d->code;
                    }
    }
    return FR_OK;
}

static int quant_run(const void *vcfg, const struct run_context *ctx, const struct task *t, void *record,
                     struct diag *d)
{
    if (t->table == 0)
        return quant_run_layer(vcfg, ctx, t, record, d);
    return quant_run_kernel(vcfg, ctx, t, record, d);
}

/* A layer: W and its dequantized copy, the codes twice (quantized and read
 * back), the activations (calibration and held-out) and their outputs, and
 * the Hessian with its Cholesky inverse in float64. A kernel case: fp32
 * weights for the BLAS comparison, the unpacked codes of the fp64
 * reference, the packed variants, and the batch's inputs and outputs. */
static double quant_task_bytes(const void *vcfg, const struct task *t, int ranks)
{
    const struct quant_config *cfg = vcfg;
    (void)ranks; /* no quant task is collective */
    struct quant_shape shapes[QUANT_MAX_SHAPES];
    if (t->table == 0) {
        quant_layer_shapes(&cfg->layers, shapes);
        double o = (double)shapes[t->dims[0]].out, i = (double)shapes[t->dims[0]].in;
        double tokens = (double)(cfg->calib.tokens + cfg->calib.held_out);
        return 4 * o * i * 5 + 4 * tokens * (i + 2 * o) + 16 * i * i;
    }
    const struct kernel_study *ks = &cfg->kernels.studies[t->dims[0]];
    quant_shape_list(&ks->shapes, shapes);
    double o = (double)shapes[t->dims[1]].out, i = (double)shapes[t->dims[1]].in;
    double batch = (double)ks->batches[t->dims[3] >> 1];
    return 12.5 * o * i + 8 * 4 * batch * (o + i);
}

const struct suite suite_quant = {
    .name = "quant",
    .config_size = sizeof(struct quant_config),
    .defaults = quant_defaults,
    .configure = quant_configure,
    .describe = quant_describe,
    .inputs = quant_inputs,
    .plan = quant_plan,
    .run = quant_run,
    .record_tables = quant_tables,
    .ntables = 2,
    .summarize = quant_summarize,
    .task_bytes = quant_task_bytes,
    .check_inputs = quant_check_inputs,
};
