/* safetensors: write -> read round trip, and each malformed header refused
 * with a message naming the file and tensor. */
#include "testutil.h"

#include "half.h"
#include "safetensors.h"

static const char *temp_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/fidrun-st-%ld-%s", (long)getpid(), name);
    return path;
}

static void test_round_trip(void **state)
{
    (void)state;
    float a[6] = {1, -2, 3.5f, 0, 1e-3f, 7};
    uint16_t h[3] = {half_bits(1.5f), half_bits(-0.25f), half_bits(65504)};
    int32_t q[4] = {-1, 0, 7, 123456};
    struct st_tensor t[] = {
        {.name = "w", .dtype = ST_F32, .ndim = 2, .shape = {2, 3}, .data = a, .bytes = sizeof a},
        {.name = "s", .dtype = ST_F16, .ndim = 1, .shape = {3}, .data = h, .bytes = sizeof h},
        {.name = "q", .dtype = ST_I32, .ndim = 2, .shape = {4, 1}, .data = q, .bytes = sizeof q},
    };
    struct st_meta meta[] = {{"format", "pt"}, {"quant_method", "gptq"}};
    struct diag d = {0};
    const char *path = temp_path("rt.safetensors");
    assert_int_equal(st_write(path, t, 3, meta, 2, &d), FR_OK);
    struct st_file f;
    assert_int_equal(st_open(path, &f, &d), FR_OK);
    assert_int_equal(f.n, 3);
    assert_string_equal(st_meta_get(&f, "format"), "pt");
    const struct st_tensor *w = st_find(&f, "w"), *s = st_find(&f, "s"), *qq = st_find(&f, "q");
    assert_non_null(w);
    assert_int_equal(w->ndim, 2);
    assert_int_equal(w->shape[1], 3);
    assert_memory_equal(w->data, a, sizeof a);
    assert_memory_equal(qq->data, q, sizeof q);
    assert_int_equal(((uintptr_t)w->data - (uintptr_t)f.map) % 8, 0);
    float back[3];
    assert_int_equal(st_to_f32(&f, s, back, &d), FR_OK);
    assert_true(back[0] == 1.5f && back[1] == -0.25f && back[2] == 65504.0f);
    assert_int_equal(st_to_f32(&f, qq, back, &d), FR_USAGE);
    assert_contains(d.msg, "'q' has dtype I32");
    assert_null(st_find(&f, "nope"));
    st_close(&f);
    unlink(path);
}

/* A file with this header text and `data` bytes of zeros. */
static const char *raw_file(const char *header, size_t data, uint64_t claimed)
{
    const char *path = temp_path("bad.safetensors");
    FILE *f = fopen(path, "wb");
    uint64_t n = claimed ? claimed : strlen(header);
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(n >> (8 * i));
    fwrite(len, 1, 8, f);
    fwrite(header, 1, strlen(header), f);
    for (size_t i = 0; i < data; i++)
        fputc(0, f);
    fclose(f);
    return path;
}

static void expect_refused(const char *header, size_t data, uint64_t claimed, const char *words)
{
    struct st_file f;
    struct diag d = {0};
    const char *path = raw_file(header, data, claimed);
    assert_int_equal(st_open(path, &f, &d), FR_USAGE);
    assert_contains(d.msg, path);
    assert_contains(d.msg, words);
    unlink(path);
}

static void test_malformed_headers_are_refused(void **state)
{
    (void)state;
    expect_refused("{}", 0, 1u << 30, "header length");
    expect_refused("[1, 2]", 0, 0, "not a JSON object");
    expect_refused("{\"a\": ", 0, 0, "not valid JSON");
    expect_refused("{\"a\": {\"dtype\": \"F8\", \"shape\": [2], \"data_offsets\": [0, 2]}}", 2, 0,
                   "tensor 'a': dtype F8");
    expect_refused("{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8, 0,
                   "need 12 bytes but data_offsets span 8");
    expect_refused("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 4, 0,
                   "outside the 4 data bytes");
    expect_refused("{\"a\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}", 8, 0,
                   "non-negative integer");
    expect_refused("{\"a\": {\"dtype\": \"F32\", \"shape\": [2]}}", 8, 0, "data_offsets");
    expect_refused("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                   " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}",
                   12, 0, "overlaps");
    expect_refused("{\"__metadata__\": {\"x\": 1}}", 0, 0, "__metadata__ value of 'x'");
    struct st_file f;
    struct diag d = {0};
    assert_int_equal(st_open("/nonexistent/x.safetensors", &f, &d), FR_USAGE);
    assert_contains(d.msg, "cannot open");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_malformed_headers_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
