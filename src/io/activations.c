#include "io/activations.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "io/safetensors.h"

int activations_from_file(const char *path, const char *tensor, int64_t in, float **x, int64_t *tokens,
                          struct diag *d)
{
    struct st_file f;
    int rc = st_open(path, &f, d);
    if (rc)
        return rc;
    const struct st_tensor *t = st_find(&f, tensor);
    if (!t) {
        rc = diag_fail(d, FR_USAGE, "%s: no tensor named '%s' (the file has %zu tensors%s%s)", path, tensor, f.n,
                       f.n ? ", e.g. " : "", f.n ? f.tensors[0].name : "");
    } else if (t->ndim < 2 || t->ndim > 3 || t->shape[t->ndim - 1] != in) {
        rc = diag_fail(d, FR_USAGE,
                       "%s: tensor '%s' must be [tokens, %lld] or [batch, seq, %lld] activations; its shape has %d "
                       "dimensions, the last %lld",
                       path, tensor, (long long)in, (long long)in, t->ndim,
                       t->ndim ? (long long)t->shape[t->ndim - 1] : 0LL);
    } else if (!(*x = malloc((size_t)t->numel * sizeof **x))) {
        rc = diag_fail(d, FR_RUNTIME, "out of memory for '%s'", tensor);
    } else if ((rc = st_to_f32(&f, t, *x, d))) {
        free(*x);
        *x = NULL;
    } else {
        *tokens = t->numel / in;
        for (int64_t i = 0; i < t->numel && !rc; i++)
            if (!isfinite((*x)[i]))
                rc = diag_fail(d, FR_USAGE, "%s: tensor '%s' has a non-finite value at element %lld", path, tensor,
                               (long long)i);
        if (rc) {
            free(*x);
            *x = NULL;
        }
    }
    st_close(&f);
    return rc;
}

int activation_sets_from_file(const char *path, const char *tensor, int64_t in, int64_t held_max,
                              struct activation_sets *a, struct diag *d)
{
    *a = (struct activation_sets){0};
    int64_t tokens;
    int rc = activations_from_file(path, tensor, in, &a->calib, &tokens, d);
    if (rc)
        return rc;
    if (tokens < 2) {
        activation_sets_free(a);
        return diag_fail(d, FR_USAGE, "%s: tensor '%s' has %lld tokens; at least 2 are needed", path, tensor,
                         (long long)tokens);
    }
    a->nheld = tokens / 4 > held_max ? held_max : (tokens / 4 ? tokens / 4 : 1);
    a->ncalib = tokens - a->nheld;
    a->held = a->calib + a->ncalib * in;
    return FR_OK;
}
