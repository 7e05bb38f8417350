#include "suites/balance/study.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/costs_text.h"
#include "io/table_json.h"
#include "suites/balance/balance.h"
#include "suites/balance/plan_file.h"
#include "suites/balance/timed_runs.h"

static int fail(struct diag *d)
{
    fprintf(stderr, "fidrun: error: %s\n", d->msg);
    return d->code;
}

/* What one rank count runs on: its items, and where they came from. */
struct items {
    const double *v;
    size_t n;
    const long *line;         /* the input line of each (NULL: generated) */
    const char *const *label; /* each record's other field, or NULL */
};

struct study {
    const struct study_request *c;
    struct costs_input file; /* --costs/--lengths, read once */
    json_t *json;
    struct plan_file plan;
    int planning;
};

static const char *source_name(const struct study_request *c)
{
    return !c->file ? c->dist.name : strcmp(c->file, "-") == 0 ? "standard input" : c->file;
}

static void describe_source(const struct study_request *c, const struct items *it, FILE *out)
{
    double sum = 0, max = 0;
    for (size_t i = 0; i < it->n; i++) {
        sum += it->v[i];
        max = it->v[i] > max ? it->v[i] : max;
    }
    const char *what = c->kind == STUDY_PACK ? "sequences" : "items";
    if (c->file)
        fprintf(out, "%zu %s from %s · sum %.6g · max %.6g\n", it->n, what, source_name(c), sum, max);
    else
        fprintf(out, "%zu %s, %s distribution (seed %llu) · sum %.6g · max %.6g\n", it->n, what,
                dist_kind_name(c->dist.kind), (unsigned long long)c->seed, sum, max);
}

static void print_loads(const double *loads, int32_t p)
{
    printf("      loads:");
    for (int32_t r = 0; r < p; r++)
        printf("%s%.6g", r % 8 == 0 && r ? "\n             " : " ", loads[r]);
    printf("\n");
}

/* ---- balance ---- */

static void print_partition_row(const struct balance_partition_record *r)
{
    char items[32];
    snprintf(items, sizeof items, "%lld..%lld", (long long)r->min_items, (long long)r->max_items);
    printf("  %-16s %12.6g %10.3e %13.4f %12.4f %10.4g %10.4f %13s %14.3f\n", r->algorithm, r->makespan, r->gap,
           r->max_over_mean, r->min_over_max, r->load_std, r->efficiency, items, r->median_seconds * 1e3);
}

static int balance_one(struct study *st, size_t k, int32_t p, const struct items *it, struct diag *d)
{
    const struct study_request *c = st->c;
    int32_t *owner = malloc((it->n ? it->n : 1) * sizeof *owner);
    double *loads = malloc((size_t)p * sizeof *loads);
    int rc = owner && loads ? FR_OK
                            : diag_fail(d, FR_RUNTIME, "out of memory for %zu items over %d ranks", it->n, p);
    if (!rc && !st->json && k == 0)
        describe_source(c, it, stdout);
    double best_gap = INFINITY;
    char best[24] = "";
    for (size_t a = 0; !rc && a < c->nalgos; a++) {
        struct balance_partition_record r = {0};
        snprintf(r.distribution, sizeof r.distribution, "%s", source_name(c));
        if ((rc = measure_partition(c->algos[a], it->v, it->n, p, c->repeats, owner, &r, d)))
            break;
        if (r.gap < best_gap) {
            best_gap = r.gap;
            snprintf(best, sizeof best, "%s", r.algorithm);
        }
        partition_loads(it->v, owner, it->n, p, loads);
        for (size_t i = 0; st->planning && i < it->n; i++)
            plan_add(&st->plan, r.algorithm, p, i, it->line ? it->line[i] : 0, it->label ? it->label[i] : NULL,
                     it->v[i], -1, owner[i]);
        if (st->json) {
            json_t *o = table_row_json(&balance_partition_table, &r, 1);
            if (o && c->loads) {
                json_t *l = json_array();
                for (int32_t q = 0; q < p; q++)
                    json_array_append_new(l, json_real(loads[q]));
                json_object_set_new(o, "loads", l);
            }
            json_array_append_new(st->json, o);
            continue;
        }
        if (a == 0)
            printf("P = %d · %zu items · lower bound %.6g\n  %-16s %12s %10s %13s %12s %10s %10s %13s %14s\n", p,
                   it->n, r.lower_bound, "algorithm", "makespan", "gap", "max_over_mean", "min_over_max", "load_std",
                   "efficiency", "items/rank", "median ms");
        print_partition_row(&r);
        if (c->loads)
            print_loads(loads, p);
    }
    if (!rc && !st->json && c->nalgos > 1)
        printf("  best: %s (gap %.3e)\n", best, best_gap);
    free(owner);
    free(loads);
    return rc;
}

/* ---- pack ---- */

static int pack_one(struct study *st, size_t k, int32_t p, const struct items *it, struct diag *d)
{
    const struct study_request *c = st->c;
    int rc = FR_OK;
    if (!st->json && k == 0)
        describe_source(c, it, stdout);
    for (size_t a = 0; !rc && a < c->nalgos; a++) {
        struct balance_packing_record r = {0};
        struct packing plan = {0};
        snprintf(r.distribution, sizeof r.distribution, "%s", source_name(c));
        if ((rc = measure_packing(c->pack_algos[a], it->v, it->n, p, c->budget, c->repeats,
                                  st->planning ? &plan : NULL, &r, d)))
            break;
        for (size_t i = 0; st->planning && i < it->n; i++)
            plan_add(&st->plan, r.algorithm, p, i, it->line ? it->line[i] : 0, it->label ? it->label[i] : NULL,
                     it->v[i], plan.row[i], plan.rank[i]);
        pack_free(&plan);
        if (st->json) {
            json_array_append_new(st->json, table_row_json(&balance_packing_table, &r, 1));
            continue;
        }
        if (a == 0)
            printf("P = %d · budget %lld tokens per rank per row · lower bound %lld rows\n"
                   "  %-12s %7s %8s %15s %17s %15s %18s %18s %8s %14s\n",
                   p, (long long)c->budget, (long long)r.rows_lower_bound, "algorithm", "rows", "rows_gap",
                   "avg_row_balance", "worst_row_balance", "row_balance_std", "avg_row_efficiency",
                   "overall_efficiency", "dropped", "median ms");
        printf("  %-12s %7lld %8.3f %15.3f %17.3f %15.3f %18.3f %18.3f %8lld %14.3f%s\n", r.algorithm,
               (long long)r.rows, r.rows_gap, r.avg_row_balance, r.worst_row_balance, r.row_balance_std,
               r.avg_row_efficiency, r.overall_efficiency, (long long)r.dropped, r.median_seconds * 1e3,
               r.over_budget || r.misplaced ? "  INVALID" : "");
    }
    return rc;
}

/* Each rank count on its items: the file's (read once), or generated for it. */
static int each_rank_count(struct study *st, struct diag *d)
{
    const struct study_request *c = st->c;
    int rc = c->file ? costs_read_input(c->file, c->column, c->kind == STUDY_PACK, &st->file, d) : FR_OK;
    for (size_t k = 0; !rc && k < c->nranks; k++) {
        struct items it = {0};
        double *generated = NULL;
        if (c->file)
            it = (struct items){st->file.v, st->file.n, st->file.line, (const char *const *)st->file.label};
        else if (!(rc = study_items(NULL, NULL, 0, &c->dist, c->seed, c->ranks[k], &generated, &it.n, d)))
            it.v = generated;
        if (!rc)
            rc = c->kind == STUDY_PACK ? pack_one(st, k, c->ranks[k], &it, d) : balance_one(st, k, c->ranks[k], &it, d);
        free(generated);
    }
    costs_input_free(&st->file);
    return rc;
}

int study_run(const struct study_request *c)
{
    struct diag d = {0};
    struct study st = {.c = c, .json = c->json ? json_array() : NULL};
    int rc = FR_OK;
    if (c->assign && !(rc = plan_open(&st.plan, c->assign, c->kind == STUDY_PACK, &d)))
        st.planning = 1;
    if (!rc)
        rc = each_rank_count(&st, &d);
    if (st.planning) {
        int prc = plan_close(&st.plan, &d);
        rc = rc ? rc : prc;
        if (!rc && !c->json)
            printf("plan: %d lines written to %s\n", st.plan.rows, c->assign);
    }
    if (!rc && st.json && json_dumpf(st.json, stdout, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) == 0)
        fputc('\n', stdout);
    json_decref(st.json);
    return rc ? fail(&d) : FR_OK;
}
