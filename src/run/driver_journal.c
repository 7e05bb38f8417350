/* The journal's part of a run: sharing what an earlier attempt finished,
 * merging its records, and saying which tasks are missing. */
#include "run/run_state.h"

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"

/* Collective, after setup: every rank learns the attempt and the tasks an
 * earlier attempt finished, plans the rest, and opens its journal file. */
int share_journal(struct run_state *s)
{
    size_t n = s->plan.tasks.n;
    int attempt = comm_bcast_int(s->journal.attempt);
    unsigned char *done = calloc(n ? n : 1, 1);
    if (!(s->ran = calloc(n ? n : 1, 1)) || !done) {
        free(done);
        comm_abort(&s->ci, FR_RUNTIME, "out of memory"); /* the others are in the broadcast below */
    }
    if (s->ci.rank == 0 && s->journal.done)
        memcpy(done, s->journal.done, n);
    if (s->req->recover) /* nothing runs: the journal is all there is */
        memset(done, 1, n);
    comm_bcast_bytes(done, n);
    int rc = plan_skip_done(&s->plan, done, &s->d);
    free(done);
    if (s->ci.rank != 0) {
        run_journal_dir(&s->cfg, s->journal.dir, sizeof s->journal.dir);
        s->journal.file.fd = -1;
    }
    s->journal.attempt = attempt;
    if (!rc && !s->req->recover)
        rc = run_journal_open(&s->journal, s->ci.rank, &s->d);
    return rc;
}

/* Rank 0: the rows an earlier attempt journaled join this run's; their
 * rank is -1 (that attempt's ranks are not this run's). */
int merge_journal_rows(struct run_state *s, size_t suite, size_t table, size_t row)
{
    const struct stored_rows *j = &s->journal.rows[suite][table];
    if (!j->n)
        return 0;
    size_t n = s->nrecords[suite][table];
    char *all = realloc(s->records[suite][table], (n + j->n) * row);
    if (!all)
        return -1;
    memcpy(all + n * row, j->rows, j->n * row);
    for (size_t k = n; k < n + j->n; k++) {
        int32_t earlier = -1;
        memcpy(all + k * row + offsetof(struct record_head, rank), &earlier, sizeof earlier);
    }
    s->records[suite][table] = all;
    s->nrecords[suite][table] = n + j->n;
    return 0;
}

/* Which tasks have no record: with the journal's, every task of the plan
 * should have one, unless a signal stopped the run (or recover found a
 * journal that ends early). */
int find_missing(struct run_state *s, struct run_summary *r)
{
    size_t n = s->plan.tasks.n, len = 0, cap = 0;
    unsigned char *have = calloc(n ? n : 1, 1);
    if (!have)
        return diag_fail(&s->d, FR_RUNTIME, "out of memory");
    for (size_t i = 0; i < s->cfg.nsuites; i++) {
        const struct suite *su = s->cfg.suites[i].suite;
        for (size_t t = 0; t < su->ntables; t++)
            for (size_t k = 0; k < s->nrecords[i][t]; k++) {
                int32_t id;
                memcpy(&id, (const char *)s->records[i][t] + k * su->record_tables[t]->row_size, sizeof id);
                if (id >= 0 && (size_t)id < n)
                    have[id] = 1;
            }
    }
    for (size_t i = 0; i < n; i++) {
        if (have[i])
            continue;
        const char *name = s->plan.tasks.items[i].name;
        if (array_reserve((void **)&r->missing_names, &cap, len + strlen(name) + 2, 1, 4096)) {
            free(have);
            return diag_fail(&s->d, FR_RUNTIME, "out of memory");
        }
        len += (size_t)sprintf(r->missing_names + len, "%s%s", len ? "\n" : "", name);
        r->missing++;
    }
    free(have);
    return FR_OK;
}

/* complete, and for a run that is not: the tasks missing and why; for a
 * resumed run, how many tasks came from the journal. */
int write_completeness(struct run_state *s, const struct run_summary *r, struct results_file *rf)
{
    int rc = results_attr_int(rf, "/", "complete", r->missing == 0, &s->d);
    if (!rc && r->missing) {
        rc = results_attr_int(rf, "/", "missing_count", (long long)r->missing, &s->d);
        if (!rc) /* HDF5 attributes stay under 64 KiB: a long list is cut, the count is whole */
            rc = results_attr_string(rf, "/", "missing_tasks",
                                     strlen(r->missing_names) > 60000 ? "(more than 60000 characters: see "
                                                                        "missing_count and the plan)"
                                                                      : r->missing_names,
                                     &s->d);
        if (!rc)
            rc = results_attr_string(rf, "/", "incomplete_because",
                                     s->interrupted ? (s->interrupted == SIGINT ? "SIGINT" : "SIGTERM")
                                                    : "the journal had no record of them (fidrun recover)",
                                     &s->d);
    }
    if (!rc && s->journal.ndone) {
        rc = results_attr_int(rf, "/", "resumed_tasks", (long long)s->journal.ndone, &s->d);
        if (!rc)
            rc = results_attr_int(rf, "/", "attempt", s->journal.attempt, &s->d);
    }
    return rc;
}
