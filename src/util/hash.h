/* FNV-1a, 64 bits: the hash of packed tensors that a baseline compares
 * bit for bit. Not for anything adversarial. */
#ifndef FIDRUN_HASH_H
#define FIDRUN_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A64_OFFSET 0xcbf29ce484222325ull

/* h: FNV1A64_OFFSET to start, or a previous result to continue. */
uint64_t fnv1a64_bytes(uint64_t h, const void *data, size_t n);

#endif
