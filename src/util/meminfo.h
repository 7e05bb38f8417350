/* How much memory this machine has free for a new process. */
#ifndef FIDRUN_MEMINFO_H
#define FIDRUN_MEMINFO_H

/* This machine's MemAvailable from /proc/meminfo, in bytes; 0 when unknown.
 * FIDRUN_MEMORY_AVAILABLE_MIB (a test hook) stands in for it. */
double memory_available_here(void);

/* This process's peak resident memory so far, in MiB (getrusage's ru_maxrss). */
double process_peak_rss_mib(void);

#endif
