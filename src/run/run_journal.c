#include "run/run_journal.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/array.h"
#include "util/version.h"

void run_journal_dir(const struct run_config *cfg, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s.journal", cfg->output, cfg->name);
}

static void run_json_path(const char *dir, char *buf, size_t size) { snprintf(buf, size, "%s/run.json", dir); }

int run_journal_exists(const char *dir)
{
    char path[1100];
    struct stat st;
    run_json_path(dir, path, sizeof path);
    return stat(path, &st) == 0;
}

/* FNV-1a over every task's suite, table, name and predicted cost: two plans
 * with the same fingerprint have the same tasks under the same ids. */
static uint64_t plan_fingerprint(const struct plan *p)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < p->tasks.n; i++) {
        const struct task *t = &p->tasks.items[i];
        const void *parts[] = {&t->suite, &t->table, t->name, &t->cost};
        const size_t sizes[] = {sizeof t->suite, sizeof t->table, strlen(t->name) + 1, sizeof t->cost};
        for (size_t k = 0; k < 4; k++)
            for (size_t b = 0; b < sizes[k]; b++)
                h = (h ^ ((const unsigned char *)parts[k])[b]) * 1099511628211ull;
    }
    return h;
}

/* The overrides but the output folder's: a resumed run may write elsewhere. */
static char *overrides_but_output(const char *overrides)
{
    char *out = calloc(1, strlen(overrides ? overrides : "") + 1), *w = out;
    for (const char *line = overrides ? overrides : ""; out && *line;) {
        size_t len = strcspn(line, "\n");
        if (strncmp(line, "output=", 7) != 0) {
            w += sprintf(w, "%s%.*s", w > out ? "\n" : "", (int)len, line);
        }
        line += len + (line[len] == '\n');
    }
    return out;
}

static json_t *identity(const struct run_config *cfg, const struct run_request *c, const struct plan *p)
{
    char fp[32];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)plan_fingerprint(p));
    json_t *argv = json_array();
    for (int i = 0; argv && i < c->argc; i++)
        json_array_append_new(argv, json_string(c->argv[i]));
    char *overrides = overrides_but_output(cfg->overrides);
    json_t *doc = overrides ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:o}", "fidrun_version",
                                        FIDRUN_VERSION, "name", cfg->name, "config_path", cfg->path, "config_text",
                                        cfg->text ? cfg->text : "", "overrides", overrides, "only",
                                        c->only ? c->only : "", "suites", c->suites ? c->suites : "", "tasks",
                                        (json_int_t)p->tasks.n, "plan_fingerprint", fp, "argv",
                                        argv ? argv : json_array())
                            : NULL;
    free(overrides);
    return doc;
}

static int write_run_json(const char *dir, json_t *doc, struct diag *d)
{
    char path[1100], tmp[1200];
    run_json_path(dir, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    if (json_dump_file(doc, tmp, JSON_INDENT(1)) != 0)
        return diag_fail(d, FR_RUNTIME, "cannot write '%s': %s", tmp, strerror(errno));
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return diag_fail(d, FR_RUNTIME, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
    }
    return FR_OK;
}

int run_journal_create(struct run_journal *rj, const struct run_config *cfg, const struct run_request *c,
                       const struct plan *p, struct diag *d)
{
    memset(rj, 0, sizeof *rj);
    rj->file.fd = -1;
    rj->attempt = 1;
    run_journal_dir(cfg, rj->dir, sizeof rj->dir);
    if (run_journal_exists(rj->dir)) {
        char why[1200];
        if (run_journal_stop_reason(rj->dir, why, sizeof why))
            return diag_fail(d, FR_USAGE,
                             "%s holds the journal of a run of '%s' that stopped on an error: %s. Fix that, then "
                             "go on with --resume %s, or start over with --fresh (the old journal is kept under "
                             "another name)",
                             rj->dir, cfg->name, why, cfg->output);
        return diag_fail(d, FR_USAGE,
                         "%s holds the journal of an interrupted run of '%s': resume it with --resume %s (or "
                         "--resume auto), turn it into a results file with fidrun recover %s, or start over with "
                         "--fresh (the old journal is kept under another name)",
                         rj->dir, cfg->name, cfg->output, rj->dir);
    }
    /* mkdir is the lock: of two runs started into one folder at once, the
     * second finds the folder made and stops, before either writes a task */
    if (mkdir(rj->dir, 0777) != 0) {
        if (errno == EEXIST)
            return diag_fail(d, FR_USAGE, "%s exists: another run of '%s' is using the output folder %s (or one "
                                          "stopped before writing its run.json; remove the folder if none is)",
                             rj->dir, cfg->name, cfg->output);
        return diag_fail(d, FR_RUNTIME, "cannot create the journal folder '%s': %s", rj->dir, strerror(errno));
    }
    json_t *doc = identity(cfg, c, p);
    if (!doc)
        return diag_fail(d, FR_RUNTIME, "out of memory");
    json_object_set_new(doc, "attempts", json_integer(1));
    int rc = write_run_json(rj->dir, doc, d);
    json_decref(doc);
    rj->created = !rc;
    return rc;
}

/* The first line where two texts differ, for the refusal. */
static void first_difference(const char *a, const char *b, char *buf, size_t size)
{
    int line = 1;
    while (*a && *a == *b) {
        line += *a == '\n';
        a++;
        b++;
    }
    while (line > 1 && a[-1] != '\n') /* back to the line's start */
        a--, b--;
    snprintf(buf, size, "line %d: '%.*s' then, '%.*s' now", line, (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
}

static int compare_identity(const char *dir, json_t *then, json_t *now, struct diag *d)
{
    static const char *const keys[] = {"fidrun_version", "name", "config_text", "overrides", "only", "suites",
                                       "plan_fingerprint"};
    static const char *const what[] = {"fidrun version", "run name", "config file", "--set overrides", "--only",
                                       "--suite selection", "plan (tasks and their costs)"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *a = json_string_value(json_object_get(then, keys[i]));
        const char *b = json_string_value(json_object_get(now, keys[i]));
        if (!a)
            return diag_fail(d, FR_USAGE, "%s/run.json has no %s: not a fidrun journal", dir, keys[i]);
        if (strcmp(a, b) == 0)
            continue;
        char diff[400];
        if (strcmp(keys[i], "config_text") == 0 || strcmp(keys[i], "overrides") == 0)
            first_difference(a, b, diff, sizeof diff);
        else
            snprintf(diff, sizeof diff, "'%s' then, '%s' now", a, b);
        return diag_fail(d, FR_USAGE, "cannot resume %s: this run's %s is not the interrupted run's (%s)", dir,
                         what[i], diff);
    }
    return FR_OK;
}

struct load_state {
    struct run_journal *rj;
    const struct run_config *cfg;
    const struct plan *p;
    const char *file;
    struct diag *d;
};

static int keep_record(const struct journal_head *h, const unsigned char *row, void *arg)
{
    struct load_state *ls = arg;
    const struct plan *p = ls->p;
    if (h->task_id < 0 || (size_t)h->task_id >= p->tasks.n)
        return diag_fail(ls->d, FR_USAGE, "%s: task %d is not in the plan of %zu tasks", ls->file, h->task_id,
                         p->tasks.n);
    const struct task *t = &p->tasks.items[h->task_id];
    if (strcmp(t->name, h->task) != 0 || t->suite != h->suite || t->table != h->table)
        return diag_fail(ls->d, FR_USAGE, "%s: task %d is '%s' there but '%s' in this plan", ls->file, h->task_id,
                         h->task, t->name);
    const struct suite *su = ls->cfg->suites[t->suite].suite;
    if (h->row_size != su->record_tables[t->table]->row_size)
        return diag_fail(ls->d, FR_USAGE, "%s: task '%s' has a %u-byte record, this build's are %zu bytes", ls->file,
                         h->task, h->row_size, su->record_tables[t->table]->row_size);
    if (ls->rj->done[h->task_id])
        return FR_OK; /* the same task journaled twice (a batch redone): the first stands */
    struct stored_rows *s = &ls->rj->rows[t->suite][t->table];
    if (array_reserve((void **)&s->rows, &s->cap, (s->n + 1) * h->row_size, 1, 64 * (size_t)h->row_size))
        return diag_fail(ls->d, FR_RUNTIME, "out of memory reading %s", ls->file);
    memcpy(s->rows + s->n * h->row_size, row, h->row_size);
    s->n++;
    ls->rj->done[h->task_id] = 1;
    ls->rj->ndone++;
    return FR_OK;
}

static int is_journal_file(const char *name)
{
    size_t len = strlen(name);
    return len > 4 && strcmp(name + len - 4, ".jnl") == 0;
}

int run_journal_load(struct run_journal *rj, const char *dir, const struct run_config *cfg, const struct run_request *c,
                     const struct plan *p, struct diag *d)
{
    memset(rj, 0, sizeof *rj);
    rj->file.fd = -1;
    if (dir)
        snprintf(rj->dir, sizeof rj->dir, "%s", dir);
    else
        run_journal_dir(cfg, rj->dir, sizeof rj->dir);
    char path[1100];
    run_json_path(rj->dir, path, sizeof path);
    json_error_t err;
    json_t *then = json_load_file(path, 0, &err);
    if (!then)
        return diag_fail(d, FR_USAGE, "cannot resume: %s: %s", path,
                         access(path, F_OK) == 0 ? err.text : "no journal of this run there");
    json_t *now = identity(cfg, c, p);
    int rc = now ? compare_identity(rj->dir, then, now, d) : diag_fail(d, FR_RUNTIME, "out of memory");
    json_int_t attempts = json_integer_value(json_object_get(then, "attempts"));
    rj->attempt = (int)(attempts > 0 ? attempts : 1) + !dir; /* recover reads, and changes nothing */
    if (!rc && !dir) {
        json_object_set_new(then, "attempts", json_integer(rj->attempt));
        rc = write_run_json(rj->dir, then, d);
    }
    json_decref(then);
    json_decref(now);
    if (rc)
        return rc;
    if (!(rj->done = calloc(p->tasks.n ? p->tasks.n : 1, 1)))
        return diag_fail(d, FR_RUNTIME, "out of memory");
    DIR *dh = opendir(rj->dir);
    if (!dh)
        return diag_fail(d, FR_RUNTIME, "cannot read the journal folder '%s': %s", rj->dir, strerror(errno));
    struct dirent *e;
    while (!rc && (e = readdir(dh))) {
        if (!is_journal_file(e->d_name))
            continue;
        char file[1400];
        snprintf(file, sizeof file, "%s/%s", rj->dir, e->d_name);
        struct load_state ls = {rj, cfg, p, file, d};
        size_t dropped = 0;
        rc = journal_read_file(file, keep_record, &ls, &dropped, d);
        rj->files++;
        rj->dropped_bytes += dropped;
        rj->torn_files += dropped > 0;
    }
    closedir(dh);
    return rc;
}

/* stopped-rank-R.txt: what ended the run on rank R */
static int is_stop_file(const char *name)
{
    return strncmp(name, "stopped-rank-", 13) == 0;
}

void run_journal_mark_stopped(const char *dir, int rank, const char *host, int code, const char *message)
{
    char path[1200], tmp[1210];
    snprintf(path, sizeof path, "%s/stopped-rank-%d.txt", dir, rank);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return; /* the job ends all the same; the journal only says less */
    fprintf(f, "rank %d (%s), exit %d: %s\n", rank, host, code, message);
    if (fclose(f) == 0)
        rename(tmp, path);
    else
        unlink(tmp);
}

int run_journal_stop_reason(const char *dir, char *buf, size_t size)
{
    buf[0] = '\0';
    DIR *dh = opendir(dir);
    if (!dh)
        return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(dh))) {
        if (!is_stop_file(e->d_name) || strstr(e->d_name, ".tmp"))
            continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        if (f && fgets(buf, (int)size, f)) {
            buf[strcspn(buf, "\n")] = '\0';
            found = 1;
        }
        if (f)
            fclose(f);
    }
    closedir(dh);
    return found;
}

int run_journal_set_aside(const char *dir, char *kept, size_t size, struct diag *d)
{
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    for (int k = 1; k < 1000; k++) {
        if (k == 1)
            snprintf(kept, size, "%s.old-%s", dir, stamp);
        else
            snprintf(kept, size, "%s.old-%s-%d", dir, stamp, k);
        struct stat st;
        if (lstat(kept, &st) == 0)
            continue;
        if (rename(dir, kept) == 0)
            return FR_OK;
        return diag_fail(d, FR_RUNTIME, "--fresh: cannot rename the old journal '%s' to '%s': %s", dir, kept,
                         strerror(errno));
    }
    return diag_fail(d, FR_RUNTIME, "--fresh: no free name for the old journal '%s'", dir);
}

int run_journal_open(struct run_journal *rj, int rank, struct diag *d)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/attempt-%d-rank-%d.jnl", rj->dir, rj->attempt, rank);
    return journal_open(&rj->file, path, d);
}

void run_journal_remove(struct run_journal *rj)
{
    journal_close(&rj->file);
    DIR *dh = opendir(rj->dir);
    if (!dh)
        return;
    struct dirent *e;
    while ((e = readdir(dh))) {
        if (!is_journal_file(e->d_name) && !is_stop_file(e->d_name) && strcmp(e->d_name, "run.json") != 0 &&
            strcmp(e->d_name, "config.yaml") != 0) /* recover's copy of the config */
            continue;
        char file[1400];
        snprintf(file, sizeof file, "%s/%s", rj->dir, e->d_name);
        unlink(file);
    }
    closedir(dh);
    rmdir(rj->dir);
}

void run_journal_free(struct run_journal *rj)
{
    journal_close(&rj->file);
    free(rj->done);
    for (size_t i = 0; i < CONFIG_MAX_SUITES; i++)
        for (size_t t = 0; t < SUITE_MAX_TABLES; t++)
            free(rj->rows[i][t].rows);
    memset(rj, 0, sizeof *rj);
    rj->file.fd = -1;
}

int run_journal_command(const char *dir, int *argc, char ***argv, char **config_text, struct diag *d)
{
    char path[1100];
    run_json_path(dir, path, sizeof path);
    json_error_t err;
    json_t *doc = json_load_file(path, 0, &err);
    if (!doc)
        return diag_fail(d, FR_USAGE, "%s: %s", path, access(path, F_OK) == 0 ? err.text : "no such file (not a journal folder)");
    json_t *args = json_object_get(doc, "argv");
    const char *text = json_string_value(json_object_get(doc, "config_text"));
    size_t n = json_array_size(args);
    int rc = FR_OK;
    if (!json_is_array(args) || n == 0 || !text)
        rc = diag_fail(d, FR_USAGE, "%s: no argv or config_text: not a fidrun journal", path);
    *argv = rc ? NULL : calloc(n + 1, sizeof **argv);
    *config_text = rc ? NULL : strdup(text);
    if (!rc && (!*argv || !*config_text))
        rc = diag_fail(d, FR_RUNTIME, "out of memory");
    for (size_t i = 0; !rc && i < n; i++)
        if (!((*argv)[i] = strdup(json_string_value(json_array_get(args, i)) ? json_string_value(json_array_get(args, i)) : "")))
            rc = diag_fail(d, FR_RUNTIME, "out of memory");
    *argc = rc ? 0 : (int)n;
    json_decref(doc);
    return rc;
}

void run_journal_free_argv(int argc, char **argv)
{
    for (int i = 0; argv && i < argc; i++)
        free(argv[i]);
    free(argv);
}

void run_journal_parent(const char *dir, char *buf, size_t size)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    size_t cut = len;
    while (cut > 0 && dir[cut - 1] != '/')
        cut--;
    if (cut == 0)
        snprintf(buf, size, ".");
    else
        snprintf(buf, size, "%.*s", (int)(cut > 1 ? cut - 1 : 1), dir);
}
