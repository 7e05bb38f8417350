#include "core/quant/gptq_pack.h"

#include <stdlib.h>

#include "core/half.h"
#include "core/quant/quantizer.h"

int gptq_pack_check_shape(int bits, int64_t out, int64_t in, struct diag *d)
{
    if (!quant_bits_supported(bits))
        return diag_fail(d, FR_USAGE, "bits must be 2, 3, 4 or 8, not %d", bits);
    /* 3-bit streams need 32 elements per 3 words; others 32/bits per word */
    int64_t per = bits == 3 ? 32 : 32 / bits;
    if (in % per)
        return diag_fail(d, FR_USAGE,
                         "%lld input columns do not pack into whole int32 words at %d bits (need a multiple of %lld)",
                         (long long)in, bits, (long long)per);
    if (out % per)
        return diag_fail(d, FR_USAGE,
                         "%lld output rows do not pack into whole qzeros words at %d bits (need a multiple of %lld)",
                         (long long)out, bits, (long long)per);
    return FR_OK;
}

int gptq_packed_alloc(struct gptq_packed *p, int bits, int64_t out, int64_t in, int64_t groups)
{
    *p = (struct gptq_packed){.bits = bits, .in = in, .out = out, .groups = groups};
    p->qweight = calloc((size_t)(in * bits / 32 * out), sizeof *p->qweight);
    p->qzeros = calloc((size_t)(groups * (out * bits / 32)), sizeof *p->qzeros);
    p->scales = malloc((size_t)(groups * out) * sizeof *p->scales);
    p->g_idx = malloc((size_t)in * sizeof *p->g_idx);
    if (p->qweight && p->qzeros && p->scales && p->g_idx)
        return 0;
    gptq_packed_free(p);
    return -1;
}

void gptq_packed_free(struct gptq_packed *p)
{
    free(p->qweight);
    free(p->qzeros);
    free(p->scales);
    free(p->g_idx);
    p->qweight = p->qzeros = p->g_idx = NULL;
    p->scales = NULL;
}

uint32_t packed_get(const int32_t *words, int64_t stride, int bits, int64_t j)
{
    int64_t bit = (int64_t)bits * j, w = bit / 32;
    int off = (int)(bit % 32);
    uint32_t v = (uint32_t)words[w * stride] >> off;
    if (off + bits > 32)
        v |= (uint32_t)words[(w + 1) * stride] << (32 - off);
    return v & (uint32_t)quant_maxq(bits);
}

void packed_put(int32_t *words, int64_t stride, int bits, int64_t j, uint32_t v)
{
    int64_t bit = (int64_t)bits * j, w = bit / 32;
    int off = (int)(bit % 32);
    uint32_t mask = (uint32_t)quant_maxq(bits);
    v &= mask;
    uint32_t *lo = (uint32_t *)&words[w * stride];
    *lo = (*lo & ~(mask << off)) | (v << off);
    if (off + bits > 32) {
        uint32_t *hi = (uint32_t *)&words[(w + 1) * stride];
        int spill = off + bits - 32;
        uint32_t hmask = (1u << spill) - 1u;
        *hi = (*hi & ~hmask) | (v >> (32 - off));
    }
}

void packed_write_stream(int32_t *words, int64_t stride, int bits, const int32_t *values, int64_t n)
{
    uint64_t buf = 0, mask = (uint64_t)quant_maxq(bits);
    int have = 0;
    int64_t w = 0;
    for (int64_t j = 0; j < n; j++) {
        buf |= ((uint64_t)(uint32_t)values[j] & mask) << have;
        have += bits;
        if (have >= 32) {
            words[w++ * stride] = (int32_t)(uint32_t)buf;
            buf >>= 32;
            have -= 32;
        }
    }
    if (have)
        words[w * stride] = (int32_t)(uint32_t)buf;
}

void packed_read_stream(const int32_t *words, int64_t stride, int bits, int32_t *values, int64_t n)
{
    uint64_t buf = 0, mask = (uint64_t)quant_maxq(bits);
    int have = 0;
    int64_t w = 0;
    for (int64_t j = 0; j < n; j++) {
        if (have < bits) {
            buf |= (uint64_t)(uint32_t)words[w++ * stride] << have;
            have += 32;
        }
        values[j] = (int32_t)(buf & mask);
        buf >>= bits;
        have -= bits;
    }
}

int gptq_pack(const struct quantized *qz, enum zero_format format, struct gptq_packed *p, int64_t *v1_wrapped,
              struct diag *d)
{
    int rc = gptq_pack_check_shape(qz->bits, qz->out, qz->in, d);
    if (rc)
        return rc;
    if (gptq_packed_alloc(p, qz->bits, qz->out, qz->in, qz->groups))
        return diag_fail(d, FR_RUNTIME, "out of memory for packed tensors");
    p->format = format;
    int32_t maxq = quant_maxq(qz->bits);
    int64_t wrapped = 0, zwords = qz->out * qz->bits / 32;
    int32_t *zrow = malloc((size_t)qz->out * sizeof *zrow);
    if (!zrow) {
        gptq_packed_free(p);
        return diag_fail(d, FR_RUNTIME, "out of memory for packed tensors");
    }
    for (int64_t n = 0; n < qz->out; n++) {
        const int32_t *row = qz->q + n * qz->in;
        for (int64_t k = 0; k < qz->in; k++)
            if (row[k] < 0 || row[k] > maxq) {
                free(zrow);
                gptq_packed_free(p);
                return diag_fail(d, FR_RUNTIME, "code %d at row %lld, column %lld is outside [0, %d]", row[k],
                                 (long long)n, (long long)k, maxq);
            }
        packed_write_stream(p->qweight + n, qz->out, qz->bits, row, qz->in);
    }
    for (int64_t g = 0; g < qz->groups; g++) {
        for (int64_t n = 0; n < qz->out; n++) {
            int32_t z = (int32_t)qz->zero[g * qz->out + n];
            if (format == ZEROS_V1) {
                wrapped += z == 0;
                z -= 1; /* -1 is masked to 2^bits - 1 */
            }
            zrow[n] = z;
            p->scales[g * qz->out + n] = half_bits(qz->scale[g * qz->out + n]);
        }
        packed_write_stream(p->qzeros + g * zwords, 1, qz->bits, zrow, qz->out);
    }
    free(zrow);
    for (int64_t k = 0; k < qz->in; k++)
        p->g_idx[k] = qz->g_idx[k];
    if (v1_wrapped)
        *v1_wrapped = wrapped;
    return FR_OK;
}

int gptq_unpack(const struct gptq_packed *p, enum zero_format as, struct quantized *qz, struct diag *d)
{
    if (quantized_alloc(qz, p->out, p->in, p->groups, p->bits))
        return diag_fail(d, FR_RUNTIME, "out of memory for unpacked tensors");
    for (int64_t k = 0; k < p->in; k++) {
        if (p->g_idx[k] < 0 || p->g_idx[k] >= p->groups) {
            quantized_free(qz);
            return diag_fail(d, FR_USAGE, "g_idx[%lld] = %d is outside [0, %lld)", (long long)k, p->g_idx[k],
                             (long long)p->groups);
        }
        qz->g_idx[k] = p->g_idx[k];
    }
    for (int64_t n = 0; n < p->out; n++)
        packed_read_stream(p->qweight + n, p->out, p->bits, qz->q + n * p->in, p->in);
    int64_t zwords = p->out * p->bits / 32;
    for (int64_t g = 0; g < p->groups; g++) {
        for (int64_t n = 0; n < p->out; n++)
            qz->scale[g * p->out + n] = half_value(p->scales[g * p->out + n]);
        int32_t zero_codes[64];
        for (int64_t n0 = 0; n0 < p->out; n0 += 64) { /* 64 values = whole words at every width */
            int64_t cnt = p->out - n0 < 64 ? p->out - n0 : 64;
            packed_read_stream(p->qzeros + g * zwords + n0 * p->bits / 32, 1, p->bits, zero_codes, cnt);
            for (int64_t j = 0; j < cnt; j++)
                qz->zero[g * p->out + n0 + j] = (float)(as == ZEROS_V1 ? zero_codes[j] + 1 : zero_codes[j]);
        }
    }
    return FR_OK;
}

void gptq_dequantize_f64(const struct gptq_packed *p, enum zero_format as, double *w)
{
    for (int64_t k = 0; k < p->in; k++) {
        int64_t g = p->g_idx[k];
        for (int64_t n = 0; n < p->out; n++)
            w[n * p->in + k] = (double)half_value(p->scales[g * p->out + n]) *
                               (double)(gptq_code(p, k, n) - gptq_zero(p, as, g, n));
    }
}

enum zero_diagnosis gptq_zero_diagnose(const struct gptq_packed *p, enum zero_format as, int sym, int64_t *count)
{
    int32_t mid = 1 << (p->bits - 1), top = 1 << p->bits;
    int64_t wrapped = 0, above = 0, below = 0, off_mid = 0, total = p->groups * p->out;
    for (int64_t g = 0; g < p->groups; g++)
        for (int64_t n = 0; n < p->out; n++) {
            int32_t z = gptq_zero(p, as, g, n);
            wrapped += z == top;
            above += z == mid + 1;
            below += z == mid - 1;
            off_mid += z != mid;
        }
    enum zero_diagnosis r = ZD_CONSISTENT;
    int64_t c = 0;
    if (wrapped) {
        r = ZD_V1_WRAPPED;
        c = wrapped;
    } else if (sym && total && above == total) {
        r = ZD_V2_READ_AS_V1;
        c = above;
    } else if (sym && total && below == total) {
        r = ZD_V1_READ_AS_V2;
        c = below;
    } else if (sym) {
        c = off_mid;
    }
    if (count)
        *count = c;
    return r;
}

const char *zero_diagnosis_text(enum zero_diagnosis z)
{
    switch (z) {
    case ZD_V2_READ_AS_V1:
        return "every symmetric zero point is 2^(bits-1)+1: a gptq_v2 checkpoint read as v1 (zeros off by one)";
    case ZD_V1_READ_AS_V2:
        return "every symmetric zero point is 2^(bits-1)-1: a v1 checkpoint read as gptq_v2 (zeros off by one)";
    case ZD_V1_WRAPPED:
        return "zero points of 2^bits: asymmetric zero 0 stored as -1 in v1 wrapped around (save as gptq_v2)";
    default:
        return "zero points consistent with the declared format";
    }
}

const char *zero_format_name(enum zero_format f) { return f == ZEROS_V1 ? "gptq" : "gptq_v2"; }
