/* The balance suite's tables and checks (rank 0). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plugin/suite.h"
#include "suites/balance/balance.h"

static const struct balance_partition_record *find_partition(const struct balance_partition_record *r, size_t n,
                                                             const char *dist, int32_t p, const char *algo)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].ranks == p && strcmp(r[i].distribution, dist) == 0 && strcmp(r[i].algorithm, algo) == 0)
            return &r[i];
    return NULL;
}

/* Per distribution: rank counts down, algorithms across; gap (best per row
 * marked *) and median time. */
static void print_partition(const struct balance_config *cfg, const struct balance_partition_record *r, size_t n,
                            FILE *out)
{
    const struct balance_study *st = &cfg->partition;
    char names[BALANCE_MAX_ALGOS][32];
    for (size_t a = 0; a < st->nalgos; a++)
        partition_spec_name(partition_spec_from_code(st->algos[a]), names[a], sizeof names[a]);
    for (size_t di = 0; di < st->ndists; di++) {
        const char *dist = st->dists[di].spec.name;
        for (int what = 0; what < 2; what++) {
            int header = 0;
            for (size_t ri = 0; ri < st->nranks; ri++) {
                int32_t p = (int32_t)st->ranks[ri];
                const struct balance_partition_record *cell[BALANCE_MAX_ALGOS], *best = NULL;
                for (size_t a = 0; a < st->nalgos; a++) {
                    cell[a] = find_partition(r, n, dist, p, names[a]);
                    if (cell[a] && (!best || cell[a]->makespan < best->makespan))
                        best = cell[a];
                }
                if (!best)
                    continue;
                if (!header) {
                    fprintf(out, "partition · %s · %s\n  %6s", dist,
                            what ? "median time per run, ms" : "gap to the lower bound (* best)", "P");
                    for (size_t a = 0; a < st->nalgos; a++)
                        fprintf(out, " %11.11s", names[a]);
                    fprintf(out, "  %10s\n", what ? "" : "items");
                    header = 1;
                }
                fprintf(out, "  %6d", p);
                for (size_t a = 0; a < st->nalgos; a++) {
                    if (!cell[a])
                        fprintf(out, " %11s", "-");
                    else if (what)
                        fprintf(out, " %11.3f", cell[a]->median_seconds * 1e3);
                    else
                        fprintf(out, " %10.2e%s", cell[a]->gap, cell[a]->makespan == best->makespan ? "*" : " ");
                }
                if (!what)
                    fprintf(out, "  %10lld", (long long)best->items);
                fprintf(out, "\n");
            }
        }
    }
}

static void print_packing(const struct balance_config *cfg, const struct balance_packing_record *r, size_t n,
                          FILE *out)
{
    const struct balance_study *st = &cfg->packing;
    for (size_t di = 0; di < st->ndists; di++) {
        const char *dist = st->dists[di].spec.name;
        for (size_t ri = 0; ri < st->nranks; ri++) {
            int header = 0;
            for (size_t i = 0; i < n; i++) {
                if (r[i].ranks != (int32_t)st->ranks[ri] || strcmp(r[i].distribution, dist) != 0)
                    continue;
                if (!header++)
                    fprintf(out,
                            "packing · %s · P = %d · budget %lld · %lld sequences · lower bound %lld rows\n"
                            "  %-12s %6s %7s %8s %9s %8s %8s %8s %7s %9s\n",
                            dist, r[i].ranks, (long long)r[i].budget, (long long)r[i].sequences,
                            (long long)r[i].rows_lower_bound, "algorithm", "rows", "gap", "avg bal", "worst bal",
                            "bal std", "avg eff", "overall", "dropped", "ms");
                fprintf(out, "  %-12s %6lld %7.3f %8.3f %9.3f %8.3f %8.3f %8.3f %7lld %9.3f\n", r[i].algorithm,
                        (long long)r[i].rows, r[i].rows_gap, r[i].avg_row_balance, r[i].worst_row_balance,
                        r[i].row_balance_std, r[i].avg_row_efficiency, r[i].overall_efficiency,
                        (long long)r[i].dropped, r[i].median_seconds * 1e3);
            }
        }
    }
}

static int partition_checks(const struct balance_config *cfg, const struct balance_partition_record *r, size_t n,
                            struct check_list *checks)
{
    double unassigned = 0, sum_err = 0, nondet = 0, graham = 0, kk_excess = -INFINITY;
    int have_lpt = 0, have_kk = 0;
    for (size_t i = 0; i < n; i++) {
        unassigned += (double)r[i].unassigned;
        sum_err = fmax(sum_err, r[i].load_sum_error);
        nondet += !r[i].deterministic;
        if (strcmp(r[i].algorithm, "lpt") != 0)
            continue;
        /* LPT <= (4/3 - 1/(3P)) OPT (Graham 1969), and OPT <= any makespan found */
        double best = r[i].makespan;
        const struct balance_partition_record *kk = NULL;
        for (size_t j = 0; j < n; j++) {
            if (r[j].ranks != r[i].ranks || strcmp(r[j].distribution, r[i].distribution) != 0)
                continue;
            best = fmin(best, r[j].makespan);
            if (strcmp(r[j].algorithm, "kk") == 0)
                kk = &r[j];
        }
        have_lpt = 1;
        if (best > 0)
            graham = fmax(graham, r[i].makespan / (lpt_graham_bound(r[i].ranks) * best));
        if (kk && r[i].makespan > 0) {
            have_kk = 1;
            kk_excess = fmax(kk_excess, kk->makespan / r[i].makespan - 1);
        }
    }
    int fail = 0;
    fail |= check_add(checks, "balance", "partition: items without a rank", "unassigned", unassigned, 0, 0, "count");
    fail |= check_add(checks, "balance", "partition: loads sum to the total (rel. err)", "load_sum_error", sum_err,
                      -INFINITY, 1e-9, "");
    fail |= check_add(checks, "balance", "partition: repeats that differed", "nondeterministic", nondet, 0, 0,
                      "count");
    if (have_lpt)
        fail |= check_add(checks, "balance", "lpt / ((4/3-1/3P) x best found)", "lpt_graham_ratio", graham,
                          -INFINITY, 1, "");
    if (have_kk)
        fail |= check_add(checks, "balance", "kk makespan / lpt makespan - 1, worst", "kk_vs_lpt", kk_excess,
                          -INFINITY, cfg->kk_margin, "");
    return fail;
}

static int packing_checks(const struct balance_packing_record *r, size_t n, struct check_list *checks)
{
    double over = 0, misplaced = 0, drop_diff = 0, nondet = 0, more_rows = 0;
    int have_pair = 0;
    for (size_t i = 0; i < n; i++) {
        over += (double)r[i].over_budget;
        misplaced += (double)r[i].misplaced;
        drop_diff += fabs((double)(r[i].dropped - r[i].longer_than_budget));
        nondet += !r[i].deterministic;
        if (strcmp(r[i].algorithm, "global-lpt") != 0)
            continue;
        for (size_t j = 0; j < n; j++)
            if (r[j].ranks == r[i].ranks && strcmp(r[j].distribution, r[i].distribution) == 0 &&
                strcmp(r[j].algorithm, "lpt-bsearch") == 0) {
                have_pair = 1;
                more_rows += r[i].rows > r[j].rows;
            }
    }
    int fail = 0;
    fail |= check_add(checks, "balance", "packing: cells over the budget", "over_budget", over, 0, 0, "count");
    fail |= check_add(checks, "balance", "packing: sequences lost or misplaced", "misplaced", misplaced, 0, 0,
                      "count");
    fail |= check_add(checks, "balance", "packing: dropped != longer than budget", "dropped_mismatch", drop_diff, 0,
                      0, "count");
    fail |= check_add(checks, "balance", "packing: repeats that differed", "nondeterministic", nondet, 0, 0,
                      "count");
    if (have_pair)
        fail |= check_add(checks, "balance", "packing: global-lpt rows > lpt-bsearch", "more_rows", more_rows, 0, 0,
                          "cells");
    return fail;
}

int balance_summarize(const void *vcfg, const void *const *records, const size_t *n, const struct report_opts *o,
                      struct check_list *checks)
{
    const struct balance_config *cfg = vcfg;
    int fail = 0;
    if (n[BALANCE_TABLE_PARTITION]) {
        print_partition(cfg, records[BALANCE_TABLE_PARTITION], n[BALANCE_TABLE_PARTITION], o->out);
        fail |= partition_checks(cfg, records[BALANCE_TABLE_PARTITION], n[BALANCE_TABLE_PARTITION], checks);
    }
    if (n[BALANCE_TABLE_PACKING]) {
        print_packing(cfg, records[BALANCE_TABLE_PACKING], n[BALANCE_TABLE_PACKING], o->out);
        fail |= packing_checks(records[BALANCE_TABLE_PACKING], n[BALANCE_TABLE_PACKING], checks);
    }
    return fail ? -1 : 0;
}
