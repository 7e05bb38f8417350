#include "config/fingerprint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct text {
    char *buf;
    size_t len, cap;
    int oom;
};

static void add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = t->oom ? 0 : vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (t->oom || n < 0)
            return;
        if (t->buf && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap ? 2 * t->cap : 1024) + (size_t)n;
        char *grown = realloc(t->buf, cap);
        if (!grown) {
            t->oom = 1;
            return;
        }
        t->buf = grown;
        t->cap = cap;
    }
}

/* Keys of a suite that say how it runs, not what it measures. */
static int run_only(const char *key)
{
    static const char *const suffixes[] = {".task_timeout", ".repeats", ".export_factors", ".export_dtype"};
    size_t len = strlen(key);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t s = strlen(suffixes[i]);
        if (len >= s && strcmp(key + len - s, suffixes[i]) == 0)
            return 1;
    }
    return strstr(key, ".checks.") != NULL;
}

char *config_fingerprint(const struct run_config *cfg)
{
    struct text t = {0};
    add(&t, "seed = %lld\n", (long long)cfg->seed);
    if (cfg->model[0])
        add(&t, "model = %s\n", cfg->model);
    if (cfg->profile[0])
        add(&t, "profile = %s\n", cfg->profile);
    for (size_t s = 0; s < cfg->nsuites; s++) {
        const char *name = cfg->suites[s].suite->name;
        char prefix[64];
        int plen = snprintf(prefix, sizeof prefix, "suites.%s.", name);
        add(&t, "suite %s = run\n", name);
        for (const char *line = cfg->resolved; line && *line;) {
            const char *end = strchr(line, '\n');
            size_t len = end ? (size_t)(end - line) : strlen(line);
            if (len > (size_t)plen && strncmp(line, prefix, (size_t)plen) == 0) {
                /* "suites.quant.layers.bits = [3, 4]  (file:13:13)" */
                const char *eq = strstr(line, " = ");
                size_t vlen = len;
                for (size_t k = len; eq && k > (size_t)(eq - line) + 3; k--)
                    if (k >= 3 && strncmp(line + k - 3, "  (", 3) == 0) {
                        vlen = k - 3;
                        break;
                    }
                char key[512];
                size_t klen = eq ? (size_t)(eq - line) : 0;
                if (eq && klen < sizeof key && (size_t)(eq - line) < vlen) {
                    snprintf(key, sizeof key, "%.*s", (int)klen, line);
                    if (!run_only(key))
                        add(&t, "%s = %.*s\n", key + strlen("suites."), (int)(vlen - klen - 3), eq + 3);
                }
            }
            line = end ? end + 1 : line + len;
        }
    }
    if (t.oom || !t.buf) {
        free(t.buf);
        return t.oom ? NULL : strdup("");
    }
    return t.buf;
}

/* The value of key in a fingerprint text, into value; 0 when absent. */
static int lookup(const char *text, const char *key, size_t klen, const char **value, size_t *vlen)
{
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > klen + 3 && strncmp(line, key, klen) == 0 && strncmp(line + klen, " = ", 3) == 0) {
            *value = line + klen + 3;
            *vlen = len - klen - 3;
            return 1;
        }
        line = end ? end + 1 : line + len;
    }
    return 0;
}

char *fingerprint_differences(const char *base, const char *now, size_t *n)
{
    struct text t = {0};
    *n = 0;
    add(&t, "%s", "");
    for (int side = 0; side < 2; side++) {
        const char *x = side ? now : base, *y = side ? base : now;
        for (const char *line = x; line && *line;) {
            const char *end = strchr(line, '\n');
            size_t len = end ? (size_t)(end - line) : strlen(line);
            const char *eq = strstr(line, " = ");
            if (eq && eq < line + len) {
                size_t klen = (size_t)(eq - line), xlen = len - klen - 3, ylen;
                const char *yv;
                int in_y = lookup(y, line, klen, &yv, &ylen);
                int is_suite = klen > 6 && strncmp(line, "suite ", 6) == 0;
                if (!in_y && is_suite) {
                    add(&t, "  %.*s: %s\n", (int)klen, line,
                        side ? "run now, not in the baseline" : "in the baseline, not run now");
                    ++*n;
                } else if (!in_y) {
                    /* a suite missing on one side is one difference, not one per key */
                    const char *dot = memchr(line, '.', klen);
                    char suite_key[80];
                    snprintf(suite_key, sizeof suite_key, "suite %.*s", dot ? (int)(dot - line) : 0, line);
                    if (!dot || lookup(y, suite_key, strlen(suite_key), &yv, &ylen)) {
                        if (side)
                            add(&t, "  %.*s: not set in the baseline, %.*s now\n", (int)klen, line, (int)xlen, eq + 3);
                        else
                            add(&t, "  %.*s: %.*s in the baseline, not set now\n", (int)klen, line, (int)xlen, eq + 3);
                        ++*n;
                    }
                } else if (!side && (xlen != ylen || strncmp(eq + 3, yv, xlen) != 0)) {
                    add(&t, "  %.*s: %.*s in the baseline, %.*s now\n", (int)klen, line, (int)xlen, eq + 3, (int)ylen,
                        yv);
                    ++*n;
                }
            }
            line = end ? end + 1 : line + len;
        }
    }
    if (t.oom) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}
