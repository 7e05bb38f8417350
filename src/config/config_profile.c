/* `profile:` and `model:` in a run config: the profile file found and
 * scaled for the model (profile.h), and the scaled workload written into
 * the config tree wherever the YAML leaves a key out. The overrides come
 * after, so the precedence is --set > YAML > profile > defaults, and every
 * value remembers which of them it came from. */
#include "config/config_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/models.h"
#include "config/profile.h"
#include "config/schema.h"
#include "util/text_file.h"

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* NAME: <config dir>/profiles/NAME.yaml, else configs/profiles/NAME.yaml;
 * a name with '/' or ending in .yaml is a path (relative to the config's
 * folder). */
static int find_profile(const char *name, const char *config_path, char *out, size_t size, char *tried,
                        size_t tsize)
{
    char dir[512];
    const char *slash = strrchr(config_path, '/');
    int dlen = slash ? (int)(slash - config_path) : 1;
    snprintf(dir, sizeof dir, "%.*s", dlen, slash ? config_path : ".");
    size_t len = strlen(name), used;
    int whole = strchr(name, '/') || (len > 5 && strcmp(name + len - 5, ".yaml") == 0);
    int n = whole && name[0] == '/' ? snprintf(out, size, "%s", name)
            : whole                 ? snprintf(out, size, "%s/%s", dir, name)
                                    : snprintf(out, size, "%s/profiles/%s.yaml", dir, name);
    snprintf(tried, tsize, "%s", out);
    if (n > 0 && (size_t)n < size && is_file(out))
        return 1;
    if (whole)
        return 0;
    n = snprintf(out, size, "configs/profiles/%s.yaml", name);
    used = strlen(tried);
    snprintf(tried + used, tsize - used, ", %s", out);
    return n > 0 && (size_t)n < size && is_file(out);
}

static int absent(const struct ynode *map, const char *key) { return map && map->kind == YN_MAP && !ytree_get(map, key); }

static int set_number(struct ynode **root, const char *path, int x, const char *source, struct diag *d)
{
    char text[32];
    snprintf(text, sizeof text, "%d", x);
    return ytree_set_text(root, path, text, source, d);
}

/* The scaled workload into the suites the config has, where it says nothing. */
static int fill(struct ynode **root, const struct scaled_workload *w, const char *source, struct diag *d)
{
    const struct ynode *suites = ytree_get(*root, "suites");
    const struct ynode *osft = ytree_get(suites, "osft"), *quant = ytree_get(suites, "quant"),
                       *balance = ytree_get(suites, "balance");
    int rc = FR_OK;
    const struct ynode *src = ytree_get(osft, "source");
    if (absent(osft, "layers") && !(src && src->kind == YN_SCALAR && strcmp(src->text, "checkpoint") == 0)) {
        const struct ynode *m = ytree_get(osft, "model");
        const struct model_preset *p = m && m->kind == YN_SCALAR ? model_find(m->text) : NULL;
        int layers = p && p->num_hidden_layers < w->layers ? p->num_hidden_layers : w->layers;
        rc = set_number(root, "suites.osft.layers", layers, source, d);
    }
    const struct ynode *calib = ytree_get(quant, "calibration");
    if (!rc && quant && quant->kind == YN_MAP && (!calib || absent(calib, "samples")))
        rc = set_number(root, "suites.quant.calibration.samples", w->calibration_samples, source, d);
    const struct ynode *studies = ytree_get(ytree_get(quant, "kernels"), "studies");
    for (size_t i = 0; !rc && studies && studies->kind == YN_SEQ && i < studies->n; i++) {
        struct ynode *study = studies->items[i];
        if (absent(study, "batches"))
            rc = ytree_set_ints(&study, "batches", w->kernel_batches, 2, source, d);
    }
    const struct ynode *packing = ytree_get(balance, "packing"), *partition = ytree_get(balance, "partition");
    if (!rc && absent(packing, "budget"))
        rc = set_number(root, "suites.balance.packing.budget", w->tokens_per_rank, source, d);
    int ranks[] = {8, w->ranks};
    size_t nranks = w->ranks > 8 ? 2 : 1;
    if (!rc && absent(packing, "ranks"))
        rc = ytree_set_ints(root, "suites.balance.packing.ranks", ranks, nranks, source, d);
    if (!rc && absent(partition, "ranks"))
        rc = ytree_set_ints(root, "suites.balance.partition.ranks", ranks, nranks, source, d);
    return rc;
}

int config_apply_profile(struct ynode **root, struct run_config *cfg, struct diag *d)
{
    const struct ynode *pn = ytree_get(*root, "profile"), *mn = ytree_get(*root, "model");
    if (!pn)
        return FR_OK;
    if (pn->kind != YN_SCALAR)
        return schema_error(d, &pn->loc, "profile", "expected a profile name or a path to one");
    if (!mn || mn->kind != YN_SCALAR)
        return schema_error(d, &pn->loc, "model", "profile: needs model: (the model the workload is scaled for, "
                                                  "e.g. model: Qwen/Qwen2.5-7B)");
    char tried[1200];
    if (!find_profile(pn->text, cfg->path, cfg->profile_path, sizeof cfg->profile_path, tried, sizeof tried))
        return schema_error(d, &pn->loc, "profile", "no profile '%s' (looked for %s)", pn->text, tried);
    size_t len;
    int missing;
    char *text = text_file_read(cfg->profile_path, &len, &missing, d);
    if (!text)
        return missing ? diag_fail(d, FR_USAGE, "%s: vanished while reading", cfg->profile_path) : d->code;
    struct ynode *profile = NULL, *scaled = NULL;
    int rc = ytree_parse(text, len, cfg->profile_path, &profile, d);
    free(text);
    struct scaled_workload w;
    snprintf(cfg->profile_source, sizeof cfg->profile_source, "profile %s scaled for %s", cfg->profile_path,
             mn->text);
    if (!rc)
        rc = profile_scale(profile, mn->text, cfg->profile_source, &scaled, &w, d);
    if (!rc) {
        char *leaves = ytree_leaves_text(ytree_get(scaled, "scaled"));
        if (!leaves)
            rc = diag_fail(d, FR_RUNTIME, "out of memory");
        cfg->profile_scaled = leaves;
    }
    if (!rc)
        rc = fill(root, &w, cfg->profile_source, d);
    ytree_free(profile);
    ytree_free(scaled);
    return rc;
}
