/* fidrun report RUN.h5 as text: the run's provenance, its own summary
 * tables (each suite's summarize, given the records the file holds and the
 * config it was run with), its checks and its verdict, as the run printed
 * them. Every table as rows is --format csv. */
#include "report/report_formats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "plugin/checks.h"
#include "plugin/suite.h"
#include "util/clock.h"

static void provenance(const struct report_data *r, FILE *out)
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
}

/* The config the run was run with: its text and overrides, as recorded. */
static int rebuild_config(const struct report_data *r, struct run_config *cfg, struct diag *d)
{
    const char *text = report_attr(r, "config_text", NULL), *path = report_attr(r, "config_path", "config.yaml");
    if (!text)
        return diag_fail(d, FR_USAGE, "the file records no config_text");
    char *lines = strdup(report_attr(r, "config_overrides", ""));
    struct config_override ov[64];
    size_t n = 0;
    if (!lines)
        return diag_fail(d, FR_RUNTIME, "out of memory");
    for (char *save, *line = strtok_r(lines, "\n", &save); line && n < 64; line = strtok_r(NULL, "\n", &save))
        ov[n++] = (struct config_override){line, line};
    int rc = config_load_text(path, text, ov, n, cfg, d);
    free(lines);
    return rc;
}

/* One suite's tables as the run printed them. 0, or -1 when the file lacks
 * a table of the suite (it did not run). */
static int suite_tables(const struct report_data *r, const struct suite_slot *slot, FILE *out)
{
    const struct suite *su = slot->suite;
    const void *records[SUITE_MAX_TABLES + 1];
    size_t n[SUITE_MAX_TABLES + 1];
    char dataset[160];
    for (size_t t = 0; t < su->ntables; t++) {
        snprintf(dataset, sizeof dataset, "/%s/%s", su->name, su->record_tables[t]->name);
        const struct report_table *tab = report_table(r, dataset);
        if (!tab)
            return -1;
        records[t] = tab->rows;
        n[t] = tab->n;
    }
    if (su->after_table) {
        snprintf(dataset, sizeof dataset, "/%s/%s", su->name, su->after_table->name);
        const struct report_table *tab = report_table(r, dataset);
        records[su->ntables] = tab ? tab->rows : NULL;
        n[su->ntables] = tab ? tab->n : 0;
    }
    struct check_list again = {0}; /* summarize adds its checks: the file's own are printed below */
    struct report_opts o = {.out = out, .verbose = 0};
    su->summarize(slot->cfg, records, n, &o, &again);
    check_list_free(&again);
    return 0;
}

int report_text(const struct report_data *r, FILE *out)
{
    provenance(r, out);
    struct run_config cfg = {0};
    struct diag d = {0};
    if (rebuild_config(r, &cfg, &d) == FR_OK) {
        for (size_t i = 0; i < cfg.nsuites; i++)
            suite_tables(r, &cfg.suites[i], out);
    } else {
        fprintf(out, "(the suites' tables need the config the run was run with, which cannot be rebuilt here: %s; "
                     "--format csv writes every table)\n",
                d.msg);
    }
    config_free(&cfg);
    const struct report_table *t = report_table(r, "/checks");
    struct check_list l = t ? (struct check_list){(struct check *)t->rows, t->n, t->n} : (struct check_list){0};
    checks_print(&l, out);
    size_t failed = checks_failed(&l);
    const char *complete = report_attr(r, "complete", "1"), *tasks = report_attr(r, "tasks", "?");
    char wall[32] = "?";
    double seconds = atof(report_attr(r, "wall_seconds", "nan"));
    if (isfinite(seconds))
        format_duration(seconds, wall, sizeof wall);
    if (strcmp(complete, "1") != 0)
        fprintf(out, "INCOMPLETE: %s of %s tasks not run (%s) · wall %s\n", report_attr(r, "missing_count", "?"),
                tasks, report_attr(r, "incomplete_because", "interrupted"), wall);
    else if (failed)
        fprintf(out, "FAILED: %zu of %zu checks failed · %s tasks · wall %s\n", failed, l.n, tasks, wall);
    else
        fprintf(out, "PASSED: all %zu checks · %s tasks · wall %s\n", l.n, tasks, wall);
    return ferror(out) ? FR_RUNTIME : FR_OK;
}
