/* A results file read whole for reports: its provenance (the root
 * attributes) and every table it has (/checks, /ranks, each suite's record
 * tables, its after-table and its per-rank table), laid out by their
 * table_desc. */
#ifndef FIDRUN_REPORT_DATA_H
#define FIDRUN_REPORT_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/table.h"
#include "util/diag.h"

struct report_attr {
    char *name, *text;
    int is_number;
    double number;
};

struct report_table {
    char dataset[128]; /* "/osft/matrices" */
    char suite[32];    /* "osft", or "" for /checks and /ranks */
    const struct table_desc *desc;
    void *rows;
    size_t n;
};

#define REPORT_MAX_TABLES 32

struct report_data {
    char path[512];
    struct report_attr *attrs;
    size_t nattrs;
    struct report_table tables[REPORT_MAX_TABLES];
    size_t ntables;
};

int report_load(const char *path, struct report_data *r, struct diag *d);
void report_free(struct report_data *r);

/* The attribute's text, or def. */
const char *report_attr(const struct report_data *r, const char *name, const char *def);

/* The table at dataset, or NULL. */
const struct report_table *report_table(const struct report_data *r, const char *dataset);

/* One cell's value: integers widened to int64, strings as pointer and length. */
struct report_value {
    enum col_type type;
    int64_t i;
    double f;
    const char *s;
    size_t len;
};
struct report_value report_value_of(const struct column *c, const void *row);

/* One cell as text: integers and strings as they are, floats in the
 * fewest digits that read back to the same double (NaN as "nan",
 * infinities as "inf" / "-inf"). */
const char *report_cell(const struct column *c, const void *row, char *buf, size_t size);

/* Row k's cell in the named column: as a number (NaN for text, or where the
 * table has no such column), or as text ("" where it has none). */
double report_num(const struct report_table *t, size_t k, const char *column);
const char *report_str(const struct report_table *t, size_t k, const char *column, char *buf, size_t size);

/* The root attributes a report shows, in order. */
extern const char *const report_provenance_keys[];
extern const size_t report_nprovenance_keys;

#endif
