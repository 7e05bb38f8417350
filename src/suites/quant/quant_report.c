/* The quant suite's tables on the terminal and its checks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/quant/gptq_pack.h"
#include "core/quant/qmatmul.h"
#include "suites/quant/quant_impl.h"
#include "util/clock.h"

static void print_layers(FILE *out, const struct quant_layer_record *r, size_t n)
{
    if (!n)
        return;
    fprintf(out, "Quantization error per layer · %zu tasks · errors on held-out activations, of the packed weights\n", n);
    fprintf(out, "  %-40s %11s %-4s %4s %5s %3s %9s %7s %9s %9s %9s %7s %s\n", "layer", "shape", "meth", "bits", "group",
            "act", "rel.err", "SQNR dB", "w.mse", "max|dy|", "loss", "time", "pack");
    for (size_t i = 0; i < n; i++) {
        char shape[32], time[32];
        snprintf(shape, sizeof shape, "%d×%d", r[i].rows, r[i].cols);
        fprintf(out, "  %-40s %11s %-4s %4d %5d %3s %9.3e %7.2f %9.2e %9.2e %9.3g %7s %s%s\n", r[i].layer, shape,
                r[i].method, r[i].bits, r[i].group_size, r[i].act_order ? "yes" : "no", r[i].rel_out_err, r[i].sqnr_db,
                r[i].weight_mse, r[i].max_abs_out_err, r[i].gptq_loss,
                format_duration(r[i].hessian_seconds + r[i].quant_seconds, time, sizeof time),
                r[i].roundtrip_ok ? "ok" : "MISMATCH", r[i].damp_retries ? " (damping raised)" : "");
    }
}

static void print_kernels(FILE *out, const struct quant_kernel_record *r, size_t n)
{
    if (!n)
        return;
    size_t on_gpu = 0;
    for (size_t i = 0; i < n; i++)
        on_gpu += strncmp(r[i].isa, "sm_", 3) == 0;
    if (on_gpu)
        fprintf(out, "Dequant-matmul kernels (GPU %s; %zu of %zu cases) · errors against fp64 · device events, L2 "
                     "flushed before each call · copy = device-to-device copy · xBLAS = cublasGemmEx fp16 on the "
                     "dequantized weights, all measured in the same task\n",
                r[0].isa, on_gpu, n);
    else
        fprintf(out, "Dequant-matmul kernels (CPU, %s) · %zu cases · errors against fp64 · GB/s of packed weights + "
                     "activations · copy = STREAM-style copy measured in the same task\n",
                r[0].isa, n);
    fprintf(out, "  %-44s %5s %4s %9s %9s %3s %4s %7s %6s %7s %6s %6s %6s %6s\n", "case", "batch", "acc", "max|dy|",
            "rel.mean", "tol", "degn", "GB/s", "/copy", "GFLOP/s", "xBLAS", "act", "v1", "valid");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-44.44s %5d %4s %9.2e %9.2e %3s %4d %7.2f %6.3f %7.2f %6.2f %6.3f %6.3f %6.3f\n", r[i].name,
                r[i].batch, r[i].accum, r[i].max_abs_diff, r[i].rel_mean_diff, r[i].within_tol ? "ok" : "NO",
                r[i].degenerate, r[i].gbytes_per_s, r[i].bandwidth_ratio, r[i].gflops, r[i].speedup_vs_blas,
                r[i].act_order_ratio, r[i].zeros_v1_ratio, r[i].validation_ratio);
}

/* Worst GPTQ/RTN output-error ratio over matching (layer, bits, group) pairs;
 * NaN when there is no pair. */
static double gptq_over_rtn(const struct quant_layer_record *r, size_t n, size_t *pairs)
{
    double worst = NAN;
    *pairs = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(r[i].method, "gptq"))
            continue;
        for (size_t j = 0; j < n; j++)
            if (!strcmp(r[j].method, "rtn") && !strcmp(r[j].layer, r[i].layer) && r[j].bits == r[i].bits &&
                r[j].group_size == r[i].group_size) {
                double ratio = r[i].rel_out_err / r[j].rel_out_err;
                if (*pairs == 0 || isnan(ratio) || ratio > worst) /* a NaN stays */
                    worst = ratio;
                (*pairs)++;
            }
    }
    return worst;
}

static double median_of(double *v, size_t n) { return n ? median_seconds(v, (int)n) : NAN; }

/* GPTQ on a GPU against the CPU reference, where layers were cross-checked. */
static int cross_check_checks(const struct quant_config *cfg, const struct quant_layer_record *r, size_t n,
                              struct check_list *c, FILE *out)
{
    size_t m = 0;
    int64_t differ = 0, codes = 0;
    double least = 1, worst = 0;
    for (size_t i = 0; i < n; i++) {
        if (!r[i].cross_checked)
            continue;
        m++;
        differ += r[i].xc_codes_differ;
        codes += (int64_t)r[i].rows * r[i].cols;
        if (!(r[i].xc_codes_equal >= least))
            least = r[i].xc_codes_equal;
        double dev = fabs(r[i].xc_error_ratio - 1);
        if (!(dev <= worst))
            worst = dev;
    }
    if (!m)
        return 0;
    fprintf(out, "  GPTQ on the device against the CPU reference, %zu layers: %lld of %lld codes differ "
                 "(ties and summation order), worst |error ratio - 1| %.2e\n",
            m, (long long)differ, (long long)codes, worst);
    int fail = check_add(c, "quant", "GPTQ codes equal to the CPU reference, least", "xc_codes_equal", least,
                         cfg->bounds.codes_equal, INFINITY, "");
    fail |= check_add(c, "quant", "GPTQ error vs CPU reference, |ratio - 1|", "xc_error_ratio", worst, -INFINITY,
                      cfg->bounds.error_ratio, "");
    return fail;
}

static int layer_checks(const struct quant_config *cfg, const struct quant_layer_record *r, size_t n,
                        struct check_list *c, FILE *out)
{
    if (!n)
        return 0;
    int fail = 0;
    size_t pairs;
    double ratio = gptq_over_rtn(r, n, &pairs);
    if (pairs)
        fail |= check_add(c, "quant", "GPTQ / RTN output error, worst pair", "gptq_over_rtn", ratio, -INFINITY,
                          cfg->bounds.gptq_over_rtn, "");
    for (int bits = 2; bits <= 8; bits++) {
        double worst = INFINITY;
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (r[i].bits == bits) {
                worst = isnan(r[i].sqnr_db) || r[i].sqnr_db < worst ? r[i].sqnr_db : worst;
                m++;
            }
        if (m) {
            char name[64];
            snprintf(name, sizeof name, "output SQNR at %d bits, worst layer", bits);
            fail |= check_add(c, "quant", name, "sqnr_db", worst, cfg->bounds.sqnr_floor[bits], INFINITY, "dB");
        }
    }
    int64_t nonfinite = 0, mismatched = 0, traps = 0, retried = 0;
    for (size_t i = 0; i < n; i++) {
        nonfinite += r[i].nan_count + r[i].inf_count;
        mismatched += !r[i].roundtrip_ok;
        traps += r[i].v1_wrapped + (r[i].zeros_diagnosis != ZD_CONSISTENT);
        retried += r[i].damp_retries > 0;
        if (r[i].zeros_diagnosis != ZD_CONSISTENT)
            fprintf(out, "  %s: %s\n", r[i].name, zero_diagnosis_text((enum zero_diagnosis)r[i].zeros_diagnosis));
        if (r[i].v1_wrapped)
            fprintf(out, "  %s: %lld zero points of 0 cannot be stored as v1 (they wrap to %d and read back as %d); "
                         "use zeros: gptq_v2\n",
                    r[i].name, (long long)r[i].v1_wrapped, (1 << r[i].bits) - 1, 1 << r[i].bits);
    }
    if (retried)
        fprintf(out, "  %lld layers needed more damping than percdamp %.3g for the Cholesky factorization\n",
                (long long)retried, cfg->layers.percdamp);
    fail |= cross_check_checks(cfg, r, n, c, out);
    fail |= check_add(c, "quant", "NaN/Inf in quantized layer outputs", "nonfinite", (double)nonfinite, 0, 0, "count");
    fail |= check_add(c, "quant", "HF GPTQ pack/unpack round trips not exact", "roundtrip_mismatch",
                      (double)mismatched, 0, 0, "count");
    fail |= check_add(c, "quant", "zero-point traps (v1 wraps, off by one)", "zero_traps", (double)traps,
                      0, 0, "count");
    return fail;
}

static void print_tolerances(FILE *out, const struct quant_config *cfg)
{
    for (int mode = 0; mode < 2; mode++) {
        const struct kernel_tolerance *t = &cfg->kernels.tol[mode];
        const char *k = t->per_sqrt_k ? " x sqrt(K)" : "";
        fprintf(out, "  bounds, %s accumulation: max|y - y64| <= %.3g%s, mean|y - y64|/mean|y64| <= %.3g%s\n",
                accum_mode_name((enum accum_mode)mode), t->max_abs, k, t->rel_mean, k);
    }
}

static int kernel_checks(const struct quant_config *cfg, const struct quant_kernel_record *r, size_t n,
                         struct check_list *c)
{
    if (!n)
        return 0;
    int fail = 0;
    for (int mode = 0; mode < 2; mode++) {
        /* each case against its own bound (it may scale with sqrt(K)) */
        double max_abs = 0, rel = 0;
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (!strcmp(r[i].accum, accum_mode_name((enum accum_mode)mode))) {
                double a = r[i].max_abs_diff / r[i].tol_max_abs, b = r[i].rel_mean_diff / r[i].tol_rel_mean;
                max_abs = isnan(a) || a > max_abs ? a : max_abs;
                rel = isnan(b) || b > rel ? b : rel;
                m++;
            }
        if (!m)
            continue;
        char name[64];
        const char *mn = accum_mode_name((enum accum_mode)mode);
        snprintf(name, sizeof name, "%s-accumulation max|y - y64| / bound, worst", mn);
        fail |= check_add(c, "quant", name, "kernel_max_abs", max_abs, -INFINITY, 1, "x");
        snprintf(name, sizeof name, "%s-accumulation rel. mean error / bound, worst", mn);
        fail |= check_add(c, "quant", name, "kernel_rel_mean", rel, -INFINITY, 1, "x");
    }
    double dq = 0;
    int64_t degenerate = 0;
    double *ratios = malloc(3 * n * sizeof *ratios);
    if (!ratios)
        return -1;
    for (size_t i = 0; i < n; i++) {
        dq = isnan(r[i].dequant_max_abs_diff) || r[i].dequant_max_abs_diff > dq ? r[i].dequant_max_abs_diff : dq;
        degenerate += r[i].degenerate;
        ratios[i] = r[i].validation_ratio;
        ratios[n + i] = r[i].act_order_ratio;
        ratios[2 * n + i] = r[i].zeros_v1_ratio;
    }
    fail |= check_add(c, "quant", "fp32 dequantization vs fp64, max (exact)", "dequant_max_abs", dq, -INFINITY,
                      cfg->kernels.dequant_max_abs, "");
    fail |= check_add(c, "quant", "degenerate kernel outputs (all detectors)",
                      "degenerate", (double)degenerate, 0, 0, "count");
    /* medians over the cases: one noisy sub-millisecond timing must not decide */
    fail |= check_add(c, "quant", "time with output validation / without, median", "validation_overhead",
                      median_of(ratios, n), -INFINITY, cfg->bounds.validation_overhead, "x");
    fail |= check_add(c, "quant", "time with act-order g_idx / without, median", "act_order_overhead",
                      median_of(ratios + n, n), -INFINITY, cfg->bounds.act_order_overhead, "x");
    fail |= check_add(c, "quant", "time with v1 zeros / v2 zeros, median", "zeros_v1_overhead",
                      median_of(ratios + 2 * n, n), -INFINITY, cfg->bounds.zeros_v1_overhead, "x");
    free(ratios);
    return fail;
}

int quant_summarize(const void *vcfg, const void *const *records, const size_t *n, const struct report_opts *o,
                    struct check_list *checks)
{
    const struct quant_config *cfg = vcfg;
    const struct quant_layer_record *layers = records[0];
    const struct quant_kernel_record *kernels = records[1];
    print_layers(o->out, layers, n[0]);
    print_kernels(o->out, kernels, n[1]);
    if (n[1])
        print_tolerances(o->out, cfg);
    int fail = layer_checks(cfg, layers, n[0], checks, o->out);
    fail |= kernel_checks(cfg, kernels, n[1], checks);
    return fail ? FR_RUNTIME : FR_OK;
}
