#include "core/balance/distributions.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"

const char *const dist_kind_names[DIST_COUNT] = {"uniform",   "lognormal", "normal", "powerlaw", "bimodal",
                                                 "realistic", "outliers",  "equal",  "giant",    "list"};

const char *dist_kind_name(int kind) { return kind >= 0 && kind < DIST_COUNT ? dist_kind_names[kind] : "?"; }

enum { STREAM_VALUES, STREAM_SHUFFLE, STREAM_PLACE };

size_t dist_count(const struct dist_spec *s, int32_t nranks)
{
    int64_t n = s->n_per_rank > 0 ? s->n_per_rank * nranks : s->n;
    switch (s->kind) {
    case DIST_BIMODAL:
        return (size_t)(n / 2) * 2;
    case DIST_REALISTIC: /* int(n * share) per band, as mini_trainer counts them */
        return (size_t)((int64_t)((double)n * 0.5) + (int64_t)((double)n * 0.3) + (int64_t)((double)n * 0.15) +
                        (int64_t)((double)n * 0.05));
    case DIST_OUTLIERS:
        return (size_t)n + 3;
    case DIST_LIST:
        return s->nvalues;
    default:
        return (size_t)n;
    }
}

/* out[i] = U[lo, hi) for i in [from, to), uniforms u[from..to). */
static void fill_uniform(double *out, const double *u, size_t from, size_t to, double lo, double hi, int integer)
{
    for (size_t i = from; i < to; i++) {
        double v = lo + (hi - lo) * u[i];
        out[i] = integer ? floor(v) : v;
    }
}

static void shuffle(double *v, size_t n, struct philox_key key)
{
    double u;
    for (size_t i = n; i > 1; i--) {
        rng_uniforms(key, STREAM_SHUFFLE, i, 1, &u);
        size_t j = (size_t)(u * (double)i);
        double t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

int dist_generate(const struct dist_spec *s, uint64_t seed, int32_t nranks, double **out, size_t *count)
{
    size_t n = dist_count(s, nranks);
    *out = NULL;
    *count = n;
    if (n == 0)
        return 0;
    double *v = malloc(n * sizeof *v), *u = malloc(n * sizeof *u);
    if (!v || !u) {
        free(v);
        free(u);
        return -1;
    }
    struct philox_key key = rng_key(seed, s->name);
    int integer = s->integer || (s->kind >= DIST_POWERLAW && s->kind <= DIST_OUTLIERS);
    switch (s->kind) {
    case DIST_UNIFORM:
    case DIST_GIANT:
        rng_uniforms(key, STREAM_VALUES, 0, n, u);
        fill_uniform(v, u, 0, n, s->lo, s->hi, integer);
        if (s->kind == DIST_GIANT) {
            double at;
            rng_uniforms(key, STREAM_PLACE, 0, 1, &at);
            v[(size_t)(at * (double)n)] = s->value;
        }
        break;
    case DIST_LOGNORMAL:
    case DIST_NORMAL:
        rng_normals(key, STREAM_VALUES, 0, n, u);
        for (size_t i = 0; i < n; i++) {
            double x = s->kind == DIST_LOGNORMAL ? exp(s->mean + s->sigma * u[i]) : s->mean + s->sigma * u[i];
            if (s->kind == DIST_NORMAL)
                x = fmin(fmax(x, s->lo), s->hi);
            v[i] = integer ? floor(x) : x;
        }
        break;
    case DIST_POWERLAW:
        for (size_t i = 0; i < n; i++)
            v[i] = fmin(100000, fmax(100, floor(100000.0 / pow((double)(i + 1), 0.7))));
        shuffle(v, n, key);
        break;
    case DIST_BIMODAL:
        rng_uniforms(key, STREAM_VALUES, 0, n, u);
        fill_uniform(v, u, 0, n / 2, 100, 500, 1);
        fill_uniform(v, u, n / 2, n, 50000, 90000, 1);
        shuffle(v, n, key);
        break;
    case DIST_REALISTIC: {
        int64_t total = s->n_per_rank > 0 ? s->n_per_rank * nranks : s->n;
        static const double share[4] = {0.5, 0.3, 0.15, 0.05}, edge[5] = {100, 2000, 20000, 60000, 100000};
        rng_uniforms(key, STREAM_VALUES, 0, n, u);
        size_t at = 0;
        for (int b = 0; b < 4; b++) {
            size_t k = (size_t)(int64_t)((double)total * share[b]);
            fill_uniform(v, u, at, at + k, edge[b], edge[b + 1], 1);
            at += k;
        }
        shuffle(v, n, key);
        break;
    }
    case DIST_OUTLIERS:
        rng_uniforms(key, STREAM_VALUES, 0, n, u);
        fill_uniform(v, u, 0, n - 3, 5000, 15000, 1);
        v[n - 3] = 125000;
        v[n - 2] = 128000;
        v[n - 1] = 129000;
        shuffle(v, n, key);
        break;
    case DIST_EQUAL:
        for (size_t i = 0; i < n; i++)
            v[i] = s->value;
        break;
    case DIST_LIST:
        memcpy(v, s->values, n * sizeof *v);
        break;
    }
    free(u);
    *out = v;
    return 0;
}
