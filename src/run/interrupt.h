/* SIGTERM and SIGINT (Slurm's warning before the time limit, Ctrl-C):
 * remembered, so the ranks stop taking tasks and the run ends with what it
 * finished instead of dying mid-write. A second signal ends the process at
 * once. */
#ifndef FIDRUN_INTERRUPT_H
#define FIDRUN_INTERRUPT_H

/* rank: named in the note printed when a signal arrives. */
void interrupt_install(int rank);

/* The signal received (SIGTERM, SIGINT), or 0. */
int interrupt_signal(void);

#endif
