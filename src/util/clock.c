#include "util/clock.h"

#include <stdlib.h>

#include <math.h>
#include <stdio.h>

const char *format_duration(double s, char *buf, size_t size)
{
    if (!(s >= 0) || isinf(s))
        snprintf(buf, size, "?");
    else if (s < 1)
        snprintf(buf, size, "%.0fms", s * 1e3);
    else if (s < 60)
        snprintf(buf, size, "%.1fs", s);
    else if (s < 3600)
        snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    return buf;
}

const char *format_iso_time(time_t t, char *buf, size_t size)
{
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm);
    return buf;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double median_seconds(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, by_double);
    return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}
