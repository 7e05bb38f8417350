/* The gptq suite as a plug-in: its tables and the functions the driver calls. */
#include "suites/gptq/gptq_model_impl.h"

static const struct column layer_cols[] = {
    RECORD_HEAD_COLUMNS(struct gptq_layer_row),
    COL(COL_STR, struct gptq_layer_row, name, ""),
    COL(COL_STR, struct gptq_layer_row, target, ""),
    COL(COL_I32, struct gptq_layer_row, rows, ""),
    COL(COL_I32, struct gptq_layer_row, cols, ""),
    COL(COL_I32, struct gptq_layer_row, bits, ""),
    COL(COL_I32, struct gptq_layer_row, group_size, ""),
    COLC(COL_F64, struct gptq_layer_row, rel_out_err, "", CMP_LOWER),
    COLC(COL_F64, struct gptq_layer_row, sqnr_db, "dB", CMP_HIGHER),
    COLC(COL_F64, struct gptq_layer_row, weight_mse, "", CMP_LOWER),
    COLC(COL_F64, struct gptq_layer_row, max_abs_w_err, "", CMP_LOWER),
    COLC(COL_F64, struct gptq_layer_row, gptq_loss, "", CMP_LOWER),
    COLC(COL_F64, struct gptq_layer_row, damp, "", CMP_INFO),
    COLC(COL_I64, struct gptq_layer_row, nan_count, "count", CMP_LOWER),
    COLC(COL_I64, struct gptq_layer_row, inf_count, "count", CMP_LOWER),
    COLC(COL_I64, struct gptq_layer_row, v1_wrapped, "count", CMP_LOWER),
    COLC(COL_I32, struct gptq_layer_row, roundtrip_ok, "", CMP_PASS),
    COL(COL_F64, struct gptq_layer_row, quant_seconds, "s"),
};
static const struct column copy_cols[] = {
    RECORD_HEAD_COLUMNS(struct gptq_copy_row),
    COL(COL_STR, struct gptq_copy_row, name, ""),
    COL(COL_STR, struct gptq_copy_row, dtype, ""),
    COLC(COL_F64, struct gptq_copy_row, bytes, "B", CMP_EXACT),
};
static const struct column shard_cols[] = {
    COL(COL_I32, struct gptq_shard_row, rank, ""),
    COL(COL_STR, struct gptq_shard_row, shard, ""),
    COL(COL_I64, struct gptq_shard_row, tensors, "count"),
    COLC(COL_F64, struct gptq_shard_row, bytes, "B", CMP_EXACT),
};
const struct table_desc gptq_layers_table = TABLE_DESC("layers", struct gptq_layer_row, layer_cols);
const struct table_desc gptq_copies_table = TABLE_DESC("copies", struct gptq_copy_row, copy_cols);
const struct table_desc gptq_shards_table = TABLE_DESC("shards", struct gptq_shard_row, shard_cols);
static const struct table_desc *const gptq_tables[] = {&gptq_layers_table, &gptq_copies_table};

const struct suite suite_gptq = {
    .name = "gptq",
    .config_size = sizeof(struct gptq_model_config),
    .defaults = gptq_model_defaults,
    .configure = gptq_model_configure,
    .describe = gptq_model_describe,
    .inputs = gptq_model_inputs,
    .plan = gptq_model_plan,
    .run = gptq_model_run,
    .record_tables = gptq_tables,
    .ntables = 2,
    .summarize = gptq_model_summarize,
    .release = gptq_model_release,
    .state_new = gptq_model_state_new,
    .state_free = gptq_model_state_free,
    .after_tasks = gptq_model_finish,
    .after_table = &gptq_shards_table,
    .explain = gptq_model_explain,
};
