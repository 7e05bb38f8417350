/* MPI for fidrun: start-up, rank/host/local-rank, agreement on errors,
 * gathering records to rank 0, progress messages, and abort. Any error on
 * any rank ends the whole job; no rank waits forever. */
#ifndef FIDRUN_COMM_H
#define FIDRUN_COMM_H

#include <stddef.h>

#include "util/diag.h"

#define COMM_HOST_MAX 64

struct comm_info {
    int rank, size;
    int local_rank, local_size; /* among ranks sharing this node (MPI_COMM_TYPE_SHARED) */
    char host[COMM_HOST_MAX];
};

int comm_init(int *argc, char ***argv, struct comm_info *ci);
void comm_finalize(void);
/* Whether the MPI library lets any thread call it (MPI_THREAD_MULTIPLE). */
int comm_threads_ok(void);

/* Collective: every rank passes its status; returns the largest, and in
 * *first the rank that should report it: the lowest failing rank that
 * is a reporter (its error is its own, not relayed), else the lowest
 * failing rank (-1 when none failed). */
int comm_agree(int status, int reporter, int *first);

/* Prints "fidrun: error: rank R (host): message" and ends every rank of the
 * job with MPI_Abort(code). */
_Noreturn void comm_abort(const struct comm_info *ci, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int comm_bcast_int(int value);
/* Collective: rank 0's bytes to every rank. */
void comm_bcast_bytes(void *buf, size_t bytes);
/* Collective: mask[i] = the largest mask[i] of any rank. */
void comm_max_bytes(unsigned char *mask, size_t n);
/* Collective: the largest value of any rank. */
int comm_max_int(int value);

/* This process's rank and host, for comm_abort where no comm_info was kept. */
void comm_self(struct comm_info *ci);

/* Collective: rank 0 receives the concatenation (in rank order) of every
 * rank's bytes in *all (malloc'd; NULL elsewhere) and its length. */
int comm_gather_bytes(const void *buf, size_t bytes, void **all, size_t *total, struct diag *d);

/* Progress: ranks other than 0 report each finished task to rank 0 without
 * blocking; rank 0 polls. comm_progress_begin sizes the send buffers. */
int comm_progress_begin(size_t max_sends);
void comm_progress_notify(int task_id);
/* Rank 0: 1 and *task_id when a report is pending, else 0. */
int comm_progress_poll(int *task_id);
/* Rank 0: sleeps about a millisecond, for waiting loops that poll. */
void comm_nap(void);
/* Completes this rank's outstanding sends. */
void comm_progress_end(void);

/* Collective: returns when every rank has arrived. Ranks that wait sleep
 * between polls instead of spinning, so on a node with more ranks than
 * cores the ranks still computing keep the cores. */
void comm_idle_barrier(void);

const char *comm_library_version(char *buf, size_t size);

#endif
