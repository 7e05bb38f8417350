/* Seeded item-cost and sequence-length distributions for balance studies,
 * including the cases mini_trainer's batching benchmark uses, as they are.
 * The values depend only on (seed, name of the distribution entry). Pure. */
#ifndef FIDRUN_DISTRIBUTIONS_H
#define FIDRUN_DISTRIBUTIONS_H

#include <stddef.h>
#include <stdint.h>

enum dist_kind {
    DIST_UNIFORM,   /* U[lo, hi) */
    DIST_LOGNORMAL, /* exp(mean + sigma z) */
    DIST_NORMAL,    /* mean + sigma z, clipped to [lo, hi] */
    DIST_POWERLAW,  /* int(100000 / (i+1)^0.7) clipped to [100, 100000], i < n, shuffled */
    DIST_BIMODAL,   /* n/2 x U[100, 500) + n/2 x U[50000, 90000), shuffled */
    DIST_REALISTIC, /* 50% U[100,2000) 30% U[2000,20000) 15% U[20000,60000) 5% U[60000,100000), shuffled */
    DIST_OUTLIERS,  /* n x U[5000, 15000) + 125000, 128000, 129000, shuffled */
    DIST_EQUAL,     /* n x value */
    DIST_GIANT,     /* n-1 x U[lo, hi) and one item of value at a seeded place */
    DIST_LIST,      /* the values given */
    DIST_COUNT
};

#define DIST_MAX_VALUES 64

struct dist_spec {
    char name[48]; /* also the seed's key, so two entries differ */
    int kind;
    int64_t n;          /* items; 0 with n_per_rank: n = n_per_rank * P */
    int64_t n_per_rank;
    double lo, hi, mean, sigma, value;
    int integer; /* round down to integers (token counts) */
    double values[DIST_MAX_VALUES];
    size_t nvalues;
};

const char *dist_kind_name(int kind);
extern const char *const dist_kind_names[DIST_COUNT];

/* Items for nranks ranks (n_per_rank needs it). *out is malloc'd (NULL when
 * there are none). 0, or -1 when out of memory. */
int dist_generate(const struct dist_spec *s, uint64_t seed, int32_t nranks, double **out, size_t *n);

/* The number of items dist_generate makes. */
size_t dist_count(const struct dist_spec *s, int32_t nranks);

#endif
