/* A table row as one JSON object keyed by its column names, the names the
 * results file gives them: whatever writes JSON of a table (fidrun report
 * --format json, balance --json, pack --json) writes the same keys. NaN and
 * infinities are null (JSON has neither). */
#ifndef FIDRUN_TABLE_JSON_H
#define FIDRUN_TABLE_JSON_H

#include <jansson.h>

#include "plugin/table.h"

/* skip_head: leave out the record head (task_id, rank, predicted_cost,
 * task_seconds), which has a meaning only in a run's tables. */
json_t *table_row_json(const struct table_desc *desc, const void *row, int skip_head);

#endif
