/* The OSFT unit of work on the CPU: LAPACK into one factor buffer, then the
 * backend's own reconstruction and Gram products. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/osft/factors.h"
#include "core/osft/osft_matrix.h"
#include "util/clock.h"

void held_factors_release(struct held_factors *h)
{
    if (h->buf && h->free_buf)
        h->free_buf(h->buf);
    *h = (struct held_factors){0};
}

static struct matrix view(void *base, size_t offset, enum dtype t, int64_t rows, int64_t cols)
{
    return (struct matrix){.dtype = t, .rows = rows, .cols = cols, .ld = rows > 0 ? rows : 1,
                           .data = (char *)base + offset};
}

int cpu_osft_matrix(const struct osft_job *job, struct osft_outcome *out, struct diag *d)
{
    const struct matrix *w = job->w;
    enum dtype t = w->dtype;
    int64_t m = w->rows, n = w->cols;
    struct factor_layout lay;
    factor_layout_of(m, n, t, &lay);
    int64_t k = lay.k;
    int tall = m >= n;
    int driver = job->driver == SVD_GESVD ? SVD_GESVD : SVD_GESDD;
    void *buf = aligned_alloc(FACTOR_ALIGN, lay.bytes);
    struct matrix w2 = {0}, g = {0};
    *out = (struct osft_outcome){.driver = driver, .err_sigma = NAN};
    for (int i = 0; i < SVD_DRIVER_COUNT; i++)
        out->tune_seconds[i] = NAN;
    if (!buf || mat_alloc(&w2, t, m, n) || mat_alloc(&g, t, k, k) || mat_alloc(&out->s, t, k, 1)) {
        free(buf);
        mat_free(&w2);
        mat_free(&g);
        mat_free(&out->s);
        return diag_fail(d, FR_RUNTIME, "out of memory for the factors of a %lld x %lld matrix", (long long)m,
                         (long long)n);
    }
    memset(buf, 0, lay.bytes); /* padding too: the buffer is checksummed whole */
    struct factor_header h = factor_header_make(m, n, t, tall ? FP_U : FP_VT, tall ? FP_VT : FP_U, driver);
    memcpy(buf, &h, sizeof h);
    struct matrix u = view(buf, tall ? lay.big : lay.small, t, m, k);
    struct matrix vt = view(buf, tall ? lay.small : lay.big, t, k, n);
    struct matrix s = view(buf, lay.s, t, k, 1);

    double t0 = now_seconds();
    int rc = cpu_svd(w, &u, &s, &vt, driver, d);
    out->svd_seconds = timed_section_end(t0);
    if (!rc)
        rc = cpu_reconstruct_split(&u, &s, &vt, job->k_split, &w2, d);
    if (!rc) {
        diff_stats_compute(w, &w2, job->atol, job->rtol, &out->ds);
        memcpy(out->s.data, s.data, (size_t)k * dtype_size(t));
    }
    if (!rc && !(rc = cpu_gram(&u, GRAM_COLUMNS, &g, d)))
        out->defect_u = identity_defect_norm1(&g);
    if (!rc && !(rc = cpu_gram(&vt, GRAM_ROWS, &g, d)))
        out->defect_v = identity_defect_norm1(&g);
    mat_free(&w2);
    mat_free(&g);
    if (rc || !job->keep_factors) {
        free(buf);
        if (rc)
            mat_free(&out->s);
        return rc;
    }
    out->held = (struct held_factors){.buf = buf, .bytes = lay.bytes, .on_device = 0, .free_buf = free};
    return FR_OK;
}

/* The CPU runs a batch one job after another (a rank has one core's worth
 * of BLAS threads); the batched path is then the same code everywhere. */
int cpu_osft_matrices(const struct osft_job *jobs, size_t n, struct osft_outcome *outs, double *seconds, int lanes,
                      struct diag *d)
{
    (void)lanes;
    int rc = FR_OK;
    for (size_t i = 0; i < n; i++)
        memset(&outs[i], 0, sizeof outs[i]);
    for (size_t i = 0; i < n && !rc; i++) {
        double t0 = now_seconds();
        rc = cpu_osft_matrix(&jobs[i], &outs[i], d);
        seconds[i] = now_seconds() - t0;
    }
    for (size_t i = 0; rc && i < n; i++) {
        held_factors_release(&outs[i].held);
        mat_free(&outs[i].s);
    }
    return rc;
}

int64_t osft_split_rank(int64_t m, int64_t n, double ratio)
{
    int64_t kmin = m < n ? m : n;
    int64_t k = (int64_t)floor((double)kmin * (1.0 - ratio));
    if (k > kmin - 1)
        k = kmin - 1;
    return k < 0 ? 0 : k;
}
