/* Synthetic calibration activations: reproducible by token, the correlation
 * and the outlier channels they promise. */
#include "testutil.h"

#include <math.h>

#include "core/quant/calibration.h"

static const struct synthetic_activations sa = {
    .factors = 8, .correlation = 0.8, .outliers = 6, .outlier_min = 10, .outlier_max = 100};

static void test_same_tokens_whatever_the_count(void **state)
{
    (void)state;
    enum { IN = 64 };
    float *a = malloc(100 * IN * sizeof *a), *b = malloc(40 * IN * sizeof *b), *c = malloc(40 * IN * sizeof *c);
    struct diag d = {0};
    assert_int_equal(synthetic_activations(&sa, 9, IN, 0, 100, a, &d), 0);
    assert_int_equal(synthetic_activations(&sa, 9, IN, 0, 40, b, &d), 0);
    for (int i = 0; i < 40 * IN; i++) /* equal up to the BLAS product's blocking */
        assert_true(fabsf(a[i] - b[i]) <= 1e-6f * (1 + fabsf(a[i])));
    assert_int_equal(synthetic_activations(&sa, 9, IN, 1, 40, c, &d), 0); /* held-out stream differs */
    assert_memory_not_equal(b, c, 40 * IN * sizeof *b);
    free(a);
    free(b);
    free(c);
}

static void test_correlation_and_outliers(void **state)
{
    (void)state;
    enum { IN = 256, T = 4000 };
    float *x = malloc((size_t)T * IN * sizeof *x);
    struct diag d = {0};
    assert_int_equal(synthetic_activations(&sa, 3, IN, 0, T, x, &d), 0);
    int outliers = 0;
    double var[IN] = {0};
    for (int k = 0; k < IN; k++) {
        double s = activation_channel_scale(&sa, 3, IN, k);
        outliers += s > 1;
        assert_true(s == 1 || (s >= 10 && s <= 100));
        for (int t = 0; t < T; t++)
            var[k] += (double)x[t * IN + k] * x[t * IN + k] / T;
        /* an ordinary channel has unit variance, an outlier s^2 (within sampling error) */
        if (!(fabs(var[k] / (s * s) - 1) < 0.15))
            fail_msg("channel %d: variance %.3f, scale %.1f", k, var[k], s);
    }
    assert_true(outliers >= 1 && outliers <= 20); /* about 6 expected */
    /* mean |correlation| between ordinary channels: the factors' share c = 0.8
     * spread over 8 random loadings gives clearly correlated channels */
    double sum = 0;
    int pairs = 0;
    for (int i = 0; i < 32; i++)
        for (int j = i + 1; j < 32; j++) {
            if (activation_channel_scale(&sa, 3, IN, i) > 1 || activation_channel_scale(&sa, 3, IN, j) > 1)
                continue;
            double cov = 0;
            for (int t = 0; t < T; t++)
                cov += (double)x[t * IN + i] * x[t * IN + j] / T;
            sum += fabs(cov / sqrt(var[i] * var[j]));
            pairs++;
        }
    assert_true(sum / pairs > 0.2);
    free(x);
}

static void test_zero_correlation_is_white(void **state)
{
    (void)state;
    struct synthetic_activations white = {.factors = 4, .correlation = 0, .outliers = 0, .outlier_min = 10,
                                          .outlier_max = 10};
    enum { IN = 16, T = 20000 };
    float *x = malloc((size_t)T * IN * sizeof *x);
    struct diag d = {0};
    assert_int_equal(synthetic_activations(&white, 1, IN, 0, T, x, &d), 0);
    double cov = 0;
    for (int t = 0; t < T; t++)
        cov += (double)x[t * IN] * x[t * IN + 1] / T;
    assert_true(fabs(cov) < 0.05);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_tokens_whatever_the_count),
        cmocka_unit_test(test_correlation_and_outliers),
        cmocka_unit_test(test_zero_correlation_is_white),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
