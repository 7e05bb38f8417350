#include "io/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/half.h"

static const struct {
    const char *name;
    size_t size;
} dtypes[ST_DTYPE_COUNT] = {
    [ST_F64] = {"F64", 8}, [ST_F32] = {"F32", 4}, [ST_F16] = {"F16", 2}, [ST_BF16] = {"BF16", 2},
    [ST_I64] = {"I64", 8}, [ST_I32] = {"I32", 4}, [ST_I16] = {"I16", 2}, [ST_I8] = {"I8", 1},
    [ST_U8] = {"U8", 1},   [ST_BOOL] = {"BOOL", 1},
};

const char *st_dtype_name(enum st_dtype t) { return dtypes[t].name; }
size_t st_dtype_size(enum st_dtype t) { return dtypes[t].size; }

static int dtype_parse(const char *s, enum st_dtype *t)
{
    for (int i = 0; i < ST_DTYPE_COUNT; i++)
        if (strcmp(s, dtypes[i].name) == 0) {
            *t = (enum st_dtype)i;
            return 0;
        }
    return -1;
}

void st_close(struct st_file *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->tensors[i].name);
    for (size_t i = 0; i < f->nmeta; i++) {
        free(f->meta[i].key);
        free(f->meta[i].value);
    }
    free(f->tensors);
    free(f->meta);
    if (f->map)
        munmap(f->map, f->size);
    free(f->path);
    *f = (struct st_file){0};
}

static int bad(struct st_file *f, struct diag *d, const char *tensor, const char *what)
{
    int rc = tensor ? diag_fail(d, FR_USAGE, "%s: tensor '%s': %s", f->path, tensor, what)
                    : diag_fail(d, FR_USAGE, "%s: %s", f->path, what);
    st_close(f);
    return rc;
}

static int parse_tensor(struct st_file *f, const char *name, json_t *v, const unsigned char *data, size_t data_size,
                        struct st_tensor *t, struct diag *d)
{
    char why[256];
    json_t *dt = json_object_get(v, "dtype"), *shape = json_object_get(v, "shape"),
           *offs = json_object_get(v, "data_offsets");
    if (!json_is_object(v))
        return bad(f, d, name, "entry is not a JSON object");
    if (!json_is_string(dt) || dtype_parse(json_string_value(dt), &t->dtype)) {
        snprintf(why, sizeof why, "dtype %s is not one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL",
                 json_is_string(dt) ? json_string_value(dt) : "(missing or not a string)");
        return bad(f, d, name, why);
    }
    if (!json_is_array(shape) || json_array_size(shape) > ST_MAX_DIMS)
        return bad(f, d, name, "shape is missing, not an array, or has more than 8 dimensions");
    t->ndim = (int)json_array_size(shape);
    t->numel = 1;
    for (int i = 0; i < t->ndim; i++) {
        json_t *e = json_array_get(shape, (size_t)i);
        if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > ((int64_t)1 << 40))
            return bad(f, d, name, "shape has an entry that is not a non-negative integer");
        t->shape[i] = json_integer_value(e);
        if (t->shape[i] && t->numel > INT64_MAX / 16 / t->shape[i])
            return bad(f, d, name, "shape is absurdly large");
        t->numel *= t->shape[i];
    }
    if (!json_is_array(offs) || json_array_size(offs) != 2 || !json_is_integer(json_array_get(offs, 0)) ||
        !json_is_integer(json_array_get(offs, 1)))
        return bad(f, d, name, "data_offsets is not a pair of integers");
    json_int_t b = json_integer_value(json_array_get(offs, 0)), e = json_integer_value(json_array_get(offs, 1));
    if (b < 0 || e < b || (uint64_t)e > data_size) {
        snprintf(why, sizeof why, "data_offsets [%lld, %lld] lie outside the %zu data bytes", (long long)b,
                 (long long)e, data_size);
        return bad(f, d, name, why);
    }
    if ((uint64_t)(e - b) != (uint64_t)t->numel * st_dtype_size(t->dtype)) {
        snprintf(why, sizeof why, "shape and dtype %s need %lld bytes but data_offsets span %lld",
                 st_dtype_name(t->dtype), (long long)t->numel * (long long)st_dtype_size(t->dtype),
                 (long long)(e - b));
        return bad(f, d, name, why);
    }
    t->data = data + b;
    t->bytes = (size_t)(e - b);
    return FR_OK;
}

static int by_offset(const void *a, const void *b)
{
    const struct st_tensor *x = a, *y = b;
    const char *p = x->data, *q = y->data;
    return (p > q) - (p < q);
}

int st_open(const char *path, struct st_file *f, struct diag *d)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *f = (struct st_file){0};
        return diag_fail(d, FR_USAGE, "%s: cannot open: %s", path, strerror(errno));
    }
    return st_open_fd(path, fd, f, d);
}

int st_open_fd(const char *path, int fd, struct st_file *f, struct diag *d)
{
    *f = (struct st_file){.path = strdup(path)};
    if (!f->path) {
        close(fd);
        return diag_fail(d, FR_RUNTIME, "out of memory");
    }
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        int rc = fstat(fd, &sb) ? diag_fail(d, FR_USAGE, "%s: cannot open: %s", path, strerror(errno))
                                : diag_fail(d, FR_USAGE, "%s: not a regular file", path);
        close(fd);
        st_close(f);
        return rc;
    }
    f->size = (size_t)sb.st_size;
    if (f->size < 8) {
        close(fd);
        return bad(f, d, NULL, "too short to be a safetensors file (under 8 bytes)");
    }
    f->map = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (f->map == MAP_FAILED) {
        f->map = NULL;
        return bad(f, d, NULL, "cannot be mapped into memory");
    }
    const unsigned char *base = f->map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | base[i];
    char why[256];
    if (hlen > ST_MAX_HEADER || hlen > f->size - 8) {
        snprintf(why, sizeof why, "header length %llu is larger than the file (%zu bytes) or than 100 MiB",
                 (unsigned long long)hlen, f->size);
        return bad(f, d, NULL, why);
    }
    json_error_t je;
    json_t *root = json_loadb((const char *)base + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(why, sizeof why, "header is not valid JSON: %s (at byte %d)", je.text, je.position);
        return bad(f, d, NULL, why);
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return bad(f, d, NULL, "header is not a JSON object");
    }
    size_t count = json_object_size(root);
    f->tensors = calloc(count ? count : 1, sizeof *f->tensors);
    if (!f->tensors) {
        json_decref(root);
        return bad(f, d, NULL, "out of memory");
    }
    const unsigned char *data = base + 8 + hlen;
    size_t data_size = f->size - 8 - (size_t)hlen;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "__metadata__") == 0) {
            if (!json_is_object(v)) {
                json_decref(root);
                return bad(f, d, NULL, "__metadata__ is not an object of strings");
            }
            if (!(f->meta = calloc(json_object_size(v) + 1, sizeof *f->meta))) {
                json_decref(root);
                return bad(f, d, NULL, "out of memory");
            }
            const char *mk;
            json_t *mv;
            json_object_foreach(v, mk, mv)
            {
                if (!json_is_string(mv)) {
                    snprintf(why, sizeof why, "__metadata__ value of '%s' is not a string", mk);
                    json_decref(root); /* mk lives in root: the message first */
                    return bad(f, d, NULL, why);
                }
                f->meta[f->nmeta].key = strdup(mk);
                f->meta[f->nmeta++].value = strdup(json_string_value(mv));
            }
            continue;
        }
        struct st_tensor *t = &f->tensors[f->n];
        if (!(t->name = strdup(key))) {
            json_decref(root);
            return bad(f, d, NULL, "out of memory");
        }
        f->n++;
        char keep[200];
        snprintf(keep, sizeof keep, "%s", key);
        if (parse_tensor(f, keep, v, data, data_size, t, d)) {
            json_decref(root);
            return d->code;
        }
    }
    json_decref(root);
    struct st_tensor *sorted = malloc((f->n ? f->n : 1) * sizeof *sorted);
    if (!sorted)
        return bad(f, d, NULL, "out of memory");
    memcpy(sorted, f->tensors, f->n * sizeof *sorted);
    qsort(sorted, f->n, sizeof *sorted, by_offset);
    for (size_t i = 1; i < f->n; i++)
        if ((const char *)sorted[i - 1].data + sorted[i - 1].bytes > (const char *)sorted[i].data &&
            sorted[i].bytes && sorted[i - 1].bytes) {
            snprintf(why, sizeof why, "byte range overlaps that of tensor '%s'", sorted[i - 1].name);
            char name[200];
            snprintf(name, sizeof name, "%s", sorted[i].name);
            free(sorted);
            return bad(f, d, name, why);
        }
    free(sorted);
    return FR_OK;
}

const struct st_tensor *st_find(const struct st_file *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->tensors[i].name, name) == 0)
            return &f->tensors[i];
    return NULL;
}

const char *st_meta_get(const struct st_file *f, const char *key)
{
    for (size_t i = 0; i < f->nmeta; i++)
        if (strcmp(f->meta[i].key, key) == 0)
            return f->meta[i].value;
    return NULL;
}

int st_dtype_floating(enum st_dtype t) { return t == ST_F64 || t == ST_F32 || t == ST_F16 || t == ST_BF16; }

int st_to_f32(const struct st_file *f, const struct st_tensor *t, float *out, struct diag *d)
{
    return st_range_to_f32(f, t, 0, t->numel, out, d);
}

int st_range_to_f32(const struct st_file *f, const struct st_tensor *t, int64_t first_element, int64_t count,
                    float *out, struct diag *d)
{
    const unsigned char *p = (const unsigned char *)t->data + (size_t)first_element * st_dtype_size(t->dtype);
    for (int64_t i = 0; i < count; i++) {
        switch (t->dtype) {
        case ST_F32:
            memcpy(&out[i], p + 4 * i, 4);
            break;
        case ST_F64: {
            double v;
            memcpy(&v, p + 8 * i, 8);
            out[i] = (float)v;
            break;
        }
        case ST_F16:
        case ST_BF16: {
            uint16_t b;
            memcpy(&b, p + 2 * i, 2);
            out[i] = t->dtype == ST_F16 ? half_value(b) : bf16_value(b);
            break;
        }
        default:
            return diag_fail(d, FR_USAGE, "%s: tensor '%s' has dtype %s; a floating dtype (F64, F32, F16, BF16) "
                                          "is needed", f->path, t->name, st_dtype_name(t->dtype));
        }
    }
    /* Non-finite inputs are reported here, per tensor, and never reach a
     * fidelity figure or a mean (an F64 beyond float32's range counts as infinite). */
    int64_t nans = 0, infs = 0, first = -1;
    for (int64_t i = 0; i < count; i++)
        if (!isfinite(out[i])) {
            nans += isnan(out[i]) != 0;
            infs += isinf(out[i]) != 0;
            if (first < 0)
                first = first_element + i;
        }
    if (first >= 0) {
        char at[96];
        if (t->ndim == 2)
            snprintf(at, sizeof at, "row %lld, column %lld", (long long)(first / t->shape[1]),
                     (long long)(first % t->shape[1]));
        else
            snprintf(at, sizeof at, "element %lld", (long long)first);
        return diag_fail(d, FR_USAGE, "%s: tensor '%s' has %lld non-finite value%s (%lld NaN, %lld infinite), the "
                                      "first at %s: fidrun measures against finite weights and activations only",
                         f->path, t->name, (long long)(nans + infs), nans + infs == 1 ? "" : "s", (long long)nans,
                         (long long)infs, at);
    }
    return FR_OK;
}

/* The header's JSON (malloc'd) and each tensor's offset from the data's start. */
static char *header_json(const struct st_tensor *t, size_t n, const struct st_meta *meta, size_t nmeta,
                         size_t *offsets, size_t *data_bytes)
{
    json_t *root = json_object();
    size_t offset = 0;
    if (nmeta) {
        json_t *m = json_object();
        for (size_t i = 0; i < nmeta; i++)
            json_object_set_new(m, meta[i].key, json_string(meta[i].value));
        json_object_set_new(root, "__metadata__", m);
    }
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_object(), *shape = json_array();
        for (int k = 0; k < t[i].ndim; k++)
            json_array_append_new(shape, json_integer(t[i].shape[k]));
        json_object_set_new(e, "dtype", json_string(st_dtype_name(t[i].dtype)));
        json_object_set_new(e, "shape", shape);
        json_object_set_new(e, "data_offsets",
                            json_pack("[I, I]", (json_int_t)offset, (json_int_t)(offset + t[i].bytes)));
        json_object_set_new(root, t[i].name, e);
        if (offsets)
            offsets[i] = offset;
        offset += t[i].bytes;
    }
    char *header = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    *data_bytes = offset;
    return header;
}

/* data starts 8-aligned after the length word, the header padded with spaces */
static size_t padded_length(size_t hlen) { return (hlen + 7) / 8 * 8; }

int st_header_layout(const struct st_tensor *t, size_t n, const struct st_meta *meta, size_t nmeta, size_t *offsets,
                     size_t *data_start, struct diag *d)
{
    size_t data_bytes;
    char *header = header_json(t, n, meta, nmeta, offsets, &data_bytes);
    if (!header)
        return diag_fail(d, FR_RUNTIME, "out of memory for a safetensors header");
    *data_start = 8 + padded_length(strlen(header));
    free(header);
    return FR_OK;
}

void st_writer_tmp_name(const char *path, char *buf, size_t size) { snprintf(buf, size, "%s.tmp", path); }

int st_writer_open(struct st_writer *w, const char *path, const struct st_tensor *t, size_t n,
                   const struct st_meta *meta, size_t nmeta, size_t *offsets, struct diag *d)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    if (snprintf(w->path, sizeof w->path, "%s", path) >= (int)sizeof w->path || strlen(path) + 5 > sizeof w->tmp)
        return diag_fail(d, FR_RUNTIME, "%s: path too long", path);
    st_writer_tmp_name(path, w->tmp, sizeof w->tmp);
    size_t data_bytes;
    char *header = header_json(t, n, meta, nmeta, offsets, &data_bytes);
    if (!header)
        return diag_fail(d, FR_RUNTIME, "%s: out of memory for the header", path);
    size_t hlen = strlen(header), padded = padded_length(hlen);
    w->data_start = 8 + padded;
    w->bytes = w->data_start + data_bytes;
    if ((w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
        free(header);
        return diag_fail(d, FR_RUNTIME, "%s: cannot create: %s", w->tmp, strerror(errno));
    }
    unsigned char *head = malloc(w->data_start);
    int ok = head != NULL;
    if (ok) {
        for (int i = 0; i < 8; i++)
            head[i] = (unsigned char)(padded >> (8 * i));
        memcpy(head + 8, header, hlen);
        memset(head + 8 + hlen, ' ', padded - hlen);
        ok = pwrite(w->fd, head, w->data_start, 0) == (ssize_t)w->data_start && ftruncate(w->fd, (off_t)w->bytes) == 0;
    }
    free(head);
    free(header);
    if (!ok) {
        int rc = diag_fail(d, FR_RUNTIME, "%s: cannot write: %s", w->tmp, strerror(errno));
        st_writer_abort(w);
        return rc;
    }
    return FR_OK;
}

int st_writer_put(struct st_writer *w, size_t offset, const void *data, size_t bytes, struct diag *d)
{
    const char *p = data;
    size_t at = w->data_start + offset;
    if (at + bytes > w->bytes)
        return diag_fail(d, FR_RUNTIME, "%s: a tensor written past the end its header gives", w->tmp);
    while (bytes) {
        ssize_t got = pwrite(w->fd, p, bytes, (off_t)at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return diag_fail(d, FR_RUNTIME, "%s: cannot write: %s", w->tmp, got < 0 ? strerror(errno) : "no space");
        p += got;
        at += (size_t)got;
        bytes -= (size_t)got;
    }
    return FR_OK;
}

int st_writer_close(struct st_writer *w, struct diag *d)
{
    int ok = fsync(w->fd) == 0;
    ok = close(w->fd) == 0 && ok;
    w->fd = -1;
    if (!ok || rename(w->tmp, w->path)) {
        int rc = diag_fail(d, FR_RUNTIME, "%s: cannot write: %s", w->path, strerror(errno));
        unlink(w->tmp);
        return rc;
    }
    return FR_OK;
}

void st_writer_abort(struct st_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    unlink(w->tmp);
}

int st_write(const char *path, const struct st_tensor *t, size_t n, const struct st_meta *meta, size_t nmeta,
             struct diag *d)
{
    struct st_writer w;
    size_t *offsets = malloc((n ? n : 1) * sizeof *offsets);
    if (!offsets)
        return diag_fail(d, FR_RUNTIME, "%s: out of memory", path);
    int rc = st_writer_open(&w, path, t, n, meta, nmeta, offsets, d);
    for (size_t i = 0; !rc && i < n; i++)
        if (t[i].bytes) /* an empty tensor may have no data */
            rc = st_writer_put(&w, offsets[i], t[i].data, t[i].bytes, d);
    free(offsets);
    if (rc) {
        st_writer_abort(&w);
        return rc;
    }
    return st_writer_close(&w, d);
}
