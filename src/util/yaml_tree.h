/* A YAML document as a small tree whose every node remembers where it came
 * from (file:line:col, or the --set argument), so config errors can say so.
 * Built from libyaml's event parser; anchors/aliases are expanded by copy
 * (bounded, so "billion laughs" input is rejected), merge keys, complex keys,
 * custom tags, duplicate keys and multiple documents are rejected. */
#ifndef FIDRUN_YAML_TREE_H
#define FIDRUN_YAML_TREE_H

#include <stddef.h>

#include "util/diag.h"

enum ynode_kind { YN_SCALAR, YN_MAP, YN_SEQ };

struct yloc {
    const char *source; /* file path or the command-line argument; not owned */
    int line, col;      /* 1-based; 0 when the source is a command-line value */
};

struct ynode;

struct yentry {
    char *key;
    struct yloc key_loc;
    struct ynode *value;
};

struct ynode {
    enum ynode_kind kind;
    struct yloc loc;
    char *text;     /* YN_SCALAR */
    int quoted;     /* YN_SCALAR: quoted or !!str-tagged, so never a number */
    size_t n, cap;  /* entries (YN_MAP) or items (YN_SEQ), and room for them */
    struct yentry *entries;
    struct ynode **items;
};

/* libyaml's version as it reports itself at run time ("0.2.5"). */
const char *ytree_libyaml_version(void);

#define YTREE_MAX_DEPTH 64
#define YTREE_MAX_NODES 100000

/* Parses one YAML document. *root is NULL for an empty document.
 * Returns FR_OK or FR_USAGE with "source:line:col: ..." in d. */
int ytree_parse(const char *text, size_t len, const char *source,
                struct ynode **root, struct diag *d);

void ytree_free(struct ynode *node);

/* Value of key in a mapping, or NULL (also when map is NULL or not a map). */
const struct ynode *ytree_get(const struct ynode *map, const char *key);
const struct yentry *ytree_entry(const struct ynode *map, const char *key);

/* Plain scalar "", "~" or "null" (any case of the latter). */
int ytree_is_null(const struct ynode *node);

/* Sets dotted.key.path to value (taking ownership), creating mappings on the
 * way; *root may be NULL. Fails (FR_USAGE) when a step is not a mapping. */
int ytree_set_path(struct ynode **root, const char *path, struct ynode *value,
                   const char *source, struct diag *d);

/* A deep copy (NULL when out of memory), with the same locations. */
struct ynode *ytree_clone(const struct ynode *node);

/* ytree_set_path with a new scalar, or a new list of integers, located at
 * source (the nodes made for values that come from no file). */
int ytree_set_text(struct ynode **root, const char *path, const char *text, const char *source, struct diag *d);
int ytree_set_ints(struct ynode **root, const char *path, const int *x, size_t n, const char *source,
                   struct diag *d);

/* Every scalar leaf as "key.path = value  (source)" lines, sequences of
 * scalars as one "[a, b]" value, into a malloc'ed string. */
char *ytree_leaves_text(const struct ynode *root);

/* "file:line:col" or the command-line source. */
const char *yloc_format(const struct yloc *loc, char *buf, size_t size);

const char *ynode_kind_name(const struct ynode *node);

#endif
