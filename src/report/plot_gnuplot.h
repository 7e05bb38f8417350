/* Plots drawn by gnuplot's SVG terminal: the script for a plot, and the
 * SVG gnuplot makes of it. */
#ifndef FIDRUN_PLOT_GNUPLOT_H
#define FIDRUN_PLOT_GNUPLOT_H

#include <stddef.h>
#include <stdio.h>

#include "report/plot.h"
#include "util/diag.h"

/* The gnuplot program: $FIDRUN_GNUPLOT if set (a path; empty means none),
 * else gnuplot on PATH; NULL when there is none. */
const char *plot_gnuplot_find(char *buf, size_t size);

/* The script that draws p as SVG on standard output. */
void plot_gnuplot_script(const struct plot *p, FILE *f);

/* Runs gnuplot on p's script and returns the SVG document (malloc'd,
 * NUL-terminated). An error names the plot and quotes gnuplot's message. */
int plot_gnuplot_svg(const struct plot *p, const char *gnuplot, char **svg, size_t *len, struct diag *d);

#endif
