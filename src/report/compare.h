/* Baseline comparison: each figure of a run against the same figure of an
 * earlier run, row by row (rows matched by name), with a verdict per
 * figure, as ReFrame judges a performance value against its reference
 * (value, lower, upper):
 *   exact  strings, integers, hashes of packed tensors: must be equal
 *   value  numbers: within [b + lower |b| - atol, b + upper |b| + atol]
 *   time   seconds: at most b (1 + band)          (faster is never a regression)
 *   rate   GB/s, GFLOP/s, speedups: at least b (1 - band)
 *   pass   a check that passed must still pass
 * Pure: the caller reads the tables. */
#ifndef FIDRUN_COMPARE_H
#define FIDRUN_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plugin/table.h"
#include "util/diag.h"

#define CMP_MAX_OVERRIDES 16

struct cmp_tolerance {
    char metric[32]; /* a column name */
    double lower, upper; /* fractions of |baseline| */
};

struct cmp_policy {
    double lower, upper; /* default for values */
    double atol;
    double band; /* times and rates */
    struct cmp_tolerance over[CMP_MAX_OVERRIDES];
    size_t nover;
};

void cmp_policy_defaults(struct cmp_policy *p);

/* "METRIC=LOWER,UPPER" (fractions, e.g. rel_out_err=-1,0.05). */
int cmp_policy_add(struct cmp_policy *p, const char *spec, struct diag *d);

/* One line per (table, column): the worst row and how many regressed. */
struct cmp_line {
    char table[48];
    char metric[32];
    char key[96];
    enum col_cmp kind;
    double base, now;
    double lo, hi; /* the range allowed for `now` on the worst row */
    int64_t compared, regressed;
};

struct cmp_report {
    struct cmp_line *lines;
    size_t n, cap;
    int64_t regressions;  /* regressed figures, missing rows included */
    int64_t missing_rows; /* in the baseline, not now */
    int64_t new_rows;     /* now, not in the baseline */
};

/* Compares two sets of rows of the same table layout. */
int compare_rows(const char *table, const struct table_desc *desc, const void *base, size_t nbase, const void *now,
                 size_t nnow, const struct cmp_policy *p, struct cmp_report *r);

/* metric, baseline, now, change, verdict; all lines, or (brief) those that
 * regressed or changed. */
void cmp_report_print(const struct cmp_report *r, FILE *out, int brief);
void cmp_report_free(struct cmp_report *r);

#endif
