#include "report/report_formats.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin/checks.h"
#include "report/xml_out.h"


/* "osft/matrices" from "/osft/matrices" */
static const char *table_key(const struct report_table *t) { return t->dataset + 1; }

static struct check_list check_rows(const struct report_data *r)
{
    const struct report_table *t = report_table(r, "/checks");
    return t ? (struct check_list){(struct check *)t->rows, t->n, t->n} : (struct check_list){0};
}

/* ---- text ---- */

int report_text(const struct report_data *r, FILE *out)
{
    fprintf(out, "fidrun results %s\n", r->path);
    for (size_t i = 0; i < report_nprovenance_keys; i++) {
        const char *v = report_attr(r, report_provenance_keys[i], NULL);
        size_t len = v ? strlen(v) : 0;
        while (len && v[len - 1] == '\n')
            len--;
        if (!len)
            continue;
        fprintf(out, "  %-17s ", report_provenance_keys[i]);
        for (size_t k = 0; k < len; k++) /* several overrides: one line */
            fputs(v[k] == '\n' ? " · " : (char[]){v[k], 0}, out);
        fputc('\n', out);
    }
    struct check_list l = check_rows(r);
    checks_print(&l, out);
    size_t failed = checks_failed(&l);
    fprintf(out, "%s: %zu of %zu checks failed\n", failed ? "FAILED" : "PASSED", failed, l.n);
    for (size_t i = 0; i < r->ntables; i++) {
        const struct report_table *t = &r->tables[i];
        if (strcmp(t->dataset, "/checks") == 0)
            continue;
        fprintf(out, "\n%s · %zu rows\n", table_key(t), t->n);
        for (size_t c = 0; c < t->desc->ncols; c++)
            fprintf(out, "%s%s", c ? "\t" : "  ", t->desc->cols[c].name);
        fprintf(out, "\n");
        for (size_t k = 0; k < t->n; k++) {
            const void *row = (const char *)t->rows + k * t->desc->row_size;
            char cell[256];
            for (size_t c = 0; c < t->desc->ncols; c++)
                fprintf(out, "%s%s", c ? "\t" : "  ", report_cell(&t->desc->cols[c], row, cell, sizeof cell));
            fprintf(out, "\n");
        }
    }
    return ferror(out) ? FR_RUNTIME : FR_OK;
}

/* ---- JSON ---- */

static json_t *cell_json(const struct column *c, const void *row)
{
    struct report_value v = report_value_of(c, row);
    json_t *j = v.type == COL_STR   ? json_stringn(v.s, v.len)
                : v.type == COL_F64 ? (isfinite(v.f) ? json_real(v.f) : NULL) /* JSON has no NaN or infinity */
                                    : json_integer(v.i);
    return j ? j : json_null();
}

static json_t *records_json(const struct report_table *t)
{
    json_t *list = json_array();
    for (size_t k = 0; list && k < t->n; k++) {
        const void *row = (const char *)t->rows + k * t->desc->row_size;
        json_t *rec = json_object();
        for (size_t c = 0; rec && c < t->desc->ncols; c++)
            json_object_set_new(rec, t->desc->cols[c].name, cell_json(&t->desc->cols[c], row));
        json_array_append_new(list, rec);
    }
    return list;
}

int report_json(const struct report_data *r, FILE *out)
{
    json_t *prov = json_object(), *tables = json_object();
    for (size_t i = 0; i < r->nattrs; i++) {
        const struct report_attr *a = &r->attrs[i];
        json_t *v = a->is_number ? (isfinite(a->number) ? json_real(a->number) : json_null()) : json_string(a->text);
        if (a->is_number && strchr(a->text, '.') == NULL && strchr(a->text, 'e') == NULL && isfinite(a->number)) {
            json_decref(v);
            v = json_integer((json_int_t)strtoll(a->text, NULL, 10));
        }
        json_object_set_new(prov, a->name, v ? v : json_null());
    }
    for (size_t i = 0; i < r->ntables; i++)
        json_object_set_new(tables, table_key(&r->tables[i]), records_json(&r->tables[i]));
    json_t *doc = json_pack("{s:s, s:o, s:o}", "results", r->path, "provenance", prov, "tables", tables);
    int rc = doc && json_dumpf(doc, out, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) == 0 ? FR_OK : FR_RUNTIME;
    fputc('\n', out);
    json_decref(doc);
    return rc;
}

/* ---- CSV: one file per table ---- */

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int report_csv(const struct report_data *r, const char *dir, struct diag *d)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return diag_fail(d, FR_RUNTIME, "cannot create folder '%s': %s", dir, strerror(errno));
    for (size_t i = 0; i < r->ntables; i++) {
        const struct report_table *t = &r->tables[i];
        char path[1024], name[128];
        snprintf(name, sizeof name, "%s", table_key(t));
        for (char *p = name; *p; p++)
            if (*p == '/')
                *p = '-';
        snprintf(path, sizeof path, "%s/%s.csv", dir, name);
        FILE *f = fopen(path, "w");
        if (!f)
            return diag_fail(d, FR_RUNTIME, "cannot write '%s': %s", path, strerror(errno));
        for (size_t c = 0; c < t->desc->ncols; c++) {
            fputs(c ? "," : "", f);
            csv_field(f, t->desc->cols[c].name);
        }
        fputc('\n', f);
        for (size_t k = 0; k < t->n; k++) {
            const void *row = (const char *)t->rows + k * t->desc->row_size;
            char cell[256];
            for (size_t c = 0; c < t->desc->ncols; c++) {
                fputs(c ? "," : "", f);
                csv_field(f, report_cell(&t->desc->cols[c], row, cell, sizeof cell));
            }
            fputc('\n', f);
        }
        if (fclose(f) != 0)
            return diag_fail(d, FR_RUNTIME, "cannot write '%s'", path);
    }
    return FR_OK;
}

/* ---- JUnit XML ---- */

/* name="..." tests="N" failures="N" */
static void junit_counts(FILE *out, const char *name, size_t tests, size_t failures)
{
    char num[32];
    xml_attr(out, "name", name);
    snprintf(num, sizeof num, "%zu", tests);
    xml_attr(out, "tests", num);
    snprintf(num, sizeof num, "%zu", failures);
    xml_attr(out, "failures", num);
}

/* <testsuite name tests failures errors skipped [timestamp hostname]> */
static void junit_suite_open(FILE *out, const char *name, size_t tests, size_t failures, const char *timestamp,
                             const char *host)
{
    fputs("  <testsuite", out);
    junit_counts(out, name, tests, failures);
    xml_attr(out, "errors", "0");
    xml_attr(out, "skipped", "0");
    if (timestamp)
        xml_attr(out, "timestamp", timestamp);
    if (host)
        xml_attr(out, "hostname", host);
    fputs(">\n    <properties>\n", out);
}

static void junit_property(FILE *out, const char *name, const char *value)
{
    fputs("      <property", out);
    xml_attr(out, "name", name);
    xml_attr(out, "value", value);
    fputs("/>\n", out);
}

/* A testcase; with a failure message, a failing one (detail: the failure's text, or NULL). */
static void junit_case(FILE *out, const char *classname, const char *name, const char *failure, const char *type,
                       const char *detail)
{
    fputs("    <testcase", out);
    xml_attr(out, "classname", classname);
    xml_attr(out, "name", name);
    xml_attr(out, "time", "0");
    if (!failure) {
        fputs("/>\n", out);
        return;
    }
    fputs(">\n      <failure", out);
    xml_attr(out, "message", failure);
    xml_attr(out, "type", type);
    if (detail) {
        fputc('>', out);
        xml_text(out, detail);
        fputs("</failure>\n", out);
    } else {
        fputs("/>\n", out);
    }
    fputs("    </testcase>\n", out);
}

static void junit_open(FILE *out, const char *name, size_t tests, size_t failures, const char *time)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", out);
    junit_counts(out, name, tests, failures);
    if (time)
        xml_attr(out, "time", time);
    fputs(">\n", out);
}

/* The suites of the checks, in first-seen order. */
static size_t check_suites(const struct check_list *l, const char **names, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t k = 0;
        while (k < n && strcmp(names[k], l->items[i].suite) != 0)
            k++;
        if (k == n && n < max)
            names[n++] = l->items[i].suite;
    }
    return n;
}

int report_junit(const struct report_data *r, FILE *out)
{
    struct check_list l = check_rows(r);
    const char *suites[16];
    size_t ns = check_suites(&l, suites, 16);
    junit_open(out, report_attr(r, "name", "fidrun"), l.n, checks_failed(&l), report_attr(r, "wall_seconds", "0"));
    for (size_t s = 0; s < ns; s++) {
        size_t tests = 0, failures = 0;
        for (size_t i = 0; i < l.n; i++)
            if (strcmp(l.items[i].suite, suites[s]) == 0) {
                tests++;
                failures += !l.items[i].pass;
            }
        junit_suite_open(out, suites[s], tests, failures, report_attr(r, "start_time", ""), report_attr(r, "hosts", ""));
        static const char *const props[] = {"fidrun_version", "git_commit", "config_path", "ranks", "device"};
        for (size_t p = 0; p < sizeof props / sizeof props[0]; p++)
            junit_property(out, props[p], report_attr(r, props[p], ""));
        fputs("    </properties>\n", out);
        for (size_t i = 0; i < l.n; i++) {
            const struct check *c = &l.items[i];
            if (strcmp(c->suite, suites[s]) != 0)
                continue;
            char classname[64], value[48], bound[112], msg[256], detail[256];
            snprintf(classname, sizeof classname, "fidrun.%s", c->suite);
            snprintf(msg, sizeof msg, "%s = %s, expected %s", c->metric, check_value_text(c, value, sizeof value),
                     check_bound_text(c, bound, sizeof bound));
            snprintf(detail, sizeof detail, "value %.17g, lower %.17g, upper %.17g, unit '%s'", c->value, c->lower,
                     c->upper, c->unit);
            junit_case(out, classname, c->name, c->pass ? NULL : msg, "bound", detail);
        }
        fputs("  </testsuite>\n", out);
    }
    fputs("</testsuites>\n", out);
    return ferror(out) ? FR_RUNTIME : FR_OK;
}

int report_compare_junit(const struct cmp_report *r, const char *base, const char *now, FILE *out)
{
    char name[128], msg[512];
    size_t failures = (size_t)(r->missing_rows > 0);
    for (size_t i = 0; i < r->n; i++)
        failures += r->lines[i].regressed > 0;
    junit_open(out, "fidrun compare", r->n + 1, failures, NULL);
    junit_suite_open(out, "compare", r->n + 1, failures, NULL, NULL);
    junit_property(out, "baseline", base);
    junit_property(out, "now", now);
    fputs("    </properties>\n", out);
    snprintf(msg, sizeof msg, "%lld rows of the baseline are missing now", (long long)r->missing_rows);
    junit_case(out, "fidrun.compare", "every baseline row present now", r->missing_rows ? msg : NULL, "missing", NULL);
    for (size_t i = 0; i < r->n; i++) {
        const struct cmp_line *l = &r->lines[i];
        snprintf(name, sizeof name, "fidrun.compare.%s", l->table);
        snprintf(msg, sizeof msg, "%lld of %lld rows regressed, e.g. %s: now %.6g, allowed [%.6g, %.6g], baseline %.6g",
                 (long long)l->regressed, (long long)l->compared, l->key, l->now, l->lo, l->hi, l->base);
        junit_case(out, name, l->metric, l->regressed ? msg : NULL, "regression", NULL);
    }
    fputs("  </testsuite>\n</testsuites>\n", out);
    return ferror(out) ? FR_RUNTIME : FR_OK;
}
