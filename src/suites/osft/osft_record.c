/* The OSFT record of a matrix: its figures from a decomposition's outcome,
 * shared by whole-matrix tasks (osft_run.c) and distributed ones
 * (osft_distributed.c). */
#include "suites/osft/osft_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/osft/metrics.h"

const struct osft_checkpoint_matrix *osft_task_matrix(const struct osft_config *cfg, const struct task *t)
{
    return cfg->source == SOURCE_CHECKPOINT && t->dims[3] >= 0 && (size_t)t->dims[3] < cfg->nmatrices
               ? &cfg->matrices[t->dims[3]]
               : NULL;
}

void osft_fill_record(const struct osft_config *cfg, const struct task *t, int64_t ks,
                        const struct osft_outcome *o, struct osft_record *r)
{
    int64_t m = t->dims[0], n = t->dims[1], k = o->s.rows;
    double eps = dtype_eps((enum dtype)cfg->dtype);
    const struct diff_stats *ds = &o->ds;
    snprintf(r->name, sizeof r->name, "%s", t->name);
    const struct osft_checkpoint_matrix *cm = osft_task_matrix(cfg, t);
    snprintf(r->target, sizeof r->target, "%s", cm ? cm->label : target_name((enum target)t->dims[3]));
    r->layer = (int32_t)t->dims[2];
    r->rows = (int32_t)m;
    r->cols = (int32_t)n;
    r->k_split = (int32_t)ks;
    r->max_abs_err = ds->max_abs;
    r->mean_abs_err = ds->mean_abs;
    r->rel_fro_err = ds->fro_ref > 0 ? ds->fro_diff / ds->fro_ref : ds->fro_diff;
    r->max_abs_w = ds->max_abs_ref;
    r->violations = ds->violations;
    r->pass = ds->violations == 0;
    r->resid_ratio = svd_residual_ratio(ds->norm1_diff, ds->norm1_ref, m, n, eps);
    r->orth_u_ratio = orthogonality_ratio(o->defect_u, m, eps);
    r->orth_v_ratio = orthogonality_ratio(o->defect_v, n, eps);
    r->sv_violations = (int32_t)singular_value_violations(&o->s);
    r->sigma_max = mat_get(&o->s, 0, 0);
    r->sigma_split = mat_get(&o->s, ks, 0);
    r->sigma_min = mat_get(&o->s, k - 1, 0);
    r->svd_seconds = o->svd_seconds;
    snprintf(r->svd_driver, sizeof r->svd_driver, "%s", svd_driver_name(o->driver));
    size_t used = 0;
    r->auto_rejected[0] = 0;
    for (int i = 0; i < SVD_DRIVER_COUNT; i++)
        if (o->rejected & (1u << i))
            used += (size_t)snprintf(r->auto_rejected + used, sizeof r->auto_rejected - used, "%s%s",
                                     used ? "," : "", svd_driver_name(i));
    r->tuned = o->tuned;
    r->err_sigma = o->err_sigma;
    r->tune_gesvd_s = o->tune_seconds[SVD_GESVD];
    r->tune_gesvdj_s = o->tune_seconds[SVD_GESVDJ];
    r->tune_gesvdp_s = o->tune_seconds[SVD_GESVDP];
    r->xc_sigma_ratio = r->xc_resid_ratio = r->xc_orth_ratio = NAN;
    r->ranks_used = 1;
    r->peak_rss_mib = NAN;
}

