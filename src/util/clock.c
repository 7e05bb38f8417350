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

static double sorted_quantile(const double *t, int n, double q)
{
    double pos = q * (n - 1);
    int lo = (int)pos;
    return lo + 1 < n ? t[lo] + (pos - lo) * (t[lo + 1] - t[lo]) : t[n - 1];
}

void quartile_seconds(double *t, int n, double *q1, double *median, double *q3)
{
    qsort(t, (size_t)n, sizeof *t, by_double);
    *median = sorted_quantile(t, n, 0.5);
    *q1 = n >= QUARTILE_MIN_REPEATS ? sorted_quantile(t, n, 0.25) : NAN;
    *q3 = n >= QUARTILE_MIN_REPEATS ? sorted_quantile(t, n, 0.75) : NAN;
}

double timed_section_end(double t0)
{
    static double slowdown = -1;
    if (slowdown < 0) {
        const char *f = getenv("FIDRUN_INJECT_SLOWDOWN");
        slowdown = f && *f ? atof(f) : 0;
        if (!(slowdown > 0 && slowdown < 100))
            slowdown = 0;
    }
    double elapsed = now_seconds() - t0;
    if (slowdown > 0) {
        double until = t0 + (1 + slowdown) * elapsed, nap = until - now_seconds() - 1e-3;
        if (nap > 0) { /* most of a long wait asleep; the last millisecond (all of a short one) by the clock */
            struct timespec ts = {(time_t)nap, (long)((nap - (double)(time_t)nap) * 1e9)};
            nanosleep(&ts, NULL);
        }
        while (now_seconds() < until)
            ;
        elapsed = now_seconds() - t0;
    }
    return elapsed;
}
