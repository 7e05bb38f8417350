/* The CPUs a process may run on (its binding), as a list of ranges. */
#ifndef FIDRUN_AFFINITY_H
#define FIDRUN_AFFINITY_H

#include <stddef.h>

/* "0-3,8,10-11" from sorted CPU numbers; "" for none. Pure. */
const char *cpu_ranges_text(const int *cpus, size_t n, char *buf, size_t size);

/* This process's CPU affinity as ranges, or "?" when it cannot be read. */
const char *cpu_affinity_text(char *buf, size_t size);

#endif
