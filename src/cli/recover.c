#include "cli/recover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run_args.h"
#include "run/driver.h"
#include "run/run_journal.h"
#include "util/text_file.h"

static const char usage[] =
    "usage: fidrun recover OUTPUT/NAME.journal\n"
    "\n"
    "Turns the journal an interrupted run left into a results file in OUTPUT, without\n"
    "running anything: every task the journal has, checked and summarized as a run would,\n"
    "the file marked incomplete (complete = 0) with the tasks missing listed\n"
    "(missing_tasks). The journal stays: fidrun CONFIG --resume OUTPUT still finishes the run.\n"
    "exit codes: 0 the journal had every task, 1 a check failed, 2 not a journal,\n"
    "            3 cannot write, 4 written, tasks missing\n";

int recover_main(int *argc, char ***argv)
{
    const char *dir = NULL;
    for (int i = 2; i < *argc; i++) {
        if (!strcmp((*argv)[i], "--help") || !strcmp((*argv)[i], "-h")) {
            fputs(usage, stdout);
            return FR_OK;
        }
        if ((*argv)[i][0] == '-' || dir) {
            fprintf(stderr, "fidrun recover: error: unexpected '%s' (see fidrun recover --help)\n", (*argv)[i]);
            return FR_USAGE;
        }
        dir = (*argv)[i];
    }
    if (!dir) {
        fprintf(stderr, "fidrun recover: error: which journal folder? (see fidrun recover --help)\n");
        return FR_USAGE;
    }
    struct diag d = {0};
    int sargc = 0;
    char **sargv = NULL, *text = NULL, config[1100];
    int rc = run_journal_command(dir, &sargc, &sargv, &text, &d);
    /* the config as it was run, beside the journal: the original may have changed since */
    snprintf(config, sizeof config, "%s/config.yaml", dir);
    if (!rc && text_file_write(config, text, &d))
        rc = d.code;
    /* the interrupted run's own command line gives the request */
    struct cli c;
    memset(&c, 0, sizeof c);
    if (!rc && cli_parse(sargc, sargv, &c, &d))
        rc = d.code;
    if (rc) {
        fprintf(stderr, "fidrun recover: error: %s\n", d.msg);
    } else {
        c.run.config = config;
        c.run.recover = dir;
        c.run.resume = NULL;
        rc = driver_run(argc, argv, &c.run);
    }
    cli_free(&c);
    run_journal_free_argv(sargc, sargv);
    free(text);
    return rc;
}
