/* Status codes and error messages shared by every layer.
 * Library code fills a struct diag and returns its code; only main() exits. */
#ifndef FIDRUN_DIAG_H
#define FIDRUN_DIAG_H

enum fr_status {
    FR_OK = 0,            /* all checks passed */
    FR_CHECK_FAILED = 1,  /* a fidelity check, regression or bound failed */
    FR_USAGE = 2,         /* usage or config error */
    FR_RUNTIME = 3,       /* I/O, MPI, out of memory, numerical library failure */
    FR_INCOMPLETE = 4,    /* interrupted (SIGTERM, SIGINT) or recovered with tasks missing */
};

struct diag {
    int code;
    char msg[2048];
    int relayed; /* msg is another rank's error, passed on (and naming that rank): that rank reports it */
};

/* Records the message (printf-style) and returns code, so callers can write
 * `return diag_fail(d, FR_USAGE, "...")`. */
int diag_fail(struct diag *d, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
