#include "run/memory_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct memory_peak memory_peak_of_rank(const struct run_config *cfg, const struct plan *p, int rank)
{
    struct memory_peak peak = {MEMORY_PROCESS_BYTES, -1};
    double largest = 0;
    for (size_t i = 0; i < p->tasks.n; i++) {
        const struct task *t = &p->tasks.items[i];
        if (p->owner[i] != rank && p->owner[i] != TASK_OWNER_ALL)
            continue;
        const struct suite *su = cfg->suites[t->suite].suite;
        int sharing = p->owner[i] == TASK_OWNER_ALL ? p->nranks : 1;
        double b = su->task_bytes ? su->task_bytes(cfg->suites[t->suite].cfg, t, sharing) : 0;
        if (peak.task < 0 || b > largest) {
            largest = b;
            peak.task = (long)i;
        }
    }
    peak.bytes += largest;
    return peak;
}

const char *memory_text(double bytes, char *buf, size_t size)
{
    if (bytes >= 1024.0 * 1048576.0)
        snprintf(buf, size, "%.1f GiB", bytes / (1024.0 * 1048576.0));
    else
        snprintf(buf, size, "%.0f MiB", bytes / 1048576.0);
    return buf;
}

int memory_check(const struct run_config *cfg, const struct plan *p, struct memory_peak peak, double available,
                 int ranks_here, const char *what, const char *where, struct diag *d)
{
    double share = available / (ranks_here > 0 ? ranks_here : 1);
    if (peak.task < 0 || peak.bytes <= share)
        return FR_OK;
    const struct task *t = &p->tasks.items[peak.task];
    char need[32], have[32], all[32], hint[256] = "";
    if (strcmp(cfg->suites[t->suite].suite->name, "osft") == 0)
        snprintf(hint, sizeof hint, ", dtype float32 (suites.osft.dtype), fewer layers (suites.osft.layers), or "
                                    "decompose large matrices over all ranks (suites.osft.distribute_above_mib)");
    return diag_fail(d, FR_USAGE,
                     "%s task %s needs about %s at its peak (with %.0f MiB for the process), but %s has %s of %s "
                     "available, %s for each of its %d rank%s: run fewer ranks per node%s",
                     cfg->suites[t->suite].suite->name, t->name, memory_text(peak.bytes, need, sizeof need),
                     MEMORY_PROCESS_BYTES / 1048576.0, where, memory_text(available, all, sizeof all), what,
                     memory_text(share, have, sizeof have), ranks_here, ranks_here == 1 ? "" : "s", hint);
}

void memory_print_prediction(const struct run_config *cfg, const struct plan *p, FILE *out)
{
    struct memory_peak worst = {0, -1};
    int worst_rank = 0;
    for (int r = 0; r < p->nranks; r++) {
        struct memory_peak m = memory_peak_of_rank(cfg, p, r);
        if (m.bytes > worst.bytes) {
            worst = m;
            worst_rank = r;
        }
    }
    char peak[32], avail[32], share[32];
    double here = memory_available_here();
    fprintf(out, "memory: predicted peak per rank up to %s (rank %d%s%s)", memory_text(worst.bytes, peak, sizeof peak),
            worst_rank, worst.task >= 0 ? ": " : "", worst.task >= 0 ? p->tasks.items[worst.task].name : "");
    if (here > 0)
        fprintf(out, " · this machine has %s available, %s for each of %d rank%s on it: %s\n",
                memory_text(here, avail, sizeof avail), memory_text(here / p->nranks, share, sizeof share),
                p->nranks, p->nranks == 1 ? "" : "s", worst.bytes <= here / p->nranks ? "fits" : "does NOT fit");
    else
        fprintf(out, "\n");
}
