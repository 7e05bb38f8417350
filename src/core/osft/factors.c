#include "core/osft/factors.h"

#include <string.h>

static size_t align_up(size_t x)
{
    return (x + FACTOR_ALIGN - 1) / FACTOR_ALIGN * FACTOR_ALIGN;
}

void factor_layout_of(int64_t m, int64_t n, enum dtype t, struct factor_layout *out)
{
    size_t e = dtype_size(t);
    int64_t big = m >= n ? m : n, k = m >= n ? n : m;
    out->big_rows = big;
    out->k = k;
    out->big = align_up(sizeof(struct factor_header));
    out->s = align_up(out->big + (size_t)big * (size_t)k * e);
    out->small = align_up(out->s + (size_t)k * e);
    out->bytes = align_up(out->small + (size_t)k * (size_t)k * e);
}

struct factor_header factor_header_make(int64_t m, int64_t n, enum dtype t, enum factor_part big,
                                        enum factor_part small, int driver)
{
    return (struct factor_header){.magic = FACTOR_MAGIC, .dtype = (int32_t)t, .m = m, .n = n,
                                  .k = m < n ? m : n, .big = big, .small = small, .driver = driver};
}

uint64_t factor_checksum(const void *buf, size_t bytes)
{
    const unsigned char *b = buf;
    uint64_t sum = 0;
    for (size_t i = 0; i < bytes / 8; i++) {
        uint64_t w;
        memcpy(&w, b + 8 * i, 8);
        sum += factor_mix(w ^ (FACTOR_GOLDEN * (uint64_t)i));
    }
    return sum;
}

/* Element (i, l) of U or (j, l) of V, from a region holding it as stored. */
static double factor_at(const struct factor_header *h, const unsigned char *region, enum factor_part part,
                        int64_t row, int64_t l)
{
    int64_t rows = part == FP_U || part == FP_UT ? h->m : h->n;
    size_t idx = part == FP_U || part == FP_V ? (size_t)(row + l * rows) : (size_t)(l + row * h->k);
    return h->dtype == DT_F32 ? (double)((const float *)region)[idx] : ((const double *)region)[idx];
}

static int is_u(int32_t p) { return p == FP_U || p == FP_UT; }

/* A buffer's header, checked, and where its U, S and V are. */
struct factor_view {
    struct factor_header h;
    struct factor_layout lay;
    const unsigned char *ur, *vr, *sr;
    enum factor_part up, vp;
};

static int factor_view_of(const void *buf, struct factor_view *v)
{
    struct factor_header h;
    memcpy(&h, buf, sizeof h);
    int parts_ok = h.big >= FP_U && h.big <= FP_VT && h.small >= FP_U && h.small <= FP_VT && is_u(h.big) != is_u(h.small);
    if (h.magic != FACTOR_MAGIC || (h.dtype != DT_F32 && h.dtype != DT_F64) || !parts_ok ||
        h.k != (h.m < h.n ? h.m : h.n))
        return -1;
    v->h = h;
    factor_layout_of(h.m, h.n, (enum dtype)h.dtype, &v->lay);
    const unsigned char *b = buf;
    v->ur = b + (is_u(h.big) ? v->lay.big : v->lay.small);
    v->vr = b + (is_u(h.big) ? v->lay.small : v->lay.big);
    v->sr = b + v->lay.s;
    v->up = (enum factor_part)(is_u(h.big) ? h.big : h.small);
    v->vp = (enum factor_part)(is_u(h.big) ? h.small : h.big);
    return 0;
}

static double sigma_at(const struct factor_view *v, int64_t l)
{
    return v->h.dtype == DT_F32 ? (double)((const float *)v->sr)[l] : ((const double *)v->sr)[l];
}

const char *osft_part_name(enum osft_part p)
{
    static const char *const names[] = {"osft_U_high", "osft_S_high", "osft_V_high",
                                        "osft_U_low",  "osft_S_low",  "osft_V_low"};
    return p < OP_COUNT ? names[p] : "?";
}

void osft_part_shape(int64_t m, int64_t n, int64_t ks, enum osft_part p, int64_t *rows, int64_t *cols)
{
    int64_t k = m < n ? m : n, r = p <= OP_V_HIGH ? ks : k - ks;
    *rows = p == OP_U_HIGH || p == OP_U_LOW ? m : r;
    *cols = p == OP_U_HIGH || p == OP_U_LOW ? r : p == OP_V_HIGH || p == OP_V_LOW ? n : 0;
}

int factor_part_extract(const void *buf, int64_t ks, enum osft_part p, float *dst)
{
    struct factor_view v;
    if (factor_view_of(buf, &v) || ks < 0 || ks > v.h.k || p >= OP_COUNT)
        return -1;
    int64_t rows, cols, first = p <= OP_V_HIGH ? 0 : ks; /* the singular directions the part holds */
    osft_part_shape(v.h.m, v.h.n, ks, p, &rows, &cols);
    if (p == OP_S_HIGH || p == OP_S_LOW) {
        for (int64_t l = 0; l < rows; l++)
            dst[l] = (float)sigma_at(&v, first + l);
    } else if (p == OP_U_HIGH || p == OP_U_LOW) {
        for (int64_t i = 0; i < rows; i++)
            for (int64_t l = 0; l < cols; l++)
                dst[i * cols + l] = (float)factor_at(&v.h, v.ur, v.up, i, first + l);
    } else { /* rows of V^T: (l, j) is V's (j, l) */
        for (int64_t l = 0; l < rows; l++)
            for (int64_t j = 0; j < cols; j++)
                dst[l * cols + j] = (float)factor_at(&v.h, v.vr, v.vp, j, first + l);
    }
    return 0;
}

int factor_rebuild(const void *buf, struct matrix *w)
{
    struct factor_view v;
    if (factor_view_of(buf, &v) || v.h.m != w->rows || v.h.n != w->cols || (int)w->dtype != v.h.dtype)
        return -1;
    struct factor_header h = v.h;
    struct factor_layout lay = v.lay;
    const unsigned char *b = buf, *ur = v.ur, *vr = v.vr;
    enum factor_part up = v.up, vp = v.vp;
    for (int64_t j = 0; j < h.n; j++)
        for (int64_t i = 0; i < h.m; i++) {
            double sum = 0;
            for (int64_t l = 0; l < h.k; l++) {
                double s = h.dtype == DT_F32 ? (double)((const float *)(b + lay.s))[l] : ((const double *)(b + lay.s))[l];
                sum += factor_at(&h, ur, up, i, l) * s * factor_at(&h, vr, vp, j, l);
            }
            mat_set(w, i, j, sum);
        }
    return 0;
}
