#include "core/quant/gptq.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/quant/gptq_impl.h"
#include "core/quant/quantizer.h"


int quantized_alloc(struct quantized *qz, int64_t out, int64_t in, int64_t groups, int bits)
{
    *qz = (struct quantized){.out = out, .in = in, .groups = groups, .bits = bits};
    qz->q = malloc((size_t)(out * in) * sizeof *qz->q);
    qz->scale = malloc((size_t)(groups * out) * sizeof *qz->scale);
    qz->zero = malloc((size_t)(groups * out) * sizeof *qz->zero);
    qz->g_idx = malloc((size_t)in * sizeof *qz->g_idx);
    if (qz->q && qz->scale && qz->zero && qz->g_idx)
        return 0;
    quantized_free(qz);
    return -1;
}

void quantized_free(struct quantized *qz)
{
    free(qz->q);
    free(qz->scale);
    free(qz->zero);
    free(qz->g_idx);
    qz->q = NULL;
    qz->scale = qz->zero = NULL;
    qz->g_idx = NULL;
}

int64_t quant_groups(const struct quant_spec *s, int64_t in)
{
    return s->group_size > 0 ? (in + s->group_size - 1) / s->group_size : 1;
}

int quant_spec_check(const struct quant_spec *s, int64_t in, struct diag *d)
{
    if (!quant_bits_supported(s->bits))
        return diag_fail(d, FR_USAGE, "bits must be 2, 3, 4 or 8, not %d", s->bits);
    if (s->group_size != -1 && s->group_size <= 0)
        return diag_fail(d, FR_USAGE, "group size must be -1 (one group per row) or positive, not %lld",
                         (long long)s->group_size);
    if (s->group_size > 0 && in % s->group_size != 0)
        return diag_fail(d, FR_USAGE, "group size %lld does not divide the %lld input columns",
                         (long long)s->group_size, (long long)in);
    if (!(s->percdamp > 0))
        return diag_fail(d, FR_USAGE, "percdamp must be positive, not %g", s->percdamp);
    return FR_OK;
}

static int alloc_result(int64_t out, int64_t in, const struct quant_spec *s, struct quantized *qz, struct diag *d)
{
    int rc = quant_spec_check(s, in, d);
    if (rc)
        return rc;
    if (quantized_alloc(qz, out, in, quant_groups(s, in), s->bits))
        return diag_fail(d, FR_RUNTIME, "out of memory for a quantized %lld x %lld layer", (long long)out,
                         (long long)in);
    return FR_OK;
}

int rtn_quantize(const float *w, int64_t out, int64_t in, const struct quant_spec *s, struct quantized *qz,
                 struct diag *d)
{
    int rc = alloc_result(out, in, s, qz, d);
    if (rc)
        return rc;
    int64_t gs = s->group_size > 0 ? s->group_size : in;
    int32_t maxq = quant_maxq(s->bits);
    for (int64_t k = 0; k < in; k++)
        qz->g_idx[k] = (int32_t)(k / gs);
    for (int64_t n = 0; n < out; n++) {
        const float *row = w + n * in;
        for (int64_t g = 0; g < qz->groups; g++) {
            float *sc = &qz->scale[g * out + n], *ze = &qz->zero[g * out + n];
            quant_find_params(row + g * gs, (size_t)gs, 1, s->bits, s->sym, sc, ze);
            for (int64_t k = g * gs; k < (g + 1) * gs; k++)
                qz->q[n * in + k] = quant_code(row[k], *sc, *ze, maxq);
        }
    }
    return FR_OK;
}

int hessian_init(struct hessian *h, int64_t n)
{
    *h = (struct hessian){.n = n};
    h->h = calloc((size_t)(n * n), sizeof *h->h);
    return h->h ? 0 : -1;
}

void hessian_add(struct hessian *h, const float *x, int64_t tokens, int64_t samples)
{
    /* H <- H * ns/(ns + t) + (2/(ns + t)) X^T X, the running mean of add_batch */
    double total = (double)(h->nsamples + samples);
    float beta = (float)((double)h->nsamples / total), alpha = (float)(2.0 / total);
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)h->n, (int)tokens, alpha, x, (int)h->n, beta, h->h,
                (int)h->n);
    h->nsamples += samples;
}

int hessian_from_activations(struct hessian *h, const float *x, int64_t tokens, int64_t n, int64_t samples)
{
    if (hessian_init(h, n))
        return -1;
    samples = samples < tokens ? samples : tokens;
    for (int64_t i = 0; i < samples; i++) {
        int64_t first = tokens * i / samples, last = tokens * (i + 1) / samples;
        hessian_add(h, x + first * n, last - first, 1);
    }
    return 0;
}

void hessian_free(struct hessian *h)
{
    free(h->h);
    h->h = NULL;
}

/* By 64 x 64 tiles: row by row, each read of the transpose would be a
 * cache miss once n is in the thousands. */
static void symmetrize_from_upper(float *a, int64_t n)
{
    enum { T = 64 };
    for (int64_t i0 = 0; i0 < n; i0 += T)
        for (int64_t j0 = 0; j0 <= i0; j0 += T)
            for (int64_t i = i0; i < i0 + T && i < n; i++)
                for (int64_t j = j0; j < j0 + T && j < i; j++)
                    a[i * n + j] = a[j * n + i];
}

static void symmetrize_from_lower(float *a, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = i + 1; j < n; j++)
            a[i * n + j] = a[j * n + i];
}

/* Hinv = upper Cholesky factor of (H + damp I)^-1, as cholesky ->
 * cholesky_inverse -> cholesky(upper=True); on failure the damping grows
 * tenfold and the whole chain starts again from H. */
static int inverse_factor(const float *h, int64_t n, double percdamp, float *hinv, struct quantized *qz,
                          struct diag *d)
{
    double damp = gptq_first_damp(h, n, percdamp);
    for (int attempt = 0; attempt <= GPTQ_MAX_DAMP_RETRIES; attempt++, damp *= 10) {
        memcpy(hinv, h, (size_t)(n * n) * sizeof *hinv);
        for (int64_t i = 0; i < n; i++)
            hinv[i * n + i] += (float)damp;
        int info = LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'L', (int)n, hinv, (int)n);
        if (!info)
            info = LAPACKE_spotri(LAPACK_ROW_MAJOR, 'L', (int)n, hinv, (int)n);
        if (!info) {
            symmetrize_from_lower(hinv, n);
            info = LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'U', (int)n, hinv, (int)n);
        }
        if (info < 0)
            return diag_fail(d, FR_RUNTIME, "LAPACK rejected argument %d of the Cholesky chain", -info);
        if (!info) {
            for (int64_t i = 1; i < n; i++) /* clear the lower triangle spotrf left */
                memset(hinv + i * n, 0, (size_t)i * sizeof *hinv);
            qz->damp = damp;
            qz->damp_retries = attempt;
            return FR_OK;
        }
    }
    return gptq_damp_failed(d, damp / 10, percdamp);
}

int gptq_damp_failed(struct diag *d, double last_damp, double percdamp)
{
    return diag_fail(d, FR_RUNTIME,
                     "the Hessian is not positive definite even with damping %.3g (%d retries from percdamp %g)",
                     last_damp, GPTQ_MAX_DAMP_RETRIES, percdamp);
}

struct keyed {
    float key;
    int64_t index;
};

/* torch.argsort(descending=True) is not stable; ties go by index here so the
 * order is reproducible. */
static int by_key_desc(const void *pa, const void *pb)
{
    const struct keyed *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key > b->key ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

/* perm: columns by decreasing diag(H). */
static int act_order_perm(const float *h, int64_t n, int64_t *perm)
{
    struct keyed *k = malloc((size_t)n * sizeof *k);
    if (!k)
        return -1;
    for (int64_t i = 0; i < n; i++)
        k[i] = (struct keyed){h[i * n + i], i};
    qsort(k, (size_t)n, sizeof *k, by_key_desc);
    for (int64_t i = 0; i < n; i++)
        perm[i] = k[i].index;
    free(k);
    return 0;
}

void gptq_work_free(struct gptq_work *g)
{
    free(g->w);
    free(g->hp);
    free(g->hinv);
    free(g->q);
    free(g->w1);
    free(g->err1);
    free(g->gscale);
    free(g->gzero);
    free(g->scale);
    free(g->zero);
    free(g->perm);
    memset(g, 0, sizeof *g);
}

static void params_rows(const float *w, int64_t out, int64_t ld, int64_t first, int64_t count, int bits,
                        int sym, float *scale, float *zero)
{
    for (int64_t n = 0; n < out; n++)
        quant_find_params(w + n * ld + first, (size_t)count, 1, bits, sym, &scale[n], &zero[n]);
}

int gptq_prepare(const float *w, int64_t out, int64_t in, struct hessian *hs, const struct quant_spec *s,
                 struct quantized *qz, struct gptq_work *g, struct diag *d)
{
    memset(g, 0, sizeof *g);
    int rc = alloc_result(out, in, s, qz, d);
    if (rc)
        return rc;
    g->gs = s->group_size > 0 ? s->group_size : in;
    g->bs = s->block_size > 0 ? s->block_size : 128;
    int64_t groups = qz->groups, gs = g->gs, bs = g->bs;
    size_t wn = (size_t)(out * in), hn = (size_t)(in * in);
    g->w = malloc(wn * sizeof *g->w);
    g->hp = malloc(hn * sizeof *g->hp);
    g->hinv = malloc(hn * sizeof *g->hinv);
    g->q = malloc(wn * sizeof *g->q);
    g->w1 = malloc((size_t)(out * bs) * sizeof *g->w1);
    g->err1 = malloc((size_t)(out * bs) * sizeof *g->err1);
    g->scale = malloc((size_t)out * sizeof *g->scale);
    g->zero = malloc((size_t)out * sizeof *g->zero);
    g->perm = malloc((size_t)in * sizeof *g->perm);
    if (s->static_groups) {
        g->gscale = malloc((size_t)(groups * out) * sizeof *g->gscale);
        g->gzero = malloc((size_t)(groups * out) * sizeof *g->gzero);
    }
    if (!g->w || !g->hp || !g->hinv || !g->q || !g->w1 || !g->err1 || !g->scale || !g->zero || !g->perm ||
        (s->static_groups && (!g->gscale || !g->gzero))) {
        gptq_work_free(g);
        quantized_free(qz);
        return diag_fail(d, FR_RUNTIME, "out of memory for GPTQ of a %lld x %lld layer", (long long)out,
                         (long long)in);
    }
    float *h = hs->h;
    symmetrize_from_upper(h, in);
    memcpy(g->w, w, wn * sizeof *g->w);
    /* Whole-row parameters come from W before dead columns are zeroed, as
     * in the reference (quantizer.find_params ahead of the dead mask). */
    if (s->group_size <= 0)
        params_rows(g->w, out, in, 0, in, s->bits, s->sym, g->scale, g->zero);
    qz->dead_columns = 0;
    for (int64_t k = 0; k < in; k++) {
        if (h[k * in + k] == 0) {
            h[k * in + k] = 1;
            for (int64_t n = 0; n < out; n++)
                g->w[n * in + k] = 0;
            qz->dead_columns++;
        }
    }
    if (s->static_groups)
        for (int64_t gi = 0; gi < groups; gi++)
            for (int64_t n = 0; n < out; n++)
                quant_find_params(g->w + n * in + gi * gs, (size_t)gs, 1, s->bits, s->sym,
                                  &g->gscale[gi * out + n], &g->gzero[gi * out + n]);
    for (int64_t k = 0; k < in; k++)
        g->perm[k] = k;
    if (s->act_order) {
        if (act_order_perm(h, in, g->perm)) {
            gptq_work_free(g);
            quantized_free(qz);
            return diag_fail(d, FR_RUNTIME, "out of memory");
        }
        for (int64_t i = 0; i < in; i++)
            for (int64_t j = 0; j < in; j++)
                g->hp[i * in + j] = h[g->perm[i] * in + g->perm[j]];
        for (int64_t n = 0; n < out; n++) { /* hinv is free scratch until the inverse */
            for (int64_t k = 0; k < in; k++)
                g->hinv[k] = g->w[n * in + g->perm[k]];
            memcpy(g->w + n * in, g->hinv, (size_t)in * sizeof *g->w);
        }
    } else {
        memcpy(g->hp, h, hn * sizeof *g->hp);
    }
    return FR_OK;
}

double gptq_first_damp(const float *h, int64_t n, double percdamp)
{
    double mean_diag = 0;
    for (int64_t i = 0; i < n; i++)
        mean_diag += h[i * n + i];
    return percdamp * mean_diag / (double)n;
}

/* The column sweep: 128-column blocks, each column quantized and its error
 * spread over the block's later columns, then the trailing GEMM. */
static double sweep(const struct quant_spec *s, int64_t out, int64_t in, struct gptq_work *g, struct quantized *qz)
{
    int64_t gs = g->gs, bs = g->bs;
    int32_t maxq = quant_maxq(s->bits);
    double loss = 0;
    int64_t next_group = 0;
    for (int64_t i1 = 0; i1 < in; i1 += bs) {
        int64_t i2 = i1 + bs < in ? i1 + bs : in, count = i2 - i1;
        for (int64_t n = 0; n < out; n++)
            memcpy(g->w1 + n * count, g->w + n * in + i1, (size_t)count * sizeof *g->w1);
        for (int64_t i = 0; i < count; i++) {
            int64_t col = i1 + i;
            const float *sc = g->scale, *ze = g->zero;
            if (s->group_size > 0 && !s->static_groups && col % gs == 0) {
                /* from W, which lacks this block's earlier updates, as in the reference */
                params_rows(g->w, out, in, col, gs, s->bits, s->sym, g->scale, g->zero);
                memcpy(qz->scale + next_group * out, g->scale, (size_t)out * sizeof *g->scale);
                memcpy(qz->zero + next_group * out, g->zero, (size_t)out * sizeof *g->zero);
                next_group++;
            } else if (s->static_groups && s->group_size > 0) {
                int64_t gi = g->perm[col] / gs;
                sc = g->gscale + gi * out;
                ze = g->gzero + gi * out;
            }
            const float *hrow = g->hinv + col * in + i1; /* Hinv1[i, :] */
            float dd = hrow[i];
            for (int64_t n = 0; n < out; n++) {
                float *wr = g->w1 + n * count;
                float wv = wr[i];
                int32_t code = quant_code(wv, sc[n], ze[n], maxq);
                float qv = quant_value(code, sc[n], ze[n]);
                g->q[n * in + col] = code;
                float e = (wv - qv) / dd;
                loss += (double)((wv - qv) * (wv - qv) / (dd * dd)) / 2;
                for (int64_t j = i; j < count; j++)
                    wr[j] -= e * hrow[j];
                g->err1[n * count + i] = e;
            }
        }
        if (i2 < in)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)out, (int)(in - i2), (int)count, -1.0f,
                        g->err1, (int)count, g->hinv + i1 * in + i2, (int)in, 1.0f, g->w + i2, (int)in);
    }
    return loss;
}

void gptq_finish(const struct quant_spec *s, struct gptq_work *g, struct quantized *qz, double loss)
{
    int64_t out = qz->out, in = qz->in, groups = qz->groups, gs = g->gs;
    if (s->group_size <= 0 || s->static_groups) {
        memcpy(qz->scale, s->static_groups && s->group_size > 0 ? g->gscale : g->scale,
               (size_t)(groups * out) * sizeof *qz->scale);
        memcpy(qz->zero, s->static_groups && s->group_size > 0 ? g->gzero : g->zero,
               (size_t)(groups * out) * sizeof *qz->zero);
    }
    for (int64_t i = 0; i < in; i++) {
        int64_t k = g->perm[i];
        qz->g_idx[k] = (int32_t)(s->static_groups ? k / gs : i / gs);
    }
    for (int64_t n = 0; n < out; n++) /* row by row: the permutation stays inside one row */
        for (int64_t i = 0; i < in; i++)
            qz->q[n * in + g->perm[i]] = g->q[n * in + i];
    qz->loss = loss;
}

int gptq_quantize(const float *w, int64_t out, int64_t in, struct hessian *hs, const struct quant_spec *s,
                  struct quantized *qz, struct diag *d)
{
    struct gptq_work g;
    int rc = gptq_prepare(w, out, in, hs, s, qz, &g, d);
    if (rc)
        return rc;
    if ((rc = inverse_factor(g.hp, in, s->percdamp, g.hinv, qz, d))) {
        gptq_work_free(&g);
        quantized_free(qz);
        return rc;
    }
    gptq_finish(s, &g, qz, sweep(s, out, in, &g, qz));
    gptq_work_free(&g);
    return FR_OK;
}

void quantized_dequantize(const struct quantized *qz, float *w)
{
    for (int64_t n = 0; n < qz->out; n++)
        for (int64_t k = 0; k < qz->in; k++) {
            int64_t gi = qz->g_idx[k];
            w[n * qz->in + k] = quant_value(qz->q[n * qz->in + k], qz->scale[gi * qz->out + n],
                                            qz->zero[gi * qz->out + n]);
        }
}
