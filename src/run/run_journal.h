/* A run's journal folder, <output>/<name>.journal/: run.json (what run
 * this is: version, config text, overrides, selection, the plan's
 * fingerprint, attempts) and one journal file per rank and attempt. A
 * fresh run refuses a folder that holds an interrupted run's journal;
 * --resume loads it (refusing, with the difference named, when the config
 * or version differs), and the finished tasks are skipped. The folder is
 * removed once a complete results file is in place. */
#ifndef FIDRUN_RUN_JOURNAL_H
#define FIDRUN_RUN_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "io/journal.h"
#include "plugin/suite.h"
#include "run/plan.h"
#include "run/run_request.h"

struct stored_rows {
    unsigned char *rows;
    size_t n, cap;
};

struct run_journal {
    char dir[1024];
    int attempt;           /* 1 for a fresh run */
    int created;           /* rank 0: this run made the folder (nothing in it yet is another run's) */
    struct journal file;   /* this rank's, for this attempt */
    /* rank 0, after run_journal_load: */
    uint8_t *done;         /* per task of the plan */
    size_t ndone;
    struct stored_rows rows[CONFIG_MAX_SUITES][SUITE_MAX_TABLES];
    size_t files, dropped_bytes, torn_files;
};

/* <output>/<name>.journal */
void run_journal_dir(const struct run_config *cfg, char *buf, size_t size);

/* The folder holding a journal folder (its run's output folder). */
void run_journal_parent(const char *dir, char *buf, size_t size);

/* Whether dir holds a journal (its run.json). */
int run_journal_exists(const char *dir);

/* Rank 0, a fresh run: refuses a folder with an interrupted run's journal,
 * else creates it and writes run.json. */
int run_journal_create(struct run_journal *rj, const struct run_config *cfg, const struct run_request *c,
                       const struct plan *p, struct diag *d);

/* Rank 0, --resume (dir NULL: the config's) or recover (dir given): reads run.json and compares it with this run (exit 2
 * naming the first difference), then every journal file: the done mask and
 * the stored rows. Torn tails are dropped and counted. */
int run_journal_load(struct run_journal *rj, const char *dir, const struct run_config *cfg, const struct run_request *c,
                     const struct plan *p, struct diag *d);

/* Any rank, as a task error ends the job: what stopped it, in
 * dir/stopped-rank-R.txt, so that the next run into the folder can say so. */
void run_journal_mark_stopped(const char *dir, int rank, const char *host, int code, const char *message);
/* The first stop reason in dir, if any (1), into buf. */
int run_journal_stop_reason(const char *dir, char *buf, size_t size);
/* --fresh: dir renamed to dir.old-YYYYmmdd-HHMMSS (kept, not deleted). */
int run_journal_set_aside(const char *dir, char *kept, size_t size, struct diag *d);

/* Every rank: opens attempt-<A>-rank-<R>.jnl in rj->dir. */
int run_journal_open(struct run_journal *rj, int rank, struct diag *d);

/* Rank 0, after the results file is in place: removes the folder. */
void run_journal_remove(struct run_journal *rj);

void run_journal_free(struct run_journal *rj);

/* The stored command line of the journal in dir, for fidrun recover:
 * argv[0..argc) (malloc'd, free with run_journal_free_argv) and the config
 * text as it was run. */
int run_journal_command(const char *dir, int *argc, char ***argv, char **config_text, struct diag *d);
void run_journal_free_argv(int argc, char **argv);

#endif
