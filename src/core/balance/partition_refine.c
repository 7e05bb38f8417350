#define _GNU_SOURCE /* qsort_r */
/* Refinement: local search that lowers the heaviest rank.
 *
 * Repeatedly take the heaviest rank h and, from the lightest rank upward,
 * look for a partner r (load difference d > 0) and an exchange that moves
 * delta in (0, d) from h to r: one item of h moved (delta = a), or an item
 * a of h swapped with a lighter item b of r (delta = a - b). Of those with
 * the partner, the one with delta nearest d/2 is applied. Each step lowers
 * the sorted load vector, so the search ends; it stops when h has no
 * improving exchange with anyone, when it is within 1e-9 of the lower
 * bound max(sum/P, max cost), or when a work budget of 8 (n + P) log(n + P)
 * elementary steps (about what sorting the input costs) is spent. Swaps
 * only: counts stay.
 *
 * Each rank's items are kept sorted by cost, so the best exchange with a
 * partner is a binary search per item of h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/balance/partition_impl.h"

struct rank_items {
    int32_t *item; /* sorted by (cost, index) */
    int32_t len, cap;
};

struct refine {
    const double *cost;
    int32_t nranks;
    struct rank_items *ri;
    double *load;
    int32_t *order; /* ranks by (load, rank), lightest first */
    int32_t *pos;   /* rank -> index in order */
    double work, budget;
    double good_enough; /* a makespan this close to the lower bound ends the search */
};

static int item_less(const double *cost, int32_t a, int32_t b)
{
    return cost[a] < cost[b] || (cost[a] == cost[b] && a < b);
}

static int rank_less(const struct refine *f, int32_t a, int32_t b)
{
    return f->load[a] < f->load[b] || (f->load[a] == f->load[b] && a < b);
}

/* First position in ri whose cost is >= value. */
static int32_t lower_bound(struct refine *f, const struct rank_items *ri, double value)
{
    int32_t lo = 0, hi = ri->len;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (f->cost[ri->item[mid]] < value)
            lo = mid + 1;
        else
            hi = mid;
    }
    f->work += log2((double)ri->len + 1) + 1;
    return lo;
}

static void remove_item(struct refine *f, struct rank_items *ri, int32_t item)
{
    int32_t lo = 0, hi = ri->len;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (item_less(f->cost, ri->item[mid], item))
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(ri->item + lo, ri->item + lo + 1, (size_t)(ri->len - lo - 1) * sizeof *ri->item);
    ri->len--;
    f->work += ri->len - lo;
}

static int insert_item(struct refine *f, struct rank_items *ri, int32_t item)
{
    if (ri->len == ri->cap) {
        int32_t cap = ri->cap ? ri->cap * 2 : 4;
        int32_t *p = realloc(ri->item, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        ri->item = p;
        ri->cap = cap;
    }
    int32_t at = ri->len;
    while (at > 0 && item_less(f->cost, item, ri->item[at - 1]))
        at--;
    memmove(ri->item + at + 1, ri->item + at, (size_t)(ri->len - at) * sizeof *ri->item);
    ri->item[at] = item;
    ri->len++;
    f->work += ri->len - at;
    return 0;
}

/* Moves rank r to its place in order[] after its load changed. */
static void reposition(struct refine *f, int32_t r)
{
    int32_t i = f->pos[r];
    while (i > 0 && rank_less(f, r, f->order[i - 1])) {
        f->order[i] = f->order[i - 1];
        f->pos[f->order[i]] = i;
        i--;
    }
    while (i + 1 < f->nranks && rank_less(f, f->order[i + 1], r)) {
        f->order[i] = f->order[i + 1];
        f->pos[f->order[i]] = i;
        i++;
    }
    f->order[i] = r;
    f->pos[r] = i;
}

struct exchange {
    int32_t give, take; /* item from h, item from r (-1: a move) */
    double delta, score; /* score: |d/2 - delta|, lower is better */
};

static void consider(struct exchange *best, int32_t give, int32_t take, double delta, double d)
{
    if (!(delta > 0 && delta < d))
        return;
    double score = fabs(d / 2 - delta);
    if (best->give < 0 || score < best->score)
        *best = (struct exchange){give, take, delta, score};
}

static struct exchange best_exchange(struct refine *f, int32_t h, int32_t r, int swaps_only)
{
    struct exchange best = {-1, -1, 0, INFINITY};
    const struct rank_items *hi = &f->ri[h], *ri = &f->ri[r];
    double d = f->load[h] - f->load[r];
    f->work += hi->len;
    if (!swaps_only && hi->len > 0) { /* move the item of h nearest d/2 */
        int32_t at = lower_bound(f, hi, d / 2);
        for (int32_t k = at - 1; k <= at; k++)
            if (k >= 0 && k < hi->len)
                consider(&best, hi->item[k], -1, f->cost[hi->item[k]], d);
    }
    for (int32_t k = 0; k < hi->len && ri->len > 0; k++) { /* swap a for the b nearest a - d/2 */
        int32_t a = hi->item[k];
        if (f->cost[a] <= f->cost[ri->item[0]])
            continue;
        int32_t at = lower_bound(f, ri, f->cost[a] - d / 2);
        for (int32_t j = at - 1; j <= at; j++)
            if (j >= 0 && j < ri->len)
                consider(&best, a, ri->item[j], f->cost[a] - f->cost[ri->item[j]], d);
    }
    return best;
}

static int apply(struct refine *f, int32_t h, int32_t r, const struct exchange *x, int32_t *owner)
{
    remove_item(f, &f->ri[h], x->give);
    if (insert_item(f, &f->ri[r], x->give))
        return -1;
    owner[x->give] = r;
    if (x->take >= 0) {
        remove_item(f, &f->ri[r], x->take);
        if (insert_item(f, &f->ri[h], x->take))
            return -1;
        owner[x->take] = h;
    }
    f->load[h] -= x->delta;
    f->load[r] += x->delta;
    reposition(f, h);
    reposition(f, r);
    return 0;
}

/* One improvement of the heaviest rank: 1 applied, 0 none left, -1 no memory. */
static int improve_heaviest(struct refine *f, int swaps_only, int32_t *owner)
{
    int32_t h = f->order[f->nranks - 1];
    if (f->load[h] <= f->good_enough)
        return 0;
    for (int32_t i = 0; i < f->nranks - 1 && f->work < f->budget; i++) {
        int32_t r = f->order[i];
        if (!(f->load[r] < f->load[h]))
            break;
        struct exchange x = best_exchange(f, h, r, swaps_only);
        if (x.give >= 0)
            return apply(f, h, r, &x, owner) ? -1 : 1;
    }
    return 0;
}

/* The same for the lightest rank, from the heaviest partner down. Every
 * exchange lowers the sum of squared loads, so the two together end. */
static int improve_lightest(struct refine *f, int swaps_only, int32_t *owner)
{
    int32_t l = f->order[0];
    for (int32_t i = f->nranks - 1; i > 0 && f->work < f->budget; i--) {
        int32_t r = f->order[i];
        if (!(f->load[r] > f->load[l]))
            break;
        struct exchange x = best_exchange(f, r, l, swaps_only);
        if (x.give >= 0)
            return apply(f, r, l, &x, owner) ? -1 : 1;
    }
    return 0;
}

static int by_rank_load(const void *pa, const void *pb, void *vf)
{
    const struct refine *f = vf;
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    return rank_less(f, a, b) ? -1 : rank_less(f, b, a);
}

static int by_item(const void *pa, const void *pb, void *vcost)
{
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    return item_less(vcost, a, b) ? -1 : item_less(vcost, b, a);
}

static int setup(struct refine *f, size_t n, const int32_t *owner)
{
    int32_t P = f->nranks;
    f->ri = calloc((size_t)P, sizeof *f->ri);
    f->load = calloc((size_t)P, sizeof *f->load);
    f->order = malloc((size_t)P * sizeof *f->order);
    f->pos = malloc((size_t)P * sizeof *f->pos);
    if (!f->ri || !f->load || !f->order || !f->pos)
        return -1;
    for (size_t i = 0; i < n; i++)
        f->ri[owner[i]].cap++;
    for (int32_t r = 0; r < P; r++) {
        f->ri[r].cap = f->ri[r].cap ? f->ri[r].cap : 1;
        if (!(f->ri[r].item = malloc((size_t)f->ri[r].cap * sizeof(int32_t))))
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct rank_items *ri = &f->ri[owner[i]];
        ri->item[ri->len++] = (int32_t)i;
        f->load[owner[i]] += f->cost[i];
    }
    double total = 0, biggest = 0;
    for (size_t i = 0; i < n; i++) {
        total += f->cost[i];
        biggest = f->cost[i] > biggest ? f->cost[i] : biggest;
    }
    f->good_enough = (total / P > biggest ? total / P : biggest) * (1 + 1e-9);
    for (int32_t r = 0; r < P; r++) {
        qsort_r(f->ri[r].item, (size_t)f->ri[r].len, sizeof(int32_t), by_item, (void *)f->cost);
        f->order[r] = r;
    }
    qsort_r(f->order, (size_t)P, sizeof *f->order, by_rank_load, f);
    for (int32_t i = 0; i < P; i++)
        f->pos[f->order[i]] = i;
    return 0;
}

static void teardown(struct refine *f)
{
    for (int32_t r = 0; f->ri && r < f->nranks; r++)
        free(f->ri[r].item);
    free(f->ri);
    free(f->load);
    free(f->order);
    free(f->pos);
}

int partition_refine(const double *cost, size_t n, int32_t nranks, int swaps_only, int raise_min, int32_t *owner)
{
    if (nranks < 2 || n == 0)
        return 0;
    double size = (double)n + nranks;
    struct refine f = {.cost = cost, .nranks = nranks, .budget = 8 * size * (log2(size) + 1) + (1 << 20)};
    int rc = setup(&f, n, owner);
    while (!rc && f.work < f.budget) {
        int step = improve_heaviest(&f, swaps_only, owner);
        if (step == 0 && raise_min)
            step = improve_lightest(&f, swaps_only, owner);
        if (step <= 0) {
            rc = step;
            break;
        }
    }
    teardown(&f);
    return rc;
}
