/* Counter-based random numbers (Philox4x32-10, Salmon et al., SC'11): the
 * value at index i depends only on (key, stream, i), so any rank can make any
 * part of any matrix and get the same numbers. Pure. */
#ifndef FIDRUN_RNG_H
#define FIDRUN_RNG_H

#include <stddef.h>
#include <stdint.h>

struct philox_key {
    uint32_t k[2];
};

/* One Philox4x32-10 block. */
void philox4x32_10(const uint32_t ctr[4], struct philox_key key, uint32_t out[4]);

uint64_t splitmix64(uint64_t x);
uint64_t fnv1a64(const char *s);

/* Key for a named object under a run seed. */
struct philox_key rng_key(uint64_t seed, const char *name);

/* Standard normals z[i] for indices [first, first + count) of a stream,
 * by Box-Muller on 53-bit uniforms (two normals per Philox block). */
void rng_normals(struct philox_key key, uint32_t stream, uint64_t first, size_t count, double *z);

/* Uniforms in [0, 1) with 53 random bits, u[i] for index first + i of a
 * stream (two per Philox block). */
void rng_uniforms(struct philox_key key, uint32_t stream, uint64_t first, size_t count, double *u);

#endif
