/* LPT and block assignment: known answers and invariants. */
#include "testutil.h"

#include "partition.h"

static double makespan(const double *cost, const int *owner, size_t n, int p)
{
    double loads[64];
    partition_loads(cost, owner, n, p, loads);
    double m = 0;
    for (int r = 0; r < p; r++)
        m = loads[r] > m ? loads[r] : m;
    return m;
}

/* Graham's tight example for LPT: 2P+1 jobs 2P-1, 2P-1, 2P-2, 2P-2, ...,
 * P+1, P+1, P, P, P give makespan 4P-1 against an optimum of 3P. */
static void test_lpt_graham_worst_case(void **state)
{
    (void)state;
    for (int p = 2; p <= 6; p++) {
        double cost[32];
        size_t n = 0;
        for (int v = 2 * p - 1; v >= p + 1; v--) {
            cost[n++] = v;
            cost[n++] = v;
        }
        cost[n++] = p;
        cost[n++] = p;
        cost[n++] = p;
        assert_int_equal(n, 2 * p + 1);
        int owner[32];
        assert_int_equal(partition_assign(BAL_LPT, cost, n, p, owner), 0);
        assert_true(makespan(cost, owner, n, p) == 4.0 * p - 1);
    }
}

/* Hand-traced: 7->r0, 5->r1, 4->r1 (9), 3->r0 (10), 3->r1 (12), 2->r0 (12). */
static void test_lpt_hand_traced(void **state)
{
    (void)state;
    double cost[] = {3, 7, 2, 5, 3, 4};
    int owner[6];
    assert_int_equal(partition_assign(BAL_LPT, cost, 6, 2, owner), 0);
    int expect[] = {0, 0, 0, 1, 1, 1}; /* first 3 (index 0) goes before the second (index 4) */
    assert_memory_equal(owner, expect, sizeof expect);
    double loads[2];
    partition_loads(cost, owner, 6, 2, loads);
    assert_true(loads[0] == 12 && loads[1] == 12);
    assert_true(load_imbalance(loads, 2) == 1.0);
}

static void test_lpt_ties_go_to_lowest_rank(void **state)
{
    (void)state;
    double cost[] = {1, 1, 1, 1};
    int owner[4];
    partition_assign(BAL_LPT, cost, 4, 4, owner);
    for (int i = 0; i < 4; i++)
        assert_int_equal(owner[i], i);
    partition_assign(BAL_LPT, cost, 4, 8, owner);
    for (int i = 0; i < 4; i++)
        assert_int_equal(owner[i], i);
}

static void test_block(void **state)
{
    (void)state;
    double cost[10] = {0};
    int owner[10];
    partition_assign(BAL_BLOCK, cost, 10, 4, owner);
    int expect[] = {0, 0, 1, 1, 2, 2, 3, 3, 3, 3}; /* the last rank takes the remainder */
    assert_memory_equal(owner, expect, sizeof expect);
    partition_assign(BAL_BLOCK, cost, 3, 4, owner);
    for (int i = 0; i < 3; i++)
        assert_int_equal(owner[i], 3);
    partition_assign(BAL_BLOCK, cost, 8, 1, owner);
    for (int i = 0; i < 8; i++)
        assert_int_equal(owner[i], 0);
}

static void test_invariants_random(void **state)
{
    (void)state;
    srand(12345);
    for (int trial = 0; trial < 200; trial++) {
        size_t n = (size_t)(rand() % 300);
        int p = 1 + rand() % 40;
        double *cost = malloc((n + 1) * sizeof *cost), total = 0;
        int *owner = malloc((n + 1) * sizeof *owner), *again = malloc((n + 1) * sizeof *again);
        for (size_t i = 0; i < n; i++)
            total += cost[i] = (double)(rand() % 1000);
        for (int a = 0; a < 2; a++) {
            enum balance_algo algo = a ? BAL_BLOCK : BAL_LPT;
            assert_int_equal(partition_assign(algo, cost, n, p, owner), 0);
            assert_int_equal(partition_assign(algo, cost, n, p, again), 0);
            assert_memory_equal(owner, again, n * sizeof *owner); /* deterministic */
            double loads[64], sum = 0, max = 0, biggest = 0;
            partition_loads(cost, owner, n, p, loads);
            for (size_t i = 0; i < n; i++) {
                assert_true(owner[i] >= 0 && owner[i] < p);
                biggest = cost[i] > biggest ? cost[i] : biggest;
            }
            for (int r = 0; r < p; r++) {
                sum += loads[r];
                max = loads[r] > max ? loads[r] : max;
            }
            assert_true(sum == total);
            if (algo == BAL_LPT) {
                /* any list schedule: makespan <= sum/P + (1 - 1/P) max item; and >= the lower bound */
                double lb = total / p > biggest ? total / p : biggest;
                assert_true(max <= total / p + (1.0 - 1.0 / p) * biggest + 1e-9);
                assert_true(max >= lb - 1e-9);
            }
        }
        free(cost);
        free(owner);
        free(again);
    }
}

static void test_imbalance(void **state)
{
    (void)state;
    double loads[] = {4, 2, 2, 0};
    assert_true(load_imbalance(loads, 4) == 2.0);
    double zero[] = {0, 0};
    assert_true(load_imbalance(zero, 2) == 1.0);
    assert_int_equal(partition_assign(BAL_LPT, loads, 4, 0, (int[4]){0}), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lpt_graham_worst_case), cmocka_unit_test(test_lpt_hand_traced),
        cmocka_unit_test(test_lpt_ties_go_to_lowest_rank), cmocka_unit_test(test_block),
        cmocka_unit_test(test_invariants_random), cmocka_unit_test(test_imbalance),
    };
    return cmocka_run_group_tests_name("partition", tests, NULL, NULL);
}
