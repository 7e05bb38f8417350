/* Checks: a measured value against its bounds, printed as HPL prints its
 * residual checks, stored in /checks, and deciding the exit code. */
#ifndef FIDRUN_CHECKS_H
#define FIDRUN_CHECKS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plugin/table.h"

struct check {
    char suite[16];
    char name[64];
    char metric[32];
    double value;
    double lower; /* -inf when unbounded below */
    double upper; /* +inf when unbounded above */
    char unit[16];
    int32_t pass;
};

extern const struct table_desc check_table;

struct check_list {
    struct check *items;
    size_t n, cap;
};

/* Appends a check and evaluates it (NaN never passes). Returns 0, -1 when
 * out of memory. */
int check_add(struct check_list *l, const char *suite, const char *name, const char *metric, double value,
              double lower, double upper, const char *unit);

void check_list_free(struct check_list *l);
size_t checks_failed(const struct check_list *l);

/* The value with its unit ("1.2 ms") and the bound ("<= 35", "in [a, b]"), as printed. */
const char *check_value_text(const struct check *c, char *buf, size_t size);
const char *check_bound_text(const struct check *c, char *buf, size_t size);

/* A summary figure ("%.2e"), or words saying a NaN went into it. */
const char *figure_text(double v, char *buf, size_t size);

/* One line per check: name, value, bound, PASSED/FAILED. */
void checks_print(const struct check_list *l, FILE *out);

#endif
