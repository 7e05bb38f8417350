/* CSV records as RFC 4180 writes them, and as pandas.to_csv and spreadsheets
 * do: fields separated by commas, records by LF or CRLF; a field in double
 * quotes may hold commas, line breaks and "" for a quote. The reader is
 * pure (text already in memory); the writer quotes what needs it. */
#ifndef FIDRUN_CSV_H
#define FIDRUN_CSV_H

#include <stddef.h>
#include <stdio.h>

#define CSV_MAX_FIELDS 256

struct csv_record {
    char *buf;                     /* the fields' text, unquoted, each NUL-terminated */
    size_t cap;
    const char *field[CSV_MAX_FIELDS];
    int quoted[CSV_MAX_FIELDS];    /* the field was in quotes (so "#" or "" in it is data) */
    size_t n;
    long line;                     /* the line the record starts on (1-based) */
    long lines;                    /* how many lines it spans */
};

enum csv_status { CSV_RECORD, CSV_END, CSV_ERROR };

/* The record starting at *pos into r (its buffer grown as needed; free it
 * with csv_record_free), *pos moved past it; *line counts lines. CSV_ERROR
 * with the reason in err (an unclosed quote, text after a closing quote,
 * more than CSV_MAX_FIELDS fields, out of memory). */
enum csv_status csv_next(const char *text, size_t len, size_t *pos, long *line, struct csv_record *r,
                         const char **err);

void csv_record_free(struct csv_record *r);

/* s as one field: quoted (with "" for ") when it holds a comma, a quote, a
 * line break or surrounding spaces, else as it is. */
void csv_write_field(FILE *out, const char *s);

#endif
