/* Model size from a name or path: the parameter count in billions and a
 * tier, as people write sizes in model names. Pure: no I/O, no globals.
 *
 * Rules (README "Model size detection"):
 *   - the last path component is the name ("./models/mistral-7b/" -> "mistral-7b");
 *   - case and separators (- _ space) do not matter;
 *   - a size is a number followed by a unit: b or billion (7b, 1.5B,
 *     7 billion, 7_billion), m or million (135M); a one-letter unit touches
 *     its number, and no unit runs into a word ("4bit" is not 4 billion);
 *     numbers without a unit are versions ("llama-3.1-8b" is 8, not 3.1);
 *   - NxM b (Mixtral-8x7B): N experts of M, whose attention is shared: the
 *     published total where the family is known (Mixtral 8x7B 46.7,
 *     8x22B 141), else N x M marked as an upper bound;
 *   - several sizes: the largest billion-size wins (then the largest
 *     million-size), so "Qwen2.5-14B-Instruct-1M" is 14 and planning errs
 *     on the large side;
 *   - no size written: a family's usual size, marked guessed (phi-2 2.7,
 *     phi-3 3.8, llama3 8, qwen 7, mistral 7, gpt2 0.124, deepseek-v3 671,
 *     bert 0.11, ...); else unknown;
 *   - a HuggingFace cache path (models--Org--Name/snapshots/HASH) is read
 *     by its Name.
 * Tiers: p <= 10 small, 10 < p <= 20 medium, 20 < p <= 50 large, p > 50
 * xlarge; so 10 is small, 10.5 and 11 medium, 20 medium, 21 large, 50
 * large, 51 xlarge. */
#ifndef FIDRUN_MODEL_SIZE_H
#define FIDRUN_MODEL_SIZE_H

#include <stddef.h>

enum size_tier { TIER_UNKNOWN, TIER_SMALL, TIER_MEDIUM, TIER_LARGE, TIER_XLARGE };

enum size_source { SIZE_UNKNOWN, SIZE_FROM_NAME, SIZE_GUESSED, SIZE_COUNTED, SIZE_UPPER_BOUND };

struct model_size {
    double billions;          /* 0 when unknown */
    enum size_source source;
    char family[32];          /* the family a guess came from */
};

/* Detects the size written in name (NULL or "" is unknown). */
struct model_size model_size_from_name(const char *name);

enum size_tier size_tier_of(double billions); /* TIER_UNKNOWN for <= 0 or NaN */
const char *size_tier_name(enum size_tier t);
const char *size_source_name(enum size_source s);

#endif
