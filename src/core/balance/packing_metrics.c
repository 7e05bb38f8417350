/* What a packing achieves: its rows grouped (pack_group_by_row, which the
 * packers share) and mini_trainer's batching metrics of it. */
#include "core/balance/packing.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/balance/packing_impl.h"

int pack_group_by_row(const struct packing *p, size_t n, int64_t **first, uint32_t **by_row)
{
    int64_t rows = p->nrows;
    *first = calloc((size_t)rows + 2, sizeof **first);
    *by_row = malloc((n ? n : 1) * sizeof **by_row);
    if (!*first || !*by_row)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (p->row[i] >= 0 && p->row[i] < rows)
            (*first)[p->row[i] + 2]++;
    for (int64_t r = 0; r < rows; r++)
        (*first)[r + 2] += (*first)[r + 1];
    for (size_t i = 0; i < n; i++)
        if (p->row[i] >= 0 && p->row[i] < rows)
            (*by_row)[(*first)[p->row[i] + 1]++] = (uint32_t)i;
    return 0;
}

int pack_metrics_compute(const int64_t *len, size_t n, int32_t nranks, int64_t budget, const struct packing *p,
                         struct pack_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->rows = p->nrows;
    m->sequences = (int64_t)n;
    for (size_t i = 0; i < n; i++) {
        int placed = p->row[i] >= 0 && p->row[i] < p->nrows && p->rank[i] >= 0 && p->rank[i] < nranks;
        if (len[i] > budget && !placed) {
            m->dropped++;
            m->dropped_tokens += len[i];
        } else {
            m->tokens += len[i];
            m->misplaced += !placed;
        }
    }
    int64_t *first = NULL, *load = calloc((size_t)nranks, sizeof *load);
    int32_t *touched = malloc((size_t)nranks * sizeof *touched);
    uint32_t *by_row = NULL;
    if (!load || !touched || pack_group_by_row(p, n, &first, &by_row)) {
        free(load);
        free(touched);
        free(first);
        free(by_row);
        return -1;
    }
    double capacity = (double)nranks * (double)budget, sum_bal = 0, sum_bal_sq = 0, sum_eff = 0;
    int64_t counted = 0;
    m->worst_row_balance = 0;
    for (int64_t r = 0; r < p->nrows; r++) {
        int32_t nt = 0;
        int64_t row_sum = 0, lo = INT64_MAX, hi = 0;
        for (int64_t k = first[r]; k < first[r + 1]; k++) {
            uint32_t i = by_row[k];
            if (p->rank[i] < 0 || p->rank[i] >= nranks)
                continue;
            if (load[p->rank[i]] == 0 && len[i] > 0)
                touched[nt++] = p->rank[i];
            load[p->rank[i]] += len[i];
            row_sum += len[i];
        }
        for (int32_t t = 0; t < nt; t++) {
            int64_t l = load[touched[t]];
            lo = l < lo ? l : lo;
            hi = l > hi ? l : hi;
            m->over_budget += l > budget;
            load[touched[t]] = 0;
        }
        if (nt == 0)
            continue; /* no tokens in this row */
        double balance = (double)lo / (double)hi;
        m->worst_row_balance = counted == 0 || balance < m->worst_row_balance ? balance : m->worst_row_balance;
        sum_bal += balance;
        sum_bal_sq += balance * balance;
        sum_eff += (double)row_sum / capacity;
        counted++;
    }
    if (counted) {
        double mean = sum_bal / (double)counted;
        m->avg_row_balance = mean;
        m->row_balance_std = sqrt(fmax(0, sum_bal_sq / (double)counted - mean * mean));
        m->avg_row_efficiency = sum_eff / (double)counted;
    }
    m->overall_efficiency = p->nrows ? (double)m->tokens / ((double)p->nrows * capacity) : 0;
    m->rows_lower_bound = (int64_t)ceil((double)m->tokens / capacity);
    m->rows_gap = m->rows_lower_bound ? (double)m->rows / (double)m->rows_lower_bound - 1 : 0;
    free(load);
    free(touched);
    free(first);
    free(by_row);
    return 0;
}
