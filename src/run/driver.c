#include "run/driver.h"
#include "run/run_state.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/backend.h"
#include "io/results.h"
#include "mpi/comm.h"
#include "mpi/heartbeat.h"
#include "plugin/ranks.h"
#include "report/baseline.h"
#include "report/report_file.h"
#include "report/terminal.h"
#include "run/affinity.h"
#include "run/device.h"
#include "run/interrupt.h"
#include "run/plan.h"
#include "run/provenance.h"
#include "run/run_journal.h"
#include "run/run_progress.h"
#include "run/watchdog.h"
#include "util/clock.h"
#include "util/version.h"

/* Collective: agrees on the worst status; the lowest failing rank prints
 * its message, naming itself unless it is rank 0 with a usage error (about
 * the config or command line, which every rank shares). */
static int agree(struct run_state *s, int rc)
{
    int first, worst = comm_agree(rc, !s->d.relayed, &first);
    if (worst != FR_OK && s->ci.rank == first) {
        if (first == 0 && rc == FR_USAGE)
            fprintf(stderr, "fidrun: error: %s\n", s->d.msg);
        else
            fprintf(stderr, "fidrun: error: rank %d (%s): %s\n", s->ci.rank, s->ci.host, s->d.msg);
        fflush(stderr);
    }
    return worst;
}


/* --baseline FILE|auto, before the run: the file (auto: the newest saved
 * baseline of this config in the output folder) must have measured what
 * this run will, unless --allow-different. */
static int check_baseline(struct run_state *s)
{
    int rc = FR_OK;
    if (strcmp(s->req->baseline, "auto") == 0)
        rc = baseline_find_auto(s->cfg.output, s->cfg.name, s->baseline, sizeof s->baseline, &s->d);
    else
        snprintf(s->baseline, sizeof s->baseline, "%s", s->req->baseline);
    struct cmp_report unused = {0};
    if (!rc)
        rc = baseline_check_run(s->baseline, &s->cfg, &s->req->cmp, &unused, &s->d);
    cmp_report_free(&unused);
    return rc;
}

static int setup(struct run_state *s)
{
    int rc = plan_from_request(s->req, s->ci.size, &s->cfg, &s->plan, &s->d);
    if (!rc && s->req->resume && strcmp(s->req->resume, "auto") != 0) /* the interrupted run's folder */
        snprintf(s->cfg.output, sizeof s->cfg.output, "%s", s->req->resume);
    if (!rc && s->req->recover)
        run_journal_parent(s->req->recover, s->cfg.output, sizeof s->cfg.output);
    if (!rc)
        rc = device_select(s->cfg.device, s->ci.local_rank, &s->dev, &s->d);
    if (!rc && s->ci.rank == 0)
        rc = results_check_dir(s->cfg.output, &s->d);
    if (!rc && s->ci.rank == 0 && s->req->baseline)
        rc = check_baseline(s);
    if (!rc && s->ci.rank == 0)
        rc = results_check_space(s->cfg.output, output_bytes(s), &s->d);
    if (!rc && s->ci.rank == 0) {
        char dir[1024];
        run_journal_dir(&s->cfg, dir, sizeof dir);
        int resume = s->req->recover || (s->req->resume && (strcmp(s->req->resume, "auto") != 0 ||
                                                             run_journal_exists(dir)));
        struct stat there;
        if (s->req->fresh && lstat(dir, &there) == 0 &&
            (rc = run_journal_set_aside(dir, s->journal_kept, sizeof s->journal_kept, &s->d)))
            return rc;
        rc = resume ? run_journal_load(&s->journal, s->req->recover, &s->cfg, s->req, &s->plan, &s->d)
                    : run_journal_create(&s->journal, &s->cfg, s->req, &s->plan, &s->d);
    }
    return rc;
}



/* Rank 0 learns every rank's host and device before the run. */
static int gather_rank_identities(struct run_state *s)
{
    struct rank_record me = {.rank = s->ci.rank, .local_rank = s->ci.local_rank};
    snprintf(me.host, sizeof me.host, "%s", s->ci.host);
    cpu_affinity_text(me.cpu_affinity, sizeof me.cpu_affinity);
    me.gpu_index = s->dev.gpu_index;
    me.gpu_host_index = s->dev.gpu_host_index;
    if (s->dev.gpu_index >= 0) {
        snprintf(me.device, sizeof me.device, "%s", s->dev.gpu_name);
        snprintf(me.gpu_pci_bus_id, sizeof me.gpu_pci_bus_id, "%s", s->dev.gpu_pci_bus_id);
        me.gpu_memory_gib = s->dev.gpu_memory_gib;
    } else {
        cpu_description(me.device, sizeof me.device);
    }
    void *all;
    size_t bytes;
    if (comm_gather_bytes(&me, sizeof me, &all, &bytes, &s->d))
        return s->d.code;
    s->ranks = all;
    return FR_OK;
}

static void print_header(struct run_state *s)
{
    char hosts[256];
    int nhosts = distinct_hosts(s->ranks, s->ci.size, hosts, sizeof hosts);
    char inputs[2048];
    printf("fidrun %s · %s · %d rank%s on %d host%s · device %s · %s · %lld BLAS thread%s per rank\n",
           FIDRUN_VERSION, s->cfg.name, s->ci.size, s->ci.size == 1 ? "" : "s", nhosts, nhosts == 1 ? "" : "s",
           s->dev.note, config_inputs(&s->cfg, inputs, sizeof inputs), (long long)s->cfg.threads,
           s->cfg.threads == 1 ? "" : "s");
    if (s->req->noverrides) {
        printf("overrides:");
        for (size_t i = 0; i < s->req->noverrides; i++)
            printf(" %s", s->req->overrides[i].label);
        printf("\n");
    }
    if (s->req->only)
        printf("only tasks matching '%s'\n", s->req->only);
    ranks_print_gpus(s->ranks, s->ci.size, stdout);
    if (s->journal_kept[0])
        printf("--fresh: the earlier run's journal is kept as %s\n", s->journal_kept);
    if (s->journal.attempt > 1 || s->req->recover)
        printf("journal %s: %s %d · %zu tasks done in %zu files%s\n", s->journal.dir,
               s->req->recover ? "attempts" : "attempt", s->journal.attempt, s->journal.ndone, s->journal.files,
               s->journal.torn_files ? " · a torn last record dropped (its task runs again)" : "");
    plan_print_summary(&s->plan, stdout);
    for (size_t i = 0; i < s->cfg.nsuites; i++) {
        char line[512];
        s->cfg.suites[i].suite->describe(s->cfg.suites[i].cfg, line, sizeof line);
        printf("%s\n", line);
    }
    fflush(stdout);
}

/* The ranks watch each other from here to the end (mpi/heartbeat.h). */
static void start_heartbeats(struct run_state *s)
{
    char(*hosts)[COMM_HOST_MAX] = NULL;
    if (s->ci.rank == 0 && !(hosts = malloc((size_t)s->ci.size * sizeof *hosts)))
        comm_abort(&s->ci, FR_RUNTIME, "out of memory");
    for (int r = 0; hosts && r < s->ci.size; r++)
        snprintf(hosts[r], COMM_HOST_MAX, "%s", s->ranks[r].host);
    heartbeat_start(&s->ci, config_silence_limit(&s->cfg), (const char(*)[COMM_HOST_MAX])hosts);
    free(hosts);
}

static struct run_context run_context_for(const struct run_state *s, size_t suite)
{
    return (struct run_context){
        .seed = (uint64_t)s->cfg.seed,
        .backend = s->dev.backend,
        .rank = s->ci.rank,
        .nranks = s->ci.size,
        .local_rank = s->ci.local_rank,
        .local_size = s->ci.local_size,
        .tasks = &s->plan.tasks,
        .owner = s->plan.owner,
        .suite = (int)suite,
        .state = s->suite_state[suite],
    };
}

static int new_suite_states(struct run_state *s)
{
    for (size_t i = 0; i < s->cfg.nsuites; i++) {
        const struct suite *su = s->cfg.suites[i].suite;
        if (su->state_new && su->state_new(s->cfg.suites[i].cfg, &s->plan.tasks, &s->suite_state[i]))
            return diag_fail(&s->d, FR_RUNTIME, "out of memory for the %s suite's state", su->name);
    }
    return FR_OK;
}

static void free_suite_states(struct run_state *s)
{
    for (size_t i = 0; i < s->cfg.nsuites; i++)
        if (s->suite_state[i] && s->cfg.suites[i].suite->state_free)
            s->cfg.suites[i].suite->state_free(s->suite_state[i]);
}

/* The suites' collective steps after all tasks (OSFT's broadcast of the
 * factors); each rank's row goes to the table after the record tables. */
static int after_tasks(struct run_state *s)
{
    int rc = FR_OK;
    size_t n = s->plan.tasks.n;
    int32_t *owner_now = malloc((n ? n : 1) * sizeof *owner_now);
    if (!owner_now)
        comm_abort(&s->ci, FR_RUNTIME, "out of memory");
    for (size_t i = 0; i < n; i++) /* what this job ran: not an earlier attempt's, not what a signal left */
        owner_now[i] = s->ran[i] ? s->plan.owner[i] : -1;
    for (size_t i = 0; !rc && i < s->cfg.nsuites; i++) {
        const struct suite *su = s->cfg.suites[i].suite;
        if (!su->after_tasks)
            continue;
        void *row = calloc(1, su->after_table->row_size);
        if (!row) /* the others are about to enter the suite's collectives */
            comm_abort(&s->ci, FR_RUNTIME, "out of memory");
        struct run_context ctx = run_context_for(s, i);
        ctx.owner = owner_now;
        s->records[i][su->ntables] = row;
        s->nrecords[i][su->ntables] = 1;
        rc = agree(s, su->after_tasks(s->cfg.suites[i].cfg, &ctx, row, &s->d));
    }
    free(owner_now);
    return rc;
}

/* The record tables and, when the suite has one, its after_table. */
static size_t suite_tables(const struct suite *su)
{
    return su->ntables + (su->after_tasks ? 1 : 0);
}

static const struct table_desc *suite_table(const struct suite *su, size_t t)
{
    return t < su->ntables ? su->record_tables[t] : su->after_table;
}

static const struct comm_info *watched; /* for the watchdog's report */

/* task_timeout ran out: the watchdog thread ends the job, naming the task. */
static void on_task_timeout(const char *message)
{
    if (comm_threads_ok())
        comm_abort(watched, FR_RUNTIME, "%s", message);
    fprintf(stderr, "fidrun: error: rank %d (%s): %s\n", watched->rank, watched->host, message);
    fflush(stderr);
    _exit(FR_RUNTIME); /* no MPI from this thread: the launcher sees the exit and ends the job */
}

static int any_task_timeout(const struct run_config *cfg)
{
    for (size_t i = 0; i < cfg->nsuites; i++)
        if (cfg->suites[i].task_timeout > 0)
            return 1;
    return 0;
}

/* A task failed on this rank: the journal says why, and the job ends. */
static void task_failed(struct run_state *s, const char *suite, const struct task *t, int batched, int rc)
{
    char what[2600];
    snprintf(what, sizeof what, "%s task %s%s: %s", suite, t->name, batched ? " (or one run beside it)" : "",
             s->d.msg);
    run_journal_mark_stopped(s->journal.dir, s->ci.rank, s->ci.host, rc, what);
    comm_abort(&s->ci, rc, "%s", what);
}

/* One task, or the failure FIDRUN_INJECT_FAULT asks for; *secs its time. */
static int run_task(struct run_state *s, const struct suite_slot *slot, const struct run_context *ctx,
                    const struct task *t, void *rec, const char *fault, double *secs)
{
    double start = now_seconds();
    int rc = fault && *fault && task_matches(t->name, fault)
                 ? diag_fail(&s->d, FR_RUNTIME, "fault injected by FIDRUN_INJECT_FAULT='%s'", fault)
                 : slot->suite->run(slot->cfg, ctx, t, rec, &s->d);
    *secs = now_seconds() - start;
    return rc;
}

/* The tasks every rank runs together (a matrix distributed over them), in
 * plan order, before the ranks' own: rank 0 keeps each record (recs[i])
 * and journals it. Every rank agrees before each whether a signal stops
 * them, so none waits in a task the others left. Returns how many ran. */
static size_t execute_collective(struct run_state *s, const struct task *const *shared, size_t n, void *const *recs,
                                 struct run_progress *prog, int watching, const char *fault, const char *hang)
{
    int root = s->ci.rank == 0;
    size_t k = 0;
    for (; k < n && !comm_max_int(interrupt_signal()); k++) {
        const struct task *t = shared[k];
        const struct suite_slot *slot = &s->cfg.suites[t->suite];
        struct run_context ctx = run_context_for(s, (size_t)t->suite);
        size_t row = slot->suite->record_tables[t->table]->row_size;
        void *rec = root ? recs[k] : calloc(1, row);
        if (!rec)
            comm_abort(&s->ci, FR_RUNTIME, "out of memory");
        if (watching)
            watchdog_arm(slot->task_timeout, slot->suite->name, t->name, 0);
        while (hang && *hang && task_matches(t->name, hang))
            sleep(1);
        double secs;
        int rc = run_task(s, slot, &ctx, t, rec, fault, &secs);
        if (watching)
            watchdog_disarm();
        if (rc)
            task_failed(s, slot->suite->name, t, 0, rc);
        s->ran[t->id] = 1;
        if (!root) {
            free(rec);
            continue;
        }
        struct record_head head = {t->id, TASK_OWNER_ALL, t->cost, secs};
        memcpy(rec, &head, sizeof head);
        if (journal_append(&s->journal.file, &t, &rec, &row, 1, &s->d))
            comm_abort(&s->ci, FR_RUNTIME, "%s", s->d.msg);
        run_progress_own_task(prog, t->id);
    }
    return k;
}

/* Runs the collective tasks, then this rank's own; rank 0 also follows
 * everyone's progress. Any failure aborts the whole job. */
static void execute(struct run_state *s)
{
    const struct plan *p = &s->plan;
    size_t *mine = malloc((p->tasks.n ? p->tasks.n : 1) * sizeof *mine);
    size_t *shared_idx = malloc((p->tasks.n ? p->tasks.n : 1) * sizeof *shared_idx);
    if (!mine || !shared_idx)
        comm_abort(&s->ci, FR_RUNTIME, "out of memory");
    size_t nmine = plan_rank_tasks(p, s->ci.rank, mine), used[CONFIG_MAX_SUITES][SUITE_MAX_TABLES] = {{0}};
    size_t nshared = plan_collective_tasks(p, shared_idx);
    for (size_t k = 0; k < nmine; k++)
        s->nrecords[p->tasks.items[mine[k]].suite][p->tasks.items[mine[k]].table]++;
    for (size_t k = 0; s->ci.rank == 0 && k < nshared; k++)
        s->nrecords[p->tasks.items[shared_idx[k]].suite][p->tasks.items[shared_idx[k]].table]++;
    for (size_t i = 0; i < s->cfg.nsuites; i++) {
        const struct suite *su = s->cfg.suites[i].suite;
        for (size_t t = 0; t < su->ntables; t++)
            if (!(s->records[i][t] = calloc(s->nrecords[i][t] ? s->nrecords[i][t] : 1, su->record_tables[t]->row_size)))
                comm_abort(&s->ci, FR_RUNTIME, "out of memory for %zu records", s->nrecords[i][t]);
    }
    struct run_progress prog;
    int root = s->ci.rank == 0;
    if (root) {
        const char *names[CONFIG_MAX_SUITES];
        for (size_t i = 0; i < s->cfg.nsuites; i++)
            names[i] = s->cfg.suites[i].suite->name;
        run_progress_start(&prog, &p->tasks, p->owner, names, s->cfg.nsuites, s->t0,
                           s->req->quiet ? PROGRESS_OFF
                                         : progress_mode_named(s->req->progress, output_reaches_terminal(stdout)),
                           stdout);
    }
    if (!root && comm_progress_begin(nmine))
        comm_abort(&s->ci, FR_RUNTIME, "out of memory");
    const struct task **shared = malloc((nshared ? nshared : 1) * sizeof *shared);
    void **shared_recs = malloc((nshared ? nshared : 1) * sizeof *shared_recs);
    if (!shared || !shared_recs)
        comm_abort(&s->ci, FR_RUNTIME, "out of memory");
    for (size_t k = 0; k < nshared; k++) { /* rank 0's rows for them first: a prefix of each table */
        const struct task *t = shared[k] = &p->tasks.items[shared_idx[k]];
        size_t row = s->cfg.suites[t->suite].suite->record_tables[t->table]->row_size;
        shared_recs[k] = root ? (char *)s->records[t->suite][t->table] + used[t->suite][t->table]++ * row : NULL;
    }

    /* Testing hook: the rank that runs a task matching this pattern fails
     * it, so tests can show that one failing rank ends the whole job. */
    const char *fault = getenv("FIDRUN_INJECT_FAULT");
    /* and this one hangs in it, so tests can show task_timeout ending the job */
    const char *hang = getenv("FIDRUN_INJECT_HANG");
    watched = &s->ci;
    int watching = any_task_timeout(&s->cfg) && watchdog_start(on_task_timeout) == 0;
    struct run_context ctx = run_context_for(s, 0);
    const struct task **todo = malloc((nmine ? nmine : 1) * sizeof *todo);
    void **recs = malloc((nmine ? nmine : 1) * sizeof *recs);
    double *secs = malloc((nmine ? nmine : 1) * sizeof *secs);
    if (!todo || !recs || !secs)
        comm_abort(&s->ci, FR_RUNTIME, "out of memory");
    for (size_t k = 0; k < nmine; k++) {
        const struct task *t = todo[k] = &p->tasks.items[mine[k]];
        size_t row = s->cfg.suites[t->suite].suite->record_tables[t->table]->row_size;
        recs[k] = (char *)s->records[t->suite][t->table] + used[t->suite][t->table]++ * row;
    }
    size_t shared_done = execute_collective(s, shared, nshared, shared_recs, &prog, watching, fault, hang);
    size_t k = 0;
    while (shared_done == nshared && k < nmine && !interrupt_signal()) {
        const struct task *t = todo[k];
        const struct suite_slot *slot = &s->cfg.suites[t->suite];
        ctx.suite = t->suite;
        ctx.state = s->suite_state[t->suite];
        size_t same = 1, nb = 1;
        while (k + same < nmine && todo[k + same]->suite == t->suite && todo[k + same]->table == t->table)
            same++;
        if (slot->suite->run_batch && !(fault && *fault) && !(hang && *hang))
            nb = slot->suite->batch(slot->cfg, &ctx, todo + k, same);
        if (watching)
            watchdog_arm(slot->task_timeout * (double)nb, slot->suite->name, t->name, nb > 1);
        while (hang && *hang && task_matches(t->name, hang))
            sleep(1);
        int rc;
        if (nb > 1) {
            rc = slot->suite->run_batch(slot->cfg, &ctx, todo + k, nb, recs + k, secs + k, &s->d);
        } else {
            nb = 1;
            rc = run_task(s, slot, &ctx, t, recs[k], fault, &secs[k]);
        }
        if (watching)
            watchdog_disarm();
        if (rc)
            task_failed(s, slot->suite->name, t, nb > 1, rc);
        size_t sizes[nb];
        for (size_t i = k; i < k + nb; i++) {
            struct record_head head = {todo[i]->id, s->ci.rank, todo[i]->cost, secs[i]};
            memcpy(recs[i], &head, sizeof head);
            sizes[i - k] = s->cfg.suites[todo[i]->suite].suite->record_tables[todo[i]->table]->row_size;
        }
        /* on the disk before it counts as done: a rank that dies after this keeps it */
        if (journal_append(&s->journal.file, todo + k, recs + k, sizes, nb, &s->d))
            comm_abort(&s->ci, FR_RUNTIME, "%s", s->d.msg);
        for (size_t i = k; i < k + nb; i++) {
            s->ran[todo[i]->id] = 1;
            if (root)
                run_progress_own_task(&prog, todo[i]->id);
            else
                comm_progress_notify(todo[i]->id);
        }
        k += nb;
    }
    if (k < nmine || shared_done < nshared) { /* stopped early: only the rows of the tasks run hold records
                                                  (a prefix of each table's) */
        for (size_t i = 0; i < s->cfg.nsuites; i++)
            for (size_t t = 0; t < SUITE_MAX_TABLES; t++)
                s->nrecords[i][t] = 0;
        for (size_t r = 0; root && r < shared_done; r++)
            s->nrecords[shared[r]->suite][shared[r]->table]++;
        for (size_t r = 0; r < k; r++)
            s->nrecords[todo[r]->suite][todo[r]->table]++;
    }
    /* a signal on any rank stops them all: every rank learns it here */
    if (watching)
        watchdog_stop();
    s->interrupted = comm_max_int(interrupt_signal());
    free(todo);
    free(recs);
    free(secs);
    free(shared);
    free(shared_recs);
    free(shared_idx);
    if (root && s->interrupted)
        run_progress_abandon(&prog);
    else if (root)
        run_progress_wait_all(&prog);
    else
        comm_progress_end();
    if (root)
        s->progress_cpu_seconds = prog.listener_cpu_seconds;
    free(mine);
    comm_idle_barrier();
    if (root && s->interrupted) { /* reports sent before the stop that nobody took */
        int id;
        while (comm_progress_poll(&id))
            ;
    }
    comm_max_bytes(s->ran, p->tasks.n);
}

static int by_task_id(const void *a, const void *b)
{
    int32_t x, y;
    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    return (x > y) - (x < y);
}


static int gather_records(struct run_state *s)
{
    for (size_t i = 0; i < s->cfg.nsuites; i++) {
        const struct suite *su = s->cfg.suites[i].suite;
        for (size_t t = 0; t < suite_tables(su); t++) {
            size_t row = suite_table(su, t)->row_size, bytes;
            void *all;
            if (comm_gather_bytes(s->records[i][t], s->nrecords[i][t] * row, &all, &bytes, &s->d))
                return s->d.code;
            free(s->records[i][t]);
            s->records[i][t] = all;
            s->nrecords[i][t] = bytes / row;
            if (s->ci.rank == 0 && t < su->ntables && merge_journal_rows(s, i, t, row))
                return diag_fail(&s->d, FR_RUNTIME, "out of memory merging the journal's records");
            if (s->records[i][t])
                qsort(s->records[i][t], s->nrecords[i][t], row, by_task_id);
        }
    }
    return FR_OK;
}


/* --baseline: every figure of this run against the earlier one, as a
 * check of its own. */
static int compare_with_baseline(struct run_state *s, struct run_summary *r, FILE *out)
{
    struct cmp_report cr = {0};
    struct cmp_policy p = s->req->cmp;
    p.allow_different = 1; /* checked before the run (check_baseline), and refused there unless allowed */
    int rc = baseline_compare_run(s->baseline, &s->cfg, s->records, s->nrecords, &r->checks, &p, &cr, &s->d);
    if (!rc) {
        char verdict[256];
        struct cmp_counts c;
        cmp_count(&cr, &c);
        fprintf(out, "baseline compare with %s (what regressed, improved or changed)\n", s->baseline);
        cmp_report_print(&cr, out, !s->req->verbose);
        fprintf(out, "%s\n", cmp_verdict_line(&cr, verdict, sizeof verdict));
        if (check_add(&r->checks, "baseline", "metrics regressed against the baseline", "metrics",
                      (double)c.regressed, 0, 0, "count"))
            rc = diag_fail(&s->d, FR_RUNTIME, "out of memory");
    }
    cmp_report_free(&cr);
    return rc;
}

static int summarize(struct run_state *s, struct run_summary *r)
{
    int n = s->ci.size;
    FILE *devnull = s->req->quiet ? fopen("/dev/null", "w") : NULL;
    struct report_opts o = {.out = devnull ? devnull : stdout, .verbose = s->req->verbose};
    r->total_ranks = calloc((size_t)n, sizeof *r->total_ranks);
    int rc = r->total_ranks ? FR_OK : diag_fail(&s->d, FR_RUNTIME, "out of memory");
    for (int k = 0; !rc && k < n; k++)
        r->total_ranks[k] = s->ranks[k];
    for (size_t i = 0; !rc && i < s->cfg.nsuites; i++) {
        const struct suite *su = s->cfg.suites[i].suite;
        if (su->summarize(s->cfg.suites[i].cfg, (const void *const *)s->records[i], s->nrecords[i], &o,
                          &r->checks)) {
            rc = diag_fail(&s->d, FR_RUNTIME, "out of memory while summarizing %s", su->name);
            break;
        }
        if (!(r->suite_ranks[i] = calloc((size_t)n, sizeof *r->suite_ranks[i]))) {
            rc = diag_fail(&s->d, FR_RUNTIME, "out of memory");
            break;
        }
        ranks_start(s->ranks, n, r->suite_ranks[i]);
        struct cost_fit fit = {0};
        for (size_t t = 0; t < su->ntables; t++) {
            ranks_add_records(s->records[i][t], su->record_tables[t]->row_size, s->nrecords[i][t], n,
                              r->suite_ranks[i]);
            cost_fit_add_records(&fit, s->records[i][t], su->record_tables[t]->row_size, s->nrecords[i][t]);
        }
        r->cost_r[i] = cost_fit_pearson(&fit);
        if (!s->req->quiet)
            printf("cost model (%s): predicted cost vs measured task time, Pearson r = %.3f over %.0f tasks\n",
                   su->name, r->cost_r[i], fit.n);
        for (int k = 0; k < n; k++) {
            r->total_ranks[k].tasks += r->suite_ranks[i][k].tasks;
            r->total_ranks[k].predicted_cost += r->suite_ranks[i][k].predicted_cost;
            r->total_ranks[k].busy_seconds += r->suite_ranks[i][k].busy_seconds;
        }
    }
    if (!rc && s->baseline[0])
        rc = compare_with_baseline(s, r, o.out);
    if (!rc) {
        r->realized = ranks_realized_imbalance(r->total_ranks, n);
        if (!s->req->quiet)
            ranks_print(r->total_ranks, n, s->plan.imbalance, stdout);
        checks_print(&r->checks, stdout);
    }
    if (devnull)
        fclose(devnull);
    return rc;
}



static int write_results(struct run_state *s, struct run_summary *r, char *path, size_t size)
{
    struct results_file *rf;
    if (results_create(s->cfg.output, s->cfg.name, s->wall0, &rf, &s->d))
        return s->d.code;
    char mpi[256], blas[512], balance[32], cuda[256];
    char *argv_line = join_argv(s->req->argc, s->req->argv);
    struct provenance pv = {
        .cfg = &s->cfg,
        .argv = argv_line,
        .start = s->wall0,
        .end = time(NULL),
        .wall_seconds = now_seconds() - s->t0,
        .ranks = s->ranks,
        .nranks = s->ci.size,
        .mpi_library = comm_library_version(mpi, sizeof mpi),
        .blas = blas_description(blas, sizeof blas),
        .device = s->dev.backend->name,
        .cuda_versions = device_versions(cuda, sizeof cuda),
        .balance = partition_spec_name(s->plan.balance, balance, sizeof balance),
        .predicted_imbalance = s->plan.imbalance,
        .realized_imbalance = r->realized,
        .progress_cpu_seconds = s->progress_cpu_seconds,
        .tasks = s->plan.tasks.n,
        .checks = r->checks.n,
        .checks_failed = checks_failed(&r->checks),
    };
    int rc = provenance_write(rf, &pv, &s->d);
    free(argv_line);
    if (!rc)
        rc = write_completeness(s, r, rf);
    if (!rc && s->req->save_baseline)
        rc = results_attr_int(rf, "/", "baseline", 1, &s->d);
    if (!rc && s->baseline[0])
        rc = results_attr_string(rf, "/", "compared_with_baseline", s->baseline, &s->d);
    for (size_t i = 0; !rc && i < s->cfg.nsuites; i++) {
        const struct suite *su = s->cfg.suites[i].suite;
        char group[64], line[512];
        snprintf(group, sizeof group, "/%s", su->name);
        su->describe(s->cfg.suites[i].cfg, line, sizeof line);
        for (size_t t = 0; !rc && t < suite_tables(su); t++)
            rc = results_write_table(rf, group, suite_table(su, t), s->records[i][t], s->nrecords[i][t], &s->d);
        if (!rc)
            rc = results_write_table(rf, group, &rank_table, r->suite_ranks[i], (size_t)s->ci.size, &s->d);
        if (!rc)
            rc = results_attr_string(rf, group, "description", line, &s->d);
        if (!rc)
            rc = results_attr_double(rf, group, "cost_model_pearson_r", r->cost_r[i], &s->d);
    }
    if (!rc)
        rc = results_write_table(rf, "/", &rank_table, r->total_ranks, (size_t)s->ci.size, &s->d);
    if (!rc)
        rc = results_write_table(rf, "/", &check_table, r->checks.items, r->checks.n, &s->d);
    if (rc) {
        results_discard(rf);
        return rc;
    }
    return results_finish(rf, path, size, &s->d);
}

/* --junit / --html: the report of the results file just written. */
static int write_report(const char *results, const char *format, const char *path)
{
    struct diag d = {0};
    if (!path)
        return FR_OK;
    if (report_file(results, format, path, &d)) {
        fprintf(stderr, "fidrun: error: %s\n", d.msg);
        return FR_RUNTIME;
    }
    printf("%s: %s\n", format, path);
    return FR_OK;
}

static int finish_on_root(struct run_state *s)
{
    struct run_summary r = {0};
    char path[4096];
    int rc = find_missing(s, &r);
    if (!rc)
        rc = summarize(s, &r);
    if (!rc)
        rc = write_results(s, &r, path, sizeof path);
    if (rc) {
        fprintf(stderr, "fidrun: error: %s\n", s->d.msg);
    } else {
        size_t failed = checks_failed(&r.checks);
        char wall[32];
        format_duration(now_seconds() - s->t0, wall, sizeof wall);
        printf("results: %s\n", path);
        rc = write_report(path, "junit", s->req->junit);
        if (write_report(path, "html", s->req->html))
            rc = FR_RUNTIME;
        if (r.missing && s->req->recover)
            printf("INCOMPLETE: %zu of %zu tasks are not in the journal %s; fidrun CONFIG --resume %s finishes "
                   "the run (the config as run: %s)\n",
                   r.missing, s->plan.tasks.n, s->journal.dir, s->cfg.output, s->cfg.path);
        else if (r.missing)
            printf("INCOMPLETE: %zu of %zu tasks not run (%s); the journal %s keeps the %zu done, and "
                   "fidrun %s --resume %s (under mpirun or srun) finishes the run · wall %s\n",
                   r.missing, s->plan.tasks.n, s->interrupted == SIGINT ? "SIGINT" : "SIGTERM", s->journal.dir,
                   s->plan.tasks.n - r.missing, s->cfg.path, s->cfg.output, wall);
        else if (failed)
            printf("FAILED: %zu of %zu checks failed · %zu tasks · wall %s\n", failed, r.checks.n,
                   s->plan.tasks.n, wall);
        else
            printf("PASSED: all %zu checks · %zu tasks · wall %s\n", r.checks.n, s->plan.tasks.n, wall);
        if (s->journal.ndone && !r.missing)
            printf("resumed: %zu tasks from the journal of attempt %d, %zu run now\n", s->journal.ndone,
                   s->journal.attempt - 1, s->plan.tasks.n - s->journal.ndone);
        /* a complete results file is in place: the journal has done its job */
        if (!r.missing && !s->req->recover)
            run_journal_remove(&s->journal);
        rc = rc ? rc : r.missing ? FR_INCOMPLETE : failed ? FR_CHECK_FAILED : FR_OK;
    }
    fflush(stdout);
    free(r.missing_names);
    check_list_free(&r.checks);
    for (size_t i = 0; i < CONFIG_MAX_SUITES; i++)
        free(r.suite_ranks[i]);
    free(r.total_ranks);
    return rc;
}

int driver_run(int *argc, char ***argv, const struct run_request *c)
{
    struct run_state *s = calloc(1, sizeof *s);
    if (!s) {
        fprintf(stderr, "fidrun: error: out of memory\n");
        return FR_RUNTIME;
    }
    s->req = c;
    if (comm_init(argc, argv, &s->ci)) {
        fprintf(stderr, "fidrun: error: MPI_Init failed\n");
        free(s);
        return FR_RUNTIME;
    }
    s->t0 = now_seconds();
    s->wall0 = time(NULL);
    s->journal.file.fd = -1;
    interrupt_install(s->ci.rank);
    int rc = agree(s, setup(s));
    if (!rc)
        rc = agree(s, share_journal(s));
    if (!rc)
        rc = agree(s, check_memory(s));
    if (!rc)
        rc = agree(s, check_inputs(s));
    if (rc && s->ci.rank == 0 && s->journal.created) /* refused before any task: the new journal holds nothing */
        run_journal_remove(&s->journal);
    if (!rc) {
        blas_set_threads((int)s->cfg.threads);
        rc = agree(s, gather_rank_identities(s));
    }
    if (!rc)
        start_heartbeats(s);
    if (!rc)
        rc = agree(s, new_suite_states(s));
    if (!rc) {
        if (s->ci.rank == 0 && !c->quiet)
            print_header(s);
        execute(s);
        rc = after_tasks(s);
    }
    if (!rc)
        rc = agree(s, gather_records(s));
    if (!rc) {
        if (s->ci.rank == 0)
            rc = finish_on_root(s);
        rc = comm_bcast_int(rc);
    }
    for (size_t i = 0; i < CONFIG_MAX_SUITES; i++)
        for (size_t t = 0; t < SUITE_MAX_TABLES; t++)
            free(s->records[i][t]);
    heartbeat_stop();
    free_suite_states(s);
    run_journal_free(&s->journal);
    free(s->ran);
    device_release(&s->dev);
    free(s->ranks);
    plan_free(&s->plan);
    config_free(&s->cfg);
    comm_finalize();
    free(s);
    return rc;
}
