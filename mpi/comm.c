#include "mpi/comm.h"

#include <limits.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAG_PROGRESS = 101 };

static int thread_level = MPI_THREAD_SINGLE;

/* Waits for a nonblocking collective by testing it between naps (0.1 ms,
 * growing to 5 ms), so that a rank waiting for a slow or frozen one sleeps
 * instead of spinning a core in the MPI library's poll loop. */
static void wait_sleeping(MPI_Request *req)
{
    long nap_ns = 100000;
    int done = 0;
    for (;;) {
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done)
            return;
        struct timespec ts = {0, nap_ns};
        nanosleep(&ts, NULL);
        if (nap_ns < 5000000)
            nap_ns *= 2;
    }
}

int comm_init(int *argc, char ***argv, struct comm_info *ci)
{
    memset(ci, 0, sizeof *ci);
    /* threads: rank 0 listens for progress reports while it computes */
    if (MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &thread_level) != MPI_SUCCESS)
        return FR_RUNTIME;
    comm_self(ci);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, ci->rank, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &ci->local_rank);
    MPI_Comm_size(local, &ci->local_size);
    MPI_Comm_free(&local);
    return FR_OK;
}

int comm_threads_ok(void) { return thread_level >= MPI_THREAD_MULTIPLE; }

void comm_finalize(void)
{
    MPI_Finalize();
}

int comm_agree(int status, int reporter, int *first)
{
    int worst = 0, rank, mine[2], lowest[2];
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    mine[0] = status != FR_OK && reporter ? rank : INT_MAX;
    mine[1] = status != FR_OK ? rank : INT_MAX;
    MPI_Request req[2];
    MPI_Iallreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req[0]);
    MPI_Iallreduce(mine, lowest, 2, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &req[1]);
    wait_sleeping(&req[0]);
    wait_sleeping(&req[1]);
    int who = lowest[0] != INT_MAX ? lowest[0] : lowest[1];
    if (first)
        *first = who == INT_MAX ? -1 : who;
    return worst;
}

_Noreturn void comm_abort(const struct comm_info *ci, int code, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "fidrun: error: rank %d (%s): %s\n", ci->rank, ci->host, msg);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    exit(code); /* MPI_Abort does not return; this keeps the compiler sure of it */
}

void comm_self(struct comm_info *ci)
{
    memset(ci, 0, sizeof *ci);
    MPI_Comm_rank(MPI_COMM_WORLD, &ci->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ci->size);
    char name[MPI_MAX_PROCESSOR_NAME];
    int len = 0;
    MPI_Get_processor_name(name, &len);
    snprintf(ci->host, sizeof ci->host, "%.*s", len, name);
}

int comm_bcast_int(int value)
{
    MPI_Request req;
    MPI_Ibcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD, &req);
    wait_sleeping(&req);
    return value;
}

void comm_bcast_bytes(void *buf, size_t bytes)
{
    for (size_t off = 0; off < bytes;) { /* MPI counts are ints */
        int chunk = bytes - off > (size_t)1 << 30 ? 1 << 30 : (int)(bytes - off);
        MPI_Request req;
        MPI_Ibcast((char *)buf + off, chunk, MPI_BYTE, 0, MPI_COMM_WORLD, &req);
        wait_sleeping(&req);
        off += (size_t)chunk;
    }
}

void comm_max_bytes(unsigned char *mask, size_t n)
{
    for (size_t off = 0; off < n;) {
        int chunk = n - off > (size_t)1 << 30 ? 1 << 30 : (int)(n - off);
        MPI_Request req;
        MPI_Iallreduce(MPI_IN_PLACE, mask + off, chunk, MPI_UNSIGNED_CHAR, MPI_MAX, MPI_COMM_WORLD, &req);
        wait_sleeping(&req);
        off += (size_t)chunk;
    }
}

int comm_max_int(int value)
{
    int worst;
    MPI_Request req;
    MPI_Iallreduce(&value, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req);
    wait_sleeping(&req);
    return worst;
}

int comm_gather_bytes(const void *buf, size_t bytes, void **all, size_t *total, struct diag *d)
{
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* Every rank takes part in both collectives even when its own part is
     * too large, so nobody waits on a rank that gave up. */
    long long mine = (long long)bytes;
    long long *counts = rank == 0 ? malloc((size_t)size * sizeof *counts) : NULL;
    MPI_Request req;
    MPI_Igather(&mine, 1, MPI_LONG_LONG, counts, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD, &req);
    wait_sleeping(&req);
    int ok = 1;
    int *icounts = NULL, *displs = NULL;
    char *out = NULL;
    long long sum = 0;
    if (rank == 0) {
        icounts = malloc((size_t)size * sizeof *icounts);
        displs = malloc((size_t)size * sizeof *displs);
        ok = counts && icounts && displs;
        for (int r = 0; ok && r < size; r++) {
            if (sum + counts[r] > INT_MAX) {
                ok = 0;
                break;
            }
            icounts[r] = (int)counts[r];
            displs[r] = (int)sum;
            sum += counts[r];
        }
        if (ok)
            ok = (out = malloc(sum ? (size_t)sum : 1)) != NULL;
    }
    MPI_Ibcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD, &req);
    wait_sleeping(&req);
    int status = FR_OK;
    if (ok) {
        MPI_Igatherv(buf, (int)bytes, MPI_BYTE, out, icounts, displs, MPI_BYTE, 0, MPI_COMM_WORLD, &req);
        wait_sleeping(&req);
    } else
        status = diag_fail(d, FR_RUNTIME, "cannot gather the records to rank 0 (over 2 GiB or out of memory)");
    free(counts);
    free(icounts);
    free(displs);
    if (rank == 0 && ok) {
        *all = out;
        *total = (size_t)sum;
    } else {
        free(out);
        *all = NULL;
        *total = 0;
    }
    return status;
}

static MPI_Request *requests;
static int *payloads;
static size_t nsent, max_sent;

int comm_progress_begin(size_t max_sends)
{
    requests = malloc((max_sends ? max_sends : 1) * sizeof *requests);
    payloads = malloc((max_sends ? max_sends : 1) * sizeof *payloads);
    nsent = 0;
    max_sent = max_sends;
    return requests && payloads ? FR_OK : FR_RUNTIME;
}

void comm_progress_notify(int task_id)
{
    if (nsent == max_sent)
        return;
    payloads[nsent] = task_id;
    MPI_Isend(&payloads[nsent], 1, MPI_INT, 0, TAG_PROGRESS, MPI_COMM_WORLD, &requests[nsent]);
    nsent++;
}

int comm_progress_poll(int *task_id)
{
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, TAG_PROGRESS, MPI_COMM_WORLD, &flag, &st);
    if (!flag)
        return 0;
    MPI_Recv(task_id, 1, MPI_INT, st.MPI_SOURCE, TAG_PROGRESS, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return 1;
}

void comm_progress_end(void)
{
    if (nsent)
        MPI_Waitall((int)nsent, requests, MPI_STATUSES_IGNORE);
    free(requests);
    free(payloads);
    requests = NULL;
    payloads = NULL;
    nsent = max_sent = 0;
}

void comm_nap(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

void comm_idle_barrier(void)
{
    MPI_Request req;
    MPI_Ibarrier(MPI_COMM_WORLD, &req);
    wait_sleeping(&req);
}

const char *comm_library_version(char *buf, size_t size)
{
    char v[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(v, &len);
    while (len > 0 && (v[len - 1] == '\n' || v[len - 1] == '\0'))
        len--;
    /* Open MPI's string has several comma-separated parts; the first names it */
    const char *comma = memchr(v, ',', (size_t)len);
    int first = comma ? (int)(comma - v) : len;
    snprintf(buf, size, "%.*s", first, v);
    return buf;
}
