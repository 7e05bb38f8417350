/* fidrun history DIR: every results file of one config in DIR, in time
 * order, each judged metric's median per run and its verdict against the
 * run before (report/history.c), as text or one HTML page with a plot. */
#include "cli/history.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"
#include "io/results.h"
#include "report/history.h"
#include "report/plot_gnuplot.h"
#include "report/report_html.h"

static const char usage[] =
    "usage: fidrun history DIR [--name NAME] [--format text|html] [-o PATH] [--band F]\n"
    "\n"
    "Reads every results file (*.h5) in DIR that ran the config NAME and shows each\n"
    "judged metric across them in time order (their start_time): the median over the\n"
    "table's rows in every run and the verdict against the run before, by the rules of\n"
    "fidrun compare (see its --help). Without --name DIR must hold runs of one config only.\n"
    "\n"
    "options:\n"
    "  --name NAME          the config's name (its name: key, the results' name attribute)\n"
    "  --format text|html   text (default), or one self-contained page with a table and a\n"
    "                       plot per table of each metric's change against the first run\n"
    "  -o PATH              write there instead of standard output\n"
    "  --band F             the change of a time or rate that counts (default 0.10)\n"
    "exit codes: 0 written, 2 usage error (no such folder, no runs of NAME, several\n"
    "            configs and no --name, a damaged results file), 3 cannot write\n";

#define MAX_NAMES 16

struct found {
    struct report_data *runs;
    size_t n, cap;
    char names[MAX_NAMES][64];
    size_t nnames;
};

static int remember_name(struct found *f, const char *name)
{
    for (size_t i = 0; i < f->nnames; i++)
        if (!strcmp(f->names[i], name))
            return 0;
    if (f->nnames < MAX_NAMES)
        snprintf(f->names[f->nnames++], sizeof f->names[0], "%s", name);
    return 0;
}

static int add_run(struct found *f, const char *file, struct diag *d)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 16;
        struct report_data *grown = realloc(f->runs, cap * sizeof *grown);
        if (!grown)
            return diag_fail(d, FR_RUNTIME, "out of memory reading %s", file);
        f->runs = grown;
        f->cap = cap;
    }
    memset(&f->runs[f->n], 0, sizeof f->runs[f->n]);
    int rc = report_load(file, &f->runs[f->n], d);
    if (!rc)
        f->n++;
    return rc;
}

/* The results files of DIR, and which configs they ran; those of name (or,
 * with name NULL, all of them) loaded. A file that is not a results file
 * is passed over; a damaged results file of the config is an error. */
static int scan(const char *dir, const char *name, struct found *f, struct diag *d)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return diag_fail(d, FR_USAGE, "cannot read the folder '%s': %s", dir, strerror(errno));
    char **files = NULL;
    size_t nfiles = 0;
    int rc = FR_OK;
    struct dirent *e;
    while (!rc && (e = readdir(dh))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".h5") != 0)
            continue;
        char **grown = realloc(files, (nfiles + 1) * sizeof *files);
        size_t need = strlen(dir) + len + 2;
        if (!grown || !(grown[nfiles] = malloc(need))) {
            free(grown ? grown : files);
            files = NULL;
            nfiles = 0;
            rc = diag_fail(d, FR_RUNTIME, "out of memory listing %s", dir);
            break;
        }
        files = grown;
        snprintf(files[nfiles++], need, "%s/%s", dir, e->d_name);
    }
    closedir(dh);
    for (size_t i = 0; i < nfiles; i++) {
        char *run_name = NULL;
        struct diag quiet = {0};
        if (!rc && !results_read_root_attr(files[i], "name", &run_name, &quiet)) {
            remember_name(f, run_name);
            if (!name || !strcmp(run_name, name))
                rc = add_run(f, files[i], d);
        }
        free(run_name);
        free(files[i]);
    }
    free(files);
    return rc;
}

static void found_free(struct found *f)
{
    for (size_t i = 0; i < f->n; i++)
        report_free(&f->runs[i]);
    free(f->runs);
}

static int refuse_names(const char *dir, const char *name, const struct found *f, struct diag *d)
{
    char list[800] = "";
    size_t at = 0;
    for (size_t i = 0; i < f->nnames && at < sizeof list; i++)
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "", f->names[i]);
    if (name)
        return diag_fail(d, FR_USAGE, "%s holds no results of the config '%s'%s%s", dir, name,
                         f->nnames ? "; it holds runs of " : "", list);
    if (!f->nnames)
        return diag_fail(d, FR_USAGE, "%s holds no results files (*.h5 written by fidrun)", dir);
    return diag_fail(d, FR_USAGE, "%s holds runs of %zu configs (%s): pick one with --name", dir, f->nnames, list);
}

static int parse_args(int argc, char **argv, const char **dir, const char **name, const char **format,
                      const char **path, struct cmp_policy *p, struct diag *d)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int takes_value = !strcmp(a, "--name") || !strcmp(a, "--format") || !strcmp(a, "-o") || !strcmp(a, "--band");
        if (takes_value && i + 1 >= argc)
            return diag_fail(d, FR_USAGE, "%s needs a value (see fidrun history --help)", a);
        int overflow;
        if (!strcmp(a, "--name"))
            *name = argv[++i];
        else if (!strcmp(a, "-o"))
            *path = argv[++i];
        else if (!strcmp(a, "--format")) {
            *format = argv[++i];
            if (strcmp(*format, "text") && strcmp(*format, "html"))
                return diag_fail(d, FR_USAGE, "--format '%s' is not one of text, html", *format);
        } else if (!strcmp(a, "--band")) {
            if (parse_real(argv[++i], &p->band, &overflow) || !(p->band >= 0))
                return diag_fail(d, FR_USAGE, "--band expects a number >= 0, not '%s'", argv[i]);
        } else if (a[0] == '-')
            return diag_fail(d, FR_USAGE, "unknown option '%s' (see fidrun history --help)", a);
        else if (*dir)
            return diag_fail(d, FR_USAGE, "one folder only, found '%s' and '%s'", *dir, a);
        else
            *dir = a;
    }
    if (!*dir)
        return diag_fail(d, FR_USAGE, "which folder? (see fidrun history --help)");
    return FR_OK;
}

int history_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return FR_OK;
        }
    const char *dir = NULL, *name = NULL, *format = "text", *path = NULL;
    struct cmp_policy p;
    struct diag d = {0};
    struct found f = {0};
    struct history h = {0};
    cmp_policy_defaults(&p);
    int rc = parse_args(argc, argv, &dir, &name, &format, &path, &p, &d);
    if (!rc)
        rc = scan(dir, name, &f, &d);
    if (!rc && (f.n == 0 || (!name && f.nnames > 1)))
        rc = refuse_names(dir, name, &f, &d);
    if (!rc && history_build(name ? name : f.names[0], f.runs, f.n, &p, &h))
        rc = diag_fail(&d, FR_RUNTIME, "out of memory building the history of %s", dir);
    FILE *out = NULL;
    if (!rc && !(out = path ? fopen(path, "w") : stdout))
        rc = diag_fail(&d, FR_RUNTIME, "cannot write '%s': %s", path, strerror(errno));
    if (!rc) {
        char gnuplot[4096];
        if (!strcmp(format, "html"))
            rc = report_history_html(&h, plot_gnuplot_find(gnuplot, sizeof gnuplot), out);
        else
            history_print(&h, out);
        if ((path ? fclose(out) : fflush(out)) != 0 || rc)
            rc = diag_fail(&d, FR_RUNTIME, "cannot write the history%s%s", path ? " to " : "", path ? path : "");
    }
    history_free(&h);
    found_free(&f);
    if (rc)
        fprintf(stderr, "fidrun history: error: %s\n", d.msg);
    return rc;
}
