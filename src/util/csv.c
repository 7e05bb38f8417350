#include "util/csv.h"

#include <stdlib.h>
#include <string.h>

static int put(struct csv_record *r, size_t *used, char c)
{
    if (*used + 1 >= r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 256;
        char *grown = realloc(r->buf, cap);
        if (!grown)
            return -1;
        r->buf = grown;
        r->cap = cap;
    }
    r->buf[(*used)++] = c;
    return 0;
}

enum csv_status csv_next(const char *text, size_t len, size_t *pos, long *line, struct csv_record *r,
                         const char **err)
{
    size_t p = *pos, used = 0;
    size_t starts[CSV_MAX_FIELDS];
    *err = NULL;
    r->n = 0;
    if (p >= len)
        return CSV_END;
    r->line = ++*line;
    r->lines = 1;
    for (;;) { /* one field */
        if (r->n == CSV_MAX_FIELDS) {
            *err = "more than 256 fields in one record";
            return CSV_ERROR;
        }
        int quoted = p < len && text[p] == '"';
        starts[r->n] = used;
        r->quoted[r->n] = quoted;
        if (quoted) {
            p++;
            for (;;) {
                if (p >= len) {
                    *err = "a quoted field is not closed (a \" is missing)";
                    return CSV_ERROR;
                }
                char c = text[p++];
                if (c == '"') {
                    if (p < len && text[p] == '"') {
                        p++;
                    } else
                        break;
                } else if (c == '\n') {
                    ++*line;
                    r->lines++;
                }
                if (put(r, &used, c)) {
                    *err = "out of memory";
                    return CSV_ERROR;
                }
            }
            if (p < len && text[p] != ',' && text[p] != '\n' && !(text[p] == '\r' && p + 1 < len && text[p + 1] == '\n') &&
                !(text[p] == '\r' && p + 1 == len)) {
                *err = "text after a closing quote (write a quote inside a quoted field as \"\")";
                return CSV_ERROR;
            }
        } else {
            while (p < len && text[p] != ',' && text[p] != '\n' && !(text[p] == '\r' && (p + 1 == len || text[p + 1] == '\n')))
                if (put(r, &used, text[p++])) {
                    *err = "out of memory";
                    return CSV_ERROR;
                }
        }
        if (put(r, &used, '\0')) {
            *err = "out of memory";
            return CSV_ERROR;
        }
        r->n++;
        if (p < len && text[p] == ',') {
            p++;
            continue;
        }
        if (p < len && text[p] == '\r')
            p++;
        if (p < len && text[p] == '\n')
            p++;
        break;
    }
    for (size_t i = 0; i < r->n; i++)
        r->field[i] = r->buf + starts[i];
    *pos = p;
    return CSV_RECORD;
}

void csv_record_free(struct csv_record *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
    r->n = 0;
}

void csv_write_field(FILE *out, const char *s)
{
    size_t len = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL || (len && (s[0] == ' ' || s[len - 1] == ' '));
    if (!quote) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}
