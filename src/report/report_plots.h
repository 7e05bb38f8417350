/* The plots a report draws from a results file, as data (plot.h): OSFT
 * error by matrix type, per-rank predicted vs measured load, balance gap
 * vs rank count, packing rows and efficiency, quantization error and SQNR
 * by bits and group size, kernel bandwidth as a share of copy bandwidth;
 * for a comparison, each metric's change against its baseline; for a
 * history, each metric's median across the runs. Pure. */
#ifndef FIDRUN_REPORT_PLOTS_H
#define FIDRUN_REPORT_PLOTS_H

#include "report/compare.h"
#include "report/history.h"
#include "report/plot.h"
#include "report/report_data.h"

#define REPORT_MAX_PLOTS 48

struct report_plots {
    struct plot items[REPORT_MAX_PLOTS];
    size_t n;
    size_t left_out; /* plots beyond REPORT_MAX_PLOTS */
};

/* Returns 0, or -1 when out of memory (p then holds what was built). */
int report_plots_build(const struct report_data *r, struct report_plots *p);
int report_plots_compare(const struct cmp_report *c, struct report_plots *p);
int report_plots_history(const struct history *h, struct report_plots *p);
void report_plots_free(struct report_plots *p);

#endif
