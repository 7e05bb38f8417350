#include "util/rng.h"

#include <math.h>

static inline void mulhilo32(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo)
{
    uint64_t p = (uint64_t)a * b;
    *hi = (uint32_t)(p >> 32);
    *lo = (uint32_t)p;
}

void philox4x32_10(const uint32_t ctr[4], struct philox_key key, uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key.k[0], k1 = key.k[1];
    for (int round = 0; round < 10; round++) {
        uint32_t hi0, lo0, hi1, lo1;
        mulhilo32(0xD2511F53u, c0, &hi0, &lo0);
        mulhilo32(0xCD9E8D57u, c2, &hi1, &lo1);
        uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001B3ull;
    }
    return h;
}

struct philox_key rng_key(uint64_t seed, const char *name)
{
    uint64_t k = splitmix64(splitmix64(seed) ^ fnv1a64(name));
    return (struct philox_key){{(uint32_t)k, (uint32_t)(k >> 32)}};
}

static void normal_pair(struct philox_key key, uint32_t stream, uint64_t block, double *z0, double *z1)
{
    const uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), stream, 0};
    uint32_t x[4];
    philox4x32_10(ctr, key, x);
    const double two53 = 1.0 / 9007199254740992.0;
    double u1 = (double)(((((uint64_t)x[1] << 32) | x[0]) >> 11) + 1) * two53; /* (0, 1] */
    double u2 = (double)((((uint64_t)x[3] << 32) | x[2]) >> 11) * two53;       /* [0, 1) */
    double r = sqrt(-2.0 * log(u1)), theta = 6.283185307179586 * u2;
    *z0 = r * cos(theta);
    *z1 = r * sin(theta);
}

void rng_normals(struct philox_key key, uint32_t stream, uint64_t first, size_t count, double *z)
{
    size_t i = 0;
    double a, b;
    if (count && (first & 1)) {
        normal_pair(key, stream, first >> 1, &a, &b);
        z[i++] = b;
    }
    for (; i + 1 < count; i += 2) {
        normal_pair(key, stream, (first + i) >> 1, &a, &b);
        z[i] = a;
        z[i + 1] = b;
    }
    if (i < count) {
        normal_pair(key, stream, (first + i) >> 1, &a, &b);
        z[i] = a;
    }
}

void rng_uniforms(struct philox_key key, uint32_t stream, uint64_t first, size_t count, double *u)
{
    const double two53 = 1.0 / 9007199254740992.0;
    for (size_t i = 0; i < count; i++) {
        uint64_t index = first + i;
        const uint32_t ctr[4] = {(uint32_t)(index >> 1), (uint32_t)(index >> 33), stream, 1};
        uint32_t x[4];
        philox4x32_10(ctr, key, x);
        uint64_t bits = index & 1 ? ((uint64_t)x[3] << 32) | x[2] : ((uint64_t)x[1] << 32) | x[0];
        u[i] = (double)(bits >> 11) * two53;
    }
}
