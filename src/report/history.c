#include "report/history.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int by_start(const void *a, const void *b)
{
    const struct report_data *x = a, *y = b;
    int c = strcmp(report_attr(x, "start_time", ""), report_attr(y, "start_time", ""));
    return c ? c : strcmp(x->path, y->path); /* runs started in one second: by file name */
}

static int judged(enum col_cmp k)
{
    return k == CMP_LOWER || k == CMP_HIGHER || k == CMP_TIME || k == CMP_RATE || k == CMP_VALUE;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of a column over a table's rows (NaN when none is finite). */
static double column_median(const struct report_table *t, const char *column)
{
    double *v = malloc((t->n ? t->n : 1) * sizeof *v);
    size_t n = 0;
    if (!v)
        return NAN;
    for (size_t k = 0; k < t->n; k++) {
        double x = report_num(t, k, column);
        if (isfinite(x))
            v[n++] = x;
    }
    double m = NAN;
    if (n) {
        qsort(v, n, sizeof *v, by_double);
        m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
    free(v);
    return m;
}

static struct history_metric *metric_of(struct history *h, const char *table, const char *metric, enum col_cmp kind)
{
    for (size_t i = 0; i < h->nmetrics; i++)
        if (!strcmp(h->metrics[i].table, table) && !strcmp(h->metrics[i].metric, metric))
            return &h->metrics[i];
    if (h->nmetrics == HISTORY_MAX_METRICS)
        return NULL;
    struct history_metric *m = &h->metrics[h->nmetrics++];
    memset(m, 0, sizeof *m);
    snprintf(m->table, sizeof m->table, "%s", table);
    snprintf(m->metric, sizeof m->metric, "%s", metric);
    m->kind = kind;
    for (size_t r = 0; r < HISTORY_MAX_RUNS; r++) {
        m->median[r] = NAN;
        m->verdict[r] = VERDICT_INFO;
    }
    return m;
}

int history_build(const char *name, struct report_data *runs, size_t n, const struct cmp_policy *p,
                  struct history *h)
{
    memset(h, 0, sizeof *h);
    snprintf(h->name, sizeof h->name, "%s", name);
    if (!(h->metrics = calloc(HISTORY_MAX_METRICS, sizeof *h->metrics)))
        return -1;
    qsort(runs, n, sizeof *runs, by_start);
    size_t first = n > HISTORY_MAX_RUNS ? n - HISTORY_MAX_RUNS : 0;
    h->skipped_runs = first;
    for (size_t r = first; r < n; r++) {
        size_t at = h->nruns++;
        struct history_run *hr = &h->runs[at];
        snprintf(hr->path, sizeof hr->path, "%s", runs[r].path);
        snprintf(hr->start, sizeof hr->start, "%.19s", report_attr(&runs[r], "start_time", ""));
        snprintf(hr->commit, sizeof hr->commit, "%s", report_attr(&runs[r], "git_commit", "?"));
        for (size_t t = 0; t < runs[r].ntables; t++) {
            const struct report_table *tab = &runs[r].tables[t];
            if (!tab->suite[0]) /* /checks and /ranks: not a suite's figures */
                continue;
            /* the verdicts against the run before, by the compare's own rules */
            struct cmp_report cr = {0};
            const struct report_table *prev = r > first ? report_table(&runs[r - 1], tab->dataset) : NULL;
            if (prev && compare_rows(tab->dataset + 1, tab->desc, prev->rows, prev->n, tab->rows, tab->n, p, &cr)) {
                cmp_report_free(&cr);
                return -1;
            }
            for (size_t l = 0; prev && l < cr.n; l++) {
                const struct cmp_line *line = &cr.lines[l];
                if (!judged(line->kind))
                    continue;
                struct history_metric *m = metric_of(h, tab->dataset + 1, line->metric, line->kind);
                if (m)
                    m->verdict[at] = cmp_line_verdict(line);
            }
            cmp_report_free(&cr);
            for (size_t c = 0; c < tab->desc->ncols; c++) {
                const struct column *col = &tab->desc->cols[c];
                enum col_cmp k = col->cmp != CMP_AUTO ? col->cmp
                                 : col->type != COL_F64 ? CMP_EXACT
                                 : !strcmp(col->unit, "s") ? CMP_TIME
                                 : strstr(col->unit, "/s") ? CMP_RATE
                                                           : CMP_VALUE;
                if (!judged(k))
                    continue;
                struct history_metric *m = metric_of(h, tab->dataset + 1, col->name, k);
                if (m)
                    m->median[at] = column_median(tab, col->name);
            }
        }
    }
    return 0;
}

void history_free(struct history *h)
{
    free(h->metrics);
    h->metrics = NULL;
    h->nmetrics = 0;
}

const char *history_direction(enum col_cmp k)
{
    switch (k) {
    case CMP_LOWER:
    case CMP_TIME:
        return "lower is better";
    case CMP_HIGHER:
    case CMP_RATE:
        return "higher is better";
    default:
        return "within a band";
    }
}

void history_print(const struct history *h, FILE *out)
{
    fprintf(out, "history of %s: %zu runs", h->name, h->nruns);
    if (h->skipped_runs)
        fprintf(out, " (the %zu oldest left out)", h->skipped_runs);
    fprintf(out, "\n");
    for (size_t r = 0; r < h->nruns; r++)
        fprintf(out, "  run %zu  %s  git %s  %s\n", r + 1, h->runs[r].start, h->runs[r].commit, h->runs[r].path);
    for (size_t i = 0; i < h->nmetrics; i++) {
        const struct history_metric *m = &h->metrics[i];
        fprintf(out, "\n%s %s (%s; the median over the rows; verdict against the run before)\n", m->table, m->metric,
                history_direction(m->kind));
        for (size_t r = 0; r < h->nruns; r++) {
            fprintf(out, "  run %-3zu %s  %12.5g", r + 1, h->runs[r].start, m->median[r]);
            if (r && m->verdict[r] != VERDICT_INFO)
                fprintf(out, "  %s", cmp_verdict_name(m->verdict[r]));
            if (r && m->median[r - 1] != 0 && isfinite(m->median[r]) && isfinite(m->median[r - 1]))
                fprintf(out, " (%+.2f %%)", 100 * (m->median[r] / m->median[r - 1] - 1));
            fputc('\n', out);
        }
    }
}
