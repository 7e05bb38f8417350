/* The layer shapes the quant suite runs: a model preset's targets (shapes
 * shared by several targets run once, named after all of them), square
 * sizes, or a checkpoint's weights. */
#include "suites/quant/quant_impl.h"

#include <stdio.h>
#include <string.h>


static const char *short_model(const char *id)
{
    const char *slash = strrchr(id, '/');
    return slash ? slash + 1 : id;
}

size_t quant_layer_shapes(const struct quant_layers *L, struct quant_shape *out)
{
    if (!L->checkpoint[0])
        return quant_shape_list(&L->shapes, out);
    for (size_t i = 0; i < L->nckpt; i++) {
        const struct quant_ckpt_layer *c = &L->ckpt[i];
        size_t len = strlen(c->tensor), suffix = strlen(".weight");
        int cut = len > suffix && strcmp(c->tensor + len - suffix, ".weight") == 0 ? (int)(len - suffix) : (int)len;
        out[i] = (struct quant_shape){.out = c->out, .in = c->in, .tensor = c->tensor};
        snprintf(out[i].name, sizeof out[i].name, "%.*s", cut > 63 ? 63 : cut, c->tensor + (cut > 63 ? cut - 63 : 0));
    }
    return L->nckpt;
}

size_t quant_shape_list(const struct quant_shapes *s, struct quant_shape *out)
{
    size_t n = 0;
    for (size_t m = 0; m < s->nmodels; m++) {
        size_t first = n;
        for (int t = 0; t < T_COUNT; t++) {
            if (!((s->targets ? s->targets : model_targets(s->models[m])) & model_targets(s->models[m]) &
                  TARGET_BIT(t)))
                continue;
            struct linear_shape ls = model_linear_shape(s->models[m], (enum target)t);
            size_t same = first;
            while (same < n && !(out[same].out == ls.out && out[same].in == ls.in))
                same++;
            if (same < n) {
                size_t used = strlen(out[same].name);
                snprintf(out[same].name + used, sizeof out[same].name - used, "+%s", target_name((enum target)t));
                continue;
            }
            out[n] = (struct quant_shape){.out = ls.out, .in = ls.in};
            snprintf(out[n].name, sizeof out[n].name, "%s.%s", short_model(s->models[m]->id),
                     target_name((enum target)t));
            n++;
        }
    }
    for (size_t i = 0; i < s->nsizes; i++) {
        out[n] = (struct quant_shape){.out = s->sizes[i], .in = s->sizes[i]};
        snprintf(out[n].name, sizeof out[n].name, "square-%lld", (long long)s->sizes[i]);
        n++;
    }
    return n;
}
