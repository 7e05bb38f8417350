/* The run configuration: YAML file + command-line overrides + defaults,
 * validated against the schema. Errors name file:line:col and key path. */
#ifndef FIDRUN_CONFIG_H
#define FIDRUN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/balance/partition.h"
#include "plugin/suite.h"
#include "util/diag.h"
#include "util/yaml_tree.h"

#define CONFIG_MAX_BYTES (1u << 20)
#define CONFIG_MAX_SUITES 8

enum device_kind { DEVICE_AUTO, DEVICE_CPU, DEVICE_CUDA };

struct suite_slot {
    const struct suite *suite;
    void *cfg;
    double task_timeout; /* suites.<name>.task_timeout: seconds a task may take, 0 for no limit */
};

/* "key.path=value" and the label errors show for it ("--set a.b=1"). */
struct config_override {
    const char *assignment;
    const char *label;
};

struct run_config {
    char path[512];
    char *text;      /* the file as read, for provenance */
    char *overrides; /* the overrides, one per line, for provenance */
    char name[64];
    int64_t seed;
    int device;
    int balance;
    char output[512];
    int64_t threads;
    double heartbeat_timeout; /* seconds a rank may be silent before the job ends (0: not watched) */
    struct suite_slot suites[CONFIG_MAX_SUITES];
    size_t nsuites;
    char profile[128];         /* profile: as written */
    char model[256];           /* model: the model a profile scales for */
    char profile_path[512];    /* the profile file read */
    char profile_source[1024]; /* where the profile's values say they come from */
    char *profile_scaled;      /* the scaled workload, "key = value  (source)" lines */
    char *resolved;            /* every value set, "key.path = value  (source)" lines; others are defaults */
};

int config_load(const char *path, const struct config_override *ov, size_t nov, struct run_config *cfg,
                struct diag *d);

/* The same from text already in memory (a results file's config_text);
 * path names it in messages and locates its profiles. */
int config_load_text(const char *path, const char *text, const struct config_override *ov, size_t nov,
                     struct run_config *cfg, struct diag *d);

/* Keeps only the suites named in the comma-separated list. */
int config_select_suites(struct run_config *cfg, const char *list, struct diag *d);

void config_free(struct run_config *cfg);

/* How long a rank may go without a heartbeat: the smallest of
 * heartbeat_timeout and the suites' task_timeout, among those set (> 0);
 * 0 when none is. */
double config_silence_limit(const struct run_config *cfg);

/* Where the run's numbers come from, each suite's answer once, joined by
 * " · ": "synthetic weights (seed 1234)", "checkpoint DIR", ... */
const char *config_inputs(const struct run_config *cfg, char *buf, size_t size);

const char *device_kind_name(int device);

#endif
