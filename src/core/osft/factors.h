/* A decomposed matrix as OSFT keeps it: one contiguous buffer holding a
 * header, the left factor P, the singular values and the right factor Q,
 * so that one broadcast moves one matrix and the receiver can read it
 * without anything else. Backends fill it in host or device memory.
 *
 * W = U S V^T with U m x k, V n x k, k = min(m, n). The buffer has a big
 * region (max(m, n) x k elements) and a small one (k x k): which factor
 * each holds, and transposed or not, depends on the backend and driver
 * (cuSOLVER wants tall matrices, so a wide W is decomposed as W^T), and
 * the header says so. */
#ifndef FIDRUN_FACTORS_H
#define FIDRUN_FACTORS_H

#include <stddef.h>
#include <stdint.h>

#include "core/matrix.h"

#define FACTOR_MAGIC 0x31544346u /* "FCT1" */
#define FACTOR_ALIGN 256

/* What a region holds, column-major: U (m x k), U^T (k x m), V (n x k), V^T (k x n). */
enum factor_part { FP_U, FP_UT, FP_V, FP_VT };

struct factor_header {
    uint32_t magic;
    int32_t dtype; /* enum dtype */
    int64_t m, n;  /* of W */
    int64_t k;     /* min(m, n) */
    int32_t big, small; /* enum factor_part */
    int32_t driver;     /* enum svd_driver that produced it */
    int32_t reserved[7];
};

/* Byte offsets in the buffer; each part starts on a FACTOR_ALIGN boundary
 * and the total is a multiple of 8 (for the checksum). */
struct factor_layout {
    int64_t big_rows, k; /* max(m, n), min(m, n) */
    size_t big, s, small, bytes;
};

/* The layout depends on m, n and dtype only, so every rank computes it. */
void factor_layout_of(int64_t m, int64_t n, enum dtype t, struct factor_layout *out);

/* Header for W (m x n) with the given contents of both regions. */
struct factor_header factor_header_make(int64_t m, int64_t n, enum dtype t, enum factor_part big,
                                        enum factor_part small, int driver);

/* W' = U S V^T from a factor buffer in host memory, whatever layout its
 * header names (into w, m x n, allocated by the caller in the header's
 * dtype). The plain triple loop: for tests and for readers of broadcast
 * copies, not for speed. Returns 0, or -1 when the header is not valid. */
int factor_rebuild(const void *buf, struct matrix *w);

/* The six parts mini_trainer's OSFT keeps of W = U S V^T split at rank ks:
 * the frozen U_high (m x ks), S_high (ks), V_high (ks x n, rows of V^T)
 * and the trainable U_low (m x k-ks), S_low (k-ks), V_low (k-ks x n). */
enum osft_part { OP_U_HIGH, OP_S_HIGH, OP_V_HIGH, OP_U_LOW, OP_S_LOW, OP_V_LOW, OP_COUNT };

const char *osft_part_name(enum osft_part p); /* "osft_U_high", ... as mini_trainer names them */

/* The part's shape: rows x cols, cols 0 for the 1-D singular values. */
void osft_part_shape(int64_t m, int64_t n, int64_t ks, enum osft_part p, int64_t *rows, int64_t *cols);

/* The part from a factor buffer in host memory, row-major (as safetensors
 * and torch hold it) into dst. 0, or -1 when the header is not valid or ks
 * is outside [0, k]. */
int factor_part_extract(const void *buf, int64_t ks, enum osft_part p, float *dst);

/* Sum over the buffer's 64-bit words w_i of mix(w_i ^ golden * i), modulo
 * 2^64: independent of summation order, so the GPU reduction gives the same
 * value (cuda/checksum.cu implements the same function). bytes % 8 == 0. */
uint64_t factor_checksum(const void *buf, size_t bytes);

#ifdef __CUDACC__
#define FACTOR_HOST_DEVICE __host__ __device__
#else
#define FACTOR_HOST_DEVICE
#endif

static inline FACTOR_HOST_DEVICE uint64_t factor_mix(uint64_t z)
{
    /* splitmix64's finalizer */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
#define FACTOR_GOLDEN 0x9e3779b97f4a7c15ull

#endif
