#include "io/gptq_file.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"

static void fmt_int(char *buf, size_t size, int64_t v) { snprintf(buf, size, "%lld", (long long)v); }

int gptq_file_write(const char *path, const char *prefix, const struct gptq_packed *p,
                    const struct gptq_file_info *info, int config_json, struct diag *d)
{
    char names[4][300];
    snprintf(names[0], sizeof names[0], "%s.qweight", prefix);
    snprintf(names[1], sizeof names[1], "%s.qzeros", prefix);
    snprintf(names[2], sizeof names[2], "%s.scales", prefix);
    snprintf(names[3], sizeof names[3], "%s.g_idx", prefix);
    int64_t words = p->in * p->bits / 32, zwords = p->out * p->bits / 32;
    struct st_tensor t[4] = {
        {.name = names[0], .dtype = ST_I32, .ndim = 2, .shape = {words, p->out}, .data = p->qweight,
         .bytes = (size_t)(words * p->out) * 4},
        {.name = names[1], .dtype = ST_I32, .ndim = 2, .shape = {p->groups, zwords}, .data = p->qzeros,
         .bytes = (size_t)(p->groups * zwords) * 4},
        {.name = names[2], .dtype = ST_F16, .ndim = 2, .shape = {p->groups, p->out}, .data = p->scales,
         .bytes = (size_t)(p->groups * p->out) * 2},
        {.name = names[3], .dtype = ST_I32, .ndim = 1, .shape = {p->in}, .data = p->g_idx, .bytes = (size_t)p->in * 4},
    };
    char bits[16], group[32], damp[32];
    fmt_int(bits, sizeof bits, info->bits);
    fmt_int(group, sizeof group, info->group_size);
    snprintf(damp, sizeof damp, "%g", info->damp_percent);
    struct st_meta meta[] = {
        {"format", "pt"},
        {"quant_method", "gptq"},
        {"checkpoint_format", (char *)zero_format_name(info->format)},
        {"bits", bits},
        {"group_size", group},
        {"desc_act", info->desc_act ? "true" : "false"},
        {"sym", info->sym ? "true" : "false"},
        {"static_groups", info->static_groups ? "true" : "false"},
        {"damp_percent", damp},
        {"quantizer", "fidrun"},
    };
    int rc = st_write(path, t, 4, meta, sizeof meta / sizeof meta[0], d);
    if (rc || !config_json)
        return rc;
    char json_path[4200];
    const char *slash = strrchr(path, '/');
    snprintf(json_path, sizeof json_path, "%.*squantize_config.json", slash ? (int)(slash - path + 1) : 0, path);
    json_t *cfg = json_pack("{s:i, s:I, s:f, s:b, s:b, s:b, s:b, s:s, s:s}", "bits", info->bits, "group_size",
                            (json_int_t)info->group_size, "damp_percent", info->damp_percent, "desc_act",
                            info->desc_act, "static_groups", info->static_groups, "sym", info->sym,
                            "true_sequential", 1, "quant_method", "gptq", "checkpoint_format",
                            zero_format_name(info->format));
    if (!cfg || json_dump_file(cfg, json_path, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) {
        json_decref(cfg);
        return diag_fail(d, FR_RUNTIME, "%s: cannot write: %s", json_path, strerror(errno));
    }
    json_decref(cfg);
    return FR_OK;
}

const struct st_tensor *gptq_tensor_check(const char *where, const char *prefix, const char *suffix,
                                          const struct st_tensor *t, enum st_dtype dtype, int ndim, struct diag *d)
{
    if (!t)
        diag_fail(d, FR_USAGE, "%s: no tensor '%s.%s' (a GPTQ layer needs %s.qweight, .qzeros, .scales, .g_idx)",
                  where, prefix, suffix, prefix);
    else if (t->dtype != dtype || t->ndim != ndim) {
        diag_fail(d, FR_USAGE, "%s: tensor '%s.%s' is %s with %d dimensions; expected %s with %d", where, prefix,
                  suffix, st_dtype_name(t->dtype), t->ndim, st_dtype_name(dtype), ndim);
        t = NULL;
    }
    return t;
}

static const struct st_tensor *need(const struct st_file *f, const char *prefix, const char *suffix,
                                    enum st_dtype dtype, int ndim, struct diag *d)
{
    char name[300];
    snprintf(name, sizeof name, "%s.%s", prefix, suffix);
    return gptq_tensor_check(f->path, prefix, suffix, st_find(f, name), dtype, ndim, d);
}

int gptq_file_read(const char *path, const char *prefix, int as, struct gptq_packed *p, struct gptq_file_info *info,
                   struct diag *d)
{
    struct st_file f;
    int rc = st_open(path, &f, d);
    if (rc)
        return rc;
    const struct st_tensor *qw = need(&f, prefix, "qweight", ST_I32, 2, d), *qz = NULL, *sc = NULL, *gi = NULL;
    if (qw)
        qz = need(&f, prefix, "qzeros", ST_I32, 2, d);
    if (qz)
        sc = need(&f, prefix, "scales", ST_F16, 2, d);
    if (sc)
        gi = need(&f, prefix, "g_idx", ST_I32, 1, d);
    if (!gi) {
        st_close(&f);
        return d->code;
    }
    const char *fmt = st_meta_get(&f, "checkpoint_format");
    *info = (struct gptq_file_info){.format = fmt && !strcmp(fmt, "gptq_v2") ? ZEROS_V2 : ZEROS_V1};
    const char *v;
    if ((v = st_meta_get(&f, "group_size")))
        info->group_size = strtoll(v, NULL, 10);
    if ((v = st_meta_get(&f, "sym")))
        info->sym = !strcmp(v, "true");
    if ((v = st_meta_get(&f, "desc_act")))
        info->desc_act = !strcmp(v, "true");
    if (as >= 0)
        info->format = (enum zero_format)as;
    rc = gptq_packed_from_tensors(path, prefix, qw, qz, sc, gi, info->format, p, d);
    st_close(&f);
    if (!rc)
        info->bits = p->bits;
    return rc;
}

int gptq_packed_from_tensors(const char *path, const char *prefix, const struct st_tensor *qw,
                             const struct st_tensor *qz, const struct st_tensor *sc, const struct st_tensor *gi,
                             enum zero_format format, struct gptq_packed *p, struct diag *d)
{
    int64_t in = gi->shape[0], out = qw->shape[1], groups = sc->shape[0];
    int bits = in > 0 ? (int)(qw->shape[0] * 32 / in) : 0;
    if (gptq_pack_check_shape(bits, out, in, d) || qw->shape[0] * 32 != in * bits ||
        qz->shape[0] != groups || qz->shape[1] * 32 != out * bits || sc->shape[1] != out)
        return diag_fail(d, FR_USAGE,
                         "%s: GPTQ tensors of '%s' disagree: qweight [%lld, %lld], qzeros [%lld, %lld], scales "
                         "[%lld, %lld], g_idx [%lld] fit no bit width",
                         path, prefix, (long long)qw->shape[0], (long long)qw->shape[1], (long long)qz->shape[0],
                         (long long)qz->shape[1], (long long)sc->shape[0], (long long)sc->shape[1], (long long)in);
    if (gptq_packed_alloc(p, bits, out, in, groups))
        return diag_fail(d, FR_RUNTIME, "out of memory reading %s", path);
    p->format = format;
    memcpy(p->qweight, qw->data, qw->bytes);
    memcpy(p->qzeros, qz->data, qz->bytes);
    memcpy(p->scales, sc->data, sc->bytes);
    memcpy(p->g_idx, gi->data, gi->bytes);
    for (int64_t k = 0; k < in; k++)
        if (p->g_idx[k] < 0 || p->g_idx[k] >= groups) {
            int32_t bad = p->g_idx[k];
            gptq_packed_free(p);
            return diag_fail(d, FR_USAGE, "%s: %s.g_idx[%lld] = %d is outside [0, %lld)", path, prefix, (long long)k,
                             bad, (long long)groups);
        }
    return FR_OK;
}
