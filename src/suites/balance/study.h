/* Running `fidrun balance` and `fidrun pack`: load or generate the items,
 * run every algorithm for every rank count, print a table or JSON. */
#ifndef FIDRUN_STUDY_H
#define FIDRUN_STUDY_H

#include <stddef.h>
#include <stdint.h>

#include "core/balance/distributions.h"
#include "core/balance/packing.h"
#include "core/balance/partition.h"

#define STUDY_MAX_RANKS 64
#define STUDY_MAX_ALGOS 16

enum study_kind { STUDY_BALANCE, STUDY_PACK };

/* What to study, as `fidrun balance` and `fidrun pack` were asked. */
struct study_request {
    enum study_kind kind;
    int32_t ranks[STUDY_MAX_RANKS];
    size_t nranks;
    struct partition_spec algos[STUDY_MAX_ALGOS]; /* balance */
    enum pack_algo pack_algos[PK_COUNT];          /* pack */
    size_t nalgos;
    const char *file;   /* --costs / --lengths, "-" for stdin; NULL: --dist */
    const char *column; /* --column */
    int have_dist;
    struct dist_spec dist;
    uint64_t seed;
    int64_t budget; /* pack */
    int repeats;    /* timing: median of this many */
    const char *assign; /* --assign: the plan's file (CSV, or JSON for *.json) */
    int json, loads, help;
};

/* Returns the exit code (errors are printed). */
int study_run(const struct study_request *c);

#endif
