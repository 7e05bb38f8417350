/* One kernel task: a quantized layer packed three ways, the dequant-matmul
 * for one batch size and accumulation mode checked against the fp64
 * reference in three variants (plain, act-order g_idx, v1 zeros), then
 * timed side by side with those variants, with output validation on, and
 * against fp32 BLAS on the dequantized weights. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/membw.h"
#include "core/quant/degenerate.h"
#include "core/quant/gptq.h"
#include "core/quant/gptq_pack.h"
#include "core/quant/qmatmul.h"
#include "core/quant/quantizer.h"
#include "suites/quant/quant_impl.h"
#include "util/clock.h"
#include "util/rng.h"

enum { V_PLAIN, V_ACT, V_V1, V_COUNT };

struct kernel_case {
    struct gptq_packed packed[V_COUNT];
    struct qmm_layer prepared[V_COUNT];
    enum zero_format as[V_COUNT];
    uint16_t *x;
    float *y;
    double *ref;
    int64_t out, in, batch;
};

static void case_free(struct kernel_case *c)
{
    for (int v = 0; v < V_COUNT; v++) {
        qmatmul_release(&c->prepared[v]);
        gptq_packed_free(&c->packed[v]);
    }
    free(c->x);
    free(c->y);
    free(c->ref);
}

/* act-order as GPTQ leaves it: groups in order of a column permutation, so
 * consecutive columns belong to scattered groups. */
static int scatter_groups(struct quantized *qz, uint64_t seed, const char *name, int64_t gs, struct diag *d)
{
    int64_t in = qz->in;
    double *u = malloc((size_t)in * sizeof *u);
    int64_t *perm = malloc((size_t)in * sizeof *perm);
    if (!u || !perm) {
        free(u);
        free(perm);
        return diag_fail(d, FR_RUNTIME, "out of memory for the act-order variant of %s", name);
    }
    rng_uniforms(rng_key(seed, name), 7, 0, (size_t)in, u);
    for (int64_t k = 0; k < in; k++)
        perm[k] = k;
    for (int64_t k = in - 1; k > 0; k--) { /* Fisher-Yates */
        int64_t j = (int64_t)(u[k] * (double)(k + 1));
        int64_t tmp = perm[k];
        perm[k] = perm[j];
        perm[j] = tmp;
    }
    for (int64_t i = 0; i < in; i++)
        qz->g_idx[perm[i]] = (int32_t)(i / gs);
    free(u);
    free(perm);
    return FR_OK;
}

/* Codes, zero points and scales drawn directly, shaped like RTN's on
 * weights of std 0.02 (a range of about 0.12 per group): uniform codes,
 * zero points uniform in the middle half of [0, maxq], scales log-uniform
 * in [0.5, 2] x 0.12 / maxq. The kernels' arithmetic does not depend on
 * where codes came from, and drawing them costs a fraction of making and
 * quantizing a weight. */
static int random_quantized(uint64_t seed, const struct quant_shape *s, int bits, int64_t gs, struct quantized *qz,
                            struct diag *d)
{
    int64_t groups = gs > 0 ? s->in / gs : 1, n = s->out * s->in, ng = groups * s->out;
    if (quantized_alloc(qz, s->out, s->in, groups, bits))
        return diag_fail(d, FR_RUNTIME, "out of memory for a %lld x %lld layer", (long long)s->out, (long long)s->in);
    double *u = malloc((size_t)(n > 2 * ng ? n : 2 * ng) * sizeof *u);
    if (!u) {
        quantized_free(qz);
        return diag_fail(d, FR_RUNTIME, "out of memory for a %lld x %lld layer", (long long)s->out, (long long)s->in);
    }
    struct philox_key key = rng_key(seed, s->name);
    int32_t top = quant_maxq(bits) + 1;
    rng_uniforms(key, 11, 0, (size_t)n, u);
    for (int64_t i = 0; i < n; i++)
        qz->q[i] = (int32_t)(u[i] * top);
    rng_uniforms(key, 12, 0, (size_t)(2 * ng), u);
    double step = 0.12 / (top - 1);
    for (int64_t i = 0; i < ng; i++) {
        qz->scale[i] = (float)(0.5 * step * pow(4.0, u[i]));
        int32_t z = 1 + (top - 1) / 4 + (int32_t)(u[ng + i] * ((top - 1) / 2)); /* >= 1: v1 can hold it */
        qz->zero[i] = (float)(z < top - 1 ? z : top - 1);
    }
    for (int64_t k = 0; k < s->in; k++)
        qz->g_idx[k] = (int32_t)(k / (gs > 0 ? gs : s->in));
    free(u);
    return FR_OK;
}

static int build_case(uint64_t seed, const struct quant_shape *s, int bits, int64_t gs, int64_t batch,
                      struct kernel_case *c, int64_t *v1_wrapped, struct diag *d)
{
    struct quantized qz = {0};
    *c = (struct kernel_case){.out = s->out, .in = s->in, .batch = batch,
                              .as = {ZEROS_V2, ZEROS_V2, ZEROS_V1}};
    int rc = random_quantized(seed, s, bits, gs, &qz, d);
    if (!rc)
        rc = gptq_pack(&qz, ZEROS_V2, &c->packed[V_PLAIN], NULL, d);
    if (!rc)
        rc = gptq_pack(&qz, ZEROS_V1, &c->packed[V_V1], v1_wrapped, d);
    if (!rc)
        rc = scatter_groups(&qz, seed, s->name, gs > 0 ? gs : s->in, d);
    if (!rc)
        rc = gptq_pack(&qz, ZEROS_V2, &c->packed[V_ACT], NULL, d);
    quantized_free(&qz);
    for (int v = 0; v < V_COUNT && !rc; v++) /* once, as a server does when it loads the layer */
        rc = qmatmul_prepare(&c->packed[v], c->as[v], &c->prepared[v], d);
    if (rc)
        return rc;
    c->x = malloc((size_t)(batch * s->in) * sizeof *c->x);
    c->y = malloc((size_t)(batch * s->out) * sizeof *c->y);
    c->ref = malloc((size_t)(batch * s->out) * sizeof *c->ref);
    double *z = malloc((size_t)(batch * s->in) * sizeof *z);
    if (!c->x || !c->y || !c->ref || !z) {
        free(z);
        return diag_fail(d, FR_RUNTIME, "out of memory for a batch of %lld", (long long)batch);
    }
    char name[96];
    snprintf(name, sizeof name, "%s/x%lld", s->name, (long long)batch);
    rng_normals(rng_key(seed, name), 0, 0, (size_t)(batch * s->in), z);
    for (int64_t i = 0; i < batch * s->in; i++)
        c->x[i] = half_bits((float)z[i]);
    free(z);
    return FR_OK;
}

/* Worst error over the variants, and their degenerate-output findings.
 * device_y: each variant's result from a device, or NULL to run the CPU's. */
static int check_variants(struct kernel_case *c, enum accum_mode mode, float *const *device_y,
                          struct quant_kernel_record *r, struct diag *d)
{
    int64_t n = c->batch * c->out;
    /* v1 zeros must encode the very weights the plain layer holds, so both
     * are checked against the plain layer's reference, computed once */
    static const int order[V_COUNT] = {V_PLAIN, V_V1, V_ACT};
    int have = -1;
    for (int i = 0; i < V_COUNT; i++) {
        int v = order[i], ref = v == V_V1 ? V_PLAIN : v, rc = FR_OK;
        if (ref != have) {
            rc = qmatmul_reference(&c->packed[ref], c->as[ref], c->x, c->batch, c->ref, d);
            have = ref;
        }
        if (!rc && device_y)
            memcpy(c->y, device_y[v], (size_t)n * sizeof *c->y);
        else if (!rc)
            rc = qmatmul_run(&c->prepared[v], c->x, c->batch, mode, c->y, d);
        if (rc)
            return rc;
        struct kernel_error e;
        struct degenerate g;
        kernel_error_compute(c->y, c->ref, n, &e);
        degenerate_scan(c->y, c->batch, c->out, &g);
        if (isnan(e.max_abs) || e.max_abs > r->max_abs_diff)
            r->max_abs_diff = e.max_abs;
        if (isnan(e.rel_mean) || e.rel_mean > r->rel_mean_diff)
            r->rel_mean_diff = e.rel_mean;
        r->ref_max_abs = fmax(r->ref_max_abs, e.ref_max_abs);
        r->nan_count += g.nan;
        r->inf_count += g.inf;
        r->saturated += g.saturated;
        r->all_zero |= g.all_zero;
        r->constant_rows += g.constant_rows;
        r->constant_cols += g.constant_cols;
        r->argmax_stuck |= g.argmax_stuck;
        r->degenerate += degenerate_count(&g);
    }
    return FR_OK;
}

/* fp32 dequantization against the fp64 one: exact (an fp16 scale times a
 * small integer needs at most 20 bits). Leaves the fp32 weights in w32. */
static double dequant_difference(const struct gptq_packed *p, float *w32, struct diag *d)
{
    struct quantized back;
    if (gptq_unpack(p, ZEROS_V2, &back, d))
        return NAN;
    quantized_dequantize(&back, w32);
    double worst = 0;
    for (int64_t n = 0; n < p->out; n++)
        for (int64_t k = 0; k < p->in; k++) {
            double e = fabs((double)w32[n * p->in + k] - quantized_value_f64(&back, n, k));
            if (isnan(e) || e > worst)
                worst = e;
        }
    quantized_free(&back);
    return worst;
}

static double timed_call(struct kernel_case *c, int v, enum accum_mode mode, struct diag *d, int *rc)
{
    double t0 = now_seconds();
    *rc = qmatmul_run(&c->prepared[v], c->x, c->batch, mode, c->y, d);
    return timed_section_end(t0);
}

/* What validation adds to a call: the degenerate-output scan of its y. */
static double timed_validation(const struct kernel_case *c)
{
    struct degenerate g;
    double t0 = now_seconds();
    degenerate_scan(c->y, c->batch, c->out, &g);
    return timed_section_end(t0);
}

static double blas_call(const float *w32, const float *x32, float *y, int64_t out, int64_t in, int64_t batch)
{
    double t0 = now_seconds();
    if (batch == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)out, (int)in, 1.0f, w32, (int)in, x32, 1, 0.0f, y, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)out, (int)in, 1.0f, x32, (int)in, w32,
                    (int)in, 0.0f, y, (int)out);
    return now_seconds() - t0;
}

static double worst_of(const double *t, int n)
{
    double w = 0;
    for (int i = 0; i < n; i++)
        w = t[i] > w ? t[i] : w;
    return w;
}

static int time_variants(const struct quant_config *cfg, struct kernel_case *c, enum accum_mode mode, float *w32,
                         struct quant_kernel_record *r, struct diag *d)
{
    int reps = (int)cfg->kernels.repeats, rc = 0;
    double *all = malloc((size_t)(V_COUNT + 2) * (size_t)reps * sizeof *all);
    float *x32 = malloc((size_t)(c->batch * c->in) * sizeof *x32);
    if (!all || !x32) {
        free(all);
        free(x32);
        return diag_fail(d, FR_RUNTIME, "out of memory");
    }
    for (int64_t i = 0; i < c->batch * c->in; i++)
        x32[i] = half_value(c->x[i]);
    for (int i = 0; i < cfg->kernels.warmup && !rc; i++) {
        blas_call(w32, x32, c->y, c->out, c->in, c->batch);
        for (int v = 0; v < V_COUNT && !rc; v++)
            timed_call(c, v, mode, d, &rc);
    }
    /* interleaved, BLAS too, so a slow spell of the machine hits every
     * variant and the reference alike: speedup_vs_blas then holds still when
     * the whole machine drifts between two runs */
    for (int i = 0; i < reps && !rc; i++) {
        all[(V_COUNT + 1) * reps + i] = blas_call(w32, x32, c->y, c->out, c->in, c->batch);
        for (int v = V_COUNT - 1; v >= 0 && !rc; v--) /* plain last: its y is validated */
            all[v * reps + i] = timed_call(c, v, mode, d, &rc);
        all[V_COUNT * reps + i] = timed_validation(c);
    }
    if (!rc) {
        r->worst_seconds = worst_of(all, reps);
        double med[V_COUNT + 2], q1, q3;
        for (int v = 0; v < V_COUNT + 2; v++) {
            quartile_seconds(all + v * reps, reps, &q1, &med[v], &q3);
            if (v == V_PLAIN) {
                r->q1_seconds = q1;
                r->q3_seconds = q3;
            }
        }
        r->median_seconds = med[V_PLAIN];
        r->act_order_ratio = med[V_ACT] / med[V_PLAIN];
        r->zeros_v1_ratio = med[V_V1] / med[V_PLAIN];
        /* validation is timed on its own: re-timing the whole call would
         * bury a sub-percent cost in the call's own run-to-run noise */
        r->validation_ratio = (med[V_PLAIN] + med[V_COUNT]) / med[V_PLAIN];
        r->blas_median_seconds = med[V_COUNT + 1];
        r->speedup_vs_blas = med[V_COUNT + 1] / med[V_PLAIN];
    }
    free(all);
    free(x32);
    return rc;
}

/* The kernels on the backend's device: run, timed beside copies and cuBLAS
 * there, and validated here against the same fp64 reference. */
static int run_on_device(const struct quant_config *cfg, const struct backend *be, struct kernel_case *c,
                         enum accum_mode mode, struct quant_kernel_record *r, struct diag *d)
{
    struct qmm_device_case q = {.x = c->x, .batch = c->batch, .mode = mode, .warmup = (int)cfg->kernels.warmup,
                                .repeats = (int)cfg->kernels.repeats,
                                .copy_bytes = cfg->kernels.copy_mib * 1048576.0};
    static const int order[QMM_VARIANTS] = {V_PLAIN, V_ACT, V_V1};
    int rc = FR_OK;
    for (int v = 0; v < QMM_VARIANTS && !rc; v++) {
        q.layers[v] = &c->prepared[order[v]];
        if (!(q.y[v] = malloc((size_t)(c->batch * c->out) * sizeof(float))))
            rc = diag_fail(d, FR_RUNTIME, "out of memory");
    }
    if (!rc)
        rc = be->qmatmul_device(&q, d);
    if (!rc) {
        float *ys[V_COUNT];
        for (int v = 0; v < QMM_VARIANTS; v++)
            ys[order[v]] = q.y[v];
        rc = check_variants(c, mode, ys, r, d);
    }
    if (!rc) {
        double plain = q.median[0];
        r->median_seconds = plain;
        r->q1_seconds = r->q3_seconds = NAN; /* the device harness keeps medians only: judged across rows */
        r->worst_seconds = q.worst;
        r->act_order_ratio = q.median[1] / plain;
        r->zeros_v1_ratio = q.median[2] / plain;
        r->validation_ratio = (plain + q.readback_seconds) / plain;
        r->blas_median_seconds = q.blas_median;
        r->speedup_vs_blas = q.blas_median / plain;
        r->copy_gbytes_per_s = q.copy_gbps;
        snprintf(r->isa, sizeof r->isa, "%s", q.device);
    }
    for (int v = 0; v < QMM_VARIANTS; v++)
        free(q.y[v]);
    return rc;
}

int quant_run_kernel(const struct quant_config *cfg, const struct run_context *ctx, const struct task *t,
                     struct quant_kernel_record *r, struct diag *d)
{
    const struct kernel_study *ks = &cfg->kernels.studies[t->dims[0]];
    struct quant_shape shapes[QUANT_MAX_SHAPES];
    quant_shape_list(&ks->shapes, shapes);
    const struct quant_shape *s = &shapes[t->dims[1]];
    int bits = (int)ks->bits[t->dims[2]];
    int64_t batch = ks->batches[t->dims[3] >> 1];
    enum accum_mode mode = (enum accum_mode)(t->dims[3] & 1);
    struct kernel_case c;
    /* the GPU kernels take whole-word widths (2, 4, 8 bits) and outputs in
     * fours; other layers run the CPU's kernels, and isa says so */
    const struct backend *be = ctx->backend;
    if (bits == 3 || s->out % 4 != 0)
        be = &backend_cpu;
    snprintf(r->isa, sizeof r->isa, "%s", qmatmul_isa());
    if (!be->qmatmul_device)
        r->copy_gbytes_per_s = stream_copy_gbps((size_t)(cfg->kernels.copy_mib * 1048576.0), 5);
    int rc = build_case(ctx->seed, s, bits, ks->group_size, batch, &c, &r->v1_wrapped, d);
    if (!rc && !be->qmatmul_device)
        rc = check_variants(&c, mode, NULL, r, d);
    float *w32 = rc ? NULL : malloc((size_t)(s->out * s->in) * sizeof *w32);
    if (!rc && !w32)
        rc = diag_fail(d, FR_RUNTIME, "out of memory for the fp32 weights of %s", s->name);
    if (!rc && isnan(r->dequant_max_abs_diff = dequant_difference(&c.packed[V_PLAIN], w32, d)))
        rc = d->code ? d->code : FR_RUNTIME;
    if (!rc)
        rc = be->qmatmul_device ? run_on_device(cfg, be, &c, mode, r, d) : time_variants(cfg, &c, mode, w32, r, d);
    free(w32);
    if (!rc) {
        const struct gptq_packed *p = &c.packed[V_PLAIN];
        const struct kernel_tolerance *tol = &cfg->kernels.tol[mode];
        snprintf(r->name, sizeof r->name, "%s", t->name);
        snprintf(r->layer, sizeof r->layer, "%s", s->name);
        snprintf(r->accum, sizeof r->accum, "%s", accum_mode_name(mode));
        r->rows = (int32_t)s->out;
        r->cols = (int32_t)s->in;
        r->bits = bits;
        r->group_size = (int32_t)ks->group_size;
        r->batch = (int32_t)batch;
        double scale = tol->per_sqrt_k ? sqrt((double)s->in) : 1;
        r->tol_max_abs = tol->max_abs * scale;
        r->tol_rel_mean = tol->rel_mean * scale;
        r->within_tol = r->max_abs_diff <= r->tol_max_abs && r->rel_mean_diff <= r->tol_rel_mean;
        /* what one call reads and writes: packed codes, widened scales and
         * zeros, g_idx, x (fp16) and y (fp32) */
        r->bytes = (double)(p->in * bits / 32 * p->out + p->in) * 4.0 + (double)(p->groups * p->out) * 8.0 +
                   (double)(batch * s->in) * 2.0 + (double)(batch * s->out) * 4.0;
        r->gbytes_per_s = r->bytes / r->median_seconds / 1e9;
        r->bandwidth_ratio = r->copy_gbytes_per_s > 0 ? r->gbytes_per_s / r->copy_gbytes_per_s : NAN;
        r->gflops = 2.0 * (double)batch * (double)s->out * (double)s->in / r->median_seconds / 1e9;
    }
    case_free(&c);
    return rc;
}
