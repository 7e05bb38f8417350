/* What a run measures, as text a later compare can hold another run to:
 * the seed, the model and profile, and for each suite it runs every value
 * its config sets (the YAML, the profile, --set; not where they came from),
 * one "key = value" line each. Keys that change only how a run is run, not
 * what it measures (task_timeout, timing repeats, check bounds, where and
 * how factors are exported), are left
 * out. Values left to their defaults are not listed: the same binary has
 * the same defaults. Pure. */
#ifndef FIDRUN_FINGERPRINT_H
#define FIDRUN_FINGERPRINT_H

#include <stddef.h>

#include "config/config.h"

/* malloc'd text, or NULL when out of memory. */
char *config_fingerprint(const struct run_config *cfg);

/* The lines of two fingerprints that differ, as "  KEY: A in the baseline,
 * B now" lines (malloc'd, "" when none; NULL when out of memory); *n their
 * count. */
char *fingerprint_differences(const char *base, const char *now, size_t *n);

#endif
