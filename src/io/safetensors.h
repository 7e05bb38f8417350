/* safetensors files (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range, then the data. The reader maps the file and
 * validates every field before any tensor is touched; the writer builds the
 * header with jansson and renames a finished temporary file into place. */
#ifndef FIDRUN_SAFETENSORS_H
#define FIDRUN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

#define ST_MAX_DIMS 8
#define ST_MAX_HEADER (100u << 20) /* the reference implementation's limit */

enum st_dtype { ST_F64, ST_F32, ST_F16, ST_BF16, ST_I64, ST_I32, ST_I16, ST_I8, ST_U8, ST_BOOL, ST_DTYPE_COUNT };

struct st_tensor {
    char *name;
    enum st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    int64_t numel;
    const void *data; /* inside the mapping (reader) or the caller's buffer (writer) */
    size_t bytes;
};

struct st_meta {
    char *key, *value;
};

struct st_file {
    char *path;
    void *map;
    size_t size;
    struct st_tensor *tensors;
    size_t n;
    struct st_meta *meta;
    size_t nmeta;
};

const char *st_dtype_name(enum st_dtype t);
int st_dtype_floating(enum st_dtype t); /* F64, F32, F16, BF16: what st_to_f32 widens */
size_t st_dtype_size(enum st_dtype t);

/* Errors name the file and, where it applies, the tensor (exit code 2). */
int st_open(const char *path, struct st_file *f, struct diag *d);
/* The same on a file already open (it is closed, mapped or not); path names
 * it in messages. */
int st_open_fd(const char *path, int fd, struct st_file *f, struct diag *d);
void st_close(struct st_file *f);

const struct st_tensor *st_find(const struct st_file *f, const char *name);
const char *st_meta_get(const struct st_file *f, const char *key);

/* Widens a floating tensor (F64, F32, F16, BF16) to float32. */
int st_to_f32(const struct st_file *f, const struct st_tensor *t, float *out, struct diag *d);
/* The same for count elements from first_element on (a row block of a
 * row-major tensor), the non-finite count and place within them. */
int st_range_to_f32(const struct st_file *f, const struct st_tensor *t, int64_t first_element, int64_t count,
                    float *out, struct diag *d);

/* Writes tensors (name, dtype, ndim, shape, data, bytes used) and string
 * metadata in the order given. */
int st_write(const char *path, const struct st_tensor *t, size_t n, const struct st_meta *meta, size_t nmeta,
             struct diag *d);

/* The same a piece at a time, for data that arrives later than the header
 * (each rank's OSFT factors as its tasks finish): open writes the header of
 * the tensors t (their data unused) to PATH.tmp and sizes the file, with
 * each tensor's offset in offsets; put writes a tensor's bytes at its
 * offset; close syncs and renames the file into place; abort removes it. */
struct st_writer {
    int fd;
    char path[4096], tmp[4101];
    size_t data_start, bytes;
};
/* Where the data of a file with these tensors would start (the header's
 * size: 8 + its padded JSON) and each tensor's offset from there, as
 * st_writer_open lays it out: for ranks that write into a file another rank
 * opened. */
int st_header_layout(const struct st_tensor *t, size_t n, const struct st_meta *meta, size_t nmeta, size_t *offsets,
                     size_t *data_start, struct diag *d);
/* The temporary name st_writer_open writes under until st_writer_close renames it. */
void st_writer_tmp_name(const char *path, char *buf, size_t size);
int st_writer_open(struct st_writer *w, const char *path, const struct st_tensor *t, size_t n,
                   const struct st_meta *meta, size_t nmeta, size_t *offsets, struct diag *d);
int st_writer_put(struct st_writer *w, size_t offset, const void *data, size_t bytes, struct diag *d);
int st_writer_close(struct st_writer *w, struct diag *d);
void st_writer_abort(struct st_writer *w);

#endif
