/* The plan `fidrun balance --assign` and `fidrun pack --assign` write:
 * one line per item (per algorithm and rank count), saying where it went.
 * CSV (RFC 4180, labels quoted as needed) or, for a name ending in .json,
 * one JSON array of objects with the same keys. */
#ifndef FIDRUN_PLAN_FILE_H
#define FIDRUN_PLAN_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/diag.h"

struct plan_file {
    FILE *f;
    const char *path;
    int json, rows;
    int pack; /* columns length,row,rank instead of cost,rank */
};

int plan_open(struct plan_file *p, const char *path, int pack, struct diag *d);

/* One item. line 0 and label NULL for generated items; row unused by
 * balance plans; row and rank -1 for a sequence the packer dropped. */
void plan_add(struct plan_file *p, const char *algorithm, int32_t ranks, size_t item, long line, const char *label,
              double value, int64_t row, int32_t rank);

/* FR_OK, or FR_RUNTIME naming the file when it could not be written. */
int plan_close(struct plan_file *p, struct diag *d);

#endif
