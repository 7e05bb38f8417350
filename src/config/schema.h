/* Declarative config schemas: a table of fields per mapping, applied to a
 * YAML tree with type, range and spelling checks. Pure: no I/O, no globals. */
#ifndef FIDRUN_SCHEMA_H
#define FIDRUN_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"
#include "util/yaml_tree.h"

enum field_type {
    FT_INT,      /* int64_t, inclusive range [min, max] */
    FT_REAL,     /* double, inclusive range [min, max], never NaN */
    FT_BOOL,     /* int: true/false/yes/no/on/off */
    FT_STRING,   /* char[size], at least min characters */
    FT_ENUM,     /* int: value of the matching choice */
    FT_ENUM_SET, /* unsigned mask: bit (value) per choice; a sequence or a single name */
    FT_MAP,      /* nested fields (offsets relative to the same object) */
    FT_CUSTOM,   /* parsed by the field's callback */
    FT_INT_LIST, /* int64_t[size] in [min, max], count in the size_t at count_offset; a sequence or one value */
    FT_MAP_LIST, /* a sequence of mappings: elements of elem_size bytes (at most size), each a copy of
                    element_defaults with fields applied, then element_check; count at count_offset */
};

struct choice {
    const char *name;
    int value; /* several names may share a value (aliases) */
};

struct field {
    const char *key;
    enum field_type type;
    size_t offset;
    size_t size;
    double min, max;
    const struct choice *choices; /* terminated by {NULL, 0} */
    const struct field *fields;   /* FT_MAP; terminated by key NULL */
    int (*custom)(const struct ynode *node, const char *path, void *obj, struct diag *d);
    int required;
    size_t count_offset;
    size_t elem_size;
    const void *element_defaults;
    int (*element_check)(const struct ynode *node, const char *path, void *element, struct diag *d);
};

/* Applies the fields to a mapping node (NULL or null node: nothing to do).
 * path is the dotted key path of node ("" at the root). Null values keep
 * the defaults already in obj. Returns FR_OK or FR_USAGE. */
int schema_apply(const struct field *fields, const struct ynode *node, const char *path, void *obj,
                 struct diag *d);

/* "LOC: PATH: message" into d, returning FR_USAGE. */
int schema_error(struct diag *d, const struct yloc *loc, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A key that has an effect only under a condition the config does not meet:
 * when node has it (and it is not null), "LOC: PATH.key: has no effect
 * unless WHEN (here NOW); remove it, or set WHEN", FR_USAGE; else FR_OK.
 * A config whose settings are silently ignored misleads its reader. */
int schema_no_effect(const struct ynode *node, const char *path, const char *key, const char *when, const char *now,
                     struct diag *d);

/* The closest candidate within a small edit distance (transpositions count
 * as one edit), or NULL. */
const char *closest_name(const char *word, const char *const *candidates, size_t n);

/* Optimal-string-alignment distance, case-insensitive. */
size_t edit_distance(const char *a, const char *b);

/* "a, b, c" into buf. */
const char *join_names(const char *const *names, size_t n, char *buf, size_t size);

/* "LOC: PATH: unknown WHAT 'word' (did you mean 'x'?); known LABEL: a, b"
 * (the suggestion only when one is close), returning FR_USAGE. */
int schema_unknown(struct diag *d, const struct yloc *loc, const char *path, const char *what, const char *word,
                   const char *const *names, size_t n, const char *label);

/* Scalar parsers with the schema's rules; 0 on success. */
int parse_int64(const char *text, int64_t *out, int *overflow);
int parse_real(const char *text, double *out, int *overflow);
int parse_bool(const char *text, int *out);

/* "'text'", "the quoted string \"text\"", "a mapping", ... for messages. */
const char *describe_found(const struct ynode *node, char *buf, size_t size);

/* path + "." + key (or key alone at the root). */
const char *join_path(char *buf, size_t size, const char *path, const char *key);

#endif
