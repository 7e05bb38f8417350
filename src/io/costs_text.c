#include "io/costs_text.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/csv.h"

/* A field as a value: unquoted text trimmed of spaces (quoted text is as
 * written), at most size - 1 characters. -2 when longer. */
static int field_text(const struct csv_record *r, size_t i, char *buf, size_t size)
{
    const char *s = r->field[i], *e = s + strlen(s);
    if (!r->quoted[i]) {
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
    }
    if ((size_t)(e - s) >= size)
        return -2; /* longer than any number that can be read exactly */
    memcpy(buf, s, (size_t)(e - s));
    buf[e - s] = '\0';
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
 * matched on the first record. *header: that record is a header. */
static int locate_column(const char *column, const struct csv_record *first, long *field, int *header,
                         const char *source, struct diag *d)
{
    char buf[256];
    *header = 0;
    *field = 0;
    if (!column || !*column) {
        if (field_text(first, 0, buf, sizeof buf) == 0 && *buf && !isdigit((unsigned char)*buf) && *buf != '.' &&
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
        *header = (size_t)*field < first->n && field_text(first, (size_t)*field, buf, sizeof buf) == 0 &&
                  parse_value(buf, 0, &v) != 0;
        return FR_OK;
    }
    for (size_t f = 0; f < first->n; f++)
        if (field_text(first, f, buf, sizeof buf) == 0 && strcmp(buf, column) == 0) {
            *field = (long)f;
            *header = 1;
            return FR_OK;
        }
    return diag_fail(d, FR_USAGE, "%s:%ld: no column named '%s' in the header line", source, first->line, column);
}

/* A record that holds nothing: blank, or a comment (# first, unquoted). */
static int skipped(const struct csv_record *r)
{
    const char *s = r->field[0];
    while (isspace((unsigned char)*s))
        s++;
    return !r->quoted[0] && ((r->n == 1 && !*s) || *s == '#');
}

void costs_input_free(struct costs_input *in)
{
    for (size_t i = 0; in->label && i < in->n; i++)
        free(in->label[i]);
    free(in->v);
    free(in->line);
    free(in->label);
    *in = (struct costs_input){0};
}

/* One value of the record: its number, line and label (the first other
 * field, as written; NULL when the record has just the one). */
static int add_item(struct costs_input *in, size_t *cap, const struct csv_record *r, long field, double x,
                    const char *source, struct diag *d)
{
    if (in->n == *cap) { /* three arrays of one length */
        size_t c = *cap ? 2 * *cap : 1024;
        double *v = realloc(in->v, c * sizeof *v);
        in->v = v ? v : in->v;
        long *l = v ? realloc(in->line, c * sizeof *l) : NULL;
        in->line = l ? l : in->line;
        char **lb = l ? realloc(in->label, c * sizeof *lb) : NULL;
        in->label = lb ? lb : in->label;
        if (!lb)
            return diag_fail(d, FR_RUNTIME, "out of memory reading %s", source);
        *cap = c;
    }
    char *label = NULL;
    if (r->n > 1 && !(label = strdup(r->field[field == 0 ? 1 : 0])))
        return diag_fail(d, FR_RUNTIME, "out of memory reading %s", source);
    in->v[in->n] = x;
    in->line[in->n] = r->line;
    in->label[in->n] = label;
    in->n++;
    return FR_OK;
}

int costs_parse_input(const char *text, size_t len, const char *source, const char *column, int integers,
                      struct costs_input *in, struct diag *d)
{
    double sum = 0;
    size_t cap = 0, pos = 0;
    long line = 0, field = 0;
    int located = 0, header = 0, rc = FR_OK;
    struct csv_record r = {0};
    const char *why;
    enum csv_status st;
    *in = (struct costs_input){0};
    while (!rc && (st = csv_next(text, len, &pos, &line, &r, &why)) == CSV_RECORD) {
        if (skipped(&r))
            continue;
        if (!located) {
            if ((rc = locate_column(column, &r, &field, &header, source, d)))
                break;
            located = 1;
            if (header)
                continue;
        }
        char buf[256];
        double x;
        int got = (size_t)field < r.n ? field_text(&r, (size_t)field, buf, sizeof buf) : -1;
        if (got) {
            rc = got == -2 ? diag_fail(d, FR_USAGE, "%s:%ld: the value is over %zu characters long: not a number "
                                                    "fidrun can represent", source, r.line, sizeof buf - 1)
                           : diag_fail(d, FR_USAGE, "%s:%ld: this line has no column %ld", source, r.line, field + 1);
        } else if (parse_value(buf, integers, &x)) {
            rc = diag_fail(d, FR_USAGE, "%s:%ld: expected a %s, found '%s'", source, r.line,
                           integers ? "whole number >= 0 (a length in tokens)" : "finite number >= 0 (a cost)", buf);
        } else if (integers && x > COSTS_MAX_LENGTH) {
            rc = diag_fail(d, FR_USAGE, "%s:%ld: a length of %s tokens is over 2^53 (%.0f), past which a double "
                                        "cannot count tokens exactly", source, r.line, buf, COSTS_MAX_LENGTH);
        } else if (!((sum += x) <= COSTS_MAX_TOTAL)) {
            rc = diag_fail(d, FR_USAGE, "%s:%ld: the %s add up to more than %g here (this line: %s): the metrics "
                                        "square the loads, so larger totals cannot be represented; scale them down",
                           source, r.line, integers ? "lengths" : "costs", COSTS_MAX_TOTAL, buf);
        } else
            rc = add_item(in, &cap, &r, field, x, source, d);
    }
    if (!rc && st == CSV_ERROR)
        rc = diag_fail(d, FR_USAGE, "%s:%ld: %s", source, r.line, why); /* the record that starts there */
    csv_record_free(&r);
    if (!rc && in->n == 0)
        rc = diag_fail(d, FR_USAGE, "%s: no numbers found (expected one per line, or a CSV column)", source);
    if (rc)
        costs_input_free(in);
    return rc;
}

int costs_parse(const char *text, size_t len, const char *source, const char *column, int integers, double **out,
                size_t *n, struct diag *d)
{
    struct costs_input in;
    int rc = costs_parse_input(text, len, source, column, integers, &in, d);
    *out = NULL;
    *n = 0;
    if (rc)
        return rc;
    *out = in.v;
    *n = in.n;
    in.v = NULL;
    costs_input_free(&in);
    return FR_OK;
}

static char *read_all(const char *path, size_t *len, struct diag *d)
{
    int from_stdin = strcmp(path, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        diag_fail(d, FR_USAGE, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (array_reserve((void **)&text, &cap, *len + 65536, 1, 1 << 20)) {
            free(text);
            if (!from_stdin)
                fclose(f);
            diag_fail(d, FR_RUNTIME, "out of memory reading '%s'", path);
            return NULL;
        }
        size_t got = fread(text + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    if (!from_stdin)
        fclose(f);
    if (err) {
        free(text);
        diag_fail(d, FR_USAGE, "cannot read '%s' (is it a directory?)", path);
        return NULL;
    }
    return text;
}

static const char *source_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "(standard input)" : path;
}

int costs_read_input(const char *path, const char *column, int integers, struct costs_input *in, struct diag *d)
{
    size_t len;
    char *text = read_all(path, &len, d);
    if (!text)
        return d->code;
    int rc = costs_parse_input(text, len, source_name(path), column, integers, in, d);
    free(text);
    return rc;
}

int costs_read(const char *path, const char *column, int integers, double **out, size_t *n, struct diag *d)
{
    size_t len;
    char *text = read_all(path, &len, d);
    if (!text)
        return d->code;
    int rc = costs_parse(text, len, source_name(path), column, integers, out, n, d);
    free(text);
    return rc;
}
