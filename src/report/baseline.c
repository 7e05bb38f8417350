#include "report/baseline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/results.h"
#include "plugin/suite.h"

/* The table `dataset` of `base` against rows already in memory. */
static int compare_with_file(const char *base, const char *dataset, const struct table_desc *desc, const void *now,
                             size_t nnow, const struct cmp_policy *p, struct cmp_report *r, struct diag *d)
{
    int has = results_has_table(base, dataset);
    if (has < 0)
        return diag_fail(d, FR_USAGE, "cannot open baseline results file '%s'", base);
    if (!has)
        return FR_OK; /* the baseline did not run this: nothing to hold it to */
    void *rows;
    size_t n;
    int rc = results_read_table(base, dataset, desc, &rows, &n, d);
    if (rc)
        return rc;
    if (compare_rows(dataset + 1, desc, rows, n, now, nnow, p, r))
        rc = diag_fail(d, FR_RUNTIME, "out of memory comparing %s", dataset);
    free(rows);
    return rc;
}

int baseline_compare_run(const char *base, const struct run_config *cfg, void *const records[][SUITE_MAX_TABLES],
                         const size_t nrecords[][SUITE_MAX_TABLES], const struct check_list *checks,
                         const struct cmp_policy *p, struct cmp_report *r, struct diag *d)
{
    for (size_t i = 0; i < cfg->nsuites; i++) {
        const struct suite *su = cfg->suites[i].suite;
        for (size_t t = 0; t < su->ntables; t++) {
            char dataset[128];
            snprintf(dataset, sizeof dataset, "/%s/%s", su->name, su->record_tables[t]->name);
            int rc = compare_with_file(base, dataset, su->record_tables[t], records[i][t], nrecords[i][t], p, r, d);
            if (rc)
                return rc;
        }
    }
    return compare_with_file(base, "/checks", &check_table, checks->items, checks->n, p, r, d);
}

static int compare_table(const char *base, const char *now, const char *dataset, const struct table_desc *desc,
                         const struct cmp_policy *p, struct cmp_report *r, struct diag *d)
{
    int in_base = results_has_table(base, dataset), in_now = results_has_table(now, dataset);
    if (in_base < 0 || in_now < 0)
        return diag_fail(d, FR_USAGE, "cannot open results file '%s'", in_base < 0 ? base : now);
    if (!in_base)
        return FR_OK;
    if (!in_now) {
        void *rows;
        size_t n;
        if (results_read_table(base, dataset, desc, &rows, &n, d))
            return d->code;
        free(rows);
        r->missing_rows += (int64_t)n;
        r->regressions += (int64_t)n;
        return FR_OK;
    }
    void *rows;
    size_t n;
    int rc = results_read_table(now, dataset, desc, &rows, &n, d);
    if (!rc)
        rc = compare_with_file(base, dataset, desc, rows, n, p, r, d);
    free(rows);
    return rc;
}

int baseline_compare_files(const char *base, const char *now, const struct cmp_policy *p, struct cmp_report *r,
                           struct diag *d)
{
    for (size_t i = 0; i < suite_count(); i++) {
        const struct suite *su = suite_at(i);
        for (size_t t = 0; t < su->ntables; t++) {
            char dataset[128];
            snprintf(dataset, sizeof dataset, "/%s/%s", su->name, su->record_tables[t]->name);
            int rc = compare_table(base, now, dataset, su->record_tables[t], p, r, d);
            if (rc)
                return rc;
        }
    }
    return compare_table(base, now, "/checks", &check_table, p, r, d);
}
