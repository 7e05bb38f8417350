#include "mpi/heartbeat.h"

#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

/* Every rank but 0 sends rank 0 a beat each PERIOD seconds; rank 0 sends
 * each of them one back. A STOP message, sent after a thread's last beat,
 * ends the exchange in order: MPI does not let messages from one sender
 * to one receiver overtake each other, so each side has taken every beat
 * before the other's STOP, and nothing is left unmatched at MPI_Finalize. */
#define PERIOD 0.5
enum { BEAT = 1, STOP = 2 };

static struct {
    MPI_Comm comm;
    int rank, size;
    double limit;
    char (*hosts)[COMM_HOST_MAX];                  /* rank 0: every rank's; others: [0], rank 0's */
    double *last;                                  /* rank 0: per rank; others: [0] (rank 0's) */
    unsigned char *stopped;                        /* rank 0: which ranks sent STOP */
    pthread_t thread;
    pthread_mutex_t lock;
    int stop, running;
    const struct comm_info *ci;
} hb = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void nap(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
}

static void send_to(int peer, int what)
{
    static const int payload[2] = {BEAT, STOP};
    MPI_Request req;
    MPI_Isend(&payload[what == BEAT ? 0 : 1], 1, MPI_INT, peer, 0, hb.comm, &req);
    MPI_Request_free(&req);
}

/* Takes every message waiting; returns how many were STOPs. */
static int take_messages(double now)
{
    int flag, stops = 0;
    MPI_Status st;
    for (;;) {
        MPI_Iprobe(MPI_ANY_SOURCE, 0, hb.comm, &flag, &st);
        if (!flag)
            return stops;
        int what;
        MPI_Recv(&what, 1, MPI_INT, st.MPI_SOURCE, 0, hb.comm, MPI_STATUS_IGNORE);
        int slot = hb.rank == 0 ? st.MPI_SOURCE : 0;
        hb.last[slot] = now;
        if (what == STOP) {
            stops++;
            if (hb.rank == 0)
                hb.stopped[st.MPI_SOURCE] = 1;
        }
    }
}

static _Noreturn void silent(int peer, double since)
{
    comm_abort(hb.ci, HEARTBEAT_EXIT,
               "rank %d (%s) has sent no heartbeat for %.1f s, over the limit of %g s: it is stopped (SIGSTOP), "
               "swapped out or cut off from the others; ending the job (the tasks finished are in the journal; "
               "--resume runs the rest)",
               peer, hb.hosts[hb.rank == 0 ? peer : 0], since, hb.limit);
}

static void *root_loop(void *arg)
{
    (void)arg;
    int stopping = 0;
    for (;;) {
        double now = now_seconds();
        take_messages(now);
        pthread_mutex_lock(&hb.lock);
        stopping = hb.stop;
        pthread_mutex_unlock(&hb.lock);
        int all_stopped = 1;
        for (int r = 1; r < hb.size; r++) {
            if (!hb.stopped[r] && now - hb.last[r] > hb.limit)
                silent(r, now - hb.last[r]);
            all_stopped &= hb.stopped[r];
        }
        if (stopping && all_stopped) {
            for (int r = 1; r < hb.size; r++)
                send_to(r, STOP);
            return NULL;
        }
        for (int r = 1; r < hb.size; r++)
            if (!hb.stopped[r])
                send_to(r, BEAT);
        nap(PERIOD);
    }
}

static void *member_loop(void *arg)
{
    (void)arg;
    int sent_stop = 0;
    for (;;) {
        double now = now_seconds();
        int root_stopped = take_messages(now) > 0;
        if (sent_stop && root_stopped)
            return NULL;
        if (!root_stopped && now - hb.last[0] > hb.limit)
            silent(0, now - hb.last[0]);
        pthread_mutex_lock(&hb.lock);
        int stopping = hb.stop;
        pthread_mutex_unlock(&hb.lock);
        if (stopping && !sent_stop) {
            send_to(0, STOP);
            sent_stop = 1;
        } else if (!sent_stop) {
            send_to(0, BEAT);
        }
        nap(sent_stop ? PERIOD / 10 : PERIOD);
    }
}

int heartbeat_start(const struct comm_info *ci, double limit, const char (*hosts)[COMM_HOST_MAX])
{
    hb.running = 0;
    if (limit <= 0 || ci->size < 2 || !comm_threads_ok())
        return 0;
    hb.ci = ci;
    hb.rank = ci->rank;
    hb.size = ci->size;
    hb.limit = limit;
    hb.stop = 0;
    /* rank 0's host for the others, everyone's for rank 0 */
    char root_host[COMM_HOST_MAX];
    snprintf(root_host, sizeof root_host, "%s", ci->host);
    MPI_Bcast(root_host, COMM_HOST_MAX, MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_Comm_dup(MPI_COMM_WORLD, &hb.comm);
    int n = ci->rank == 0 ? ci->size : 1;
    hb.last = malloc((size_t)n * sizeof *hb.last);
    hb.stopped = calloc((size_t)ci->size, 1);
    hb.hosts = malloc((size_t)n * sizeof *hb.hosts);
    int ok = hb.last && hb.stopped && hb.hosts;
    for (int r = 0; ok && r < n; r++)
        snprintf(hb.hosts[r], COMM_HOST_MAX, "%s", ci->rank == 0 ? hosts[r] : root_host);
    double now = now_seconds();
    for (int r = 0; ok && r < n; r++)
        hb.last[r] = now;
    ok = ok && pthread_create(&hb.thread, NULL, ci->rank == 0 ? root_loop : member_loop, NULL) == 0;
    int all;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!all) {
        if (ok) { /* another rank could not start: nobody watches */
            pthread_mutex_lock(&hb.lock);
            hb.stop = 1;
            pthread_mutex_unlock(&hb.lock);
            comm_abort(ci, 3, "the heartbeat thread did not start on every rank (out of memory?)");
        }
        comm_abort(ci, 3, "cannot start the heartbeat thread (out of memory?)");
    }
    hb.running = 1;
    return 1;
}

void heartbeat_stop(void)
{
    if (!hb.running)
        return;
    pthread_mutex_lock(&hb.lock);
    hb.stop = 1;
    pthread_mutex_unlock(&hb.lock);
    pthread_join(hb.thread, NULL);
    MPI_Comm_free(&hb.comm);
    free(hb.last);
    free(hb.stopped);
    free(hb.hosts);
    hb.last = NULL;
    hb.stopped = NULL;
    hb.hosts = NULL;
    hb.running = 0;
}
