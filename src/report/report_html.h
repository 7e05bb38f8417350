/* A results file, or a baseline comparison, as ONE self-contained HTML
 * page: provenance, checks (failed first), plots drawn by gnuplot as SVG
 * and embedded as data: URLs, the plotted values, and every table. Nothing
 * is fetched at view time. Without gnuplot the page says so and shows the
 * plotted values as tables. */
#ifndef FIDRUN_REPORT_HTML_H
#define FIDRUN_REPORT_HTML_H

#include <stdio.h>

#include "report/compare.h"
#include "report/history.h"
#include "report/report_data.h"

/* gnuplot: the program to draw with (plot_gnuplot_find), or NULL. A plot
 * gnuplot fails on is left out with its error shown in its place and
 * printed to standard error; that is not an error of the report. */
int report_html(const struct report_data *r, const char *gnuplot, FILE *out);
int report_compare_html(const struct cmp_report *c, const struct report_data *base, const struct report_data *now,
                        const char *gnuplot, FILE *out);
/* Each table's metrics across the runs: the runs, one plot per table, and a
 * table per suite table of each run's medians, regressions marked. */
int report_history_html(const struct history *h, const char *gnuplot, FILE *out);

#endif
