/* Test tool: compares the per-task tables of two fidrun results files
 * column by column, bit for bit (timing and placement columns skipped),
 * prints a root attribute, or prints a table as CSV (for scripts on hosts
 * without h5py).
 *   h5records compare A.h5 B.h5 SUITE[/TABLE] [--ignore col,col,...]
 *   h5records attr FILE.h5 NAME
 *   h5records csv FILE.h5 SUITE[/TABLE] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/results.h"
#include "plugin/suite.h"

static int ignored(const char *name, const char *list)
{
    size_t len = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == len && strncmp(p, name, n) == 0)
            return 1;
        p = comma ? comma + 1 : p + n;
    }
    return 0;
}

/* "osft" or "osft/broadcast": the table's layout and its dataset path. */
static const struct table_desc *find_table(const char *suite_table, char *dataset, size_t size)
{
    char name[64];
    snprintf(name, sizeof name, "%s", suite_table);
    char *slash = strchr(name, '/');
    if (slash)
        *slash++ = '\0';
    const struct suite *s = suite_find(name);
    if (!s) {
        fprintf(stderr, "h5records: unknown suite %s\n", name);
        return NULL;
    }
    const struct table_desc *t = s->record_tables[0];
    for (size_t k = 0; slash && k < s->ntables; k++)
        if (strcmp(s->record_tables[k]->name, slash) == 0)
            t = s->record_tables[k];
    if (slash && s->after_table && strcmp(s->after_table->name, slash) == 0)
        t = s->after_table;
    snprintf(dataset, size, "/%s/%s", s->name, t->name);
    return t;
}

static int print_csv(const char *path, const char *suite_table)
{
    char dataset[128];
    const struct table_desc *t = find_table(suite_table, dataset, sizeof dataset);
    void *rows;
    size_t n;
    struct diag d = {0};
    if (!t)
        return 2;
    if (results_read_table(path, dataset, t, &rows, &n, &d)) {
        fprintf(stderr, "h5records: %s\n", d.msg);
        return 2;
    }
    for (size_t c = 0; c < t->ncols; c++)
        printf("%s%s", c ? "," : "", t->cols[c].name);
    printf("\n");
    for (size_t i = 0; i < n; i++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const struct column *col = &t->cols[c];
            const char *p = (const char *)rows + i * t->row_size + col->offset;
            int32_t i32;
            int64_t i64;
            double f;
            printf("%s", c ? "," : "");
            switch (col->type) {
            case COL_I32: memcpy(&i32, p, 4); printf("%d", i32); break;
            case COL_I64: memcpy(&i64, p, 8); printf("%lld", (long long)i64); break;
            case COL_F64: memcpy(&f, p, 8); printf("%.17g", f); break;
            case COL_STR: printf("\"%.*s\"", (int)strnlen(p, col->size), p); break;
            }
        }
        printf("\n");
    }
    free(rows);
    return 0;
}

static int compare(const char *a, const char *b, const char *suite_table, const char *ignore)
{
    char dataset[128];
    const struct table_desc *t = find_table(suite_table, dataset, sizeof dataset);
    if (!t)
        return 2;
    void *ra, *rb;
    size_t na, nb;
    struct diag d = {0};
    if (results_read_table(a, dataset, t, &ra, &na, &d) || results_read_table(b, dataset, t, &rb, &nb, &d)) {
        fprintf(stderr, "h5records: %s\n", d.msg);
        return 2;
    }
    if (na != nb) {
        printf("DIFFERENT: %s has %zu rows, %s has %zu\n", a, na, b, nb);
        return 1;
    }
    size_t compared = 0, differing = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        const struct column *col = &t->cols[c];
        if (ignored(col->name, ignore))
            continue;
        compared++;
        for (size_t i = 0; i < na; i++) {
            const char *x = (const char *)ra + i * t->row_size + col->offset;
            const char *y = (const char *)rb + i * t->row_size + col->offset;
            if (memcmp(x, y, col->size) != 0) {
                if (differing++ < 10)
                    printf("DIFFERENT: row %zu column %s\n", i, col->name);
            }
        }
    }
    free(ra);
    free(rb);
    if (differing) {
        printf("DIFFERENT: %zu values differ\n", differing);
        return 1;
    }
    printf("identical: %zu rows x %zu columns, bit for bit (ignored: %s)\n", na, compared, ignore);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "compare") == 0) {
        const char *ignore = "rank,task_seconds,svd_seconds,batch,peak_rss_mib";
        if (argc == 7 && strcmp(argv[5], "--ignore") == 0)
            ignore = argv[6];
        return compare(argv[2], argv[3], argv[4], ignore);
    }
    if (argc == 4 && strcmp(argv[1], "attr") == 0) {
        char *v;
        struct diag d = {0};
        if (results_read_root_attr(argv[2], argv[3], &v, &d)) {
            fprintf(stderr, "h5records: %s\n", d.msg);
            return 2;
        }
        printf("%s\n", v);
        free(v);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "csv") == 0)
        return print_csv(argv[2], argv[3]);
    fprintf(stderr, "usage: h5records compare A.h5 B.h5 SUITE[/TABLE] [--ignore col,...] | attr FILE.h5 NAME | "
                    "csv FILE.h5 SUITE[/TABLE]\n");
    return 2;
}
