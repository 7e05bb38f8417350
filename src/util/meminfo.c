#include "util/meminfo.h"

#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>

double memory_available_here(void)
{
    /* testing hook: a smaller machine than this one */
    const char *fake = getenv("FIDRUN_MEMORY_AVAILABLE_MIB");
    if (fake && *fake)
        return atof(fake) * 1048576.0;
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    double kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib * 1024.0;
}

double process_peak_rss_mib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0;
}
