/* Row layouts of result tables, declared once next to each record struct and
 * used by the HDF5 writer and reader (and anything else that walks rows). */
#ifndef FIDRUN_TABLE_H
#define FIDRUN_TABLE_H

#include <stddef.h>

enum col_type { COL_I32, COL_I64, COL_F64, COL_STR };

/* How a baseline compare treats a column (compare.h). CMP_AUTO: strings
 * and integers must match, "s" columns are times, "/s" columns rates, other
 * numbers values within tolerance. */
enum col_cmp { CMP_AUTO, CMP_IGNORE, CMP_KEY, CMP_EXACT, CMP_VALUE, CMP_TIME, CMP_RATE, CMP_PASS };

struct column {
    const char *name;
    enum col_type type;
    size_t offset;
    size_t size; /* bytes; for COL_STR the fixed buffer length */
    const char *unit;
    enum col_cmp cmp;
};

struct table_desc {
    const char *name; /* dataset path below the suite group, e.g. "matrices" */
    size_t row_size;
    size_t ncols;
    const struct column *cols;
};

#define COL(kind, type, field, unit) \
    {#field, kind, offsetof(type, field), sizeof(((type *)0)->field), unit, CMP_AUTO}
#define COLC(kind, type, field, unit, cmp) \
    {#field, kind, offsetof(type, field), sizeof(((type *)0)->field), unit, cmp}

#define TABLE_DESC(tname, type, cols_array) \
    {tname, sizeof(type), sizeof(cols_array) / sizeof((cols_array)[0]), cols_array}

#endif
