/* Karmarkar–Karp largest differencing for P-way partitions.
 *
 * A partial solution is a P-tuple of subsets kept sorted by load; its spread
 * is max - min load. Repeatedly the two tuples with the largest spreads are
 * merged, the heaviest subset of one with the lightest of the other
 * (new_j = A_j + B_{P-1-j}), until one tuple is left: its subsets are the
 * ranks. Ties go to the tuple made first.
 *
 * Made fast by representation rather than by shortcuts:
 * - tuples store only their non-empty subsets (zeros are implicit), so a
 *   tuple of k items costs O(min(k, P)) memory and the whole run O(n);
 * - single items are never allocated as tuples: they wait in one array
 *   sorted by cost, and the next one competes with the heap's top;
 * - subsets are linked lists of items, so joining two is O(1);
 * - a merge sorts only the subsets that changed and merges them into the
 *   untouched prefix from the back, in place: appending a small item to a
 *   growing tuple is O(1).
 * The merge result does not depend on which input is called A: the pairs
 * (A_j, B_{P-1-j}) are the same read from either end. */
#include <stdlib.h>
#include <string.h>

#include "core/balance/partition_impl.h"
#include "core/balance/sort_keys.h"

struct slot {
    double load;
    int32_t head, tail; /* items, linked through next[] */
};

struct tuple {
    struct slot *s; /* sorted: heavier first, ties by head item */
    int32_t len, cap;
};

struct entry {
    double spread;
    int64_t id; /* creation order: singles 0..n-1 (by rank of cost), tuples n.. */
    struct tuple *t;
};

struct kk {
    const double *cost;
    int32_t nranks;
    int32_t *next;   /* item -> next item in its subset, -1 at the end */
    uint32_t *order; /* items by cost, largest first */
    size_t nsingles, single; /* singles order[single..nsingles) are still waiting */
    struct entry *heap;
    size_t nheap;
    int64_t next_id;
    struct slot *scratch; /* nranks slots */
};

static int slot_before(const struct slot *a, const struct slot *b)
{
    return a->load > b->load || (a->load == b->load && a->head < b->head);
}

static double tuple_spread(const struct tuple *t, int32_t nranks)
{
    if (t->len == 0)
        return 0;
    return t->s[0].load - (t->len == nranks ? t->s[nranks - 1].load : 0);
}

/* Max-heap on (spread, -id). */
static int entry_above(const struct entry *a, const struct entry *b)
{
    return a->spread > b->spread || (a->spread == b->spread && a->id < b->id);
}

static void heap_push(struct kk *k, struct entry e)
{
    size_t i = k->nheap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!entry_above(&e, &k->heap[p]))
            break;
        k->heap[i] = k->heap[p];
        i = p;
    }
    k->heap[i] = e;
}

static struct entry heap_pop(struct kk *k)
{
    struct entry top = k->heap[0], last = k->heap[--k->nheap];
    size_t i = 0, n = k->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && entry_above(&k->heap[c + 1], &k->heap[c]))
            c++;
        if (!entry_above(&k->heap[c], &last))
            break;
        k->heap[i] = k->heap[c];
        i = c;
    }
    if (n)
        k->heap[i] = last;
    return top;
}

/* The next partial solution by (spread, id): a tuple from the heap or the
 * next single item (t == NULL, id = its position in order[]). */
static struct entry take_next(struct kk *k)
{
    if (k->single < k->nsingles) {
        struct entry s = {k->cost[k->order[k->single]], (int64_t)k->single, NULL};
        if (k->nheap == 0 || entry_above(&s, &k->heap[0])) {
            k->single++;
            return s;
        }
    }
    return heap_pop(k);
}

static int by_slot_order(const void *pa, const void *pb)
{
    const struct slot *a = pa, *b = pb;
    return slot_before(a, b) ? -1 : slot_before(b, a) ? 1 : 0;
}

static int tuple_reserve(struct tuple *t, int32_t need, int32_t nranks)
{
    if (need <= t->cap)
        return 0;
    int32_t cap = t->cap ? t->cap : 4;
    while (cap < need)
        cap = cap > nranks / 2 ? nranks : cap * 2;
    struct slot *s = realloc(t->s, (size_t)cap * sizeof *s);
    if (!s)
        return -1;
    t->s = s;
    t->cap = cap;
    return 0;
}

/* x = merge(x, y), x's storage reused. y may be a one-slot view. */
static int merge_into(struct kk *k, struct tuple *x, const struct slot *y, int32_t ky)
{
    int32_t P = k->nranks, kx = x->len;
    int32_t keep = kx < P - ky ? kx : P - ky; /* x's untouched prefix */
    int32_t overlap = kx - keep;              /* x slots that gain a y slot */
    struct slot *sc = k->scratch;
    /* y's slots reversed: y_{ky-1} (lightest) meets x_{P-ky} */
    for (int32_t t = 0; t < ky; t++) {
        int32_t j = P - ky + t;
        struct slot ys = y[ky - 1 - t];
        if (j < kx) {
            struct slot xs = x->s[j];
            k->next[xs.tail] = ys.head;
            sc[t] = (struct slot){xs.load + ys.load, xs.head, ys.tail};
        } else {
            sc[t] = ys;
        }
    }
    if (overlap > 0) {
        qsort(sc, (size_t)ky, sizeof *sc, by_slot_order);
    } else {
        for (int32_t a = 0, b = ky - 1; a < b; a++, b--) {
            struct slot s = sc[a];
            sc[a] = sc[b];
            sc[b] = s;
        }
    }
    if (tuple_reserve(x, keep + ky, P))
        return -1;
    int32_t i = keep - 1, j = ky - 1, w = keep + ky - 1;
    while (j >= 0) {
        if (i >= 0 && slot_before(&sc[j], &x->s[i]))
            x->s[w--] = x->s[i--];
        else
            x->s[w--] = sc[j--];
    }
    x->len = keep + ky;
    return 0;
}

static void tuple_free(struct tuple *t)
{
    if (t) {
        free(t->s);
        free(t);
    }
}

static struct slot single_slot(const struct kk *k, const struct entry *e)
{
    uint32_t item = k->order[e->id];
    return (struct slot){k->cost[item], (int32_t)item, (int32_t)item};
}

/* Merges the two partial solutions with the largest spreads into one. */
static int merge_step(struct kk *k)
{
    struct entry a = take_next(k), b = take_next(k);
    struct tuple *x, *drop = NULL;
    const struct slot *ys;
    struct slot single;
    int32_t ky = 1;
    if (a.t && b.t) { /* keep the bigger tuple's storage */
        x = b.t->len > a.t->len ? b.t : a.t;
        drop = x == a.t ? b.t : a.t;
        ys = drop->s;
        ky = drop->len;
    } else if (a.t || b.t) {
        x = a.t ? a.t : b.t;
        single = single_slot(k, a.t ? &b : &a);
        ys = &single;
    } else { /* two single items: a new tuple holding the first */
        if (!(x = calloc(1, sizeof *x)) || tuple_reserve(x, 2, k->nranks)) {
            tuple_free(x);
            return -1;
        }
        x->s[0] = single_slot(k, &a);
        x->len = 1;
        single = single_slot(k, &b);
        ys = &single;
    }
    int rc = merge_into(k, x, ys, ky);
    tuple_free(drop);
    if (rc) {
        tuple_free(x);
        return -1;
    }
    heap_push(k, (struct entry){tuple_spread(x, k->nranks), k->next_id++, x});
    return 0;
}

/* Equal-count start: chunk c holds the sorted items c*P .. c*P+P-1, one per slot. */
static int push_chunks(struct kk *k, size_t n)
{
    int32_t P = k->nranks;
    for (size_t c = 0; c * (size_t)P < n; c++) {
        struct tuple *t = calloc(1, sizeof *t);
        size_t first = c * (size_t)P, len = n - first < (size_t)P ? n - first : (size_t)P;
        if (!t || tuple_reserve(t, (int32_t)len, P)) {
            tuple_free(t);
            return -1;
        }
        for (size_t j = 0; j < len; j++) {
            uint32_t item = k->order[first + j];
            t->s[j] = (struct slot){k->cost[item], (int32_t)item, (int32_t)item};
        }
        t->len = (int32_t)len;
        heap_push(k, (struct entry){tuple_spread(t, P), k->next_id++, t});
    }
    return 0;
}

static void write_owners(const struct kk *k, const struct tuple *t, int32_t *owner)
{
    for (int32_t r = 0; r < t->len; r++)
        for (int32_t i = t->s[r].head; i >= 0; i = k->next[i])
            owner[i] = r;
}

int partition_kk(const double *cost, size_t n, int32_t nranks, int equal_count, int32_t *owner)
{
    if (nranks == 1 || n <= 1) {
        for (size_t i = 0; i < n; i++)
            owner[i] = 0;
        return 0;
    }
    struct kk k = {.cost = cost, .nranks = nranks};
    size_t max_tuples = equal_count ? n / (size_t)nranks + 1 : n;
    k.next = malloc(n * sizeof *k.next);
    k.order = malloc(n * sizeof *k.order);
    k.heap = malloc(max_tuples * sizeof *k.heap);
    k.scratch = malloc((size_t)nranks * sizeof *k.scratch);
    int rc = !k.next || !k.order || !k.heap || !k.scratch || sort_desc_by_cost(cost, n, k.order, NULL) ? -1 : 0;
    if (!rc) {
        memset(k.next, 0xff, n * sizeof *k.next);
        k.nsingles = equal_count ? 0 : n;
        k.next_id = equal_count ? 0 : (int64_t)n;
        if (equal_count)
            rc = push_chunks(&k, n);
    }
    while (!rc && k.nheap + (k.nsingles - k.single) > 1)
        rc = merge_step(&k);
    if (!rc)
        write_owners(&k, k.heap[0].t, owner);
    for (size_t i = 0; i < k.nheap; i++)
        tuple_free(k.heap[i].t);
    free(k.next);
    free(k.order);
    free(k.heap);
    free(k.scratch);
    return rc;
}
