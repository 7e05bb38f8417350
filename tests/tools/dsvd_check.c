/* Test tool, under mpirun: the distributed SVD (mpi/dsvd.h) of a matrix
 * whose singular values are known, W = H_U diag(sigma) H_V with H_U and
 * H_V products of two Householder reflectors (m x m and n x n), sigma
 * geometric from 1 down to 1/cond. Every rank makes its own rows of W
 * (a row costs O(n)), so nothing is gathered to build it.
 *   dsvd_check M N f32|f64 tsqr|scalapack|auto [BLOCK] [COND]
 * Checks, each printed: sigma against the known values, LAPACK's ratio
 * max|s - sigma| / (sigma_1 max(m, n) eps) <= 35; the residual and both
 * orthogonality ratios <= 35; no entry of W' outside atol + rtol |W|
 * (atol = rtol = 50 eps); and rank 0's LAPACK gesdd on the gathered W
 * (the test gathers it; fidrun does not) against the distributed figures:
 * the same max |W|, ||W||_F and ||W||_1, singular values within the same ratio.
 * Exits 1 when a check fails, 2 on bad arguments. */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend.h"
#include "core/osft/osft_matrix.h"
#include "mpi/dsvd.h"
#include "util/rng.h"

#define RATIO_BOUND 35.0

struct known {
    int64_t m, n;
    double *u1, *u2, *v1, *v2, *sigma;
    double uu1, uu2, vv1, vv2, u1u2;
};

static double dot(const double *a, const double *b, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static void known_make(struct known *k, int64_t m, int64_t n, double cond)
{
    struct philox_key key = rng_key(20261207, "dsvd_check");
    k->m = m, k->n = n;
    k->u1 = malloc((size_t)m * sizeof(double)), k->u2 = malloc((size_t)m * sizeof(double));
    k->v1 = malloc((size_t)n * sizeof(double)), k->v2 = malloc((size_t)n * sizeof(double));
    k->sigma = malloc((size_t)n * sizeof(double));
    rng_normals(key, 0, 0, (size_t)m, k->u1);
    rng_normals(key, 1, 0, (size_t)m, k->u2);
    rng_normals(key, 2, 0, (size_t)n, k->v1);
    rng_normals(key, 3, 0, (size_t)n, k->v2);
    k->uu1 = dot(k->u1, k->u1, m), k->uu2 = dot(k->u2, k->u2, m), k->u1u2 = dot(k->u1, k->u2, m);
    k->vv1 = dot(k->v1, k->v1, n), k->vv2 = dot(k->v2, k->v2, n);
    for (int64_t j = 0; j < n; j++)
        k->sigma[j] = pow(cond, -(double)j / (double)(n > 1 ? n - 1 : 1));
}

/* Row i of W: e_i^T (H1 H2) restricted to the first n columns, scaled by
 * sigma, times (G1 G2), with H = I - 2 h h^T / h^T h and the same for G. */
static void known_row(const struct known *k, int64_t i, double *row)
{
    int64_t n = k->n;
    double c1 = 2 * k->u1[i] / k->uu1;                  /* e_i^T H1 = e_i^T - c1 u1^T */
    double c2 = 2 * (k->u2[i] - c1 * k->u1u2) / k->uu2; /* then times H2 */
    for (int64_t j = 0; j < n; j++)
        row[j] = k->sigma[j] * ((i == j ? 1.0 : 0.0) - c1 * k->u1[j] - c2 * k->u2[j]);
    double a = 2 * dot(row, k->v1, n) / k->vv1;
    for (int64_t j = 0; j < n; j++)
        row[j] -= a * k->v1[j];
    double b = 2 * dot(row, k->v2, n) / k->vv2;
    for (int64_t j = 0; j < n; j++)
        row[j] -= b * k->v2[j];
}

static int failures, checks, rank;

static void check(int ok, const char *what, double value, double bound)
{
    checks++;
    failures += !ok;
    if (rank == 0)
        printf("%s  %-44s %.4g (bound %.4g)\n", ok ? "ok  " : "FAIL", what, value, bound);
}

static double sigma_ratio(const struct matrix *s, const double *truth, int64_t n, double scale)
{
    double worst = 0;
    for (int64_t j = 0; j < n; j++) {
        double e = fabs(mat_get(s, j, 0) - truth[j]);
        if (!(e <= worst))
            worst = e;
    }
    return worst / scale;
}

/* Rank 0: W gathered and decomposed whole by LAPACK, for the comparison. */
static int whole_matrix(const struct known *k, enum dtype t, double atol, double rtol, struct osft_outcome *o)
{
    struct matrix w;
    double *row = malloc((size_t)k->n * sizeof *row);
    if (!row || mat_alloc(&w, t, k->m, k->n))
        return 1;
    for (int64_t i = 0; i < k->m; i++) {
        known_row(k, i, row);
        for (int64_t j = 0; j < k->n; j++)
            mat_set(&w, i, j, row[j]);
    }
    free(row);
    struct osft_job job = {.w = &w, .k_split = k->n / 2, .atol = atol, .rtol = rtol, .driver = SVD_GESDD};
    struct diag d = {0};
    int rc = cpu_osft_matrix(&job, o, &d);
    if (rc)
        fprintf(stderr, "dsvd_check: LAPACK on the whole matrix: %s\n", d.msg);
    mat_free(&w);
    return rc;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int nranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    blas_set_threads(1);
    if (argc < 5) {
        if (rank == 0)
            fprintf(stderr, "usage: dsvd_check M N f32|f64 tsqr|scalapack|auto [BLOCK] [COND]\n");
        MPI_Finalize();
        return 2;
    }
    int64_t m = atoll(argv[1]), n = atoll(argv[2]), block = argc > 5 ? atoll(argv[5]) : 64;
    double cond = argc > 6 ? atof(argv[6]) : 1e3;
    enum dtype t = strcmp(argv[3], "f64") == 0 ? DT_F64 : DT_F32;
    int method = -1;
    for (int i = 0; i < DSVD_METHOD_COUNT; i++)
        if (strcmp(argv[4], dsvd_method_name(i)) == 0)
            method = i;
    struct dsvd_layout l;
    struct diag d = {0};
    if (method < 0 || dsvd_layout_make(method, m, n, block, rank, nranks, &l, &d)) {
        if (rank == 0)
            fprintf(stderr, "dsvd_check: %s\n", method < 0 ? "unknown method" : d.msg);
        MPI_Finalize();
        return 2;
    }
    struct known k;
    known_make(&k, m, n, cond);
    double eps = dtype_eps(t), atol = 50 * eps, rtol = 50 * eps;
    struct matrix w;
    double *row = malloc((size_t)n * sizeof *row);
    if (!row || mat_alloc(&w, t, l.nlocal, n)) {
        fprintf(stderr, "dsvd_check: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
    for (int64_t i = 0; i < l.nlocal; i++) {
        known_row(&k, dsvd_global_row(&l, i), row);
        for (int64_t j = 0; j < n; j++)
            mat_set(&w, i, j, row[j]);
    }
    struct dsvd_job job = {.w_local = &w, .layout = &l, .k_split = n / 2, .atol = atol, .rtol = rtol};
    struct dsvd_outcome o;
    if (dsvd_run(&job, &o, &d)) {
        fprintf(stderr, "dsvd_check: rank %d: %s\n", rank, d.msg);
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
    if (rank == 0)
        printf("%s %s %lld x %lld on %d rank%s (block %lld) · svd %.3f s · figures %.3f s · %.0f bytes sent\n",
               dsvd_method_name(l.method), dtype_name(t), (long long)m, (long long)n, nranks, nranks == 1 ? "" : "s",
               (long long)block, o.svd_seconds, o.metric_seconds, o.bytes_sent);
    double scale = k.sigma[0] * (double)(m > n ? m : n) * eps;
    check(sigma_ratio(&o.s, k.sigma, n, scale) <= RATIO_BOUND, "sigma against the known values",
          sigma_ratio(&o.s, k.sigma, n, scale), RATIO_BOUND);
    double resid = svd_residual_ratio(o.ds.norm1_diff, o.ds.norm1_ref, m, n, eps);
    check(resid <= RATIO_BOUND, "residual ratio ||W - W'||_1 / (||W||_1 m eps)", resid, RATIO_BOUND);
    check(orthogonality_ratio(o.defect_u, m, eps) <= RATIO_BOUND, "orthogonality of U",
          orthogonality_ratio(o.defect_u, m, eps), RATIO_BOUND);
    check(orthogonality_ratio(o.defect_v, n, eps) <= RATIO_BOUND, "orthogonality of V",
          orthogonality_ratio(o.defect_v, n, eps), RATIO_BOUND);
    check(o.ds.violations == 0, "entries outside atol + rtol |W|", (double)o.ds.violations, 0);
    /* rank 0 against the whole matrix (every rank waits for the verdict) */
    if (rank == 0) {
        struct osft_outcome whole;
        if (whole_matrix(&k, t, atol, rtol, &whole)) {
            check(0, "LAPACK on the whole matrix ran", 0, 0);
        } else {
            check(whole.ds.max_abs_ref == o.ds.max_abs_ref, "max |W| equal to the whole matrix's",
                  fabs(whole.ds.max_abs_ref - o.ds.max_abs_ref), 0);
            double fro = fabs(whole.ds.fro_ref - o.ds.fro_ref) / whole.ds.fro_ref;
            check(fro <= 1e-12, "||W||_F as the whole matrix's (relative)", fro, 1e-12);
            double norm1 = fabs(whole.ds.norm1_ref - o.ds.norm1_ref) / whole.ds.norm1_ref;
            check(norm1 <= 1e-12, "||W||_1 as the whole matrix's (relative)", norm1, 1e-12);
            double gap = 0;
            for (int64_t j = 0; j < n; j++)
                gap = fmax(gap, fabs(mat_get(&whole.s, j, 0) - mat_get(&o.s, j, 0)));
            check(gap / scale <= RATIO_BOUND, "sigma against LAPACK gesdd's", gap / scale, RATIO_BOUND);
            double whole_resid = svd_residual_ratio(whole.ds.norm1_diff, whole.ds.norm1_ref, m, n, eps);
            check(whole_resid <= RATIO_BOUND, "LAPACK's own residual ratio", whole_resid, RATIO_BOUND);
            mat_free(&whole.s);
        }
    }
    int all_fail;
    MPI_Allreduce(&failures, &all_fail, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0)
        printf("dsvd_check: %d checks, %d failed\n", checks, all_fail);
    mat_free(&o.s);
    mat_free(&w);
    free(row);
    MPI_Finalize();
    return all_fail ? 1 : 0;
}
