/* Internal to the packing module. Every packer gets the kept sequences
 * (len <= budget) as idx[0..m) and fills p->row, p->rank and p->nrows. */
#ifndef FIDRUN_PACKING_IMPL_H
#define FIDRUN_PACKING_IMPL_H

#include "core/balance/packing.h"

struct kept {
    const int64_t *len; /* all n sequences */
    size_t n;
    uint32_t *idx;      /* kept ones: input order, or largest first for the sorted packers */
    double *sorted;     /* their lengths in idx order (sorted packers only) */
    size_t m;
    int32_t nranks;
    int64_t budget;
};

/* Sequences grouped by row (a counting sort): row r's are
 * by_row[first[r] .. first[r+1]); sequences without a valid row are left
 * out. Both arrays malloc'd. 0, or -1 when out of memory. */
int pack_group_by_row(const struct packing *p, size_t n, int64_t **first, uint32_t **by_row);

int pack_greedy(const struct kept *k, struct packing *p);
int pack_lpt_bsearch(const struct kept *k, struct packing *p);
int pack_ffd(const struct kept *k, struct packing *p);
int pack_global_lpt(const struct kept *k, struct packing *p);

#endif
