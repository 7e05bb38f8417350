#include "mpi/file_pieces.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>

#define PIECE_CHUNK ((size_t)1 << 30) /* MPI counts are int */

static void mpi_error_text(int err, char *buf, size_t size)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(err, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "MPI error %d", err);
    snprintf(buf, size, "%s", text);
}

static int write_all(MPI_File fh, const struct file_piece *p, size_t n, char *why, size_t size)
{
    for (size_t i = 0; i < n; i++)
        for (size_t done = 0; done < p[i].bytes;) {
            size_t chunk = p[i].bytes - done < PIECE_CHUNK ? p[i].bytes - done : PIECE_CHUNK;
            MPI_Status st;
            int count = 0;
            int err = MPI_File_write_at(fh, (MPI_Offset)(p[i].offset + done), (const char *)p[i].data + done,
                                        (int)chunk, MPI_BYTE, &st);
            if (err == MPI_SUCCESS)
                MPI_Get_count(&st, MPI_BYTE, &count);
            if (err != MPI_SUCCESS || (size_t)count != chunk) {
                char text[MPI_MAX_ERROR_STRING] = "a short write";
                if (err != MPI_SUCCESS)
                    mpi_error_text(err, text, sizeof text);
                snprintf(why, size, "cannot write %zu bytes at offset %zu: %s", chunk, p[i].offset + done, text);
                return -1;
            }
            done += chunk;
        }
    return 0;
}

int mpi_write_pieces(const char *path, const struct file_piece *p, size_t n, struct diag *d)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Barrier(MPI_COMM_WORLD); /* the rank that makes the file has made it */
    MPI_File fh;
    char why[600] = "";
    /* Open MPI's io components agree on the outcome of an open across the
     * ranks, so either every rank has a handle to close or none has */
    int err = MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_WRONLY, MPI_INFO_NULL, &fh);
    if (err != MPI_SUCCESS) {
        char text[MPI_MAX_ERROR_STRING];
        mpi_error_text(err, text, sizeof text);
        return diag_fail(d, FR_RUNTIME, "%s: cannot open for writing the distributed factors: %s", path, text);
    }
    int failed = write_all(fh, p, n, why, sizeof why);
    int first = failed ? rank : INT_MAX;
    MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    err = MPI_File_close(&fh);
    if (first == INT_MAX && err != MPI_SUCCESS) {
        mpi_error_text(err, why, sizeof why);
        return diag_fail(d, FR_RUNTIME, "%s: closing after the distributed factors: %s", path, why);
    }
    if (first == INT_MAX)
        return FR_OK;
    MPI_Bcast(why, (int)sizeof why, MPI_CHAR, first, MPI_COMM_WORLD);
    return diag_fail(d, FR_RUNTIME, "%s: rank %d %s", path, first, why);
}
