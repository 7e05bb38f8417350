#include "report/report_html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/checks.h"
#include "report/plot_gnuplot.h"
#include "report/report_plots.h"
#include "report/xml_out.h"
#include "util/version.h"

#define HTML_MAX_ROWS 5000

static const char style[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1280px;padding:0 24px 48px;"
    "color:#1d2330;background:#fff}"
    "h1{font-size:22px;margin:24px 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #d8dce4}"
    "table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums}"
    "th,td{padding:3px 10px;border-bottom:1px solid #eceef2;text-align:left;vertical-align:top}"
    "th{background:#f4f5f8;font-weight:600}td.num{text-align:right}"
    ".verdict{display:inline-block;padding:4px 12px;border-radius:4px;font-weight:600;color:#fff}"
    ".pass{background:#2e7d32}.fail{background:#c62828}tr.failed td{background:#fdecea}"
    "tr.failed td.result{color:#c62828;font-weight:600}td.result{color:#2e7d32}td.regressed{background:#fdecea;color:#c62828}"
    "figure{margin:18px 0 28px}figure img{max-width:100%;height:auto;border:1px solid #eceef2}"
    "figcaption{color:#4a5263;margin:4px 0}.note{color:#8a5a00;background:#fff6e0;padding:6px 10px;border-radius:4px}"
    "details{margin:6px 0}summary{cursor:pointer;color:#34507a}.tablewrap{overflow-x:auto}"
    "footer{margin-top:40px;color:#7a8191;font-size:12px}";

static void head(FILE *out, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    xml_text(out, title);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n", style);
}

static void foot(FILE *out, const char *what)
{
    fputs("<footer>written by fidrun " FIDRUN_VERSION " from ", out);
    xml_text(out, what);
    fputs("</footer>\n</body>\n</html>\n", out);
}

static void base64(FILE *out, const unsigned char *s, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        fputc(abc[v >> 18 & 63], out);
        fputc(abc[v >> 12 & 63], out);
        fputc(i + 1 < n ? abc[v >> 6 & 63] : '=', out);
        fputc(i + 2 < n ? abc[v & 63] : '=', out);
    }
}

/* A number as a reader wants it: 6 significant digits. */
static const char *number(double v, char *buf, size_t size)
{
    if (isnan(v))
        snprintf(buf, size, "nan");
    else if (isinf(v))
        snprintf(buf, size, v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, size, "%.6g", v);
    return buf;
}

static void cell(FILE *out, const char *text, int numeric)
{
    fputs(numeric ? "<td class=\"num\">" : "<td>", out);
    xml_text(out, text);
    fputs("</td>", out);
}

static void header_cell(FILE *out, const char *text)
{
    fputs("<th>", out);
    xml_text(out, text);
    fputs("</th>", out);
}

/* ---- plots ---- */

static void plot_values(FILE *out, const struct plot *p)
{
    size_t *order = malloc((p->ncats ? p->ncats : 1) * sizeof *order);
    if (!order)
        return;
    plot_order(p, order);
    fputs("<details><summary>values plotted</summary><div class=\"tablewrap\"><table class=\"plotdata\"", out);
    xml_attr(out, "data-plot", p->id);
    fputs("><tr>", out);
    header_cell(out, p->xlabel);
    for (size_t s = 0; s < p->nsers; s++)
        header_cell(out, p->sers[s]);
    fputs("</tr>\n", out);
    char num[64];
    for (size_t i = 0; i < p->ncats; i++) {
        fputs("<tr>", out);
        cell(out, p->cats[order[i]], 0);
        for (size_t s = 0; s < p->nsers; s++) {
            double v = plot_value(p, order[i], s);
            cell(out, isnan(v) ? "" : number(v, num, sizeof num), 1);
        }
        fputs("</tr>\n", out);
    }
    fputs("</table></div></details>\n", out);
    free(order);
}

static void plot_note(FILE *out, const struct plot *p)
{
    char note[512] = "";
    size_t len = 0;
    if (p->note[0])
        len += (size_t)snprintf(note + len, sizeof note - len, "%s. ", p->note);
    if (p->dropped_nonfinite && len < sizeof note)
        len += (size_t)snprintf(note + len, sizeof note - len, "%lld value%s not finite (NaN or infinite), left out. ",
                                (long long)p->dropped_nonfinite, p->dropped_nonfinite == 1 ? "" : "s");
    if (p->dropped_nonpositive && len < sizeof note)
        snprintf(note + len, sizeof note - len, "%lld value%s of 0 or below, left out of the log axis. ",
                 (long long)p->dropped_nonpositive, p->dropped_nonpositive == 1 ? "" : "s");
    if (note[0]) {
        fputs("<p class=\"note\">", out);
        xml_text(out, note);
        fputs("</p>\n", out);
    }
}

static void figure(FILE *out, const struct plot *p, const char *gnuplot)
{
    fputs("<figure", out);
    char id[64];
    snprintf(id, sizeof id, "plot-%s", p->id);
    xml_attr(out, "id", id);
    fputs(">\n", out);
    if (!plot_has_data(p)) {
        fputs("<figcaption>", out);
        xml_text(out, p->title);
        fputs("</figcaption>\n<p class=\"note\">nothing to plot: no finite values</p>\n", out);
    } else if (gnuplot) {
        char *svg;
        size_t len;
        struct diag d = {0};
        if (plot_gnuplot_svg(p, gnuplot, &svg, &len, &d) == FR_OK) {
            fputs("<img class=\"plot\"", out);
            xml_attr(out, "alt", p->title);
            fputs(" src=\"data:image/svg+xml;base64,", out);
            base64(out, (const unsigned char *)svg, len);
            fputs("\">\n", out);
            free(svg);
        } else {
            fprintf(stderr, "fidrun: warning: %s\n", d.msg);
            fputs("<p class=\"note\">", out);
            xml_text(out, d.msg);
            fputs("</p>\n", out);
        }
        fputs("<figcaption>", out);
        xml_text(out, p->title);
        fputs("</figcaption>\n", out);
    } else {
        fputs("<figcaption>", out);
        xml_text(out, p->title);
        fputs("</figcaption>\n", out);
    }
    plot_note(out, p);
    if (plot_has_data(p))
        plot_values(out, p);
    fputs("</figure>\n", out);
}

static void plots_section(FILE *out, const struct report_plots *ps, const char *gnuplot)
{
    fputs("<section id=\"plots\">\n<h2>Plots</h2>\n", out);
    if (!gnuplot)
        fputs("<p class=\"note\" id=\"no-gnuplot\">gnuplot was not found, so the plots are left out and their values "
              "are shown as tables. Install gnuplot (Debian: apt-get install gnuplot-nox) or point FIDRUN_GNUPLOT "
              "at it, and run fidrun report again.</p>\n",
              out);
    if (!ps->n)
        fputs("<p>This file has no tables that are plotted.</p>\n", out);
    for (size_t i = 0; i < ps->n; i++)
        figure(out, &ps->items[i], gnuplot);
    if (ps->left_out)
        fprintf(out, "<p class=\"note\">%zu more plots left out (at most %d in a report).</p>\n", ps->left_out,
                REPORT_MAX_PLOTS);
    fputs("</section>\n", out);
}

/* ---- the results file ---- */

static void provenance(FILE *out, const struct report_data *r)
{
    fputs("<table class=\"provenance\">\n", out);
    for (size_t i = 0; i < report_nprovenance_keys; i++) {
        const char *v = report_attr(r, report_provenance_keys[i], NULL);
        if (!v || !*v)
            continue;
        fputs("<tr>", out);
        header_cell(out, report_provenance_keys[i]);
        cell(out, v, 0);
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
}

static void check_row(FILE *out, const struct check *c)
{
    char value[64], bound[96];
    fprintf(out, "<tr%s>", c->pass ? "" : " class=\"failed\"");
    cell(out, c->suite, 0);
    cell(out, c->name, 0);
    cell(out, c->metric, 0);
    cell(out, check_value_text(c, value, sizeof value), 1);
    cell(out, check_bound_text(c, bound, sizeof bound), 0);
    fprintf(out, "<td class=\"result\">%s</td></tr>\n", c->pass ? "passed" : "FAILED");
}

static void checks_section(FILE *out, const struct report_data *r)
{
    const struct report_table *t = report_table(r, "/checks");
    const struct check *c = t ? t->rows : NULL;
    size_t n = t ? t->n : 0, failed = 0;
    for (size_t i = 0; i < n; i++)
        failed += !c[i].pass;
    fprintf(out, "<section id=\"checks\">\n<h2>Checks: %zu of %zu failed</h2>\n", failed, n);
    fputs("<table>\n<tr><th>suite</th><th>check</th><th>metric</th><th>value</th><th>bound</th><th>result</th></tr>\n",
          out);
    for (int pass = 0; pass <= 1; pass++) /* failed first */
        for (size_t i = 0; i < n; i++)
            if (!!c[i].pass == pass)
                check_row(out, &c[i]);
    fputs("</table>\n</section>\n", out);
}

static void table_html(FILE *out, const struct report_table *t)
{
    fputs("<details><summary>", out);
    xml_text(out, t->dataset + 1);
    fprintf(out, " · %zu row%s</summary>\n<div class=\"tablewrap\"><table class=\"data\"", t->n, t->n == 1 ? "" : "s");
    xml_attr(out, "data-table", t->dataset + 1);
    fputs(">\n<tr>", out);
    for (size_t c = 0; c < t->desc->ncols; c++)
        header_cell(out, t->desc->cols[c].name);
    fputs("</tr>\n", out);
    char buf[256];
    for (size_t k = 0; k < t->n && k < HTML_MAX_ROWS; k++) {
        const void *row = (const char *)t->rows + k * t->desc->row_size;
        fputs("<tr>", out);
        for (size_t c = 0; c < t->desc->ncols; c++) {
            const struct column *col = &t->desc->cols[c];
            if (col->type == COL_F64)
                cell(out, number(report_value_of(col, row).f, buf, sizeof buf), 1);
            else
                cell(out, report_cell(col, row, buf, sizeof buf), col->type != COL_STR);
        }
        fputs("</tr>\n", out);
    }
    fputs("</table></div>\n", out);
    if (t->n > HTML_MAX_ROWS)
        fprintf(out, "<p class=\"note\">the first %d of %zu rows; fidrun report --format csv has them all</p>\n",
                HTML_MAX_ROWS, t->n);
    fputs("</details>\n", out);
}

int report_html(const struct report_data *r, const char *gnuplot, FILE *out)
{
    const char *name = report_attr(r, "name", "fidrun results");
    const struct report_table *checks = report_table(r, "/checks");
    size_t failed = 0, n = checks ? checks->n : 0;
    for (size_t i = 0; i < n; i++)
        failed += !((const struct check *)checks->rows)[i].pass;
    char title[256];
    snprintf(title, sizeof title, "fidrun · %s", name);
    head(out, title);
    fputs("<header>\n<h1>", out);
    xml_text(out, name);
    fprintf(out, "</h1>\n<p><span class=\"verdict %s\" id=\"verdict\">%s: %zu of %zu checks failed</span></p>\n</header>\n",
            failed ? "fail" : "pass", failed ? "FAILED" : "PASSED", failed, n);
    fputs("<section id=\"provenance\">\n<h2>Provenance</h2>\n", out);
    provenance(out, r);
    fputs("</section>\n", out);
    checks_section(out, r);
    struct report_plots ps;
    int rc = report_plots_build(r, &ps) ? FR_RUNTIME : FR_OK;
    plots_section(out, &ps, gnuplot);
    report_plots_free(&ps);
    fputs("<section id=\"tables\">\n<h2>Tables</h2>\n", out);
    for (size_t i = 0; i < r->ntables; i++)
        if (strcmp(r->tables[i].dataset, "/checks") != 0)
            table_html(out, &r->tables[i]);
    fputs("</section>\n", out);
    foot(out, r->path);
    return rc ? rc : ferror(out) ? FR_RUNTIME : FR_OK;
}

/* ---- a comparison ---- */

static const char *const compare_keys[] = {"name", "start_time", "fidrun_version", "git_commit", "hosts", "ranks",
                                           "device", "device_names", "config_overrides"};

static void compare_provenance(FILE *out, const struct report_data *base, const struct report_data *now)
{
    fputs("<table class=\"provenance\">\n<tr><th></th><th>baseline</th><th>now</th></tr>\n<tr><th>file</th>", out);
    cell(out, base->path, 0);
    cell(out, now->path, 0);
    fputs("</tr>\n", out);
    for (size_t i = 0; i < sizeof compare_keys / sizeof compare_keys[0]; i++) {
        const char *b = report_attr(base, compare_keys[i], ""), *n = report_attr(now, compare_keys[i], "");
        if (!*b && !*n)
            continue;
        fputs("<tr>", out);
        header_cell(out, compare_keys[i]);
        cell(out, b, 0);
        cell(out, n, 0);
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
}

static void compare_row(FILE *out, const struct cmp_line *l)
{
    char buf[200];
    enum cmp_verdict v = cmp_line_verdict(l);
    fprintf(out, "<tr%s>", v == VERDICT_REGRESSED ? " class=\"failed\"" : "");
    cell(out, l->table, 0);
    cell(out, l->metric, 0);
    cell(out, l->key, 0);
    cell(out, cmp_kind_name(l->kind), 0);
    /* text columns are compared as text: they have no number to show */
    int text = l->kind == CMP_EXACT && isnan(l->base) && isnan(l->now);
    cell(out, text ? "(text)" : number(l->base, buf, sizeof buf), 1);
    cell(out, text ? "(text)" : number(l->now, buf, sizeof buf), 1);
    cell(out, text ? "equal" : cmp_allowed_text(l, buf, sizeof buf), 0);
    snprintf(buf, sizeof buf, "%lld of %lld", (long long)l->regressed, (long long)l->compared);
    cell(out, buf, 1);
    snprintf(buf, sizeof buf, "%lld", (long long)l->improved);
    cell(out, buf, 1);
    fprintf(out, "<td class=\"result\">%s</td></tr>\n", cmp_verdict_name(v));
}

int report_compare_html(const struct cmp_report *c, const struct report_data *base, const struct report_data *now,
                        const char *gnuplot, FILE *out)
{
    head(out, "fidrun compare");
    fputs("<header>\n<h1>Baseline comparison</h1>\n", out);
    struct cmp_counts counts;
    char verdict[256];
    cmp_count(c, &counts);
    fprintf(out, "<p><span class=\"verdict %s\" id=\"verdict\">", counts.regressed ? "fail" : "pass");
    xml_text(out, cmp_verdict_line(c, verdict, sizeof verdict));
    fputs("</span></p>\n", out);
    if (c->differences) {
        fputs("<p class=\"note\">The runs differ (compared anyway, --allow-different):</p><pre>", out);
        xml_text(out, c->differences);
        fputs("</pre>\n", out);
    }
    if (c->missing_rows || c->new_rows)
        fprintf(out, "<p class=\"note\">%lld baseline rows missing now; %lld rows new</p>\n", (long long)c->missing_rows,
                (long long)c->new_rows);
    fputs("</header>\n<section id=\"provenance\">\n<h2>Runs</h2>\n", out);
    compare_provenance(out, base, now);
    fputs("</section>\n", out);
    struct report_plots ps;
    int rc = report_plots_compare(c, &ps) ? FR_RUNTIME : FR_OK;
    plots_section(out, &ps, gnuplot);
    report_plots_free(&ps);
    fputs("<section id=\"metrics\">\n<h2>Compared metrics (regressed first)</h2>\n<div class=\"tablewrap\"><table>\n"
          "<tr><th>table</th><th>metric</th><th>row shown</th><th>rule</th><th>baseline</th><th>now</th>"
          "<th>allowed</th><th>rows regressed</th><th>rows improved</th><th>verdict</th></tr>\n",
          out);
    static const enum cmp_verdict order[] = {VERDICT_REGRESSED, VERDICT_IMPROVED, VERDICT_OK, VERDICT_INFO};
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; i < c->n; i++)
            if (cmp_line_verdict(&c->lines[i]) == order[k])
                compare_row(out, &c->lines[i]);
    fputs("</table></div>\n</section>\n", out);
    char what[1100];
    snprintf(what, sizeof what, "%s and %s", base->path, now->path);
    foot(out, what);
    return rc ? rc : ferror(out) ? FR_RUNTIME : FR_OK;
}

/* ---- a history ---- */

static void history_runs(FILE *out, const struct history *h)
{
    fputs("<div class=\"tablewrap\"><table class=\"runs\">\n<tr><th>run</th><th>start_time</th><th>git_commit</th>"
          "<th>file</th></tr>\n",
          out);
    char num[32];
    for (size_t r = 0; r < h->nruns; r++) {
        fputs("<tr>", out);
        snprintf(num, sizeof num, "%zu", r + 1);
        cell(out, num, 1);
        cell(out, h->runs[r].start, 0);
        cell(out, h->runs[r].commit, 0);
        cell(out, h->runs[r].path, 0);
        fputs("</tr>\n", out);
    }
    fputs("</table></div>\n", out);
}

/* One suite table's metrics: a row per run, a column per metric. */
static void history_table(FILE *out, const struct history *h, const char *table)
{
    fputs("<h3>", out);
    xml_text(out, table);
    fputs("</h3>\n<div class=\"tablewrap\"><table class=\"history\"", out);
    xml_attr(out, "data-table", table);
    fputs(">\n<tr><th>run</th>", out);
    for (size_t i = 0; i < h->nmetrics; i++)
        if (!strcmp(h->metrics[i].table, table)) {
            char head_text[96];
            snprintf(head_text, sizeof head_text, "%s (%s)", h->metrics[i].metric,
                     history_direction(h->metrics[i].kind));
            header_cell(out, head_text);
        }
    fputs("</tr>\n", out);
    char buf[96], num[64];
    for (size_t r = 0; r < h->nruns; r++) {
        fprintf(out, "<tr><td class=\"num\">%zu</td>", r + 1);
        for (size_t i = 0; i < h->nmetrics; i++) {
            const struct history_metric *m = &h->metrics[i];
            if (strcmp(m->table, table))
                continue;
            enum cmp_verdict v = r ? m->verdict[r] : VERDICT_INFO;
            snprintf(buf, sizeof buf, "%s%s%s", number(m->median[r], num, sizeof num), v != VERDICT_INFO ? " " : "",
                     v != VERDICT_INFO ? cmp_verdict_name(v) : "");
            fprintf(out, "<td class=\"num%s\">", v == VERDICT_REGRESSED ? " regressed" : "");
            xml_text(out, buf);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</table></div>\n", out);
}

int report_history_html(const struct history *h, const char *gnuplot, FILE *out)
{
    char title[128];
    snprintf(title, sizeof title, "fidrun history of %s", h->name);
    head(out, title);
    fputs("<header>\n<h1>", out);
    xml_text(out, title);
    fprintf(out, "</h1>\n<p>%zu runs in time order%s; each metric is the median over its table's rows, its verdict "
                 "against the run before.</p>\n</header>\n<section id=\"runs\">\n<h2>Runs</h2>\n",
            h->nruns, h->skipped_runs ? " (the oldest left out)" : "");
    history_runs(out, h);
    fputs("</section>\n", out);
    struct report_plots ps;
    int rc = report_plots_history(h, &ps) ? FR_RUNTIME : FR_OK;
    plots_section(out, &ps, gnuplot);
    report_plots_free(&ps);
    fputs("<section id=\"metrics\">\n<h2>Metrics</h2>\n", out);
    for (size_t i = 0; i < h->nmetrics; i++) {
        size_t first = 0;
        while (strcmp(h->metrics[first].table, h->metrics[i].table))
            first++;
        if (first == i)
            history_table(out, h, h->metrics[i].table);
    }
    fputs("</section>\n", out);
    foot(out, h->name);
    return rc ? rc : ferror(out) ? FR_RUNTIME : FR_OK;
}
