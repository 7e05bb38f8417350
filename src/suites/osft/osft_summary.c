/* The OSFT suite's summary on rank 0: the table by target, the worst
 * matrices, drivers, cross-check and broadcast lines, and the checks. */
#include "suites/osft/osft_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OSFT_SUMMARY_TARGETS 32

struct target_summary {
    char label[48];
    size_t n;
    int32_t rows, cols;
    double max_abs, sum_mean, max_rel, max_resid, max_orth_u, max_orth_v, sum_svd;
};

static int by_max_err_desc(const void *pa, const void *pb)
{
    const struct osft_record *a = *(const struct osft_record *const *)pa, *b = *(const struct osft_record *const *)pb;
    if (a->max_abs_err != b->max_abs_err)
        return a->max_abs_err > b->max_abs_err || isnan(a->max_abs_err) ? -1 : 1;
    return a->head.task_id - b->head.task_id;
}

static void print_matrix_row(FILE *out, const struct osft_record *r)
{
    char rank[16];
    if (r->head.rank == TASK_OWNER_ALL)
        snprintf(rank, sizeof rank, "all");
    else
        snprintf(rank, sizeof rank, "%d", r->head.rank);
    fprintf(out, "  %-40s %5d×%-5d %9.1e %10.1e %9.1e %6.2f %6.2f %6.2f %6.2f  %s  %s\n", r->name, r->rows, r->cols,
            r->max_abs_err, r->mean_abs_err, r->rel_fro_err, r->resid_ratio, r->orth_u_ratio, r->orth_v_ratio,
            r->svd_seconds, rank, r->pass ? "ok" : "FAIL");
}

/* The matrices all ranks decomposed together. */
static void summarize_distributed(const struct osft_record *rec, size_t n, FILE *out)
{
    for (size_t i = 0; i < n; i++) {
        const struct osft_record *r = &rec[i];
        if (!r->distributed[0])
            continue;
        if (strcmp(r->distributed, "lapack") == 0) {
            fprintf(out, "  distributed: %s %d×%d on 1 rank: whole, by LAPACK %s · svd %.2f s\n", r->name, r->rows,
                    r->cols, r->svd_driver, r->svd_seconds);
            continue;
        }
        fprintf(out, "  distributed: %s %d×%d over %d rank%s by %s · svd %.2f s · task %.2f s · %.1f MB sent · "
                     "peak RSS %.0f MiB (largest rank)\n",
                r->name, r->rows, r->cols, r->ranks_used, r->ranks_used == 1 ? "" : "s", r->distributed,
                r->svd_seconds, r->head.task_seconds,
                r->bytes_sent / 1e6, r->peak_rss_mib);
    }
}

/* A checkpoint's bytes, by the rank that read them (each reads only its own matrices). */
static void summarize_reads(const struct osft_record *rec, size_t n, FILE *out)
{
    double total = 0;
    int ranks = 0;
    for (size_t i = 0; i < n; i++) {
        total += rec[i].bytes_read;
        ranks = rec[i].head.rank + 1 > ranks ? rec[i].head.rank + 1 : ranks;
    }
    if (total <= 0)
        return;
    fprintf(out, "  checkpoint read: %.1f MB in all, by rank:", total / 1e6);
    for (int r = 0; r < ranks; r++) {
        double mine = 0;
        for (size_t i = 0; i < n; i++)
            mine += rec[i].head.rank == r ? rec[i].bytes_read : 0;
        fprintf(out, " %.1f", mine / 1e6);
    }
    fprintf(out, " MB\n");
}

/* Which SVD driver ran, per shape (auto may pick differently per shape). */
static int summarize_drivers(const struct osft_record *rec, size_t n, FILE *out)
{
    char line[1024] = "";
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = rec[j].rows == rec[i].rows && rec[j].cols == rec[i].cols &&
                   strcmp(rec[j].svd_driver, rec[i].svd_driver) == 0;
        if (!seen && len < sizeof line)
            len += (size_t)snprintf(line + len, sizeof line - len, "%s %d×%d %s", len ? "," : "", rec[i].rows,
                                    rec[i].cols, rec[i].svd_driver);
    }
    double worst_err = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(rec[i].err_sigma) && rec[i].err_sigma > worst_err)
            worst_err = rec[i].err_sigma;
    fprintf(out, "  svd driver by shape:%s", line);
    if (worst_err > 0)
        fprintf(out, " · gesvdp h_err_sigma worst %.1e", worst_err);
    fprintf(out, "\n");
    for (size_t i = 0; i < n; i++) {
        if (!rec[i].auto_rejected[0])
            continue;
        int seen = 0, count = 0;
        for (size_t j = 0; j < n; j++) {
            int same = rec[j].rows == rec[i].rows && rec[j].cols == rec[i].cols &&
                       strcmp(rec[j].auto_rejected, rec[i].auto_rejected) == 0 &&
                       strcmp(rec[j].svd_driver, rec[i].svd_driver) == 0;
            seen |= same && j < i;
            count += same;
        }
        if (!seen)
            fprintf(out, "  auto reran %d %d×%d matri%s on %s: %s missed the tolerance\n", count, rec[i].rows,
                    rec[i].cols, count == 1 ? "x" : "ces", rec[i].svd_driver, rec[i].auto_rejected);
    }
    for (size_t i = 0; i < n; i++)
        if (rec[i].tuned)
            fprintf(out, "  auto timed on %s (%d×%d, rank %d): gesvd %.4f s · gesvdj %.4f s · gesvdp %.4f s → %s\n",
                    rec[i].name, rec[i].rows, rec[i].cols, rec[i].head.rank, rec[i].tune_gesvd_s,
                    rec[i].tune_gesvdj_s, rec[i].tune_gesvdp_s, rec[i].svd_driver);
    return 0;
}

/* The sampled CPU recomputation: singular values against LAPACK gesdd,
 * and the reference's own ratios beside ours. */
static int summarize_cross_check(const struct osft_config *cfg, const struct osft_record *rec, size_t n, FILE *out,
                                 struct check_list *checks)
{
    size_t count = 0;
    double worst = 0, ours = 0, theirs = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rec[i].cross_checked)
            continue;
        count++;
        if (!(rec[i].xc_sigma_ratio <= worst))
            worst = rec[i].xc_sigma_ratio;
        ours = fmax(ours, fmax(rec[i].resid_ratio, fmax(rec[i].orth_u_ratio, rec[i].orth_v_ratio)));
        theirs = fmax(theirs, fmax(rec[i].xc_resid_ratio, rec[i].xc_orth_ratio));
    }
    if (!count) {
        fprintf(out, "  cross-check: none (%s)\n", cfg->cross_check_every > 0
                                                       ? "the run is the CPU gesdd reference itself"
                                                       : "cross_check_every: 0");
        return 0;
    }
    fprintf(out, "  cross-check against CPU gesdd on %zu matrices: singular values ratio worst %.2f · "
                 "worst residual/orthogonality ratio %.2f here, %.2f on the CPU\n",
            count, worst, ours, theirs);
    return check_add(checks, "osft", "singular values vs CPU gesdd, worst ratio", "xc_sigma_ratio",
                     worst, -INFINITY, cfg->ratio_threshold, "");
}

static int summarize_broadcast(const void *rows, size_t n, FILE *out, struct check_list *checks)
{
    const struct osft_bcast_row *r = rows;
    if (!strcmp(r[0].method, "off") || !strncmp(r[0].method, "none", 4)) {
        fprintf(out, "  broadcast of the factors: %s\n", r[0].method);
        return 0;
    }
    int64_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad = bad > r[i].mismatches ? bad : r[i].mismatches;
    fprintf(out, "  broadcast of the factors: %s · %lld matrices · %.3f GB · %.3f s (slowest rank) · "
                 "algbw %.2f GB/s · busbw %.2f GB/s · %s · copies %s\n",
            r[0].method, (long long)r[0].matrices, r[0].bytes / 1e9, r[0].max_seconds, r[0].algbw, r[0].busbw,
            r[0].held_model ? "whole model held on every rank" : "one layer at a time",
            bad ? "DIFFER" : "identical on every rank");
    if (r[0].note[0])
        fprintf(out, "    (%s)\n", r[0].note);
    return check_add(checks, "osft", "broadcast copies that differ between ranks", "bcast_mismatches",
                     (double)bad, 0, 0, "count");
}

int osft_summarize(const void *vcfg, const void *const *records, const size_t *counts,
                          const struct report_opts *o, struct check_list *checks)
{
    const struct osft_config *cfg = vcfg;
    const struct osft_record *rec = records[0];
    size_t n = counts[0];
    FILE *out = o->out;
    struct target_summary ts[OSFT_SUMMARY_TARGETS] = {0};
    size_t nts = 0;
    size_t passed = 0;
    int64_t sv_bad = 0;
    double max_abs = 0, sum_max = 0, sum_mean = 0, worst_resid = 0, worst_u = 0, worst_v = 0, max_w = 0;
    for (size_t i = 0; i < n; i++) {
        const struct osft_record *r = &rec[i];
        size_t t = 0; /* the target's row, in the order first seen (the last row takes any beyond) */
        while (t < nts && strcmp(ts[t].label, r->target) != 0)
            t++;
        if (t == nts && nts < OSFT_SUMMARY_TARGETS)
            snprintf(ts[nts++].label, sizeof ts[0].label, "%s", r->target);
        else if (t == nts)
            snprintf(ts[t = nts - 1].label, sizeof ts[0].label, "(others)");
        struct target_summary *s = &ts[t];
        s->n++;
        s->rows = r->rows;
        s->cols = r->cols;
        s->max_abs = fmax(s->max_abs, r->max_abs_err);
        s->sum_mean += r->mean_abs_err;
        s->max_rel = fmax(s->max_rel, r->rel_fro_err);
        s->max_resid = fmax(s->max_resid, r->resid_ratio);
        s->max_orth_u = fmax(s->max_orth_u, r->orth_u_ratio);
        s->max_orth_v = fmax(s->max_orth_v, r->orth_v_ratio);
        s->sum_svd += r->svd_seconds;
        passed += r->pass != 0;
        sv_bad += r->sv_violations;
        /* NaN must surface in the worst-case figures, so compare with !(<=) */
        if (!(r->max_abs_err <= max_abs))
            max_abs = r->max_abs_err;
        if (!(r->resid_ratio <= worst_resid))
            worst_resid = r->resid_ratio;
        if (!(r->orth_u_ratio <= worst_u))
            worst_u = r->orth_u_ratio;
        if (!(r->orth_v_ratio <= worst_v))
            worst_v = r->orth_v_ratio;
        max_w = fmax(max_w, r->max_abs_w);
        sum_max += r->max_abs_err;
        sum_mean += r->mean_abs_err;
    }
    fprintf(out, "OSFT fidelity · %zu matrices · %s\n", n, dtype_name(cfg->dtype));
    int width = 12; /* the longest target's name, such as attention.output.dense */
    for (size_t t = 0; t < nts; t++)
        width = (int)strlen(ts[t].label) > width ? (int)strlen(ts[t].label) : width;
    fprintf(out, "  %-*s %-11s %4s %10s %11s %9s %6s %7s %7s %7s\n", width, "target", "shape", "n", "max|W-W'|",
            "mean|W-W'|", "rel.fro", "resid", "orth.U", "orth.V", "svd s");
    for (size_t t = 0; t < nts; t++) {
        const struct target_summary *s = &ts[t];
        if (!s->n)
            continue;
        char shape[32];
        snprintf(shape, sizeof shape, "%d×%d", s->rows, s->cols);
        fprintf(out, "  %-*s %-11s %4zu %10.1e %11.1e %9.1e %6.2f %7.2f %7.2f %7.2f\n", width, s->label,
                shape, s->n, s->max_abs, s->sum_mean / (double)s->n, s->max_rel, s->max_resid, s->max_orth_u,
                s->max_orth_v, s->sum_svd / (double)s->n);
    }
    const struct osft_record **order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return diag_fail(NULL, FR_RUNTIME, "out of memory");
    for (size_t i = 0; i < n; i++)
        order[i] = &rec[i];
    if (o->verbose) {
        fprintf(out, "  %-40s %11s %9s %10s %9s %6s %6s %6s %6s  %s\n", "matrix", "shape", "max", "mean", "rel.fro",
                "resid", "orth.U", "orth.V", "svd s", "rank");
        for (size_t i = 0; i < n; i++)
            print_matrix_row(out, order[i]);
    }
    qsort(order, n, sizeof *order, by_max_err_desc);
    fprintf(out, "  worst matrices by max|W-W'|:\n");
    for (size_t i = 0; i < n && i < 5; i++)
        print_matrix_row(out, order[i]);
    free(order);
    double rate = n ? 100.0 * (double)passed / (double)n : 0;
    char worst[48], mean_max[48], mean_mean[48];
    fprintf(out, "  %zu/%zu matrices within atol + rtol·|W| · max|W-W'| %s · mean of per-matrix max %s · "
                 "mean of per-matrix mean %s\n",
            passed, n, figure_text(max_abs, worst, sizeof worst),
            figure_text(n ? sum_max / (double)n : 0, mean_max, sizeof mean_max),
            figure_text(n ? sum_mean / (double)n : 0, mean_mean, sizeof mean_mean));

    double bound = cfg->atol + cfg->rtol * max_w;
    int fail = 0;
    fail |= check_add(checks, "osft", "success rate (matrices within tol)", "success_rate", rate,
                      cfg->min_success_rate, INFINITY, "%");
    fail |= check_add(checks, "osft", "max |W - W'| (atol + rtol*max|W|)", "max_abs_err", max_abs, -INFINITY,
                      bound, "");
    fail |= check_add(checks, "osft", "residual ratio, worst", "resid_ratio", worst_resid, -INFINITY,
                      cfg->ratio_threshold, "");
    fail |= check_add(checks, "osft", "orthogonality ratio U, worst", "orth_u_ratio", worst_u, -INFINITY,
                      cfg->ratio_threshold, "");
    fail |= check_add(checks, "osft", "orthogonality ratio V, worst", "orth_v_ratio", worst_v, -INFINITY,
                      cfg->ratio_threshold, "");
    fail |= check_add(checks, "osft", "singular values out of order or < 0", "sv_violations", (double)sv_bad, 0, 0,
                      "count");
    fail |= summarize_drivers(rec, n, out);
    summarize_reads(rec, n, out);
    summarize_distributed(rec, n, out);
    fail |= summarize_cross_check(cfg, rec, n, out, checks);
    if (counts[1])
        fail |= summarize_broadcast(records[1], counts[1], out, checks);
    return fail ? FR_RUNTIME : FR_OK;
}
