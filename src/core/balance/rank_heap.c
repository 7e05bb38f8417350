#include "core/balance/rank_heap.h"

#include <stdlib.h>

int rank_heap_init(struct rank_heap *h, int32_t n)
{
    h->n = n;
    h->load = malloc((size_t)(n > 0 ? n : 1) * sizeof *h->load);
    h->rank = malloc((size_t)(n > 0 ? n : 1) * sizeof *h->rank);
    if (!h->load || !h->rank) {
        rank_heap_free(h);
        return -1;
    }
    rank_heap_reset(h);
    return 0;
}

/* All loads zero and ranks ascending: already a valid heap. */
void rank_heap_reset(struct rank_heap *h)
{
    for (int32_t r = 0; r < h->n; r++) {
        h->load[r] = 0;
        h->rank[r] = r;
    }
}

void rank_heap_free(struct rank_heap *h)
{
    free(h->load);
    free(h->rank);
    h->load = NULL;
    h->rank = NULL;
    h->n = 0;
}

static int less(const struct rank_heap *h, int32_t a, int32_t b)
{
    if (h->load[a] != h->load[b])
        return h->load[a] < h->load[b];
    return h->rank[a] < h->rank[b];
}

void rank_heap_add_to_top(struct rank_heap *h, double amount)
{
    double load = h->load[0] + amount;
    int32_t rank = h->rank[0], i = 0, n = h->n;
    /* sift the hole down, moving the smaller child up, then drop the entry in */
    for (;;) {
        int32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && less(h, c + 1, c))
            c++;
        if (load < h->load[c] || (load == h->load[c] && rank < h->rank[c]))
            break;
        h->load[i] = h->load[c];
        h->rank[i] = h->rank[c];
        i = c;
    }
    h->load[i] = load;
    h->rank[i] = rank;
}
