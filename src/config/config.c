#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config_profile.h"
#include "config/schema.h"

static const struct choice device_choices[] = {{"auto", DEVICE_AUTO}, {"cpu", DEVICE_CPU}, {"cuda", DEVICE_CUDA},
                                               {NULL, 0}};
#define SPEC(a, r) PARTITION_CODE(a, r)
static const struct choice balance_choices[] = {
    {"lpt", SPEC(PA_LPT, 0)},          {"block", SPEC(PA_BLOCK, 0)},           {"roundrobin", SPEC(PA_ROUNDROBIN, 0)},
    {"greedy", SPEC(PA_GREEDY, 0)},    {"kk", SPEC(PA_KK, 0)},                 {"kk-equal", SPEC(PA_KK_EQUAL, 0)},
    {"lpt+refine", SPEC(PA_LPT, 1)},   {"kk+refine", SPEC(PA_KK, 1)},          {"kk-equal+refine", SPEC(PA_KK_EQUAL, 1)},
    {"greedy+refine", SPEC(PA_GREEDY, 1)}, {NULL, 0}};
#undef SPEC

const char *device_kind_name(int device)
{
    return device == DEVICE_CPU ? "cpu" : device == DEVICE_CUDA ? "cuda" : "auto";
}

static const struct field timeout_fields[] = {
    {.key = "task_timeout", .type = FT_REAL, .offset = offsetof(struct suite_slot, task_timeout), .min = 0,
     .max = 1e7},
    {0},
};

/* task_timeout belongs to every suite: read here, and the suite's own
 * configure sees its mapping without it. */
static int configure_suite(struct suite_slot *slot, const struct ynode *node, const char *path, struct diag *d)
{
    if (!node || node->kind != YN_MAP)
        return slot->suite->configure(node, path, slot->cfg, d);
    struct ynode own = *node, common = *node;
    own.entries = malloc((node->n ? node->n : 1) * sizeof *own.entries);
    common.entries = malloc((node->n ? node->n : 1) * sizeof *common.entries);
    own.n = common.n = 0;
    int rc = own.entries && common.entries ? FR_OK : diag_fail(d, FR_RUNTIME, "out of memory");
    for (size_t i = 0; !rc && i < node->n; i++) {
        if (strcmp(node->entries[i].key, "task_timeout") == 0)
            common.entries[common.n++] = node->entries[i];
        else
            own.entries[own.n++] = node->entries[i];
    }
    own.cap = own.n;
    common.cap = common.n;
    if (!rc)
        rc = schema_apply(timeout_fields, &common, path, slot, d);
    if (!rc)
        rc = slot->suite->configure(&own, path, slot->cfg, d);
    free(own.entries);
    free(common.entries);
    return rc;
}

static int parse_suites(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    struct run_config *cfg = obj;
    const char *names[CONFIG_MAX_SUITES];
    char known[256];
    size_t n = suite_count();
    for (size_t i = 0; i < n && i < CONFIG_MAX_SUITES; i++)
        names[i] = suite_at(i)->name;
    join_names(names, n, known, sizeof known);
    if (!node || node->kind != YN_MAP || node->n == 0) {
        char found[300];
        return schema_error(d, &node->loc, path, "expected a mapping of suites to run (known: %s), found %s", known,
                            node->kind == YN_MAP ? "an empty mapping" : describe_found(node, found, sizeof found));
    }
    for (size_t i = 0; i < node->n; i++) {
        const struct yentry *e = &node->entries[i];
        char sub[300];
        join_path(sub, sizeof sub, path, e->key);
        const struct suite *s = suite_find(e->key);
        if (!s)
            return schema_unknown(d, &e->key_loc, sub, "suite", e->key, names, n, "suites");
        struct suite_slot *slot = &cfg->suites[cfg->nsuites];
        slot->suite = s;
        slot->cfg = calloc(1, s->config_size);
        if (!slot->cfg)
            return diag_fail(d, FR_RUNTIME, "out of memory");
        cfg->nsuites++;
        s->defaults(slot->cfg);
        if (configure_suite(slot, e->value, sub, d))
            return d->code;
    }
    return FR_OK;
}

static const struct field top_fields[] = {
    {.key = "name", .type = FT_STRING, .offset = offsetof(struct run_config, name), .size = 64, .min = 1},
    {.key = "seed", .type = FT_INT, .offset = offsetof(struct run_config, seed), .min = 0, .max = 9.2e18},
    {.key = "device", .type = FT_ENUM, .offset = offsetof(struct run_config, device), .choices = device_choices},
    {.key = "balance", .type = FT_ENUM, .offset = offsetof(struct run_config, balance), .choices = balance_choices},
    {.key = "output", .type = FT_STRING, .offset = offsetof(struct run_config, output), .size = 512, .min = 1},
    {.key = "threads", .type = FT_INT, .offset = offsetof(struct run_config, threads), .min = 1, .max = 1024},
    {.key = "heartbeat_timeout", .type = FT_REAL, .offset = offsetof(struct run_config, heartbeat_timeout), .min = 0,
     .max = 1e7},
    {.key = "profile", .type = FT_STRING, .offset = offsetof(struct run_config, profile), .size = 128, .min = 1},
    {.key = "model", .type = FT_STRING, .offset = offsetof(struct run_config, model), .size = 256, .min = 1},
    {.key = "suites", .type = FT_CUSTOM, .custom = parse_suites, .required = 1},
    {0},
};

static int read_file(const char *path, char **text, size_t *len, struct diag *d)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (!f)
        return diag_fail(d, FR_USAGE, "cannot open config file '%s': %s", path, strerror(errno));
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return diag_fail(d, FR_USAGE, "config file '%s' is a directory", path);
    }
    char *buf = malloc(CONFIG_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        return diag_fail(d, FR_RUNTIME, "out of memory");
    }
    size_t n = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return diag_fail(d, FR_USAGE, "cannot read config file '%s'", path);
    }
    if (n > CONFIG_MAX_BYTES) {
        free(buf);
        return diag_fail(d, FR_USAGE, "config file '%s' is larger than 1 MiB; is it the right file?", path);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return FR_OK;
}

static int apply_override(struct ynode **root, const struct config_override *ov, struct diag *d)
{
    const char *eq = strchr(ov->assignment, '=');
    if (!eq || eq == ov->assignment)
        return diag_fail(d, FR_USAGE, "%s: expected key.path=value", ov->label);
    char path[256];
    size_t plen = (size_t)(eq - ov->assignment);
    if (plen >= sizeof path)
        return diag_fail(d, FR_USAGE, "%s: the key path is too long", ov->label);
    memcpy(path, ov->assignment, plen);
    path[plen] = '\0';
    for (size_t i = 0; i < plen; i++)
        if (!(isalnum((unsigned char)path[i]) || path[i] == '_' || path[i] == '-' || path[i] == '.'))
            return diag_fail(d, FR_USAGE, "%s: '%s' is not a key path (letters, digits, '_', '-' and '.')",
                             ov->label, path);
    /* an option for one suite (--export-factors) must not make that suite up */
    const struct ynode *suites = ytree_get(*root, "suites");
    if (!strncmp(ov->label, "--export-factors", 16) && !ytree_get(suites, "osft")) {
        char names[256] = "";
        for (size_t i = 0, used = 0; suites && suites->kind == YN_MAP && i < suites->n && used < sizeof names; i++)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", suites->entries[i].key);
        return diag_fail(d, FR_USAGE, "%s: this config runs no osft suite (its suites: %s), so there are no factors "
                                      "to export", ov->label, names[0] ? names : "none");
    }
    const char *value = eq + 1;
    struct ynode *node;
    if (ytree_parse(value, strlen(value), ov->label, &node, d))
        return d->code;
    if (!node) {
        node = calloc(1, sizeof *node);
        if (!node || !(node->text = strdup(""))) {
            free(node);
            return diag_fail(d, FR_RUNTIME, "out of memory");
        }
        node->kind = YN_SCALAR;
    }
    /* errors about this value point at the argument, not inside it */
    node->loc = (struct yloc){ov->label, 0, 0};
    return ytree_set_path(root, path, node, ov->label, d);
}

static void file_stem(const char *path, char *out, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, size, "%s", base);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

static int check_name(const struct run_config *cfg, const struct ynode *root, struct diag *d)
{
    for (const char *p = cfg->name; *p; p++) {
        if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-')) {
            const struct ynode *n = ytree_get(root, "name");
            struct yloc loc = n ? n->loc : (struct yloc){cfg->path, 0, 0};
            return schema_error(d, &loc, "name",
                                "'%s' is used in file names: use letters, digits, '.', '_' and '-' only", cfg->name);
        }
    }
    return FR_OK;
}

static char *join_overrides(const struct config_override *ov, size_t nov)
{
    size_t len = 1;
    for (size_t i = 0; i < nov; i++)
        len += strlen(ov[i].assignment) + 1;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    *p = '\0';
    for (size_t i = 0; i < nov; i++)
        p += sprintf(p, "%s\n", ov[i].assignment);
    return s;
}

static int parse_config(struct run_config *cfg, size_t len, const struct config_override *ov, size_t nov,
                        struct diag *d);

static void config_defaults(struct run_config *cfg, const char *path)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->path, sizeof cfg->path, "%s", path);
    cfg->seed = 1234;
    cfg->device = DEVICE_AUTO;
    cfg->balance = PARTITION_CODE(PA_LPT, 0);
    cfg->threads = 1;
    cfg->heartbeat_timeout = 60;
    snprintf(cfg->output, sizeof cfg->output, "results");
    file_stem(path, cfg->name, sizeof cfg->name);
}

int config_load(const char *path, const struct config_override *ov, size_t nov, struct run_config *cfg,
                struct diag *d)
{
    config_defaults(cfg, path);

    size_t len = 0;
    if (read_file(path, &cfg->text, &len, d))
        return d->code;
    return parse_config(cfg, len, ov, nov, d);
}

int config_load_text(const char *path, const char *text, const struct config_override *ov, size_t nov,
                     struct run_config *cfg, struct diag *d)
{
    config_defaults(cfg, path);
    if (!(cfg->text = strdup(text)))
        return diag_fail(d, FR_RUNTIME, "out of memory");
    return parse_config(cfg, strlen(text), ov, nov, d);
}

static int parse_config(struct run_config *cfg, size_t len, const struct config_override *ov, size_t nov,
                        struct diag *d)
{
    const char *path = cfg->path;
    if (!(cfg->overrides = join_overrides(ov, nov)))
        return diag_fail(d, FR_RUNTIME, "out of memory");
    struct ynode *root;
    if (ytree_parse(cfg->text, len, cfg->path, &root, d))
        return d->code;
    if (!root)
        return diag_fail(d, FR_USAGE, "config file '%s' is empty: expected a mapping with at least 'suites:'", path);
    int rc = FR_OK;
    if (root->kind != YN_MAP) {
        char found[300];
        rc = schema_error(d, &root->loc, "", "expected a mapping at the top level (keys name, seed, device, "
                          "balance, output, threads, profile, model, suites), found %s", describe_found(root, found, sizeof found));
    }
    if (rc == FR_OK)
        rc = config_apply_profile(&root, cfg, d);
    for (size_t i = 0; rc == FR_OK && i < nov; i++)
        rc = apply_override(&root, &ov[i], d);
    if (rc == FR_OK)
        rc = schema_apply(top_fields, root, "", cfg, d);
    if (rc == FR_OK)
        rc = check_name(cfg, root, d);
    if (rc == FR_OK && !(cfg->resolved = ytree_leaves_text(root)))
        rc = diag_fail(d, FR_RUNTIME, "out of memory");
    ytree_free(root);
    return rc;
}

static void suite_slot_free(struct suite_slot *slot)
{
    if (slot->cfg && slot->suite->release)
        slot->suite->release(slot->cfg);
    free(slot->cfg);
    slot->cfg = NULL;
}

int config_select_suites(struct run_config *cfg, const char *list, struct diag *d)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    int keep[CONFIG_MAX_SUITES] = {0};
    for (char *save, *name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        if (!suite_find(name)) {
            const char *names[CONFIG_MAX_SUITES];
            size_t n = suite_count();
            for (size_t i = 0; i < n; i++)
                names[i] = suite_at(i)->name;
            const char *near = closest_name(name, names, n);
            return diag_fail(d, FR_USAGE, "--suite: unknown suite '%s'%s%s%s", name, near ? " (did you mean '" : "",
                             near ? near : "", near ? "'?)" : "");
        }
        size_t i = 0;
        while (i < cfg->nsuites && strcmp(cfg->suites[i].suite->name, name) != 0)
            i++;
        if (i == cfg->nsuites)
            return diag_fail(d, FR_USAGE, "--suite: suite '%s' is not configured in %s (add suites.%s there)", name,
                             cfg->path, name);
        keep[i] = 1;
    }
    size_t j = 0;
    for (size_t i = 0; i < cfg->nsuites; i++) {
        if (keep[i])
            cfg->suites[j++] = cfg->suites[i];
        else
            suite_slot_free(&cfg->suites[i]);
    }
    cfg->nsuites = j;
    if (j == 0)
        return diag_fail(d, FR_USAGE, "--suite: no suite named");
    return FR_OK;
}

void config_free(struct run_config *cfg)
{
    for (size_t i = 0; i < cfg->nsuites; i++)
        suite_slot_free(&cfg->suites[i]);
    free(cfg->text);
    free(cfg->overrides);
    free(cfg->profile_scaled);
    free(cfg->resolved);
    memset(cfg, 0, sizeof *cfg);
}

const char *config_inputs(const struct run_config *cfg, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < cfg->nsuites && used < size; i++) {
        const struct suite *s = cfg->suites[i].suite;
        char one[1100];
        if (!s->inputs)
            continue;
        s->inputs(cfg->suites[i].cfg, (long long)cfg->seed, one, sizeof one);
        if (one[0] && !strstr(buf, one))
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " · " : "", one);
    }
    return buf;
}

double config_silence_limit(const struct run_config *cfg)
{
    double limit = cfg->heartbeat_timeout;
    for (size_t i = 0; i < cfg->nsuites; i++)
        if (cfg->suites[i].task_timeout > 0 && (limit <= 0 || cfg->suites[i].task_timeout < limit))
            limit = cfg->suites[i].task_timeout;
    return limit;
}
