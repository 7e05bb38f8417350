/* Partitioning: known answers (Graham's worst case, KK by hand, perfect
 * partitions by construction, exhaustive optima of small instances) and
 * invariants on random instances for every algorithm. */
#include "testutil.h"
#include <math.h>

#include "core/balance/partition.h"

static const struct partition_spec LPT = {PA_LPT, 0}, KK = {PA_KK, 0}, KK_EQUAL = {PA_KK_EQUAL, 0},
                                    BLOCK = {PA_BLOCK, 0}, GREEDY = {PA_GREEDY, 0}, RR = {PA_ROUNDROBIN, 0};

static uint64_t rng_state = 88172645463325252ull;
static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double makespan_of(struct partition_spec s, const double *cost, size_t n, int32_t p)
{
    int32_t *owner = malloc((n + 1) * sizeof *owner);
    double *loads = malloc((size_t)p * sizeof *loads), max = 0;
    assert_int_equal(partition_assign(s, cost, n, p, owner), PART_OK);
    partition_loads(cost, owner, n, p, loads);
    for (int32_t r = 0; r < p; r++)
        max = loads[r] > max ? loads[r] : max;
    free(owner);
    free(loads);
    return max;
}

/* Graham's tight example for LPT: 2P+1 jobs 2P-1, 2P-1, 2P-2, 2P-2, ...,
 * P+1, P+1, P, P, P give makespan 4P-1 against an optimum of 3P. */
static void test_lpt_graham_worst_case(void **state)
{
    (void)state;
    for (int32_t p = 2; p <= 12; p++) {
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
        assert_true(makespan_of(LPT, cost, n, p) == 4.0 * p - 1);
        /* the optimum is 3P = sum/P, so the ratio is exactly Graham's bound */
        assert_true(fabs((4.0 * p - 1) / (3.0 * p) - lpt_graham_bound(p)) < 1e-15);
    }
}

/* KK on {8,7,6,5,4} into 2: (8,7)->1, (6,5)->1, 4 with (8,7) -> (11,8)->3,
 * then (11,8) with (6,5) -> (16,14): difference 2. */
static void test_kk_known_answer(void **state)
{
    (void)state;
    double cost[] = {8, 7, 6, 5, 4}, loads[2];
    int32_t owner[5];
    assert_int_equal(partition_assign(KK, cost, 5, 2, owner), PART_OK);
    partition_loads(cost, owner, 5, 2, loads);
    assert_true(fabs(loads[0] - loads[1]) == 2);
    /* LPT: 8|7, 6 -> 13, 5 -> 13|13, 4 -> 17 */
    assert_true(makespan_of(LPT, cost, 5, 2) == 17);
    assert_true(makespan_of(KK, cost, 5, 2) == 16);
}

/* Hand-traced LPT: 7->r0, 5->r1, 4->r1 (9), 3->r0 (10), 3->r1 (12), 2->r0 (12). */
static void test_lpt_and_greedy_hand_traced(void **state)
{
    (void)state;
    double cost[] = {3, 7, 2, 5, 3, 4};
    int32_t owner[6];
    assert_int_equal(partition_assign(LPT, cost, 6, 2, owner), PART_OK);
    int32_t expect[] = {0, 0, 0, 1, 1, 1}; /* the first 3 (index 0) goes before the second (index 4) */
    assert_memory_equal(owner, expect, sizeof expect);
    /* greedy in input order: 3->r0, 7->r1, 2->r0 (5), 5->r0 (10), 3->r1 (10), 4->r0 (14) */
    assert_int_equal(partition_assign(GREEDY, cost, 6, 2, owner), PART_OK);
    int32_t greedy[] = {0, 1, 0, 0, 1, 0};
    assert_memory_equal(owner, greedy, sizeof greedy);
}

static void test_block_and_roundrobin(void **state)
{
    (void)state;
    double cost[10] = {0};
    int32_t owner[10];
    partition_assign(BLOCK, cost, 10, 4, owner);
    int32_t expect[] = {0, 0, 1, 1, 2, 2, 3, 3, 3, 3}; /* the last rank takes the remainder */
    assert_memory_equal(owner, expect, sizeof expect);
    partition_assign(BLOCK, cost, 3, 4, owner);
    for (int i = 0; i < 3; i++)
        assert_int_equal(owner[i], 3);
    partition_assign(RR, cost, 10, 4, owner);
    for (int i = 0; i < 10; i++)
        assert_int_equal(owner[i], i % 4);
}

/* Items cut from P equal "bars": the optimum is exactly sum/P. */
static size_t perfect_instance(int32_t p, int pieces, double *cost, double bar)
{
    size_t n = 0;
    for (int32_t r = 0; r < p; r++) {
        double left = bar;
        for (int k = 0; k < pieces - 1; k++) {
            double piece = 1 + (double)(next_random() % (uint64_t)(left / (pieces - k)));
            cost[n++] = piece;
            left -= piece;
        }
        cost[n++] = left;
    }
    for (size_t i = n - 1; i > 0; i--) { /* shuffle */
        size_t j = next_random() % (i + 1);
        double t = cost[i];
        cost[i] = cost[j];
        cost[j] = t;
    }
    return n;
}

static void test_perfect_partition_by_construction(void **state)
{
    (void)state;
    double cost[4096];
    for (int32_t p = 2; p <= 64; p *= 2) {
        size_t n = perfect_instance(p, 5, cost, 10000);
        int32_t owner[4096];
        struct partition_metrics m;
        assert_int_equal(partition_assign(LPT, cost, n, p, owner), PART_OK);
        assert_int_equal(partition_metrics_compute(cost, owner, n, p, &m), 0);
        assert_true(m.lower_bound == 10000); /* = the optimum */
        assert_true(m.makespan >= 10000);
        assert_true(m.makespan <= lpt_graham_bound(p) * 10000);
        /* refinement may only help, and here it has room to */
        assert_true(makespan_of((struct partition_spec){PA_LPT, 1}, cost, n, p) <= m.makespan);
        assert_true(makespan_of((struct partition_spec){PA_KK, 1}, cost, n, p) <= lpt_graham_bound(p) * 10000);
    }
}

/* Exhaustive optimum for tiny instances. */
static double brute_force_optimum(const double *cost, size_t n, int32_t p)
{
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total *= (size_t)p;
    double best = INFINITY;
    for (size_t code = 0; code < total; code++) {
        double loads[4] = {0};
        size_t c = code;
        for (size_t i = 0; i < n; i++, c /= (size_t)p)
            loads[c % (size_t)p] += cost[i];
        double max = 0;
        for (int32_t r = 0; r < p; r++)
            max = loads[r] > max ? loads[r] : max;
        best = max < best ? max : best;
    }
    return best;
}

/* LPT (Graham 1969) and KK (Michiels et al. 2007) are both within
 * 4/3 - 1/(3P) of the optimum; refinement never makes things worse. */
static void test_approximation_bounds_against_exhaustive_optimum(void **state)
{
    (void)state;
    struct partition_spec all[16];
    size_t nalg = partition_catalog(all, 16);
    for (int trial = 0; trial < 150; trial++) {
        int32_t p = 2 + (int32_t)(next_random() % 3);
        size_t n = 1 + next_random() % 9;
        double cost[10];
        for (size_t i = 0; i < n; i++)
            cost[i] = (double)(1 + next_random() % 50);
        double opt = brute_force_optimum(cost, n, p);
        for (size_t a = 0; a < nalg; a++)
            assert_true(makespan_of(all[a], cost, n, p) >= opt);
        double bound = lpt_graham_bound(p) * opt + 1e-9;
        assert_true(makespan_of(LPT, cost, n, p) <= bound);
        assert_true(makespan_of(KK, cost, n, p) <= bound);
        assert_true(makespan_of((struct partition_spec){PA_LPT, 1}, cost, n, p) <= makespan_of(LPT, cost, n, p));
        assert_true(makespan_of((struct partition_spec){PA_KK, 1}, cost, n, p) <= makespan_of(KK, cost, n, p));
    }
}


/* Karmarkar–Karp the slow, obvious way: dense P-tuples of loads, sorted
 * after every merge. The fast implementation must give the same loads. */
static int by_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

static double spread_of(const double *t, int32_t p) { return t[0] - t[p - 1]; }

static double reference_kk(const double *cost, size_t n, int32_t p, int equal_count)
{
    if (n == 0)
        return 0;
    double *sorted = malloc(n * sizeof *sorted);
    memcpy(sorted, cost, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, by_desc);
    size_t m = equal_count ? (n + (size_t)p - 1) / (size_t)p : n;
    double **list = malloc(m * sizeof *list); /* alive tuples in creation order */
    for (size_t k = 0; k < m; k++)
        list[k] = calloc((size_t)p, sizeof **list);
    for (size_t i = 0; i < n; i++)
        list[equal_count ? i / (size_t)p : i][equal_count ? i % (size_t)p : 0] = sorted[i];
    while (m > 1) {
        size_t a = 0, b = 1; /* largest spread first; ties to the older tuple */
        if (spread_of(list[b], p) > spread_of(list[a], p)) {
            a = 1;
            b = 0;
        }
        for (size_t k = 2; k < m; k++) {
            double sk = spread_of(list[k], p);
            if (sk > spread_of(list[a], p)) {
                b = a;
                a = k;
            } else if (sk > spread_of(list[b], p)) {
                b = k;
            }
        }
        double *merged = malloc((size_t)p * sizeof *merged);
        for (int32_t j = 0; j < p; j++)
            merged[j] = list[a][j] + list[b][p - 1 - j];
        qsort(merged, (size_t)p, sizeof *merged, by_desc);
        free(list[a]);
        free(list[b]);
        size_t w = 0;
        for (size_t k = 0; k < m; k++)
            if (k != a && k != b)
                list[w++] = list[k];
        list[w] = merged;
        m = w + 1;
    }
    double makespan = list[0][0];
    free(list[0]);
    free(list);
    free(sorted);
    return makespan;
}

static void test_kk_matches_reference(void **state)
{
    (void)state;
    for (int trial = 0; trial < 300; trial++) {
        int32_t p = 2 + (int32_t)(next_random() % 9);
        size_t n = next_random() % 60;
        double cost[64];
        for (size_t i = 0; i < n; i++) /* distinct, so no tie decides anything */
            cost[i] = (double)(next_random() % 1000000) + (double)i / 64.0;
        for (int eq = 0; eq < 2; eq++) {
            double fast = makespan_of((struct partition_spec){eq ? PA_KK_EQUAL : PA_KK, 0}, cost, n, p);
            double ref = reference_kk(cost, n, p, eq);
            if (fast != ref)
                fail_msg("trial %d, n %zu, P %d, equal %d: fast %.17g, reference %.17g", trial, n, p, eq, fast, ref);
        }
    }
}

static void check_invariants(struct partition_spec s, const double *cost, size_t n, int32_t p)
{
    int32_t *owner = malloc((n + 1) * sizeof *owner), *again = malloc((n + 1) * sizeof *again);
    assert_int_equal(partition_assign(s, cost, n, p, owner), PART_OK);
    assert_int_equal(partition_assign(s, cost, n, p, again), PART_OK);
    assert_memory_equal(owner, again, n * sizeof *owner); /* deterministic */
    struct partition_metrics m;
    assert_int_equal(partition_metrics_compute(cost, owner, n, p, &m), 0);
    assert_int_equal(m.unassigned, 0); /* every item exactly once */
    double total = 0, biggest = 0;
    int64_t count = 0;
    for (size_t i = 0; i < n; i++) {
        total += cost[i];
        biggest = cost[i] > biggest ? cost[i] : biggest;
    }
    double *loads = calloc((size_t)p, sizeof *loads), sum = 0;
    partition_loads(cost, owner, n, p, loads);
    for (int32_t r = 0; r < p; r++)
        sum += loads[r];
    assert_true(fabs(sum - total) <= 1e-9 * total); /* loads sum to the total */
    assert_true(m.makespan >= m.lower_bound * (1 - 1e-12));
    count = m.max_items;
    if (s.algo == PA_KK_EQUAL) /* equal counts: n/P each, up to one more */
        assert_true(m.max_items - m.min_items <= 1);
    if (s.algo == PA_LPT || s.algo == PA_GREEDY) /* any list schedule */
        assert_true(m.makespan <= total / p + (1.0 - 1.0 / p) * biggest + 1e-9 * total);
    (void)count;
    free(loads);
    free(owner);
    free(again);
}

static void test_invariants_random(void **state)
{
    (void)state;
    struct partition_spec all[16];
    size_t nalg = partition_catalog(all, 16);
    for (int trial = 0; trial < 120; trial++) {
        size_t n = next_random() % 400;
        int32_t p = 1 + (int32_t)(next_random() % 70);
        double *cost = malloc((n + 1) * sizeof *cost);
        for (size_t i = 0; i < n; i++) /* integers and fractions, some zeros */
            cost[i] = trial % 3 == 0 ? (double)(next_random() % 1000)
                                     : (double)(next_random() % 1000000) / 997.0 * (next_random() % 7 != 0);
        for (size_t a = 0; a < nalg; a++)
            check_invariants(all[a], cost, n, p);
        free(cost);
    }
}

static void test_edge_cases(void **state)
{
    (void)state;
    struct partition_spec all[16];
    size_t nalg = partition_catalog(all, 16);
    double equal[100], giant[50], few[3] = {5, 1, 3};
    for (int i = 0; i < 100; i++)
        equal[i] = 7;
    for (int i = 0; i < 50; i++)
        giant[i] = i == 17 ? 1e6 : 1;
    for (size_t a = 0; a < nalg; a++) {
        check_invariants(all[a], equal, 0, 4);        /* zero items */
        check_invariants(all[a], few, 3, 8);          /* fewer items than ranks */
        check_invariants(all[a], equal, 100, 1);      /* one rank */
        check_invariants(all[a], equal, 100, 7);      /* all equal */
        check_invariants(all[a], giant, 50, 4);       /* one giant item */
        check_invariants(all[a], equal, 100, 65536); /* the most ranks */
    }
    /* with fewer items than ranks, LPT and KK give every item its own rank */
    assert_true(makespan_of(LPT, few, 3, 8) == 5 && makespan_of(KK, few, 3, 8) == 5);
    /* one giant item is the makespan; everything else goes elsewhere */
    assert_true(makespan_of(LPT, giant, 50, 4) == 1e6 && makespan_of(KK, giant, 50, 4) == 1e6);
    /* all equal, 100 into 7: 15 on two ranks, 14 on five */
    assert_true(makespan_of(LPT, equal, 100, 7) == 15 * 7 && makespan_of(KK_EQUAL, equal, 100, 7) == 15 * 7);
}

static void test_rejects_bad_input(void **state)
{
    (void)state;
    double cost[] = {1, 2, NAN, 4}, neg[] = {1, -1}, inf[] = {INFINITY};
    int32_t owner[4];
    assert_int_equal(partition_assign(LPT, cost, 2, 0, owner), PART_BADRANKS);
    assert_int_equal(partition_assign(LPT, cost, 2, PARTITION_MAX_RANKS + 1, owner), PART_BADRANKS);
    assert_int_equal(partition_assign(LPT, cost, 4, 2, owner), PART_BADCOST);
    assert_int_equal(partition_find_bad_cost(cost, 4), 2);
    assert_int_equal(partition_assign(KK, neg, 2, 2, owner), PART_BADCOST);
    assert_int_equal(partition_find_bad_cost(neg, 2), 1);
    assert_int_equal(partition_find_bad_cost(inf, 1), 0);
}

/* Costs whose sum overflows a double still partition as their scaled-down
 * copies do, and the metrics stay finite where the true loads are. */
static void test_overflow_safe(void **state)
{
    (void)state;
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload")) /* valgrind: its x87 has no 80-bit long double, the sums overflow */
        skip();
    double huge[6], small[6] = {9, 8, 7, 6, 5, 4};
    for (int i = 0; i < 6; i++)
        huge[i] = ldexp(small[i], 1020); /* exact, and 39 * 2^1020 > DBL_MAX */
    int32_t a[6], b[6];
    struct partition_spec all[16];
    size_t nalg = partition_catalog(all, 16);
    for (size_t k = 0; k < nalg; k++) {
        assert_int_equal(partition_assign(all[k], huge, 6, 3, a), PART_OK);
        assert_int_equal(partition_assign(all[k], small, 6, 3, b), PART_OK);
        assert_memory_equal(a, b, sizeof a);
    }
    struct partition_metrics m;
    int32_t one_rank[6] = {0};
    assert_int_equal(partition_metrics_compute(huge, one_rank, 6, 1, &m), 0);
    assert_true(isinf(m.makespan)); /* 39 * 2^1020: no double holds it, and it says so */
    assert_int_equal(partition_metrics_compute(huge, a, 6, 3, &m), 0);
    assert_true(isfinite(m.makespan) && m.gap >= 0 && m.gap < 0.2);
}

static void test_metrics_known_answer(void **state)
{
    (void)state;
    double cost[] = {4, 2, 2, 0, 1, 1};
    int32_t owner[] = {0, 1, 1, 2, 3, 3};
    struct partition_metrics m;
    assert_int_equal(partition_metrics_compute(cost, owner, 6, 4, &m), 0);
    /* loads 4, 4, 0, 2: mean 2.5 */
    assert_true(m.total == 10 && m.makespan == 4 && m.lower_bound == 4 && m.gap == 0);
    assert_true(m.max_over_mean == 1.6 && m.min_over_max == 0 && m.efficiency == 2.5 / 4);
    assert_true(fabs(m.load_std - sqrt((1.5 * 1.5 * 2 + 2.5 * 2.5 + 0.5 * 0.5) / 4)) < 1e-15);
    assert_int_equal(m.min_items, 1);
    assert_int_equal(m.max_items, 2);
    double loads[] = {4, 2, 2, 0};
    assert_true(load_imbalance(loads, 4) == 2.0);
}

static void test_names_round_trip(void **state)
{
    (void)state;
    struct partition_spec all[16], back;
    size_t n = partition_catalog(all, 16);
    const char *listed[16];
    char name[32];
    assert_true(n >= 9);
    assert_int_equal(partition_catalog_names(listed, 16), n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(listed[i], partition_spec_name(all[i], name, sizeof name));
        assert_int_equal(partition_spec_parse(partition_spec_name(all[i], name, sizeof name), &back), 0);
        assert_int_equal(back.algo, all[i].algo);
        assert_int_equal(back.refine, all[i].refine);
        struct partition_spec c = partition_spec_from_code(PARTITION_SPEC_CODE(all[i]));
        assert_true(c.algo == all[i].algo && c.refine == all[i].refine);
    }
    assert_int_equal(partition_spec_parse("lpt+", &back), -1);
    assert_int_equal(partition_spec_parse("+refine", &back), -1);
    assert_int_equal(partition_spec_parse("LPT", &back), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lpt_graham_worst_case),
        cmocka_unit_test(test_kk_known_answer),
        cmocka_unit_test(test_kk_matches_reference),
        cmocka_unit_test(test_lpt_and_greedy_hand_traced),
        cmocka_unit_test(test_block_and_roundrobin),
        cmocka_unit_test(test_perfect_partition_by_construction),
        cmocka_unit_test(test_approximation_bounds_against_exhaustive_optimum),
        cmocka_unit_test(test_invariants_random),
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_rejects_bad_input),
        cmocka_unit_test(test_overflow_safe),
        cmocka_unit_test(test_metrics_known_answer),
        cmocka_unit_test(test_names_round_trip),
    };
    return cmocka_run_group_tests_name("partition", tests, NULL, NULL);
}
