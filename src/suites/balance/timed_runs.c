#include "suites/balance/timed_runs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/costs_text.h"
#include "suites/balance/balance.h"
#include "util/clock.h"

int time_partition(struct partition_spec s, const double *cost, size_t n, int32_t nranks, int repeats,
                   int32_t *owner, struct timed_partition *out, struct diag *d)
{
    int32_t *again = malloc((n ? n : 1) * sizeof *again);
    double *t = malloc((size_t)repeats * sizeof *t);
    int rc = again && t ? FR_OK : diag_fail(d, FR_RUNTIME, "out of memory for %zu items", n);
    out->deterministic = 1;
    /* a warm-up run first (caches, page faults), not timed; k = -1 */
    for (int k = -1; !rc && k < repeats; k++) {
        double t0 = now_seconds();
        int prc = partition_assign(s, cost, n, nranks, k > 0 ? again : owner);
        if (k >= 0)
            t[k] = timed_section_end(t0);
        if (prc == PART_NOMEM) {
            rc = diag_fail(d, FR_RUNTIME, "out of memory partitioning %zu items over %d ranks", n, nranks);
        } else if (prc) {
            size_t bad = partition_find_bad_cost(cost, n);
            rc = bad < n ? diag_fail(d, FR_USAGE, "cannot partition: item %zu has cost %g", bad, cost[bad])
                         : diag_fail(d, FR_USAGE, "cannot partition over %d ranks", nranks);
        } else if (k > 0 && memcmp(owner, again, n * sizeof *owner) != 0) {
            out->deterministic = 0;
        }
    }
    if (!rc)
        quartile_seconds(t, repeats, &out->q1_seconds, &out->median_seconds, &out->q3_seconds);
    if (!rc && partition_metrics_compute(cost, owner, n, nranks, &out->m))
        rc = diag_fail(d, FR_RUNTIME, "out of memory");
    free(again);
    free(t);
    return rc;
}

static int same_packing(const struct packing *a, const struct packing *b, size_t n)
{
    return a->nrows == b->nrows && memcmp(a->row, b->row, n * sizeof *a->row) == 0 &&
           memcmp(a->rank, b->rank, n * sizeof *a->rank) == 0;
}

int time_packing(enum pack_algo a, const int64_t *len, size_t n, int32_t nranks, int64_t budget, int repeats,
                 struct timed_packing *out, struct packing *plan, struct diag *d)
{
    struct packing first = {0}, again = {0};
    double *t = malloc((size_t)repeats * sizeof *t);
    int rc = t ? FR_OK : diag_fail(d, FR_RUNTIME, "out of memory");
    out->deterministic = 1;
    for (int k = -1; !rc && k < repeats; k++) { /* k = -1: a warm-up, not timed */
        struct packing *pk = k > 0 ? &again : &first;
        pack_free(pk);
        double t0 = now_seconds();
        if (pack_sequences(a, len, n, nranks, budget, pk))
            rc = diag_fail(d, FR_RUNTIME, "out of memory packing %zu sequences", n);
        if (k >= 0)
            t[k] = timed_section_end(t0);
        if (!rc && k > 0 && !same_packing(&first, &again, n))
            out->deterministic = 0;
    }
    if (!rc)
        quartile_seconds(t, repeats, &out->q1_seconds, &out->median_seconds, &out->q3_seconds);
    if (!rc && pack_metrics_compute(len, n, nranks, budget, &first, &out->m))
        rc = diag_fail(d, FR_RUNTIME, "out of memory");
    out->packer_dropped = first.dropped;
    if (plan && !rc)
        *plan = first;
    else
        pack_free(&first);
    pack_free(&again);
    free(t);
    return rc;
}

int study_items(const char *file, const char *column, int integers, const struct dist_spec *spec, uint64_t seed,
                int32_t nranks, double **items, size_t *n, struct diag *d)
{
    if (file)
        return costs_read(file, column, integers, items, n, d);
    if (dist_generate(spec, seed, nranks, items, n))
        return diag_fail(d, FR_RUNTIME, "out of memory generating %zu items of %s", dist_count(spec, nranks),
                         spec->name);
    /* the same bounds as a file's: loads are summed and squared in doubles */
    double sum = 0;
    for (size_t i = 0; i < *n; i++) {
        sum += (*items)[i];
        if (!(sum <= COSTS_MAX_TOTAL) || (integers && (*items)[i] > COSTS_MAX_LENGTH)) {
            int rc = diag_fail(d, FR_USAGE, "distribution %s: item %zu is %g and the total %g, over what the metrics "
                                            "can represent (a total of %g%s): choose smaller parameters",
                               spec->name, i, (*items)[i], sum, COSTS_MAX_TOTAL,
                               integers ? ", lengths of 2^53" : "");
            free(*items);
            *items = NULL;
            *n = 0;
            return rc;
        }
    }
    return FR_OK;
}

int measure_partition(struct partition_spec s, const double *v, size_t n, int32_t p, int repeats, int32_t *owner,
                      struct balance_partition_record *r, struct diag *d)
{
    double *loads = malloc((size_t)p * sizeof *loads);
    struct timed_partition tp;
    int rc = loads ? FR_OK : diag_fail(d, FR_RUNTIME, "out of memory for %d ranks", p);
    if (!rc)
        rc = time_partition(s, v, n, p, repeats, owner, &tp, d);
    if (!rc) {
        const struct partition_metrics *m = &tp.m;
        double sum = 0;
        partition_loads(v, owner, n, p, loads);
        for (int32_t q = 0; q < p; q++)
            sum += loads[q];
        partition_spec_name(s, r->algorithm, sizeof r->algorithm);
        r->ranks = p;
        r->items = (int64_t)n;
        r->total = m->total;
        r->makespan = m->makespan;
        r->lower_bound = m->lower_bound;
        r->gap = m->gap;
        r->max_over_mean = m->max_over_mean;
        r->min_over_max = m->min_over_max;
        r->load_std = m->load_std;
        r->efficiency = m->efficiency;
        r->min_items = m->min_items;
        r->max_items = m->max_items;
        r->unassigned = m->unassigned;
        r->load_sum_error = m->total > 0 ? fabs(sum - m->total) / m->total : fabs(sum);
        r->repeats = (int32_t)repeats;
        r->deterministic = tp.deterministic;
        r->median_seconds = tp.median_seconds;
        r->q1_seconds = tp.q1_seconds;
        r->q3_seconds = tp.q3_seconds;
    }
    free(loads);
    return rc;
}

int measure_packing(enum pack_algo a, const double *v, size_t n, int32_t p, int64_t budget, int repeats,
                    struct packing *plan, struct balance_packing_record *r, struct diag *d)
{
    int64_t *len = malloc((n ? n : 1) * sizeof *len);
    struct timed_packing tp;
    int rc = len ? FR_OK : diag_fail(d, FR_RUNTIME, "out of memory for %zu sequences", n);
    for (size_t i = 0; !rc && i < n; i++)
        len[i] = (int64_t)v[i];
    if (!rc)
        rc = time_packing(a, len, n, p, budget, repeats, &tp, plan, d);
    if (!rc) {
        const struct pack_metrics *m = &tp.m;
        snprintf(r->algorithm, sizeof r->algorithm, "%s", pack_algo_name(a));
        r->ranks = p;
        r->budget = budget;
        r->sequences = (int64_t)n;
        r->rows = m->rows;
        r->rows_lower_bound = m->rows_lower_bound;
        r->rows_gap = m->rows_gap;
        r->avg_row_balance = m->avg_row_balance;
        r->worst_row_balance = m->worst_row_balance;
        r->row_balance_std = m->row_balance_std;
        r->avg_row_efficiency = m->avg_row_efficiency;
        r->overall_efficiency = m->overall_efficiency;
        r->dropped = tp.packer_dropped;
        r->longer_than_budget = 0;
        for (size_t i = 0; i < n; i++)
            r->longer_than_budget += len[i] > budget;
        r->over_budget = m->over_budget;
        r->misplaced = m->misplaced;
        r->repeats = (int32_t)repeats;
        r->deterministic = tp.deterministic;
        r->median_seconds = tp.median_seconds;
        r->q1_seconds = tp.q1_seconds;
        r->q3_seconds = tp.q3_seconds;
    }
    free(len);
    return rc;
}
