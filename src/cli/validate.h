/* fidrun validate CONFIG.yaml [--ranks P] [--json] [-v] ... */
#ifndef FIDRUN_VALIDATE_H
#define FIDRUN_VALIDATE_H

#include "cli/run_args.h"

int validate_main(const struct cli *c);

#endif
