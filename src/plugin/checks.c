#include "plugin/checks.h"

#include "util/array.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct column check_cols[] = {
    /* a baseline compare flags checks that passed there and fail now; the
     * figures behind them are compared in the suites' own tables */
    COL(COL_STR, struct check, suite, ""),
    COL(COL_STR, struct check, name, ""),
    COLC(COL_STR, struct check, metric, "", CMP_IGNORE),
    COLC(COL_F64, struct check, value, "", CMP_IGNORE),
    COLC(COL_F64, struct check, lower, "", CMP_IGNORE),
    COLC(COL_F64, struct check, upper, "", CMP_IGNORE),
    COLC(COL_STR, struct check, unit, "", CMP_IGNORE),
    COLC(COL_I32, struct check, pass, "", CMP_PASS),
};
const struct table_desc check_table = TABLE_DESC("checks", struct check, check_cols);

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

int check_add(struct check_list *l, const char *suite, const char *name, const char *metric, double value,
              double lower, double upper, const char *unit)
{
    if (array_reserve((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items, 16))
        return -1;
    struct check *c = &l->items[l->n++];
    memset(c, 0, sizeof *c);
    copy_str(c->suite, sizeof c->suite, suite);
    copy_str(c->name, sizeof c->name, name);
    copy_str(c->metric, sizeof c->metric, metric);
    copy_str(c->unit, sizeof c->unit, unit);
    c->value = value;
    c->lower = lower;
    c->upper = upper;
    c->pass = value >= lower && value <= upper;
    return 0;
}

void check_list_free(struct check_list *l)
{
    free(l->items);
    *l = (struct check_list){0};
}

size_t checks_failed(const struct check_list *l)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += !l->items[i].pass;
    return n;
}

/* Percentages and counts read best fixed; tiny errors and ratios in %.2g-ish form. */
static void format_value(char *buf, size_t size, double v, const char *unit)
{
    if (isnan(v)) /* said in words: a NaN is not a figure */
        snprintf(buf, size, "NaN: no value");
    else if (strcmp(unit, "%") == 0)
        snprintf(buf, size, "%.2f %%", v);
    else if (strcmp(unit, "count") == 0)
        snprintf(buf, size, "%.0f", v);
    else if (v != 0 && (fabs(v) < 1e-2 || fabs(v) >= 1e5))
        snprintf(buf, size, "%.1e%s%s", v, *unit ? " " : "", unit);
    else
        snprintf(buf, size, "%.3g%s%s", v, *unit ? " " : "", unit);
}

const char *check_bound_text(const struct check *c, char *buf, size_t size)
{
    char b1[48], b2[48];
    int has_lo = isfinite(c->lower), has_hi = isfinite(c->upper);
    format_value(b1, sizeof b1, c->lower, c->unit);
    format_value(b2, sizeof b2, c->upper, c->unit);
    if (has_lo && has_hi && c->lower == c->upper)
        snprintf(buf, size, "== %s", b1);
    else if (has_lo && has_hi)
        snprintf(buf, size, "in [%s, %s]", b1, b2);
    else if (has_lo)
        snprintf(buf, size, ">= %s", b1);
    else
        snprintf(buf, size, "<= %s", b2);
    return buf;
}

const char *figure_text(double v, char *buf, size_t size)
{
    if (isnan(v))
        snprintf(buf, size, "(a NaN among them: no figure)");
    else
        snprintf(buf, size, "%.2e", v);
    return buf;
}

const char *check_value_text(const struct check *c, char *buf, size_t size)
{
    format_value(buf, size, c->value, c->unit);
    return buf;
}

void checks_print(const struct check_list *l, FILE *out)
{
    fprintf(out, "checks\n");
    for (size_t i = 0; i < l->n; i++) {
        const struct check *c = &l->items[i];
        char value[48], bound[112];
        fprintf(out, "  %-46s %12s   %-16s %s\n", c->name, check_value_text(c, value, sizeof value),
                check_bound_text(c, bound, sizeof bound), c->pass ? "PASSED" : "FAILED");
    }
}
