/* The journal: every finished task's record, appended by the rank that ran
 * it to its own file in the run's output folder, flushed to the disk per
 * task, so that a run that dies keeps what it finished (fidrun --resume,
 * fidrun recover). A record is a header (magic, sizes, suite, table, task
 * id and name, CRC-32 of all of it) and the row's bytes as the suite
 * filled them; a torn last write fails its CRC or length and is dropped. */
#ifndef FIDRUN_JOURNAL_H
#define FIDRUN_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/task.h"
#include "util/diag.h"

#define JOURNAL_MAGIC 0x4e524a46u /* "FJRN" */

struct journal_head {
    uint32_t magic;
    uint32_t row_size;
    int32_t suite, table, task_id;
    char task[TASK_NAME_MAX];
    uint32_t crc; /* CRC-32 of the header before this field and of the row */
};

/* CRC-32 (IEEE 802.3, as zlib's crc32), continuing from crc (0 to start). */
uint32_t crc32_update(uint32_t crc, const void *data, size_t n);

/* Pure: the bytes of one record (sizeof head + row_size) into out. */
size_t journal_encode(const struct task *t, const void *row, size_t row_size, unsigned char *out);

/* Pure: the record at buf[0..len). Returns its length (> 0), 0 when the
 * bytes end inside it (a torn last write), -1 when they are not a record
 * (bad magic or CRC). */
long journal_decode(const unsigned char *buf, size_t len, struct journal_head *head, const unsigned char **row);

/* A rank's journal file, opened for appending. */
struct journal {
    int fd;
    char path[1024];
    unsigned char *buf;
    size_t cap;
};

int journal_open(struct journal *j, const char *path, struct diag *d);
/* Appends the records of n tasks and waits for the disk (fdatasync). */
int journal_append(struct journal *j, const struct task *const *tasks, void *const *rows, const size_t *row_sizes,
                   size_t n, struct diag *d);
void journal_close(struct journal *j);

/* Every record of one file, in order, to fn (which returns 0 to go on).
 * *dropped counts the bytes after the last good record (a torn write). */
int journal_read_file(const char *path,
                      int (*fn)(const struct journal_head *h, const unsigned char *row, void *arg), void *arg,
                      size_t *dropped, struct diag *d);

#endif
