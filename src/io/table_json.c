#include "io/table_json.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "plugin/task.h"

static json_t *cell_json(const struct column *c, const void *row)
{
    const char *p = (const char *)row + c->offset;
    int32_t i;
    int64_t l;
    double v;
    json_t *j;
    switch (c->type) {
    case COL_STR:
        j = json_stringn(p, strnlen(p, c->size));
        break;
    case COL_I32:
        memcpy(&i, p, sizeof i);
        j = json_integer(i);
        break;
    case COL_I64:
        memcpy(&l, p, sizeof l);
        j = json_integer(l);
        break;
    default:
        memcpy(&v, p, sizeof v);
        j = isfinite(v) ? json_real(v) : NULL;
    }
    return j ? j : json_null();
}

json_t *table_row_json(const struct table_desc *desc, const void *row, int skip_head)
{
    json_t *o = json_object();
    for (size_t c = 0; o && c < desc->ncols; c++) {
        const char *name = desc->cols[c].name;
        if (skip_head && desc->cols[c].offset < sizeof(struct record_head))
            continue;
        json_object_set_new(o, name, cell_json(&desc->cols[c], row));
    }
    return o;
}
