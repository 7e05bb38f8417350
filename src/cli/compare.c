/* fidrun compare BASE.h5 NEW.h5 [options]: two results files compared by
 * report/baseline.c, printed as text, JUnit XML or an HTML page. */
#include "cli/compare.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/schema.h"
#include "report/baseline.h"
#include "report/plot_gnuplot.h"
#include "report/report_formats.h"
#include "report/report_html.h"

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
    "exit codes: 0 no regression, 1 regression, 2 usage error or a file that is not a readable\n"
    "            results file (damaged, or not fidrun's), 3 cannot write the report\n";

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
