#include "util/text_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *text_file_read(const char *path, size_t *len, int *missing, struct diag *d)
{
    *missing = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            *missing = 1;
        else
            diag_fail(d, FR_USAGE, "%s: cannot be opened: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    size_t got = 0;
    if (n >= 0 && (unsigned long)n <= TEXT_FILE_MAX && fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)n + 1)))
        got = fread(text, 1, (size_t)n, f);
    fclose(f);
    if (!text || got != (size_t)n) {
        free(text);
        diag_fail(d, FR_USAGE, "%s: cannot be read (or is over %u MiB)", path, TEXT_FILE_MAX >> 20);
        return NULL;
    }
    text[got] = 0;
    *len = got;
    return text;
}

int text_file_write(const char *path, const char *text, struct diag *d)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return diag_fail(d, FR_RUNTIME, "cannot write '%s': %s", path, strerror(errno));
    size_t len = strlen(text);
    int bad = fwrite(text, 1, len, f) != len;
    bad |= fclose(f) != 0;
    return bad ? diag_fail(d, FR_RUNTIME, "cannot write '%s'", path) : FR_OK;
}
