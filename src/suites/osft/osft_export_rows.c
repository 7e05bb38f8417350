/* --export-factors for a matrix all ranks decomposed together: its six
 * parts are whole tensors in rank 0's shard, as a whole-matrix task's are
 * in its rank's. Every rank holds only its rows of U, so each writes those
 * rows of U_high and U_low at their places in the tensors (row-major, so a
 * run of consecutive rows is one contiguous piece); rank 0 also writes S
 * and V (n and n x n, on every rank). Nothing is gathered. */
#include "suites/osft/osft_impl.h"

#include <stdlib.h>
#include <string.h>

#include "mpi/dsvd.h"
#include "mpi/file_pieces.h"

/* Rows [r0, r1) x columns [c0, c1) of a, row-major in dt (malloc'd). */
static void *block_of(const struct matrix *a, int64_t r0, int64_t r1, int64_t c0, int64_t c1, enum st_dtype dt)
{
    size_t width = (size_t)(c1 - c0), count = (size_t)(r1 - r0) * width;
    void *out = malloc((count ? count : 1) * st_dtype_size(dt));
    if (out)
        for (int64_t i = r0; i < r1; i++)
            for (int64_t j = c0; j < c1; j++)
                osft_export_store(out, (size_t)(i - r0) * width + (size_t)(j - c0), mat_get(a, i, j), dt);
    return out;
}

/* Local rows a.. that are consecutive global rows: how many. */
static int64_t run_length(const struct dsvd_layout *l, int64_t a)
{
    int64_t b = a + 1;
    while (b < l->nlocal && dsvd_global_row(l, b) == dsvd_global_row(l, a) + (b - a))
        b++;
    return b - a;
}

/* This rank's pieces of U_high and U_low (columns [0, ks) and [ks, k) of
 * its rows), each run of rows at its global row's place in the tensor. */
static size_t u_pieces(const struct dsvd_layout *l, const struct export_place *at, int64_t ks, int64_t k,
                       const void *uh, const void *ul, struct file_piece *p)
{
    size_t es = st_dtype_size(at->dtype), np = 0;
    for (int64_t a = 0; a < l->nlocal;) {
        int64_t len = run_length(l, a), g = dsvd_global_row(l, a);
        const int64_t width[2] = {ks, k - ks};
        const size_t base[2] = {at->offset[OP_U_HIGH], at->offset[OP_U_LOW]};
        const void *src[2] = {uh, ul};
        for (int f = 0; f < 2; f++)
            if (width[f] > 0)
                p[np++] = (struct file_piece){base[f] + (size_t)(g * width[f]) * es, (size_t)(len * width[f]) * es,
                                              (const char *)src[f] + (size_t)(a * width[f]) * es};
        a += len;
    }
    return np;
}

int osft_export_rows(const struct osft_config *cfg, const struct run_context *ctx, const struct task *t,
                     const struct dsvd_layout *l, const struct matrix *u_local, const struct matrix *s,
                     const struct matrix *vt, int64_t ks, struct diag *d)
{
    int64_t k = l->n, nlocal = l->nlocal;
    struct export_place at;
    int rc = ctx->rank == 0 ? osft_export_open(cfg, ctx, d) : FR_OK;
    if (!rc)
        rc = osft_export_locate(cfg, ctx, t, 0, &at, d);
    if (rc)
        return rc;
    enum st_dtype dt = at.dtype;
    size_t es = st_dtype_size(dt), runs = 0;
    for (int64_t a = 0; a < nlocal; a += run_length(l, a))
        runs++;
    void *uh = block_of(u_local, 0, nlocal, 0, ks, dt), *ul = block_of(u_local, 0, nlocal, ks, k, dt);
    void *small[4] = {NULL}; /* rank 0: S_high, V_high, S_low, V_low */
    struct file_piece *p = malloc((2 * runs + 4) * sizeof *p);
    int ok = uh && ul && p;
    size_t np = ok ? u_pieces(l, &at, ks, k, uh, ul, p) : 0;
    if (ok && ctx->rank == 0) {
        const enum osft_part part[4] = {OP_S_HIGH, OP_V_HIGH, OP_S_LOW, OP_V_LOW};
        small[0] = block_of(s, 0, ks, 0, 1, dt);
        small[1] = block_of(vt, 0, ks, 0, l->n, dt);
        small[2] = block_of(s, ks, k, 0, 1, dt);
        small[3] = block_of(vt, ks, k, 0, l->n, dt);
        for (int i = 0; i < 4; i++) {
            int64_t rows, cols;
            osft_part_shape(l->m, l->n, ks, part[i], &rows, &cols);
            ok &= small[i] != NULL;
            if (small[i] && rows * (cols ? cols : 1) > 0)
                p[np++] = (struct file_piece){at.offset[part[i]], (size_t)(rows * (cols ? cols : 1)) * es, small[i]};
        }
    }
    /* every rank enters the write, even one short of memory, so none waits on it */
    rc = mpi_write_pieces(at.path, ok ? p : NULL, ok ? np : 0, d);
    if (!rc && !ok)
        rc = diag_fail(d, FR_RUNTIME, "out of memory for the factors of %s", t->name);
    free(uh);
    free(ul);
    for (int i = 0; i < 4; i++)
        free(small[i]);
    free(p);
    return rc;
}
