/* fidrun report RESULTS.h5 [--format text|json|csv|junit|html] [-o PATH]: a
 * results file read alone (no rerun, no MPI). */
#include "cli/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot_gnuplot.h"
#include "report/report_file.h"
#include "report/report_formats.h"
#include "report/report_html.h"

static const char usage[] =
    "usage: fidrun report RESULTS.h5 [--format text|json|csv|junit|html] [-o PATH]\n"
    "\n"
    "Reads a results file alone (no rerun, no MPI) and writes:\n"
    "  text   (default) what the run printed: where it ran, each suite's summary tables,\n"
    "         the checks and the verdict (the numbers in full: --format csv or json)\n"
    "  json   one document: {\"provenance\": {...}, \"tables\": {\"osft/matrices\": [records]}}\n"
    "         (pandas.json_normalize(doc[\"tables\"][\"osft/matrices\"]) reads a table)\n"
    "  csv    one file per table into the folder -o names (default RESULTS-csv)\n"
    "  junit  every check a testcase, one testsuite per fidrun suite, a failure carrying\n"
    "         value, bound and unit (for CI servers)\n"
    "  html   one self-contained page (nothing fetched when viewed): provenance, checks\n"
    "         (failed first), plots drawn with gnuplot (FIDRUN_GNUPLOT=PATH picks the program;\n"
    "         without it the page says so and shows the plotted values as tables), every table\n"
    "-o PATH writes there instead of standard output (csv: the folder).\n"
    "exit codes: 0 written, 2 usage or not a results file, 3 cannot write\n";

int report_main(int argc, char **argv)
{
    const char *file = NULL, *format = "text", *path = NULL;
    struct diag d = {0};
    int rc = FR_OK;
    for (int i = 1; i < argc && !rc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return FR_OK;
        }
        if ((!strcmp(argv[i], "--format") || !strcmp(argv[i], "-o")) && i + 1 >= argc)
            rc = diag_fail(&d, FR_USAGE, "%s needs a value (see fidrun report --help)", argv[i]);
        else if (!strcmp(argv[i], "--format"))
            format = argv[++i];
        else if (!strcmp(argv[i], "-o"))
            path = argv[++i];
        else if (argv[i][0] == '-')
            rc = diag_fail(&d, FR_USAGE, "unknown option '%s' (see fidrun report --help)", argv[i]);
        else if (file)
            rc = diag_fail(&d, FR_USAGE, "one results file only, found '%s' and '%s'", file, argv[i]);
        else
            file = argv[i];
    }
    if (!rc && !file)
        rc = diag_fail(&d, FR_USAGE, "which results file? (see fidrun report --help)");
    if (!rc && strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "junit") &&
        strcmp(format, "html"))
        rc = diag_fail(&d, FR_USAGE, "--format '%s' is not one of text, json, csv, junit, html", format);
    struct report_data r = {0};
    if (!rc)
        rc = report_load(file, &r, &d);
    if (!rc && strcmp(format, "csv") == 0) {
        char dir[600];
        if (!path) {
            size_t len = strlen(file);
            int cut = len > 3 && strcmp(file + len - 3, ".h5") == 0 ? (int)len - 3 : (int)len;
            snprintf(dir, sizeof dir, "%.*s-csv", cut, file);
            path = dir;
        }
        if (!(rc = report_csv(&r, path, &d)))
            fprintf(stderr, "fidrun report: %zu tables written to %s/\n", r.ntables, path);
    } else if (!rc) {
        rc = report_write(&r, format, path, &d);
    }
    report_free(&r);
    if (rc)
        fprintf(stderr, "fidrun report: error: %s\n", d.msg);
    return rc;
}
