/* Baseline regression compare of results files: every suite table and the
 * checks, through compare.h's rules. */
#ifndef FIDRUN_BASELINE_H
#define FIDRUN_BASELINE_H

#include "config/config.h"
#include "plugin/checks.h"
#include "report/compare.h"

/* Compares every table the two files share and reports tables of the
 * baseline that are missing now. */
int baseline_compare_files(const char *base, const char *now, const struct cmp_policy *p, struct cmp_report *r,
                           struct diag *d);

/* Rank 0 during a run: its gathered records and checks against a baseline
 * file (only the suites this run has). */
int baseline_compare_run(const char *base, const struct run_config *cfg, void *const records[][SUITE_MAX_TABLES],
                         const size_t nrecords[][SUITE_MAX_TABLES], const struct check_list *checks,
                         const struct cmp_policy *p, struct cmp_report *r, struct diag *d);

#endif
