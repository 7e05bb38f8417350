/* Command-line parsing into a struct; no I/O, so it is unit-tested. */
#ifndef FIDRUN_CLI_H
#define FIDRUN_CLI_H

#include <stddef.h>

#include "report/compare.h"
#include "config/config.h"
#include "util/diag.h"

#define CLI_MAX_OVERRIDES 64

enum cli_command { CMD_RUN, CMD_VALIDATE, CMD_HELP, CMD_VERSION };

struct cli {
    enum cli_command command;
    const char *help_page; /* CMD_HELP: the page asked for (NULL: cli_usage) */
    const char *config;
    const char *suites; /* --suite, comma-separated */
    const char *only;
    struct config_override overrides[CLI_MAX_OVERRIDES]; /* in command-line order; strings owned */
    size_t noverrides;
    int quiet, verbose;
    const char *progress;   /* --progress auto|live|log|off (NULL: auto) */
    int json;  /* validate */
    int ranks; /* validate: plan for this many ranks */
    const char *baseline;   /* --baseline FILE.h5: compare the run with it */
    int save_baseline;      /* --save-baseline: mark the results file as a baseline */
    const char *junit;      /* --junit FILE.xml: the checks as JUnit XML after the run */
    const char *html;       /* --html FILE.html: the HTML report after the run */
    const char *resume;     /* --resume DIR|auto: finish an interrupted run from its journal */
    const char *recover;    /* fidrun recover DIR: the journal folder turned into a results file */
    struct cmp_policy cmp;  /* --tolerance, --atol, --band */
    int argc;  /* the whole command line, for provenance */
    char **argv;
};

int cli_parse(int argc, char **argv, struct cli *c, struct diag *d);
void cli_free(struct cli *c);

extern const char cli_usage[], cli_run_usage[], cli_validate_usage[];

#endif
