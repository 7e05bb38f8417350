#include "mpi/factor_bcast.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/osft/factors.h"
#include "mpi/comm.h"
#include "util/clock.h"
#include "util/meminfo.h"
#ifdef FIDRUN_CUDA
#include "cuda/gpu.h"
#endif

#define MPI_CHUNK ((size_t)1 << 30)

const char *bcast_method_name(int method)
{
    static const char *const names[] = {"auto", "nccl", "mpi", "off"};
    return method >= 0 && method <= BCAST_OFF ? names[method] : "?";
}

_Noreturn static void fail_in_flight(const char *what, const struct diag *d)
{
    struct comm_info ci;
    comm_self(&ci);
    comm_abort(&ci, FR_RUNTIME, "broadcast of the factors: %s: %s", what, d->msg);
}

/* Collective: worst status on any rank. The failing rank keeps its
 * message (it reports it); the others get it relayed, naming that rank. */
static int agree_status(int rc, struct diag *d)
{
    int first, worst = comm_agree(rc, rc != FR_OK, &first);
    if (worst == FR_OK)
        return FR_OK;
    struct comm_info ci;
    comm_self(&ci);
    char msg[sizeof d->msg];
    snprintf(msg, sizeof msg, "%s", rc ? d->msg : "");
    MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, first, MPI_COMM_WORLD);
    char host[COMM_HOST_MAX] = "";
    if (ci.rank == first)
        snprintf(host, sizeof host, "%s", ci.host);
    MPI_Bcast(host, (int)sizeof host, MPI_CHAR, first, MPI_COMM_WORLD);
    if (ci.rank != first) {
        diag_fail(d, worst, "rank %d (%s): %s", first, host, msg);
        d->relayed = 1;
    }
    return worst;
}

/* ---- memory for the copies ---- */

static int alloc_copy(int on_device, void **p, size_t bytes, struct diag *d)
{
#ifdef FIDRUN_CUDA
    if (on_device)
        return gpu_malloc(p, bytes, d);
#else
    (void)on_device;
#endif
    *p = malloc(bytes);
    return *p ? FR_OK : diag_fail(d, FR_RUNTIME, "out of memory for a %zu-byte copy of the factors", bytes);
}

static void free_copy(int on_device, void *p)
{
#ifdef FIDRUN_CUDA
    if (on_device) {
        gpu_free(p);
        return;
    }
#else
    (void)on_device;
#endif
    free(p);
}

static int checksum(int on_device, const void *buf, size_t bytes, uint64_t *sum, struct diag *d)
{
#ifdef FIDRUN_CUDA
    if (on_device)
        return gpu_checksum(buf, bytes, sum, d);
#else
    (void)on_device;
    (void)d;
#endif
    *sum = factor_checksum(buf, bytes);
    return FR_OK;
}

/* ---- the method ---- */

struct bcast_run {
    const struct bcast_request *req;
    int rank, nranks, method, staged;
    int gpu_sharers; /* ranks bound to this rank's GPU */
    void *nccl;
    unsigned char *stage; /* host staging for device buffers over MPI */
    size_t stage_bytes;
};

/* How many ranks are bound to this rank's GPU (1 on the CPU). Collective. */
static int ranks_on_my_gpu(const struct bcast_run *b)
{
    int count = 1;
#ifdef FIDRUN_CUDA
    char mine[COMM_HOST_MAX + 40] = "";
    struct comm_info ci;
    comm_self(&ci);
    struct gpu_binding g;
    if (b->req->on_device && !gpu_bound(&g))
        snprintf(mine, sizeof mine, "%s|%s", ci.host, g.pci_bus_id);
    char *all = calloc((size_t)b->nranks, sizeof mine);
    if (!all)
        return b->nranks; /* assume the worst: NCCL off, memory shared by all */
    MPI_Allgather(mine, (int)sizeof mine, MPI_CHAR, all, (int)sizeof mine, MPI_CHAR, MPI_COMM_WORLD);
    count = 0;
    for (int i = 0; i < b->nranks && mine[0]; i++)
        count += strcmp(all + i * sizeof mine, mine) == 0;
    free(all);
    if (count < 1)
        count = 1;
#else
    (void)b;
#endif
    return count;
}

static int choose_method(struct bcast_run *b, struct bcast_result *out, struct diag *d)
{
    int dev = b->req->on_device, all_dev = 0, any_dev = 0, most_sharers = 0;
    MPI_Allreduce(&dev, &all_dev, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&dev, &any_dev, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    b->gpu_sharers = ranks_on_my_gpu(b);
    MPI_Allreduce(&b->gpu_sharers, &most_sharers, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    int want = b->req->method, shared = most_sharers > 1;
#ifdef FIDRUN_NCCL
    int nccl_built = 1;
#else
    int nccl_built = 0;
#endif
    const char *why_not_nccl = !nccl_built ? "this fidrun was built without NCCL"
                               : !all_dev  ? "not every rank holds its factors on a GPU"
                               : shared    ? "two or more ranks share one GPU, which NCCL refuses"
                                           : NULL;
    if (want == BCAST_NCCL && why_not_nccl)
        return diag_fail(d, FR_RUNTIME, "broadcast: nccl was asked for but %s (use broadcast: auto or mpi)",
                         why_not_nccl);
    b->method = want == BCAST_MPI || why_not_nccl ? BCAST_MPI : BCAST_NCCL;
    b->staged = b->method == BCAST_MPI && dev; /* each rank stages its own device buffers */
    snprintf(out->method, sizeof out->method, "%s", b->method == BCAST_NCCL ? "nccl"
                                                     : b->staged            ? "mpi (staged through host)"
                                                                            : "mpi");
    if (want == BCAST_AUTO && why_not_nccl && any_dev)
        snprintf(out->note, sizeof out->note, "not nccl: %s", why_not_nccl);
    return FR_OK;
}

static int open_nccl(struct bcast_run *b, struct diag *d)
{
#ifdef FIDRUN_NCCL
    unsigned char id[GPU_NCCL_ID_BYTES] = {0};
    int rc = b->rank == 0 ? gpu_nccl_unique_id(id, d) : FR_OK;
    if ((rc = agree_status(rc, d)))
        return rc;
    MPI_Bcast(id, GPU_NCCL_ID_BYTES, MPI_BYTE, 0, MPI_COMM_WORLD);
    return agree_status(gpu_nccl_open(&b->nccl, b->nranks, id, b->rank, d), d);
#else
    (void)b;
    return diag_fail(d, FR_RUNTIME, "built without NCCL");
#endif
}

/* Whether every rank can hold every matrix at once, within memory_share
 * of what is free (on the GPU, shared by the ranks bound to it). */
static int decide_hold(const struct bcast_run *b, double recv_bytes)
{
    /* host memory is shared by the host's ranks, a GPU's by the ranks bound to it */
    double avail = 0;
    int sharing = 1;
    if (b->req->on_device) {
#ifdef FIDRUN_CUDA
        size_t fr = 0, total = 0;
        struct diag d;
        if (!gpu_memory(&fr, &total, &d))
            avail = (double)fr;
#endif
        sharing = b->gpu_sharers;
    } else {
        avail = memory_available_here();
        sharing = b->req->local_size > 0 ? b->req->local_size : 1;
    }
    int fits = recv_bytes <= b->req->memory_share * avail / sharing, all = 0;
    MPI_Allreduce(&fits, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all;
}

static void mpi_bcast_bytes(void *buf, size_t bytes, int root)
{
    for (size_t off = 0; off < bytes; off += MPI_CHUNK) {
        size_t len = bytes - off < MPI_CHUNK ? bytes - off : MPI_CHUNK;
        MPI_Bcast((char *)buf + off, (int)len, MPI_BYTE, root, MPI_COMM_WORLD);
    }
}

/* Moves items [lo, hi) whose buffers are in bufs; returns the seconds. */
static double move_window(struct bcast_run *b, void **bufs, size_t lo, size_t hi)
{
    const struct bcast_item *it = b->req->items;
    struct diag d = {0};
    (void)d; /* used by the GPU paths */
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now_seconds();
    if (b->method == BCAST_NCCL) {
#ifdef FIDRUN_NCCL
        size_t n = hi - lo;
        size_t *bytes = malloc(n * sizeof *bytes);
        int *roots = malloc(n * sizeof *roots);
        if (!bytes || !roots)
            fail_in_flight("NCCL group", &(struct diag){.code = FR_RUNTIME, .msg = "out of memory"});
        for (size_t i = 0; i < n; i++) {
            bytes[i] = it[lo + i].bytes;
            roots[i] = it[lo + i].owner;
        }
        if (gpu_nccl_broadcast(b->nccl, bufs + lo, bytes, roots, n, &d))
            fail_in_flight("NCCL", &d);
        free(bytes);
        free(roots);
#endif
    } else {
        for (size_t i = lo; i < hi; i++) {
            if (!b->staged) {
                mpi_bcast_bytes(bufs[i], it[i].bytes, it[i].owner);
                continue;
            }
#ifdef FIDRUN_CUDA
            int mine = it[i].owner == b->rank;
            if (mine && gpu_to_host(b->stage, bufs[i], it[i].bytes, &d))
                fail_in_flight("copy to the host", &d);
            mpi_bcast_bytes(b->stage, it[i].bytes, it[i].owner);
            if (!mine && gpu_from_host(bufs[i], b->stage, it[i].bytes, &d))
                fail_in_flight("copy to the GPU", &d);
#endif
        }
    }
    return now_seconds() - t0;
}

/* Testing hook: FIDRUN_INJECT_BCAST_FLIP=R makes rank R flip one bit of
 * the first host copy it received, so tests see the checksums catch it. */
static void flip_for_test(const struct bcast_run *b, void **bufs, size_t lo, size_t hi)
{
    static int flipped;
    const char *who = getenv("FIDRUN_INJECT_BCAST_FLIP");
    if (flipped || !who || atoi(who) != b->rank || b->req->on_device)
        return;
    for (size_t i = lo; i < hi && !flipped; i++)
        if (b->req->items[i].owner != b->rank && b->req->items[i].bytes > 1024) {
            ((unsigned char *)bufs[i])[1000] ^= 0x10;
            flipped = 1;
        }
}

/* Allocates the copies of items [lo, hi) this rank does not own (agreed). */
static int alloc_window(const struct bcast_run *b, void **bufs, size_t lo, size_t hi, struct diag *d)
{
    int rc = FR_OK;
    for (size_t i = lo; i < hi; i++) {
        const struct bcast_item *it = &b->req->items[i];
        if (it->owner == b->rank)
            bufs[i] = it->buf;
        else if (!rc)
            rc = alloc_copy(b->req->on_device, &bufs[i], it->bytes, d);
    }
    return agree_status(rc, d);
}

static void free_window(const struct bcast_run *b, void **bufs, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++) {
        if (bufs[i] && b->req->items[i].owner != b->rank)
            free_copy(b->req->on_device, bufs[i]);
        bufs[i] = NULL;
    }
}

static int run_windows(struct bcast_run *b, struct bcast_result *out, uint64_t *sums, struct diag *d)
{
    const struct bcast_request *req = b->req;
    void **bufs = calloc(req->n ? req->n : 1, sizeof *bufs);
    int rc = agree_status(bufs ? FR_OK : diag_fail(d, FR_RUNTIME, "out of memory"), d);
    if (rc) {
        free(bufs);
        return rc;
    }
    for (size_t i = 0; i < req->n; i++)
        if (req->items[i].owner == b->rank && !req->items[i].buf)
            fail_in_flight("planning", &(struct diag){.code = FR_RUNTIME, .msg = "a matrix this rank decomposed was not kept"});
    size_t lo = 0;
    while (!rc && lo < req->n) {
        size_t hi = lo + 1;
        while (hi < req->n && (out->held_model || req->items[hi].group == req->items[lo].group))
            hi++;
        if ((rc = alloc_window(b, bufs, lo, hi, d)))
            break;
        out->seconds += move_window(b, bufs, lo, hi);
        flip_for_test(b, bufs, lo, hi);
        for (size_t i = lo; i < hi; i++) {
            struct diag cd = {0};
            if (checksum(req->on_device, bufs[i], req->items[i].bytes, &sums[i], &cd))
                fail_in_flight("checksum", &cd);
        }
        free_window(b, bufs, lo, hi);
        lo = hi;
    }
    free_window(b, bufs, 0, req->n);
    free(bufs);
    return rc;
}

int factor_bcast_run(const struct bcast_request *req, struct bcast_result *out, struct diag *d)
{
    memset(out, 0, sizeof *out);
    struct bcast_run b = {.req = req};
    MPI_Comm_rank(MPI_COMM_WORLD, &b.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &b.nranks);
    out->matrices = (int64_t)req->n;
    double recv = 0, largest = 0;
    for (size_t i = 0; i < req->n; i++) {
        out->bytes += (double)req->items[i].bytes;
        if (req->items[i].owner != b.rank)
            recv += (double)req->items[i].bytes;
        if ((double)req->items[i].bytes > largest)
            largest = (double)req->items[i].bytes;
    }
    if (req->method == BCAST_OFF || b.nranks == 1) {
        if (req->failed)
            return diag_fail(d, FR_RUNTIME, "%s", req->failed);
        snprintf(out->method, sizeof out->method, "%s", req->method == BCAST_OFF ? "off" : "none (1 rank)");
        out->bytes = 0;
        return FR_OK;
    }
    int rc = agree_status(req->failed ? diag_fail(d, FR_RUNTIME, "%s", req->failed) : FR_OK, d);
    if (!rc)
        rc = agree_status(choose_method(&b, out, d), d);
    if (!rc && b.method == BCAST_NCCL)
        rc = open_nccl(&b, d);
    if (!rc && b.staged) {
        b.stage_bytes = (size_t)largest;
        b.stage = malloc(b.stage_bytes ? b.stage_bytes : 1);
        rc = agree_status(b.stage ? FR_OK : diag_fail(d, FR_RUNTIME, "out of memory for a %.0f-byte staging buffer",
                                                      largest), d);
    }
    uint64_t *sums = NULL, *lo = NULL, *hi = NULL;
    if (!rc) {
        out->held_model = decide_hold(&b, recv);
        if (!out->held_model) {
            size_t len = strlen(out->note);
            snprintf(out->note + len, sizeof out->note - len, "%sthe whole model (%.2f GB per rank) does not fit "
                     "in %.0f%% of free memory: held one layer at a time", len ? "; " : "", recv / 1e9,
                     100 * req->memory_share);
        }
        sums = calloc(req->n ? req->n : 1, sizeof *sums);
        lo = calloc(req->n ? req->n : 1, sizeof *lo);
        hi = calloc(req->n ? req->n : 1, sizeof *hi);
        rc = agree_status(sums && lo && hi ? FR_OK : diag_fail(d, FR_RUNTIME, "out of memory"), d);
    }
    if (!rc)
        rc = run_windows(&b, out, sums, d);
    if (!rc) {
        MPI_Allreduce(sums, lo, (int)req->n, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
        MPI_Allreduce(sums, hi, (int)req->n, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
        for (size_t i = 0; i < req->n; i++)
            out->mismatches += lo[i] != hi[i];
        MPI_Allreduce(&out->seconds, &out->max_seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        out->algbw = out->max_seconds > 0 ? out->bytes / out->max_seconds / 1e9 : 0;
        out->busbw = out->algbw; /* nccl-tests: a broadcast's bus factor is 1 */
    }
    free(sums);
    free(lo);
    free(hi);
    free(b.stage);
#ifdef FIDRUN_NCCL
    if (b.nccl)
        gpu_nccl_close(b.nccl);
#endif
    return rc;
}
