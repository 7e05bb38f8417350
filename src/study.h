/* Running `fidrun balance` and `fidrun pack`: load or generate the items,
 * run every algorithm for every rank count, print a table or JSON. */
#ifndef FIDRUN_STUDY_H
#define FIDRUN_STUDY_H

#include "study_cli.h"

/* Returns the exit code (errors are printed). */
int study_run(const struct study_cli *c);

#endif
