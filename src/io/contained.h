/* Files of a model folder, opened only where they really are inside it.
 * A shard, config.json or index that is a link (or a path through one)
 * resolving outside the folder is refused (FR_USAGE, naming the link and
 * its target); so is anything that is not a regular file (a FIFO,
 * /dev/zero). The path is resolved first and opened with O_NOFOLLOW, and
 * the opened file's own path is checked again, so a link swapped in
 * between is caught too. In the HuggingFace hub's cache, a snapshot
 * (models--ORG--NAME/snapshots/HASH) may link into its repository's
 * blobs/: the repository is the folder there. */
#ifndef FIDRUN_CONTAINED_H
#define FIDRUN_CONTAINED_H

#include <stddef.h>

#include "util/diag.h"

#define CONTAINED_TEXT_MAX (64u << 20)

/* dir/name (name: a file name, no '/') opened read-only into *fd. With
 * missing non-NULL, a file that is not there is *missing = 1, FR_OK,
 * *fd = -1; without it, an error. */
int contained_open(const char *dir, const char *name, int *fd, int *missing, struct diag *d);

/* The whole of dir/name as a NUL-terminated string (*len bytes), or NULL
 * (with *missing = 1 and no error when it is not there). */
char *contained_read_text(const char *dir, const char *name, size_t *len, int *missing, struct diag *d);

#endif
