#include "report/compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"
#include "util/array.h"
#include "util/clock.h"

#define BOOTSTRAP_RESAMPLES 2000
#define MIN_ROWS_ACROSS 3 /* fewer rows than this say nothing about the noise between runs */

void cmp_policy_defaults(struct cmp_policy *p)
{
    *p = (struct cmp_policy){.lower = -0.01, .upper = 0.01, .atol = 1e-12, .band = 0.10};
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

static const struct column *column_named(const struct table_desc *desc, const char *name)
{
    for (size_t i = 0; i < desc->ncols; i++)
        if (strcmp(desc->cols[i].name, name) == 0)
            return &desc->cols[i];
    return NULL;
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

/* The band of a value column (and of LOWER/HIGHER): [b + lower|b| - atol,
 * b + upper|b| + atol], or what --tolerance gives the column. */
static void band_of(const char *metric, double b, const struct cmp_policy *p, double *lo, double *hi, int *explicit)
{
    double lower = p->lower, upper = p->upper;
    *explicit = 0;
    for (size_t i = 0; i < p->nover; i++)
        if (strcmp(p->over[i].metric, metric) == 0) {
            lower = p->over[i].lower;
            upper = p->over[i].upper;
            *explicit = 1;
        }
    *lo = b + lower * fabs(b) - p->atol;
    *hi = b + upper * fabs(b) + p->atol;
}

/* +1 regressed, -1 improved, 0 neither, for the row-by-row kinds. */
static int judge_row(enum col_cmp kind, const struct column *c, const void *rb, const void *rn, double lo, double hi)
{
    if (kind == CMP_EXACT && c->type == COL_STR)
        return strncmp((const char *)rb + c->offset, (const char *)rn + c->offset, c->size) != 0;
    double b = number(c, rb), x = number(c, rn);
    if (kind == CMP_PASS)
        return b != 0 && x == 0 ? 1 : b == 0 && x != 0 ? -1 : 0;
    if (isnan(b) || isnan(x))
        return isnan(b) != isnan(x) && isnan(x); /* a figure that became NaN regressed */
    if (kind == CMP_EXACT)
        return memcmp((const char *)rb + c->offset, (const char *)rn + c->offset, c->size) != 0;
    if (kind == CMP_VALUE)
        return !(x >= lo && x <= hi);
    if (kind == CMP_LOWER)
        return x > hi ? 1 : x < lo ? -1 : 0;
    if (kind == CMP_HIGHER)
        return x < lo ? 1 : x > hi ? -1 : 0;
    return 0;
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
    l->lo = l->hi = NAN;
    return l;
}

/* The row shown on a line: a regressed one first, then an improved one,
 * then the largest change. */
static void keep_row(struct cmp_line *l, double *worst, int verdict, double b, double x, double lo, double hi,
                     const char *key)
{
    double score = (verdict > 0 ? 2e300 : verdict < 0 ? 1e300 : 0) + relative_change(b, x);
    if (score > *worst || isnan(score)) {
        *worst = score;
        snprintf(l->key, sizeof l->key, "%s", key);
        l->base = b;
        l->now = x;
        l->lo = lo;
        l->hi = hi;
    }
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *v, size_t n)
{
    qsort(v, n, sizeof *v, by_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t next_random(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* The median of the log ratios v (n rows in groups: group[i], 0..ngroups-1)
 * and its 95 % percentile interval by a two-level bootstrap: each resample
 * draws ngroups groups with replacement, then rows with replacement within
 * each drawn group. Rows timed on one rank share its fate (a neighbour
 * process on its core slows them all), so they are not independent; with
 * one group this is the plain bootstrap over rows. A fixed seed: the same
 * pair of files always gives the same verdict. */
static int bootstrap_median(const double *v, const size_t *group, size_t ngroups, size_t n, double *median,
                            double *lo, double *hi)
{
    /* rows sorted by group: group g is order[start[g] .. start[g+1]) */
    size_t *order = malloc(n * sizeof *order), *start = calloc(ngroups + 1, sizeof *start),
           *fill = calloc(ngroups, sizeof *fill);
    double *meds = malloc(BOOTSTRAP_RESAMPLES * sizeof *meds), *work = NULL;
    int rc = -1;
    if (!order || !start || !fill || !meds)
        goto out;
    for (size_t i = 0; i < n; i++)
        start[group[i] + 1]++;
    size_t largest = 0;
    for (size_t g = 0; g < ngroups; g++) {
        largest = start[g + 1] > largest ? start[g + 1] : largest;
        start[g + 1] += start[g];
    }
    for (size_t i = 0; i < n; i++)
        order[start[group[i]] + fill[group[i]]++] = i;
    /* a resample that draws the largest group every time */
    if (!(work = malloc((ngroups * largest > n ? ngroups * largest : n) * sizeof *work)))
        goto out;
    memcpy(work, v, n * sizeof *work);
    *median = median_of(work, n);
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (int b = 0; b < BOOTSTRAP_RESAMPLES; b++) {
        size_t drawn = 0;
        for (size_t k = 0; k < ngroups; k++) {
            size_t g = next_random(&s) % ngroups, size = start[g + 1] - start[g];
            for (size_t r = 0; r < size; r++)
                work[drawn++] = v[order[start[g] + next_random(&s) % size]];
        }
        meds[b] = median_of(work, drawn);
    }
    qsort(meds, BOOTSTRAP_RESAMPLES, sizeof *meds, by_double);
    *lo = meds[(int)(0.025 * BOOTSTRAP_RESAMPLES)];
    *hi = meds[(int)(0.975 * BOOTSTRAP_RESAMPLES) - 1];
    rc = 0;
out:
    free(order);
    free(start);
    free(fill);
    free(meds);
    free(work);
    return rc;
}

/* A timing column's rows, the ones with numbers: their log changes, their
 * verdicts alone, their places and their rank groups. */
struct timing_scratch {
    double *change;
    int *alone;
    size_t *at, *group;
    int64_t *group_key;
};

static void scratch_free(struct timing_scratch *sc)
{
    free(sc->change);
    free(sc->alone);
    free(sc->at);
    free(sc->group);
    free(sc->group_key);
}

static int scratch_alloc(struct timing_scratch *sc, size_t n)
{
    size_t k = n ? n : 1;
    *sc = (struct timing_scratch){malloc(k * sizeof *sc->change), malloc(k * sizeof *sc->alone),
                                  malloc(k * sizeof *sc->at), malloc(k * sizeof *sc->group),
                                  malloc(k * sizeof *sc->group_key)};
    if (sc->change && sc->alone && sc->at && sc->group && sc->group_key)
        return 0;
    scratch_free(sc);
    return -1;
}

/* A time (or rate) column. One run's repeats say little about the next
 * run's: on a quiet machine a 16 us kernel moves +40 % between two runs with
 * its quartiles apart. So the rows are judged together, by the 95 %
 * bootstrap interval of their median change (a machine-wide slow-down moves
 * them all; noise moves a few either way); the rows beyond the threshold are
 * then the ones counted. With fewer rows than that needs, a row with its
 * repeats' quartiles regresses when its median is worse by more than the
 * threshold and the quartile ranges do not overlap. sign: +1 for times
 * (higher is worse), -1 for rates. */
static int judge_timing(struct cmp_line *l, const struct table_desc *desc, const struct column *col,
                        const void *base, const void *now, const size_t *match, size_t nbase,
                        char (*keys)[160], const struct cmp_policy *p)
{
    size_t row = desc->row_size;
    int sign = l->kind == CMP_RATE ? -1 : 1;
    const struct column *tq1 = column_named(desc, "q1_seconds"), *tq3 = column_named(desc, "q3_seconds"),
                        *tmed = column_named(desc, "median_seconds");
    /* the quartiles belong to median_seconds; a rate in the same table is its
     * inverse (GB/s of that call) and follows the same time's verdict */
    int spread = tq1 && tq3 && tmed && (col == tmed || l->kind == CMP_RATE);
    struct timing_scratch sc;
    if (scratch_alloc(&sc, nbase))
        return -1;
    double *change = sc.change, worst = -1;
    int *alone = sc.alone;
    size_t *at = sc.at, *group = sc.group;
    int64_t *group_key = sc.group_key;
    /* rows are grouped by the ranks that timed them, in the baseline and now */
    const struct column *rank = column_named(desc, "rank");
    size_t ngroups = 0;
    size_t n = 0;
    double threshold = log1p(p->band);
    for (size_t i = 0; i < nbase; i++) {
        if (match[i] == SIZE_MAX)
            continue;
        const void *rb = (const char *)base + i * row, *rn = (const char *)now + match[i] * row;
        double b = number(col, rb), x = number(col, rn);
        l->compared++;
        if (!(b > 0) || !(x > 0) || isinf(b) || isinf(x)) {
            keep_row(l, &worst, 0, b, x, NAN, NAN, keys[i]);
            continue;
        }
        /* the verdict this row would have alone, from its quartiles (0 without them) */
        double bq1 = spread ? number(tq1, rb) : NAN, bq3 = spread ? number(tq3, rb) : NAN;
        double xq1 = spread ? number(tq1, rn) : NAN, xq3 = spread ? number(tq3, rn) : NAN;
        double bm = spread ? number(tmed, rb) : NAN, xm = spread ? number(tmed, rn) : NAN;
        alone[n] = !(bq1 > 0 && bq3 > 0 && xq1 > 0 && xq3 > 0) ? 0
                   : xm > bm * (1 + p->band) && xq1 > bq3    ? 1
                   : xm < bm / (1 + p->band) && xq3 < bq1    ? -1
                                                             : 0;
        int64_t key = rank ? (int64_t)number(rank, rb) * 1000003 + (int64_t)number(rank, rn) : 0;
        size_t g = 0;
        while (g < ngroups && group_key[g] != key)
            g++;
        if (g == ngroups)
            group_key[ngroups++] = key;
        group[n] = g;
        at[n] = i;
        change[n++] = sign * log(x / b);
    }
    if (n >= MIN_ROWS_ACROSS) {
        double med, lo, hi;
        if (bootstrap_median(change, group, ngroups, n, &med, &lo, &hi)) {
            scratch_free(&sc);
            return -1;
        }
        int verdict = lo > threshold ? 1 : hi < -threshold ? -1 : 0;
        for (size_t k = 0; k < n; k++) {
            int counted = verdict > 0 ? change[k] > threshold : verdict < 0 ? change[k] < -threshold : 0;
            l->regressed += verdict > 0 && counted;
            l->improved += verdict < 0 && counted;
            const void *rb = (const char *)base + at[k] * row, *rn = (const char *)now + match[at[k]] * row;
            keep_row(l, &worst, counted ? verdict : 0, number(col, rb), number(col, rn), NAN, NAN, keys[at[k]]);
        }
        char groups[48] = "";
        if (ngroups > 1)
            snprintf(groups, sizeof groups, " (on %zu ranks)", ngroups);
        snprintf(l->judged, sizeof l->judged, "%zu rows%s together: %s %+.1f %%, 95 %% interval %+.1f..%+.1f %%", n,
                 groups, l->kind == CMP_RATE ? "median change of 1/rate" : "median change", 100 * expm1(med),
                 100 * expm1(lo), 100 * expm1(hi));
    } else {
        for (size_t k = 0; k < n; k++) {
            l->regressed += alone[k] > 0;
            l->improved += alone[k] < 0;
            const void *rb = (const char *)base + at[k] * row, *rn = (const char *)now + match[at[k]] * row;
            keep_row(l, &worst, alone[k], number(col, rb), number(col, rn), NAN, NAN, keys[at[k]]);
        }
        if (n && !spread)
            snprintf(l->judged, sizeof l->judged, "%zu one-shot row%s: too few to tell a change from noise", n,
                     n == 1 ? "" : "s");
        else if (n)
            snprintf(l->judged, sizeof l->judged, "%zu row%s, each by its repeats' quartiles", n, n == 1 ? "" : "s");
    }
    scratch_free(&sc);
    return 0;
}

int compare_missing_table(const char *table, size_t nbase, struct cmp_report *r)
{
    struct cmp_line *l = new_line(r, table, "rows", CMP_EXACT);
    if (!l)
        return -1;
    l->compared = l->regressed = (int64_t)nbase;
    l->base = (double)nbase;
    l->now = 0;
    snprintf(l->key, sizeof l->key, "the whole table");
    r->missing_rows += (int64_t)nbase;
    return 0;
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
    int64_t fresh = 0;
    for (size_t j = 0; j < nnow; j++)
        fresh += !used[j];
    r->new_rows += fresh;
    r->missing_rows += missing;
    int rc = 0;
    struct cmp_line *rows = new_line(r, table, "rows", CMP_EXACT);
    if (!rows)
        rc = -1;
    else {
        rows->compared = (int64_t)nbase;
        rows->regressed = missing;
        rows->base = (double)nbase;
        rows->now = (double)nnow;
        for (size_t i = 0; i < nbase && !rows->key[0]; i++)
            if (match[i] == SIZE_MAX)
                snprintf(rows->key, sizeof rows->key, "%s", kb[i]);
    }
    for (size_t c = 0; c < desc->ncols && !rc; c++) {
        const struct column *col = &desc->cols[c];
        enum col_cmp kind = kind_of(col, has_name);
        if (kind == CMP_IGNORE || kind == CMP_KEY)
            continue;
        int explicit_band = 0;
        double unused_lo, unused_hi;
        band_of(col->name, 0, p, &unused_lo, &unused_hi, &explicit_band);
        if (explicit_band && kind != CMP_LOWER && kind != CMP_HIGHER)
            kind = CMP_VALUE; /* --tolerance makes the column a value with that band */
        struct cmp_line *l = new_line(r, table, col->name, kind);
        if (!l) {
            rc = -1;
            break;
        }
        double started = now_seconds();
        if (kind == CMP_TIME || kind == CMP_RATE) {
            rc = judge_timing(l, desc, col, base, now, match, nbase, kb, p);
            l->seconds = now_seconds() - started;
            continue;
        }
        double worst = -1;
        for (size_t i = 0; i < nbase; i++) {
            if (match[i] == SIZE_MAX)
                continue;
            const void *rb = (const char *)base + i * row, *rn = (const char *)now + match[i] * row;
            double b = number(col, rb), x = number(col, rn), lo, hi;
            int ex;
            band_of(col->name, b, p, &lo, &hi, &ex);
            int verdict = kind == CMP_INFO ? 0 : judge_row(kind, col, rb, rn, lo, hi);
            l->compared++;
            l->regressed += verdict > 0;
            l->improved += verdict < 0;
            if (col->type == COL_STR)
                keep_row(l, &worst, verdict, NAN, NAN, NAN, NAN, kb[i]);
            else
                keep_row(l, &worst, verdict, b, x, kind == CMP_EXACT || kind == CMP_PASS ? b : lo,
                         kind == CMP_EXACT || kind == CMP_PASS ? b : hi, kb[i]);
        }
        l->seconds = now_seconds() - started;
    }
    free(kb);
    free(kn);
    free(match);
    free(used);
    return rc;
}

enum cmp_verdict cmp_line_verdict(const struct cmp_line *l)
{
    if (l->kind == CMP_INFO)
        return VERDICT_INFO;
    return l->regressed ? VERDICT_REGRESSED : l->improved ? VERDICT_IMPROVED : VERDICT_OK;
}

const char *cmp_verdict_name(enum cmp_verdict v)
{
    static const char *const names[] = {"ok", "improved", "REGRESSED", "info"};
    return names[v];
}

const char *cmp_kind_name(enum col_cmp k)
{
    static const char *const names[] = {"auto", "ignore", "key",  "exact",  "value", "time",
                                        "rate", "pass",   "lower", "higher", "info"};
    return k < sizeof names / sizeof names[0] ? names[k] : "?";
}

void cmp_count(const struct cmp_report *r, struct cmp_counts *c)
{
    *c = (struct cmp_counts){0};
    for (size_t i = 0; i < r->n; i++) {
        const struct cmp_line *l = &r->lines[i];
        enum cmp_verdict v = cmp_line_verdict(l);
        if (v == VERDICT_INFO)
            continue;
        c->metrics++;
        c->regressed += v == VERDICT_REGRESSED;
        c->improved += v == VERDICT_IMPROVED;
        c->figures += l->compared;
        c->figures_regressed += l->regressed;
        c->figures_improved += l->improved;
    }
}

const char *cmp_verdict_line(const struct cmp_report *r, char *buf, size_t size)
{
    struct cmp_counts c;
    cmp_count(r, &c);
    int used = snprintf(buf, size, "%s: %zu of %zu metrics regressed (%lld of %lld figures)",
                        c.regressed ? "REGRESSED" : "NO REGRESSION", c.regressed, c.metrics,
                        (long long)c.figures_regressed, (long long)c.figures);
    if (c.improved && used > 0 && (size_t)used < size)
        snprintf(buf + used, size - (size_t)used, " · %zu improved (%lld figures)", c.improved,
                 (long long)c.figures_improved);
    return buf;
}

const char *cmp_allowed_text(const struct cmp_line *l, char *buf, size_t size)
{
    if (isnan(l->lo) && isnan(l->hi))
        snprintf(buf, size, "%s", l->judged);
    else if (l->kind == CMP_LOWER)
        snprintf(buf, size, "<= %.4g", l->hi);
    else if (l->kind == CMP_HIGHER)
        snprintf(buf, size, ">= %.4g", l->lo);
    else if (l->kind == CMP_EXACT || l->kind == CMP_PASS)
        snprintf(buf, size, "= %.4g", l->lo);
    else
        snprintf(buf, size, "[%.4g, %.4g]", l->lo, l->hi);
    return buf;
}

/* brief: only lines that regressed, improved, or changed a judged figure
 * other than a time (times move every run; their verdict says enough). */
static int line_shown(const struct cmp_line *l, int brief)
{
    enum cmp_verdict v = cmp_line_verdict(l);
    int changed = l->base != l->now && !(isnan(l->base) && isnan(l->now));
    return !brief || v == VERDICT_REGRESSED || v == VERDICT_IMPROVED ||
           (changed && v != VERDICT_INFO && l->kind != CMP_TIME && l->kind != CMP_RATE);
}

void cmp_report_print(const struct cmp_report *r, FILE *out, int brief)
{
    if (r->differences)
        fprintf(out, "the runs differ (compared anyway, --allow-different):\n%s", r->differences);
    size_t shown = 0;
    for (size_t i = 0; i < r->n; i++)
        shown += line_shown(&r->lines[i], brief);
    if (shown)
        fprintf(out, "  %-44s %-6s %6s %11s %11s %9s  %s\n", "metric", "rule", "rows", "baseline", "now", "change",
                "verdict (the row shown)");
    else if (r->n)
        fprintf(out, "  every judged figure within its bounds, none changed but times (--verbose shows them all)\n");
    for (size_t i = 0; i < r->n; i++) {
        const struct cmp_line *l = &r->lines[i];
        enum cmp_verdict v = cmp_line_verdict(l);
        int changed = l->base != l->now && !(isnan(l->base) && isnan(l->now));
        if (!line_shown(l, brief))
            continue;
        char name[96], change[32];
        snprintf(name, sizeof name, "%s %s", l->table, l->metric);
        if (isnan(l->base) || isnan(l->now) || l->base == 0)
            snprintf(change, sizeof change, "%s", changed ? "changed" : "");
        else
            snprintf(change, sizeof change, "%+.2f%%", 100 * (l->now - l->base) / fabs(l->base));
        fprintf(out, "  %-44.44s %-6s %6lld %11.4g %11.4g %9s  %s", name, cmp_kind_name(l->kind),
                (long long)l->compared, l->base, l->now, change, cmp_verdict_name(v));
        if (v == VERDICT_REGRESSED || v == VERDICT_IMPROVED) {
            fprintf(out, " %lld of %lld, e.g. %s", (long long)(v == VERDICT_REGRESSED ? l->regressed : l->improved),
                    (long long)l->compared, l->key);
            if (!isnan(l->lo) && v == VERDICT_REGRESSED) {
                char allowed[200];
                fprintf(out, " (allowed %s)", cmp_allowed_text(l, allowed, sizeof allowed));
            }
        }
        if (l->judged[0])
            fprintf(out, " [%s]", l->judged);
        fprintf(out, "\n");
    }
    if (r->missing_rows)
        fprintf(out, "  %lld rows of the baseline are missing now (each table's rows line counts them)\n",
                (long long)r->missing_rows);
    if (r->new_rows)
        fprintf(out, "  %lld rows are new (not in the baseline)\n", (long long)r->new_rows);
}

void cmp_report_free(struct cmp_report *r)
{
    free(r->lines);
    free(r->differences);
    *r = (struct cmp_report){0};
}
