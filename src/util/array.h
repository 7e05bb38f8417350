/* Growing arrays: the one place that doubles a capacity. */
#ifndef FIDRUN_ARRAY_H
#define FIDRUN_ARRAY_H

#include <stddef.h>
#include <stdlib.h>

/* Makes room for at least `need` elements of `elem` bytes in *items
 * (capacity *cap, doubled as needed, at least `first`). 0, or -1 when out
 * of memory (the array is then unchanged). */
static inline int array_reserve(void **items, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : first;
    while (c < need)
        c *= 2;
    void *p = realloc(*items, c * elem);
    if (!p)
        return -1;
    *items = p;
    *cap = c;
    return 0;
}

#endif
