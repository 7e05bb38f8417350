/* A user's costs or sequence lengths as text: one number per line, or one
 * column of a CSV file (RFC 4180: quoted fields with commas, quotes and
 * line breaks, CRLF; by 1-based index or header name). Blank lines and
 * lines starting with # are skipped. Errors name the source and line. */
#ifndef FIDRUN_COSTS_TEXT_H
#define FIDRUN_COSTS_TEXT_H

#include <stddef.h>

#include "util/diag.h"

/* What the metrics can carry: loads are summed and squared in doubles, so
 * the total stays below 1e150 (its square below 1e300); a length must be a
 * whole number a double holds exactly. Larger inputs are refused with
 * their line, never turned into inf. */
#define COSTS_MAX_TOTAL 1e150
#define COSTS_MAX_LENGTH 9007199254740992.0 /* 2^53 */

/* Pure: parses text. column NULL or "" takes the only or first column.
 * integers: every value must be a whole number (token counts). *out is
 * malloc'd. FR_OK, or FR_USAGE with "source:line: ..." in d. */
int costs_parse(const char *text, size_t len, const char *source, const char *column, int integers, double **out,
                size_t *n, struct diag *d);

/* Reads a file ("-": standard input) and parses it. Empty input is an error. */
int costs_read(const char *path, const char *column, int integers, double **out, size_t *n, struct diag *d);

/* The same with each value's item: the line its record starts on, and its
 * label (the first other field of the record, as written; NULL when the
 * record has only the value), for a plan that says which item went where. */
struct costs_input {
    double *v;
    long *line;
    char **label;
    size_t n;
};
int costs_parse_input(const char *text, size_t len, const char *source, const char *column, int integers,
                      struct costs_input *in, struct diag *d);
int costs_read_input(const char *path, const char *column, int integers, struct costs_input *in, struct diag *d);
void costs_input_free(struct costs_input *in);

#endif
