#include "report/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plot_init(struct plot *p, const char *id, const char *title, enum plot_style style, enum plot_agg agg)
{
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", id);
    snprintf(p->title, sizeof p->title, "%s", title);
    p->style = style;
    p->agg = agg;
}

void plot_free(struct plot *p)
{
    free(p->cats);
    free(p->catx);
    free(p->sers);
    free(p->pts);
    p->cats = NULL;
    p->catx = NULL;
    p->sers = NULL;
    p->pts = NULL;
    p->ncats = p->nsers = p->npts = p->cap = 0;
}

/* Index of name in names[n], appending it (names grow one at a time, so a
 * realloc per new name is fine for the few dozen a plot has). */
static long find_or_add(char (**names)[PLOT_NAME_MAX], size_t *n, const char *name, double **xs, double x)
{
    for (size_t i = 0; i < *n; i++)
        if (strncmp((*names)[i], name, PLOT_NAME_MAX - 1) == 0)
            return (long)i;
    char(*grown)[PLOT_NAME_MAX] = realloc(*names, (*n + 1) * sizeof *grown);
    if (!grown)
        return -1;
    *names = grown;
    snprintf(grown[*n], PLOT_NAME_MAX, "%s", name);
    if (xs) {
        double *gx = realloc(*xs, (*n + 1) * sizeof *gx);
        if (!gx)
            return -1;
        *xs = gx;
        gx[*n] = x;
    }
    return (long)(*n)++;
}

int plot_add(struct plot *p, const char *category, double x, const char *series, double value)
{
    if (!isfinite(value) || (p->style == PLOT_LINES && !isfinite(x))) {
        p->dropped_nonfinite++;
        return 0;
    }
    if ((p->logy && value <= 0) || (p->logx && p->style == PLOT_LINES && x <= 0)) {
        p->dropped_nonpositive++;
        return 0;
    }
    long c = find_or_add(&p->cats, &p->ncats, category, &p->catx, x);
    long s = find_or_add(&p->sers, &p->nsers, series, NULL, 0);
    if (c < 0 || s < 0)
        return -1;
    for (size_t i = 0; i < p->npts; i++) {
        struct plot_point *pt = &p->pts[i];
        if (pt->cat == (size_t)c && pt->ser == (size_t)s) {
            pt->sum += value;
            pt->max = value > pt->max ? value : pt->max;
            pt->count++;
            return 0;
        }
    }
    if (p->npts == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        struct plot_point *grown = realloc(p->pts, cap * sizeof *grown);
        if (!grown)
            return -1;
        p->pts = grown;
        p->cap = cap;
    }
    p->pts[p->npts++] = (struct plot_point){(size_t)c, (size_t)s, value, value, 1};
    return 0;
}

double plot_value(const struct plot *p, size_t cat, size_t ser)
{
    for (size_t i = 0; i < p->npts; i++) {
        const struct plot_point *pt = &p->pts[i];
        if (pt->cat == cat && pt->ser == ser)
            return p->agg == PLOT_MAX ? pt->max : p->agg == PLOT_SUM ? pt->sum : pt->sum / (double)pt->count;
    }
    return NAN;
}

void plot_order(const struct plot *p, size_t *order)
{
    for (size_t i = 0; i < p->ncats; i++)
        order[i] = i;
    if (p->style != PLOT_LINES)
        return;
    for (size_t i = 1; i < p->ncats; i++) /* insertion sort: a few dozen x values */
        for (size_t j = i; j > 0 && p->catx[order[j]] < p->catx[order[j - 1]]; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
}

int plot_has_data(const struct plot *p) { return p->npts > 0; }
