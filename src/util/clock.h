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

/* The quartiles of n >= 1 timings (sorts t; linear interpolation), which a
 * baseline compare judges a time's change against. Below
 * QUARTILE_MIN_REPEATS the first and third are NaN: so few repeats say
 * nothing about their spread, and the compare judges such rows together. */
#define QUARTILE_MIN_REPEATS 5
void quartile_seconds(double *t, int n, double *q1, double *median, double *q3);

/* Seconds since t0, for a timed section. Test hook: with
 * FIDRUN_INJECT_SLOWDOWN=F (a fraction) the section first sleeps F times
 * what it took, so every timing is (1 + F) times longer: how the tests make
 * a real slow-down for fidrun compare to find. */
double timed_section_end(double t0);

/* "850ms", "4.2s", "2m01s", "1h03m" */
const char *format_duration(double seconds, char *buf, size_t size);

/* Local time as ISO 8601 with offset ("2026-11-27T07:15:00+0000"). */
const char *format_iso_time(time_t t, char *buf, size_t size);

#endif
