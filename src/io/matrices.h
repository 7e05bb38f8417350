/* Where weight matrices come from. Today: seeded synthetic weights whose
 * values depend only on (seed, matrix name), so every rank makes the same
 * matrix. Real checkpoints plug in behind the same interface. */
#ifndef FIDRUN_MATRICES_H
#define FIDRUN_MATRICES_H

#include <stdint.h>

#include "core/matrix.h"
#include "util/diag.h"

/* Gaussian entries of scale std plus `spikes` rank-one directions u v^T with
 * strengths strength * std * (sqrt(m) + sqrt(n)) * decay^r: the noise's top
 * singular value is about std * (sqrt(m) + sqrt(n)), so strength > 1 puts the
 * spikes above the bulk as in trained LLM weights (a decaying spectrum, not
 * white noise). */
struct synthetic_spectrum {
    double std;
    int64_t spikes;
    double strength;
    double decay;
};

enum matrix_source_kind { SOURCE_SYNTHETIC, SOURCE_CHECKPOINT };

struct st_model;

struct matrix_source {
    enum matrix_source_kind kind;
    uint64_t seed;
    struct synthetic_spectrum spectrum;
    const struct st_model *checkpoint; /* SOURCE_CHECKPOINT: the weights, by tensor name */
    int transposed;                    /* the tensor is stored [in, out] (GPT-2's Conv1D) */
};

/* Makes the named rows x cols weight (allocated here, column-major): drawn,
 * or read from the checkpoint (a rows x cols tensor, as nn.Linear stores
 * it, or cols x rows when transposed; F64/F32/F16/BF16 widened or rounded
 * to dtype). */
int matrix_source_load(const struct matrix_source *src, const char *name, int64_t rows, int64_t cols,
                       enum dtype dtype, struct matrix *out, struct diag *d);

/* Rows which[0..nrows) of that rows x cols weight only (out is nrows x
 * cols): a rank's block of a distributed matrix, the same numbers as the
 * whole matrix's rows. */
int matrix_source_load_rows(const struct matrix_source *src, const char *name, int64_t rows, int64_t cols,
                            const int64_t *which, int64_t nrows, enum dtype dtype, struct matrix *out,
                            struct diag *d);

/* The synthetic generator itself (pure); _rows makes rows[i] of an m-row
 * weight as w's row i (rows NULL: every row, w->rows = m). */
int synthetic_weight(uint64_t seed, const char *name, const struct synthetic_spectrum *sp, struct matrix *w);
int synthetic_weight_rows(uint64_t seed, const char *name, const struct synthetic_spectrum *sp, int64_t m,
                          const int64_t *rows, struct matrix *w);

#endif
