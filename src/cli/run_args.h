/* Command-line parsing into a struct; no I/O, so it is unit-tested. */
#ifndef FIDRUN_CLI_H
#define FIDRUN_CLI_H

#include <stddef.h>

#include "run/run_request.h"
#include "util/diag.h"

enum cli_command { CMD_RUN, CMD_VALIDATE, CMD_HELP, CMD_VERSION };

/* A command line of fidrun run or fidrun validate: which, and the request
 * it makes (run/run_request.h). */
struct cli {
    enum cli_command command;
    const char *help_page; /* CMD_HELP: the page asked for (NULL: cli_usage) */
    int json;              /* validate: the plan as JSON */
    int ranks;             /* validate: plan for this many ranks */
    struct run_request run;
};

int cli_parse(int argc, char **argv, struct cli *c, struct diag *d);
void cli_free(struct cli *c);

extern const char cli_usage[], cli_run_usage[], cli_validate_usage[];

#endif
