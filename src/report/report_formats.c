#include "report/report_formats.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/table_json.h"
#include "plugin/checks.h"


/* "osft/matrices" from "/osft/matrices" */
static const char *table_key(const struct report_table *t) { return t->dataset + 1; }

/* ---- JSON ---- */

static json_t *records_json(const struct report_table *t)
{
    json_t *list = json_array();
    for (size_t k = 0; list && k < t->n; k++)
        json_array_append_new(list, table_row_json(t->desc, (const char *)t->rows + k * t->desc->row_size, 0));
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

/* ---- a comparison as JSON ---- */

static json_t *number_json(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

int report_compare_json(const struct cmp_report *r, const char *base, const char *now, FILE *out)
{
    struct cmp_counts c;
    cmp_count(r, &c);
    char verdict[256];
    json_t *lines = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const struct cmp_line *l = &r->lines[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:s, s:o, s:o, s:s, s:f}", "table", l->table,
                              "metric", l->metric, "rule", cmp_kind_name(l->kind), "verdict",
                              cmp_verdict_name(cmp_line_verdict(l)), "rows", (json_int_t)l->compared, "regressed",
                              (json_int_t)l->regressed, "improved", (json_int_t)l->improved, "baseline",
                              number_json(l->base), "now", number_json(l->now), "row", l->key, "lower",
                              number_json(l->lo), "upper", number_json(l->hi), "judged", l->judged, "seconds",
                              l->seconds);
        json_array_append_new(lines, o ? o : json_null());
    }
    json_t *doc = json_pack("{s:s, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:I, s:I, s:o, s:o}", "baseline", base,
                            "now", now, "verdict", cmp_verdict_line(r, verdict, sizeof verdict), "counts", "metrics",
                            (json_int_t)c.metrics, "regressed", (json_int_t)c.regressed, "improved",
                            (json_int_t)c.improved, "figures", (json_int_t)c.figures, "figures_regressed",
                            (json_int_t)c.figures_regressed, "figures_improved", (json_int_t)c.figures_improved,
                            "missing_rows", (json_int_t)r->missing_rows, "new_rows", (json_int_t)r->new_rows,
                            "differences", r->differences ? json_string(r->differences) : json_null(), "lines",
                            lines);
    int rc = doc && json_dumpf(doc, out, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) == 0 ? FR_OK : FR_RUNTIME;
    fputc('\n', out);
    json_decref(doc);
    return rc;
}
