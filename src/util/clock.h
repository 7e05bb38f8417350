#ifndef FIDRUN_CLOCK_H
#define FIDRUN_CLOCK_H

#include <stddef.h>
#include <time.h>

/* Monotonic seconds, for measuring intervals. */
static inline double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Median of n >= 1 timings (sorts t). */
double median_seconds(double *t, int n);

/* "850ms", "4.2s", "2m01s", "1h03m" */
const char *format_duration(double seconds, char *buf, size_t size);

/* Local time as ISO 8601 with offset ("2026-11-27T07:15:00+0000"). */
const char *format_iso_time(time_t t, char *buf, size_t size);

#endif
