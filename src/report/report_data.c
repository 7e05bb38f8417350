#include "report/report_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/results.h"
#include "plugin/checks.h"
#include "plugin/ranks.h"
#include "plugin/suite.h"
#include "util/array.h"

struct attr_list {
    struct report_attr *items;
    size_t n, cap;
};

static int add_attr(const char *name, const char *text, int is_number, double number, void *arg)
{
    struct attr_list *l = arg;
    if (array_reserve((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items, 32))
        return FR_RUNTIME;
    struct report_attr *a = &l->items[l->n];
    *a = (struct report_attr){strdup(name), strdup(text), is_number, number};
    if (!a->name || !a->text) {
        free(a->name);
        free(a->text);
        return FR_RUNTIME;
    }
    l->n++;
    return FR_OK;
}

static int add_table(struct report_data *r, const char *suite, const char *dataset, const struct table_desc *desc,
                     struct diag *d)
{
    if (results_has_table(r->path, dataset) != 1)
        return FR_OK;
    if (r->ntables == REPORT_MAX_TABLES)
        return diag_fail(d, FR_RUNTIME, "%s: more than %d tables", r->path, REPORT_MAX_TABLES);
    struct report_table *t = &r->tables[r->ntables];
    memset(t, 0, sizeof *t);
    snprintf(t->dataset, sizeof t->dataset, "%s", dataset);
    snprintf(t->suite, sizeof t->suite, "%s", suite);
    t->desc = desc;
    int rc = results_read_table(r->path, dataset, desc, &t->rows, &t->n, d);
    if (!rc)
        r->ntables++;
    return rc;
}

int report_load(const char *path, struct report_data *r, struct diag *d)
{
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    if (results_has_table(path, "/checks") < 0)
        return diag_fail(d, FR_USAGE, "cannot open results file '%s' (an HDF5 file written by fidrun)", path);
    struct attr_list l = {0};
    int rc = results_root_attrs(path, add_attr, &l, d);
    r->attrs = l.items;
    r->nattrs = l.n;
    if (rc)
        return rc == FR_RUNTIME && !d->msg[0] ? diag_fail(d, FR_RUNTIME, "out of memory") : rc;
    if (!report_attr(r, "fidrun_version", NULL))
        return diag_fail(d, FR_USAGE, "%s: not a fidrun results file (no fidrun_version attribute)", path);
    rc = add_table(r, "", "/checks", &check_table, d);
    if (!rc)
        rc = add_table(r, "", "/ranks", &rank_table, d);
    for (size_t i = 0; !rc && i < suite_count(); i++) {
        const struct suite *s = suite_at(i);
        char dataset[128];
        for (size_t k = 0; !rc && k <= s->ntables + 1; k++) {
            const struct table_desc *t = k < s->ntables ? s->record_tables[k] : k == s->ntables ? s->after_table
                                                                                              : &rank_table;
            if (!t)
                continue;
            snprintf(dataset, sizeof dataset, "/%s/%s", s->name, t->name);
            rc = add_table(r, s->name, dataset, t, d);
        }
    }
    return rc;
}

void report_free(struct report_data *r)
{
    for (size_t i = 0; i < r->nattrs; i++) {
        free(r->attrs[i].name);
        free(r->attrs[i].text);
    }
    free(r->attrs);
    for (size_t i = 0; i < r->ntables; i++)
        free(r->tables[i].rows);
    memset(r, 0, sizeof *r);
}

const char *report_attr(const struct report_data *r, const char *name, const char *def)
{
    for (size_t i = 0; i < r->nattrs; i++)
        if (strcmp(r->attrs[i].name, name) == 0)
            return r->attrs[i].text;
    return def;
}

const struct report_table *report_table(const struct report_data *r, const char *dataset)
{
    for (size_t i = 0; i < r->ntables; i++)
        if (strcmp(r->tables[i].dataset, dataset) == 0)
            return &r->tables[i];
    return NULL;
}

struct report_value report_value_of(const struct column *c, const void *row)
{
    const char *p = (const char *)row + c->offset;
    struct report_value v = {.type = c->type};
    int32_t i32;
    switch (c->type) {
    case COL_I32:
        memcpy(&i32, p, 4);
        v.i = i32;
        break;
    case COL_I64:
        memcpy(&v.i, p, 8);
        break;
    case COL_F64:
        memcpy(&v.f, p, 8);
        break;
    case COL_STR:
        v.s = p;
        v.len = strnlen(p, c->size);
        break;
    }
    return v;
}

/* The fewest significant digits that read back as the same double, as
 * Python's repr writes them: positional for decimal exponents -4 .. 15
 * ("100", "0.5"), else scientific ("5.625e-07"). Exact for any reader that
 * rounds correctly (pandas needs float_precision="round_trip"). */
static void shortest_double(double x, char *buf, size_t size)
{
    int digits = 1;
    for (; digits < 17; digits++) {
        snprintf(buf, size, "%.*e", digits - 1, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    int exponent = atoi(strchr(buf, 'e') + 1);
    if (exponent >= -4 && exponent < 16)
        snprintf(buf, size, "%.*f", digits - 1 - exponent > 0 ? digits - 1 - exponent : 0, x);
    else
        snprintf(buf, size, "%.*e", digits - 1, x);
}

const char *report_cell(const struct column *c, const void *row, char *buf, size_t size)
{
    struct report_value v = report_value_of(c, row);
    if (v.type == COL_STR)
        snprintf(buf, size, "%.*s", (int)v.len, v.s);
    else if (v.type != COL_F64)
        snprintf(buf, size, "%lld", (long long)v.i);
    else if (isnan(v.f))
        snprintf(buf, size, "nan");
    else if (isinf(v.f))
        snprintf(buf, size, v.f > 0 ? "inf" : "-inf");
    else
        shortest_double(v.f, buf, size);
    return buf;
}

static const struct column *column_named(const struct report_table *t, const char *name)
{
    for (size_t c = 0; c < t->desc->ncols; c++)
        if (strcmp(t->desc->cols[c].name, name) == 0)
            return &t->desc->cols[c];
    return NULL;
}

double report_num(const struct report_table *t, size_t k, const char *column)
{
    const struct column *c = column_named(t, column);
    if (!c || k >= t->n || c->type == COL_STR)
        return NAN;
    struct report_value v = report_value_of(c, (const char *)t->rows + k * t->desc->row_size);
    return v.type == COL_F64 ? v.f : (double)v.i;
}

const char *report_str(const struct report_table *t, size_t k, const char *column, char *buf, size_t size)
{
    const struct column *c = column_named(t, column);
    if (!c || k >= t->n) {
        snprintf(buf, size, "%s", "");
        return buf;
    }
    return report_cell(c, (const char *)t->rows + k * t->desc->row_size, buf, size);
}

const char *const report_provenance_keys[] = {
    "name",        "start_time", "end_time", "wall_seconds", "fidrun_version", "git_commit",
    "hosts",       "host_count", "ranks",    "device",       "device_names",   "mpi_library",
    "blas",        "config_path", "config_overrides", "argv", "tasks",         "checks",
    "checks_failed", "complete", "missing_count", "incomplete_because", "missing_tasks", "resumed_tasks",
    "attempt", "slurm_job_id", "slurm_job_name", "slurm_nodelist", "slurm_ntasks", "slurm_cluster",
    "slurm_restart_count"};
const size_t report_nprovenance_keys = sizeof report_provenance_keys / sizeof report_provenance_keys[0];
