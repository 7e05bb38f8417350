#include "util/cuda_visible.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

int cuda_visible_host_index(const char *visible, int ordinal)
{
    if (!visible || !*visible)
        return ordinal;
    const char *p = visible;
    for (int i = 0; i < ordinal && p; i++) {
        p = strchr(p, ',');
        if (p)
            p++;
    }
    if (!p)
        return -1;
    char *end;
    long v = strtol(p, &end, 10);
    return end != p && (*end == ',' || *end == '\0') && v >= 0 && v <= INT_MAX ? (int)v : -1;
}
