#include "run/plan.h"

#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int task_matches(const char *name, const char *pattern)
{
    if (!pattern || !*pattern)
        return 1;
    if (strpbrk(pattern, "*?["))
        return fnmatch(pattern, name, 0) == 0;
    return strstr(name, pattern) != NULL;
}

static int collect_tasks(const struct run_config *cfg, const char *only, struct task_list *out, struct diag *d)
{
    size_t total = 0;
    char example[TASK_NAME_MAX] = "";
    for (size_t s = 0; s < cfg->nsuites; s++) {
        struct task_list all = {0};
        if (cfg->suites[s].suite->plan(cfg->suites[s].cfg, &all, d)) {
            task_list_free(&all);
            return d->code;
        }
        total += all.n;
        if (!example[0] && all.n)
            snprintf(example, sizeof example, "%s", all.items[0].name);
        for (size_t i = 0; i < all.n; i++) {
            if (!task_matches(all.items[i].name, only))
                continue;
            all.items[i].suite = (int32_t)s;
            if (task_list_push(out, &all.items[i])) {
                task_list_free(&all);
                return diag_fail(d, FR_RUNTIME, "out of memory while planning");
            }
        }
        task_list_free(&all);
    }
    if (out->n == 0 && only && *only)
        return diag_fail(d, FR_USAGE, "--only '%s' matches none of the %zu tasks (names look like '%s')", only,
                         total, example);
    if (out->n == 0)
        return diag_fail(d, FR_USAGE, "%s: the configured suites have no tasks", cfg->path);
    return FR_OK;
}

static double predicted_imbalance(struct partition_spec s, const double *cost, size_t n, int nranks, double shared,
                                  int32_t *owner, double *loads)
{
    if (partition_assign(s, cost, n, nranks, owner))
        return -1;
    partition_loads(cost, owner, n, nranks, loads);
    for (int r = 0; r < nranks; r++)
        loads[r] += shared / nranks;
    return load_imbalance(loads, nranks);
}

/* Assigns the tasks not done (all when done is NULL) to ranks; done tasks
 * get owner -1 and count in no load. */
static int assign(struct plan *p, const uint8_t *done, struct diag *d)
{
    size_t n = p->tasks.n, m = 0;
    double *cost = malloc((n ? n : 1) * sizeof *cost);
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    int32_t *owner = malloc((n ? n : 1) * sizeof *owner);
    if (!cost || !idx || !owner) {
        free(cost);
        free(idx);
        free(owner);
        return diag_fail(d, FR_RUNTIME, "out of memory while planning");
    }
    p->total_cost = 0;
    double shared = 0; /* the collective tasks' cost, which every rank carries a 1/P of */
    for (size_t i = 0; i < n; i++) {
        p->owner[i] = TASK_OWNER_NONE;
        if (done && done[i])
            continue;
        if (p->tasks.items[i].collective) {
            p->owner[i] = TASK_OWNER_ALL;
            shared += p->tasks.items[i].cost;
            p->total_cost += p->tasks.items[i].cost;
            continue;
        }
        idx[m] = i;
        cost[m++] = p->tasks.items[i].cost;
        p->total_cost += p->tasks.items[i].cost;
    }
    p->alt = (struct partition_spec){p->balance.algo == PA_BLOCK && !p->balance.refine ? PA_LPT : PA_BLOCK, 0};
    p->imbalance_alt = predicted_imbalance(p->alt, cost, m, p->nranks, shared, owner, p->loads);
    p->imbalance = predicted_imbalance(p->balance, cost, m, p->nranks, shared, owner, p->loads);
    for (size_t k = 0; k < m; k++)
        p->owner[idx[k]] = owner[k];
    free(cost);
    free(idx);
    free(owner);
    if (p->imbalance < 0 || p->imbalance_alt < 0)
        return diag_fail(d, FR_RUNTIME, "out of memory while partitioning");
    return FR_OK;
}

int plan_skip_done(struct plan *p, const uint8_t *done, struct diag *d)
{
    int rc = assign(p, done, d);
    if (rc)
        plan_free(p);
    return rc;
}

int plan_build(const struct run_config *cfg, const char *only, int nranks, struct plan *p, struct diag *d)
{
    memset(p, 0, sizeof *p);
    p->nranks = nranks;
    p->balance = partition_spec_from_code(cfg->balance);
    if (collect_tasks(cfg, only, &p->tasks, d)) {
        plan_free(p);
        return d->code;
    }
    size_t n = p->tasks.n;
    p->owner = malloc(n * sizeof *p->owner);
    p->loads = malloc((size_t)nranks * sizeof *p->loads);
    if (!p->owner || !p->loads) {
        plan_free(p);
        return diag_fail(d, FR_RUNTIME, "out of memory while planning");
    }
    return plan_skip_done(p, NULL, d);
}

int plan_from_request(const struct run_request *c, int nranks, struct run_config *cfg, struct plan *p,
                           struct diag *d)
{
    memset(p, 0, sizeof *p);
    int rc = c->config_text ? config_load_text(c->config, c->config_text, c->overrides, c->noverrides, cfg, d)
                            : config_load(c->config, c->overrides, c->noverrides, cfg, d);
    if (!rc && c->suites)
        rc = config_select_suites(cfg, c->suites, d);
    if (!rc)
        rc = plan_build(cfg, c->only, nranks, p, d);
    return rc;
}

size_t plan_collective_tasks(const struct plan *p, size_t *idx)
{
    size_t k = 0;
    for (size_t i = 0; i < p->tasks.n; i++)
        if (p->owner[i] == TASK_OWNER_ALL)
            idx[k++] = i;
    return k;
}

size_t plan_rank_tasks(const struct plan *p, int rank, size_t *idx)
{
    size_t k = 0;
    for (size_t i = 0; i < p->tasks.n; i++)
        if (p->owner[i] == rank)
            idx[k++] = i;
    return k;
}

void plan_free(struct plan *p)
{
    task_list_free(&p->tasks);
    free(p->owner);
    free(p->loads);
    memset(p, 0, sizeof *p);
}

void plan_print_summary(const struct plan *p, FILE *out)
{
    char name[32], alt[32], tasks[96];
    size_t todo = 0;
    for (size_t i = 0; i < p->tasks.n; i++)
        todo += p->owner[i] != TASK_OWNER_NONE;
    if (todo == p->tasks.n)
        snprintf(tasks, sizeof tasks, "%zu tasks", p->tasks.n);
    else
        snprintf(tasks, sizeof tasks, "%zu of %zu tasks (%zu done before)", todo, p->tasks.n, p->tasks.n - todo);
    fprintf(out, "plan: %s over %d rank%s by %s · predicted imbalance %.3f (%s: %.3f)\n", tasks, p->nranks,
            p->nranks == 1 ? "" : "s", partition_spec_name(p->balance, name, sizeof name), p->imbalance,
            partition_spec_name(p->alt, alt, sizeof alt), p->imbalance_alt);
}

void plan_print(const struct plan *p, FILE *out, int verbose)
{
    plan_print_summary(p, out);
    size_t *idx = malloc((p->tasks.n ? p->tasks.n : 1) * sizeof *idx);
    if (!idx)
        return;
    size_t shared = plan_collective_tasks(p, idx);
    if (shared)
        fprintf(out, "  all ranks %zu distributed task%s, decomposed together before the others\n", shared,
                shared == 1 ? "" : "s");
    for (size_t i = 0; verbose && i < shared; i++) {
        const struct task *t = &p->tasks.items[idx[i]];
        fprintf(out, "      %-44s %6lld×%-6lld cost %.3e\n", t->name, (long long)t->dims[0], (long long)t->dims[1],
                t->cost);
    }
    for (int r = 0; r < p->nranks; r++) {
        size_t k = plan_rank_tasks(p, r, idx);
        double share = p->total_cost > 0 ? 100.0 * p->loads[r] / p->total_cost : 0;
        fprintf(out, "  rank %-4d %5zu tasks  predicted cost %.3e  (%.1f %%)\n", r, k, p->loads[r], share);
        for (size_t i = 0; verbose && i < k; i++) {
            const struct task *t = &p->tasks.items[idx[i]];
            fprintf(out, "      %-44s %6lld×%-6lld cost %.3e\n", t->name, (long long)t->dims[0], (long long)t->dims[1],
                    t->cost);
        }
    }
    free(idx);
}

int plan_print_json(const struct plan *p, const struct run_config *cfg, FILE *out)
{
    json_t *root = json_object(), *ranks = json_array();
    if (!root || !ranks)
        return -1;
    json_object_set_new(root, "config", json_string(cfg->path));
    json_object_set_new(root, "name", json_string(cfg->name));
    json_object_set_new(root, "ranks", json_integer(p->nranks));
    char name[32];
    json_object_set_new(root, "balance", json_string(partition_spec_name(p->balance, name, sizeof name)));
    json_object_set_new(root, "tasks", json_integer((json_int_t)p->tasks.n));
    json_object_set_new(root, "total_cost", json_real(p->total_cost));
    json_object_set_new(root, "predicted_imbalance", json_real(p->imbalance));
    json_t *shared = json_array();
    for (size_t i = 0; i < p->tasks.n; i++) {
        if (p->owner[i] != TASK_OWNER_ALL)
            continue;
        json_t *jt = json_object();
        json_object_set_new(jt, "id", json_integer(p->tasks.items[i].id));
        json_object_set_new(jt, "suite", json_string(cfg->suites[p->tasks.items[i].suite].suite->name));
        json_object_set_new(jt, "name", json_string(p->tasks.items[i].name));
        json_object_set_new(jt, "cost", json_real(p->tasks.items[i].cost));
        json_array_append_new(shared, jt);
    }
    json_object_set_new(root, "distributed", shared);
    for (int r = 0; r < p->nranks; r++) {
        json_t *rank = json_object(), *tasks = json_array();
        json_object_set_new(rank, "rank", json_integer(r));
        json_object_set_new(rank, "predicted_cost", json_real(p->loads[r]));
        for (size_t i = 0; i < p->tasks.n; i++) {
            if (p->owner[i] != r)
                continue;
            const struct task *t = &p->tasks.items[i];
            json_t *jt = json_object();
            json_object_set_new(jt, "id", json_integer(t->id));
            json_object_set_new(jt, "suite", json_string(cfg->suites[t->suite].suite->name));
            json_object_set_new(jt, "name", json_string(t->name));
            json_object_set_new(jt, "cost", json_real(t->cost));
            json_array_append_new(tasks, jt);
        }
        json_object_set_new(rank, "tasks", tasks);
        json_array_append_new(ranks, rank);
    }
    json_object_set_new(root, "assignment", ranks);
    int rc = json_dumpf(root, out, JSON_INDENT(2)) == 0 ? 0 : -1;
    fputc('\n', out);
    json_decref(root);
    return rc;
}
