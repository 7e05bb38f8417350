/* A plot as data: values aggregated per (category, series), drawn as
 * clustered bars over named categories or as lines over numeric x. Pure:
 * no I/O; plot_gnuplot.c turns one into SVG. */
#ifndef FIDRUN_PLOT_H
#define FIDRUN_PLOT_H

#include <stddef.h>
#include <stdint.h>

enum plot_style {
    PLOT_BARS,  /* categories in the order first seen; one bar per series */
    PLOT_LINES, /* categories are x values (sorted); one line per series */
};

enum plot_agg {
    PLOT_MAX,
    PLOT_MEAN,
    PLOT_SUM,
};

#define PLOT_NAME_MAX 64

struct plot_point {
    size_t cat, ser;
    double sum, max;
    int64_t count;
};

struct plot {
    char id[48];      /* unique within a report: letters, digits, '-' */
    char title[160];
    char xlabel[80], ylabel[80];
    char note[240];   /* shown under the plot: what was left out and why */
    enum plot_style style;
    enum plot_agg agg;
    int logx, logy;
    char (*cats)[PLOT_NAME_MAX];
    double *catx; /* PLOT_LINES: the x of each category */
    size_t ncats;
    char (*sers)[PLOT_NAME_MAX];
    size_t nsers;
    struct plot_point *pts;
    size_t npts, cap;
    int64_t dropped_nonfinite, dropped_nonpositive; /* values left out of a log axis or NaN */
};

void plot_init(struct plot *p, const char *id, const char *title, enum plot_style style, enum plot_agg agg);
void plot_free(struct plot *p);

/* Adds a value to (category, series). For PLOT_LINES x is the category's
 * position; for bars it is ignored. NaN and infinities, and values <= 0 on
 * a log y axis, are counted as dropped instead. Returns -1 when out of memory. */
int plot_add(struct plot *p, const char *category, double x, const char *series, double value);

/* The aggregated value at (cat, ser), or NaN where nothing was added. */
double plot_value(const struct plot *p, size_t cat, size_t ser);

/* Category indices in drawing order (bars: first seen; lines: by x). */
void plot_order(const struct plot *p, size_t *order);

/* Whether the plot has anything to draw. */
int plot_has_data(const struct plot *p);

#endif
