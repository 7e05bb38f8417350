#include "report/report_plots.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct axes {
    const char *x, *y;
    int logx, logy;
};

static struct plot *new_plot(struct report_plots *ps, const char *id, const char *title, enum plot_style style,
                             enum plot_agg agg, struct axes a)
{
    if (ps->n == REPORT_MAX_PLOTS) {
        ps->left_out++;
        return NULL;
    }
    struct plot *p = &ps->items[ps->n++];
    plot_init(p, id, title, style, agg);
    snprintf(p->xlabel, sizeof p->xlabel, "%s", a.x);
    snprintf(p->ylabel, sizeof p->ylabel, "%s", a.y);
    p->logx = a.logx;
    p->logy = a.logy;
    return p;
}

#define CELL 96

/* OSFT: the worst reconstruction errors of each matrix type over the layers. */
static int osft_error(const struct report_data *r, struct report_plots *ps)
{
    const struct report_table *t = report_table(r, "/osft/matrices");
    if (!t || !t->n)
        return 0;
    struct plot *p = new_plot(ps, "osft-error", "OSFT reconstruction error by matrix type (worst over layers)",
                              PLOT_BARS, PLOT_MAX, (struct axes){"matrix type", "error (log scale)", 0, 1});
    char target[CELL];
    for (size_t k = 0; p && k < t->n; k++) {
        report_str(t, k, "target", target, sizeof target);
        if (plot_add(p, target, 0, "max |W - W'|", report_num(t, k, "max_abs_err")) ||
            plot_add(p, target, 0, "relative Frobenius error", report_num(t, k, "rel_fro_err")))
            return -1;
    }
    return 0;
}

/* Each suite's ranks: predicted cost and measured busy time, each as a
 * share of its total, so the two read on one axis. */
static int rank_load(const struct report_data *r, struct report_plots *ps)
{
    for (size_t i = 0; i < r->ntables; i++) {
        const struct report_table *t = &r->tables[i];
        size_t len = strlen(t->dataset);
        if (!t->suite[0] || len < 6 || strcmp(t->dataset + len - 6, "/ranks") != 0 || !t->n)
            continue;
        double cost = 0, busy = 0;
        for (size_t k = 0; k < t->n; k++) {
            cost += report_num(t, k, "predicted_cost");
            busy += report_num(t, k, "busy_seconds");
        }
        char id[48], title[160], rank[32];
        snprintf(id, sizeof id, "%s-load", t->suite);
        snprintf(title, sizeof title, "%s: per-rank load, predicted vs measured", t->suite);
        struct plot *p = new_plot(ps, id, title, PLOT_BARS, PLOT_SUM, (struct axes){"rank", "share of the total (%)", 0, 0});
        for (size_t k = 0; p && k < t->n; k++) {
            snprintf(rank, sizeof rank, "%.0f", report_num(t, k, "rank"));
            if (plot_add(p, rank, 0, "predicted cost", cost > 0 ? 100 * report_num(t, k, "predicted_cost") / cost : NAN) ||
                plot_add(p, rank, 0, "measured busy time", busy > 0 ? 100 * report_num(t, k, "busy_seconds") / busy : NAN))
                return -1;
        }
    }
    return 0;
}

/* Distinct values of a text column, in the order first seen. */
static size_t distinct(const struct report_table *t, const char *column, char (*out)[CELL], size_t max)
{
    size_t n = 0;
    char v[CELL];
    for (size_t k = 0; k < t->n; k++) {
        report_str(t, k, column, v, sizeof v);
        size_t i = 0;
        while (i < n && strcmp(out[i], v) != 0)
            i++;
        if (i == n && n < max)
            snprintf(out[n++], CELL, "%s", v);
    }
    return n;
}

#define MAX_GROUPS 16

/* Balance: the gap above the lower bound against the rank count, one plot
 * per distribution, one line per algorithm. */
static int balance_gap(const struct report_data *r, struct report_plots *ps)
{
    const struct report_table *t = report_table(r, "/balance/partition");
    if (!t || !t->n)
        return 0;
    char dists[MAX_GROUPS][CELL], v[CELL], algo[CELL];
    size_t nd = distinct(t, "distribution", dists, MAX_GROUPS);
    for (size_t g = 0; g < nd; g++) {
        char id[48], title[160];
        snprintf(id, sizeof id, "balance-gap-%zu", g + 1);
        snprintf(title, sizeof title, "Balance gap vs ranks: %.64s (makespan / lower bound - 1)", dists[g]);
        struct plot *p = new_plot(ps, id, title, PLOT_LINES, PLOT_MEAN, (struct axes){"ranks (log scale)", "gap (log scale)", 1, 1});
        for (size_t k = 0; p && k < t->n; k++) {
            if (strcmp(report_str(t, k, "distribution", v, sizeof v), dists[g]) != 0)
                continue;
            double ranks = report_num(t, k, "ranks");
            snprintf(v, sizeof v, "%.0f", ranks);
            if (plot_add(p, v, ranks, report_str(t, k, "algorithm", algo, sizeof algo), report_num(t, k, "gap")))
                return -1;
        }
    }
    return 0;
}

/* Packing: rows used (against the lower bound) and efficiency per algorithm,
 * for each distribution and rank count. */
static int packing(const struct report_data *r, struct report_plots *ps)
{
    const struct report_table *t = report_table(r, "/balance/packing");
    if (!t || !t->n)
        return 0;
    struct plot *rows = new_plot(ps, "packing-rows", "Packing: minibatch rows used per algorithm", PLOT_BARS, PLOT_MAX,
                                 (struct axes){"distribution, ranks", "rows", 0, 0});
    struct plot *eff = new_plot(ps, "packing-efficiency", "Packing: overall efficiency per algorithm", PLOT_BARS,
                                PLOT_MAX, (struct axes){"distribution, ranks", "tokens / (rows x ranks x budget)", 0, 0});
    char dist[CELL], algo[CELL], cat[2 * CELL];
    for (size_t k = 0; k < t->n; k++) {
        snprintf(cat, sizeof cat, "%s P=%.0f", report_str(t, k, "distribution", dist, sizeof dist),
                 report_num(t, k, "ranks"));
        report_str(t, k, "algorithm", algo, sizeof algo);
        if ((rows && (plot_add(rows, cat, 0, algo, report_num(t, k, "rows")) ||
                      plot_add(rows, cat, 0, "lower bound", report_num(t, k, "rows_lower_bound")))) ||
            (eff && plot_add(eff, cat, 0, algo, report_num(t, k, "overall_efficiency"))))
            return -1;
    }
    return 0;
}

/* Quantization: mean SQNR and output error over layers, by bits and group
 * size, one bar per method (act-order separately). */
static int quant_error(const struct report_data *r, struct report_plots *ps)
{
    const struct report_table *t = report_table(r, "/quant/layers");
    if (!t || !t->n)
        return 0;
    struct plot *sqnr = new_plot(ps, "quant-sqnr", "Quantization SQNR by bits and group size (mean over layers)",
                                 PLOT_BARS, PLOT_MEAN, (struct axes){"bits, group size", "SQNR (dB)", 0, 0});
    struct plot *err = new_plot(ps, "quant-error", "Quantization output error by bits and group size (mean over layers)",
                                PLOT_BARS, PLOT_MEAN, (struct axes){"bits, group size", "relative output error (log scale)", 0, 1});
    char method[CELL], cat[64], ser[2 * CELL];
    for (size_t k = 0; k < t->n; k++) {
        double g = report_num(t, k, "group_size");
        snprintf(cat, sizeof cat, g > 0 ? "b%.0f g%.0f" : "b%.0f per row", report_num(t, k, "bits"), g);
        snprintf(ser, sizeof ser, "%s%s", report_str(t, k, "method", method, sizeof method),
                 report_num(t, k, "act_order") > 0 ? " act-order" : "");
        if ((sqnr && plot_add(sqnr, cat, 0, ser, report_num(t, k, "sqnr_db"))) ||
            (err && plot_add(err, cat, 0, ser, report_num(t, k, "rel_out_err"))))
            return -1;
    }
    return 0;
}

/* Kernels: achieved GB/s as a share of the copy bandwidth measured beside
 * them, per shape, bits, group and batch, one bar per accumulation mode. */
static int kernel_bandwidth(const struct report_data *r, struct report_plots *ps)
{
    const struct report_table *t = report_table(r, "/quant/kernels");
    if (!t || !t->n)
        return 0;
    struct plot *p = new_plot(ps, "kernel-bandwidth", "Dequant-matmul kernels: GB/s as a share of measured copy bandwidth",
                              PLOT_BARS, PLOT_MEAN, (struct axes){"layer, bits, group, batch", "share of copy bandwidth (%)", 0, 0});
    char layer[CELL], accum[CELL], cat[2 * CELL];
    for (size_t k = 0; p && k < t->n; k++) {
        snprintf(cat, sizeof cat, "%s b%.0f g%.0f x%.0f", report_str(t, k, "layer", layer, sizeof layer),
                 report_num(t, k, "bits"), report_num(t, k, "group_size"), report_num(t, k, "batch"));
        if (plot_add(p, cat, 0, report_str(t, k, "accum", accum, sizeof accum), 100 * report_num(t, k, "bandwidth_ratio")))
            return -1;
    }
    return 0;
}

int report_plots_build(const struct report_data *r, struct report_plots *ps)
{
    memset(ps, 0, sizeof *ps);
    int (*const builders[])(const struct report_data *, struct report_plots *) = {
        osft_error, rank_load, balance_gap, packing, quant_error, kernel_bandwidth};
    for (size_t i = 0; i < sizeof builders / sizeof builders[0]; i++)
        if (builders[i](r, ps))
            return -1;
    return 0;
}

#define COMPARE_PLOT_MAX 40

static double change_percent(const struct cmp_line *l)
{
    return l->base != 0 && isfinite(l->base) && isfinite(l->now) ? 100 * (l->now / l->base - 1) : NAN;
}

static int numeric(const struct cmp_line *l)
{
    return l->kind != CMP_EXACT && l->kind != CMP_PASS && l->kind != CMP_INFO;
}

/* Regressed first, improved next, then by the size of the change. */
static int by_importance(const void *a, const void *b)
{
    const struct cmp_line *x = *(const struct cmp_line *const *)a, *y = *(const struct cmp_line *const *)b;
    int vx = cmp_line_verdict(x), vy = cmp_line_verdict(y);
    int rx = vx == VERDICT_REGRESSED ? 0 : vx == VERDICT_IMPROVED ? 1 : 2;
    int ry = vy == VERDICT_REGRESSED ? 0 : vy == VERDICT_IMPROVED ? 1 : 2;
    if (rx != ry)
        return rx - ry;
    double cx = fabs(change_percent(x)), cy = fabs(change_percent(y));
    cx = isfinite(cx) ? cx : -1;
    cy = isfinite(cy) ? cy : -1;
    return (cx < cy) - (cx > cy);
}

static const char *verdict_series(const struct cmp_line *l)
{
    enum cmp_verdict v = cmp_line_verdict(l);
    return v == VERDICT_REGRESSED ? "regressed" : v == VERDICT_IMPROVED ? "improved" : "ok";
}

/* Two plots: the change of every numeric metric that changed (every
 * regressed and improved one, then the largest other changes up to a cap),
 * and the share of rows regressed of every regressed metric, whatever its
 * rule (an exact or pass column has no change in per cent to draw). */
int report_plots_compare(const struct cmp_report *c, struct report_plots *ps)
{
    memset(ps, 0, sizeof *ps);
    const struct cmp_line **lines = malloc((c->n ? c->n : 1) * sizeof *lines);
    if (!lines)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        if (numeric(&c->lines[i]) && isfinite(change_percent(&c->lines[i])) && change_percent(&c->lines[i]) != 0)
            lines[n++] = &c->lines[i];
    qsort(lines, n, sizeof *lines, by_importance);
    struct plot *p = new_plot(ps, "compare-change", "Change against the baseline (the row shown of each metric)",
                              PLOT_BARS, PLOT_MAX, (struct axes){"table: metric", "now / baseline - 1 (%)", 0, 0});
    char cat[PLOT_NAME_MAX];
    size_t drawn = 0;
    for (size_t i = 0; p && i < n; i++) {
        if (drawn >= COMPARE_PLOT_MAX && cmp_line_verdict(lines[i]) == VERDICT_OK)
            break; /* never leave a regressed or improved one out */
        snprintf(cat, sizeof cat, "%.30s: %.30s", lines[i]->table, lines[i]->metric);
        if (plot_add(p, cat, 0, verdict_series(lines[i]), change_percent(lines[i]))) {
            free(lines);
            return -1;
        }
        drawn++;
    }
    if (p && drawn < n)
        snprintf(p->note, sizeof p->note, "%zu of %zu numeric metrics that changed: every regressed and improved one, "
                                          "the largest other changes", drawn, n);
    size_t nreg = 0;
    for (size_t i = 0; i < c->n; i++)
        nreg += cmp_line_verdict(&c->lines[i]) == VERDICT_REGRESSED;
    struct plot *q = nreg ? new_plot(ps, "compare-regressed", "Every regressed metric: share of its rows regressed",
                                     PLOT_BARS, PLOT_MAX, (struct axes){"table: metric", "rows regressed (%)", 0, 0})
                          : NULL;
    for (size_t i = 0; q && i < c->n; i++) {
        const struct cmp_line *l = &c->lines[i];
        if (cmp_line_verdict(l) != VERDICT_REGRESSED)
            continue;
        snprintf(cat, sizeof cat, "%.30s: %.30s", l->table, l->metric);
        if (plot_add(q, cat, 0, "regressed", l->compared ? 100.0 * (double)l->regressed / (double)l->compared : 100)) {
            free(lines);
            return -1;
        }
    }
    free(lines);
    return 0;
}

/* One plot per table: each judged metric's median per run as its change
 * against the first run that has it, over the run number. */
int report_plots_history(const struct history *h, struct report_plots *ps)
{
    memset(ps, 0, sizeof *ps);
    for (size_t i = 0; i < h->nmetrics; i++) {
        const struct history_metric *m = &h->metrics[i];
        struct plot *p = NULL;
        for (size_t k = 0; k < ps->n && !p; k++)
            if (!strcmp(ps->items[k].title + strlen("History of "), m->table))
                p = &ps->items[k];
        if (!p) {
            char id[48], title[160];
            snprintf(id, sizeof id, "history-%zu", ps->n + 1);
            snprintf(title, sizeof title, "History of %s", m->table);
            if (!(p = new_plot(ps, id, title, PLOT_LINES, PLOT_MAX,
                               (struct axes){"run (in time order)", "median / first run's - 1 (%)", 0, 0})))
                continue;
        }
        double first = NAN;
        for (size_t r = 0; r < h->nruns; r++) {
            if (isnan(first) && isfinite(m->median[r]) && m->median[r] != 0)
                first = m->median[r];
            char cat[PLOT_NAME_MAX];
            snprintf(cat, sizeof cat, "%zu", r + 1);
            double change = isfinite(first) ? 100 * (m->median[r] / first - 1) : NAN;
            if (plot_add(p, cat, (double)(r + 1), m->metric, change))
                return -1;
        }
    }
    return 0;
}

void report_plots_free(struct report_plots *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        plot_free(&ps->items[i]);
    ps->n = 0;
}
