#include "config/layouts.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"

struct family_linear {
    const char *module; /* inside a layer, * for an expert's index */
    const char *label;
    int transposed;
    int by_default;
};

#define ATTENTION_PROJ                                                                                        \
    {"self_attn.q_proj", "q_proj", 0, 1}, {"self_attn.k_proj", "k_proj", 0, 1},                              \
        {"self_attn.v_proj", "v_proj", 0, 1}, {"self_attn.o_proj", "o_proj", 0, 1}

/* The layouts of transformers' modeling files (LlamaDecoderLayer,
 * MixtralSparseMoeBlock, Qwen2MoeSparseMoeBlock, Phi3, GPT2Block with its
 * Conv1D, BertLayer). Routers are linears too, targeted only by name. */
static const struct family_linear llama[] = {
    ATTENTION_PROJ, {"mlp.gate_proj", "gate_proj", 0, 1}, {"mlp.up_proj", "up_proj", 0, 1},
    {"mlp.down_proj", "down_proj", 0, 1}};
static const struct family_linear phi3[] = {{"self_attn.qkv_proj", "qkv_proj", 0, 1},
                                            {"self_attn.o_proj", "o_proj", 0, 1},
                                            {"mlp.gate_up_proj", "gate_up_proj", 0, 1},
                                            {"mlp.down_proj", "down_proj", 0, 1}};
static const struct family_linear mixtral[] = {ATTENTION_PROJ,
                                               {"block_sparse_moe.experts.*.w1", "experts.w1", 0, 1},
                                               {"block_sparse_moe.experts.*.w2", "experts.w2", 0, 1},
                                               {"block_sparse_moe.experts.*.w3", "experts.w3", 0, 1},
                                               {"block_sparse_moe.gate", "router", 0, 0}};
static const struct family_linear qwen_moe[] = {ATTENTION_PROJ,
                                                {"mlp.experts.*.gate_proj", "experts.gate_proj", 0, 1},
                                                {"mlp.experts.*.up_proj", "experts.up_proj", 0, 1},
                                                {"mlp.experts.*.down_proj", "experts.down_proj", 0, 1},
                                                {"mlp.shared_expert.gate_proj", "shared_expert.gate_proj", 0, 1},
                                                {"mlp.shared_expert.up_proj", "shared_expert.up_proj", 0, 1},
                                                {"mlp.shared_expert.down_proj", "shared_expert.down_proj", 0, 1},
                                                {"mlp.gate", "router", 0, 0},
                                                {"mlp.shared_expert_gate", "shared_expert_gate", 0, 0}};
static const struct family_linear gpt2[] = {{"attn.c_attn", "c_attn", 1, 1},
                                            {"attn.c_proj", "attn.c_proj", 1, 1},
                                            {"mlp.c_fc", "c_fc", 1, 1},
                                            {"mlp.c_proj", "mlp.c_proj", 1, 1}};
static const struct family_linear bert[] = {{"attention.self.query", "query", 0, 1},
                                            {"attention.self.key", "key", 0, 1},
                                            {"attention.self.value", "value", 0, 1},
                                            {"attention.output.dense", "attention.output.dense", 0, 1},
                                            {"intermediate.dense", "intermediate.dense", 0, 1},
                                            {"output.dense", "output.dense", 0, 1}};

#define LINEARS(a) a, sizeof a / sizeof a[0]
static const struct {
    const char *model_types; /* space-separated */
    const struct family_linear *linears;
    size_t n;
} families[] = {
    {"llama qwen2 qwen3 mistral gemma gemma2 gemma3_text granite olmo2", LINEARS(llama)},
    {"phi3", LINEARS(phi3)},
    {"mixtral", LINEARS(mixtral)},
    {"qwen2_moe qwen3_moe", LINEARS(qwen_moe)},
    {"gpt2", LINEARS(gpt2)},
    {"bert roberta xlm-roberta", LINEARS(bert)},
};

/* The short names configs have always used for the Llama layout. */
static const char *const legacy[][2] = {{"q", "q_proj"},     {"k", "k_proj"},        {"v", "v_proj"},
                                         {"o", "o_proj"},     {"gate", "gate_proj"},  {"up", "up_proj"},
                                         {"down", "down_proj"}, {"qkv", "qkv_proj"},  {"gate_up", "gate_up_proj"}};

static const char *const embedding_labels[] = {"embed_tokens", "wte", "word_embeddings"};

static int family_of(const char *model_type)
{
    if (!model_type || !*model_type)
        return -1;
    size_t len = strlen(model_type);
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (const char *p = families[f].model_types; (p = strstr(p, model_type)); p += len)
            if ((p == families[f].model_types || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
                return (int)f;
    return -1;
}

int layout_known(const char *model_type) { return family_of(model_type) >= 0; }

static int layer_word(const char *s, size_t n)
{
    static const char *const words[] = {"layers", "layer", "h", "blocks", "block"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && strncmp(s, words[i], n) == 0)
            return 1;
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    if (!n || n > 9)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* What a name says: its layer and module (expert index as *), or layer -1
 * and its last component before .weight as the module. 0 for a name that
 * is not a weight. */
struct parsed {
    int64_t layer, expert;
    char module[256];
};

static int parse_name(const char *name, struct parsed *p)
{
    size_t len = strlen(name);
    if (len <= 7 || strcmp(name + len - 7, ".weight") != 0)
        return 0;
    len -= 7;
    p->layer = p->expert = -1;
    p->module[0] = '\0';
    const char *prev = NULL, *s = name, *body = NULL;
    size_t prev_len = 0;
    while (s < name + len) {
        const char *dot = memchr(s, '.', (size_t)(name + len - s));
        size_t n = dot ? (size_t)(dot - s) : (size_t)(name + len - s);
        if (p->layer < 0 && prev && layer_word(prev, prev_len) && all_digits(s, n)) {
            p->layer = atol(s);
            body = dot ? dot + 1 : name + len;
            break;
        }
        prev = s;
        prev_len = n;
        s = dot ? dot + 1 : name + len;
    }
    if (p->layer < 0) { /* outside the layers: its last component */
        const char *last = name + len;
        while (last > name && last[-1] != '.')
            last--;
        snprintf(p->module, sizeof p->module, "%.*s", (int)(name + len - last), last);
        return 1;
    }
    /* the module, an expert's number as * */
    size_t used = 0;
    prev = NULL;
    prev_len = 0;
    for (s = body; s < name + len && used < sizeof p->module;) {
        const char *dot = memchr(s, '.', (size_t)(name + len - s));
        size_t n = dot ? (size_t)(dot - s) : (size_t)(name + len - s);
        int expert = prev && prev_len == 7 && strncmp(prev, "experts", 7) == 0 && all_digits(s, n);
        if (expert)
            p->expert = atol(s);
        used += (size_t)snprintf(p->module + used, sizeof p->module - used, "%s%.*s", used ? "." : "",
                                 expert ? 1 : (int)n, expert ? "*" : s);
        prev = s;
        prev_len = n;
        s = dot ? dot + 1 : name + len;
    }
    return p->module[0] != '\0';
}

static const struct family_linear *linear_of(int family, const char *module)
{
    for (size_t i = 0; family >= 0 && i < families[family].n; i++)
        if (strcmp(families[family].linears[i].module, module) == 0)
            return &families[family].linears[i];
    return NULL;
}

/* A candidate: a 2-D floating weight, its parse and label. */
struct candidate {
    struct parsed p;
    const struct family_linear *fl;
    char label[LAYOUT_LABEL_MAX];
    int ok;
};

static int exact_match(const char *e, const char *name, const struct candidate *c)
{
    size_t len = strlen(name);
    if (!strcmp(e, c->label) || !strcmp(e, c->p.module) || !strcmp(e, name) ||
        (strlen(e) + 7 == len && strncmp(e, name, len - 7) == 0))
        return 1;
    for (size_t i = 0; i < sizeof legacy / sizeof legacy[0]; i++)
        if (!strcmp(e, legacy[i][0]) && !strcmp(c->label, legacy[i][1]))
            return 1;
    return 0;
}

static int glob_match(const char *e, const char *name, const struct candidate *c)
{
    return c->p.layer >= 0 && (fnmatch(e, c->label, 0) == 0 || fnmatch(e, c->p.module, 0) == 0 ||
                               fnmatch(e, name, 0) == 0);
}

/* Why entry e matched nothing: what the layers have, a near name first. */
static void explain(const char *e, const struct candidate *c, size_t n, char *why, size_t size)
{
    const char *names[64];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 64; i++) {
        if (!c[i].ok)
            continue;
        int seen = 0;
        for (size_t j = 0; j < k && !seen; j++)
            seen = !strcmp(names[j], c[i].label);
        if (!seen)
            names[k++] = c[i].label;
    }
    const char *near = closest_name(e, names, k);
    size_t used = (size_t)snprintf(why, size, "'%s' matches no 2-D weight of the checkpoint", e);
    if (near && used < size)
        used += (size_t)snprintf(why + used, size - used, "; did you mean '%s'?", near);
    if (used < size)
        used += (size_t)snprintf(why + used, size - used, " (its targets: ");
    for (size_t j = 0; j < k && used < size; j++)
        used += (size_t)snprintf(why + used, size - used, "%s%s", j ? ", " : "", names[j]);
    if (used < size)
        snprintf(why + used, size - used, "; globs such as 'mlp.*' range over the layers' weights)");
}

long layout_match(const struct layout_request *req, const struct layout_tensor *t, size_t n,
                  struct layout_match **out, size_t *nout, char *why, size_t why_size)
{
    *out = NULL;
    *nout = 0;
    int family = family_of(req->model_type);
    struct candidate *c = calloc(n ? n : 1, sizeof *c);
    char *chosen = calloc(n ? n : 1, 1);
    if (!c || !chosen) {
        free(c);
        free(chosen);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (t[i].ndim != 2 || !t[i].floating || !parse_name(t[i].name, &c[i].p))
            continue;
        if (req->max_layers > 0 && c[i].p.layer >= req->max_layers)
            continue;
        c[i].ok = 1;
        c[i].fl = c[i].p.layer >= 0 ? linear_of(family, c[i].p.module) : NULL;
        snprintf(c[i].label, sizeof c[i].label, "%s", c[i].fl ? c[i].fl->label : c[i].p.module);
    }
    long bad = 0;
    if (!req->nentries) {
        for (size_t i = 0; i < n; i++)
            chosen[i] = c[i].ok && c[i].p.layer >= 0 && (family < 0 || (c[i].fl && c[i].fl->by_default));
    } else {
        for (size_t e = 0; e < req->nentries && !bad; e++) {
            const char *entry = req->entries[e];
            int glob = strpbrk(entry, "*?[") != NULL, any = 0;
            for (size_t i = 0; i < n; i++)
                if (c[i].ok && (glob ? glob_match(entry, t[i].name, &c[i]) : exact_match(entry, t[i].name, &c[i]))) {
                    chosen[i] = 1;
                    any = 1;
                }
            /* tied and not stored apart: lm_head is the embedding */
            for (size_t i = 0; !any && req->tied && (!strcmp(entry, "lm_head") || !strcmp(entry, "lm_head.weight")) &&
                               i < n;
                 i++)
                for (size_t k = 0; c[i].ok && c[i].p.layer < 0 && k < sizeof embedding_labels / sizeof *embedding_labels; k++)
                    if (!strcmp(c[i].label, embedding_labels[k]))
                        chosen[i] = any = 1;
            if (!any) {
                explain(entry, c, n, why, why_size);
                bad = (long)e + 1;
            }
        }
    }
    /* tied embeddings are one matrix: keep the embedding */
    int embedding = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; chosen[i] && k < sizeof embedding_labels / sizeof embedding_labels[0]; k++)
            embedding |= c[i].p.layer < 0 && !strcmp(c[i].label, embedding_labels[k]);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (chosen[i] && req->tied && embedding && c[i].p.layer < 0 && !strcmp(c[i].label, "lm_head"))
            chosen[i] = 0;
        count += chosen[i];
    }
    struct layout_match *m = bad ? NULL : calloc(count ? count : 1, sizeof *m);
    if (!bad && !m) {
        free(c);
        free(chosen);
        return -1;
    }
    for (size_t i = 0; m && i < n; i++) {
        if (!chosen[i])
            continue;
        struct layout_match *x = &m[(*nout)++];
        x->tensor = i;
        snprintf(x->label, sizeof x->label, "%s", c[i].label);
        x->layer = c[i].p.layer;
        x->expert = c[i].p.expert;
        x->transposed = c[i].fl && c[i].fl->transposed;
        x->order = c[i].fl ? (int)(c[i].fl - families[family].linears) : (int)families[0].n;
        x->rows = x->transposed ? t[i].shape[1] : t[i].shape[0];
        x->cols = x->transposed ? t[i].shape[0] : t[i].shape[1];
    }
    *out = m;
    free(c);
    free(chosen);
    return bad;
}

void layout_summary(const struct layout_match *m, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int first = 1;
        for (size_t j = 0; j < i && first; j++)
            first = strcmp(m[j].label, m[i].label) != 0;
        if (!first)
            continue;
        size_t count = 0;
        for (size_t j = i; j < n; j++)
            count += strcmp(m[j].label, m[i].label) == 0;
        used += (size_t)snprintf(buf + used, size - used, "%s%s ×%zu (%lld×%lld%s)", used ? ", " : "", m[i].label,
                                 count, (long long)m[i].rows, (long long)m[i].cols,
                                 m[i].transposed ? ", stored transposed" : "");
    }
}
