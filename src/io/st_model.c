#include "io/st_model.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/hf_config.h"
#include "config/layouts.h"
#include "io/contained.h"

#define INDEX_FILE "model.safetensors.index.json"
#define SINGLE_FILE "model.safetensors"

void st_model_close(struct st_model *m)
{
    for (size_t i = 0; i < m->nshards; i++)
        st_close(&m->shards[i]);
    free(m->shards);
    m->shards = NULL;
    m->nshards = 0;
}

static int add_shard(struct st_model *m, const char *file, struct diag *d)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", m->dir, file);
    for (size_t i = 0; i < m->nshards; i++)
        if (strcmp(m->shards[i].path, path) == 0)
            return FR_OK;
    int fd, missing;
    if (contained_open(m->dir, file, &fd, &missing, d))
        return d->code;
    if (missing)
        return diag_fail(d, FR_USAGE, "%s/%s names shard '%s', which is not in the folder", m->dir, INDEX_FILE, file);
    struct st_file *grown = realloc(m->shards, (m->nshards + 1) * sizeof *grown);
    if (!grown) {
        close(fd);
        return diag_fail(d, FR_RUNTIME, "out of memory");
    }
    m->shards = grown;
    int rc = st_open_fd(path, fd, &m->shards[m->nshards], d);
    if (!rc)
        m->nshards++;
    return rc;
}

/* weight_map: every entry's shard exists and holds the tensor. */
static int read_index(struct st_model *m, struct diag *d)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", m->dir, INDEX_FILE);
    size_t len;
    int missing;
    char *text = contained_read_text(m->dir, INDEX_FILE, &len, &missing, d);
    if (!text)
        return d->code;
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    free(text);
    if (!root)
        return diag_fail(d, FR_USAGE, "%s:%d:%d: not valid JSON: %s", path, je.line, je.column, je.text);
    json_t *map = json_object_get(root, "weight_map");
    int rc = FR_OK;
    if (!json_is_object(root) || !json_is_object(map))
        rc = diag_fail(d, FR_USAGE, "%s: expected an object with a \"weight_map\" object", path);
    const char *name;
    json_t *v;
    json_object_foreach(map, name, v)
    {
        if (rc)
            break;
        if (!json_is_string(v)) {
            rc = diag_fail(d, FR_USAGE, "%s: weight_map[\"%s\"] is not a file name", path, name);
            break;
        }
        const char *file = json_string_value(v);
        if (strchr(file, '/')) {
            rc = diag_fail(d, FR_USAGE, "%s: weight_map[\"%s\"] = \"%s\" points outside the folder", path, name, file);
            break;
        }
        if ((rc = add_shard(m, file, d)))
            break;
        char shard[1024];
        snprintf(shard, sizeof shard, "%s/%s", m->dir, file);
        const struct st_file *in = NULL;
        for (size_t i = 0; i < m->nshards && !in; i++)
            if (!strcmp(m->shards[i].path, shard))
                in = &m->shards[i];
        if (!st_find(in, name))
            rc = diag_fail(d, FR_USAGE, "%s: weight_map places tensor '%s' in %s, which does not have it", path, name,
                           file);
    }
    json_decref(root);
    return rc;
}

/* A tensor name in two shards is ambiguous: which copy is the model's? */
static int check_duplicates(const struct st_model *m, struct diag *d)
{
    for (size_t a = 0; a < m->nshards; a++)
        for (size_t i = 0; i < m->shards[a].n; i++)
            for (size_t b = a + 1; b < m->nshards; b++)
                if (st_find(&m->shards[b], m->shards[a].tensors[i].name))
                    return diag_fail(d, FR_USAGE, "tensor '%s' is in two shards: %s and %s",
                                     m->shards[a].tensors[i].name, m->shards[a].path, m->shards[b].path);
    return FR_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder with neither file: its *.safetensors files, in name order. */
static int open_every_file(struct st_model *m, struct diag *d)
{
    DIR *dh = opendir(m->dir);
    if (!dh)
        return diag_fail(d, FR_USAGE, "cannot read the folder %s: %s", m->dir, strerror(errno));
    char **names = NULL;
    size_t n = 0;
    int rc = FR_OK;
    struct dirent *e;
    while (!rc && (e = readdir(dh))) {
        size_t len = strlen(e->d_name);
        if (len <= 12 || strcmp(e->d_name + len - 12, ".safetensors") != 0)
            continue;
        char **grown = realloc(names, (n + 1) * sizeof *names);
        if (!grown || !(grown[n] = strdup(e->d_name))) {
            names = grown ? grown : names;
            rc = diag_fail(d, FR_RUNTIME, "out of memory");
            break;
        }
        names = grown;
        n++;
    }
    closedir(dh);
    if (!rc && !n)
        rc = diag_fail(d, FR_USAGE, "%s: no %s, %s or other *.safetensors file (not a model folder?)", m->dir,
                       SINGLE_FILE, INDEX_FILE);
    if (!rc)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        if (!rc)
            rc = add_shard(m, names[i], d);
        free(names[i]);
    }
    free(names);
    return rc;
}

static int open_model(const char *path, int any, struct st_model *m, struct diag *d)
{
    struct stat st;
    size_t plen = strlen(path);
    if (any && plen > 12 && strcmp(path + plen - 12, ".safetensors") == 0 && stat(path, &st) == 0 &&
        S_ISREG(st.st_mode)) {
        /* one file: its folder, holding just it */
        memset(m, 0, sizeof *m);
        const char *slash = strrchr(path, '/');
        size_t dlen = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);
        if (dlen >= sizeof m->dir)
            return diag_fail(d, FR_USAGE, "%s: path too long", path);
        if (slash)
            memcpy(m->dir, path, dlen);
        else
            m->dir[dlen++] = '.';
        m->dir[dlen] = '\0';
        int rc = add_shard(m, slash ? slash + 1 : path, d);
        if (rc)
            st_model_close(m);
        return rc;
    }
    const char *dir = path;
    memset(m, 0, sizeof *m);
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (len >= sizeof m->dir)
        return diag_fail(d, FR_USAGE, "%s: path too long", dir);
    memcpy(m->dir, dir, len);
    m->dir[len] = '\0';
    int rc, fd, no_index = 0, no_single = 0;
    if ((rc = contained_open(m->dir, INDEX_FILE, &fd, &no_index, d)))
        return rc;
    if (fd >= 0)
        close(fd); /* read_index reads it again, through the same check */
    if (!no_index) {
        m->indexed = 1;
        rc = read_index(m, d);
    } else if ((rc = contained_open(m->dir, SINGLE_FILE, &fd, &no_single, d)) == FR_OK) {
        if (fd >= 0)
            close(fd);
        rc = !no_single ? add_shard(m, SINGLE_FILE, d)
             : any      ? open_every_file(m, d)
                        : diag_fail(d, FR_USAGE, "%s: no %s or %s (not a HuggingFace model folder?)", m->dir,
                                    SINGLE_FILE, INDEX_FILE);
    }
    if (!rc)
        rc = check_duplicates(m, d);
    if (rc)
        st_model_close(m);
    return rc;
}

int st_model_open(const char *dir, struct st_model *m, struct diag *d) { return open_model(dir, 0, m, d); }

int st_model_open_any(const char *path, struct st_model *m, struct diag *d) { return open_model(path, 1, m, d); }

const struct st_tensor *st_model_find(const struct st_model *m, const char *name, const struct st_file **shard)
{
    for (size_t i = 0; i < m->nshards; i++) {
        const struct st_tensor *t = st_find(&m->shards[i], name);
        if (t) {
            if (shard)
                *shard = &m->shards[i];
            return t;
        }
    }
    return NULL;
}

double st_model_numel(const struct st_model *m)
{
    double total = 0;
    for (size_t i = 0; i < m->nshards; i++)
        for (size_t j = 0; j < m->shards[i].n; j++)
            total += (double)m->shards[i].tensors[j].numel;
    return total;
}

int st_model_config(const char *dir, char *origin, size_t size, struct hf_config *c, int *have, struct diag *d)
{
    snprintf(origin, size, "%s/config.json", dir);
    *have = 0;
    size_t len;
    int missing;
    char *text = contained_read_text(dir, "config.json", &len, &missing, d);
    if (!text)
        return missing ? FR_OK : d->code;
    int rc = hf_config_parse(text, len, origin, c, d);
    free(text);
    *have = rc == FR_OK;
    return rc;
}

/* Every tensor of every shard, for the matcher. */
struct layout_tensor *st_model_layout_tensors(const struct st_model *m, const struct st_tensor ***where, size_t *n)
{
    size_t cap = 0;
    for (size_t s = 0; s < m->nshards; s++)
        cap += m->shards[s].n;
    struct layout_tensor *t = calloc(cap ? cap : 1, sizeof *t);
    *where = calloc(cap ? cap : 1, sizeof **where);
    *n = 0;
    if (!t || !*where) {
        free(t);
        free(*where);
        *where = NULL;
        return NULL;
    }
    for (size_t s = 0; s < m->nshards; s++)
        for (size_t i = 0; i < m->shards[s].n; i++) {
            const struct st_tensor *x = &m->shards[s].tensors[i];
            t[*n] = (struct layout_tensor){x->name, x->ndim, {x->shape[0], x->ndim > 1 ? x->shape[1] : 0},
                                           st_dtype_floating(x->dtype)};
            (*where)[(*n)++] = x;
        }
    return t;
}
