/* A results file as text, one JSON document, CSV files (one per table) or
 * JUnit XML (every check a testcase, one testsuite per fidrun suite). */
#ifndef FIDRUN_REPORT_FORMATS_H
#define FIDRUN_REPORT_FORMATS_H

#include <stdio.h>

#include "report_data.h"

int report_text(const struct report_data *r, FILE *out);
int report_json(const struct report_data *r, FILE *out);
int report_junit(const struct report_data *r, FILE *out);
/* dir/<suite>-<table>.csv and dir/checks.csv, dir/ranks.csv; dir is created. */
int report_csv(const struct report_data *r, const char *dir, struct diag *d);

/* path as JUnit XML, for `fidrun CONFIG --junit FILE` after a run. */
int report_junit_file(const char *results, const char *path, struct diag *d);

#endif
