#include "suites/balance/plan_file.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"

int plan_open(struct plan_file *p, const char *path, int pack, struct diag *d)
{
    size_t len = strlen(path);
    *p = (struct plan_file){.path = path, .pack = pack, .json = len > 5 && strcmp(path + len - 5, ".json") == 0};
    if (!(p->f = fopen(path, "w")))
        return diag_fail(d, FR_RUNTIME, "cannot write the plan to '%s': %s", path, strerror(errno));
    if (p->json)
        fputs("[", p->f);
    else
        fprintf(p->f, "algorithm,ranks,item,line,label,%s\n", pack ? "length,row,rank" : "cost,rank");
    return FR_OK;
}

void plan_add(struct plan_file *p, const char *algorithm, int32_t ranks, size_t item, long line, const char *label,
              double value, int64_t row, int32_t rank)
{
    if (p->json) {
        json_t *o = json_pack("{s:s, s:i, s:I, s:o, s:o}", "algorithm", algorithm, "ranks", (int)ranks, "item",
                              (json_int_t)item, "line", line ? json_integer(line) : json_null(), "label",
                              label ? json_string(label) : json_null());
        if (p->pack) {
            json_object_set_new(o, "length", json_integer((json_int_t)value));
            json_object_set_new(o, "row", json_integer(row));
        } else
            json_object_set_new(o, "cost", json_real(value));
        json_object_set_new(o, "rank", json_integer(rank));
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        fprintf(p->f, "%s\n%s", p->rows++ ? "," : "", s ? s : "{}");
        free(s);
        json_decref(o);
        return;
    }
    csv_write_field(p->f, algorithm);
    fprintf(p->f, ",%d,%zu,", (int)ranks, item);
    if (line)
        fprintf(p->f, "%ld", line);
    fputc(',', p->f);
    if (label)
        csv_write_field(p->f, label);
    if (p->pack)
        fprintf(p->f, ",%.0f,%lld,%d\n", value, (long long)row, (int)rank);
    else
        fprintf(p->f, ",%.17g,%d\n", value, (int)rank);
    p->rows++;
}

int plan_close(struct plan_file *p, struct diag *d)
{
    if (p->json)
        fputs("\n]\n", p->f);
    int bad = ferror(p->f);
    bad |= fclose(p->f) != 0;
    p->f = NULL;
    return bad ? diag_fail(d, FR_RUNTIME, "cannot write the plan to '%s': %s", p->path, strerror(errno)) : FR_OK;
}
