#include "report/baseline.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/fingerprint.h"
#include "io/results.h"
#include "plugin/suite.h"

/* What a run measured, as the results file says it: the seed, and for each
 * suite it ran, the suite's description (model or checkpoint, dtype,
 * layers, shapes, tolerances, drivers). Two runs whose fingerprints differ
 * are not the same experiment. */
struct fingerprint {
    char *text; /* config_fingerprint's lines; NULL for a file written before fidrun kept them */
    char seed[64];
    char suite[8][32];
    char description[8][512]; /* as the results file keeps it (describe into 512 bytes) */
    size_t n;
};

static int file_fingerprint(const char *path, struct fingerprint *fp, struct diag *d)
{
    *fp = (struct fingerprint){0};
    char *v = NULL;
    int rc = results_read_root_attr(path, "seed", &v, d);
    if (rc)
        return rc;
    snprintf(fp->seed, sizeof fp->seed, "%s", v);
    free(v);
    struct diag quiet = {0};
    if (results_read_root_attr(path, "fingerprint", &fp->text, &quiet))
        fp->text = NULL;
    for (size_t i = 0; i < suite_count() && fp->n < 8; i++) {
        char group[64];
        snprintf(group, sizeof group, "/%s", suite_at(i)->name);
        if (results_read_attr(path, group, "description", &v, &quiet))
            continue; /* the run had no such suite */
        snprintf(fp->suite[fp->n], sizeof fp->suite[0], "%s", suite_at(i)->name);
        snprintf(fp->description[fp->n++], sizeof fp->description[0], "%s", v);
        free(v);
    }
    return FR_OK;
}

static void run_fingerprint(const struct run_config *cfg, struct fingerprint *fp)
{
    *fp = (struct fingerprint){0};
    snprintf(fp->seed, sizeof fp->seed, "%lld", (long long)cfg->seed);
    fp->text = config_fingerprint(cfg);
    for (size_t i = 0; i < cfg->nsuites && fp->n < 8; i++) {
        snprintf(fp->suite[fp->n], sizeof fp->suite[0], "%s", cfg->suites[i].suite->name);
        cfg->suites[i].suite->describe(cfg->suites[i].cfg, fp->description[fp->n], sizeof fp->description[0]);
        fp->n++;
    }
}

static const char *description_of(const struct fingerprint *fp, const char *suite)
{
    for (size_t i = 0; i < fp->n; i++)
        if (!strcmp(fp->suite[i], suite))
            return fp->description[i];
    return NULL;
}

/* One line per difference into a malloc'd text; returns how many. Files
 * that both keep a fingerprint differ by its lines; older ones by their
 * seed and suites' descriptions. */
static size_t differences(const struct fingerprint *a, const struct fingerprint *b, char **text)
{
    if (a->text && b->text) {
        size_t n;
        *text = fingerprint_differences(a->text, b->text, &n);
        return *text ? n : 0;
    }
    size_t size = 8192, used = 0, n = 0;
    char *t = malloc(size);
    if (!t) {
        *text = NULL;
        return 0;
    }
    t[0] = '\0';
    if (strcmp(a->seed, b->seed)) {
        used += (size_t)snprintf(t + used, size - used, "  seed: %s in the baseline, %s now\n", a->seed, b->seed);
        n++;
    }
    for (int side = 0; side < 2; side++) {
        const struct fingerprint *x = side ? b : a, *y = side ? a : b;
        for (size_t i = 0; i < x->n && used < size; i++) {
            const char *other = description_of(y, x->suite[i]);
            if (!other) {
                used += (size_t)snprintf(t + used, size - used, "  suite %s: %s\n", x->suite[i],
                                         side ? "run now, not in the baseline" : "in the baseline, not run now");
                n++;
            } else if (!side && strcmp(other, x->description[i])) {
                used += (size_t)snprintf(t + used, size - used, "  suite %s:\n    baseline: %s\n    now:      %s\n",
                                         x->suite[i], x->description[i], other);
                n++;
            }
        }
    }
    *text = t;
    return n;
}

/* Refuses (FR_USAGE) two runs that measured different things, unless the
 * policy allows it; then the differences are kept for the report. */
static int same_experiment(const struct fingerprint *base, const struct fingerprint *now, const char *base_path,
                           const char *now_what, const struct cmp_policy *p, struct cmp_report *r, struct diag *d)
{
    char *text;
    size_t n = differences(base, now, &text);
    if (!text)
        return diag_fail(d, FR_RUNTIME, "out of memory");
    if (!n) {
        free(text);
        return FR_OK;
    }
    if (p->allow_different) {
        r->differences = text;
        return FR_OK;
    }
    size_t len = strlen(text);
    while (len && text[len - 1] == '\n')
        text[--len] = '\0';
    int rc = diag_fail(d, FR_USAGE, "the baseline %s and %s measured different things (%zu difference%s):\n%s\n"
                                    "Compare runs of the same config and seed, or pass --allow-different to compare "
                                    "them anyway",
                       base_path, now_what, n, n == 1 ? "" : "s", text);
    free(text);
    return rc;
}

int baseline_check_run(const char *base, const struct run_config *cfg, const struct cmp_policy *p,
                       struct cmp_report *r, struct diag *d)
{
    struct fingerprint a = {0}, b = {0};
    int rc = file_fingerprint(base, &a, d);
    if (rc)
        return rc;
    run_fingerprint(cfg, &b);
    rc = b.text ? same_experiment(&a, &b, base, "this run", p, r, d) : diag_fail(d, FR_RUNTIME, "out of memory");
    free(a.text);
    free(b.text);
    return rc;
}

/* The table `dataset` of `base` against rows already in memory. */
static int compare_with_file(const char *base, const char *dataset, const struct table_desc *desc, const void *now,
                             size_t nnow, const struct cmp_policy *p, struct cmp_report *r, struct diag *d)
{
    int has = results_has_table(base, dataset);
    if (has < 0)
        return diag_fail(d, FR_USAGE, "cannot open baseline results file '%s'", base);
    if (!has)
        return FR_OK; /* the baseline did not run this: nothing to hold it to */
    void *rows;
    size_t n;
    int rc = results_read_table(base, dataset, desc, &rows, &n, d);
    if (rc)
        return rc;
    if (compare_rows(dataset + 1, desc, rows, n, now, nnow, p, r))
        rc = diag_fail(d, FR_RUNTIME, "out of memory comparing %s", dataset);
    free(rows);
    return rc;
}

int baseline_compare_run(const char *base, const struct run_config *cfg, void *const records[][SUITE_MAX_TABLES],
                         const size_t nrecords[][SUITE_MAX_TABLES], const struct check_list *checks,
                         const struct cmp_policy *p, struct cmp_report *r, struct diag *d)
{
    for (size_t i = 0; i < cfg->nsuites; i++) {
        const struct suite *su = cfg->suites[i].suite;
        for (size_t t = 0; t < su->ntables; t++) {
            char dataset[128];
            snprintf(dataset, sizeof dataset, "/%s/%s", su->name, su->record_tables[t]->name);
            int rc = compare_with_file(base, dataset, su->record_tables[t], records[i][t], nrecords[i][t], p, r, d);
            if (rc)
                return rc;
        }
    }
    return compare_with_file(base, "/checks", &check_table, checks->items, checks->n, p, r, d);
}

static int compare_table(const char *base, const char *now, const char *dataset, const struct table_desc *desc,
                         const struct cmp_policy *p, struct cmp_report *r, struct diag *d)
{
    int in_base = results_has_table(base, dataset), in_now = results_has_table(now, dataset);
    if (in_base < 0 || in_now < 0)
        return diag_fail(d, FR_USAGE, "cannot open results file '%s'", in_base < 0 ? base : now);
    if (!in_base)
        return FR_OK;
    if (!in_now) {
        void *rows;
        size_t n;
        if (results_read_table(base, dataset, desc, &rows, &n, d))
            return d->code;
        free(rows);
        return compare_missing_table(dataset + 1, n, r) ? diag_fail(d, FR_RUNTIME, "out of memory") : FR_OK;
    }
    void *rows;
    size_t n;
    int rc = results_read_table(now, dataset, desc, &rows, &n, d);
    if (!rc)
        rc = compare_with_file(base, dataset, desc, rows, n, p, r, d);
    free(rows);
    return rc;
}

int baseline_compare_files(const char *base, const char *now, const struct cmp_policy *p, struct cmp_report *r,
                           struct diag *d)
{
    struct fingerprint a = {0}, b = {0};
    char what[600];
    int rc = file_fingerprint(base, &a, d);
    if (!rc)
        rc = file_fingerprint(now, &b, d);
    snprintf(what, sizeof what, "%s", now);
    if (!rc)
        rc = same_experiment(&a, &b, base, what, p, r, d);
    free(a.text);
    free(b.text);
    if (rc)
        return rc;
    for (size_t i = 0; i < suite_count(); i++) {
        const struct suite *su = suite_at(i);
        for (size_t t = 0; t < su->ntables; t++) {
            char dataset[128];
            snprintf(dataset, sizeof dataset, "/%s/%s", su->name, su->record_tables[t]->name);
            int rc = compare_table(base, now, dataset, su->record_tables[t], p, r, d);
            if (rc)
                return rc;
        }
    }
    return compare_table(base, now, "/checks", &check_table, p, r, d);
}

int baseline_find_auto(const char *dir, const char *name, char *path, size_t size, struct diag *d)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return diag_fail(d, FR_USAGE, "--baseline auto: cannot read the output folder '%s'", dir);
    char newest[32] = "";
    path[0] = '\0';
    struct dirent *e;
    while ((e = readdir(dh))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".h5") != 0)
            continue;
        char file[1400];
        snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
        char *run_name = NULL, *is_base = NULL, *start = NULL;
        struct diag quiet = {0};
        if (!results_read_root_attr(file, "name", &run_name, &quiet) && !strcmp(run_name, name) &&
            !results_read_root_attr(file, "baseline", &is_base, &quiet) && !strcmp(is_base, "1") &&
            !results_read_root_attr(file, "start_time", &start, &quiet) && strcmp(start, newest) > 0 &&
            strlen(file) < size) {
            snprintf(newest, sizeof newest, "%s", start);
            snprintf(path, size, "%s", file);
        }
        free(run_name);
        free(is_base);
        free(start);
    }
    closedir(dh);
    if (!path[0])
        return diag_fail(d, FR_USAGE, "--baseline auto: %s holds no saved baseline of '%s' (save one with "
                                      "--save-baseline)", dir, name);
    return FR_OK;
}
