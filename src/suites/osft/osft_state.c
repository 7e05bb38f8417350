/* What a rank keeps across its OSFT tasks: each task's factors until the
 * broadcast, and the shard --export-factors writes. */
#include <stdlib.h>

#include "suites/osft/osft_impl.h"

struct osft_state {
    struct held_factors *held; /* by task id */
    size_t n;
    struct osft_export *export; /* --export-factors, opened at this rank's first task */
    void (*export_free)(struct osft_export *export);
};

struct osft_export **osft_state_export(void *state, void (*export_free)(struct osft_export *))
{
    struct osft_state *s = state;
    s->export_free = export_free;
    return &s->export;
}

int osft_state_new(const void *cfg, const struct task_list *tasks, void **state)
{
    (void)cfg;
    struct osft_state *s = calloc(1, sizeof *s);
    if (!s || !(s->held = calloc(tasks->n ? tasks->n : 1, sizeof *s->held))) {
        free(s);
        return FR_RUNTIME;
    }
    s->n = tasks->n;
    *state = s;
    return FR_OK;
}

void osft_state_free(void *state)
{
    struct osft_state *s = state;
    for (size_t i = 0; i < s->n; i++)
        held_factors_release(&s->held[i]);
    free(s->held);
    if (s->export)
        s->export_free(s->export);
    free(s);
}

void osft_state_keep(void *state, int32_t task_id, struct held_factors *h)
{
    struct osft_state *s = state;
    held_factors_release(&s->held[task_id]);
    s->held[task_id] = *h;
    *h = (struct held_factors){0};
}

struct held_factors *osft_state_held(void *state, int32_t task_id)
{
    return &((struct osft_state *)state)->held[task_id];
}

void osft_state_release(void *state)
{
    struct osft_state *s = state;
    for (size_t i = 0; i < s->n; i++)
        held_factors_release(&s->held[i]);
}
