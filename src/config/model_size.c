#include "config/model_size.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Usual sizes of families whose names often omit them (from the models'
 * published cards: Phi-2 2.7B, Phi-3-mini 3.8B, Llama 3 8B, Llama 2 7B,
 * Qwen 7B, Mistral 7B, Mixtral 8x7B 46.7B, Gemma 7B, Falcon 7B). Longer
 * keys first where one is a prefix of another. */
static const struct {
    const char *key;
    double billions;
} families[] = {
    {"phi-3", 3.8},   {"phi3", 3.8},    {"phi-2", 2.7},   {"phi2", 2.7},    {"llama-3", 8},  {"llama3", 8},
    {"llama-2", 7},   {"llama2", 7},    {"mixtral", 46.7}, {"mistral", 7},  {"qwen", 7},     {"gemma", 7},
    {"falcon", 7},    {"llama", 7},
};

static const char *last_component(const char *s, size_t *len)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && s[start - 1] != '/')
        start--;
    *len = n - start;
    return s + start;
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

    double best_b = 0, best_m = 0;
    for (const char *p = s; *p;) {
        /* a number starts after a non-digit that is not a '.' joining it to a version */
        if (!isdigit((unsigned char)*p) || (p > s && (isdigit((unsigned char)p[-1]) || p[-1] == '.'))) {
            p++;
            continue;
        }
        const char *end;
        double v = decimal_at(p, &end), factor = 1;
        if (*end == 'x' && isdigit((unsigned char)end[1])) { /* 8x7b: experts x size */
            factor = v;
            v = decimal_at(end + 1, &end);
        }
        const char *next;
        double unit = unit_at(end, &next);
        if (unit > 0) {
            double b = v * factor * unit;
            if (unit == 1 && b > best_b)
                best_b = b;
            else if (unit < 1 && b > best_m)
                best_m = b;
            p = next;
        } else {
            p = end > p ? end : p + 1;
        }
    }
    double found = best_b > 0 ? best_b : best_m;
    if (found > 0) {
        r.billions = found;
        r.source = SIZE_FROM_NAME;
        return r;
    }
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (strstr(s, families[i].key)) {
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
    static const char *const names[] = {"unknown", "from the name", "guessed from the family", "counted"};
    return names[s];
}
