/* The journal's records: CRC-32 against its published check value, a
 * record read back as written, and every way a record can be cut or
 * damaged detected (a torn tail, a flipped bit, bad magic). */
#include "testutil.h"

#include "io/journal.h"

static void test_crc32_check_value(void **state)
{
    (void)state;
    /* the CRC-32/ISO-HDLC check value of "123456789" (as zlib's crc32) */
    assert_int_equal(crc32_update(0, "123456789", 9), 0xCBF43926u);
    uint32_t part = crc32_update(0, "12345", 5);
    assert_int_equal(crc32_update(part, "6789", 4), 0xCBF43926u);
    assert_int_equal(crc32_update(0, "", 0), 0);
}

static size_t one_record(unsigned char *buf, struct task *t, double row[4])
{
    memset(t, 0, sizeof *t);
    t->id = 7;
    t->suite = 1;
    t->table = 0;
    snprintf(t->name, sizeof t->name, "model.layers.3.mlp.up_proj.weight");
    for (int i = 0; i < 4; i++)
        row[i] = 1.5 * i - 2;
    return journal_encode(t, row, 4 * sizeof *row, buf);
}

static void test_record_reads_back(void **state)
{
    (void)state;
    unsigned char buf[1024];
    struct task t;
    double row[4];
    size_t len = one_record(buf, &t, row);
    assert_int_equal(len, sizeof(struct journal_head) + sizeof row);
    struct journal_head h;
    const unsigned char *got;
    assert_int_equal(journal_decode(buf, len, &h, &got), (long)len);
    assert_int_equal(h.task_id, 7);
    assert_int_equal(h.suite, 1);
    assert_int_equal(h.row_size, sizeof row);
    assert_string_equal(h.task, t.name);
    assert_memory_equal(got, row, sizeof row);
}

static void test_torn_and_damaged_records_are_caught(void **state)
{
    (void)state;
    unsigned char buf[1024];
    struct task t;
    double row[4];
    size_t len = one_record(buf, &t, row);
    struct journal_head h;
    const unsigned char *got;
    for (size_t cut = 0; cut < len; cut++) /* every torn length: "not complete yet" */
        assert_int_equal(journal_decode(buf, cut, &h, &got), 0);
    for (size_t byte = 0; byte < len; byte++) { /* every flipped bit: not a record */
        buf[byte] ^= 0x10;
        assert_int_equal(journal_decode(buf, len, &h, &got) > 0, 0);
        buf[byte] ^= 0x10;
    }
    assert_int_equal(journal_decode(buf, len, &h, &got), (long)len);
}

static int count_records(const struct journal_head *h, const unsigned char *row, void *arg)
{
    (void)row;
    int *n = arg;
    assert_int_equal(h->task_id, 7);
    (*n)++;
    return 0;
}

static void test_file_keeps_whole_records_and_drops_a_torn_tail(void **state)
{
    (void)state;
    char path[] = "/tmp/fidrun-journal-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    struct journal j;
    struct diag d = {0};
    assert_int_equal(journal_open(&j, path, &d), FR_OK);
    struct task t;
    double row[4];
    unsigned char scratch[1024];
    one_record(scratch, &t, row);
    const struct task *tasks[2] = {&t, &t};
    void *rows[2] = {row, row};
    size_t sizes[2] = {sizeof row, sizeof row};
    assert_int_equal(journal_append(&j, tasks, rows, sizes, 2, &d), FR_OK);
    assert_int_equal(journal_append(&j, tasks, rows, sizes, 1, &d), FR_OK);
    journal_close(&j);
    int n = 0;
    size_t dropped = 99;
    assert_int_equal(journal_read_file(path, count_records, &n, &dropped, &d), FR_OK);
    assert_int_equal(n, 3);
    assert_int_equal(dropped, 0);
    assert_int_equal(truncate(path, (off_t)(3 * (sizeof(struct journal_head) + sizeof row) - 5)), 0);
    n = 0;
    assert_int_equal(journal_read_file(path, count_records, &n, &dropped, &d), FR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(dropped, sizeof(struct journal_head) + sizeof row - 5);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_check_value),
        cmocka_unit_test(test_record_reads_back),
        cmocka_unit_test(test_torn_and_damaged_records_are_caught),
        cmocka_unit_test(test_file_keeps_whole_records_and_drops_a_torn_tail),
    };
    return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
