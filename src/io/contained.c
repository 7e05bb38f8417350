#include "io/contained.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The folder a file of dir may resolve into: dir itself, or for a snapshot
 * of the HuggingFace hub's cache (.../models--ORG--NAME/snapshots/HASH,
 * whose files are links into the repository's blobs/) that repository. */
static int containment_root(const char *dir, char *root, size_t size, struct diag *d)
{
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return diag_fail(d, FR_USAGE, "%s: cannot open the folder: %s", dir, strerror(errno));
    char *snap = strrchr(real, '/');
    if (snap && snap != real) {
        *snap = '\0';
        char *snapshots = strrchr(real, '/');
        *snap = '/';
        if (snapshots && strncmp(snapshots, "/snapshots/", 11) == 0) {
            *snapshots = '\0';
            const char *repo = strrchr(real, '/');
            if (!(repo && fnmatch("/models--*", repo, 0) == 0))
                *snapshots = '/';
        }
    }
    if (strlen(real) >= size)
        return diag_fail(d, FR_USAGE, "%s: path too long", dir);
    snprintf(root, size, "%s", real);
    return FR_OK;
}

static int inside(const char *path, const char *root)
{
    size_t n = strlen(root);
    return strncmp(path, root, n) == 0 && (path[n] == '/' || (n == 1 && root[0] == '/'));
}

/* Why path is outside: the link it is (or passes through) and its target. */
static int outside(const char *dir, const char *name, const char *path, const char *real, struct diag *d)
{
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n >= 0) {
        target[n] = '\0';
        return diag_fail(d, FR_USAGE, "%s: '%s' is a link to '%s', which resolves to %s, outside the folder", dir,
                         name, target, real);
    }
    return diag_fail(d, FR_USAGE, "%s: '%s' resolves to %s, outside the folder (a link on the way?)", dir, name,
                     real);
}

int contained_open(const char *dir, const char *name, int *fd, int *missing, struct diag *d)
{
    *fd = -1;
    if (missing)
        *missing = 0;
    char root[PATH_MAX], path[PATH_MAX + 256], real[PATH_MAX];
    if (containment_root(dir, root, sizeof root, d))
        return d->code;
    if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
        strlen(dir) + strlen(name) + 2 > sizeof path)
        return diag_fail(d, FR_USAGE, "%s: '%s' is not a file name inside the folder", dir, name);
    size_t dl = strlen(dir), nl = strlen(name);
    memcpy(path, dir, dl);
    path[dl] = '/';
    memcpy(path + dl + 1, name, nl + 1);
    if (!realpath(path, real)) {
        if (errno == ENOENT && missing) {
            struct stat ls;
            if (lstat(path, &ls) != 0) { /* absent, not a dangling link */
                *missing = 1;
                return FR_OK;
            }
        }
        return diag_fail(d, FR_USAGE, "%s: cannot open '%s': %s", dir, name, strerror(errno));
    }
    if (!inside(real, root))
        return outside(dir, name, path, real, d);
    /* the resolved path has no links left: O_NOFOLLOW refuses one swapped in
     * since; O_NONBLOCK keeps a FIFO from blocking the open */
    int f = open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (f < 0)
        return diag_fail(d, FR_USAGE, "%s: cannot open '%s': %s", dir, name, strerror(errno));
    struct stat st;
    char opened[PATH_MAX], proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", f);
    ssize_t n = readlink(proc, opened, sizeof opened - 1);
    if (n >= 0)
        opened[n] = '\0';
    int rc = FR_OK;
    if (fstat(f, &st) != 0)
        rc = diag_fail(d, FR_USAGE, "%s: cannot open '%s': %s", dir, name, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = diag_fail(d, FR_USAGE, "%s: '%s' is not a regular file (%s)", dir, name,
                       S_ISFIFO(st.st_mode)  ? "a FIFO"
                       : S_ISCHR(st.st_mode) ? "a character device"
                       : S_ISDIR(st.st_mode) ? "a folder"
                                             : "a special file");
    else if (n >= 0 && !inside(opened, root)) /* a folder on the way swapped for a link */
        rc = diag_fail(d, FR_USAGE, "%s: '%s' was opened as %s, outside the folder (changed while it was opened)",
                       dir, name, opened);
    else if (fcntl(f, F_SETFL, 0) != 0)
        rc = diag_fail(d, FR_USAGE, "%s: cannot open '%s': %s", dir, name, strerror(errno));
    if (rc) {
        close(f);
        return rc;
    }
    *fd = f;
    return FR_OK;
}

char *contained_read_text(const char *dir, const char *name, size_t *len, int *missing, struct diag *d)
{
    int fd;
    if (contained_open(dir, name, &fd, missing, d) || fd < 0)
        return NULL;
    struct stat st;
    char *text = NULL;
    if (fstat(fd, &st) == 0 && (unsigned long long)st.st_size <= CONTAINED_TEXT_MAX &&
        (text = malloc((size_t)st.st_size + 1))) {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        if (got == (size_t)st.st_size) {
            text[got] = '\0';
            *len = got;
        } else {
            free(text);
            text = NULL;
        }
    }
    close(fd);
    if (!text)
        diag_fail(d, FR_USAGE, "%s/%s: cannot be read (or is over %u MiB)", dir, name, CONTAINED_TEXT_MAX >> 20);
    return text;
}
