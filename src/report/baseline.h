/* Baseline regression compare of results files: every suite table and the
 * checks, through compare.h's rules. */
#ifndef FIDRUN_BASELINE_H
#define FIDRUN_BASELINE_H

#include "config/config.h"
#include "plugin/checks.h"
#include "report/compare.h"

/* Refuses two files that measured different things (unless
 * p->allow_different), then compares every table the two files share and
 * reports tables of the baseline that are missing now. */
int baseline_compare_files(const char *base, const char *now, const struct cmp_policy *p, struct cmp_report *r,
                           struct diag *d);

/* Before a run: the baseline's seed and suites' descriptions against this
 * config's; FR_USAGE naming the differences unless p->allow_different. */
int baseline_check_run(const char *base, const struct run_config *cfg, const struct cmp_policy *p,
                       struct cmp_report *r, struct diag *d);

/* The newest results file in dir that is a saved baseline (--save-baseline)
 * of the run named name, into path; FR_USAGE when there is none. */
int baseline_find_auto(const char *dir, const char *name, char *path, size_t size, struct diag *d);

/* Rank 0 during a run: its gathered records and checks against a baseline
 * file (only the suites this run has). */
int baseline_compare_run(const char *base, const struct run_config *cfg, void *const records[][SUITE_MAX_TABLES],
                         const size_t nrecords[][SUITE_MAX_TABLES], const struct check_list *checks,
                         const struct cmp_policy *p, struct cmp_report *r, struct diag *d);

#endif
