/* What a run, or a validation, is asked to do: the config and what the
 * command line adds to it. The run layer (plan, driver, journal) takes
 * this, not the command line's own struct, so anything that can fill it
 * (the command line, fidrun recover, a test) can start a run. */
#ifndef FIDRUN_RUN_REQUEST_H
#define FIDRUN_RUN_REQUEST_H

#include <stddef.h>

#include "config/config.h"
#include "report/compare.h"

#define RUN_MAX_OVERRIDES 64

struct run_request {
    const char *config;      /* the YAML file, or with config_text the name it goes by in messages */
    const char *config_text; /* the config itself (fidrun gptq --model builds one), or NULL to read config */
    const char *suites; /* --suite, comma-separated (NULL: every configured one) */
    const char *only;   /* --only PATTERN */
    struct config_override overrides[RUN_MAX_OVERRIDES]; /* in command-line order; strings owned */
    size_t noverrides;
    int quiet, verbose;
    const char *progress;  /* --progress auto|live|log|off (NULL: auto) */
    const char *baseline;  /* --baseline FILE.h5: compare the run with it */
    int save_baseline;     /* --save-baseline: mark the results file as a baseline */
    const char *junit;     /* --junit FILE.xml: the checks as JUnit XML after the run */
    const char *html;      /* --html FILE.html: the HTML report after the run */
    const char *resume;    /* --resume DIR|auto: finish an interrupted run from its journal */
    int fresh;             /* --fresh: set an earlier run's journal aside (renamed) and start over */
    const char *recover;   /* fidrun recover DIR: the journal folder turned into a results file */
    struct cmp_policy cmp; /* --tolerance, --atol, --band */
    int argc;              /* the whole command line, for provenance */
    char **argv;
};

#endif
