/* The HuggingFace GPTQ tensor layout (AutoGPTQ / GPTQModel / transformers):
 *
 *   qweight int32 [in * bits / 32, out]  codes packed along the input dim
 *   qzeros  int32 [groups, out * bits / 32] zero points packed along the output dim
 *   scales  fp16  [groups, out]
 *   g_idx   int32 [in]                    group of each input column
 *
 * Each packed column is one little-endian bit stream: element j occupies bits
 * [b j, b j + b) counting from bit 0 of the first word, so 3-bit elements
 * straddle words exactly as AutoGPTQ's pack() places them (10 per word and
 * the 11th split across two words).
 *
 * Zero points: checkpoint_format "gptq" (v1) stores zero - 1, masked to
 * `bits`, and readers add 1 back; "gptq_v2" stores the true zero. A v1
 * zero of 0 is stored as -1 & mask (15 at 4 bits) and reads back as 16.
 *
 *   W[n, k] = scales[g_idx[k], n] * (q[k, n] - zero[g_idx[k], n])
 *
 * Pure: no I/O. */
#ifndef FIDRUN_GPTQ_PACK_H
#define FIDRUN_GPTQ_PACK_H

#include <stdint.h>

#include "core/quant/gptq.h"
#include "util/diag.h"

enum zero_format { ZEROS_V1, ZEROS_V2 };

struct gptq_packed {
    int bits;
    enum zero_format format;
    int64_t in, out, groups;
    int32_t *qweight; /* in * bits / 32 x out */
    int32_t *qzeros;  /* groups x out * bits / 32 */
    uint16_t *scales; /* groups x out, fp16 bits */
    int32_t *g_idx;   /* in */
};

/* Checks that in and out pack into whole int32 words at this width. */
int gptq_pack_check_shape(int bits, int64_t out, int64_t in, struct diag *d);

int gptq_packed_alloc(struct gptq_packed *p, int bits, int64_t out, int64_t in, int64_t groups);
void gptq_packed_free(struct gptq_packed *p);

/* Packs a quantized layer. v1_wrapped (may be NULL) counts zero points of 0
 * that v1 cannot store (they wrap to 2^bits - 1). */
int gptq_pack(const struct quantized *qz, enum zero_format format, struct gptq_packed *p, int64_t *v1_wrapped,
              struct diag *d);

/* The bit-stream primitives: value j of a stream of `bits`-bit values whose
 * consecutive 32-bit words lie `stride` words apart. */
uint32_t packed_get(const int32_t *words, int64_t stride, int bits, int64_t j);
void packed_put(int32_t *words, int64_t stride, int bits, int64_t j, uint32_t v);

/* A whole stream at once: values[0..n) to and from words (stride apart),
 * through a 64-bit buffer instead of a read-modify-write per value. */
void packed_write_stream(int32_t *words, int64_t stride, int bits, const int32_t *values, int64_t n);
void packed_read_stream(const int32_t *words, int64_t stride, int bits, int32_t *values, int64_t n);

/* Code of input k, output n. */
static inline int32_t gptq_code(const struct gptq_packed *p, int64_t k, int64_t n)
{
    return (int32_t)packed_get(p->qweight + n, p->out, p->bits, k);
}

/* Zero point of group g, output n, read in the given convention (v1 adds 1
 * back, so the result can be 2^bits). */
static inline int32_t gptq_zero(const struct gptq_packed *p, enum zero_format as, int64_t g, int64_t n)
{
    int64_t words = p->out * p->bits / 32;
    int32_t z = (int32_t)packed_get(p->qzeros + g * words, 1, p->bits, n);
    return as == ZEROS_V1 ? z + 1 : z;
}

/* Back to codes, scales (widened from fp16), zeros and g_idx. */
int gptq_unpack(const struct gptq_packed *p, enum zero_format as, struct quantized *qz, struct diag *d);

/* W (out x in, row-major) in float64, read value by value from the packed
 * tensors (slow; the tests check the streamed paths against it). */
void gptq_dequantize_f64(const struct gptq_packed *p, enum zero_format as, double *w);

/* What the zero points say about the convention they were written in. */
enum zero_diagnosis {
    ZD_CONSISTENT,      /* nothing suspicious */
    ZD_V2_READ_AS_V1,   /* symmetric zeros one above 2^(bits-1): v2 data read as v1 */
    ZD_V1_READ_AS_V2,   /* symmetric zeros one below 2^(bits-1): v1 data read as v2 */
    ZD_V1_WRAPPED,      /* v1 zeros of 2^bits: a zero point of 0 stored as -1 */
};

/* Reading as `as`; sym: the checkpoint claims symmetric quantization.
 * count (may be NULL) gets the number of suspicious zero points. */
enum zero_diagnosis gptq_zero_diagnose(const struct gptq_packed *p, enum zero_format as, int sym, int64_t *count);
const char *zero_diagnosis_text(enum zero_diagnosis z);
const char *zero_format_name(enum zero_format f);

#endif
