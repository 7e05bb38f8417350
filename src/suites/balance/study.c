#include "suites/balance/study.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites/balance/timed_runs.h"

static int fail(struct diag *d)
{
    fprintf(stderr, "fidrun: error: %s\n", d->msg);
    return d->code;
}

/* The items for P ranks: the file's (read once), or generated. */
static int items_for(const struct study_request *c, int32_t p, double **file_items, size_t *file_n, double **out,
                     size_t *n, struct diag *d)
{
    if (c->file && !*file_items &&
        study_items(c->file, c->column, c->kind == STUDY_PACK, NULL, c->seed, p, file_items, file_n, d))
        return d->code;
    if (c->file) {
        *out = *file_items;
        *n = *file_n;
        return FR_OK;
    }
    return study_items(NULL, NULL, 0, &c->dist, c->seed, p, out, n, d);
}

static void describe_source(const struct study_request *c, size_t n, const double *v, FILE *out)
{
    double sum = 0, max = 0;
    for (size_t i = 0; i < n; i++) {
        sum += v[i];
        max = v[i] > max ? v[i] : max;
    }
    if (c->file)
        fprintf(out, "%zu %s from %s · sum %.6g · max %.6g\n", n, c->kind == STUDY_PACK ? "sequences" : "items",
                strcmp(c->file, "-") == 0 ? "standard input" : c->file, sum, max);
    else
        fprintf(out, "%zu %s, %s distribution (seed %llu) · sum %.6g · max %.6g\n", n,
                c->kind == STUDY_PACK ? "sequences" : "items", dist_kind_name(c->dist.kind),
                (unsigned long long)c->seed, sum, max);
}

/* ---- balance ---- */

static json_t *balance_json(struct partition_spec s, int32_t p, size_t n, const struct timed_partition *row,
                            const double *loads)
{
    char name[32];
    const struct partition_metrics *m = &row->m;
    json_t *o = json_pack("{s:s, s:i, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:f}", "algorithm",
                          partition_spec_name(s, name, sizeof name), "ranks", (int)p, "items", (json_int_t)n, "total",
                          m->total, "makespan", m->makespan, "lower_bound", m->lower_bound, "gap", m->gap,
                          "max_over_mean", m->max_over_mean, "min_over_max", m->min_over_max, "load_std", m->load_std,
                          "efficiency", m->efficiency, "min_items", (json_int_t)m->min_items, "max_items",
                          (json_int_t)m->max_items, "seconds", row->median_seconds);
    if (o && loads) {
        json_t *a = json_array();
        for (int32_t r = 0; r < p; r++)
            json_array_append_new(a, json_real(loads[r]));
        json_object_set_new(o, "loads", a);
    }
    return o;
}

static void print_loads(const double *loads, int32_t p)
{
    printf("      loads:");
    for (int32_t r = 0; r < p; r++)
        printf("%s%.6g", r % 8 == 0 && r ? "\n             " : " ", loads[r]);
    printf("\n");
}

typedef int (*per_rank_count)(const struct study_request *c, size_t k, int32_t p, const double *v, size_t n,
                              json_t *json, struct diag *d);

/* Runs one() for each rank count on its items (the file's, read once, or
 * generated for that count). */
static int each_rank_count(const struct study_request *c, json_t *json, per_rank_count one, struct diag *d)
{
    double *file_items = NULL;
    size_t file_n = 0;
    int rc = FR_OK;
    for (size_t k = 0; !rc && k < c->nranks; k++) {
        double *v = NULL;
        size_t n;
        if ((rc = items_for(c, c->ranks[k], &file_items, &file_n, &v, &n, d)))
            break;
        rc = one(c, k, c->ranks[k], v, n, json, d);
        if (v != file_items)
            free(v);
    }
    free(file_items);
    return rc;
}

static void print_partition_row(struct partition_spec s, const struct timed_partition *row)
{
    char name[32], items[32];
    const struct partition_metrics *m = &row->m;
    snprintf(items, sizeof items, "%lld..%lld", (long long)m->min_items, (long long)m->max_items);
    printf("  %-16s %12.6g %10.3e %8.4f %8.4f %10.4g %7.4f %13s %10.3f\n", partition_spec_name(s, name, sizeof name),
           m->makespan, m->gap, m->max_over_mean, m->min_over_max, m->load_std, m->efficiency, items,
           row->median_seconds * 1e3);
}

static int balance_one(const struct study_request *c, size_t k, int32_t p, const double *v, size_t n, json_t *json,
                       struct diag *d)
{
    struct timed_partition *rows = calloc(c->nalgos, sizeof *rows);
    int32_t *owner = malloc((n ? n : 1) * sizeof *owner);
    double *loads = malloc((size_t)p * sizeof *loads);
    int rc = rows && owner && loads ? FR_OK
                                    : diag_fail(d, FR_RUNTIME, "out of memory for %zu items over %d ranks", n, p);
    if (!rc && !json && k == 0)
        describe_source(c, n, v, stdout);
    size_t best = 0;
    for (size_t a = 0; !rc && a < c->nalgos; a++) {
        if ((rc = time_partition(c->algos[a], v, n, p, c->repeats, owner, &rows[a], d)))
            break;
        if (rows[a].m.makespan < rows[best].m.makespan)
            best = a;
        partition_loads(v, owner, n, p, loads);
        if (json) {
            json_array_append_new(json, balance_json(c->algos[a], p, n, &rows[a], c->loads ? loads : NULL));
            continue;
        }
        if (a == 0)
            printf("P = %d · %zu items · lower bound %.6g\n  %-16s %12s %10s %8s %8s %10s %7s %13s %10s\n", p, n,
                   rows[a].m.lower_bound, "algorithm", "makespan", "gap", "max/mean", "min/max", "load std",
                   "effic.", "items/rank", "time ms");
        print_partition_row(c->algos[a], &rows[a]);
        if (c->loads)
            print_loads(loads, p);
    }
    if (!rc && !json && c->nalgos > 1) {
        char name[32];
        printf("  best: %s (gap %.3e)\n", partition_spec_name(c->algos[best], name, sizeof name), rows[best].m.gap);
    }
    free(rows);
    free(owner);
    free(loads);
    return rc;
}

/* ---- pack ---- */

static json_t *pack_json(enum pack_algo a, int32_t p, int64_t budget, const struct pack_metrics *m, double seconds)
{
    return json_pack("{s:s, s:i, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:f, s:f, s:I}",
                     "algorithm", pack_algo_name(a), "ranks", (int)p, "budget", (json_int_t)budget, "sequences",
                     (json_int_t)m->sequences, "total_minibatches", (json_int_t)m->rows, "avg_row_balance_ratio",
                     m->avg_row_balance, "worst_row_balance_ratio", m->worst_row_balance, "row_balance_std",
                     m->row_balance_std, "avg_row_efficiency", m->avg_row_efficiency, "overall_efficiency",
                     m->overall_efficiency, "dropped", (json_int_t)m->dropped, "tokens", (json_int_t)m->tokens,
                     "rows_lower_bound", (json_int_t)m->rows_lower_bound, "over_budget", (json_int_t)m->over_budget,
                     "rows_gap", m->rows_gap, "execution_time_ms", seconds * 1e3, "misplaced",
                     (json_int_t)m->misplaced);
}

static int pack_one(const struct study_request *c, size_t k, int32_t p, const double *v, size_t n, json_t *json,
                    struct diag *d)
{
    int64_t *len = malloc((n ? n : 1) * sizeof *len);
    int rc = len ? FR_OK : diag_fail(d, FR_RUNTIME, "out of memory for %zu sequences", n);
    for (size_t i = 0; !rc && i < n; i++)
        len[i] = (int64_t)v[i];
    if (!rc && !json && k == 0)
        describe_source(c, n, v, stdout);
    for (size_t a = 0; !rc && a < c->nalgos; a++) {
        enum pack_algo algo = c->pack_algos[a];
        struct timed_packing tp;
        if ((rc = time_packing(algo, len, n, p, c->budget, c->repeats, &tp, d)))
            break;
        const struct pack_metrics *m = &tp.m;
        if (json) {
            json_array_append_new(json, pack_json(algo, p, c->budget, m, tp.median_seconds));
            continue;
        }
        if (a == 0)
            printf("P = %d · budget %lld tokens per rank per row · lower bound %lld rows\n"
                   "  %-12s %7s %8s %9s %9s %8s %9s %9s %8s %10s\n",
                   p, (long long)c->budget, (long long)m->rows_lower_bound, "algorithm", "rows", "gap", "avg bal",
                   "worst bal", "bal std", "avg eff", "overall", "dropped", "time ms");
        printf("  %-12s %7lld %8.3f %9.3f %9.3f %8.3f %9.3f %9.3f %8lld %10.3f%s\n", pack_algo_name(algo),
               (long long)m->rows, m->rows_gap, m->avg_row_balance, m->worst_row_balance, m->row_balance_std,
               m->avg_row_efficiency, m->overall_efficiency, (long long)m->dropped, tp.median_seconds * 1e3,
               m->over_budget || m->misplaced ? "  INVALID" : "");
    }
    free(len);
    return rc;
}

int study_run(const struct study_request *c)
{
    struct diag d = {0};
    json_t *json = c->json ? json_array() : NULL;
    int rc = each_rank_count(c, json, c->kind == STUDY_PACK ? pack_one : balance_one, &d);
    if (!rc && json && json_dumpf(json, stdout, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) == 0)
        fputc('\n', stdout);
    json_decref(json);
    return rc ? fail(&d) : FR_OK;
}
