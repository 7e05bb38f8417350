/* Packing: hand-computed cases (mini_trainer's own) and invariants. */
#include "testutil.h"

#include <math.h>

#include "core/balance/distributions.h"
#include "core/balance/packing.h"

static struct pack_metrics pack(enum pack_algo a, const int64_t *len, size_t n, int32_t p, int64_t budget,
                                struct packing *out)
{
    struct pack_metrics m;
    assert_int_equal(pack_sequences(a, len, n, p, budget, out), PACK_OK);
    assert_int_equal(pack_metrics_compute(len, n, p, budget, out, &m), 0);
    return m;
}

/* mini_trainer's small batch, budget 130000, 4 ranks. Greedy, in input
 * order: 10k r0, 25k r1, 35k r2, 50k r3, 60k r0 (70k), 75k r1 (100k), 80k
 * r2 (115k); 90k would take r3 to 140k: a new row, r0. */
static void test_greedy_small_batch_by_hand(void **state)
{
    (void)state;
    int64_t len[] = {10000, 25000, 35000, 50000, 60000, 75000, 80000, 90000};
    struct packing p;
    struct pack_metrics m = pack(PK_GREEDY, len, 8, 4, 130000, &p);
    int64_t row[] = {0, 0, 0, 0, 0, 0, 0, 1};
    int32_t rank[] = {0, 1, 2, 3, 0, 1, 2, 0};
    assert_memory_equal(p.row, row, sizeof row);
    assert_memory_equal(p.rank, rank, sizeof rank);
    assert_int_equal(m.rows, 2);
    /* row 0 loads 70k 100k 115k 50k: balance 50/115; row 1: one rank, balance 1 */
    assert_true(fabs(m.avg_row_balance - (50000.0 / 115000 + 1) / 2) < 1e-12);
    assert_true(fabs(m.worst_row_balance - 50000.0 / 115000) < 1e-12);
    assert_true(fabs(m.overall_efficiency - 425000.0 / (2 * 4 * 130000.0)) < 1e-12);
    pack_free(&p);
}

/* LPT-bsearch: everything fits one row: 90 r0, 80 r1, 75 r2, 60 r3, 50 r3
 * (110), 35 r2 (110), 25 r1 (105), 10 r0 (100). */
static void test_lpt_bsearch_small_batch_by_hand(void **state)
{
    (void)state;
    int64_t len[] = {10000, 25000, 35000, 50000, 60000, 75000, 80000, 90000};
    struct packing p;
    struct pack_metrics m = pack(PK_LPT_BSEARCH, len, 8, 4, 130000, &p);
    assert_int_equal(m.rows, 1);
    int32_t rank[] = {0, 1, 2, 3, 3, 2, 1, 0};
    assert_memory_equal(p.rank, rank, sizeof rank);
    assert_true(fabs(m.worst_row_balance - 100000.0 / 110000) < 1e-12);
    pack_free(&p);
}

/* Ten 120000-token sequences, 4 ranks: one per rank per row, so 4 + 4 + 2. */
static void test_tight_fit_and_oversized(void **state)
{
    (void)state;
    int64_t tight[10], over[] = {50000, 25000, 140000, 30000, 150000, 20000};
    for (int i = 0; i < 10; i++)
        tight[i] = 120000;
    for (int a = 0; a < PK_COUNT; a++) {
        struct packing p;
        struct pack_metrics m = pack((enum pack_algo)a, tight, 10, 4, 130000, &p);
        assert_int_equal(m.rows, 3);
        assert_int_equal(m.rows_lower_bound, 3);
        pack_free(&p);
        m = pack((enum pack_algo)a, over, 6, 4, 130000, &p);
        assert_int_equal(m.dropped, 2);
        assert_int_equal(p.dropped, 2);
        assert_int_equal(m.dropped_tokens, 290000);
        assert_true(p.row[2] == -1 && p.row[4] == -1);
        assert_int_equal(m.rows, 1);
        pack_free(&p);
    }
}

static void test_invariants_on_random_lengths(void **state)
{
    (void)state;
    const int kinds[] = {DIST_REALISTIC, DIST_BIMODAL, DIST_POWERLAW, DIST_OUTLIERS, DIST_UNIFORM};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (int32_t p = 1; p <= 16; p *= 2) {
            struct dist_spec s = {.kind = kinds[k], .n = 300, .lo = 0, .hi = 200000, .integer = 1};
            snprintf(s.name, sizeof s.name, "case%zu", k);
            double *v;
            size_t n;
            assert_int_equal(dist_generate(&s, 7, p, &v, &n), 0);
            int64_t *len = malloc(n * sizeof *len), over = 0;
            for (size_t i = 0; i < n; i++) {
                len[i] = (int64_t)v[i];
                over += len[i] > 130000;
            }
            int64_t rows[PK_COUNT];
            for (int a = 0; a < PK_COUNT; a++) {
                struct packing x, y;
                struct pack_metrics m = pack((enum pack_algo)a, len, n, p, 130000, &x);
                pack(a, len, n, p, 130000, &y);
                assert_int_equal(x.nrows, y.nrows); /* deterministic */
                assert_memory_equal(x.row, y.row, n * sizeof *x.row);
                assert_memory_equal(x.rank, y.rank, n * sizeof *x.rank);
                assert_int_equal(m.over_budget, 0); /* no cell above the budget */
                assert_int_equal(m.misplaced, 0);   /* every kept sequence placed once */
                assert_int_equal(m.dropped, over);  /* exactly the long ones dropped */
                assert_true(m.rows >= m.rows_lower_bound);
                rows[a] = m.rows;
                pack_free(&x);
                pack_free(&y);
            }
            assert_true(rows[PK_GLOBAL_LPT] <= rows[PK_FFD]); /* by construction */
            free(len);
            free(v);
        }
    }
}

static void test_bad_arguments(void **state)
{
    (void)state;
    int64_t len[] = {1, -2};
    struct packing p;
    assert_int_equal(pack_sequences(PK_GREEDY, len, 2, 4, 100, &p), PACK_BADARGS);
    assert_int_equal(pack_sequences(PK_GREEDY, len, 1, 0, 100, &p), PACK_BADARGS);
    assert_int_equal(pack_sequences(PK_GREEDY, len, 1, 4, 0, &p), PACK_BADARGS);
    assert_int_equal(pack_sequences(PK_FFD, len, 0, 4, 10, &p), PACK_OK); /* nothing to pack */
    assert_int_equal(p.nrows, 0);
    pack_free(&p);
    enum pack_algo a;
    assert_int_equal(pack_algo_parse("lpt-bsearch", &a), 0);
    assert_int_equal(a, PK_LPT_BSEARCH);
    assert_int_equal(pack_algo_parse("lpt", &a), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greedy_small_batch_by_hand),
        cmocka_unit_test(test_lpt_bsearch_small_batch_by_hand),
        cmocka_unit_test(test_tight_fit_and_oversized),
        cmocka_unit_test(test_invariants_on_random_lengths),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests_name("packing", tests, NULL, NULL);
}
