/* safetensors: write -> read round trip, and each malformed header refused
 * with a message naming the file and tensor. */
#include "testutil.h"

#include <fcntl.h>
#include <math.h>
#include <unistd.h>

#include "core/half.h"
#include "io/safetensors.h"

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

/* Every dtype the format names, through the writer and back bit for bit,
 * in shapes of 0 to 3 dimensions (an empty tensor too); the floating ones
 * widened by st_to_f32 to the values their bit patterns encode. */
static void test_every_dtype_round_trips(void **state)
{
    (void)state;
    unsigned char raw[ST_DTYPE_COUNT][48];
    struct st_tensor t[ST_DTYPE_COUNT + 1];
    char names[ST_DTYPE_COUNT][16];
    for (int k = 0; k < ST_DTYPE_COUNT; k++) {
        size_t es = st_dtype_size((enum st_dtype)k), count = 48 / es / 2 * 2;
        for (size_t i = 0; i < count * es; i++)
            raw[k][i] = (unsigned char)(k * 31 + i * 7 + 1);
        if (k == ST_BOOL)
            for (size_t i = 0; i < count; i++)
                raw[k][i] = (unsigned char)(i % 2);
        snprintf(names[k], sizeof names[k], "t_%s", st_dtype_name((enum st_dtype)k));
        int nd = k % 4;
        t[k] = (struct st_tensor){.name = names[k], .dtype = (enum st_dtype)k, .ndim = nd, .data = raw[k]};
        int64_t rest = (int64_t)count;
        for (int a = 0; a < nd; a++) {
            t[k].shape[a] = a + 1 < nd ? 2 : rest;
            rest /= a + 1 < nd ? 2 : rest;
        }
        int64_t numel = 1;
        for (int a = 0; a < nd; a++)
            numel *= t[k].shape[a];
        t[k].bytes = (size_t)numel * es;
    }
    t[ST_DTYPE_COUNT] = (struct st_tensor){.name = "empty", .dtype = ST_F32, .ndim = 2, .shape = {0, 5}};
    struct diag d = {0};
    const char *path = temp_path("dtypes.safetensors");
    assert_int_equal(st_write(path, t, ST_DTYPE_COUNT + 1, NULL, 0, &d), FR_OK);
    struct st_file f;
    if (st_open(path, &f, &d))
        fail_msg("%s", d.msg);
    for (int k = 0; k <= ST_DTYPE_COUNT; k++) {
        const struct st_tensor *b = st_find(&f, t[k].name);
        assert_non_null(b);
        assert_int_equal(b->dtype, t[k].dtype);
        assert_int_equal(b->ndim, t[k].ndim);
        for (int a = 0; a < b->ndim; a++)
            assert_int_equal(b->shape[a], t[k].shape[a]);
        assert_int_equal(b->bytes, t[k].bytes);
        if (t[k].bytes)
            assert_memory_equal(b->data, t[k].data, t[k].bytes);
    }
    st_close(&f);
    /* known bit patterns of each floating dtype */
    double f64[2] = {1.5, -0x1p40};
    float f32[2] = {-0.125f, 3e38f};
    uint16_t f16[2] = {0x3C00, 0xC100}, bf16[2] = {0x3F80, 0xC040}; /* 1, -2.5; 1, -3 */
    struct st_tensor fl[] = {
        {.name = "f64", .dtype = ST_F64, .ndim = 1, .shape = {2}, .data = f64, .bytes = sizeof f64},
        {.name = "f32", .dtype = ST_F32, .ndim = 1, .shape = {2}, .data = f32, .bytes = sizeof f32},
        {.name = "f16", .dtype = ST_F16, .ndim = 1, .shape = {2}, .data = f16, .bytes = sizeof f16},
        {.name = "bf16", .dtype = ST_BF16, .ndim = 1, .shape = {2}, .data = bf16, .bytes = sizeof bf16},
    };
    static const float want[4][2] = {{1.5f, -0x1p40f}, {-0.125f, 3e38f}, {1.0f, -2.5f}, {1.0f, -3.0f}};
    assert_int_equal(st_write(path, fl, 4, NULL, 0, &d), FR_OK);
    assert_int_equal(st_open(path, &f, &d), FR_OK);
    for (int k = 0; k < 4; k++) {
        float out[2];
        assert_int_equal(st_to_f32(&f, st_find(&f, fl[k].name), out, &d), FR_OK);
        if (out[0] != want[k][0] || out[1] != want[k][1])
            fail_msg("%s read as %g, %g", fl[k].name, out[0], out[1]);
    }
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

/* NaN and infinities in an input tensor are reported with their counts and
 * where the first is, and the tensor is refused (exit 2), never averaged;
 * an F64 beyond float32's range counts as infinite. */
/* The layout another rank works out without the file (st_header_layout)
 * is where the reader finds each tensor in the file the writer made; bytes
 * written there by a second descriptor, as another rank writes its rows of
 * a distributed factor, read back as that tensor. */
static void test_header_layout_is_where_the_reader_finds_tensors(void **state)
{
    (void)state;
    struct st_tensor t[] = {
        {.name = "layer.osft_U_high", .dtype = ST_F32, .ndim = 2, .shape = {5, 3}, .bytes = 60},
        {.name = "layer.osft_S_high", .dtype = ST_F32, .ndim = 1, .shape = {3}, .bytes = 12},
        {.name = "x", .dtype = ST_BF16, .ndim = 2, .shape = {3, 3}, .bytes = 18},
    };
    struct st_meta meta[] = {{"format", "pt"}, {"content", "osft-factors"}};
    size_t planned[3], opened[3], data_start = 0;
    struct diag d = {0};
    assert_int_equal(st_header_layout(t, 3, meta, 2, planned, &data_start, &d), FR_OK);
    const char *path = temp_path("layout.safetensors");
    struct st_writer w;
    assert_int_equal(st_writer_open(&w, path, t, 3, meta, 2, opened, &d), FR_OK);
    char tmp[4200];
    st_writer_tmp_name(path, tmp, sizeof tmp);
    assert_string_equal(tmp, w.tmp);
    float rows[6] = {1, 2, 3, 4, 5, 6}, s[3] = {9, 8, 7}; /* rows 2 and 3 of U_high, from "another rank" */
    int fd = open(tmp, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, rows, sizeof rows, (off_t)(data_start + planned[0] + 2 * 3 * 4)), (ssize_t)sizeof rows);
    close(fd);
    assert_int_equal(st_writer_put(&w, opened[1], s, sizeof s, &d), FR_OK);
    assert_int_equal(st_writer_close(&w, &d), FR_OK);
    struct st_file f;
    assert_int_equal(st_open(path, &f, &d), FR_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(planned[i], opened[i]);
        const struct st_tensor *got = st_find(&f, t[i].name);
        assert_non_null(got);
        assert_int_equal((uintptr_t)got->data - (uintptr_t)f.map, data_start + planned[i]);
    }
    const float *u = st_find(&f, "layer.osft_U_high")->data;
    assert_memory_equal(u + 6, rows, sizeof rows);
    assert_true(u[0] == 0 && u[12] == 0); /* the rows nobody wrote */
    assert_memory_equal(st_find(&f, "layer.osft_S_high")->data, s, sizeof s);
    st_close(&f);
    unlink(path);
}

static void test_nonfinite_values_are_reported_per_tensor(void **state)
{
    (void)state;
    float a[6] = {1, 2, NAN, 4, INFINITY, NAN};
    double big[2] = {1.0, 1e300};
    struct st_tensor t[] = {
        {.name = "model.layers.0.mlp.up_proj.weight", .dtype = ST_F32, .ndim = 2, .shape = {2, 3}, .data = a,
         .bytes = sizeof a},
        {.name = "big", .dtype = ST_F64, .ndim = 1, .shape = {2}, .data = big, .bytes = sizeof big},
    };
    struct diag d = {0};
    const char *path = temp_path("nan.safetensors");
    assert_int_equal(st_write(path, t, 2, NULL, 0, &d), FR_OK);
    struct st_file f;
    assert_int_equal(st_open(path, &f, &d), FR_OK);
    float out[6];
    assert_int_equal(st_to_f32(&f, st_find(&f, "model.layers.0.mlp.up_proj.weight"), out, &d), FR_USAGE);
    assert_contains(d.msg, "tensor 'model.layers.0.mlp.up_proj.weight' has 3 non-finite values (2 NaN, 1 infinite), "
                           "the first at row 0, column 2");
    assert_contains(d.msg, path);
    assert_int_equal(st_to_f32(&f, st_find(&f, "big"), out, &d), FR_USAGE);
    assert_contains(d.msg, "tensor 'big' has 1 non-finite value (0 NaN, 1 infinite), the first at element 1");
    st_close(&f);
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
        cmocka_unit_test(test_every_dtype_round_trips),
        cmocka_unit_test(test_malformed_headers_are_refused),
        cmocka_unit_test(test_nonfinite_values_are_reported_per_tensor),
        cmocka_unit_test(test_header_layout_is_where_the_reader_finds_tensors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
