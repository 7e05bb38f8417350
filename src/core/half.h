/* IEEE binary16: conversions that round to nearest even, as torch's
 * .half() does. Through the compiler's _Float16 where it has one (GCC >= 12
 * on x86-64 and aarch64), else in integer arithmetic (clang 14, used for
 * the fuzzers); the unit tests hold the two to each other bit for bit. */
#ifndef FIDRUN_HALF_H
#define FIDRUN_HALF_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define HALF_MAX 65504.0f

static inline uint16_t half_bits_soft(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* infinity, or NaN kept quiet with its top payload bits */
        return sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 | ((ax >> 13) & 0x3ff) : 0);
    if (ax >= 0x477ff000u) /* 65520 and up round to infinity */
        return sign | 0x7c00;
    if (ax < 0x38800000u) { /* under 2^-14: a subnormal half, k * 2^-24 with k rounded to even */
        float a;
        memcpy(&a, &ax, sizeof a);
        return sign | (uint16_t)rintf(a * 0x1p24f);
    }
    uint32_t h = (((ax >> 23) - 112) << 10) | ((ax >> 13) & 0x3ff), rest = ax & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++; /* a carry out of the mantissa steps the exponent, as it should */
    return sign | (uint16_t)h;
}

static inline float half_value_soft(uint16_t b)
{
    uint32_t sign = (uint32_t)(b & 0x8000) << 16, exp = (b >> 10) & 0x1f, mant = b & 0x3ff, x;
    if (exp == 0) {
        float f = (float)mant * 0x1p-24f;
        return sign ? -f : f;
    }
    if (exp == 31) /* infinity, or NaN made quiet as the hardware widens it */
        x = sign | 0x7f800000u | (mant ? mant << 13 | 0x400000u : 0);
    else
        x = sign | ((exp + 112) << 23) | (mant << 13);
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

#if defined(__FLT16_MAX__)
static inline uint16_t half_bits(float f)
{
    _Float16 h = (_Float16)f;
    uint16_t b;
    memcpy(&b, &h, sizeof b);
    return b;
}

static inline float half_value(uint16_t b)
{
    _Float16 h;
    memcpy(&h, &b, sizeof h);
    return (float)h;
}
#else
static inline uint16_t half_bits(float f) { return half_bits_soft(f); }
static inline float half_value(uint16_t b) { return half_value_soft(b); }
#endif

/* f rounded to the nearest binary16 value, as a float. */
static inline float half_round(float f) { return half_value(half_bits(f)); }

/* bfloat16 is the top half of a float32 (widening is exact). */
static inline float bf16_value(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* bfloat16 of f, rounded to nearest even (NaN stays a quiet NaN), as
 * torch's float-to-bfloat16 conversion. */
static inline uint16_t bf16_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

#endif
