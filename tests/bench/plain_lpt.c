/* The yardstick for `fidrun balance`: LPT as anyone would write it in a
 * few dozen lines of C (qsort, then a binary min-heap of rank loads),
 * reading the same file. Prints the makespan and the seconds taken, end to
 * end including reading the file.
 *   plain_lpt FILE P */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct item {
    double cost;
    long index;
};

static int desc(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    return x->cost < y->cost ? 1 : x->cost > y->cost ? -1 : (x->index > y->index) - (x->index < y->index);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    FILE *f = fopen(argv[1], "r");
    if (!f)
        return 2;
    long n = 0, cap = 1 << 20, p = atol(argv[2]);
    struct item *it = malloc((size_t)cap * sizeof *it);
    double c;
    while (fscanf(f, "%lf", &c) == 1) {
        if (n == cap)
            it = realloc(it, (size_t)(cap *= 2) * sizeof *it);
        it[n].cost = c;
        it[n].index = n;
        n++;
    }
    fclose(f);
    qsort(it, (size_t)n, sizeof *it, desc);
    double *load = calloc((size_t)p, sizeof *load);
    long *owner = malloc((size_t)n * sizeof *owner), *rank = malloc((size_t)p * sizeof *rank);
    for (long r = 0; r < p; r++)
        rank[r] = r;
    for (long k = 0; k < n; k++) { /* the root is the least-loaded rank */
        owner[it[k].index] = rank[0];
        load[0] += it[k].cost;
        for (long i = 0;;) {
            long l = 2 * i + 1, r = l + 1, m = i;
            if (l < p && load[l] < load[m])
                m = l;
            if (r < p && load[r] < load[m])
                m = r;
            if (m == i)
                break;
            double tl = load[i];
            load[i] = load[m];
            load[m] = tl;
            long tr = rank[i];
            rank[i] = rank[m];
            rank[m] = tr;
            i = m;
        }
    }
    double max = 0;
    for (long r = 0; r < p; r++)
        max = load[r] > max ? load[r] : max;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.17g %.6f\n", max, (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    return 0;
}
