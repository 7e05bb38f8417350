#include "progress.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"

int progress_init(struct progress *p, const struct task_list *tasks, double t0, FILE *out)
{
    memset(p, 0, sizeof *p);
    p->tasks = tasks;
    p->t0 = t0;
    p->out = out;
    size_t n = tasks->n;
    p->group_of = malloc((n ? n : 1) * sizeof *p->group_of);
    p->group_left = calloc(n ? n : 1, sizeof *p->group_left);
    if (!p->group_of || !p->group_left) {
        progress_free(p);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const struct task *t = &tasks->items[i];
        size_t g = p->ngroups;
        /* groups are contiguous in plan order, so look back one group first */
        if (g > 0 && strcmp(tasks->items[i - 1].group, t->group) == 0 &&
            tasks->items[i - 1].suite == t->suite)
            g = p->group_of[i - 1];
        else
            p->ngroups++;
        p->group_of[i] = g;
        p->group_left[g]++;
        p->total_cost += t->cost;
    }
    return 0;
}

void progress_format(const struct progress *p, const char *what, double now, char *buf, size_t size)
{
    size_t n = p->tasks->n;
    int width = snprintf(NULL, 0, "%zu", n);
    double elapsed = now - p->t0, frac = p->total_cost > 0 ? p->done_cost / p->total_cost : 1;
    char el[32], eta[32];
    format_duration(elapsed, el, sizeof el);
    if (frac > 0 && p->done < n)
        format_duration(elapsed * (1 - frac) / frac, eta, sizeof eta);
    else
        snprintf(eta, sizeof eta, "%s", p->done == n ? "0s" : "?");
    snprintf(buf, size, "[%*zu/%zu] %3.0f%% · %s · %s elapsed · eta %s", width, p->done, n,
             n ? 100.0 * (double)p->done / (double)n : 100.0, what, el, eta);
}

void progress_task_done(struct progress *p, int task_id, double now)
{
    if (task_id < 0 || (size_t)task_id >= p->tasks->n)
        return;
    size_t g = p->group_of[task_id];
    p->done++;
    p->done_cost += p->tasks->items[task_id].cost;
    if (--p->group_left[g] == 0 && p->out) {
        char what[96], line[256];
        snprintf(what, sizeof what, "%s done", p->tasks->items[task_id].group);
        progress_format(p, what, now, line, sizeof line);
        fprintf(p->out, "%s\n", line);
        fflush(p->out);
    }
}

void progress_free(struct progress *p)
{
    free(p->group_of);
    free(p->group_left);
    p->group_of = p->group_left = NULL;
}
