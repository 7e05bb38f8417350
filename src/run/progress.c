#include "run/progress.h"

#include <string.h>

#include "util/clock.h"

void progress_init(struct progress *p, const struct task_list *tasks, const int32_t *owner,
                   const char *const *suite_names, size_t nsuites, double t0, enum progress_mode mode, FILE *out)
{
    memset(p, 0, sizeof *p);
    p->tasks = tasks;
    p->nsuites = nsuites < PROGRESS_MAX_SUITES ? nsuites : PROGRESS_MAX_SUITES;
    for (size_t i = 0; i < p->nsuites; i++)
        p->suite_names[i] = suite_names[i];
    p->t0 = p->last_shown = t0;
    p->mode = out ? mode : PROGRESS_OFF;
    p->out = out;
    for (size_t i = 0; i < tasks->n; i++) {
        if (owner && owner[i] == TASK_OWNER_NONE)
            continue;
        p->total++;
        p->total_cost += tasks->items[i].cost;
        if ((size_t)tasks->items[i].suite < p->nsuites)
            p->suite_total[tasks->items[i].suite]++;
    }
}

void progress_format(const struct progress *p, double now, char *buf, size_t size)
{
    size_t n = p->total, len = 0;
    int width = snprintf(NULL, 0, "%zu", n);
    double elapsed = now - p->t0, frac = p->total_cost > 0 ? p->done_cost / p->total_cost : 1;
    char el[32], eta[32];
    format_duration(elapsed, el, sizeof el);
    if (p->done == n)
        snprintf(eta, sizeof eta, "0s");
    else if (frac > 0)
        format_duration(elapsed * (1 - frac) / frac, eta, sizeof eta);
    else
        snprintf(eta, sizeof eta, "?");
    int w = snprintf(buf, size, "[%*zu/%zu] %3.0f%%", width, p->done, n, n ? 100.0 * (double)p->done / (double)n : 100.0);
    len = w > 0 && (size_t)w < size ? (size_t)w : size;
    for (size_t i = 0; p->nsuites > 1 && i < p->nsuites && len < size; i++) {
        w = snprintf(buf + len, size - len, " · %s %zu/%zu", p->suite_names[i], p->suite_done[i], p->suite_total[i]);
        len += w > 0 ? (size_t)w : 0;
    }
    if (len < size)
        snprintf(buf + len, size - len, " · %s elapsed · eta %s", el, eta);
}

static void show(struct progress *p, double now)
{
    char line[512];
    progress_format(p, now, line, sizeof line);
    if (p->mode == PROGRESS_LIVE) {
        /* back to the line's start, the new text, then erase what is left of the old */
        fprintf(p->out, "\r%s\033[K", line);
        p->line_drawn = 1;
    } else {
        fprintf(p->out, "%s\n", line);
        p->tenths_shown = p->total ? (int)(10 * p->done / p->total) : 10;
    }
    fflush(p->out);
    p->last_shown = now;
    p->done_shown = p->done;
}

static int due(const struct progress *p, double now)
{
    switch (p->mode) {
    case PROGRESS_LIVE: /* what changed, at most every PROGRESS_REDRAW_SECONDS, and 100 % at once */
        return p->done != p->done_shown &&
               (p->done == p->total || now - p->last_shown >= PROGRESS_REDRAW_SECONDS);
    case PROGRESS_LINES:
        return (p->total && (int)(10 * p->done / p->total) > p->tenths_shown) ||
               (p->done > p->done_shown && now - p->last_shown >= PROGRESS_LOG_SECONDS);
    default:
        return 0;
    }
}

void progress_task_done(struct progress *p, int task_id, double now)
{
    if (task_id < 0 || (size_t)task_id >= p->tasks->n)
        return;
    const struct task *t = &p->tasks->items[task_id];
    p->done++;
    p->done_cost += t->cost;
    if ((size_t)t->suite < p->nsuites)
        p->suite_done[t->suite]++;
    if (due(p, now))
        show(p, now);
}

void progress_tick(struct progress *p, double now)
{
    /* the live line's clock moves once a second even when no task finishes */
    if ((p->mode == PROGRESS_LIVE && now - p->last_shown >= 1.0) || due(p, now))
        show(p, now);
}

void progress_finish(struct progress *p, double now)
{
    if (p->mode == PROGRESS_LIVE) {
        show(p, now);
        fputc('\n', p->out);
        fflush(p->out);
        p->line_drawn = 0;
    } else if (p->mode == PROGRESS_LINES && p->done_shown != p->done) {
        show(p, now);
    }
}

enum progress_mode progress_mode_named(const char *name, int terminal)
{
    if (name && strcmp(name, "off") == 0)
        return PROGRESS_OFF;
    if (name && strcmp(name, "live") == 0)
        return PROGRESS_LIVE;
    if (name && strcmp(name, "log") == 0)
        return PROGRESS_LINES;
    return terminal ? PROGRESS_LIVE : PROGRESS_LINES;
}
