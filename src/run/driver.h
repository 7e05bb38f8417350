/* The one driver every suite shares: config -> plan -> run -> gather ->
 * check -> write. Returns the process exit code. */
#ifndef FIDRUN_DRIVER_H
#define FIDRUN_DRIVER_H

#include "run/run_request.h"

int driver_run(int *argc, char ***argv, const struct run_request *c);

#endif
