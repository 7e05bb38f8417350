#define _GNU_SOURCE
#include "run/affinity.h"

#include <sched.h>
#include <stdio.h>

const char *cpu_ranges_text(const int *cpus, size_t n, char *buf, size_t size)
{
    size_t len = 0;
    if (size)
        buf[0] = 0;
    for (size_t i = 0; i < n && len < size;) {
        size_t j = i;
        while (j + 1 < n && cpus[j + 1] == cpus[j] + 1)
            j++;
        int w = j > i ? snprintf(buf + len, size - len, "%s%d-%d", len ? "," : "", cpus[i], cpus[j])
                      : snprintf(buf + len, size - len, "%s%d", len ? "," : "", cpus[i]);
        len += w > 0 ? (size_t)w : 0;
        i = j + 1;
    }
    return buf;
}

const char *cpu_affinity_text(char *buf, size_t size)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) {
        snprintf(buf, size, "?");
        return buf;
    }
    int cpus[CPU_SETSIZE];
    size_t n = 0;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set))
            cpus[n++] = c;
    return cpu_ranges_text(cpus, n, buf, size);
}
