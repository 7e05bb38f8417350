/* Helpers shared by the cmocka tests. */
#ifndef FIDRUN_TESTUTIL_H
#define FIDRUN_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* Writes text to a fresh temporary file named after `name` and returns its
 * path (static buffer, valid until the next call). */
static inline const char *write_temp(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/fidrun-test-%ld-%s", (long)getpid(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(text, 1, strlen(text), f);
    fclose(f);
    return path;
}

#define assert_contains(haystack, needle)                                                            \
    do {                                                                                             \
        if (!strstr((haystack), (needle)))                                                           \
            fail_msg("expected \"%s\" in: %s", (needle), (haystack));                                \
    } while (0)

#endif
