/* Row layouts of result tables, declared once next to each record struct and
 * used by the HDF5 writer and reader (and anything else that walks rows). */
#ifndef FIDRUN_TABLE_H
#define FIDRUN_TABLE_H

#include <stddef.h>

enum col_type { COL_I32, COL_I64, COL_F64, COL_STR };

/* How a baseline compare treats a column (report/compare.h), and which way
 * is better:
 *   CMP_LOWER   an error, a ratio, a loss, a count of bad things: lower is better
 *   CMP_HIGHER  SQNR, efficiency, balance: higher is better
 *   CMP_TIME    seconds: lower is better, judged against the runs' spread
 *   CMP_RATE    GB/s, GFLOP/s, speed-ups: higher is better, as times
 *   CMP_EXACT   must be equal (shapes, hashes, settings)
 *   CMP_VALUE   must stay within a band either way (a closeness, such as a
 *               ratio that should stay 1)
 *   CMP_PASS    1 must stay 1 (a row's pass flag)
 *   CMP_INFO    an input of the run (sigma_max, max |W|): shown, not judged
 *   CMP_KEY     names the row; CMP_IGNORE not shown (rank, bookkeeping)
 * CMP_AUTO: strings and integers exact, "s" times, "/s" rates, other numbers
 * CMP_VALUE; every compared float column of a suite says its direction
 * (tests/unit/test_compare.c holds them to it). */
enum col_cmp {
    CMP_AUTO,
    CMP_IGNORE,
    CMP_KEY,
    CMP_EXACT,
    CMP_VALUE,
    CMP_TIME,
    CMP_RATE,
    CMP_PASS,
    CMP_LOWER,
    CMP_HIGHER,
    CMP_INFO,
};

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
