/* What the launcher (mpirun, srun) tells a process before MPI_Init, from
 * its environment: the commands that need no MPI act on rank 0 only, and
 * print an error once. */
#ifndef FIDRUN_LAUNCHER_H
#define FIDRUN_LAUNCHER_H

#include <stdio.h>

#include "util/diag.h"

/* This process's rank, or -1 outside a launcher. */
int launcher_rank(void);
/* The job's size (1 outside a launcher). */
int launcher_size(void);
/* d's message on rank 0 (or outside a launcher) as "fidrun: error: ...";
 * returns its code. */
int cli_print_error(const struct diag *d);

#endif
