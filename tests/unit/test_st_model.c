/* Model folders: one model.safetensors, or shards named by
 * model.safetensors.index.json, and every way an index can be wrong. */
#include "testutil.h"

#include <sys/stat.h>

#include "io/st_model.h"

static char dir[256];

static void fresh_dir(const char *name)
{
    snprintf(dir, sizeof dir, "/tmp/fidrun-test-%ld-%s", (long)getpid(), name);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    assert_int_equal(system(cmd), 0);
}

static void shard(const char *file, const char *a, const char *b)
{
    static float w[6] = {1, 2, 3, 4, 5, 6};
    struct st_tensor t[] = {
        {.name = (char *)a, .dtype = ST_F32, .ndim = 2, .shape = {2, 3}, .data = w, .bytes = sizeof w},
        {.name = (char *)b, .dtype = ST_F32, .ndim = 1, .shape = {6}, .data = w, .bytes = sizeof w},
    };
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    struct diag d = {0};
    assert_int_equal(st_write(path, t, 2, NULL, 0, &d), FR_OK);
}

static void index_file(const char *json)
{
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(json, f);
    fclose(f);
}

static void expect_error(const char *needle)
{
    struct st_model m;
    struct diag d = {0};
    assert_int_equal(st_model_open(dir, &m, &d), FR_USAGE);
    assert_contains(d.msg, needle);
    assert_null(m.shards);
}

static void test_single_file(void **state)
{
    (void)state;
    fresh_dir("single");
    shard("model.safetensors", "l.0.w", "l.0.b");
    struct st_model m;
    struct diag d = {0};
    assert_int_equal(st_model_open(dir, &m, &d), FR_OK);
    assert_int_equal(m.nshards, 1);
    assert_false(m.indexed);
    assert_non_null(st_model_find(&m, "l.0.w", NULL));
    assert_null(st_model_find(&m, "nope", NULL));
    assert_true(st_model_numel(&m) == 12);
    st_model_close(&m);
}

static void test_sharded(void **state)
{
    (void)state;
    fresh_dir("sharded");
    shard("model-00001-of-00002.safetensors", "l.0.w", "l.0.b");
    shard("model-00002-of-00002.safetensors", "l.1.w", "l.1.b");
    index_file("{\"metadata\": {\"total_size\": 96}, \"weight_map\": {"
               "\"l.0.w\": \"model-00001-of-00002.safetensors\", \"l.0.b\": \"model-00001-of-00002.safetensors\","
               "\"l.1.w\": \"model-00002-of-00002.safetensors\", \"l.1.b\": \"model-00002-of-00002.safetensors\"}}");
    struct st_model m;
    struct diag d = {0};
    assert_int_equal(st_model_open(dir, &m, &d), FR_OK);
    assert_int_equal(m.nshards, 2);
    assert_true(m.indexed);
    const struct st_file *where;
    const struct st_tensor *t = st_model_find(&m, "l.1.w", &where);
    assert_non_null(t);
    assert_contains(where->path, "model-00002-of-00002");
    assert_true(t->shape[0] == 2 && t->shape[1] == 3);
    assert_true(st_model_numel(&m) == 24);
    st_model_close(&m);
}

static void test_bad_indexes(void **state)
{
    (void)state;
    fresh_dir("bad");
    expect_error("no model.safetensors or model.safetensors.index.json");
    shard("a.safetensors", "x", "y");
    shard("b.safetensors", "z", "y");
    index_file("{\"weight_map\": {\"x\": \"missing.safetensors\"}}");
    expect_error("names shard 'missing.safetensors', which is not in the folder");
    index_file("{\"weight_map\": {\"x\": \"b.safetensors\"}}");
    expect_error("places tensor 'x' in b.safetensors, which does not have it");
    index_file("{\"weight_map\": {\"x\": \"a.safetensors\", \"z\": \"b.safetensors\"}}");
    expect_error("tensor 'y' is in two shards");
    index_file("{\"weight_map\": {\"x\": 3}}");
    expect_error("weight_map[\"x\"] is not a file name");
    index_file("{\"weight_map\": {\"x\": \"../a.safetensors\"}}");
    expect_error("points outside the folder");
    index_file("[1, 2]");
    expect_error("expected an object with a \"weight_map\" object");
    index_file("{\"weight_map\": {\"x\": ");
    expect_error("not valid JSON");
    index_file("{\"weight_map\": {\"x\": \"junk.safetensors\"}}");
    char path[512];
    snprintf(path, sizeof path, "%s/junk.safetensors", dir);
    FILE *f = fopen(path, "w");
    fputs("junk", f);
    fclose(f);
    expect_error("junk.safetensors"); /* the shard's own validation, naming it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_file),
        cmocka_unit_test(test_sharded),
        cmocka_unit_test(test_bad_indexes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
