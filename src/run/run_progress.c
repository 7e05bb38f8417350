#include "run/run_progress.h"

#include <time.h>

#include "mpi/comm.h"
#include "util/clock.h"

#define LISTEN_SECONDS 0.05

static void take_reports(struct run_progress *rp)
{
    int id;
    while (comm_progress_poll(&id))
        progress_task_done(&rp->view, id, now_seconds());
}

static void *listen_for_reports(void *arg)
{
    struct run_progress *rp = arg;
    struct timespec nap = {0, (long)(LISTEN_SECONDS * 1e9)};
    for (;;) {
        pthread_mutex_lock(&rp->lock);
        int stop = rp->stop;
        if (!stop) {
            take_reports(rp);
            progress_tick(&rp->view, now_seconds());
        }
        pthread_mutex_unlock(&rp->lock);
        if (stop)
            return NULL;
        nanosleep(&nap, NULL);
    }
}

void run_progress_start(struct run_progress *rp, const struct task_list *tasks, const int32_t *owner,
                        const char *const *suite_names, size_t nsuites, double t0, enum progress_mode mode,
                        FILE *out)
{
    progress_init(&rp->view, tasks, owner, suite_names, nsuites, t0, mode, out);
    rp->listener_cpu_seconds = 0;
    pthread_mutex_init(&rp->lock, NULL);
    rp->stop = 0;
    /* counting alone (quiet) needs no thread: reports are taken between tasks */
    rp->listening = mode != PROGRESS_OFF && out && comm_threads_ok() &&
                    pthread_create(&rp->listener, NULL, listen_for_reports, rp) == 0;
}

static void stop_listening(struct run_progress *rp)
{
    if (rp->listening) {
        clockid_t cpu;
        struct timespec used;
        if (pthread_getcpuclockid(rp->listener, &cpu) == 0 && clock_gettime(cpu, &used) == 0)
            rp->listener_cpu_seconds = (double)used.tv_sec + 1e-9 * (double)used.tv_nsec;
        pthread_mutex_lock(&rp->lock);
        rp->stop = 1;
        pthread_mutex_unlock(&rp->lock);
        pthread_join(rp->listener, NULL);
        rp->listening = 0;
    }
}

void run_progress_own_task(struct run_progress *rp, int task_id)
{
    pthread_mutex_lock(&rp->lock);
    progress_task_done(&rp->view, task_id, now_seconds());
    if (!rp->listening)
        take_reports(rp);
    pthread_mutex_unlock(&rp->lock);
}

void run_progress_wait_all(struct run_progress *rp)
{
    for (;;) {
        pthread_mutex_lock(&rp->lock);
        if (!rp->listening)
            take_reports(rp);
        int all = rp->view.done >= rp->view.total;
        pthread_mutex_unlock(&rp->lock);
        if (all)
            break;
        comm_nap();
    }
    stop_listening(rp);
    progress_finish(&rp->view, now_seconds());
    pthread_mutex_destroy(&rp->lock);
}

void run_progress_abandon(struct run_progress *rp)
{
    stop_listening(rp);
    take_reports(rp); /* what came before the stop */
    progress_finish(&rp->view, now_seconds());
    pthread_mutex_destroy(&rp->lock);
}
