/* IEEE binary16 through the compiler's _Float16 (GCC >= 12 on x86-64 and
 * aarch64): conversions round to nearest even, as torch's .half() does. */
#ifndef FIDRUN_HALF_H
#define FIDRUN_HALF_H

#include <stdint.h>
#include <string.h>

#define HALF_MAX 65504.0f

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

/* bfloat16 is the top half of a float32 (widening is exact). */
static inline float bf16_value(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

#endif
