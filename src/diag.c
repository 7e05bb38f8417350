#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int diag_fail(struct diag *d, int code, const char *fmt, ...)
{
    if (d) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->msg, sizeof d->msg, fmt, ap);
        va_end(ap);
        d->code = code;
    }
    return code;
}

void diag_prefix(struct diag *d, const char *fmt, ...)
{
    if (!d)
        return;
    char head[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    size_t h = strlen(head), old = strnlen(d->msg, sizeof d->msg - 1);
    if (h > sizeof d->msg - 1)
        h = sizeof d->msg - 1;
    if (old > sizeof d->msg - 1 - h)
        old = sizeof d->msg - 1 - h;
    memmove(d->msg + h, d->msg, old);
    memcpy(d->msg, head, h);
    d->msg[h + old] = '\0';
}

const char *fr_status_name(int code)
{
    switch (code) {
    case FR_OK: return "passed";
    case FR_CHECK_FAILED: return "check failed";
    case FR_USAGE: return "usage or config error";
    case FR_RUNTIME: return "runtime error";
    default: return "unknown status";
    }
}
