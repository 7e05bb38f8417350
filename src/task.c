#include "task.h"

#include <stdlib.h>

int task_list_push(struct task_list *l, const struct task *t)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct task *p = realloc(l->items, cap * sizeof *p);
        if (!p)
            return -1;
        l->items = p;
        l->cap = cap;
    }
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
