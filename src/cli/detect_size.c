/* fidrun detect-size: the size of models by name, or counted from the
 * safetensors headers of a local model folder. No MPI. */
#include "cli/detect_size.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/model_size.h"
#include "io/contained.h"
#include "io/safetensors.h"
#include "io/st_model.h"
#include "util/diag.h"

static const char usage[] =
    "usage: fidrun detect-size NAME|FOLDER [...] [--json]\n"
    "\n"
    "The parameter count in billions and the tier (small <= 10, medium <= 20, large <= 50,\n"
    "xlarge above) of each model: read from its name (Qwen2.5-1.5B, llama-3.1-8b,\n"
    "Mixtral-8x7B, SmolLM-135M, ...; a family's usual size, marked guessed, when the name\n"
    "has none). For a local folder with .safetensors files the parameters are counted\n"
    "from their headers instead, and the name's figure is shown beside the count.\n"
    "exit codes: 0 all sizes known, 1 some unknown, 2 usage error or unreadable file\n";

struct sized {
    const char *arg;
    struct model_size by_name;
    double counted; /* billions; < 0 when not a folder */
    int files;
};

/* Sum of every tensor's element count: over the model a HuggingFace folder
 * describes (model.safetensors, or the shards its index names, validated),
 * else over the folder's .safetensors files. */
static int count_folder(const char *dir, double *billions, int *files, struct diag *d)
{
    char probe[4096];
    struct stat st;
    snprintf(probe, sizeof probe, "%s/model.safetensors.index.json", dir);
    int hf = lstat(probe, &st) == 0; /* a link too: st_model_open says where it leads */
    snprintf(probe, sizeof probe, "%s/model.safetensors", dir);
    hf |= lstat(probe, &st) == 0;
    if (hf) {
        struct st_model m;
        int rc = st_model_open(dir, &m, d);
        if (!rc) {
            *billions = st_model_numel(&m) / 1e9;
            *files = (int)m.nshards;
            st_model_close(&m);
        }
        return rc;
    }
    DIR *dp = opendir(dir);
    if (!dp)
        return diag_fail(d, FR_USAGE, "%s: cannot read the folder", dir);
    double total = 0;
    int n = 0, rc = FR_OK;
    struct dirent *e;
    while (!rc && (e = readdir(dp))) {
        size_t len = strlen(e->d_name);
        if (len < 12 || strcmp(e->d_name + len - 12, ".safetensors") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct st_file f;
        int fd;
        if ((rc = contained_open(dir, e->d_name, &fd, NULL, d)) || (rc = st_open_fd(path, fd, &f, d)))
            break;
        for (size_t i = 0; i < f.n; i++)
            total += (double)f.tensors[i].numel;
        st_close(&f);
        n++;
    }
    closedir(dp);
    *billions = total / 1e9;
    *files = n;
    return rc;
}

static int is_folder(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void print_text(const struct sized *s)
{
    const struct model_size *m = &s->by_name;
    char name_part[128] = "the name gives no size";
    if (m->source == SIZE_FROM_NAME)
        snprintf(name_part, sizeof name_part, "%g B from the name", m->billions);
    else if (m->source == SIZE_GUESSED)
        snprintf(name_part, sizeof name_part, "%g B guessed from the family '%s'", m->billions, m->family);
    else if (m->source == SIZE_UPPER_BOUND)
        snprintf(name_part, sizeof name_part, "at most %g B from the name (experts x size; shared attention and "
                                              "embeddings make it less)", m->billions);
    if (s->counted > 0) {
        printf("%s: %.3f B counted in %d safetensors file%s · %s · tier %s\n", s->arg, s->counted, s->files,
               s->files == 1 ? "" : "s", name_part, size_tier_name(size_tier_of(s->counted)));
        return;
    }
    printf("%s: %s · tier %s\n", s->arg, name_part, size_tier_name(size_tier_of(m->billions)));
}

static json_t *as_json(const struct sized *s)
{
    const struct model_size *m = &s->by_name;
    double b = s->counted > 0 ? s->counted : m->billions;
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(s->arg));
    json_object_set_new(o, "billions", b > 0 ? json_real(b) : json_null());
    json_object_set_new(o, "source", json_string(s->counted > 0 ? size_source_name(SIZE_COUNTED)
                                                                : size_source_name(m->source)));
    json_object_set_new(o, "tier", json_string(size_tier_name(size_tier_of(b))));
    json_object_set_new(o, "name_billions", m->billions > 0 ? json_real(m->billions) : json_null());
    json_object_set_new(o, "guessed", json_boolean(s->counted <= 0 && m->source == SIZE_GUESSED));
    json_object_set_new(o, "upper_bound", json_boolean(s->counted <= 0 && m->source == SIZE_UPPER_BOUND));
    if (m->family[0])
        json_object_set_new(o, "family", json_string(m->family));
    if (s->counted > 0)
        json_object_set_new(o, "files", json_integer(s->files));
    return o;
}

int detect_size_main(int argc, char **argv)
{
    int json = 0, n = 0, unknown = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return FR_OK;
        }
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "fidrun: error: detect-size: unknown option '%s' (see fidrun detect-size --help)\n",
                    argv[i]);
            return FR_USAGE;
        } else
            n++;
    }
    if (!n) {
        fprintf(stderr, "fidrun: error: detect-size needs a model name or folder (see fidrun detect-size --help)\n");
        return FR_USAGE;
    }
    json_t *all = json ? json_array() : NULL;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1])
            continue;
        struct sized s = {argv[i], model_size_from_name(argv[i]), -1, 0};
        if (is_folder(argv[i])) {
            struct diag d = {0};
            if (count_folder(argv[i], &s.counted, &s.files, &d)) {
                fprintf(stderr, "fidrun: error: %s\n", d.msg);
                json_decref(all);
                return FR_USAGE;
            }
        }
        unknown += !(s.counted > 0) && !(s.by_name.billions > 0);
        if (json)
            json_array_append_new(all, as_json(&s));
        else
            print_text(&s);
    }
    if (json) {
        json_dumpf(all, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(all);
    }
    return unknown ? FR_CHECK_FAILED : FR_OK;
}
