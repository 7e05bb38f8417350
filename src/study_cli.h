/* Command lines of the quick studies, `fidrun balance` and `fidrun pack`:
 * parsed into a struct without I/O, so they are unit-tested. */
#ifndef FIDRUN_STUDY_CLI_H
#define FIDRUN_STUDY_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"
#include "core/balance/distributions.h"
#include "core/balance/packing.h"
#include "core/balance/partition.h"

#define STUDY_MAX_RANKS 64
#define STUDY_MAX_ALGOS 16

enum study_kind { STUDY_BALANCE, STUDY_PACK };

struct study_cli {
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
    int json, loads, help;
};

extern const char study_balance_usage[], study_pack_usage[];

/* Presets for --dist NAME (parameters overridable by --n, --lo, ...). */
int dist_preset(const char *name, struct dist_spec *s);

/* argv[0] is the subcommand ("balance" or "pack"). */
int study_cli_parse(int argc, char **argv, struct study_cli *c, struct diag *d);

#endif
