#include "report/terminal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int output_reaches_terminal(FILE *out)
{
    int fd = fileno(out);
    if (fd < 0 || !isatty(fd))
        return 0;
    if (!getenv("OMPI_COMM_WORLD_SIZE"))
        return 1;
    char link[64], target[256];
    snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)getppid(), fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return 0;
    target[n] = 0;
    return strncmp(target, "/dev/pts/", 9) == 0 || strncmp(target, "/dev/tty", 8) == 0;
}
