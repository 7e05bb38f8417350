/* A results file written as one report format, to a path or standard
 * output: what fidrun report does, and --junit/--html after a run. */
#include "report/report_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report/plot_gnuplot.h"
#include "report/junit.h"
#include "report/report_formats.h"
#include "report/report_html.h"

int report_write(const struct report_data *r, const char *format, const char *path, struct diag *d)
{
    FILE *out = path ? fopen(path, "w") : stdout;
    if (!out)
        return diag_fail(d, FR_RUNTIME, "cannot write '%s': %s", path, strerror(errno));
    char gnuplot[4096];
    int rc = strcmp(format, "json") == 0    ? report_json(r, out)
             : strcmp(format, "junit") == 0 ? report_junit(r, out)
             : strcmp(format, "html") == 0  ? report_html(r, plot_gnuplot_find(gnuplot, sizeof gnuplot), out)
                                            : report_text(r, out);
    if (path && fclose(out) != 0 && !rc)
        rc = FR_RUNTIME;
    if (rc)
        diag_fail(d, FR_RUNTIME, "cannot write the %s report%s%s", format, path ? " to " : "", path ? path : "");
    return rc;
}

int report_file(const char *results, const char *format, const char *path, struct diag *d)
{
    struct report_data r;
    int rc = report_load(results, &r, d);
    if (!rc)
        rc = report_write(&r, format, path, d);
    report_free(&r);
    return rc;
}
