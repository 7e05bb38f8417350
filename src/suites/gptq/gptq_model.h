/* The gptq suite: a whole HuggingFace checkpoint quantized into a folder
 * that loaders read (transformers/optimum, AutoGPTQ, GPTQModel): every
 * targeted linear as <module>.qweight .qzeros .scales .g_idx, every other
 * tensor copied, sharded safetensors with an index, quantize_config.json
 * and the config's quantization_config. One task per linear (and per
 * copied tensor), spread over the ranks by the planner; each rank writes
 * its own shard as its tasks finish (suite gptq_model_*.c files). */
#ifndef FIDRUN_GPTQ_MODEL_H
#define FIDRUN_GPTQ_MODEL_H

#include <stdint.h>

#include "config/hf_config.h"
#include "core/quant/gptq.h"
#include "core/quant/gptq_pack.h"
#include "io/st_model.h"
#include "plugin/suite.h"

#define GPTQ_MODEL_MAX_TARGETS 32

enum gptq_method { GM_RTN, GM_GPTQ };

/* A tensor of the output: a linear to quantize, or one to copy. */
struct gptq_item {
    char name[TASK_NAME_MAX]; /* the source tensor */
    char label[48];           /* a linear's target short name ("" for a copy) */
    int64_t out, in;          /* a linear as nn.Linear holds it */
    int transposed;           /* stored [in, out] (GPT-2's Conv1D) */
    int quantize;             /* 1: a linear; 0: copied as it is */
    size_t bytes;             /* a copy's bytes */
};

struct gptq_model_config {
    char path[512], out[512];
    char target_entries[GPTQ_MODEL_MAX_TARGETS][128];
    size_t ntarget_entries;
    int64_t layers;
    int method;
    struct quant_spec spec;
    int format;               /* enum zero_format: v1 "gptq" (the default, as GPTQModel saves) or gptq_v2 */
    char calib_file[512];     /* activations per linear, tensors named by module; "" synthetic */
    int64_t tokens, samples, held_out;
    /* resolved at configure */
    struct st_model *model;
    struct hf_config hc;
    int have_config;
    char config_origin[600];
    struct gptq_item *items;
    size_t nitems, nlinears;
};

struct gptq_layer_row {
    struct record_head head;
    char name[TASK_NAME_MAX];
    char target[48];
    int32_t rows, cols, bits, group_size;
    double rel_out_err, sqnr_db, weight_mse, max_abs_w_err, gptq_loss, damp;
    int64_t nan_count, inf_count, v1_wrapped;
    int32_t roundtrip_ok; /* the packed tensors unpack to the codes quantized */
    double quant_seconds;
};

struct gptq_copy_row {
    struct record_head head;
    char name[TASK_NAME_MAX];
    char dtype[8];
    double bytes;
};

struct gptq_shard_row {
    int32_t rank;
    char shard[48];
    int64_t tensors;
    double bytes;
};

#endif
