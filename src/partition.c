#include "partition.h"

#include <stdlib.h>

const char *balance_algo_name(enum balance_algo a)
{
    return a == BAL_BLOCK ? "block" : "lpt";
}

struct keyed {
    double cost;
    size_t index;
};

static int by_cost_desc(const void *pa, const void *pb)
{
    const struct keyed *a = pa, *b = pb;
    if (a->cost != b->cost)
        return a->cost > b->cost ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Min-heap of ranks ordered by (load, rank). */
struct heap {
    double *load;
    int *rank;
    int n;
};

static int heap_less(const struct heap *h, int a, int b)
{
    if (h->load[a] != h->load[b])
        return h->load[a] < h->load[b];
    return h->rank[a] < h->rank[b];
}

static void heap_swap(struct heap *h, int a, int b)
{
    double l = h->load[a];
    int r = h->rank[a];
    h->load[a] = h->load[b];
    h->rank[a] = h->rank[b];
    h->load[b] = l;
    h->rank[b] = r;
}

static void heap_sift_down(struct heap *h, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && heap_less(h, l, m))
            m = l;
        if (r < h->n && heap_less(h, r, m))
            m = r;
        if (m == i)
            return;
        heap_swap(h, i, m);
        i = m;
    }
}

static int assign_lpt(const double *cost, size_t n, int nranks, int *owner)
{
    struct keyed *items = malloc((n ? n : 1) * sizeof *items);
    struct heap h = {malloc((size_t)nranks * sizeof *h.load), malloc((size_t)nranks * sizeof *h.rank), nranks};
    if (!items || !h.load || !h.rank) {
        free(items);
        free(h.load);
        free(h.rank);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        items[i] = (struct keyed){cost[i], i};
    qsort(items, n, sizeof *items, by_cost_desc);
    /* all loads zero and ranks ascending: already a valid heap */
    for (int r = 0; r < nranks; r++) {
        h.load[r] = 0;
        h.rank[r] = r;
    }
    for (size_t i = 0; i < n; i++) {
        owner[items[i].index] = h.rank[0];
        h.load[0] += items[i].cost;
        heap_sift_down(&h, 0);
    }
    free(items);
    free(h.load);
    free(h.rank);
    return 0;
}

static void assign_block(size_t n, int nranks, int *owner)
{
    size_t per = n / (size_t)nranks;
    for (size_t i = 0; i < n; i++) {
        size_t r = per ? i / per : (size_t)nranks - 1;
        owner[i] = (int)(r < (size_t)nranks ? r : (size_t)nranks - 1);
    }
}

int partition_assign(enum balance_algo algo, const double *cost, size_t n, int nranks, int *owner)
{
    if (nranks < 1)
        return -1;
    if (algo == BAL_BLOCK) {
        assign_block(n, nranks, owner);
        return 0;
    }
    return assign_lpt(cost, n, nranks, owner);
}

void partition_loads(const double *cost, const int *owner, size_t n, int nranks, double *loads)
{
    for (int r = 0; r < nranks; r++)
        loads[r] = 0;
    for (size_t i = 0; i < n; i++)
        loads[owner[i]] += cost[i];
}

double load_imbalance(const double *loads, int nranks)
{
    double max = 0, sum = 0;
    for (int r = 0; r < nranks; r++) {
        sum += loads[r];
        if (loads[r] > max)
            max = loads[r];
    }
    return sum > 0 ? max / (sum / nranks) : 1.0;
}
