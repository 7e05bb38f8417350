#include "core/balance/partition.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/balance/partition_impl.h"
#include "core/balance/rank_heap.h"
#include "core/balance/sort_keys.h"

static const char *const algo_names[PA_COUNT] = {"block", "roundrobin", "greedy", "lpt", "kk", "kk-equal"};

struct partition_spec partition_spec_from_code(int code)
{
    return (struct partition_spec){(enum partition_algo)(code & 0xff), (code >> 8) & 1};
}

const char *partition_spec_name(struct partition_spec s, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s", s.algo < PA_COUNT ? algo_names[s.algo] : "?", s.refine ? "+refine" : "");
    return buf;
}

int partition_spec_parse(const char *name, struct partition_spec *s)
{
    size_t len = strlen(name);
    const char *suffix = "+refine";
    size_t slen = strlen(suffix);
    int refine = len > slen && strcmp(name + len - slen, suffix) == 0;
    size_t base = refine ? len - slen : len;
    for (int a = 0; a < PA_COUNT; a++) {
        if (strlen(algo_names[a]) == base && strncmp(name, algo_names[a], base) == 0) {
            *s = (struct partition_spec){(enum partition_algo)a, refine};
            return 0;
        }
    }
    return -1;
}

static const struct {
    struct partition_spec spec;
    const char *name;
} catalog[] = {
    {{PA_BLOCK, 0}, "block"},       {{PA_ROUNDROBIN, 0}, "roundrobin"}, {{PA_GREEDY, 0}, "greedy"},
    {{PA_LPT, 0}, "lpt"},           {{PA_KK, 0}, "kk"},                 {{PA_KK_EQUAL, 0}, "kk-equal"},
    {{PA_LPT, 1}, "lpt+refine"},    {{PA_KK, 1}, "kk+refine"},          {{PA_KK_EQUAL, 1}, "kk-equal+refine"},
};
#define CATALOG_SIZE (sizeof catalog / sizeof catalog[0])

size_t partition_catalog(struct partition_spec *out, size_t max)
{
    for (size_t i = 0; i < CATALOG_SIZE && i < max; i++)
        out[i] = catalog[i].spec;
    return CATALOG_SIZE;
}

size_t partition_catalog_names(const char **names, size_t max)
{
    for (size_t i = 0; i < CATALOG_SIZE && i < max; i++)
        names[i] = catalog[i].name;
    return CATALOG_SIZE;
}

size_t partition_find_bad_cost(const double *cost, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(cost[i] >= 0) || isinf(cost[i]))
            return i;
    return n;
}

static void assign_block(size_t n, int32_t nranks, int32_t *owner)
{
    size_t per = n / (size_t)nranks;
    for (size_t i = 0; i < n; i++) {
        size_t r = per ? i / per : (size_t)nranks - 1;
        owner[i] = (int32_t)(r < (size_t)nranks ? r : (size_t)nranks - 1);
    }
}

static void assign_roundrobin(size_t n, int32_t nranks, int32_t *owner)
{
    for (size_t i = 0; i < n; i++)
        owner[i] = (int32_t)(i % (size_t)nranks);
}

/* Item order[k] (k when order is NULL) of cost cost[k], in turn, each to
 * the least-loaded rank. */
static int assign_list(const double *cost, const uint32_t *order, size_t n, int32_t nranks, int32_t *owner)
{
    struct rank_heap h;
    if (rank_heap_init(&h, nranks))
        return PART_NOMEM;
    for (size_t k = 0; k < n; k++) {
        owner[order ? order[k] : k] = rank_heap_top(&h);
        rank_heap_add_to_top(&h, cost[k]);
    }
    rank_heap_free(&h);
    return PART_OK;
}

static int assign_lpt(const double *cost, size_t n, int32_t nranks, int32_t *owner)
{
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    double *sorted = malloc((n ? n : 1) * sizeof *sorted);
    int rc = order && sorted && !sort_desc_by_cost(cost, n, order, sorted) ? PART_OK : PART_NOMEM;
    if (rc == PART_OK)
        rc = assign_list(sorted, order, n, nranks, owner);
    free(order);
    free(sorted);
    return rc;
}

/* A power of two that keeps n * max cost far from overflow (1 when it is). */
static double overflow_scale(const double *cost, size_t n)
{
    double max = 0;
    for (size_t i = 0; i < n; i++)
        if (cost[i] > max)
            max = cost[i];
    int e;
    frexp(max, &e);
    int headroom = 1000 - (int)ceil(log2((double)(n ? n : 1)));
    return e > headroom ? ldexp(1.0, headroom - e) : 1.0;
}

static int assign_scaled(struct partition_spec s, const double *cost, size_t n, int32_t nranks, int32_t *owner)
{
    int rc;
    switch (s.algo) {
    case PA_BLOCK:
        assign_block(n, nranks, owner);
        rc = PART_OK;
        break;
    case PA_ROUNDROBIN:
        assign_roundrobin(n, nranks, owner);
        rc = PART_OK;
        break;
    case PA_GREEDY:
        rc = assign_list(cost, NULL, n, nranks, owner);
        break;
    case PA_LPT:
        rc = assign_lpt(cost, n, nranks, owner);
        break;
    case PA_KK:
    case PA_KK_EQUAL:
        rc = partition_kk(cost, n, nranks, s.algo == PA_KK_EQUAL, owner);
        break;
    default:
        return PART_BADRANKS;
    }
    if (rc == PART_OK && s.refine)
        rc = partition_refine(cost, n, nranks, s.algo == PA_KK_EQUAL, 0, owner);
    return rc;
}

int partition_assign(struct partition_spec s, const double *cost, size_t n, int32_t nranks, int32_t *owner)
{
    if (nranks < 1 || nranks > PARTITION_MAX_RANKS)
        return PART_BADRANKS;
    if (n > PARTITION_MAX_ITEMS || partition_find_bad_cost(cost, n) != n)
        return PART_BADCOST;
    double scale = overflow_scale(cost, n);
    if (scale == 1.0)
        return assign_scaled(s, cost, n, nranks, owner);
    double *scaled = malloc(n * sizeof *scaled);
    if (!scaled)
        return PART_NOMEM;
    for (size_t i = 0; i < n; i++)
        scaled[i] = cost[i] * scale;
    int rc = assign_scaled(s, scaled, n, nranks, owner);
    free(scaled);
    return rc;
}

int partition_improve(const double *cost, size_t n, int32_t nranks, int32_t *owner)
{
    return partition_refine(cost, n, nranks, 0, 1, owner) ? PART_NOMEM : PART_OK;
}

void partition_loads(const double *cost, const int32_t *owner, size_t n, int32_t nranks, double *loads)
{
    for (int32_t r = 0; r < nranks; r++)
        loads[r] = 0;
    for (size_t i = 0; i < n; i++)
        if (owner[i] >= 0 && owner[i] < nranks)
            loads[owner[i]] += cost[i];
}

double load_imbalance(const double *loads, int32_t nranks)
{
    double max = 0, sum = 0;
    for (int32_t r = 0; r < nranks; r++) {
        sum += loads[r];
        if (loads[r] > max)
            max = loads[r];
    }
    return sum > 0 ? max / (sum / nranks) : 1.0;
}

double lpt_graham_bound(int32_t nranks) { return 4.0 / 3.0 - 1.0 / (3.0 * nranks); }

int partition_metrics_compute(const double *cost, const int32_t *owner, size_t n, int32_t nranks,
                              struct partition_metrics *m)
{
    /* long double: sums of up to 10^8 costs near DBL_MAX still fit */
    long double *load = calloc((size_t)nranks, sizeof *load);
    int64_t *items = calloc((size_t)nranks, sizeof *items);
    if (!load || !items) {
        free(load);
        free(items);
        return -1;
    }
    memset(m, 0, sizeof *m);
    long double total = 0;
    double max_cost = 0;
    for (size_t i = 0; i < n; i++) {
        total += cost[i];
        if (cost[i] > max_cost)
            max_cost = cost[i];
        if (owner[i] < 0 || owner[i] >= nranks) {
            m->unassigned++;
            continue;
        }
        load[owner[i]] += cost[i];
        items[owner[i]]++;
    }
    long double max = 0, min = load[0], sum = 0, sumsq = 0;
    m->min_items = items[0];
    for (int32_t r = 0; r < nranks; r++) {
        max = load[r] > max ? load[r] : max;
        min = load[r] < min ? load[r] : min;
        sum += load[r];
        m->min_items = items[r] < m->min_items ? items[r] : m->min_items;
        m->max_items = items[r] > m->max_items ? items[r] : m->max_items;
    }
    long double mean = sum / nranks;
    for (int32_t r = 0; r < nranks; r++)
        sumsq += (load[r] - mean) * (load[r] - mean);
    long double lb = total / nranks > max_cost ? total / nranks : max_cost;
    m->total = (double)total;
    m->makespan = (double)max;
    m->lower_bound = (double)lb;
    m->gap = lb > 0 ? (double)(max / lb - 1) : 0;
    m->max_over_mean = mean > 0 ? (double)(max / mean) : 1;
    m->min_over_max = max > 0 ? (double)(min / max) : 1;
    m->load_std = (double)sqrtl(sumsq / nranks);
    m->efficiency = max > 0 ? (double)(mean / max) : 1;
    free(load);
    free(items);
    return 0;
}
