/* fidrun: the command is dispatched to its own file; the run and
 * validate commands share one command line (cli.h). */
#include <stdio.h>
#include <string.h>

#include "cli/balance_pack.h"
#include "cli/compare.h"
#include "cli/detect_size.h"
#include "cli/gptq.h"
#include "cli/gptq_check.h"
#include "cli/gptq_model.h"
#include "cli/history.h"
#include "cli/launcher.h"
#include "cli/recover.h"
#include "cli/report.h"
#include "cli/run_args.h"
#include "cli/validate.h"
#include "cli/version.h"
#include "run/driver.h"

/* The commands that need no MPI: rank 0 does them, other ranks exit 0. */
static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
} rank0_commands[] = {
    {"gptq", gptq_main},
    {"report", report_main},
    {"gptq-check", gptq_check_main},
    {"detect-size", detect_size_main},
    {"compare", compare_main},
    {"history", history_main},
};

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "balance") == 0 || strcmp(argv[1], "pack") == 0))
        return balance_pack_main(argc - 1, argv + 1);
    /* a whole checkpoint runs on every rank, as a config does */
    for (int i = 2; argc > 1 && !strcmp(argv[1], "gptq") && i < argc; i++)
        if (!strcmp(argv[i], "--model"))
            return gptq_model_main(&argc, &argv);
    for (size_t i = 0; argc > 1 && i < sizeof rank0_commands / sizeof rank0_commands[0]; i++)
        if (strcmp(argv[1], rank0_commands[i].name) == 0)
            return launcher_rank() <= 0 ? rank0_commands[i].main(argc - 1, argv + 1) : FR_OK;
    if (argc > 1 && strcmp(argv[1], "recover") == 0)
        return recover_main(&argc, &argv);
    struct cli c;
    struct diag d = {0};
    if (cli_parse(argc, argv, &c, &d)) {
        cli_free(&c);
        return cli_print_error(&d);
    }
    int rc = FR_OK;
    switch (c.command) {
    case CMD_HELP:
        if (launcher_rank() <= 0)
            fputs(c.help_page ? c.help_page : cli_usage, stdout);
        break;
    case CMD_VERSION:
        if (launcher_rank() <= 0)
            build_info_print(stdout);
        break;
    case CMD_VALIDATE:
        rc = validate_main(&c);
        break;
    case CMD_RUN:
        rc = driver_run(&argc, &argv, &c.run);
        break;
    }
    cli_free(&c);
    return rc;
}
