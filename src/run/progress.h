/* Rank 0's view of how far the run is: tasks done out of the plan, per
 * suite, elapsed time and an ETA from the predicted costs; and when to show
 * it. On a terminal one line is redrawn in place as tasks finish; in a log
 * (CI, Slurm's output file) a plain line is printed at each further 10 %
 * and, while tasks keep finishing, at least every PROGRESS_LOG_SECONDS.
 * Pure: the caller says what time it is and where the output goes. */
#ifndef FIDRUN_PROGRESS_H
#define FIDRUN_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plugin/task.h"

#define PROGRESS_MAX_SUITES 8
#define PROGRESS_LOG_SECONDS 5.0
#define PROGRESS_REDRAW_SECONDS 0.1

enum progress_mode {
    PROGRESS_OFF,   /* count only (--quiet) */
    PROGRESS_LIVE,  /* a terminal: one line, redrawn */
    PROGRESS_LINES, /* a log: a line per 10 % or per few seconds */
};

struct progress {
    const struct task_list *tasks;
    const char *suite_names[PROGRESS_MAX_SUITES];
    size_t nsuites;
    size_t suite_done[PROGRESS_MAX_SUITES], suite_total[PROGRESS_MAX_SUITES];
    size_t done, total;
    double done_cost, total_cost;
    double t0;
    enum progress_mode mode;
    FILE *out;
    double last_shown;   /* when a line was last printed or drawn */
    size_t done_shown;   /* tasks done at that time */
    int tenths_shown;    /* PROGRESS_LINES: the last 10 % step printed */
    int line_drawn;      /* PROGRESS_LIVE: a line is on the screen, unfinished */
};

/* owner: the plan's rank of each task; tasks with owner -1 (done before a
 * resume) are not counted. NULL counts every task. */
void progress_init(struct progress *p, const struct task_list *tasks, const int32_t *owner,
                   const char *const *suite_names, size_t nsuites, double t0, enum progress_mode mode, FILE *out);

/* Counts a finished task (by id; ids out of the plan are ignored) and
 * shows the progress when it is due. */
void progress_task_done(struct progress *p, int task_id, double now);

/* Shows the progress when it is due by the clock alone (the live line's
 * elapsed time; a log line while tasks keep finishing). */
void progress_tick(struct progress *p, double now);

/* The last state, once: the live line finished with a newline, or a log
 * line for 100 % if it was not printed yet. */
void progress_finish(struct progress *p, double now);

/* "[ 98/196]  50% · osft 90/180 · quant 8/16 · 2m01s elapsed · eta 2m00s"
 * (the suites only when there are several). */
void progress_format(const struct progress *p, double now, char *buf, size_t size);

/* The mode a user asked for ("auto", "live", "log", "off"; NULL is auto):
 * auto is live when the output reaches a terminal, else lines. */
enum progress_mode progress_mode_named(const char *name, int terminal);

#endif
