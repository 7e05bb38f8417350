#include "plugin/ranks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/balance/partition.h"

#include "plugin/task.h"

static const struct column rank_cols[] = {
    COL(COL_I32, struct rank_record, rank, ""),
    COL(COL_STR, struct rank_record, host, ""),
    COL(COL_I32, struct rank_record, local_rank, ""),
    COLC(COL_STR, struct rank_record, cpu_affinity, "", CMP_IGNORE),
    COL(COL_STR, struct rank_record, device, ""),
    COL(COL_I32, struct rank_record, gpu_index, ""),
    COL(COL_I32, struct rank_record, gpu_host_index, ""),
    COL(COL_STR, struct rank_record, gpu_pci_bus_id, ""),
    COL(COL_F64, struct rank_record, gpu_memory_gib, "GiB"),
    COL(COL_I32, struct rank_record, tasks, "count"),
    COL(COL_F64, struct rank_record, predicted_cost, "flop"),
    COL(COL_F64, struct rank_record, busy_seconds, "s"),
};
const struct table_desc rank_table = TABLE_DESC("ranks", struct rank_record, rank_cols);

void ranks_start(const struct rank_record *all, int nranks, struct rank_record *out)
{
    for (int r = 0; r < nranks; r++) {
        out[r] = all[r];
        out[r].tasks = 0;
        out[r].predicted_cost = 0;
        out[r].busy_seconds = 0;
    }
}

void ranks_add_records(const void *records, size_t row_size, size_t n, int nranks, struct rank_record *out)
{
    for (size_t i = 0; i < n; i++) {
        struct record_head h;
        memcpy(&h, (const char *)records + i * row_size, sizeof h);
        if (h.rank == TASK_OWNER_ALL) { /* every rank worked on it for its whole time */
            for (int r = 0; r < nranks; r++) {
                out[r].tasks++;
                out[r].predicted_cost += h.predicted_cost / nranks;
                out[r].busy_seconds += h.task_seconds;
            }
            continue;
        }
        if (h.rank < 0 || h.rank >= nranks)
            continue;
        out[h.rank].tasks++;
        out[h.rank].predicted_cost += h.predicted_cost;
        out[h.rank].busy_seconds += h.task_seconds;
    }
}

double ranks_realized_imbalance(const struct rank_record *r, int nranks)
{
    double *busy = malloc((size_t)(nranks > 0 ? nranks : 1) * sizeof *busy);
    if (!busy)
        return NAN;
    for (int i = 0; i < nranks; i++)
        busy[i] = r[i].busy_seconds;
    double imbalance = load_imbalance(busy, nranks);
    free(busy);
    return imbalance;
}

void ranks_print(const struct rank_record *r, int nranks, double predicted, FILE *out)
{
    fprintf(out, "ranks: busy");
    int shown = nranks <= 16 ? nranks : 16;
    for (int i = 0; i < shown; i++)
        fprintf(out, " %.1f", r[i].busy_seconds);
    if (shown < nranks)
        fprintf(out, " … (%d more)", nranks - shown);
    fprintf(out, " s · realized imbalance %.3f (predicted %.3f)\n", ranks_realized_imbalance(r, nranks), predicted);
}

void cost_fit_add_records(struct cost_fit *f, const void *records, size_t row_size, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct record_head h;
        memcpy(&h, (const char *)records + i * row_size, sizeof h);
        f->n += 1;
        f->sx += h.predicted_cost;
        f->sy += h.task_seconds;
        f->sxx += h.predicted_cost * h.predicted_cost;
        f->syy += h.task_seconds * h.task_seconds;
        f->sxy += h.predicted_cost * h.task_seconds;
    }
}

double cost_fit_pearson(const struct cost_fit *f)
{
    if (f->n < 2)
        return NAN;
    double cxx = f->sxx - f->sx * f->sx / f->n, cyy = f->syy - f->sy * f->sy / f->n, cxy = f->sxy - f->sx * f->sy / f->n;
    return cxx > 0 && cyy > 0 ? cxy / sqrt(cxx * cyy) : NAN;
}

void ranks_print_gpus(const struct rank_record *r, int nranks, FILE *out)
{
    int any = 0;
    for (int i = 0; i < nranks; i++)
        any |= r[i].gpu_index >= 0;
    if (!any)
        return;
    fprintf(out, "GPU binding\n  %4s  %-20s %5s %5s  %-28s %-16s %8s\n", "rank", "host", "gpu", "host#", "name",
            "pci bus id", "memory");
    for (int i = 0; i < nranks; i++) {
        if (r[i].gpu_index < 0) {
            fprintf(out, "  %4d  %-20s %5s %5s  %-28s\n", r[i].rank, r[i].host, "-", "-", "cpu");
            continue;
        }
        char host_index[16] = "?";
        if (r[i].gpu_host_index >= 0)
            snprintf(host_index, sizeof host_index, "%d", r[i].gpu_host_index);
        fprintf(out, "  %4d  %-20s %5d %5s  %-28s %-16s %5.1f GiB\n", r[i].rank, r[i].host, r[i].gpu_index,
                host_index, r[i].device, r[i].gpu_pci_bus_id, r[i].gpu_memory_gib);
    }
}
