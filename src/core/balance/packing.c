#include "core/balance/packing.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/balance/packing_impl.h"
#include "core/balance/sort_keys.h"

static const char *const names[PK_COUNT] = {"greedy", "lpt-bsearch", "ffd", "global-lpt"};

const char *pack_algo_name(enum pack_algo a) { return a < PK_COUNT ? names[a] : "?"; }

size_t pack_algo_names(const char **out, size_t max)
{
    for (size_t i = 0; i < PK_COUNT && i < max; i++)
        out[i] = names[i];
    return PK_COUNT;
}

int pack_algo_parse(const char *name, enum pack_algo *a)
{
    for (int i = 0; i < PK_COUNT; i++)
        if (strcmp(name, names[i]) == 0) {
            *a = (enum pack_algo)i;
            return 0;
        }
    return -1;
}

void pack_free(struct packing *p)
{
    free(p->row);
    free(p->rank);
    memset(p, 0, sizeof *p);
}

int pack_sequences(enum pack_algo algo, const int64_t *len, size_t n, int32_t nranks, int64_t budget,
                   struct packing *p)
{
    memset(p, 0, sizeof *p);
    if (nranks < 1 || nranks > 65536 || budget < 1 || algo >= PK_COUNT)
        return PACK_BADARGS;
    for (size_t i = 0; i < n; i++)
        if (len[i] < 0)
            return PACK_BADARGS;
    struct kept k = {.len = len, .n = n, .nranks = nranks, .budget = budget};
    p->row = malloc((n ? n : 1) * sizeof *p->row);
    p->rank = malloc((n ? n : 1) * sizeof *p->rank);
    k.idx = malloc((n ? n : 1) * sizeof *k.idx);
    int rc = p->row && p->rank && k.idx ? PACK_OK : PACK_NOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        p->row[i] = -1;
        p->rank[i] = -1;
        if (len[i] > budget)
            p->dropped++;
        else
            k.idx[k.m++] = (uint32_t)i;
    }
    if (!rc && algo != PK_GREEDY) { /* the others start from the kept ones, longest first */
        double *as_double = malloc((k.m ? k.m : 1) * sizeof *as_double);
        uint32_t *order = malloc((k.m ? k.m : 1) * sizeof *order);
        k.sorted = malloc((k.m ? k.m : 1) * sizeof *k.sorted);
        rc = as_double && order && k.sorted ? PACK_OK : PACK_NOMEM;
        for (size_t j = 0; !rc && j < k.m; j++)
            as_double[j] = (double)len[k.idx[j]];
        if (!rc && sort_desc_by_cost(as_double, k.m, order, k.sorted))
            rc = PACK_NOMEM;
        for (size_t j = 0; !rc && j < k.m; j++)
            order[j] = k.idx[order[j]];
        if (!rc)
            memcpy(k.idx, order, k.m * sizeof *order);
        free(as_double);
        free(order);
    }
    if (!rc) {
        static int (*const packers[PK_COUNT])(const struct kept *, struct packing *) = {
            pack_greedy, pack_lpt_bsearch, pack_ffd, pack_global_lpt};
        rc = packers[algo](&k, p);
    }
    free(k.idx);
    free(k.sorted);
    if (rc)
        pack_free(p);
    return rc;
}
