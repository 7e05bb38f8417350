#include "config/model_size.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Usual sizes of families whose names often omit them, from the models'
 * published cards: Phi-2 2.7B, Phi-3-mini 3.8B, Llama 3 8B, Llama 2 7B,
 * Qwen 7B, Mistral 7B, Mixtral 8x7B 46.7B, Gemma 7B, Falcon 7B; GPT-2 124M,
 * medium 355M, large 774M, XL 1.5B; DeepSeek-V3 and R1 671B, V2 236B, V2-Lite
 * 15.7B; BERT
 * base 110M, large 340M; RoBERTa base 125M, large 355M; DistilBERT 66M;
 * all-MiniLM-L6-v2 22.7M. Matched on the name with - for every separator;
 * longer keys first where one is a prefix of another. */
static const struct {
    const char *key;
    double billions;
} families[] = {
    {"phi-3", 3.8},          {"phi3", 3.8},          {"phi-2", 2.7},        {"phi2", 2.7},
    {"llama-3", 8},          {"llama3", 8},          {"llama-2", 7},        {"llama2", 7},
    {"mixtral", 46.7},       {"mistral", 7},         {"qwen", 7},           {"gemma", 7},
    {"falcon", 7},           {"llama", 7},           {"gpt2-medium", 0.355}, {"gpt2-large", 0.774},
    {"gpt2-xl", 1.5},        {"gpt2", 0.124},        {"deepseek-v3", 671},  {"deepseek-r1", 671},
    {"deepseek-v2-lite", 15.7}, {"deepseek-v2", 236},    {"distilbert", 0.066},  {"roberta-large", 0.355}, {"roberta", 0.125},
    {"bert-large", 0.34},    {"bert", 0.11},         {"all-minilm-l6", 0.0227},
};

/* Mixture-of-experts names write N x M: N experts of an M model whose
 * attention and embeddings are shared, so the total is less than N M. The
 * published totals of the families known here (Mixtral 8x7B 46.7B, 8x22B
 * 141B); any other N x M is the product, an upper bound. */
static const struct {
    const char *family;
    double experts, each, total;
} moe_totals[] = {
    {"mixtral", 8, 7, 46.7},
    {"mixtral", 8, 22, 141},
};

/* The component of s that ends at n (trailing slashes dropped). */
static const char *component_before(const char *s, size_t n, size_t *len)
{
    while (n > 0 && s[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && s[start - 1] != '/')
        start--;
    *len = n - start;
    return s + start;
}

/* The model's name in a path: its last component, or in the HuggingFace
 * cache (models--Org--Name/snapshots/HASH) the Name. */
static const char *last_component(const char *s, size_t *len)
{
    const char *c = component_before(s, strlen(s), len);
    if (c > s + 11 && strncmp(c - 11, "/snapshots/", 11) == 0)
        c = component_before(s, (size_t)(c - 11 - s), len);
    if (*len > 8 && strncmp(c, "models--", 8) == 0) {
        /* the Name after the last "--" */
        const char *name = c + 8, *end = c + *len;
        for (const char *q = name; q + 1 < end; q++)
            if (q[0] == '-' && q[1] == '-')
                name = q + 2;
        *len = (size_t)(end - name);
        c = name;
    }
    return c;
}

/* The unit at p (after optional separators): returns its scale to
 * billions (1 or 1e-3) and sets *end past it, or 0 when there is none. A
 * unit must end the word: "8bit" has no unit. */
static double unit_at(const char *p, const char **end)
{
    const char *q = p;
    while (*q == ' ' || *q == '_' || *q == '-')
        q++;
    static const struct {
        const char *word;
        double scale;
    } units[] = {{"billion", 1}, {"million", 1e-3}, {"b", 1}, {"m", 1e-3}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i].word);
        /* a bare letter unit must touch the number: "7 b" is not a size */
        if (n == 1 && q != p)
            continue;
        if (strncmp(q, units[i].word, n) == 0 && !isalpha((unsigned char)q[n])) {
            *end = q + n;
            return units[i].scale;
        }
    }
    return 0;
}

/* digits [. digits] at p (no exponents or hex, which strtod would take
 * from "1e3b" or "0x7b"); *end past them. */
static double decimal_at(const char *p, const char **end)
{
    double v = 0, scale = 1;
    while (isdigit((unsigned char)*p))
        v = v * 10 + (*p++ - '0');
    if (*p == '.' && isdigit((unsigned char)p[1]))
        for (p++; isdigit((unsigned char)*p); p++)
            v += (*p - '0') * (scale /= 10);
    *end = p;
    return v;
}

struct model_size model_size_from_name(const char *name)
{
    struct model_size r = {0, SIZE_UNKNOWN, ""};
    if (!name)
        return r;
    size_t len;
    const char *base = last_component(name, &len);
    char s[256];
    if (len >= sizeof s)
        len = sizeof s - 1;
    for (size_t i = 0; i < len; i++)
        s[i] = (char)tolower((unsigned char)base[i]);
    s[len] = '\0';

    /* for the families: every separator as - */
    char dashed[256];
    for (size_t i = 0; i <= len; i++)
        dashed[i] = s[i] == '_' || s[i] == ' ' ? '-' : s[i];
    double best_b = 0, best_m = 0;
    int upper_bound = 0;
    for (const char *p = s; *p;) {
        /* a number starts after a non-digit that is not a '.' joining it to a version */
        if (!isdigit((unsigned char)*p) || (p > s && (isdigit((unsigned char)p[-1]) || p[-1] == '.'))) {
            p++;
            continue;
        }
        const char *end;
        double v = decimal_at(p, &end), experts = 0;
        if (*end == 'x' && isdigit((unsigned char)end[1])) { /* 8x7b: experts x size */
            experts = v;
            v = decimal_at(end + 1, &end);
        }
        const char *next;
        double unit = unit_at(end, &next);
        if (unit > 0) {
            double b = (experts > 0 ? experts : 1) * v * unit;
            int bound = experts > 0;
            for (size_t i = 0; bound && i < sizeof moe_totals / sizeof moe_totals[0]; i++)
                if (strstr(dashed, moe_totals[i].family) && moe_totals[i].experts == experts &&
                    moe_totals[i].each == v * unit) {
                    b = moe_totals[i].total;
                    bound = 0;
                }
            if (unit == 1 && b > best_b) {
                best_b = b;
                upper_bound = bound;
            } else if (unit < 1 && b > best_m)
                best_m = b;
            p = next;
        } else {
            p = end > p ? end : p + 1;
        }
    }
    double found = best_b > 0 ? best_b : best_m;
    if (found > 0) {
        r.billions = found;
        r.source = best_b > 0 && upper_bound ? SIZE_UPPER_BOUND : SIZE_FROM_NAME;
        return r;
    }
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (strstr(dashed, families[i].key)) {
            r.billions = families[i].billions;
            r.source = SIZE_GUESSED;
            snprintf(r.family, sizeof r.family, "%s", families[i].key);
            return r;
        }
    return r;
}

enum size_tier size_tier_of(double b)
{
    if (!(b > 0))
        return TIER_UNKNOWN;
    return b <= 10 ? TIER_SMALL : b <= 20 ? TIER_MEDIUM : b <= 50 ? TIER_LARGE : TIER_XLARGE;
}

const char *size_tier_name(enum size_tier t)
{
    static const char *const names[] = {"unknown", "small", "medium", "large", "xlarge"};
    return names[t];
}

const char *size_source_name(enum size_source s)
{
    static const char *const names[] = {"unknown", "from the name", "guessed from the family", "counted",
                                        "an upper bound (experts x size, shared layers counted each time)"};
    return names[s];
}
