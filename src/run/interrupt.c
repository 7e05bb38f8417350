#include "run/interrupt.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t received;
static char note[160];
static size_t note_len;

static void on_signal(int sig)
{
    if (received) { /* asked twice: stop now, as the default action would */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    received = sig;
    ssize_t ignored = write(STDERR_FILENO, note, note_len); /* formatted beforehand: a handler may not */
    (void)ignored;
}

void interrupt_install(int rank)
{
    int n = snprintf(note, sizeof note,
                     "fidrun: rank %d: signal received: finishing the current task, then keeping what is done\n",
                     rank);
    note_len = n > 0 && (size_t)n < sizeof note ? (size_t)n : 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

int interrupt_signal(void) { return received; }
