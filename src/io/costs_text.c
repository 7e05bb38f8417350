#include "io/costs_text.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"

/* The field'th comma-separated field of line [s, end) into buf. -1 if the line has fewer. */
static int csv_field(const char *s, const char *end, long field, char *buf, size_t size)
{
    for (long f = 0; f < field; f++) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        if (!comma)
            return -1;
        s = comma + 1;
    }
    const char *comma = memchr(s, ',', (size_t)(end - s));
    const char *e = comma ? comma : end;
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    if (e - s >= 2 && *s == '"' && e[-1] == '"') { /* the length first: s may be the end of the text */
        s++;
        e--;
    }
    if ((size_t)(e - s) >= size)
        return -2; /* longer than any number that can be read exactly */
    size_t len = (size_t)(e - s);
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 0;
}

static int parse_value(const char *field, int integers, double *v)
{
    char *end;
    if (!*field)
        return -1;
    errno = 0;
    *v = strtod(field, &end);
    if (*end || errno == ERANGE || !isfinite(*v) || *v < 0)
        return -1;
    if (integers && *v != floor(*v))
        return -1;
    return 0;
}

/* Which field holds the values: from a 1-based index, or a header name
 * matched on the first data line. *header: that line is a header. */
static int locate_column(const char *column, const char *first, const char *end, long *field, int *header,
                         const char *source, long line, struct diag *d)
{
    char buf[256];
    *header = 0;
    *field = 0;
    if (!column || !*column) {
        if (csv_field(first, end, 0, buf, sizeof buf) == 0 && *buf && !isdigit((unsigned char)*buf) && *buf != '.' &&
            *buf != '-' && *buf != '+')
            *header = 1; /* a name where a number should be: a header line */
        return FR_OK;
    }
    char *e;
    long idx = strtol(column, &e, 10);
    if (!*e) {
        if (idx < 1)
            return diag_fail(d, FR_USAGE, "column '%s': columns count from 1", column);
        *field = idx - 1;
        double v;
        *header = csv_field(first, end, *field, buf, sizeof buf) == 0 && parse_value(buf, 0, &v) != 0;
        return FR_OK;
    }
    for (long f = 0; csv_field(first, end, f, buf, sizeof buf) == 0; f++) {
        if (strcmp(buf, column) == 0) {
            *field = f;
            *header = 1;
            return FR_OK;
        }
    }
    return diag_fail(d, FR_USAGE, "%s:%ld: no column named '%s' in the header line", source, line, column);
}

int costs_parse(const char *text, size_t len, const char *source, const char *column, int integers, double **out,
                size_t *n, struct diag *d)
{
    double *v = NULL, sum = 0;
    size_t count = 0, cap = 0;
    long line = 0, field = 0;
    int located = 0, header = 0;
    const char *p = text, *stop = text + len;
    *out = NULL;
    *n = 0;
    while (p < stop) {
        const char *nl = memchr(p, '\n', (size_t)(stop - p)), *end = nl ? nl : stop;
        const char *s = p;
        p = nl ? nl + 1 : stop;
        line++;
        while (s < end && isspace((unsigned char)*s))
            s++;
        if (s == end || *s == '#')
            continue;
        if (!located) {
            if (locate_column(column, s, end, &field, &header, source, line, d)) {
                free(v);
                return FR_USAGE;
            }
            located = 1;
            if (header)
                continue;
        }
        char buf[256];
        double x;
        int got = csv_field(s, end, field, buf, sizeof buf);
        if (got) {
            free(v);
            return got == -2 ? diag_fail(d, FR_USAGE, "%s:%ld: the value is over %zu characters long: not a number "
                                                       "fidrun can represent", source, line, sizeof buf - 1)
                             : diag_fail(d, FR_USAGE, "%s:%ld: this line has no column %ld", source, line, field + 1);
        }
        if (parse_value(buf, integers, &x)) {
            free(v);
            return diag_fail(d, FR_USAGE, "%s:%ld: expected a %s, found '%s'", source, line,
                             integers ? "whole number >= 0 (a length in tokens)" : "finite number >= 0 (a cost)",
                             buf);
        }
        if (integers && x > COSTS_MAX_LENGTH) {
            free(v);
            return diag_fail(d, FR_USAGE, "%s:%ld: a length of %s tokens is over 2^53 (%.0f), past which a double "
                                          "cannot count tokens exactly", source, line, buf, COSTS_MAX_LENGTH);
        }
        sum += x;
        if (!(sum <= COSTS_MAX_TOTAL)) {
            free(v);
            return diag_fail(d, FR_USAGE, "%s:%ld: the %s add up to more than %g here (this line: %s): the metrics "
                                          "square the loads, so larger totals cannot be represented; scale them down",
                             source, line, integers ? "lengths" : "costs", COSTS_MAX_TOTAL, buf);
        }
        if (array_reserve((void **)&v, &cap, count + 1, sizeof *v, 1024)) {
            free(v);
            return diag_fail(d, FR_RUNTIME, "out of memory reading %s", source);
        }
        v[count++] = x;
    }
    if (count == 0) {
        free(v);
        return diag_fail(d, FR_USAGE, "%s: no numbers found (expected one per line, or a CSV column)", source);
    }
    *out = v;
    *n = count;
    return FR_OK;
}

int costs_read(const char *path, const char *column, int integers, double **out, size_t *n, struct diag *d)
{
    int from_stdin = strcmp(path, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return diag_fail(d, FR_USAGE, "cannot open '%s': %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (array_reserve((void **)&text, &cap, len + 65536, 1, 1 << 20)) {
            free(text);
            if (!from_stdin)
                fclose(f);
            return diag_fail(d, FR_RUNTIME, "out of memory reading '%s'", path);
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    if (!from_stdin)
        fclose(f);
    if (err) {
        free(text);
        return diag_fail(d, FR_USAGE, "cannot read '%s' (is it a directory?)", path);
    }
    int rc = costs_parse(text, len, from_stdin ? "(standard input)" : path, column, integers, out, n, d);
    free(text);
    return rc;
}
