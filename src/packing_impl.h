/* Internal to the packing module. Every packer gets the kept sequences
 * (len <= budget) as idx[0..m) and fills p->row, p->rank and p->nrows. */
#ifndef FIDRUN_PACKING_IMPL_H
#define FIDRUN_PACKING_IMPL_H

#include "packing.h"

struct kept {
    const int64_t *len; /* all sequences */
    uint32_t *idx;      /* kept ones: input order, or largest first for the sorted packers */
    double *sorted;     /* their lengths in idx order (sorted packers only) */
    size_t m;
    int32_t nranks;
    int64_t budget;
};

int pack_greedy(const struct kept *k, struct packing *p);
int pack_lpt_bsearch(const struct kept *k, struct packing *p);
int pack_ffd(const struct kept *k, struct packing *p);
int pack_global_lpt(const struct kept *k, struct packing *p);

#endif
