/* OSFT after the SVDs: the factors of every matrix, from the rank that
 * computed them to every rank, as OSFT initialisation distributes them. */
#include <stdlib.h>
#include <string.h>

#include "core/osft/factors.h"
#include "mpi/factor_bcast.h"
#include "suites/osft/osft_impl.h"

static const struct column bcast_cols[] = {
    COL(COL_I32, struct osft_bcast_row, rank, ""),
    COL(COL_STR, struct osft_bcast_row, method, ""),
    COL(COL_STR, struct osft_bcast_row, note, ""),
    COL(COL_I32, struct osft_bcast_row, held_model, ""),
    COL(COL_I64, struct osft_bcast_row, matrices, "count"),
    COLC(COL_F64, struct osft_bcast_row, bytes, "B", CMP_EXACT),
    COL(COL_F64, struct osft_bcast_row, seconds, "s"),
    COL(COL_F64, struct osft_bcast_row, max_seconds, "s"),
    COL(COL_F64, struct osft_bcast_row, algbw, "GB/s"),
    COL(COL_F64, struct osft_bcast_row, busbw, "GB/s"),
    COLC(COL_I64, struct osft_bcast_row, mismatches, "count", CMP_LOWER),
};
const struct table_desc osft_bcast_table = TABLE_DESC("broadcast", struct osft_bcast_row, bcast_cols);

int osft_keeps_factors(const struct osft_config *cfg, const struct run_context *ctx)
{
    return cfg->broadcast != BCAST_OFF && ctx->nranks > 1 && ctx->state;
}

int osft_broadcast(const void *vcfg, const struct run_context *ctx, void *vrow, struct diag *d)
{
    const struct osft_config *cfg = vcfg;
    void *s = ctx->state;
    struct osft_bcast_row *row = vrow;
    /* every rank must reach the broadcast's collectives, even one that
     * failed here: it reports the failure through the request */
    struct bcast_item *items = malloc((ctx->tasks->n ? ctx->tasks->n : 1) * sizeof *items);
    size_t n = 0;
    for (size_t i = 0; items && i < ctx->tasks->n; i++) {
        const struct task *t = &ctx->tasks->items[i];
        if (t->suite != ctx->suite || ctx->owner[i] < 0) /* not factored in this run (resumed, interrupted) */
            continue;
        struct factor_layout lay;
        factor_layout_of(t->dims[0], t->dims[1], (enum dtype)cfg->dtype, &lay);
        items[n++] = (struct bcast_item){.owner = ctx->owner[i], .bytes = lay.bytes,
                                         .buf = ctx->owner[i] == ctx->rank ? osft_state_held(s, t->id)->buf : NULL,
                                         .group = (int)t->dims[2]};
    }
    struct bcast_request req = {
        .method = cfg->broadcast,
        .on_device = ctx->backend != &backend_cpu,
        .items = items,
        .n = n,
        .memory_share = cfg->broadcast_memory_share,
        .local_size = ctx->local_size,
        .failed = items ? NULL : "out of memory for the list of matrices to broadcast",
    };
    struct bcast_result res;
    int rc = factor_bcast_run(&req, &res, d);
    free(items);
    osft_state_release(s); /* every rank has its copy now; the originals are done */
    if (!rc && cfg->export_factors[0])
        rc = osft_export_finish(cfg, ctx, d);
    if (rc)
        return rc;
    *row = (struct osft_bcast_row){
        .rank = ctx->rank,
        .held_model = res.held_model,
        .matrices = res.matrices,
        .bytes = res.bytes,
        .seconds = res.seconds,
        .max_seconds = res.max_seconds,
        .algbw = res.algbw,
        .busbw = res.busbw,
        .mismatches = res.mismatches,
    };
    snprintf(row->method, sizeof row->method, "%s", res.method);
    snprintf(row->note, sizeof row->note, "%s", res.note);
    return FR_OK;
}
