/* One partitioner or packer measured the way the balance studies measure
 * it (the `fidrun balance`/`pack` commands and the balance suite alike):
 * once untimed (a warm-up), then `repeats` times: the quartiles of the
 * times, whether every repeat gave the same answer, and the metrics of the
 * first. */
#ifndef FIDRUN_TIMED_RUNS_H
#define FIDRUN_TIMED_RUNS_H

#include <stddef.h>
#include <stdint.h>

#include "core/balance/distributions.h"
#include "core/balance/packing.h"
#include "core/balance/partition.h"
#include "util/diag.h"

struct timed_partition {
    struct partition_metrics m;
    double q1_seconds, median_seconds, q3_seconds;
    int deterministic;
};

/* owner (n entries) receives the first run's assignment. */
int time_partition(struct partition_spec s, const double *cost, size_t n, int32_t nranks, int repeats,
                   int32_t *owner, struct timed_partition *out, struct diag *d);

struct timed_packing {
    struct pack_metrics m;
    double q1_seconds, median_seconds, q3_seconds;
    int deterministic;
    int64_t packer_dropped; /* what the packer says it dropped (m.dropped is counted from the placement) */
};

/* plan: receives the first run's packing (pack_free it), or NULL. */
int time_packing(enum pack_algo a, const int64_t *len, size_t n, int32_t nranks, int64_t budget, int repeats,
                 struct timed_packing *out, struct packing *plan, struct diag *d);

/* The same, into the balance suite's rows (every field but distribution
 * and the record head), as the suite and `fidrun balance`/`pack` write
 * them. owner: n entries, the first run's assignment; plan: as above. */
struct balance_partition_record;
struct balance_packing_record;
int measure_partition(struct partition_spec s, const double *v, size_t n, int32_t p, int repeats, int32_t *owner,
                      struct balance_partition_record *r, struct diag *d);
int measure_packing(enum pack_algo a, const double *v, size_t n, int32_t p, int64_t budget, int repeats,
                    struct packing *plan, struct balance_packing_record *r, struct diag *d);

/* A study's items: read from file (column as costs_read takes it) when
 * file is set, else generated from spec for nranks ranks. */
int study_items(const char *file, const char *column, int integers, const struct dist_spec *spec, uint64_t seed,
                int32_t nranks, double **items, size_t *n, struct diag *d);

#endif
