/* profile: NAME and model: NAME in a run config (see profile.h). */
#ifndef FIDRUN_CONFIG_PROFILE_H
#define FIDRUN_CONFIG_PROFILE_H

#include "config/config.h"
#include "util/yaml_tree.h"

/* When the tree has profile:, finds and reads the profile, scales it for
 * model:, and fills the keys the tree leaves out with the scaled workload
 * (located "profile PATH scaled for MODEL"). Call before the --set
 * overrides. Sets cfg->profile_path, profile_source and profile_scaled. */
int config_apply_profile(struct ynode **root, struct run_config *cfg, struct diag *d);

#endif
