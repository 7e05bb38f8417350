/* fidrun: argument parsing, subcommand dispatch, exit codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/baseline.h"
#include "build_info.h"
#include "cli.h"
#include "config/config.h"
#include "gptq_cli.h"
#include "detect_size_cli.h"
#include "gptq_check_cli.h"
#include "recover_cli.h"
#include "report_cli.h"
#include "run/device.h"
#include "run/driver.h"
#include "core/backend.h"
#include "run/memory_plan.h"
#include "run/plan.h"
#include "suites/balance/study.h"
#include "study_cli.h"
#include "util/version.h"

/* The rank a launcher gave this process before MPI_Init, or -1. */
static int launcher_rank(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return atoi(v);
    }
    return -1;
}

static int launcher_size(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && atoi(v) > 0)
            return atoi(v);
    }
    return 1;
}

static int print_error(const struct diag *d)
{
    if (launcher_rank() <= 0)
        fprintf(stderr, "fidrun: error: %s\n", d->msg);
    return d->code;
}

static int validate(const struct cli *c)
{
    struct run_config cfg;
    struct plan plan;
    struct diag d = {0};
    int rc = plan_from_request(&c->run, c->ranks ? c->ranks : launcher_size(), &cfg, &plan, &d);
    if (rc) {
        plan_free(&plan);
        config_free(&cfg);
        return print_error(&d);
    }
    if (launcher_rank() <= 0) {
        if (c->json) {
            if (plan_print_json(&plan, &cfg, stdout))
                rc = FR_RUNTIME;
        } else {
            char inputs[2048];
            printf("%s: valid · name %s · %s · device %s · output %s\n", cfg.path, cfg.name,
                   config_inputs(&cfg, inputs, sizeof inputs), device_kind_name(cfg.device), cfg.output);
            for (size_t i = 0; i < cfg.nsuites; i++) {
                char line[512];
                cfg.suites[i].suite->describe(cfg.suites[i].cfg, line, sizeof line);
                printf("%s\n", line);
            }
            if (cfg.profile_path[0])
                printf("profile %s for %s:\n%s", cfg.profile_path, cfg.model, cfg.profile_scaled);
            if (c->run.verbose || cfg.profile_path[0])
                printf("resolved values (--set > the YAML > the profile > defaults; keys not listed are "
                       "defaults):\n%s", cfg.resolved);
            plan_print(&plan, stdout, c->run.verbose);
            memory_print_prediction(&cfg, &plan, stdout);
        }
    }
    plan_free(&plan);
    config_free(&cfg);
    return rc;
}

/* fidrun balance / fidrun pack: no MPI, no config. */
static int study(int argc, char **argv)
{
    struct study_request sc;
    struct diag d = {0};
    if (study_cli_parse(argc, argv, &sc, &d))
        return print_error(&d);
    if (launcher_rank() > 0)
        return FR_OK;
    if (sc.help) {
        fputs(sc.kind == STUDY_PACK ? study_pack_usage : study_balance_usage, stdout);
        return FR_OK;
    }
    return study_run(&sc);
}

int main(int argc, char **argv)
{
    struct cli c;
    struct diag d = {0};
    if (argc > 1 && (strcmp(argv[1], "balance") == 0 || strcmp(argv[1], "pack") == 0))
        return study(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "gptq") == 0)
        return launcher_rank() <= 0 ? gptq_main(argc - 1, argv + 1) : FR_OK;
    if (argc > 1 && strcmp(argv[1], "report") == 0)
        return launcher_rank() <= 0 ? report_main(argc - 1, argv + 1) : FR_OK;
    if (argc > 1 && strcmp(argv[1], "gptq-check") == 0)
        return launcher_rank() <= 0 ? gptq_check_main(argc - 1, argv + 1) : FR_OK;
    if (argc > 1 && strcmp(argv[1], "detect-size") == 0)
        return launcher_rank() <= 0 ? detect_size_main(argc - 1, argv + 1) : FR_OK;
    if (argc > 1 && strcmp(argv[1], "recover") == 0)
        return recover_main(&argc, &argv);
    if (argc > 1 && strcmp(argv[1], "compare") == 0)
        return launcher_rank() <= 0 ? baseline_main(argc - 1, argv + 1) : FR_OK;
    if (cli_parse(argc, argv, &c, &d)) {
        cli_free(&c);
        return print_error(&d);
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
        rc = validate(&c);
        break;
    case CMD_RUN:
        rc = driver_run(&argc, &argv, &c.run);
        break;
    }
    cli_free(&c);
    return rc;
}
