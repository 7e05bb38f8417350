#include "util/yaml_tree.h"

#include "util/array.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

struct frame {
    struct ynode *node;
    char *anchor;
    char *pending_key; /* mapping: key waiting for its value */
    struct yloc key_loc;
};

struct anchor {
    char *name;
    struct ynode *node;
};

struct builder {
    const char *source;
    struct frame stack[YTREE_MAX_DEPTH];
    int depth;
    struct anchor *anchors;
    size_t nanchors, cap_anchors;
    size_t nodes;
    int documents;
    struct ynode *root;
    struct diag *d;
};

const char *yloc_format(const struct yloc *loc, char *buf, size_t size)
{
    if (loc->line > 0)
        snprintf(buf, size, "%s:%d:%d", loc->source, loc->line, loc->col);
    else
        snprintf(buf, size, "%s", loc->source ? loc->source : "(unknown)");
    return buf;
}

const char *ynode_kind_name(const struct ynode *node)
{
    if (!node)
        return "nothing";
    switch (node->kind) {
    case YN_MAP: return "a mapping";
    case YN_SEQ: return "a sequence";
    default: return ytree_is_null(node) ? "null" : "a scalar";
    }
}

static int fail_at(struct builder *b, yaml_mark_t mark, const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg ? arg : "");
    struct yloc loc = {b->source, (int)mark.line + 1, (int)mark.column + 1};
    char where[600];
    return diag_fail(b->d, FR_USAGE, "%s: %s", yloc_format(&loc, where, sizeof where), msg);
}

static struct ynode *node_new(struct builder *b, enum ynode_kind kind, yaml_mark_t mark)
{
    if (++b->nodes > YTREE_MAX_NODES) {
        fail_at(b, mark, "the document has more than %s nodes (after expanding aliases); refusing it",
                "100000");
        return NULL;
    }
    struct ynode *n = calloc(1, sizeof *n);
    if (!n) {
        diag_fail(b->d, FR_RUNTIME, "out of memory while reading %s", b->source);
        return NULL;
    }
    n->kind = kind;
    n->loc = (struct yloc){b->source, (int)mark.line + 1, (int)mark.column + 1};
    return n;
}

void ytree_free(struct ynode *node)
{
    if (!node)
        return;
    free(node->text);
    for (size_t i = 0; i < node->n; i++) {
        if (node->kind == YN_MAP) {
            free(node->entries[i].key);
            ytree_free(node->entries[i].value);
        } else {
            ytree_free(node->items[i]);
        }
    }
    free(node->entries);
    free(node->items);
    free(node);
}

static int map_append(struct ynode *map, char *key, struct yloc key_loc, struct ynode *value)
{
    if (array_reserve((void **)&map->entries, &map->cap, map->n + 1, sizeof *map->entries, 4))
        return -1;
    map->entries[map->n++] = (struct yentry){key, key_loc, value};
    return 0;
}

static int seq_append(struct ynode *seq, struct ynode *item)
{
    if (array_reserve((void **)&seq->items, &seq->cap, seq->n + 1, sizeof *seq->items, 4))
        return -1;
    seq->items[seq->n++] = item;
    return 0;
}

static struct ynode *copy_tree(struct builder *b, const struct ynode *src, yaml_mark_t mark)
{
    struct ynode *n = node_new(b, src->kind, mark);
    if (!n)
        return NULL;
    n->loc = src->loc;
    n->quoted = src->quoted;
    if (src->text && !(n->text = strdup(src->text)))
        goto oom;
    for (size_t i = 0; i < src->n; i++) {
        if (src->kind == YN_MAP) {
            struct ynode *v = copy_tree(b, src->entries[i].value, mark);
            char *k = v ? strdup(src->entries[i].key) : NULL;
            if (!k || map_append(n, k, src->entries[i].key_loc, v)) {
                free(k);
                ytree_free(v);
                goto fail;
            }
        } else {
            struct ynode *v = copy_tree(b, src->items[i], mark);
            if (!v || seq_append(n, v)) {
                ytree_free(v);
                goto fail;
            }
        }
    }
    return n;
oom:
    diag_fail(b->d, FR_RUNTIME, "out of memory while reading %s", b->source);
fail:
    ytree_free(n);
    return NULL;
}

static int register_anchor(struct builder *b, char *name, struct ynode *node)
{
    if (!name)
        return 0;
    if (array_reserve((void **)&b->anchors, &b->cap_anchors, b->nanchors + 1, sizeof *b->anchors, 4)) {
        free(name);
        return diag_fail(b->d, FR_RUNTIME, "out of memory while reading %s", b->source);
    }
    b->anchors[b->nanchors++] = (struct anchor){name, node};
    return 0;
}

/* Hands a finished node to its parent (or makes it the root). */
static int attach(struct builder *b, struct ynode *node, yaml_mark_t mark)
{
    if (b->depth == 0) {
        b->root = node;
        return 0;
    }
    struct frame *f = &b->stack[b->depth - 1];
    if (f->node->kind == YN_SEQ) {
        if (seq_append(f->node, node)) {
            ytree_free(node);
            return diag_fail(b->d, FR_RUNTIME, "out of memory while reading %s", b->source);
        }
        return 0;
    }
    if (!f->pending_key) {
        if (node->kind != YN_SCALAR) {
            ytree_free(node);
            return fail_at(b, mark, "a mapping key must be a plain name, not %s",
                           "a mapping or sequence");
        }
        char *key = node->text ? node->text : strdup("");
        node->text = NULL;
        struct yloc loc = node->loc;
        ytree_free(node);
        if (!key)
            return diag_fail(b->d, FR_RUNTIME, "out of memory while reading %s", b->source);
        if (strcmp(key, "<<") == 0) {
            free(key);
            return fail_at(b, mark, "merge keys ('<<') are not supported; write the keys out%s", "");
        }
        for (size_t i = 0; i < f->node->n; i++) {
            if (strcmp(f->node->entries[i].key, key) == 0) {
                char first[600], msg[800];
                yloc_format(&f->node->entries[i].key_loc, first, sizeof first);
                snprintf(msg, sizeof msg, "duplicate key '%s' (first defined at %s)", key, first);
                free(key);
                char where[600];
                return diag_fail(b->d, FR_USAGE, "%s: %s", yloc_format(&loc, where, sizeof where), msg);
            }
        }
        f->pending_key = key;
        f->key_loc = loc;
        return 0;
    }
    if (map_append(f->node, f->pending_key, f->key_loc, node)) {
        ytree_free(node);
        return diag_fail(b->d, FR_RUNTIME, "out of memory while reading %s", b->source);
    }
    f->pending_key = NULL;
    return 0;
}

static char *dup_anchor(const yaml_char_t *a)
{
    return a ? strdup((const char *)a) : NULL;
}

static int check_tag(struct builder *b, const yaml_char_t *tag, yaml_mark_t mark, int *is_str)
{
    *is_str = 0;
    if (!tag)
        return 0;
    const char *t = (const char *)tag;
    if (strcmp(t, "tag:yaml.org,2002:str") == 0) {
        *is_str = 1;
        return 0;
    }
    static const char *const standard[] = {
        "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "!", NULL};
    for (int i = 0; standard[i]; i++)
        if (strcmp(t, standard[i]) == 0)
            return 0;
    return fail_at(b, mark, "unsupported YAML tag '%s'", t);
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
    int is_str;
    if (check_tag(b, ev->data.scalar.tag, ev->start_mark, &is_str))
        return b->d->code;
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(v, '\0', len))
        return fail_at(b, ev->start_mark, "a value contains a NUL character%s", "");
    struct ynode *n = node_new(b, YN_SCALAR, ev->start_mark);
    if (!n)
        return b->d->code;
    n->text = strndup(v, len);
    n->quoted = is_str || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    if (!n->text) {
        ytree_free(n);
        return diag_fail(b->d, FR_RUNTIME, "out of memory while reading %s", b->source);
    }
    int is_key = b->depth > 0 && b->stack[b->depth - 1].node->kind == YN_MAP &&
                 !b->stack[b->depth - 1].pending_key;
    if (is_key && ev->data.scalar.anchor) {
        ytree_free(n);
        return fail_at(b, ev->start_mark, "anchors on mapping keys are not supported%s", "");
    }
    char *anchor = dup_anchor(ev->data.scalar.anchor);
    if (register_anchor(b, anchor, n)) {
        ytree_free(n);
        return b->d->code;
    }
    return attach(b, n, ev->start_mark);
}

static int on_start(struct builder *b, const yaml_event_t *ev, enum ynode_kind kind)
{
    const yaml_char_t *tag = kind == YN_MAP ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    const yaml_char_t *anchor = kind == YN_MAP ? ev->data.mapping_start.anchor
                                               : ev->data.sequence_start.anchor;
    int is_str;
    if (check_tag(b, tag, ev->start_mark, &is_str))
        return b->d->code;
    if (b->depth == YTREE_MAX_DEPTH)
        return fail_at(b, ev->start_mark, "nesting deeper than %s levels", "64");
    struct ynode *n = node_new(b, kind, ev->start_mark);
    if (!n)
        return b->d->code;
    b->stack[b->depth++] = (struct frame){.node = n, .anchor = dup_anchor(anchor)};
    return 0;
}

static int on_end(struct builder *b, const yaml_event_t *ev)
{
    struct frame f = b->stack[--b->depth];
    free(f.pending_key); /* cannot happen for well-formed event streams */
    if (register_anchor(b, f.anchor, f.node)) {
        ytree_free(f.node);
        return b->d->code;
    }
    return attach(b, f.node, ev->start_mark);
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    for (size_t i = b->nanchors; i-- > 0;) {
        if (strcmp(b->anchors[i].name, name) == 0) {
            struct ynode *copy = copy_tree(b, b->anchors[i].node, ev->start_mark);
            if (!copy)
                return b->d->code;
            return attach(b, copy, ev->start_mark);
        }
    }
    for (int i = 0; i < b->depth; i++)
        if (b->stack[i].anchor && strcmp(b->stack[i].anchor, name) == 0)
            return fail_at(b, ev->start_mark, "alias '*%s' refers to a node that contains it (recursive)", name);
    return fail_at(b, ev->start_mark, "alias '*%s' refers to an undefined anchor", name);
}

static int handle(struct builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1)
            return fail_at(b, ev->start_mark, "more than one YAML document ('---'); fidrun reads one%s", "");
        return 0;
    case YAML_SCALAR_EVENT: return on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT: return on_start(b, ev, YN_SEQ);
    case YAML_MAPPING_START_EVENT: return on_start(b, ev, YN_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: return on_end(b, ev);
    case YAML_ALIAS_EVENT: return on_alias(b, ev);
    default: return 0;
    }
}

int ytree_parse(const char *text, size_t len, const char *source, struct ynode **root, struct diag *d)
{
    struct builder b = {.source = source, .d = d};
    yaml_parser_t parser;
    *root = NULL;
    if (!yaml_parser_initialize(&parser))
        return diag_fail(d, FR_RUNTIME, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = FR_OK, done = 0;
    while (!done && rc == FR_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            yaml_mark_t mark = parser.problem_mark;
            char msg[512];
            snprintf(msg, sizeof msg, "not valid YAML: %s%s%s", parser.problem ? parser.problem : "syntax error",
                     parser.context ? " " : "", parser.context ? parser.context : "");
            rc = fail_at(&b, mark, "%s", msg);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = handle(&b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    while (b.depth > 0) {
        struct frame *f = &b.stack[--b.depth];
        free(f->pending_key);
        free(f->anchor);
        ytree_free(f->node);
    }
    for (size_t i = 0; i < b.nanchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    if (rc != FR_OK) {
        ytree_free(b.root);
        return rc;
    }
    *root = b.root;
    return FR_OK;
}

const struct yentry *ytree_entry(const struct ynode *map, const char *key)
{
    if (!map || map->kind != YN_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->entries[i].key, key) == 0)
            return &map->entries[i];
    return NULL;
}

const struct ynode *ytree_get(const struct ynode *map, const char *key)
{
    const struct yentry *e = ytree_entry(map, key);
    return e ? e->value : NULL;
}

int ytree_is_null(const struct ynode *node)
{
    if (!node || node->kind != YN_SCALAR || node->quoted)
        return 0;
    const char *t = node->text;
    return t[0] == '\0' || strcmp(t, "~") == 0 || strcasecmp(t, "null") == 0;
}

int ytree_set_path(struct ynode **root, const char *path, struct ynode *value, const char *source,
                   struct diag *d)
{
    struct yloc loc = {source, 0, 0};
    if (!*root) {
        *root = calloc(1, sizeof **root);
        if (!*root)
            goto oom;
        (*root)->kind = YN_MAP;
        (*root)->loc = loc;
    }
    struct ynode *map = *root;
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t klen = dot ? (size_t)(dot - p) : strlen(p);
        if (klen == 0) {
            ytree_free(value);
            return diag_fail(d, FR_USAGE, "%s: empty key in '%s'", source, path);
        }
        if (map->kind != YN_MAP) {
            char where[600];
            ytree_free(value);
            return diag_fail(d, FR_USAGE, "%s: cannot set '%s': the value at %s is %s, not a mapping", source,
                             path, yloc_format(&map->loc, where, sizeof where), ynode_kind_name(map));
        }
        char *key = strndup(p, klen);
        if (!key)
            goto oom;
        struct yentry *e = (struct yentry *)ytree_entry(map, key);
        if (!dot) {
            if (e) {
                free(key);
                ytree_free(e->value);
                e->value = value;
                e->key_loc = loc;
            } else if (map_append(map, key, loc, value)) {
                free(key);
                goto oom;
            }
            return FR_OK;
        }
        if (!e || ytree_is_null(e->value)) {
            struct ynode *sub = calloc(1, sizeof *sub);
            if (!sub) {
                free(key);
                goto oom;
            }
            sub->kind = YN_MAP;
            sub->loc = loc;
            if (e) {
                free(key);
                ytree_free(e->value);
                e->value = sub;
            } else if (map_append(map, key, loc, sub)) {
                free(key);
                free(sub);
                goto oom;
            }
            map = sub;
        } else {
            free(key);
            map = e->value;
        }
        p = dot + 1;
    }
oom:
    ytree_free(value);
    return diag_fail(d, FR_RUNTIME, "out of memory");
}

struct ynode *ytree_clone(const struct ynode *src)
{
    struct ynode *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = src->kind;
    n->loc = src->loc;
    n->quoted = src->quoted;
    if (src->text && !(n->text = strdup(src->text)))
        goto fail;
    for (size_t i = 0; i < src->n; i++) {
        int map = src->kind == YN_MAP;
        struct ynode *v = ytree_clone(map ? src->entries[i].value : src->items[i]);
        char *k = v && map ? strdup(src->entries[i].key) : NULL;
        if (!v || (map && !k) || (map ? map_append(n, k, src->entries[i].key_loc, v) : seq_append(n, v))) {
            free(k);
            ytree_free(v);
            goto fail;
        }
    }
    return n;
fail:
    ytree_free(n);
    return NULL;
}

static struct ynode *scalar_new(const char *text, struct yloc loc)
{
    struct ynode *n = calloc(1, sizeof *n);
    if (n && !(n->text = strdup(text))) {
        free(n);
        return NULL;
    }
    if (n) {
        n->kind = YN_SCALAR;
        n->loc = loc;
    }
    return n;
}

int ytree_set_text(struct ynode **root, const char *path, const char *text, const char *source, struct diag *d)
{
    struct ynode *n = scalar_new(text, (struct yloc){source, 0, 0});
    return n ? ytree_set_path(root, path, n, source, d) : diag_fail(d, FR_RUNTIME, "out of memory");
}

int ytree_set_ints(struct ynode **root, const char *path, const int *x, size_t n, const char *source,
                   struct diag *d)
{
    struct yloc loc = {source, 0, 0};
    struct ynode *seq = calloc(1, sizeof *seq);
    if (seq) {
        seq->kind = YN_SEQ;
        seq->loc = loc;
    }
    for (size_t i = 0; seq && i < n; i++) {
        char text[32];
        snprintf(text, sizeof text, "%d", x[i]);
        struct ynode *item = scalar_new(text, loc);
        if (!item || seq_append(seq, item)) {
            ytree_free(item);
            ytree_free(seq);
            seq = NULL;
        }
    }
    return seq ? ytree_set_path(root, path, seq, source, d) : diag_fail(d, FR_RUNTIME, "out of memory");
}

struct leaves {
    char *buf;
    size_t len, cap;
    int oom;
};

static void leaves_add(struct leaves *l, const char *fmt, ...)
{
    va_list ap;
    if (!l->buf && array_reserve((void **)&l->buf, &l->cap, 256, 1, 256)) /* buf + len needs a buffer */
        l->oom = 1;
    for (int tries = 0; tries < 2 && !l->oom; tries++) {
        va_start(ap, fmt);
        int n = vsnprintf(l->buf + l->len, l->cap - l->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            l->oom = 1;
        } else if ((size_t)n < l->cap - l->len) {
            l->len += (size_t)n;
            return;
        } else if (array_reserve((void **)&l->buf, &l->cap, l->len + (size_t)n + 1, 1, 256)) {
            l->oom = 1;
        }
    }
}

static int scalar_seq(const struct ynode *n)
{
    for (size_t i = 0; i < n->n; i++)
        if (n->items[i]->kind != YN_SCALAR)
            return 0;
    return 1;
}

static void leaves_walk(struct leaves *l, const struct ynode *n, char *path, size_t plen, size_t size)
{
    char where[600];
    if (n->kind == YN_MAP) {
        for (size_t i = 0; i < n->n; i++) {
            int w = snprintf(path + plen, size - plen, "%s%s", plen ? "." : "", n->entries[i].key);
            if (w > 0 && (size_t)w < size - plen)
                leaves_walk(l, n->entries[i].value, path, plen + (size_t)w, size);
            path[plen] = 0;
        }
    } else if (n->kind == YN_SEQ && !scalar_seq(n)) {
        for (size_t i = 0; i < n->n; i++) {
            int w = snprintf(path + plen, size - plen, "[%zu]", i);
            if (w > 0 && (size_t)w < size - plen)
                leaves_walk(l, n->items[i], path, plen + (size_t)w, size);
            path[plen] = 0;
        }
    } else {
        leaves_add(l, "%s = ", path);
        if (n->kind == YN_SEQ) {
            leaves_add(l, "[");
            for (size_t i = 0; i < n->n; i++)
                leaves_add(l, "%s%s", i ? ", " : "", n->items[i]->text);
            leaves_add(l, "]");
        } else {
            leaves_add(l, "%s", n->text);
        }
        leaves_add(l, "  (%s)\n", yloc_format(&n->loc, where, sizeof where));
    }
}

char *ytree_leaves_text(const struct ynode *root)
{
    struct leaves l = {0};
    char path[1024] = "";
    leaves_add(&l, "%s", "");
    if (root)
        leaves_walk(&l, root, path, 0, sizeof path);
    if (l.oom) {
        free(l.buf);
        return NULL;
    }
    return l.buf;
}

const char *ytree_libyaml_version(void)
{
    return yaml_get_version_string();
}
