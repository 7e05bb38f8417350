/* Whether what a rank prints reaches a person's terminal. */
#ifndef FIDRUN_TERMINAL_H
#define FIDRUN_TERMINAL_H

#include <stdio.h>

/* Open MPI gives each rank a pseudo-terminal for its output and forwards
 * it, so a rank's isatty() is true even when mpirun writes to a file or a
 * pipe; under Open MPI the answer is whether the launcher's own output (the
 * parent process's) is a terminal. */
int output_reaches_terminal(FILE *out);

#endif
