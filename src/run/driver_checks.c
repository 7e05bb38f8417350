/* Checks before the first task: the output folder's free space, each
 * rank's memory, and the inputs of each rank's tasks. */
#include "run/run_state.h"

#include <stdio.h>
#include <stdlib.h>

#include "run/memory_plan.h"

/* What the output folder will hold: every task's record twice (in the
 * journal, with its header, and in the results file) and a megabyte for the
 * file's provenance, checks and structure. */
double output_bytes(const struct run_state *s)
{
    double bytes = 1048576.0;
    for (size_t i = 0; i < s->plan.tasks.n; i++) {
        const struct task *t = &s->plan.tasks.items[i];
        bytes += 2.0 * (double)s->cfg.suites[t->suite].suite->record_tables[t->table]->row_size +
                 (double)sizeof(struct journal_head);
    }
    return bytes;
}

/* Before the first task: this rank's predicted peak against its share of
 * the node's available memory (and of its GPU's, on a GPU). */
int check_memory(struct run_state *s)
{
    struct memory_peak peak = memory_peak_of_rank(&s->cfg, &s->plan, s->ci.rank);
    double here = memory_available_here();
    char where[256];
    snprintf(where, sizeof where, "host %s", s->ci.host);
    int rc = here > 0 ? memory_check(&s->cfg, &s->plan, peak, here, s->ci.local_size, "host memory", where, &s->d)
                      : FR_OK;
    if (!rc && s->dev.gpu_index >= 0 && s->dev.gpu_memory_gib > 0) {
        snprintf(where, sizeof where, "GPU %d (%s) on %s", s->dev.gpu_index, s->dev.gpu_name, s->ci.host);
        rc = memory_check(&s->cfg, &s->plan, peak, s->dev.gpu_memory_gib * 1073741824.0, 1, "GPU memory", where,
                          &s->d);
    }
    return rc;
}

int check_inputs(struct run_state *s)
{
    const struct plan *p = &s->plan;
    size_t *mine = malloc((p->tasks.n ? p->tasks.n : 1) * sizeof *mine);
    if (!mine)
        return diag_fail(&s->d, FR_RUNTIME, "out of memory");
    size_t n = plan_rank_tasks(p, s->ci.rank, mine);
    int rc = FR_OK;
    for (size_t k = 0; k < n && !rc; k++) {
        const struct task *t = &p->tasks.items[mine[k]];
        const struct suite_slot *slot = &s->cfg.suites[t->suite];
        struct diag inner = {0};
        if (slot->suite->check_inputs && (rc = slot->suite->check_inputs(slot->cfg, t, &inner)))
            diag_fail(&s->d, rc, "%s task %s, before the run: %s", slot->suite->name, t->name, inner.msg);
    }
    free(mine);
    return rc;
}
