/* What OSFT initialisation does with the factors: every rank ends up holding
 * every decomposed matrix, each broadcast from the rank that computed it.
 * NCCL between GPUs (its communicator bootstrapped over MPI), MPI between
 * host buffers (device buffers staged through the host when NCCL cannot
 * be used). Timed, and reported with nccl-tests' definitions: algbw =
 * bytes / time, busbw = algbw for a broadcast. Every received buffer is
 * checksummed against every other rank's copy. */
#ifndef FIDRUN_FACTOR_BCAST_H
#define FIDRUN_FACTOR_BCAST_H

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

enum bcast_method { BCAST_AUTO, BCAST_NCCL, BCAST_MPI, BCAST_OFF };

struct bcast_item {
    int owner;    /* rank that computed it */
    size_t bytes; /* the same on every rank */
    void *buf;    /* the owner's buffer (host or device); NULL on other ranks */
    int group;    /* consecutive items with the same group (a layer) may be held together */
};

struct bcast_request {
    int method;    /* enum bcast_method */
    int on_device; /* this rank's buffers are in GPU memory */
    const struct bcast_item *items;
    size_t n;
    double memory_share; /* share of free memory the received copies may take (0.5) */
    int local_size;      /* ranks on this host, which share its memory */
    const char *failed;  /* set when this rank could not prepare its part: every rank returns this error */
};

struct bcast_result {
    char method[40];     /* "nccl", "mpi", "mpi (staged through host)", "off", "none (1 rank)" */
    char note[160];      /* why this method, why not held whole */
    int held_model;      /* 1: every rank held the whole model at once; 0: one layer at a time */
    int64_t matrices;
    double bytes;        /* broadcast in all (each matrix once) */
    double seconds;      /* this rank's time in the broadcasts */
    double max_seconds;  /* the slowest rank's: what algbw is measured over */
    double algbw, busbw; /* GB/s (1e9) */
    int64_t mismatches;  /* matrices whose copies do not all have the same checksum */
};

/* Collective over MPI_COMM_WORLD. A problem found before any data moves
 * (NCCL asked for but impossible, no memory for the copies) is agreed and
 * returned on every rank; a failure while data moves ends the job. */
int factor_bcast_run(const struct bcast_request *req, struct bcast_result *out, struct diag *d);

const char *bcast_method_name(int method);

#endif
