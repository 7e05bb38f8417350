/* Baseline comparison: each figure of a run against the same figure of an
 * earlier run, row by row (rows matched by their key columns), each column
 * judged by its direction (plugin/table.h), as ReFrame judges a value
 * against a one-sided reference (ref, None, upper):
 *   lower / higher  worse than b by more than the band is a regression,
 *                   better by more than it an improvement
 *   time / rate     judged against the noise between runs: a table's rows
 *                   together, by the 95 % bootstrap interval of their median
 *                   change, which must lie beyond the threshold (--band);
 *                   then the rows beyond it are counted. Tables of one or
 *                   two rows: a row with its repeats' quartiles regresses
 *                   when its median is worse by more than the threshold and
 *                   the quartile ranges do not overlap
 *   exact, pass     must be equal; a pass must still pass
 *   value           within the band either way
 *   info            shown, not judged
 * Every table also gets a "rows" line: a baseline row missing now is a
 * regression. Pure: the caller reads the tables. */
#ifndef FIDRUN_COMPARE_H
#define FIDRUN_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plugin/table.h"
#include "util/diag.h"

#define CMP_MAX_OVERRIDES 16

struct cmp_tolerance {
    char metric[32];     /* a column name */
    double lower, upper; /* fractions of |baseline| */
};

struct cmp_policy {
    double lower, upper; /* the band of values, as fractions of |baseline| (default -0.01, 0.01) */
    double atol;
    double band; /* times and rates: the change that counts, beyond noise (default 0.10) */
    struct cmp_tolerance over[CMP_MAX_OVERRIDES];
    size_t nover;
    int allow_different; /* compare runs that measured different things (their differences printed first) */
};

void cmp_policy_defaults(struct cmp_policy *p);

/* "METRIC=LOWER,UPPER" (fractions, e.g. rel_out_err=-1,0.05). */
int cmp_policy_add(struct cmp_policy *p, const char *spec, struct diag *d);

enum cmp_verdict { VERDICT_OK, VERDICT_IMPROVED, VERDICT_REGRESSED, VERDICT_INFO };

/* One line per (table, column), and one "rows" line per table. */
struct cmp_line {
    char table[48];
    char metric[32];
    char key[96]; /* the row shown: the worst regressed, else the most changed */
    enum col_cmp kind;
    double base, now;
    double lo, hi; /* the range allowed for `now` on that row (NaN when judged across rows) */
    int64_t compared, regressed, improved;
    char judged[160]; /* how a time was judged ("median +21.3 % over 14 rows, 95 % interval ...") */
    double seconds;   /* what judging it took */
};

struct cmp_report {
    struct cmp_line *lines;
    size_t n, cap;
    int64_t missing_rows; /* in the baseline, not now */
    int64_t new_rows;     /* now, not in the baseline */
    char *differences;    /* what the two runs measured differently (with allow_different), or NULL */
};

/* The one count every format prints. */
struct cmp_counts {
    size_t metrics, regressed, improved;                   /* lines judged, and their verdicts */
    int64_t figures, figures_regressed, figures_improved; /* rows x metrics */
};

/* Compares two sets of rows of the same table layout. 0, or -1 out of memory. */
int compare_rows(const char *table, const struct table_desc *desc, const void *base, size_t nbase, const void *now,
                 size_t nnow, const struct cmp_policy *p, struct cmp_report *r);

/* A table the baseline has and this run lacks: its rows line, all missing. */
int compare_missing_table(const char *table, size_t nbase, struct cmp_report *r);

enum cmp_verdict cmp_line_verdict(const struct cmp_line *l);
const char *cmp_verdict_name(enum cmp_verdict v);
const char *cmp_kind_name(enum col_cmp k);
void cmp_count(const struct cmp_report *r, struct cmp_counts *c);

/* What a line's row was allowed: "<= 5.681e-07" for lower-is-better,
 * ">= 19.1" for higher-is-better, "[a, b]" for a band, "= x" for exact, or
 * how a time was judged. */
const char *cmp_allowed_text(const struct cmp_line *l, char *buf, size_t size);

/* "REGRESSED: 2 of 25 metrics regressed (3 of 350 figures) · 1 improved" */
const char *cmp_verdict_line(const struct cmp_report *r, char *buf, size_t size);

/* metric, rule, rows, baseline, now, change, verdict; every line, or
 * (brief) those that regressed, improved or changed. */
void cmp_report_print(const struct cmp_report *r, FILE *out, int brief);
void cmp_report_free(struct cmp_report *r);

#endif
