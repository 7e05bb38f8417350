#include "config/schema.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int schema_error(struct diag *d, const struct yloc *loc, const char *path, const char *fmt, ...)
{
    char where[600], msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    yloc_format(loc, where, sizeof where);
    if (path && *path)
        return diag_fail(d, FR_USAGE, "%s: %s: %s", where, path, msg);
    return diag_fail(d, FR_USAGE, "%s: %s", where, msg);
}

int schema_no_effect(const struct ynode *node, const char *path, const char *key, const char *when, const char *now,
                     struct diag *d)
{
    const struct ynode *k = node ? ytree_get(node, key) : NULL;
    if (!k || ytree_is_null(k))
        return FR_OK;
    char sub[300];
    return schema_error(d, &k->loc, join_path(sub, sizeof sub, path, key),
                        "has no effect unless %s (here %s); remove it, or set %s", when, now, when);
}

const char *join_path(char *buf, size_t size, const char *path, const char *key)
{
    if (path && *path)
        snprintf(buf, size, "%s.%s", path, key);
    else
        snprintf(buf, size, "%s", key);
    return buf;
}

size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (size_t)-1;
    size_t dp[65][65];
    for (size_t i = 0; i <= la; i++)
        dp[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        dp[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = dp[i - 1][j] + 1;
            if (dp[i][j - 1] + 1 < best)
                best = dp[i][j - 1] + 1;
            if (dp[i - 1][j - 1] + cost < best)
                best = dp[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) && dp[i - 2][j - 2] + 1 < best)
                best = dp[i - 2][j - 2] + 1;
            dp[i][j] = best;
        }
    }
    return dp[la][lb];
}

const char *closest_name(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, wl = strlen(word);
    size_t limit = wl <= 3 ? 1 : wl <= 8 ? 2 : 3;
    for (size_t i = 0; i < n; i++) {
        size_t dist = edit_distance(word, candidates[i]);
        if (dist <= limit && dist < best_d) {
            best = candidates[i];
            best_d = dist;
        }
    }
    return best;
}

const char *describe_found(const struct ynode *node, char *buf, size_t size)
{
    if (!node || node->kind != YN_SCALAR || ytree_is_null(node))
        snprintf(buf, size, "%s", ynode_kind_name(node));
    else if (node->quoted)
        snprintf(buf, size, "the quoted string \"%.200s\"", node->text);
    else
        snprintf(buf, size, "'%.200s'", node->text);
    return buf;
}

const char *join_names(const char *const *names, size_t n, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += snprintf(buf + len, len < size ? size - len : 0, "%s%s", i ? ", " : "", names[i]);
    return buf;
}

int schema_unknown(struct diag *d, const struct yloc *loc, const char *path, const char *what, const char *word,
                   const char *const *names, size_t n, const char *label)
{
    char known[1024];
    join_names(names, n, known, sizeof known);
    const char *near = closest_name(word, names, n);
    if (near)
        return schema_error(d, loc, path, "unknown %s '%s' (did you mean '%s'?); known %s: %s", what, word, near,
                            label, known);
    return schema_error(d, loc, path, "unknown %s '%s'; known %s: %s", what, word, label, known);
}

/* Copies text without YAML's digit-separating underscores. */
static int strip_underscores(const char *text, char *out, size_t size)
{
    size_t j = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '_')
            continue;
        if (j + 1 >= size)
            return -1;
        out[j++] = *p;
    }
    out[j] = '\0';
    return 0;
}

int parse_int64(const char *text, int64_t *out, int *overflow)
{
    char buf[128];
    *overflow = 0;
    if (strip_underscores(text, buf, sizeof buf)) {
        /* a very long run of digits is still a (huge) number */
        const char *p = text + (*text == '-' || *text == '+');
        if (*p && strspn(p, "0123456789_") == strlen(p))
            *overflow = 1;
        return -1;
    }
    const char *p = buf + (buf[0] == '-' || buf[0] == '+');
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!*p || strspn(p, base == 16 ? "0123456789abcdefABCDEF" : "0123456789") != strlen(p))
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(buf, &end, base == 16 ? 0 : 10);
    if (errno == ERANGE) {
        *overflow = 1;
        return -1;
    }
    *out = v;
    return 0;
}

int parse_real(const char *text, double *out, int *overflow)
{
    char buf[128];
    *overflow = 0;
    if (strip_underscores(text, buf, sizeof buf))
        return -1;
    const char *p = buf + (buf[0] == '-' || buf[0] == '+');
    if (strcasecmp(p, ".inf") == 0) {
        *out = buf[0] == '-' ? -INFINITY : INFINITY;
        return 0;
    }
    /* digits[.digits][e[+-]digits] or .digits[...]; no hex, inf or nan words */
    size_t i = strspn(p, "0123456789"), frac = 0;
    if (p[i] == '.') {
        frac = strspn(p + i + 1, "0123456789");
        i += 1 + frac;
    }
    if (i == 0 || (i == 1 && p[0] == '.'))
        return -1;
    if (p[i] == 'e' || p[i] == 'E') {
        size_t j = i + 1 + (p[i + 1] == '-' || p[i + 1] == '+');
        size_t k = strspn(p + j, "0123456789");
        if (k == 0)
            return -1;
        i = j + k;
    }
    if (p[i])
        return -1;
    errno = 0;
    double v = strtod(buf, NULL);
    if (errno == ERANGE || !isfinite(v)) {
        *overflow = 1;
        return -1;
    }
    *out = v;
    return 0;
}

int parse_bool(const char *text, int *out)
{
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(text, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(text, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

static void format_bound(char *buf, size_t size, double v, int integer)
{
    if (isinf(v))
        snprintf(buf, size, "%s", v > 0 ? "inf" : "-inf");
    else if (integer)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%g", v);
}

static int expect_scalar(const struct ynode *node, const char *path, const char *what, struct diag *d)
{
    if (node->kind == YN_SCALAR)
        return FR_OK;
    return schema_error(d, &node->loc, path, "expected %s, found %s", what, ynode_kind_name(node));
}

static int apply_number(const struct field *f, const struct ynode *node, const char *path, void *obj,
                        struct diag *d)
{
    int integer = f->type == FT_INT;
    char lo[32], hi[32], found[300];
    format_bound(lo, sizeof lo, f->min, integer);
    format_bound(hi, sizeof hi, f->max, integer);
    const char *what = integer ? "an integer" : "a number";
    if (expect_scalar(node, path, what, d))
        return FR_USAGE;
    describe_found(node, found, sizeof found);
    if (node->quoted)
        return schema_error(d, &node->loc, path, "expected %s in [%s, %s], found %s", what, lo, hi, found);
    int overflow;
    double v;
    if (integer) {
        int64_t iv;
        if (parse_int64(node->text, &iv, &overflow))
            return schema_error(d, &node->loc, path, "expected %s in [%s, %s], found %s%s", what, lo, hi, found,
                                overflow ? " (too large)" : "");
        v = (double)iv;
        if (v < f->min || v > f->max)
            return schema_error(d, &node->loc, path, "expected %s in [%s, %s], found %s (out of range)", what,
                                lo, hi, found);
        *(int64_t *)((char *)obj + f->offset) = iv;
        return FR_OK;
    }
    if (parse_real(node->text, &v, &overflow))
        return schema_error(d, &node->loc, path, "expected %s in [%s, %s], found %s%s", what, lo, hi, found,
                            overflow ? " (too large or too small to represent)" : "");
    if (v < f->min || v > f->max)
        return schema_error(d, &node->loc, path, "expected %s in [%s, %s], found %s (out of range)", what, lo,
                            hi, found);
    *(double *)((char *)obj + f->offset) = v;
    return FR_OK;
}

static size_t choice_names(const struct choice *c, const char **names, size_t max)
{
    size_t n = 0;
    for (; c->name && n < max; c++)
        names[n++] = c->name;
    return n;
}

/* "a, b or c": the first name of each value, for "expected one of". */
static void list_choices(const struct choice *choices, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const struct choice *c = choices; c->name; c++) {
        int seen = 0;
        for (const struct choice *e = choices; e < c; e++)
            seen |= e->value == c->value;
        if (seen)
            continue;
        len += snprintf(buf + len, len < size ? size - len : 0, "%s%s", len ? ", " : "", c->name);
    }
}

static int match_choice(const struct field *f, const struct ynode *node, const char *path, int *value,
                        struct diag *d)
{
    char list[600], found[300];
    list_choices(f->choices, list, sizeof list);
    if (node->kind != YN_SCALAR || ytree_is_null(node))
        return schema_error(d, &node->loc, path, "expected one of %s, found %s", list,
                            describe_found(node, found, sizeof found));
    for (const struct choice *c = f->choices; c->name; c++) {
        if (strcasecmp(c->name, node->text) == 0) {
            *value = c->value;
            return FR_OK;
        }
    }
    const char *names[64];
    size_t n = choice_names(f->choices, names, 64);
    const char *near = closest_name(node->text, names, n);
    describe_found(node, found, sizeof found);
    if (near)
        return schema_error(d, &node->loc, path, "unknown value %s (did you mean '%s'?); expected one of %s", found,
                            near, list);
    return schema_error(d, &node->loc, path, "unknown value %s; expected one of %s", found, list);
}

static int apply_enum_set(const struct field *f, const struct ynode *node, const char *path, void *obj,
                          struct diag *d)
{
    unsigned mask = 0;
    int v;
    if (node->kind == YN_MAP) {
        char list[600];
        list_choices(f->choices, list, sizeof list);
        return schema_error(d, &node->loc, path, "expected a list of %s, found a mapping", list);
    }
    if (node->kind == YN_SCALAR) {
        if (match_choice(f, node, path, &v, d))
            return FR_USAGE;
        mask = 1u << v;
    } else {
        if (node->n == 0)
            return schema_error(d, &node->loc, path, "expected at least one entry, found an empty list");
        for (size_t i = 0; i < node->n; i++) {
            char item[340];
            snprintf(item, sizeof item, "%.300s[%zu]", path, i);
            if (match_choice(f, node->items[i], item, &v, d))
                return FR_USAGE;
            if (mask & (1u << v))
                return schema_error(d, &node->items[i]->loc, item, "'%s' is listed twice", node->items[i]->text);
            mask |= 1u << v;
        }
    }
    *(unsigned *)((char *)obj + f->offset) = mask;
    return FR_OK;
}

static int apply_int_list(const struct field *f, const struct ynode *node, const char *path, void *obj,
                          struct diag *d)
{
    struct field one = *f;
    one.type = FT_INT;
    size_t n = node->kind == YN_SEQ ? node->n : 1;
    if (node->kind == YN_MAP)
        return schema_error(d, &node->loc, path, "expected a list of integers, found a mapping");
    if (n == 0 || n > f->size)
        return schema_error(d, &node->loc, path, "expected 1 to %zu integers, found %zu", f->size, n);
    for (size_t i = 0; i < n; i++) {
        char item[340];
        snprintf(item, sizeof item, "%.300s[%zu]", path, i);
        one.offset = f->offset + i * sizeof(int64_t);
        if (apply_number(&one, node->kind == YN_SEQ ? node->items[i] : node, node->kind == YN_SEQ ? item : path,
                         obj, d))
            return FR_USAGE;
    }
    *(size_t *)((char *)obj + f->count_offset) = n;
    return FR_OK;
}

static int apply_map_list(const struct field *f, const struct ynode *node, const char *path, void *obj,
                          struct diag *d)
{
    if (node->kind != YN_SEQ)
        return schema_error(d, &node->loc, path, "expected a list of mappings (- key: value ...), found %s",
                            ynode_kind_name(node));
    if (node->n == 0 || node->n > f->size)
        return schema_error(d, &node->loc, path, "expected 1 to %zu entries, found %zu", f->size, node->n);
    for (size_t i = 0; i < node->n; i++) {
        char item[340];
        snprintf(item, sizeof item, "%.300s[%zu]", path, i);
        void *elem = (char *)obj + f->offset + i * f->elem_size;
        if (f->element_defaults)
            memcpy(elem, f->element_defaults, f->elem_size);
        else
            memset(elem, 0, f->elem_size);
        if (node->items[i]->kind != YN_MAP)
            return schema_error(d, &node->items[i]->loc, item, "expected a mapping, found %s",
                                ynode_kind_name(node->items[i]));
        if (schema_apply(f->fields, node->items[i], item, elem, d))
            return FR_USAGE;
        if (f->element_check && f->element_check(node->items[i], item, elem, d))
            return FR_USAGE;
    }
    *(size_t *)((char *)obj + f->count_offset) = node->n;
    return FR_OK;
}

static int apply_field(const struct field *f, const struct ynode *node, const char *path, void *obj,
                       struct diag *d)
{
    char found[300];
    switch (f->type) {
    case FT_INT:
    case FT_REAL:
        return apply_number(f, node, path, obj, d);
    case FT_BOOL: {
        int b;
        if (expect_scalar(node, path, "true or false", d))
            return FR_USAGE;
        if (node->quoted || parse_bool(node->text, &b))
            return schema_error(d, &node->loc, path, "expected true or false, found %s",
                                describe_found(node, found, sizeof found));
        *(int *)((char *)obj + f->offset) = b;
        return FR_OK;
    }
    case FT_STRING: {
        if (expect_scalar(node, path, "a string", d))
            return FR_USAGE;
        size_t len = strlen(node->text);
        if (len + 1 > f->size)
            return schema_error(d, &node->loc, path, "expected a string of at most %zu characters, found %zu",
                                f->size - 1, len);
        if ((double)len < f->min)
            return schema_error(d, &node->loc, path, "expected a non-empty string");
        memcpy((char *)obj + f->offset, node->text, len + 1);
        return FR_OK;
    }
    case FT_ENUM: {
        int v;
        if (match_choice(f, node, path, &v, d))
            return FR_USAGE;
        *(int *)((char *)obj + f->offset) = v;
        return FR_OK;
    }
    case FT_ENUM_SET:
        return apply_enum_set(f, node, path, obj, d);
    case FT_MAP:
        return schema_apply(f->fields, node, path, obj, d);
    case FT_CUSTOM:
        return f->custom(node, path, obj, d);
    case FT_INT_LIST:
        return apply_int_list(f, node, path, obj, d);
    case FT_MAP_LIST:
        return apply_map_list(f, node, path, obj, d);
    }
    return diag_fail(d, FR_RUNTIME, "internal error: field '%s' has no type", f->key);
}

int schema_apply(const struct field *fields, const struct ynode *node, const char *path, void *obj,
                 struct diag *d)
{
    const char *names[64];
    size_t nf = 0;
    for (const struct field *f = fields; f->key && nf < 64; f++)
        names[nf++] = f->key;
    char keylist[800];
    join_names(names, nf, keylist, sizeof keylist);

    if (node && !ytree_is_null(node) && node->kind != YN_MAP)
        return schema_error(d, &node->loc, path, "expected a mapping with keys %s, found %s", keylist,
                            ynode_kind_name(node));
    if (node && node->kind == YN_MAP) {
        for (size_t i = 0; i < node->n; i++) {
            const struct yentry *e = &node->entries[i];
            const struct field *f = fields;
            while (f->key && strcmp(f->key, e->key) != 0)
                f++;
            char sub[300];
            join_path(sub, sizeof sub, path, e->key);
            if (!f->key)
                return schema_unknown(d, &e->key_loc, sub, "key", e->key, names, nf, "keys here");
            if (ytree_is_null(e->value) && f->type != FT_MAP && f->type != FT_CUSTOM)
                continue;
            if (apply_field(f, e->value, sub, obj, d))
                return FR_USAGE;
        }
    }
    for (const struct field *f = fields; f->key; f++) {
        const struct ynode *v = node && node->kind == YN_MAP ? ytree_get(node, f->key) : NULL;
        if (f->required && (!v || ytree_is_null(v))) {
            char sub[300];
            struct yloc loc = node ? node->loc : (struct yloc){"(config)", 0, 0};
            return schema_error(d, &loc, join_path(sub, sizeof sub, path, f->key),
                                "missing required key '%s'", f->key);
        }
    }
    return FR_OK;
}
