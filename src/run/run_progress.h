/* Rank 0's progress while the tasks run: its own tasks are counted from
 * the main thread; every other rank's reports (comm_progress_notify) are
 * received by a listener thread as they arrive, so the display moves while
 * rank 0 is busy in a long task. Where MPI allows no threads, the reports
 * are polled between rank 0's own tasks instead. */
#ifndef FIDRUN_RUN_PROGRESS_H
#define FIDRUN_RUN_PROGRESS_H

#include <pthread.h>

#include "run/progress.h"

struct run_progress {
    struct progress view;
    pthread_mutex_t lock;
    pthread_t listener;
    int listening;
    int stop; /* under lock */
    double listener_cpu_seconds; /* what the listener thread cost, after wait_all */
};

/* Starts listening (a thread when the MPI library allows it). */
void run_progress_start(struct run_progress *rp, const struct task_list *tasks, const int32_t *owner,
                        const char *const *suite_names, size_t nsuites, double t0, enum progress_mode mode,
                        FILE *out);

/* Rank 0 finished one of its tasks; without a listener, also takes in the
 * reports waiting. */
void run_progress_own_task(struct run_progress *rp, int task_id);

/* After rank 0's last task: waits until every rank's tasks are counted,
 * stops the listener and shows the final state. */
void run_progress_wait_all(struct run_progress *rp);

/* After an interrupt: stops listening without waiting for the tasks left,
 * and shows how far the run got. */
void run_progress_abandon(struct run_progress *rp);

#endif
