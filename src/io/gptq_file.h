/* A GPTQ layer in a .safetensors file as HF loaders (transformers/optimum,
 * AutoGPTQ, GPTQModel) find it: tensors <prefix>.qweight, .qzeros, .scales,
 * .g_idx; file metadata format=pt plus the quantization parameters; and a
 * quantize_config.json beside it for AutoGPTQ-style loaders. */
#ifndef FIDRUN_GPTQ_FILE_H
#define FIDRUN_GPTQ_FILE_H

#include "core/quant/gptq.h"
#include "core/quant/gptq_pack.h"
#include "io/safetensors.h"
#include "util/diag.h"

struct gptq_file_info {
    int bits;
    int64_t group_size;
    int desc_act, sym, static_groups;
    double damp_percent;
    enum zero_format format;
};

/* Writes path (and quantize_config.json in its folder when config_json). */
int gptq_file_write(const char *path, const char *prefix, const struct gptq_packed *p,
                    const struct gptq_file_info *info, int config_json, struct diag *d);

/* Reads <prefix>.* from path. The zero convention comes from the file's
 * checkpoint_format metadata unless `as` overrides it (-1: from the file;
 * files without it are v1, as loaders assume). */
int gptq_file_read(const char *path, const char *prefix, int as, struct gptq_packed *p, struct gptq_file_info *info,
                   struct diag *d);

/* t (<prefix>.<suffix>, looked up in `where`) present, of this dtype and
 * number of dimensions; else NULL, with an error naming where and what. */
const struct st_tensor *gptq_tensor_check(const char *where, const char *prefix, const char *suffix,
                                          const struct st_tensor *t, enum st_dtype dtype, int ndim, struct diag *d);

/* A layer's four tensors (qweight I32 2-D, qzeros I32 2-D, scales F16 2-D,
 * g_idx I32 1-D, dtypes checked by the caller), validated against each other
 * and copied into p; path and prefix name them in errors. */
int gptq_packed_from_tensors(const char *path, const char *prefix, const struct st_tensor *qw,
                             const struct st_tensor *qz, const struct st_tensor *sc, const struct st_tensor *gi,
                             enum zero_format format, struct gptq_packed *p, struct diag *d);

#endif
