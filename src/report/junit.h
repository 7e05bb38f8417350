/* Results and comparisons as JUnit XML for CI servers, in the shape Apache
 * Ant writes and Jenkins reads (tests/fixtures/junit/junit.xsd): a run's
 * checks one testsuite per fidrun suite, a comparison one testsuite with a
 * testcase per compared metric; real times; the measured values as the
 * testsuite's properties. */
#ifndef FIDRUN_JUNIT_H
#define FIDRUN_JUNIT_H

#include <stdio.h>

#include "report/compare.h"
#include "report/report_data.h"

int report_junit(const struct report_data *r, FILE *out);

/* seconds: what the comparison took (the testsuite's time). */
int report_compare_junit(const struct cmp_report *r, const char *base, const char *now, double seconds, FILE *out);

#endif
