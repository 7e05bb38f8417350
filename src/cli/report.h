/* fidrun report RESULTS.h5 ...: a results file as text, JSON, CSV, JUnit or HTML. */
#ifndef FIDRUN_REPORT_CLI_H
#define FIDRUN_REPORT_CLI_H

#include "util/diag.h"

int report_main(int argc, char **argv);

#endif
