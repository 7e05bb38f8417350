/* Calibration activations read from a safetensors file, the real-data
 * counterpart of core/quant/calibration.h's synthetic ones. */
#ifndef FIDRUN_IO_ACTIVATIONS_H
#define FIDRUN_IO_ACTIVATIONS_H

#include <stdint.h>

#include "core/quant/calibration.h"
#include "util/diag.h"

/* Reads a [tokens, in] or [batch, seq, in] floating tensor; *x is malloc'd
 * and *tokens set. Errors name the file and tensor (exit 2). */
int activations_from_file(const char *path, const char *tensor, int64_t in, float **x, int64_t *tokens,
                          struct diag *d);

/* From a file (as activations_from_file): the last quarter of the tokens,
 * at most held_max, is held out; at least 2 tokens are needed. */
int activation_sets_from_file(const char *path, const char *tensor, int64_t in, int64_t held_max,
                              struct activation_sets *a, struct diag *d);

#endif
