/* The four packers. Each assigns the kept sequences k->idx[0..m) to
 * (row, rank) cells holding at most k->budget tokens. */
#include <math.h>
#include <stdlib.h>

#include "core/balance/packing_impl.h"
#include "core/balance/partition.h"
#include "core/balance/rank_heap.h"

static void place(struct packing *p, uint32_t i, int64_t row, int32_t rank)
{
    p->row[i] = row;
    p->rank[i] = rank;
}

/* mini_trainer's sampler: each sequence to the least-loaded rank of the
 * current row; when that rank would overflow, the row is closed and the
 * sequence opens the next one on rank 0. */
int pack_greedy(const struct kept *k, struct packing *p)
{
    struct rank_heap h;
    if (rank_heap_init(&h, k->nranks))
        return PACK_NOMEM;
    int64_t row = 0;
    int any = 0;
    for (size_t j = 0; j < k->m; j++) {
        int64_t len = k->len[k->idx[j]];
        if (rank_heap_top_load(&h) + (double)len > (double)k->budget) {
            row++;
            rank_heap_reset(&h);
        }
        place(p, k->idx[j], row, rank_heap_top(&h));
        rank_heap_add_to_top(&h, (double)len);
        any = 1;
    }
    p->nrows = any ? row + 1 : 0;
    rank_heap_free(&h);
    return PACK_OK;
}

/* Does LPT fit sorted[0..count) on the heap's ranks under the budget? */
static int lpt_fits(struct rank_heap *h, const double *sorted, size_t count, double budget)
{
    rank_heap_reset(h);
    for (size_t j = 0; j < count; j++) {
        if (rank_heap_top_load(h) + sorted[j] > budget)
            return 0;
        rank_heap_add_to_top(h, sorted[j]);
    }
    return 1;
}

/* mini_trainer's batch_packer: sorted longest first; each row takes the
 * longest prefix of what is left that LPT fits on the P ranks, found by
 * binary search between 1 and the prefix whose sum reaches P budget. */
int pack_lpt_bsearch(const struct kept *k, struct packing *p)
{
    struct rank_heap h;
    if (rank_heap_init(&h, k->nranks))
        return PACK_NOMEM;
    double budget = (double)k->budget, row_capacity = budget * k->nranks;
    int64_t row = 0;
    for (size_t start = 0; start < k->m; row++) {
        const double *s = k->sorted + start;
        size_t remaining = k->m - start, reach = 0;
        double sum = 0;
        while (reach < remaining && sum + s[reach] <= row_capacity)
            sum += s[reach++];
        size_t left = 1, right = reach + 1 < remaining + 1 ? reach + 1 : remaining + 1;
        while (right - left > 1) {
            size_t mid = left + (right - left) / 2;
            if (lpt_fits(&h, s, mid, budget))
                left = mid;
            else
                right = mid;
        }
        rank_heap_reset(&h);
        for (size_t j = 0; j < left; j++) {
            place(p, k->idx[start + j], row, rank_heap_top(&h));
            rank_heap_add_to_top(&h, s[j]);
        }
        start += left;
    }
    p->nrows = row;
    rank_heap_free(&h);
    return PACK_OK;
}

/* First fit decreasing with a max-tree over the bins' free space, so the
 * first bin with room is found in O(log bins). Bin b is opened before b+1.
 * Returns the bin of each kept sequence (in k->idx order) and the count. */
static int ffd_bins(const struct kept *k, int64_t *bin_of, int64_t *nbins)
{
    size_t leaves = 1;
    while (leaves < k->m)
        leaves *= 2;
    int64_t *room = malloc(2 * leaves * sizeof *room);
    if (!room)
        return PACK_NOMEM;
    for (size_t i = 0; i < 2 * leaves; i++)
        room[i] = k->budget;
    *nbins = 0;
    for (size_t j = 0; j < k->m; j++) {
        int64_t len = (int64_t)k->sorted[j];
        size_t node = 1;
        while (node < leaves) /* leftmost child with room; the root always has it */
            node = room[2 * node] >= len ? 2 * node : 2 * node + 1;
        int64_t b = (int64_t)(node - leaves);
        bin_of[j] = b;
        *nbins = b + 1 > *nbins ? b + 1 : *nbins;
        room[node] -= len;
        for (node /= 2; node >= 1; node /= 2)
            room[node] = room[2 * node] > room[2 * node + 1] ? room[2 * node] : room[2 * node + 1];
    }
    free(room);
    return PACK_OK;
}

/* Multipack-style: FFD bins of the budget, P consecutive bins to a row. */
int pack_ffd(const struct kept *k, struct packing *p)
{
    int64_t *bin_of = malloc((k->m ? k->m : 1) * sizeof *bin_of), nbins;
    if (!bin_of || ffd_bins(k, bin_of, &nbins)) {
        free(bin_of);
        return PACK_NOMEM;
    }
    for (size_t j = 0; j < k->m; j++)
        place(p, k->idx[j], bin_of[j] / k->nranks, (int32_t)(bin_of[j] % k->nranks));
    p->nrows = (nbins + k->nranks - 1) / k->nranks;
    free(bin_of);
    return PACK_OK;
}

/* LPT over rows x ranks bins at once: bin_of[j] for each sorted sequence,
 * and the bins' loads. 1 if everything fits under the budget. */
static int global_lpt_fits(const struct kept *k, int64_t rows, int64_t *bin_of, double *bin_load, int *ok)
{
    struct rank_heap h;
    if (rank_heap_init(&h, (int32_t)(rows * k->nranks)))
        return PACK_NOMEM;
    *ok = 1;
    for (size_t j = 0; j < k->m && *ok; j++) {
        if (rank_heap_top_load(&h) + k->sorted[j] > (double)k->budget)
            *ok = 0;
        bin_of[j] = rank_heap_top(&h);
        rank_heap_add_to_top(&h, k->sorted[j]);
    }
    for (int32_t i = 0; i < h.n; i++)
        bin_load[h.rank[i]] = h.load[i];
    rank_heap_free(&h);
    return PACK_OK;
}

struct bin_rank {
    double load;
    int64_t bin;
};

static int by_load_desc(const void *pa, const void *pb)
{
    const struct bin_rank *a = pa, *b = pb;
    if (a->load != b->load)
        return a->load > b->load ? -1 : 1;
    return (a->bin > b->bin) - (a->bin < b->bin);
}

/* Rows: bins sorted by load, P at a time, so each row's ranks carry
 * similar loads. */
static int bins_to_rows(const struct kept *k, int64_t rows, const int64_t *bin_of, const double *bin_load,
                        struct packing *p)
{
    size_t nb = (size_t)(rows * k->nranks);
    struct bin_rank *br = malloc(nb * sizeof *br);
    int64_t *slot = malloc(nb * sizeof *slot);
    if (!br || !slot) {
        free(br);
        free(slot);
        return PACK_NOMEM;
    }
    for (size_t b = 0; b < nb; b++)
        br[b] = (struct bin_rank){bin_load[b], (int64_t)b};
    qsort(br, nb, sizeof *br, by_load_desc);
    for (size_t s = 0; s < nb; s++)
        slot[br[s].bin] = (int64_t)s;
    for (size_t j = 0; j < k->m; j++)
        place(p, k->idx[j], slot[bin_of[j]] / k->nranks, (int32_t)(slot[bin_of[j]] % k->nranks));
    p->nrows = rows;
    free(br);
    free(slot);
    return PACK_OK;
}

/* Repair: within each row, moves and swaps between its ranks that lower
 * the row's heaviest rank (so never above the budget). */
static int improve_rows(const struct kept *k, struct packing *p)
{
    int64_t *first = NULL;
    uint32_t *by_row = NULL;
    double *cost = malloc((k->m ? k->m : 1) * sizeof *cost);
    int32_t *rank = malloc((k->m ? k->m : 1) * sizeof *rank);
    int rc = cost && rank && !pack_group_by_row(p, k->n, &first, &by_row) ? PACK_OK : PACK_NOMEM;
    for (int64_t r = 0; !rc && r < p->nrows; r++) {
        int64_t begin = first[r], count = first[r + 1] - begin;
        for (int64_t t = 0; t < count; t++) {
            cost[t] = (double)k->len[by_row[begin + t]];
            rank[t] = p->rank[by_row[begin + t]];
        }
        if (partition_improve(cost, (size_t)count, k->nranks, rank))
            rc = PACK_NOMEM;
        for (int64_t t = 0; !rc && t < count; t++)
            p->rank[by_row[begin + t]] = rank[t];
    }
    free(first);
    free(by_row);
    free(cost);
    free(rank);
    return rc;
}

/* Ours. The row count starts at the lower bound ceil(tokens / (P budget));
 * LPT over all rows x ranks bins either fits under the budget or the count
 * grows, by binary search up to FFD's row count. LPT across all bins keeps
 * every bin near the mean, and grouping bins of like load into rows keeps
 * each row balanced; a repair pass then evens out each row. If LPT fits at
 * no count up to FFD's, FFD's rows are repaired instead, so it never needs
 * more rows than FFD. */
int pack_global_lpt(const struct kept *k, struct packing *p)
{
    if (k->m == 0) {
        p->nrows = 0;
        return PACK_OK;
    }
    double tokens = 0;
    for (size_t j = 0; j < k->m; j++)
        tokens += k->sorted[j];
    int64_t lo = (int64_t)ceil(tokens / ((double)k->budget * k->nranks)), hi, nbins;
    lo = lo < 1 ? 1 : lo;
    int64_t *bin_of = malloc(k->m * sizeof *bin_of);
    if (!bin_of || ffd_bins(k, bin_of, &nbins)) {
        free(bin_of);
        return PACK_NOMEM;
    }
    hi = (nbins + k->nranks - 1) / k->nranks;
    if ((double)hi * k->nranks > 2e9) { /* too many bins for one heap: FFD it is */
        free(bin_of);
        return pack_ffd(k, p);
    }
    double *bin_load = malloc((size_t)(hi * k->nranks) * sizeof *bin_load);
    int ok = 0, rc = bin_load ? PACK_OK : PACK_NOMEM;
    int64_t best = -1;
    while (!rc && lo <= hi) { /* smallest row count in [lo, hi] where LPT fits */
        int64_t mid = lo + (hi - lo) / 2;
        rc = global_lpt_fits(k, mid, bin_of, bin_load, &ok);
        if (ok) {
            best = mid;
            hi = mid - 1;
        } else {
            lo = mid + 1;
        }
    }
    if (!rc && best > 0)
        rc = global_lpt_fits(k, best, bin_of, bin_load, &ok);
    if (!rc)
        rc = best > 0 && ok ? bins_to_rows(k, best, bin_of, bin_load, p) : pack_ffd(k, p);
    free(bin_of);
    free(bin_load);
    return rc ? rc : improve_rows(k, p);
}
