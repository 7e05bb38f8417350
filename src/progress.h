/* Rank 0's view of how far the run is: tasks done out of the plan, by group,
 * with elapsed time and an ETA from the predicted costs. */
#ifndef FIDRUN_PROGRESS_H
#define FIDRUN_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#include "task.h"

struct progress {
    const struct task_list *tasks;
    size_t *group_of;        /* per task */
    size_t *group_left;      /* per group: tasks not yet done */
    size_t ngroups;
    size_t done;
    double done_cost, total_cost;
    double t0;
    FILE *out; /* NULL: silent */
};

int progress_init(struct progress *p, const struct task_list *tasks, double t0, FILE *out);

/* Marks a task done; prints a line when its group is complete. */
void progress_task_done(struct progress *p, int task_id, double now);

/* "[ 98/196]  50% · model.layers.13 done · 2m01s elapsed · eta 2m00s" */
void progress_format(const struct progress *p, const char *what, double now, char *buf, size_t size);

void progress_free(struct progress *p);

#endif
