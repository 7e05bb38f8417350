#include "util/diag.h"

#include <stdarg.h>
#include <stdio.h>

int diag_fail(struct diag *d, int code, const char *fmt, ...)
{
    if (d) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->msg, sizeof d->msg, fmt, ap);
        va_end(ap);
        d->code = code;
        d->relayed = 0;
    }
    return code;
}
