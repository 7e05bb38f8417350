/* fidrun report RESULTS.h5 ...: a results file as text, JSON, CSV, JUnit or HTML. */
#ifndef FIDRUN_REPORT_CLI_H
#define FIDRUN_REPORT_CLI_H

#include "util/diag.h"

int report_main(int argc, char **argv);

/* results as format ("junit", "html", ...) written to path, for
 * `fidrun CONFIG --junit FILE` / `--html FILE` after a run. */
int report_file(const char *results, const char *format, const char *path, struct diag *d);

#endif
