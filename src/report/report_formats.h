/* A results file as text, one JSON document or CSV files (one per table);
 * JUnit XML is report/junit.h. */
#ifndef FIDRUN_REPORT_FORMATS_H
#define FIDRUN_REPORT_FORMATS_H

#include <stdio.h>

#include "report/compare.h"
#include "report/report_data.h"

int report_text(const struct report_data *r, FILE *out);
int report_json(const struct report_data *r, FILE *out);
/* dir/<suite>-<table>.csv and dir/checks.csv, dir/ranks.csv; dir is created. */
int report_csv(const struct report_data *r, const char *dir, struct diag *d);

/* A baseline comparison as one JSON document: the counts, the verdict and
 * every line (the same lines and counts as the text, JUnit and HTML). */
int report_compare_json(const struct cmp_report *r, const char *base, const char *now, FILE *out);

#endif
