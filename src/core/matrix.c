#include "core/matrix.h"

#include <string.h>

#include <stdlib.h>

int mat_alloc(struct matrix *m, enum dtype t, int64_t rows, int64_t cols)
{
    *m = (struct matrix){.dtype = t, .rows = rows, .cols = cols, .ld = rows > 0 ? rows : 1};
    size_t bytes = (size_t)(rows > 0 ? rows : 1) * (size_t)(cols > 0 ? cols : 1) * dtype_size(t);
    /* 64-byte alignment for the BLAS kernels; size rounded up as aligned_alloc requires */
    m->data = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    return m->data ? 0 : -1;
}

void mat_free(struct matrix *m)
{
    free(m->data);
    m->data = NULL;
}

void mat_put_rows(struct matrix *dst, int64_t row0, const struct matrix *src)
{
    size_t es = dtype_size(src->dtype);
    for (int64_t j = 0; j < src->cols; j++)
        memcpy((char *)dst->data + (size_t)(j * dst->ld + row0) * es, (const char *)src->data + (size_t)(j * src->ld) * es,
               (size_t)src->rows * es);
}

void mat_take_rows(const struct matrix *src, int64_t row0, struct matrix *dst)
{
    size_t es = dtype_size(src->dtype);
    for (int64_t j = 0; j < dst->cols; j++)
        memcpy((char *)dst->data + (size_t)(j * dst->ld) * es, (const char *)src->data + (size_t)(j * src->ld + row0) * es,
               (size_t)dst->rows * es);
}
