/* A small text file read whole (config.json and the like), or written. */
#ifndef FIDRUN_TEXT_FILE_H
#define FIDRUN_TEXT_FILE_H

#include <stddef.h>

#include "util/diag.h"

#define TEXT_FILE_MAX (16u << 20)

/* The file's bytes (NUL-terminated, *len without the NUL), or NULL: with
 * *missing = 1 when there is no such file, else with d set (FR_USAGE: not
 * readable, or over TEXT_FILE_MAX). The caller frees. */
char *text_file_read(const char *path, size_t *len, int *missing, struct diag *d);

/* Writes text to path (replacing it). FR_RUNTIME naming the file on failure. */
int text_file_write(const char *path, const char *text, struct diag *d);

#endif
