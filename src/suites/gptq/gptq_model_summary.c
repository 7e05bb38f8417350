/* Rank 0's view of a quantized checkpoint: each target's worst error and
 * mean SQNR, what was copied and sharded, and the checks. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plugin/checks.h"
#include "suites/gptq/gptq_model_impl.h"

#define SUMMARY_TARGETS 32

struct target_row {
    char label[48];
    size_t n;
    int32_t rows, cols;
    double worst_err, sum_sqnr, worst_seconds;
};

int gptq_model_summarize(const void *vcfg, const void *const *records, const size_t *counts,
                         const struct report_opts *o, struct check_list *checks)
{
    const struct gptq_model_config *cfg = vcfg;
    const struct gptq_layer_row *r = records[GPTQ_TABLE_LAYERS];
    const struct gptq_copy_row *c = records[GPTQ_TABLE_COPIES];
    const struct gptq_shard_row *sh = records[2];
    size_t n = counts[GPTQ_TABLE_LAYERS], nc = counts[GPTQ_TABLE_COPIES], ns = counts[2];
    struct target_row t[SUMMARY_TARGETS] = {0};
    size_t nt = 0;
    int64_t bad_roundtrip = 0, nonfinite = 0, wrapped = 0;
    double worst = 0, copied = 0, written = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < nt && strcmp(t[k].label, r[i].target))
            k++;
        if (k == nt && nt < SUMMARY_TARGETS)
            snprintf(t[nt++].label, sizeof t[0].label, "%s", r[i].target);
        else if (k == nt)
            k = nt - 1;
        t[k].n++;
        t[k].rows = r[i].rows;
        t[k].cols = r[i].cols;
        if (!(r[i].rel_out_err <= t[k].worst_err)) /* NaN surfaces */
            t[k].worst_err = r[i].rel_out_err;
        t[k].sum_sqnr += r[i].sqnr_db;
        t[k].worst_seconds = fmax(t[k].worst_seconds, r[i].quant_seconds);
        bad_roundtrip += !r[i].roundtrip_ok;
        nonfinite += r[i].nan_count + r[i].inf_count;
        wrapped += r[i].v1_wrapped;
        if (!(r[i].rel_out_err <= worst))
            worst = r[i].rel_out_err;
    }
    for (size_t i = 0; i < nc; i++)
        copied += c[i].bytes;
    FILE *out = o->out;
    if (out) {
        fprintf(out, "GPTQ checkpoint · %zu linears · %s %d-bit · checkpoint_format %s\n", n,
                cfg->method == GM_GPTQ ? "GPTQ" : "RTN", cfg->spec.bits, zero_format_name((enum zero_format)cfg->format));
        fprintf(out, "  %-24s %-11s %4s %13s %10s %10s\n", "target", "shape", "n", "worst rel.err", "mean SQNR",
                "worst s");
        for (size_t k = 0; k < nt; k++) {
            char shape[32];
            snprintf(shape, sizeof shape, "%d×%d", t[k].rows, t[k].cols);
            fprintf(out, "  %-24s %-11s %4zu %13.3e %7.2f dB %10.3f\n", t[k].label, shape, t[k].n, t[k].worst_err,
                    t[k].sum_sqnr / (double)t[k].n, t[k].worst_seconds);
        }
        for (size_t i = 0; i < ns; i++)
            written += sh[i].bytes;
        fprintf(out, "  %zu tensors copied as they are (%.1f MB) · %.1f MB written in %zu shard%s · %s\n", nc,
                copied / 1e6, written / 1e6, ns, ns == 1 ? "" : "s", cfg->out);
        if (wrapped)
            fprintf(out, "  warning: %lld zero points of 0 wrap in v1 and read back as %d: use format: gptq_v2\n",
                    (long long)wrapped, 1 << cfg->spec.bits);
    }
    int rc = check_add(checks, "gptq", "layers whose packed tensors do not read back exactly", "roundtrip_failures",
                       (double)bad_roundtrip, 0, 0, "count");
    if (!rc)
        rc = check_add(checks, "gptq", "NaN/Inf in quantized layer outputs", "nonfinite_outputs", (double)nonfinite, 0,
                       0, "count");
    if (!rc)
        rc = check_add(checks, "gptq", "v1 zero points that wrap (read back one step off)", "v1_wrapped",
                       (double)wrapped, 0, 0, "count");
    if (!rc)
        rc = check_add(checks, "gptq", "relative output error, worst layer", "rel_out_err", worst, -INFINITY,
                       cfg->spec.bits >= 4 ? 0.5 : 1.0, "");
    return rc;
}
