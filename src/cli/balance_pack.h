/* Command lines of the quick studies, `fidrun balance` and `fidrun pack`:
 * parsed into a struct without I/O, so they are unit-tested. */
#ifndef FIDRUN_STUDY_CLI_H
#define FIDRUN_STUDY_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "suites/balance/study.h"
#include "util/diag.h"

extern const char study_balance_usage[], study_pack_usage[];

/* Presets for --dist NAME (parameters overridable by --n, --lo, ...). */
int dist_preset(const char *name, struct dist_spec *s);

/* argv[0] is the subcommand ("balance" or "pack"). */
int study_cli_parse(int argc, char **argv, struct study_request *c, struct diag *d);

/* fidrun balance | pack ...: no MPI, no config; the exit code. */
int balance_pack_main(int argc, char **argv);

#endif
