/* A model's weights as a folder holds them: one model.safetensors, or
 * shards named by model.safetensors.index.json. Every shard is mapped
 * (headers parsed and validated, data read only when a tensor is used), so
 * each rank reads just the matrices it processes. Strict: an index naming
 * a missing shard, a tensor the index places in a shard that lacks it, or a
 * name in two shards is an error naming the file and tensor (exit 2). */
#ifndef FIDRUN_ST_MODEL_H
#define FIDRUN_ST_MODEL_H

#include <stddef.h>

#include "io/safetensors.h"
#include "util/diag.h"

struct st_model {
    char dir[512];
    struct st_file *shards;
    size_t nshards;
    int indexed; /* the folder had an index file */
};

int st_model_open(const char *dir, struct st_model *m, struct diag *d);

/* The same, and also a folder with neither file (read as its *.safetensors
 * files, in name order) or one .safetensors file (dir: its folder). */
int st_model_open_any(const char *path, struct st_model *m, struct diag *d);
void st_model_close(struct st_model *m);

/* The tensor and the shard holding it, or NULL. */
const struct st_tensor *st_model_find(const struct st_model *m, const char *name, const struct st_file **shard);

/* dir/config.json parsed into c (origin: its path, which c's strings point
 * into); *have = 0, and FR_OK, when there is none. */
struct hf_config;
int st_model_config(const char *dir, char *origin, size_t size, struct hf_config *c, int *have, struct diag *d);

/* Every tensor of every shard as config/layouts.h matches them, and each
 * one's st_tensor in *src (both malloc'd, n entries); NULL out of memory. */
struct layout_tensor;
struct layout_tensor *st_model_layout_tensors(const struct st_model *m, const struct st_tensor ***src, size_t *n);

/* Total elements over every tensor of every shard. */
double st_model_numel(const struct st_model *m);

#endif
