/* fidrun compare BASE.h5 NEW.h5 [options]: two results files compared by
 * report/baseline.c, printed as text, JUnit XML or an HTML page. */
#include "cli/compare.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/schema.h"
#include "report/baseline.h"
#include "report/plot_gnuplot.h"
#include "report/junit.h"
#include "report/report_formats.h"
#include "report/report_html.h"
#include "util/clock.h"

static const char compare_usage[] =
    "usage: fidrun compare BASE.h5 NEW.h5 [options]\n"
    "\n"
    "Compares every figure of NEW with the same figure of BASE (rows matched by their\n"
    "names) and exits 1 on any regression. Each column has a direction:\n"
    "  lower / higher  errors, ratios, losses, bad counts / SQNR, efficiency, balance:\n"
    "                  worse than the baseline by more than the band (default 1% of it)\n"
    "                  is a regression, better by more than it an improvement\n"
    "  time / rate     judged against the noise between runs: a table's rows together,\n"
    "                  by the 95% bootstrap interval of their median change, which must\n"
    "                  lie past --band (a machine-wide slow-down moves every row, noise\n"
    "                  a few either way); a table of 1 or 2 rows by each row's repeats'\n"
    "                  quartiles (median worse by more than --band, ranges apart)\n"
    "  exact, pass     shapes, hashes, settings must be equal; a pass must still pass\n"
    "  info            the inputs (sigma_max, max |W|): shown, not judged\n"
    "Every table's rows line counts the baseline's rows missing now. Runs that measured\n"
    "different things are refused, naming each difference, unless --allow-different:\n"
    "another seed or suite, or any config value that changes what is measured (model,\n"
    "dtype, shapes, bits, tolerances; not repeats, timeouts or check bounds).\n"
    "\n"
    "options:\n"
    "  --tolerance METRIC=LOWER,UPPER   fractions for one column (e.g. sqnr_db=-0.02,1)\n"
    "  --atol X                         absolute slack for numbers (default 1e-12)\n"
    "  --band F                         the change of a time or rate that counts (default 0.10)\n"
    "  --allow-different                compare runs of different configs or seeds; their\n"
    "                                   differences are printed first\n"
    "  --verbose                        every compared figure, not only changes\n"
    "  --format text|json|junit|html    text (default); JSON: the lines and the counts;\n"
    "                                   JUnit XML: every compared metric a testcase, failing\n"
    "                                   when it regressed (for CI servers); html: one\n"
    "                                   self-contained page with both runs' provenance, a plot\n"
    "                                   of the changes (gnuplot) and every compared metric\n"
    "  -o PATH                          write the report there instead of standard output\n"
    "exit codes: 0 no regression, 1 regression, 2 usage error, runs that differ, or a file\n"
    "            that is not a readable results file (damaged, or not fidrun's),\n"
    "            3 cannot write the report\n";

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

int compare_main(int argc, char **argv)
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
        else if (!strcmp(a, "--allow-different"))
            p.allow_different = 1;
        else if (!strcmp(a, "--format") || !strcmp(a, "-o")) {
            if (i + 1 >= argc)
                rc = diag_fail(&d, FR_USAGE, "%s needs a value (see fidrun compare --help)", a);
            else if (!strcmp(a, "-o"))
                path = argv[++i];
            else if (strcmp(format = argv[++i], "text") && strcmp(format, "json") && strcmp(format, "junit") &&
                     strcmp(format, "html"))
                rc = diag_fail(&d, FR_USAGE, "--format '%s' is not one of text, json, junit, html", format);
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
    double started = now_seconds();
    if (!rc)
        rc = baseline_compare_files(files[0], files[1], &p, &r, &d);
    double compare_seconds = now_seconds() - started;
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
        rc = report_compare_junit(&r, files[0], files[1], compare_seconds, out);
    } else if (strcmp(format, "json") == 0) {
        rc = report_compare_json(&r, files[0], files[1], out);
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
    char line[256];
    struct cmp_counts counts;
    cmp_count(&r, &counts);
    fprintf(verdict, "%s\n", cmp_verdict_line(&r, line, sizeof line));
    rc = rc ? rc : counts.regressed ? FR_CHECK_FAILED : FR_OK;
    cmp_report_free(&r);
    return rc;
}
