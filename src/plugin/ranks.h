/* Per-rank accounting: tasks, predicted load, measured busy time. */
#ifndef FIDRUN_RANKS_H
#define FIDRUN_RANKS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plugin/table.h"

struct rank_record {
    int32_t rank;
    char host[64];
    int32_t local_rank;
    char cpu_affinity[64];  /* the CPUs this rank is bound to, "0-3,8" */
    char device[96];        /* the CPU, or the GPU's name */
    int32_t gpu_index;      /* CUDA ordinal bound, -1 on the CPU */
    int32_t gpu_host_index; /* that GPU on the host (through CUDA_VISIBLE_DEVICES), -1 if unknown */
    char gpu_pci_bus_id[32];
    double gpu_memory_gib;
    int32_t tasks;
    double predicted_cost;
    double busy_seconds; /* sum of task wall times */
};

extern const struct table_desc rank_table;

/* out[r] = all[r] (host, local rank, device) with no tasks yet. */
void ranks_start(const struct rank_record *all, int nranks, struct rank_record *out);

/* Adds records (each starting with struct record_head) to the per-rank totals. */
void ranks_add_records(const void *records, size_t row_size, size_t n, int nranks, struct rank_record *out);

/* Pearson correlation of predicted cost and measured task time, to judge
 * the cost model: sums accumulated over records, then finished. */
struct cost_fit {
    double n, sx, sy, sxx, syy, sxy;
};
void cost_fit_add_records(struct cost_fit *f, const void *records, size_t row_size, size_t n);
double cost_fit_pearson(const struct cost_fit *f); /* NaN with fewer than 2 tasks or no spread */

/* max busy / mean busy */
double ranks_realized_imbalance(const struct rank_record *r, int nranks);

/* The binding table: rank, host, GPU index, name, PCI bus id, memory;
 * nothing when no rank has a GPU. */
void ranks_print_gpus(const struct rank_record *r, int nranks, FILE *out);

/* "ranks: busy 61.2 60.8 61.0 60.9 s · realized imbalance 1.004 (predicted 1.003)" */
void ranks_print(const struct rank_record *r, int nranks, double predicted, FILE *out);

#endif
