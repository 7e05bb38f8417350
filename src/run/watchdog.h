/* task_timeout: a thread that watches the task this rank is running and,
 * when it runs past its limit (a hung solver, a stuck GPU), reports it by
 * name and ends the job instead of letting every rank wait forever. */
#ifndef FIDRUN_WATCHDOG_H
#define FIDRUN_WATCHDOG_H

/* on_timeout gets the message ("task T of suite S has run for ...") and
 * must not return (it ends the job). Returns 0, or -1 when no thread. */
int watchdog_start(void (*on_timeout)(const char *message));

/* The task starting now may take seconds (<= 0: no limit). */
void watchdog_arm(double seconds, const char *suite, const char *task, int more);

void watchdog_disarm(void);
void watchdog_stop(void);

#endif
