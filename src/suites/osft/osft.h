/* OSFT fidelity: SVD of each weight, split into a frozen high and trainable
 * low subspace, rebuilt, and checked against the original. */
#ifndef FIDRUN_SUITE_OSFT_H
#define FIDRUN_SUITE_OSFT_H

#include <stdint.h>

#include "config/models.h"
#include "io/matrices.h"
#include "plugin/task.h"

/* A matrix of a checkpoint the suite decomposes. */
struct osft_checkpoint_matrix {
    char name[TASK_NAME_MAX];
    char label[48];    /* its target's short name (config/layouts.h) */
    int64_t rows, cols, layer, expert; /* out x in; layer and expert -1 where there is none */
    int transposed;    /* stored [in, out] (GPT-2's Conv1D): read transposed */
    int order;         /* the plan's order: by layer, then the family's layout, expert, file */
    size_t index;
};

#define OSFT_MAX_TARGET_ENTRIES 32

struct osft_config {
    const struct model_preset *model; /* synthetic weights: the shapes */
    char path[512];                   /* source: checkpoint: the model folder */
    struct st_model *checkpoint;
    int checkpoint_has_config;        /* config.json beside the weights: their shapes are checked against it */
    struct osft_checkpoint_matrix *matrices;
    size_t nmatrices;
    int64_t layers; /* 0: all of the model's layers */
    char target_entries[OSFT_MAX_TARGET_ENTRIES][128]; /* targets: as written (none: the layout's default) */
    size_t ntarget_entries;
    unsigned targets;          /* synthetic presets: the targets resolved at configure */
    unsigned target_patterns;  /* what the patterns in targets: match, among every layout's targets */
    char matched[1024];        /* a checkpoint's targets as matched: "query ×6 (384×384), ..." */
    char model_type[32];       /* a checkpoint's config.json model_type ("" without one) */
    int dtype;
    int source;
    double unfreeze_rank_ratio;
    double atol, rtol;
    double ratio_threshold;
    double min_success_rate; /* percent */
    struct synthetic_spectrum spectrum;
    int svd_driver;             /* enum svd_driver */
    int64_t cross_check_every;  /* every Nth matrix (by task id) also on the CPU reference; 0: none */
    int broadcast;              /* enum bcast_method */
    double broadcast_memory_share;
    int64_t gpu_lanes;                /* host threads, each with its own streams, overlapping small matrices */
    int64_t gpu_overlap_max_elements; /* a matrix of at most m*n elements counts as small */
    char export_factors[512];  /* --export-factors: the folder for every target's factors ("" none) */
    int export_dtype;          /* enum export_dtype */
    double distribute_above_mib; /* a tall matrix whose whole-matrix task would peak above this is decomposed by
                                    all ranks together (mpi/dsvd.h) */
    int distributed_svd;       /* enum dsvd_method */
    int64_t distributed_block; /* ScaLAPACK's row block */
};

enum export_dtype { EXPORT_FLOAT32, EXPORT_MODEL };

struct osft_record {
    struct record_head head;
    char name[TASK_NAME_MAX];
    char target[48];
    int32_t layer;
    int32_t rows, cols, k_split;
    double max_abs_err, mean_abs_err, rel_fro_err, max_abs_w;
    int64_t violations; /* entries outside atol + rtol |W| */
    int32_t pass;
    double resid_ratio, orth_u_ratio, orth_v_ratio;
    int32_t sv_violations;
    double sigma_max, sigma_split, sigma_min;
    double svd_seconds;
    char svd_driver[8]; /* the driver that ran */
    char auto_rejected[24]; /* auto: the drivers whose result on this matrix missed the tolerance, rerun */
    int32_t tuned;      /* auto timed every candidate driver on this matrix */
    double err_sigma;   /* gesvdp's h_err_sigma (NaN otherwise) */
    double tune_gesvd_s, tune_gesvdj_s, tune_gesvdp_s; /* when tuned: each candidate's time (NaN otherwise) */
    int32_t batch;      /* matrices run together with this one (itself included): overlapped on a GPU */
    /* the CPU reference (LAPACK gesdd) on the same matrix, for a sample */
    int32_t cross_checked;
    double xc_sigma_ratio; /* max |s - s_cpu| / (s_cpu,max * max(m, n) * eps) */
    double xc_resid_ratio, xc_orth_ratio; /* the CPU's own ratios */
    double bytes_read; /* of the checkpoint, by the rank that ran the task (0 for synthetic weights) */
    /* a distributed matrix (task.collective): how it was decomposed */
    int32_t ranks_used;    /* ranks that held a block of it (1: a whole-matrix task) */
    char distributed[12];  /* "tsqr", "scalapack", "lapack" (one rank, whole), "" for a whole-matrix task */
    double bytes_sent;     /* between the ranks, in the decomposition */
    double peak_rss_mib;   /* the largest rank's peak resident memory after it (NaN for whole-matrix tasks) */
};

/* One row per rank: the broadcast of every matrix's factors to every rank. */
struct osft_bcast_row {
    int32_t rank;
    char method[40];
    char note[160];
    int32_t held_model;
    int64_t matrices;
    double bytes, seconds, max_seconds, algbw, busbw;
    int64_t mismatches;
};


#endif
