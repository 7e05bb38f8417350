/* Dense column-major matrices in float32 or float64: the one matrix type the
 * suites, metrics and backends share. */
#ifndef FIDRUN_MATRIX_H
#define FIDRUN_MATRIX_H

#include <stddef.h>
#include <stdint.h>

enum dtype { DT_F32, DT_F64 };

struct matrix {
    enum dtype dtype;
    int64_t rows, cols, ld; /* element (i, j) at data[i + j * ld] */
    void *data;
};

static inline size_t dtype_size(enum dtype t) { return t == DT_F32 ? 4 : 8; }
static inline const char *dtype_name(enum dtype t) { return t == DT_F32 ? "float32" : "float64"; }
/* Unit roundoff as LAPACK's xLAMCH('P') reports it (eps * base). */
static inline double dtype_eps(enum dtype t) { return t == DT_F32 ? 1.1920928955078125e-07 : 2.220446049250313e-16; }

static inline double mat_get(const struct matrix *m, int64_t i, int64_t j)
{
    size_t k = (size_t)i + (size_t)j * (size_t)m->ld;
    return m->dtype == DT_F32 ? (double)((const float *)m->data)[k] : ((const double *)m->data)[k];
}

static inline void mat_set(struct matrix *m, int64_t i, int64_t j, double v)
{
    size_t k = (size_t)i + (size_t)j * (size_t)m->ld;
    if (m->dtype == DT_F32)
        ((float *)m->data)[k] = (float)v;
    else
        ((double *)m->data)[k] = v;
}

/* A vector is a rows x 1 matrix. Returns 0, or -1 when out of memory. */
int mat_alloc(struct matrix *m, enum dtype t, int64_t rows, int64_t cols);
void mat_free(struct matrix *m);

/* dst's rows [row0, row0 + src->rows) = src; and dst = src's rows
 * [row0, row0 + dst->rows). Same dtype and columns, any leading dimensions. */
void mat_put_rows(struct matrix *dst, int64_t row0, const struct matrix *src);
void mat_take_rows(const struct matrix *src, int64_t row0, struct matrix *dst);

#endif
