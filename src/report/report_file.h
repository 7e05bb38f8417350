/* A results file as one report format ("text", "json", "junit", "html";
 * CSV is a folder, report_csv), written to path (NULL: standard output). */
#ifndef FIDRUN_REPORT_FILE_H
#define FIDRUN_REPORT_FILE_H

#include "report/report_data.h"
#include "util/diag.h"

int report_write(const struct report_data *r, const char *format, const char *path, struct diag *d);

/* The file at results, loaded and written: fidrun CONFIG --junit FILE or
 * --html FILE after a run. */
int report_file(const char *results, const char *format, const char *path, struct diag *d);

#endif
