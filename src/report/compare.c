#include "report/compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"
#include "util/array.h"

void cmp_policy_defaults(struct cmp_policy *p)
{
    *p = (struct cmp_policy){.lower = -0.01, .upper = 0.01, .atol = 1e-12, .band = 0.25};
}

int cmp_policy_add(struct cmp_policy *p, const char *spec, struct diag *d)
{
    const char *eq = strchr(spec, '='), *comma = eq ? strchr(eq, ',') : NULL;
    char lo[64], hi[64];
    double l, h;
    int overflow;
    if (!eq || !comma || eq == spec || (size_t)(eq - spec) >= sizeof p->over[0].metric ||
        (size_t)(comma - eq - 1) >= sizeof lo || strlen(comma + 1) >= sizeof hi)
        return diag_fail(d, FR_USAGE, "--tolerance expects METRIC=LOWER,UPPER (fractions, e.g. "
                                      "rel_out_err=-1,0.05), not '%s'", spec);
    snprintf(lo, sizeof lo, "%.*s", (int)(comma - eq - 1), eq + 1);
    snprintf(hi, sizeof hi, "%s", comma + 1);
    if (parse_real(lo, &l, &overflow) || parse_real(hi, &h, &overflow) || !(l <= 0) || !(h >= 0))
        return diag_fail(d, FR_USAGE, "--tolerance %s: LOWER must be a number <= 0 and UPPER >= 0", spec);
    if (p->nover == CMP_MAX_OVERRIDES)
        return diag_fail(d, FR_USAGE, "at most %d --tolerance options", CMP_MAX_OVERRIDES);
    struct cmp_tolerance *t = &p->over[p->nover++];
    snprintf(t->metric, sizeof t->metric, "%.*s", (int)(eq - spec), spec);
    t->lower = l;
    t->upper = h;
    return FR_OK;
}

static int has_name_column(const struct table_desc *desc)
{
    for (size_t i = 0; i < desc->ncols; i++)
        if (desc->cols[i].type == COL_STR && strcmp(desc->cols[i].name, "name") == 0)
            return 1;
    return 0;
}

static enum col_cmp kind_of(const struct column *c, int has_name)
{
    if (c->cmp != CMP_AUTO)
        return c->cmp;
    switch (c->type) {
    case COL_STR:
        return !has_name || strcmp(c->name, "name") == 0 ? CMP_KEY : CMP_EXACT;
    case COL_I32:
    case COL_I64:
        return CMP_EXACT;
    default: {
        size_t u = strlen(c->unit);
        if (strcmp(c->unit, "s") == 0)
            return CMP_TIME;
        if (u >= 2 && strcmp(c->unit + u - 2, "/s") == 0)
            return CMP_RATE;
        return CMP_VALUE;
    }
    }
}

static double number(const struct column *c, const void *row)
{
    const char *p = (const char *)row + c->offset;
    int32_t i;
    int64_t l;
    double v;
    switch (c->type) {
    case COL_I32:
        memcpy(&i, p, sizeof i);
        return (double)i;
    case COL_I64:
        memcpy(&l, p, sizeof l);
        return (double)l;
    case COL_F64:
        memcpy(&v, p, sizeof v);
        return v;
    default:
        return NAN;
    }
}

static void row_key(const struct table_desc *desc, int has_name, const void *row, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < desc->ncols && used < size; i++) {
        const struct column *c = &desc->cols[i];
        if (kind_of(c, has_name) != CMP_KEY)
            continue;
        const char *sep = used ? "|" : "";
        if (c->type == COL_STR)
            used += (size_t)snprintf(buf + used, size - used, "%s%.*s", sep, (int)c->size,
                                     (const char *)row + c->offset);
        else
            used += (size_t)snprintf(buf + used, size - used, "%s%.0f", sep, number(c, row));
    }
}

/* Range allowed for `now` given the baseline value b. */
static void allowed(enum col_cmp kind, const char *metric, double b, const struct cmp_policy *p, double *lo,
                    double *hi)
{
    double lower = p->lower, upper = p->upper;
    for (size_t i = 0; i < p->nover; i++)
        if (strcmp(p->over[i].metric, metric) == 0) {
            lower = p->over[i].lower;
            upper = p->over[i].upper;
            kind = CMP_VALUE; /* an explicit reference replaces the default rule */
        }
    switch (kind) {
    case CMP_TIME:
        *lo = -INFINITY;
        *hi = b * (1 + p->band);
        break;
    case CMP_RATE:
        *lo = b * (1 - p->band);
        *hi = INFINITY;
        break;
    case CMP_VALUE:
        *lo = b + lower * fabs(b) - p->atol;
        *hi = b + upper * fabs(b) + p->atol;
        break;
    default:
        *lo = *hi = b;
        break;
    }
}

static int regressed(enum col_cmp kind, const struct column *c, const void *rb, const void *rn, double lo,
                     double hi)
{
    if (kind == CMP_EXACT && c->type == COL_STR)
        return strncmp((const char *)rb + c->offset, (const char *)rn + c->offset, c->size) != 0;
    double b = number(c, rb), x = number(c, rn);
    if (kind == CMP_PASS)
        return b != 0 && x == 0;
    if (isnan(b) || isnan(x))
        return isnan(b) != isnan(x);
    if (kind == CMP_EXACT)
        return memcmp((const char *)rb + c->offset, (const char *)rn + c->offset, c->size) != 0;
    return !(x >= lo && x <= hi);
}

static double relative_change(double b, double x)
{
    if (b == x || (isnan(b) && isnan(x)))
        return 0;
    return b != 0 ? fabs(x - b) / fabs(b) : INFINITY;
}

static struct cmp_line *new_line(struct cmp_report *r, const char *table, const char *metric, enum col_cmp kind)
{
    if (array_reserve((void **)&r->lines, &r->cap, r->n + 1, sizeof *r->lines, 32))
        return NULL;
    struct cmp_line *l = &r->lines[r->n++];
    memset(l, 0, sizeof *l);
    snprintf(l->table, sizeof l->table, "%s", table);
    snprintf(l->metric, sizeof l->metric, "%s", metric);
    l->kind = kind;
    return l;
}

int compare_rows(const char *table, const struct table_desc *desc, const void *base, size_t nbase, const void *now,
                 size_t nnow, const struct cmp_policy *p, struct cmp_report *r)
{
    int has_name = has_name_column(desc);
    size_t row = desc->row_size;
    char (*kb)[160] = malloc((nbase ? nbase : 1) * sizeof *kb), (*kn)[160] = malloc((nnow ? nnow : 1) * sizeof *kn);
    size_t *match = malloc((nbase ? nbase : 1) * sizeof *match);
    char *used = calloc(nnow ? nnow : 1, 1);
    if (!kb || !kn || !match || !used) {
        free(kb);
        free(kn);
        free(match);
        free(used);
        return -1;
    }
    for (size_t i = 0; i < nbase; i++)
        row_key(desc, has_name, (const char *)base + i * row, kb[i], sizeof kb[i]);
    for (size_t j = 0; j < nnow; j++)
        row_key(desc, has_name, (const char *)now + j * row, kn[j], sizeof kn[j]);
    int64_t missing = 0;
    for (size_t i = 0; i < nbase; i++) {
        match[i] = SIZE_MAX;
        for (size_t j = 0; j < nnow && match[i] == SIZE_MAX; j++)
            if (!used[j] && strcmp(kb[i], kn[j]) == 0) {
                match[i] = j;
                used[j] = 1;
            }
        missing += match[i] == SIZE_MAX;
    }
    for (size_t j = 0; j < nnow; j++)
        r->new_rows += !used[j];
    r->missing_rows += missing;
    r->regressions += missing;
    int rc = 0;
    for (size_t c = 0; c < desc->ncols && !rc; c++) {
        const struct column *col = &desc->cols[c];
        enum col_cmp kind = kind_of(col, has_name);
        if (kind == CMP_IGNORE || kind == CMP_KEY)
            continue;
        struct cmp_line *l = new_line(r, table, col->name, kind);
        if (!l) {
            rc = -1;
            break;
        }
        double worst = -1;
        for (size_t i = 0; i < nbase; i++) {
            if (match[i] == SIZE_MAX)
                continue;
            const void *rb = (const char *)base + i * row, *rn = (const char *)now + match[i] * row;
            double b = number(col, rb), x = number(col, rn), lo, hi;
            allowed(kind, col->name, b, p, &lo, &hi);
            int bad = regressed(kind, col, rb, rn, lo, hi);
            double score = (bad ? 1e300 : 0) + (col->type == COL_STR ? bad : relative_change(b, x));
            l->compared++;
            l->regressed += bad;
            if (score > worst || isnan(score)) {
                worst = score;
                snprintf(l->key, sizeof l->key, "%s", kb[i]);
                l->base = b;
                l->now = x;
                l->lo = lo;
                l->hi = hi;
            }
        }
        r->regressions += l->regressed;
    }
    free(kb);
    free(kn);
    free(match);
    free(used);
    return rc;
}

static const char *kind_name(enum col_cmp k)
{
    static const char *const names[] = {"auto", "ignore", "key", "exact", "value", "time", "rate", "pass"};
    return names[k];
}

void cmp_report_print(const struct cmp_report *r, FILE *out, int brief)
{
    fprintf(out, "  %-44s %-5s %6s %11s %11s %9s  %s\n", "metric", "rule", "rows", "baseline", "now", "change",
            "verdict (worst row)");
    for (size_t i = 0; i < r->n; i++) {
        const struct cmp_line *l = &r->lines[i];
        int changed = l->base != l->now && !(isnan(l->base) && isnan(l->now));
        if (brief && !l->regressed && !changed)
            continue;
        char name[96], change[32];
        snprintf(name, sizeof name, "%s %s", l->table, l->metric);
        if (isnan(l->base) || isnan(l->now) || l->base == 0)
            snprintf(change, sizeof change, "%s", changed ? "changed" : "");
        else
            snprintf(change, sizeof change, "%+.2f%%", 100 * (l->now - l->base) / fabs(l->base));
        fprintf(out, "  %-44.44s %-5s %6lld %11.4g %11.4g %9s  %s", name, kind_name(l->kind), (long long)l->compared,
                l->base, l->now, change, l->regressed ? "REGRESSED" : "ok");
        if (l->regressed)
            fprintf(out, " %lld of %lld, e.g. %s (allowed [%.4g, %.4g])", (long long)l->regressed,
                    (long long)l->compared, l->key, l->lo, l->hi);
        fprintf(out, "\n");
    }
    if (r->missing_rows)
        fprintf(out, "  %lld rows of the baseline are missing now (counted as regressions)\n",
                (long long)r->missing_rows);
    if (r->new_rows)
        fprintf(out, "  %lld rows are new (not in the baseline)\n", (long long)r->new_rows);
}

void cmp_report_free(struct cmp_report *r)
{
    free(r->lines);
    *r = (struct cmp_report){0};
}
