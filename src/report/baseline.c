#include "report/baseline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot_gnuplot.h"
#include "report/report_formats.h"
#include "report/report_html.h"
#include "io/results.h"
#include "config/schema.h"
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

static const char compare_usage[] =
    "usage: fidrun compare BASE.h5 NEW.h5 [options]\n"
    "\n"
    "Compares every figure of NEW with the same figure of BASE (rows matched by\n"
    "name) and exits 1 on any regression:\n"
    "  strings, integers, packed-tensor hashes   must be equal\n"
    "  numbers        within [b - lower|b| - atol, b + upper|b| + atol] (default 1%)\n"
    "  times (s)      at most b (1 + band)        (faster never regresses)\n"
    "  rates (GB/s)   at least b (1 - band)\n"
    "  checks         one that passed must still pass\n"
    "\n"
    "options:\n"
    "  --tolerance METRIC=LOWER,UPPER   fractions for one column (e.g. sqnr_db=-0.02,1)\n"
    "  --atol X                         absolute slack for numbers (default 1e-12)\n"
    "  --band F                         times and rates (default 0.25)\n"
    "  --verbose                        every compared figure, not only changes\n"
    "  --format text|junit|html         text (default); JUnit XML: every compared metric a\n"
    "                                   testcase, failing when it regressed (for CI servers);\n"
    "                                   html: one self-contained page with both runs' provenance,\n"
    "                                   a plot of the changes (gnuplot) and every compared metric\n"
    "  -o PATH                          write the report there instead of standard output\n"
    "exit codes: 0 no regression, 1 regression, 2 usage error, 3 unreadable file\n";

static int parse_number_option(const char *opt, const char *text, double lo, double *out, struct diag *d)
{
    int overflow;
    if (!text || parse_real(text, out, &overflow) || !(*out >= lo))
        return diag_fail(d, FR_USAGE, "%s expects a number >= %g, not '%s'", opt, lo, text ? text : "");
    return FR_OK;
}

static int compare_html(const struct cmp_report *r, const char *const files[2], FILE *out, struct diag *d)
{
    struct report_data base, now;
    char gnuplot[4096];
    int rc = report_load(files[0], &base, d);
    if (!rc && !(rc = report_load(files[1], &now, d))) {
        rc = report_compare_html(r, &base, &now, plot_gnuplot_find(gnuplot, sizeof gnuplot), out);
        report_free(&now);
    }
    report_free(&base);
    return rc;
}

int baseline_main(int argc, char **argv)
{
    struct cmp_policy p;
    struct diag d = {0};
    const char *files[2] = {NULL, NULL};
    int nfiles = 0, verbose = 0, rc = FR_OK;
    const char *format = "text", *path = NULL;
    cmp_policy_defaults(&p);
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(compare_usage, stdout);
            return FR_OK;
        } else if (!strcmp(a, "--tolerance"))
            rc = i + 1 < argc ? cmp_policy_add(&p, argv[++i], &d)
                              : diag_fail(&d, FR_USAGE, "--tolerance needs METRIC=LOWER,UPPER");
        else if (!strcmp(a, "--atol"))
            rc = parse_number_option(a, i + 1 < argc ? argv[++i] : NULL, 0, &p.atol, &d);
        else if (!strcmp(a, "--band"))
            rc = parse_number_option(a, i + 1 < argc ? argv[++i] : NULL, 0, &p.band, &d);
        else if (!strcmp(a, "--verbose") || !strcmp(a, "-v"))
            verbose = 1;
        else if (!strcmp(a, "--format") || !strcmp(a, "-o")) {
            if (i + 1 >= argc)
                rc = diag_fail(&d, FR_USAGE, "%s needs a value (see fidrun compare --help)", a);
            else if (!strcmp(a, "-o"))
                path = argv[++i];
            else if (strcmp(format = argv[++i], "text") && strcmp(format, "junit") && strcmp(format, "html"))
                rc = diag_fail(&d, FR_USAGE, "--format '%s' is not one of text, junit, html", format);
        }
        else if (a[0] == '-')
            rc = diag_fail(&d, FR_USAGE, "unknown option '%s' (see fidrun compare --help)", a);
        else if (nfiles < 2)
            files[nfiles++] = a;
        else
            rc = diag_fail(&d, FR_USAGE, "fidrun compare takes two results files, not a third ('%s')", a);
    }
    if (!rc && nfiles != 2)
        rc = diag_fail(&d, FR_USAGE, "fidrun compare needs BASE.h5 and NEW.h5 (see fidrun compare --help)");
    struct cmp_report r = {0};
    if (!rc)
        rc = baseline_compare_files(files[0], files[1], &p, &r, &d);
    if (rc) {
        fprintf(stderr, "fidrun: error: %s\n", d.msg);
        cmp_report_free(&r);
        return rc;
    }
    d = (struct diag){0};
    FILE *out = path ? fopen(path, "w") : stdout;
    if (!out) {
        fprintf(stderr, "fidrun: error: cannot write '%s': %s\n", path, strerror(errno));
        cmp_report_free(&r);
        return FR_RUNTIME;
    }
    if (strcmp(format, "junit") == 0) {
        rc = report_compare_junit(&r, files[0], files[1], out);
    } else if (strcmp(format, "html") == 0) {
        rc = compare_html(&r, files, out, &d);
    } else {
        fprintf(out, "baseline %s\nnow      %s\n", files[0], files[1]);
        cmp_report_print(&r, out, !verbose);
    }
    if (path && fclose(out) != 0)
        rc = FR_RUNTIME;
    if (rc && d.msg[0])
        fprintf(stderr, "fidrun: error: %s\n", d.msg);
    else if (rc)
        fprintf(stderr, "fidrun: error: cannot write the comparison%s%s\n", path ? " to " : "", path ? path : "");
    /* the verdict always reaches the terminal, whatever the format */
    FILE *verdict = strcmp(format, "text") != 0 || path ? stderr : stdout;
    fprintf(verdict, "%s: %lld regression%s in %zu compared metrics\n", r.regressions ? "REGRESSED" : "NO REGRESSION",
            (long long)r.regressions, r.regressions == 1 ? "" : "s", r.n);
    rc = rc ? rc : r.regressions ? FR_CHECK_FAILED : FR_OK;
    cmp_report_free(&r);
    return rc;
}
