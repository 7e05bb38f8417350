#include "io/matrices.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/st_model.h"
#include "util/rng.h"

enum { STREAM_NOISE = 0, STREAM_LEFT = 1, STREAM_RIGHT = 2 };

static void normalize(double *v, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += v[i] * v[i];
    s = s > 0 ? 1.0 / sqrt(s) : 0;
    for (int64_t i = 0; i < n; i++)
        v[i] *= s;
}

int synthetic_weight(uint64_t seed, const char *name, const struct synthetic_spectrum *sp, struct matrix *w)
{
    return synthetic_weight_rows(seed, name, sp, w->rows, NULL, w);
}

int synthetic_weight_rows(uint64_t seed, const char *name, const struct synthetic_spectrum *sp, int64_t m,
                          const int64_t *rows, struct matrix *w)
{
    int64_t n = w->cols, r = sp->spikes;
    struct philox_key key = rng_key(seed, name);
    double *row = malloc((size_t)n * sizeof *row);
    double *u = malloc((size_t)(r * m + 1) * sizeof *u); /* u[k*m + i] */
    double *v = malloc((size_t)(r * n + 1) * sizeof *v); /* v[k*n + j] */
    if (!row || !u || !v) {
        free(row), free(u), free(v);
        return -1;
    }
    double edge = sp->std * (sqrt((double)m) + sqrt((double)n));
    for (int64_t k = 0; k < r; k++) {
        rng_normals(key, STREAM_LEFT, (uint64_t)(k * m), (size_t)m, u + k * m);
        rng_normals(key, STREAM_RIGHT, (uint64_t)(k * n), (size_t)n, v + k * n);
        normalize(u + k * m, m);
        normalize(v + k * n, n);
    }
    for (int64_t li = 0; li < w->rows; li++) {
        int64_t i = rows ? rows[li] : li;
        /* element (i, j) is index i*n + j of the noise stream: row-major, as
         * the weight is stored in a checkpoint */
        rng_normals(key, STREAM_NOISE, (uint64_t)(i * n), (size_t)n, row);
        for (int64_t j = 0; j < n; j++)
            row[j] *= sp->std;
        double strength = sp->strength * edge;
        for (int64_t k = 0; k < r; k++, strength *= sp->decay) {
            double c = strength * u[k * m + i];
            const double *vk = v + k * n;
            for (int64_t j = 0; j < n; j++)
                row[j] += c * vk[j];
        }
        for (int64_t j = 0; j < n; j++)
            mat_set(w, li, j, row[j]);
    }
    free(row), free(u), free(v);
    return 0;
}

static int load_from_checkpoint(const struct st_model *m, const char *name, int64_t rows, int64_t cols,
                                int transposed, enum dtype dtype, struct matrix *out, struct diag *d)
{
    const struct st_file *shard;
    const struct st_tensor *t = st_model_find(m, name, &shard);
    if (!t)
        return diag_fail(d, FR_USAGE, "%s: no tensor '%s'", m->dir, name);
    int64_t fr = transposed ? cols : rows, fc = transposed ? rows : cols; /* as the file holds it */
    if (t->ndim != 2 || t->shape[0] != fr || t->shape[1] != fc)
        return diag_fail(d, FR_USAGE, "%s: tensor '%s' is not %lld x %lld", shard->path, name, (long long)fr,
                         (long long)fc);
    float *rowmajor = malloc((size_t)(rows * cols) * sizeof *rowmajor);
    if (!rowmajor || mat_alloc(out, dtype, rows, cols)) {
        free(rowmajor);
        return diag_fail(d, FR_RUNTIME, "out of memory for %s (%lld x %lld)", name, (long long)rows, (long long)cols);
    }
    int rc = FR_OK;
    /* element (i, j) of W is the file's (i, j), or (j, i) stored transposed */
    if (t->dtype == ST_F64) { /* as it is: float32 would lose what a float64 run measures */
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) {
                double v;
                int64_t at = transposed ? j * rows + i : i * cols + j;
                memcpy(&v, (const char *)t->data + (size_t)at * sizeof v, sizeof v);
                mat_set(out, i, j, v);
            }
    } else if (!(rc = st_to_f32(shard, t, rowmajor, d))) {
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++)
                mat_set(out, i, j, rowmajor[transposed ? j * rows + i : i * cols + j]);
    }
    free(rowmajor);
    if (rc)
        mat_free(out);
    return rc;
}

/* The listed rows of a checkpoint's weight, each read on its own: a rank
 * holding a block of a distributed matrix reads that block only. */
static int load_rows_from_checkpoint(const struct st_model *m, const char *name, int64_t rows, int64_t cols,
                                     int transposed, const int64_t *which, int64_t nrows, enum dtype dtype,
                                     struct matrix *out, struct diag *d)
{
    const struct st_file *shard;
    const struct st_tensor *t = st_model_find(m, name, &shard);
    if (!t)
        return diag_fail(d, FR_USAGE, "%s: no tensor '%s'", m->dir, name);
    int64_t fr = transposed ? cols : rows, fc = transposed ? rows : cols;
    if (t->ndim != 2 || t->shape[0] != fr || t->shape[1] != fc)
        return diag_fail(d, FR_USAGE, "%s: tensor '%s' is not %lld x %lld", shard->path, name, (long long)fr,
                         (long long)fc);
    float *row = malloc((size_t)(cols ? cols : 1) * sizeof *row);
    if (!row || mat_alloc(out, dtype, nrows, cols)) {
        free(row);
        return diag_fail(d, FR_RUNTIME, "out of memory for %lld rows of %s", (long long)nrows, name);
    }
    int rc = FR_OK;
    for (int64_t li = 0; !rc && li < nrows; li++) {
        int64_t i = which[li];
        for (int64_t j = 0; !rc && j < cols; j++) {
            if (transposed) /* a column of the file: one element at a time */
                rc = st_range_to_f32(shard, t, j * rows + i, 1, &row[j], d);
            else if (j == 0)
                rc = st_range_to_f32(shard, t, i * cols, cols, row, d);
        }
        for (int64_t j = 0; !rc && j < cols; j++) {
            double v = row[j];
            if (t->dtype == ST_F64) /* as it is: float32 would lose what a float64 run measures */
                memcpy(&v, (const char *)t->data + (size_t)(transposed ? j * rows + i : i * cols + j) * sizeof v,
                       sizeof v);
            mat_set(out, li, j, v);
        }
    }
    free(row);
    if (rc)
        mat_free(out);
    return rc;
}

int matrix_source_load_rows(const struct matrix_source *src, const char *name, int64_t rows, int64_t cols,
                            const int64_t *which, int64_t nrows, enum dtype dtype, struct matrix *out,
                            struct diag *d)
{
    if (src->kind == SOURCE_CHECKPOINT)
        return load_rows_from_checkpoint(src->checkpoint, name, rows, cols, src->transposed, which, nrows, dtype,
                                         out, d);
    if (mat_alloc(out, dtype, nrows, cols))
        return diag_fail(d, FR_RUNTIME, "out of memory for %lld x %lld of %s", (long long)nrows, (long long)cols,
                         name);
    if (synthetic_weight_rows(src->seed, name, &src->spectrum, rows, which, out)) {
        mat_free(out);
        return diag_fail(d, FR_RUNTIME, "out of memory while generating %s", name);
    }
    return FR_OK;
}

int matrix_source_load(const struct matrix_source *src, const char *name, int64_t rows, int64_t cols,
                       enum dtype dtype, struct matrix *out, struct diag *d)
{
    if (src->kind == SOURCE_CHECKPOINT)
        return load_from_checkpoint(src->checkpoint, name, rows, cols, src->transposed, dtype, out, d);
    if (mat_alloc(out, dtype, rows, cols))
        return diag_fail(d, FR_RUNTIME, "out of memory for a %lld x %lld %s matrix", (long long)rows,
                         (long long)cols, dtype_name(dtype));
    if (synthetic_weight(src->seed, name, &src->spectrum, out)) {
        mat_free(out);
        return diag_fail(d, FR_RUNTIME, "out of memory while generating %s", name);
    }
    return FR_OK;
}
