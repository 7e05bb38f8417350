#include "core/matrix.h"

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
