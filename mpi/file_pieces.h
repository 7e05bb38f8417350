/* Many ranks writing disjoint byte ranges of one file that one rank made:
 * the rows of a distributed matrix's factors, each rank's own, into the
 * tensor of a safetensors shard. MPI-IO (MPI_File_write_at), which keeps
 * such writes whole on a shared file system where POSIX writes from many
 * hosts need not be. */
#ifndef FIDRUN_FILE_PIECES_H
#define FIDRUN_FILE_PIECES_H

#include <stddef.h>

#include "util/diag.h"

struct file_piece {
    size_t offset; /* in the file */
    size_t bytes;
    const void *data;
};

/* Collective over MPI_COMM_WORLD: every rank calls it with its own pieces
 * (none is fine). The file must exist, and be as long as the pieces need,
 * on the rank that made it when that rank calls this. Returns FR_OK on every
 * rank, or on every rank an error: the first failing rank's, named. */
int mpi_write_pieces(const char *path, const struct file_piece *p, size_t n, struct diag *d);

#endif
