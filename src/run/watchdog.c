#include "run/watchdog.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "util/clock.h"

#define WATCH_SECONDS 0.25

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t thread;
static int running, stop;
static double started, limit; /* limit 0: nothing armed */
static char what[256];
static void (*report)(const char *);

static void *watch(void *arg)
{
    (void)arg;
    struct timespec nap = {0, (long)(WATCH_SECONDS * 1e9)};
    for (;;) {
        char message[512] = "";
        pthread_mutex_lock(&lock);
        int done = stop;
        double ran = now_seconds() - started;
        if (!done && limit > 0 && ran > limit)
            snprintf(message, sizeof message, "%s has run for %.1f s, over its task_timeout of %g s: ending the job "
                     "(the tasks finished before it are in the journal; --resume runs the rest)", what, ran, limit);
        pthread_mutex_unlock(&lock);
        if (done)
            return NULL;
        if (message[0])
            report(message); /* does not return */
        nanosleep(&nap, NULL);
    }
}

int watchdog_start(void (*on_timeout)(const char *message))
{
    report = on_timeout;
    stop = 0;
    limit = 0;
    running = pthread_create(&thread, NULL, watch, NULL) == 0;
    return running ? 0 : -1;
}

void watchdog_arm(double seconds, const char *suite, const char *task, int more)
{
    pthread_mutex_lock(&lock);
    started = now_seconds();
    limit = seconds > 0 ? seconds : 0;
    snprintf(what, sizeof what, "%s task %s%s", suite, task, more ? " (in a batch with others)" : "");
    pthread_mutex_unlock(&lock);
}

void watchdog_disarm(void)
{
    pthread_mutex_lock(&lock);
    limit = 0;
    pthread_mutex_unlock(&lock);
}

void watchdog_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&lock);
    stop = 1;
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    running = 0;
}
