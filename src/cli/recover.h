/* fidrun recover OUTPUT/NAME.journal: an interrupted run's journal turned
 * into a results file (in OUTPUT), marked incomplete and listing the tasks
 * missing, without running any task. */
#ifndef FIDRUN_RECOVER_CLI_H
#define FIDRUN_RECOVER_CLI_H

int recover_main(int *argc, char ***argv);

#endif
