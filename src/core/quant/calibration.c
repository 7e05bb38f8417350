#include "core/quant/calibration.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/rng.h"

enum { STREAM_LOADINGS = 1000, STREAM_OUTLIERS = 1001 }; /* token streams are small numbers */

static struct philox_key channel_key(uint64_t seed, int64_t in)
{
    char name[64];
    snprintf(name, sizeof name, "activations/%lld", (long long)in);
    return rng_key(seed, name);
}

double activation_channel_scale(const struct synthetic_activations *sa, uint64_t seed, int64_t in, int64_t k)
{
    /* channel k is an outlier when its uniform draw is below outliers/in
     * (about `outliers` channels in all) */
    double u[2];
    rng_uniforms(channel_key(seed, in), STREAM_OUTLIERS, (uint64_t)k * 2, 2, u);
    if (sa->outliers <= 0 || u[0] >= (double)sa->outliers / (double)in)
        return 1.0;
    return sa->outlier_min * pow(sa->outlier_max / sa->outlier_min, u[1]);
}

int synthetic_activations(const struct synthetic_activations *sa, uint64_t seed, int64_t in, uint32_t stream,
                          int64_t tokens, float *x, struct diag *d)
{
    int64_t f = sa->factors > 0 ? sa->factors : 1;
    double *buf = malloc((size_t)((f + tokens) * (in > f ? in : f)) * sizeof *buf);
    float *a = malloc((size_t)(f * in) * sizeof *a), *z = malloc((size_t)(tokens * f) * sizeof *z);
    float *s = malloc((size_t)in * sizeof *s);
    if (!buf || !a || !z || !s) {
        free(buf);
        free(a);
        free(z);
        free(s);
        return diag_fail(d, FR_RUNTIME, "out of memory for %lld x %lld activations", (long long)tokens,
                         (long long)in);
    }
    struct philox_key ck = channel_key(seed, in), tk = rng_key(seed ^ 0x9e3779b97f4a7c15ull, "tokens");
    double c = sa->correlation;
    rng_normals(ck, STREAM_LOADINGS, 0, (size_t)(f * in), buf);
    for (int64_t k = 0; k < in; k++) { /* each channel's loadings scaled to norm sqrt(c): unit variance */
        double norm = 0;
        for (int64_t j = 0; j < f; j++)
            norm += buf[j * in + k] * buf[j * in + k];
        double scale = norm > 0 ? sqrt(c / norm) : 0;
        for (int64_t j = 0; j < f; j++)
            a[j * in + k] = (float)(buf[j * in + k] * scale);
    }
    /* token t's factors and noise sit at fixed stream positions, so the same
     * tokens come out whatever the count */
    for (int64_t t = 0; t < tokens; t++) {
        rng_normals(tk, 2 * stream, (uint64_t)t * (uint64_t)f, (size_t)f, buf);
        for (int64_t j = 0; j < f; j++)
            z[t * f + j] = (float)buf[j];
    }
    double noise = sqrt(1 - c);
    for (int64_t t = 0; t < tokens; t++) {
        rng_normals(tk, 2 * stream + 1, (uint64_t)t * (uint64_t)in, (size_t)in, buf);
        for (int64_t k = 0; k < in; k++)
            x[t * in + k] = (float)(noise * buf[k]);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)tokens, (int)in, (int)f, 1.0f, z, (int)f, a, (int)in,
                1.0f, x, (int)in);
    for (int64_t k = 0; k < in; k++)
        s[k] = (float)activation_channel_scale(sa, seed, in, k);
    for (int64_t t = 0; t < tokens; t++)
        for (int64_t k = 0; k < in; k++)
            x[t * in + k] *= s[k];
    free(buf);
    free(a);
    free(z);
    free(s);
    return FR_OK;
}

void activation_sets_free(struct activation_sets *a)
{
    free(a->calib);
    *a = (struct activation_sets){0};
}

int activation_sets_synthetic(const struct synthetic_activations *sa, uint64_t seed, int64_t in, int64_t tokens,
                              int64_t held, struct activation_sets *a, struct diag *d)
{
    *a = (struct activation_sets){.ncalib = tokens, .nheld = held};
    if (!(a->calib = malloc((size_t)((tokens + held) * in) * sizeof *a->calib)))
        return diag_fail(d, FR_RUNTIME, "out of memory for %lld x %lld activations", (long long)(tokens + held),
                         (long long)in);
    a->held = a->calib + tokens * in;
    int rc = synthetic_activations(sa, seed, in, 0, tokens, a->calib, d);
    if (!rc)
        rc = synthetic_activations(sa, seed, in, 1, held, a->held, d);
    if (rc)
        activation_sets_free(a);
    return rc;
}
