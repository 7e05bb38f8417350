/* The results file (HDF5, rank 0 only): one new file per run, written under
 * a temporary name and renamed, never overwriting; compound tables declared
 * by struct table_desc; provenance as attributes. */
#ifndef FIDRUN_RESULTS_H
#define FIDRUN_RESULTS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "plugin/table.h"
#include "util/diag.h"

struct results_file;

/* The HDF5 library's version, as it reports itself at run time ("1.10.8"). */
const char *results_hdf5_version(char *buf, size_t size);

/* A table read back has at most this many rows: more is a damaged file. */
#define RESULTS_MAX_ROWS 100000000

/* Creates the folder if needed and checks that a file can be made there. */
int results_check_dir(const char *dir, struct diag *d);

/* Whether dir's file system has bytes free (FR_RUNTIME with the figures
 * when not; FR_OK when it cannot tell). */
int results_check_space(const char *dir, double bytes, struct diag *d);

/* Starts dir/<name>-<YYYYmmdd-HHMMSS>.h5 (with -2, -3... if taken). */
int results_create(const char *dir, const char *name, time_t start, struct results_file **rf, struct diag *d);

/* Attributes on the root ("/") or a group ("/osft"). */
int results_attr_string(struct results_file *rf, const char *object, const char *key, const char *value,
                        struct diag *d);
int results_attr_double(struct results_file *rf, const char *object, const char *key, double value,
                        struct diag *d);
int results_attr_int(struct results_file *rf, const char *object, const char *key, int64_t value,
                     struct diag *d);

/* Writes rows as the dataset <group>/<desc->name> ("/" for the root). */
int results_write_table(struct results_file *rf, const char *group, const struct table_desc *desc,
                        const void *rows, size_t n, struct diag *d);

/* Closes and renames into place; the final path goes to path. */
int results_finish(struct results_file *rf, char *path, size_t size, struct diag *d);

/* Closes and removes the temporary file (after an error). */
void results_discard(struct results_file *rf);

/* Reads <dataset> into rows laid out by desc (columns matched by name). A
 * file that cannot be opened or read (damaged, not fidrun's) is FR_USAGE:
 * it is bad input; the file's own checksums (Fletcher-32 per chunk, those
 * of the 1.8 format's metadata) catch damage before its bytes are used. */
int results_read_table(const char *path, const char *dataset, const struct table_desc *desc, void **rows,
                       size_t *n, struct diag *d);

/* 1 when the file has the dataset ("/quant/layers"), 0 when not, -1 when
 * the file cannot be opened. */
int results_has_table(const char *path, const char *dataset);

/* Reads an attribute of the root group as text (malloc'd): a string as it is, a number printed. */
int results_read_root_attr(const char *path, const char *key, char **value, struct diag *d);
/* The same for any object ("/osft"); FR_USAGE when it has no such attribute. */
int results_read_attr(const char *path, const char *object, const char *key, char **value, struct diag *d);

/* Every attribute of the root group, in name order: fn(name, text, is_number,
 * number, arg) with strings as they are and numbers printed ("%.17g" or
 * "%lld") and given as a double too. */
typedef int (*results_attr_fn)(const char *name, const char *text, int is_number, double number, void *arg);
int results_root_attrs(const char *path, results_attr_fn fn, void *arg, struct diag *d);

#endif
