/* One layer task: a weight, its calibration activations, RTN or GPTQ, the
 * HF GPTQ packing round trip, and the error of what a loader would serve. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/quant/gptq.h"
#include "core/quant/gptq_pack.h"
#include "core/quant/quant_error.h"
#include "io/activations.h"
#include "io/matrices.h"
#include "io/safetensors.h"
#include "io/st_model.h"
#include "suites/quant/quant_impl.h"
#include "util/clock.h"
#include "util/hash.h"

/* The spectrum of the OSFT suite's synthetic weights: a decaying set of
 * strong directions over Gaussian noise, as trained layers have. */
static const struct synthetic_spectrum layer_spectrum = {.std = 0.02, .spikes = 16, .strength = 4.0, .decay = 0.7};

/* W (out x in, row-major) for a named layer: the column-major in x out
 * synthetic matrix is the same memory. */
static int checkpoint_weight(const char *dir, const struct quant_shape *s, float **w, struct diag *d)
{
    struct st_model m;
    int rc = st_model_open(dir, &m, d);
    if (rc)
        return rc;
    const struct st_file *shard;
    const struct st_tensor *t = st_model_find(&m, s->tensor, &shard);
    if (!t || t->ndim != 2 || t->shape[0] != s->out || t->shape[1] != s->in)
        rc = diag_fail(d, FR_USAGE, "%s: tensor '%s' changed since the run was planned", dir, s->tensor);
    else if (!(*w = malloc((size_t)(s->out * s->in) * sizeof **w)))
        rc = diag_fail(d, FR_RUNTIME, "out of memory for %s", s->tensor);
    else if ((rc = st_to_f32(shard, t, *w, d))) {
        free(*w);
        *w = NULL;
    }
    st_model_close(&m);
    return rc;
}

static int quant_weight(const struct quant_layers *L, uint64_t seed, const struct quant_shape *s, float **w,
                        struct diag *d)
{
    if (s->tensor)
        return checkpoint_weight(L->checkpoint, s, w, d);
    struct matrix m;
    if (mat_alloc(&m, DT_F32, s->in, s->out))
        return diag_fail(d, FR_RUNTIME, "out of memory for a %lld x %lld weight", (long long)s->out,
                         (long long)s->in);
    int rc = synthetic_weight(seed, s->name, &layer_spectrum, &m);
    if (rc) {
        mat_free(&m);
        return diag_fail(d, FR_RUNTIME, "out of memory generating weight %s", s->name);
    }
    *w = m.data;
    return FR_OK;
}

static int load_activations(const struct quant_config *cfg, uint64_t seed, int64_t in,
                            struct activation_sets *a, struct diag *d)
{
    const struct quant_calibration *c = &cfg->calib;
    if (c->source == CALIB_FILE)
        return activation_sets_from_file(c->path, c->tensor, in, c->held_out, a, d);
    return activation_sets_synthetic(&c->synthetic, seed, in, c->tokens, c->held_out, a, d);
}

static int quantize(const struct quant_config *cfg, const struct backend *be, const float *w,
                    const struct quant_shape *s, const struct activation_sets *a, int method,
                    const struct quant_spec *spec, struct quantized *qz, struct quant_layer_record *r,
                    struct diag *d)
{
    double t0 = now_seconds();
    if (method == QM_RTN) {
        int rc = rtn_quantize(w, s->out, s->in, spec, qz, d);
        r->quant_seconds = now_seconds() - t0;
        return rc;
    }
    return be->gptq_layer(w, s->out, s->in, a->calib, a->ncalib, cfg->calib.samples, spec, qz, &r->hessian_seconds,
                          &r->quant_seconds, d);
}

/* GPTQ on a device against the CPU reference on the same weight and
 * activations: the share of equal codes and the ratio of output errors
 * (both dequantized with float32 scales). */
static int cross_check(const struct quant_config *cfg, const float *w, const struct quant_shape *s,
                       const struct activation_sets *a, const struct quant_spec *spec, const struct quantized *got,
                       struct quant_layer_record *r, struct diag *d)
{
    struct quantized ref = {0};
    double hs, qs;
    float *wq = malloc((size_t)(s->out * s->in) * sizeof *wq);
    int rc = wq ? gptq_layer_cpu(w, s->out, s->in, a->calib, a->ncalib, cfg->calib.samples, spec, &ref, &hs, &qs, d)
                : diag_fail(d, FR_RUNTIME, "out of memory");
    struct quant_error eg, er;
    if (!rc) {
        int64_t differ = 0, count = s->out * s->in;
        for (int64_t i = 0; i < count; i++)
            differ += got->q[i] != ref.q[i];
        quantized_dequantize(got, wq);
        int bad = quant_error_compute(w, wq, s->out, s->in, a->held, a->nheld, &eg);
        quantized_dequantize(&ref, wq);
        bad |= quant_error_compute(w, wq, s->out, s->in, a->held, a->nheld, &er);
        if (bad)
            rc = diag_fail(d, FR_RUNTIME, "out of memory for %lld x %lld outputs", (long long)a->nheld,
                           (long long)s->out);
        r->cross_checked = 1;
        r->xc_codes_differ = differ;
        r->xc_codes_equal = count ? 1.0 - (double)differ / (double)count : 1;
        r->xc_error_ratio = er.rel_out_err > 0 ? eg.rel_out_err / er.rel_out_err : NAN;
    }
    free(wq);
    quantized_free(&ref);
    return rc;
}

static uint64_t packed_hash(const struct gptq_packed *p)
{
    uint64_t h = FNV1A64_OFFSET;
    h = fnv1a64_bytes(h, p->qweight, (size_t)(p->in * p->bits / 32 * p->out) * sizeof *p->qweight);
    h = fnv1a64_bytes(h, p->qzeros, (size_t)(p->groups * (p->out * p->bits / 32)) * sizeof *p->qzeros);
    h = fnv1a64_bytes(h, p->scales, (size_t)(p->groups * p->out) * sizeof *p->scales);
    return fnv1a64_bytes(h, p->g_idx, (size_t)p->in * sizeof *p->g_idx);
}

/* Unpacking gives back exactly what was packed (scales as fp16). */
static int round_trip_exact(const struct quantized *qz, const struct quantized *back)
{
    size_t nq = (size_t)(qz->out * qz->in), ng = (size_t)(qz->groups * qz->out);
    if (memcmp(qz->q, back->q, nq * sizeof *qz->q) || memcmp(qz->g_idx, back->g_idx, (size_t)qz->in * 4))
        return 0;
    for (size_t i = 0; i < ng; i++)
        if (back->zero[i] != qz->zero[i] || back->scale[i] != half_value(half_bits(qz->scale[i])))
            return 0;
    return 1;
}

/* Errors of the served weights wq against w, on the held-out inputs. */
static int measure(const float *w, const float *wq, const struct quant_shape *s, const struct activation_sets *a,
                   struct quant_layer_record *r, struct diag *d)
{
    struct quant_error e;
    if (quant_error_compute(w, wq, s->out, s->in, a->held, a->nheld, &e))
        return diag_fail(d, FR_RUNTIME, "out of memory for %lld x %lld outputs", (long long)a->nheld,
                         (long long)s->out);
    r->weight_mse = e.weight_mse;
    r->max_abs_w_err = e.max_abs_w_err;
    r->rel_out_err = e.rel_out_err;
    r->sqnr_db = e.sqnr_db;
    r->max_abs_out_err = e.max_abs_out_err;
    r->nan_count = e.nan_count;
    r->inf_count = e.inf_count;
    return FR_OK;
}

int quant_run_layer(const struct quant_config *cfg, const struct run_context *ctx, const struct task *t,
                    struct quant_layer_record *r, struct diag *d)
{
    const struct quant_layers *L = &cfg->layers;
    struct quant_shape shapes[QUANT_MAX_SHAPES];
    quant_layer_shapes(L, shapes);
    const struct quant_shape *s = &shapes[t->dims[0]];
    int method = (int)t->dims[1], act = (int)(t->dims[3] & 1);
    struct quant_spec spec = {.bits = (int)L->bits[t->dims[2]], .group_size = L->group_sizes[t->dims[3] >> 1],
                              .sym = L->sym, .act_order = act, .static_groups = L->static_groups,
                              .percdamp = L->percdamp, .block_size = L->block_size};
    float *w = NULL, *wq = NULL;
    struct activation_sets a = {0};
    struct quantized qz = {0}, back = {0};
    struct gptq_packed p = {0};
    int rc = quant_weight(L, ctx->seed, s, &w, d);
    if (!rc)
        rc = load_activations(cfg, ctx->seed, s->in, &a, d);
    if (!rc)
        rc = quantize(cfg, ctx->backend, w, s, &a, method, &spec, &qz, r, d);
    r->xc_codes_equal = r->xc_error_ratio = NAN;
    if (!rc && method == QM_GPTQ && ctx->backend != &backend_cpu && L->cross_check_every > 0 &&
        t->id % L->cross_check_every == 0)
        rc = cross_check(cfg, w, s, &a, &spec, &qz, r, d);
    if (!rc)
        rc = gptq_pack(&qz, (enum zero_format)L->zeros, &p, &r->v1_wrapped, d);
    if (!rc)
        rc = gptq_unpack(&p, (enum zero_format)L->zeros, &back, d);
    if (!rc && !(wq = malloc((size_t)(s->out * s->in) * sizeof *wq)))
        rc = diag_fail(d, FR_RUNTIME, "out of memory");
    if (!rc) {
        quantized_dequantize(&back, wq);
        rc = measure(w, wq, s, &a, r, d);
    }
    if (!rc) {
        snprintf(r->name, sizeof r->name, "%s", t->name);
        snprintf(r->layer, sizeof r->layer, "%s", s->name);
        snprintf(r->method, sizeof r->method, "%s", method == QM_GPTQ ? "gptq" : "rtn");
        snprintf(r->zeros, sizeof r->zeros, "%s", zero_format_name((enum zero_format)L->zeros));
        r->rows = (int32_t)s->out;
        r->cols = (int32_t)s->in;
        r->bits = spec.bits;
        r->group_size = (int32_t)spec.group_size;
        r->act_order = act;
        r->sym = spec.sym;
        r->gptq_loss = qz.loss;
        r->damp = qz.damp;
        r->damp_retries = qz.damp_retries;
        r->dead_columns = qz.dead_columns;
        r->calib_tokens = a.ncalib;
        r->packed_hash = (int64_t)packed_hash(&p);
        r->roundtrip_ok = round_trip_exact(&qz, &back);
        r->zeros_diagnosis = (int32_t)gptq_zero_diagnose(&p, (enum zero_format)L->zeros, spec.sym, NULL);
    }
    free(w);
    free(wq);
    activation_sets_free(&a);
    quantized_free(&qz);
    quantized_free(&back);
    gptq_packed_free(&p);
    return rc;
}

/* A layer task's checkpoint weight and calibration file, read and held
 * finite before the run; synthetic inputs have nothing to check. */
int quant_check_inputs(const void *vcfg, const struct task *t, struct diag *d)
{
    const struct quant_config *cfg = vcfg;
    if (t->table != 0)
        return FR_OK;
    struct quant_shape shapes[QUANT_MAX_SHAPES];
    quant_layer_shapes(&cfg->layers, shapes);
    const struct quant_shape *s = &shapes[t->dims[0]];
    int rc = FR_OK;
    if (s->tensor) {
        float *w = NULL;
        rc = checkpoint_weight(cfg->layers.checkpoint, s, &w, d);
        free(w);
    }
    if (!rc && cfg->calib.source == CALIB_FILE) {
        struct activation_sets a;
        if (!(rc = load_activations(cfg, 0, s->in, &a, d)))
            activation_sets_free(&a);
    }
    return rc;
}
