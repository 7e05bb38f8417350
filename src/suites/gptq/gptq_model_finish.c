/* After every task: each rank's shard closed; rank 0 writes what loaders
 * read besides the tensors, from the plan alone: model.safetensors.index.json,
 * config.json with its quantization_config, quantize_config.json (AutoGPTQ's),
 * and the model folder's other files (tokenizer, generation config) as
 * they are. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/contained.h"
#include "suites/gptq/gptq_model_impl.h"
#include "util/version.h"

static json_t *quantization_json(const struct gptq_model_config *cfg)
{
    return json_pack("{s:s, s:i, s:I, s:b, s:b, s:b, s:f, s:b, s:s, s:{s:[s]}}", "quant_method", "gptq", "bits",
                     cfg->spec.bits, "group_size", (json_int_t)cfg->spec.group_size, "desc_act", cfg->spec.act_order,
                     "sym", cfg->spec.sym, "static_groups", cfg->spec.static_groups, "damp_percent",
                     cfg->spec.percdamp, "true_sequential", 1, "checkpoint_format",
                     zero_format_name((enum zero_format)cfg->format), "meta", "quantizer", "fidrun:" FIDRUN_VERSION);
}

static int dump(json_t *doc, const char *dir, const char *name, struct diag *d)
{
    char path[1100], tmp[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int bad = !doc || json_dump_file(doc, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || rename(tmp, path);
    json_decref(doc);
    return bad ? diag_fail(d, FR_RUNTIME, "cannot write %s: %s", path, strerror(errno)) : FR_OK;
}

static int write_index(const struct gptq_model_config *cfg, const struct run_context *ctx, struct diag *d)
{
    json_t *map = json_object();
    double total = 0;
    struct st_tensor t[4];
    char names[4][TASK_NAME_MAX + 16], shard[64];
    for (size_t i = 0; map && i < ctx->tasks->n; i++) {
        const struct task *task = &ctx->tasks->items[i];
        if (task->suite != ctx->suite)
            continue;
        gptq_shard_name(ctx->owner[i], ctx->nranks, shard, sizeof shard);
        size_t n = gptq_item_tensors(cfg, &cfg->items[task->dims[2]], t, names);
        for (size_t k = 0; k < n; k++) {
            json_object_set_new(map, names[k], json_string(shard));
            total += (double)t[k].bytes;
        }
    }
    return dump(json_pack("{s:{s:I}, s:o}", "metadata", "total_size", (json_int_t)total, "weight_map", map), cfg->out,
                "model.safetensors.index.json", d);
}

static int write_configs(const struct gptq_model_config *cfg, struct diag *d)
{
    size_t len;
    int missing;
    char *text = contained_read_text(cfg->path, "config.json", &len, &missing, d);
    if (!text)
        return missing ? diag_fail(d, FR_USAGE, "%s/config.json is gone", cfg->path) : d->code;
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    free(text);
    if (!json_is_object(root)) {
        json_decref(root);
        return diag_fail(d, FR_USAGE, "%s/config.json: not a JSON object", cfg->path);
    }
    json_object_set_new(root, "quantization_config", quantization_json(cfg));
    int rc = dump(root, cfg->out, "config.json", d);
    return rc ? rc : dump(quantization_json(cfg), cfg->out, "quantize_config.json", d);
}

/* Whether the output holds this name already (its own files, and the weights). */
static int written_here(const char *name)
{
    size_t len = strlen(name);
    return !strcmp(name, "config.json") || !strcmp(name, "quantize_config.json") ||
           !strcmp(name, "model.safetensors.index.json") ||
           (len > 12 && !strcmp(name + len - 12, ".safetensors"));
}

/* The folder's other regular files, byte for byte (links out of it refused). */
static int copy_others(const struct gptq_model_config *cfg, struct diag *d)
{
    DIR *dh = opendir(cfg->path);
    if (!dh)
        return diag_fail(d, FR_RUNTIME, "cannot read %s: %s", cfg->path, strerror(errno));
    int rc = FR_OK;
    struct dirent *e;
    while (!rc && (e = readdir(dh))) {
        if (e->d_name[0] == '.' || written_here(e->d_name) || e->d_type == DT_DIR)
            continue;
        int in, missing;
        struct diag quiet = {0};
        if (contained_open(cfg->path, e->d_name, &in, &missing, &quiet) || missing)
            continue; /* not a regular file inside the folder: not part of the model */
        char path[1100];
        snprintf(path, sizeof path, "%s/%s", cfg->out, e->d_name);
        FILE *out = fopen(path, "wb");
        char buf[65536];
        ssize_t got = 0;
        while (out && (got = read(in, buf, sizeof buf)) > 0)
            if (fwrite(buf, 1, (size_t)got, out) != (size_t)got)
                got = -1;
        if (!out || got < 0 || fclose(out))
            rc = diag_fail(d, FR_RUNTIME, "cannot copy %s/%s to %s: %s", cfg->path, e->d_name, cfg->out,
                           strerror(errno));
        close(in);
    }
    closedir(dh);
    return rc;
}

int gptq_model_finish(const void *vcfg, const struct run_context *ctx, void *vrow, struct diag *d)
{
    const struct gptq_model_config *cfg = vcfg;
    struct gptq_shard_row *row = vrow;
    *row = (struct gptq_shard_row){.rank = ctx->rank};
    int open, all_run = 1;
    struct st_writer *w = gptq_model_shard(ctx->state, &open);
    for (size_t i = 0; i < ctx->tasks->n; i++)
        all_run &= ctx->tasks->items[i].suite != ctx->suite || ctx->owner[i] >= 0;
    if (!all_run) { /* interrupted, or resumed: the shards would hold tensors never written */
        if (open)
            st_writer_abort(w);
        if (ctx->rank == 0)
            fprintf(stderr, "fidrun: warning: gptq: not every tensor was written in this run (interrupted, or "
                            "resumed), so %s is not a checkpoint; run it whole again\n",
                    cfg->out);
        snprintf(row->shard, sizeof row->shard, "(none: incomplete)");
        return FR_OK;
    }
    if (open) {
        gptq_shard_name(ctx->rank, ctx->nranks, row->shard, sizeof row->shard);
        row->bytes = (double)(w->bytes - w->data_start);
        for (size_t i = 0; i < ctx->tasks->n; i++) {
            const struct task *t = &ctx->tasks->items[i];
            if (t->suite == ctx->suite && ctx->owner[i] == ctx->rank)
                row->tensors += cfg->items[t->dims[2]].quantize ? 4 : 1;
        }
        int rc = st_writer_close(w, d);
        if (rc)
            return rc;
    }
    if (ctx->rank != 0)
        return FR_OK;
    int rc = write_index(cfg, ctx, d);
    if (!rc)
        rc = write_configs(cfg, d);
    if (!rc)
        rc = copy_others(cfg, d);
    return rc;
}
