#include "plugin/task.h"

#include "util/array.h"

#include <stdlib.h>

int task_list_push(struct task_list *l, const struct task *t)
{
    if (array_reserve((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items, 64))
        return -1;
    l->items[l->n] = *t;
    l->items[l->n].id = (int32_t)l->n;
    l->n++;
    return 0;
}

void task_list_free(struct task_list *l)
{
    free(l->items);
    *l = (struct task_list){0};
}
