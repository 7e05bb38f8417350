#include "core/balance/sort_keys.h"

#include <stdlib.h>
#include <string.h>

#define DIGIT_BITS 11
#define BUCKETS (1u << DIGIT_BITS)
#define PASSES ((64 + DIGIT_BITS - 1) / DIGIT_BITS)

/* Descending cost as an ascending key; -0.0 is 0. */
static uint64_t desc_key(double c)
{
    uint64_t bits = 0;
    if (c != 0)
        memcpy(&bits, &c, sizeof bits);
    return ~bits;
}

int sort_desc_by_cost(const double *cost, size_t n, uint32_t *order, double *sorted)
{
    if (n == 0)
        return 0;
    uint64_t *key = malloc(n * sizeof *key), *key2 = malloc(n * sizeof *key2);
    uint32_t *tmp = malloc(n * sizeof *tmp);
    size_t(*count)[BUCKETS] = calloc(PASSES, sizeof *count);
    if (!key || !key2 || !tmp || !count) {
        free(key);
        free(key2);
        free(tmp);
        free(count);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        key[i] = desc_key(cost[i]);
        order[i] = (uint32_t)i;
        for (int p = 0; p < PASSES; p++)
            count[p][(key[i] >> (p * DIGIT_BITS)) & (BUCKETS - 1)]++;
    }
    uint64_t *src_key = key, *dst_key = key2;
    uint32_t *src = order, *dst = tmp;
    for (int p = 0; p < PASSES; p++) {
        unsigned shift = (unsigned)(p * DIGIT_BITS);
        if (count[p][(src_key[0] >> shift) & (BUCKETS - 1)] == n)
            continue; /* every key has the same digit here */
        size_t offset = 0;
        for (unsigned b = 0; b < BUCKETS; b++) {
            size_t c = count[p][b];
            count[p][b] = offset;
            offset += c;
        }
        for (size_t i = 0; i < n; i++) {
            size_t at = count[p][(src_key[i] >> shift) & (BUCKETS - 1)]++;
            dst_key[at] = src_key[i];
            dst[at] = src[i];
        }
        uint64_t *k = src_key;
        src_key = dst_key;
        dst_key = k;
        uint32_t *o = src;
        src = dst;
        dst = o;
    }
    if (src != order)
        memcpy(order, src, n * sizeof *order);
    for (size_t i = 0; sorted && i < n; i++) {
        uint64_t bits = ~src_key[i];
        memcpy(&sorted[i], &bits, sizeof sorted[i]);
    }
    free(key);
    free(key2);
    free(tmp);
    free(count);
    return 0;
}
