/* A results file as text, one JSON document, CSV files (one per table) or
 * JUnit XML (every check a testcase, one testsuite per fidrun suite). */
#ifndef FIDRUN_REPORT_FORMATS_H
#define FIDRUN_REPORT_FORMATS_H

#include <stdio.h>

#include "report/compare.h"
#include "report/report_data.h"

int report_text(const struct report_data *r, FILE *out);
int report_json(const struct report_data *r, FILE *out);
int report_junit(const struct report_data *r, FILE *out);
/* dir/<suite>-<table>.csv and dir/checks.csv, dir/ranks.csv; dir is created. */
int report_csv(const struct report_data *r, const char *dir, struct diag *d);

/* A baseline comparison as JUnit XML: every compared metric a testcase,
 * failing when it regressed, and one for the baseline's rows being there. */
int report_compare_junit(const struct cmp_report *r, const char *base, const char *now, FILE *out);

#endif
