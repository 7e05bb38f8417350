/* The ranks watch each other: a thread on every rank exchanges a beat with
 * rank 0 twice a second, and a rank (rank 0 included) silent for longer
 * than the limit is named, with its host, and the job ended (exit 3). A
 * rank stopped by SIGSTOP, swapped out or cut off is found this way; one
 * that is merely busy is not, as its thread keeps beating. Needs
 * MPI_THREAD_MULTIPLE (else nothing is watched and start returns 0). */
#ifndef FIDRUN_HEARTBEAT_H
#define FIDRUN_HEARTBEAT_H

#include "mpi/comm.h"

#define HEARTBEAT_EXIT 3

/* Collective. limit: seconds of silence (<= 0: none); hosts: every rank's
 * host, on rank 0 (others may pass NULL). Returns 1 when watching. */
int heartbeat_start(const struct comm_info *ci, double limit, const char (*hosts)[COMM_HOST_MAX]);

/* Collective when started: ends the exchange in order (no message left
 * unmatched), then the thread. */
void heartbeat_stop(void);

#endif
