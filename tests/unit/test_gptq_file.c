/* GPTQ layers in safetensors files: round trip with metadata, and the
 * errors a malformed layer gets. */
#include "testutil.h"

#include "core/half.h"
#include "io/gptq_file.h"
#include "io/safetensors.h"

static const char *temp_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/fidrun-gf-%ld-%s", (long)getpid(), name);
    return path;
}

static void make_layer(struct gptq_packed *p, int bits, int64_t out, int64_t in, int64_t groups)
{
    struct quantized qz;
    struct diag d = {0};
    assert_int_equal(quantized_alloc(&qz, out, in, groups, bits), 0);
    for (int64_t i = 0; i < out * in; i++)
        qz.q[i] = (int32_t)((i * 7 + i / 5) % (1 << bits));
    for (int64_t i = 0; i < groups * out; i++) {
        qz.scale[i] = 0.01f * (float)(1 + i % 3);
        qz.zero[i] = (float)(1 + i % ((1 << bits) - 1));
    }
    for (int64_t k = 0; k < in; k++)
        qz.g_idx[k] = (int32_t)(k * groups / in);
    assert_int_equal(gptq_pack(&qz, ZEROS_V2, p, NULL, &d), 0);
    quantized_free(&qz);
}

static void test_round_trip_and_metadata(void **state)
{
    (void)state;
    struct gptq_packed p, back;
    struct gptq_file_info info = {.bits = 3, .group_size = 32, .desc_act = 1, .sym = 0, .damp_percent = 0.01,
                                  .format = ZEROS_V2},
                          got;
    struct diag d = {0};
    make_layer(&p, 3, 64, 96, 3);
    const char *path = temp_path("layer.safetensors");
    assert_int_equal(gptq_file_write(path, "model.layers.0.mlp.up_proj", &p, &info, 0, &d), FR_OK);
    assert_int_equal(gptq_file_read(path, "model.layers.0.mlp.up_proj", -1, &back, &got, &d), FR_OK);
    assert_int_equal(got.bits, 3);
    assert_int_equal(got.group_size, 32);
    assert_int_equal(got.desc_act, 1);
    assert_int_equal(got.format, ZEROS_V2);
    assert_memory_equal(back.qweight, p.qweight, (size_t)(96 * 3 / 32 * 64) * 4);
    assert_memory_equal(back.qzeros, p.qzeros, (size_t)(3 * 64 * 3 / 32) * 4);
    assert_memory_equal(back.scales, p.scales, (size_t)(3 * 64) * 2);
    assert_memory_equal(back.g_idx, p.g_idx, 96 * 4);
    gptq_packed_free(&back);
    /* the reader may be told to read the zeros the other way (to show the trap) */
    assert_int_equal(gptq_file_read(path, "model.layers.0.mlp.up_proj", ZEROS_V1, &back, &got, &d), FR_OK);
    assert_int_equal(got.format, ZEROS_V1);
    gptq_packed_free(&back);
    struct st_file f;
    assert_int_equal(st_open(path, &f, &d), FR_OK);
    assert_string_equal(st_meta_get(&f, "format"), "pt");
    assert_string_equal(st_meta_get(&f, "checkpoint_format"), "gptq_v2");
    assert_string_equal(st_meta_get(&f, "quant_method"), "gptq");
    st_close(&f);
    unlink(path);
    gptq_packed_free(&p);
}

static void test_errors_name_file_and_tensor(void **state)
{
    (void)state;
    struct gptq_packed p, back;
    struct gptq_file_info info = {.bits = 4, .group_size = 32, .format = ZEROS_V1}, got;
    struct diag d = {0};
    make_layer(&p, 4, 32, 64, 2);
    const char *path = temp_path("bad.safetensors");
    assert_int_equal(gptq_file_write(path, "l", &p, &info, 0, &d), FR_OK);
    assert_int_equal(gptq_file_read(path, "m", -1, &back, &got, &d), FR_USAGE);
    assert_contains(d.msg, "no tensor 'm.qweight'");
    assert_contains(d.msg, path);

    /* scales stored as F32 instead of F16 */
    float scales[2 * 32] = {0};
    struct st_tensor t[] = {
        {.name = "l.qweight", .dtype = ST_I32, .ndim = 2, .shape = {8, 32}, .data = p.qweight, .bytes = 8 * 32 * 4},
        {.name = "l.qzeros", .dtype = ST_I32, .ndim = 2, .shape = {2, 4}, .data = p.qzeros, .bytes = 2 * 4 * 4},
        {.name = "l.scales", .dtype = ST_F32, .ndim = 2, .shape = {2, 32}, .data = scales, .bytes = sizeof scales},
        {.name = "l.g_idx", .dtype = ST_I32, .ndim = 1, .shape = {64}, .data = p.g_idx, .bytes = 64 * 4},
    };
    assert_int_equal(st_write(path, t, 4, NULL, 0, &d), FR_OK);
    assert_int_equal(gptq_file_read(path, "l", -1, &back, &got, &d), FR_USAGE);
    assert_contains(d.msg, "tensor 'l.scales' is F32");

    /* qzeros for 8 groups while scales have 2 */
    uint16_t h[2 * 32] = {0};
    int32_t z[8 * 4] = {0};
    t[1] = (struct st_tensor){.name = "l.qzeros", .dtype = ST_I32, .ndim = 2, .shape = {8, 4}, .data = z,
                              .bytes = sizeof z};
    t[2] = (struct st_tensor){.name = "l.scales", .dtype = ST_F16, .ndim = 2, .shape = {2, 32}, .data = h,
                              .bytes = sizeof h};
    assert_int_equal(st_write(path, t, 4, NULL, 0, &d), FR_OK);
    assert_int_equal(gptq_file_read(path, "l", -1, &back, &got, &d), FR_USAGE);
    assert_contains(d.msg, "disagree");

    /* a g_idx pointing past the groups */
    int32_t g[64] = {0};
    g[10] = 9;
    t[1] = (struct st_tensor){.name = "l.qzeros", .dtype = ST_I32, .ndim = 2, .shape = {2, 4}, .data = z,
                              .bytes = 2 * 4 * 4};
    t[3] = (struct st_tensor){.name = "l.g_idx", .dtype = ST_I32, .ndim = 1, .shape = {64}, .data = g,
                              .bytes = sizeof g};
    assert_int_equal(st_write(path, t, 4, NULL, 0, &d), FR_OK);
    assert_int_equal(gptq_file_read(path, "l", -1, &back, &got, &d), FR_USAGE);
    assert_contains(d.msg, "l.g_idx[10] = 9 is outside [0, 2)");
    /* no checkpoint_format metadata: v1, as loaders assume */
    g[10] = 1;
    assert_int_equal(st_write(path, t, 4, NULL, 0, &d), FR_OK);
    assert_int_equal(gptq_file_read(path, "l", -1, &back, &got, &d), FR_OK);
    assert_int_equal(got.format, ZEROS_V1);
    gptq_packed_free(&back);
    unlink(path);
    gptq_packed_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_metadata),
        cmocka_unit_test(test_errors_name_file_and_tensor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
