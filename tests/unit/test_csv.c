/* RFC 4180 records on known texts (as pandas.to_csv and spreadsheets write
 * them), the writer read back, and costs with their lines and labels. */
#include "testutil.h"

#include "io/costs_text.h"
#include "util/csv.h"

/* Every record of text, fields joined by '|' and records by '/'. */
static void records(const char *text, char *out, size_t size)
{
    struct csv_record r = {0};
    size_t pos = 0, used = 0;
    long line = 0;
    const char *err;
    enum csv_status st;
    out[0] = 0;
    while ((st = csv_next(text, strlen(text), &pos, &line, &r, &err)) == CSV_RECORD)
        for (size_t i = 0; i < r.n; i++)
            used += (size_t)snprintf(out + used, size - used, "%s%s", r.field[i], i + 1 < r.n ? "|" : "/");
    assert_int_equal(st, CSV_END);
    csv_record_free(&r);
}

static void test_known_records(void **state)
{
    (void)state;
    char got[256];
    records("a,b,c\n1,2,3\n", got, sizeof got);
    assert_string_equal(got, "a|b|c/1|2|3/");
    records("\"doc, part 1\",120\r\n\"say \"\"hi\"\"\",5\r\n", got, sizeof got);
    assert_string_equal(got, "doc, part 1|120/say \"hi\"|5/");
    records("\"two\nlines\",7\nx,,\n", got, sizeof got);
    assert_string_equal(got, "two\nlines|7/x||/");
    records("last,no newline", got, sizeof got);
    assert_string_equal(got, "last|no newline/");
    records("\"\",\"\"\"\"\n", got, sizeof got); /* an empty quoted field, a lone quote */
    assert_string_equal(got, "|\"/");
}

static void test_lines_and_errors(void **state)
{
    (void)state;
    struct csv_record r = {0};
    const char *text = "a\n\"b\nc\",1\nd\n", *err;
    size_t pos = 0;
    long line = 0;
    assert_int_equal(csv_next(text, strlen(text), &pos, &line, &r, &err), CSV_RECORD);
    assert_int_equal(r.line, 1);
    assert_int_equal(csv_next(text, strlen(text), &pos, &line, &r, &err), CSV_RECORD);
    assert_int_equal(r.line, 2);
    assert_int_equal(r.lines, 2);
    assert_true(r.quoted[0] && !r.quoted[1]);
    assert_int_equal(csv_next(text, strlen(text), &pos, &line, &r, &err), CSV_RECORD);
    assert_int_equal(r.line, 4);
    const char *bad[] = {"\"open,1\n", "\"a\"b,1\n"};
    for (int i = 0; i < 2; i++) {
        pos = 0;
        line = 0;
        assert_int_equal(csv_next(bad[i], strlen(bad[i]), &pos, &line, &r, &err), CSV_ERROR);
        assert_non_null(err);
    }
    csv_record_free(&r);
}

static void test_writer_reads_back(void **state)
{
    (void)state;
    const char *fields[] = {"plain", "a, b", "say \"hi\"", "two\nlines", " padded ", "", "crlf\r\n"};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (i)
            fputc(',', f);
        csv_write_field(f, fields[i]);
    }
    fputc('\n', f);
    fclose(f);
    struct csv_record r = {0};
    size_t pos = 0;
    long line = 0;
    const char *err;
    assert_int_equal(csv_next(buf, len, &pos, &line, &r, &err), CSV_RECORD);
    assert_int_equal(r.n, sizeof fields / sizeof fields[0]);
    for (size_t i = 0; i < r.n; i++)
        assert_string_equal(r.field[i], fields[i]);
    csv_record_free(&r);
    free(buf);
}

static void test_costs_with_labels(void **state)
{
    (void)state;
    const char *text = "name,tokens\n\"doc, part 1\",120\n# a comment\n\n\"multi\nline\",50\r\nplain,75\n";
    struct costs_input in;
    struct diag d = {0};
    assert_int_equal(costs_parse_input(text, strlen(text), "t.csv", "tokens", 1, &in, &d), FR_OK);
    assert_int_equal(in.n, 3);
    assert_true(in.v[0] == 120 && in.v[1] == 50 && in.v[2] == 75);
    assert_true(in.line[0] == 2 && in.line[1] == 5 && in.line[2] == 7);
    assert_string_equal(in.label[0], "doc, part 1");
    assert_string_equal(in.label[1], "multi\nline");
    costs_input_free(&in);
    /* a bare list: no labels; the unclosed quote is named by the line its record starts on */
    assert_int_equal(costs_parse_input("3\n4\n", 4, "l", NULL, 0, &in, &d), FR_OK);
    assert_true(in.n == 2 && in.label[0] == NULL && in.line[1] == 2);
    costs_input_free(&in);
    assert_int_equal(costs_parse_input("1\n\"2\n", 5, "l", NULL, 0, &in, &d), FR_USAGE);
    assert_contains(d.msg, "l:2: a quoted field is not closed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_records),
        cmocka_unit_test(test_lines_and_errors),
        cmocka_unit_test(test_writer_reads_back),
        cmocka_unit_test(test_costs_with_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
