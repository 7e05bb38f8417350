/* fidrun validate CONFIG.yaml: the config read, checked and planned as a
 * run would, the plan and the memory prediction printed; nothing runs. */
#include "cli/validate.h"

#include <stdio.h>

#include "cli/launcher.h"
#include "run/memory_plan.h"
#include "run/plan.h"

int validate_main(const struct cli *c)
{
    struct run_config cfg;
    struct plan plan;
    struct diag d = {0};
    int rc = plan_from_request(&c->run, c->ranks ? c->ranks : launcher_size(), &cfg, &plan, &d);
    if (rc) {
        plan_free(&plan);
        config_free(&cfg);
        return cli_print_error(&d);
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
                if (cfg.suites[i].suite->explain)
                    cfg.suites[i].suite->explain(cfg.suites[i].cfg, stdout, c->run.verbose);
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
