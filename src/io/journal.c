#include "io/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/array.h"

uint32_t crc32_update(uint32_t crc, const void *data, size_t n)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) { /* the reflected polynomial 0xEDB88320; filled once, the same every time */
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t record_crc(const struct journal_head *h, const void *row)
{
    uint32_t crc = crc32_update(0, h, offsetof(struct journal_head, crc));
    return crc32_update(crc, row, h->row_size);
}

size_t journal_encode(const struct task *t, const void *row, size_t row_size, unsigned char *out)
{
    struct journal_head h;
    memset(&h, 0, sizeof h); /* padding included: the CRC covers it */
    h.magic = JOURNAL_MAGIC;
    h.row_size = (uint32_t)row_size;
    h.suite = t->suite;
    h.table = t->table;
    h.task_id = t->id;
    snprintf(h.task, sizeof h.task, "%s", t->name);
    h.crc = record_crc(&h, row);
    memcpy(out, &h, sizeof h);
    memcpy(out + sizeof h, row, row_size);
    return sizeof h + row_size;
}

long journal_decode(const unsigned char *buf, size_t len, struct journal_head *head, const unsigned char **row)
{
    if (len < sizeof *head)
        return 0;
    memcpy(head, buf, sizeof *head);
    if (head->magic != JOURNAL_MAGIC || head->row_size > (1u << 20))
        return -1;
    if (len < sizeof *head + head->row_size)
        return 0;
    *row = buf + sizeof *head;
    if (record_crc(head, *row) != head->crc)
        return -1;
    head->task[sizeof head->task - 1] = 0;
    return (long)(sizeof *head + head->row_size);
}

int journal_open(struct journal *j, const char *path, struct diag *d)
{
    memset(j, 0, sizeof *j);
    j->fd = -1;
    snprintf(j->path, sizeof j->path, "%s", path);
    j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (j->fd < 0)
        return diag_fail(d, FR_RUNTIME, "cannot open the journal '%s': %s", path, strerror(errno));
    return FR_OK;
}

int journal_append(struct journal *j, const struct task *const *tasks, void *const *rows, const size_t *row_sizes,
                   size_t n, struct diag *d)
{
    size_t need = 0, len = 0;
    for (size_t i = 0; i < n; i++)
        need += sizeof(struct journal_head) + row_sizes[i];
    if (array_reserve((void **)&j->buf, &j->cap, need, 1, 4096))
        return diag_fail(d, FR_RUNTIME, "out of memory for the journal");
    for (size_t i = 0; i < n; i++)
        len += journal_encode(tasks[i], rows[i], row_sizes[i], j->buf + len);
    /* one write per batch: a crash leaves at most this batch torn */
    for (size_t off = 0; off < len;) {
        ssize_t w = write(j->fd, j->buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return diag_fail(d, FR_RUNTIME, "cannot write the journal '%s': %s", j->path,
                             w < 0 ? strerror(errno) : "no space written");
        off += (size_t)w;
    }
    if (fdatasync(j->fd) != 0)
        return diag_fail(d, FR_RUNTIME, "cannot flush the journal '%s' to the disk: %s", j->path, strerror(errno));
    return FR_OK;
}

void journal_close(struct journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    free(j->buf);
    j->fd = -1;
    j->buf = NULL;
}

int journal_read_file(const char *path,
                      int (*fn)(const struct journal_head *h, const unsigned char *row, void *arg), void *arg,
                      size_t *dropped, struct diag *d)
{
    *dropped = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return diag_fail(d, FR_RUNTIME, "cannot read the journal '%s': %s", path, strerror(errno));
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (array_reserve((void **)&buf, &cap, len + 65536, 1, 65536)) {
            fclose(f);
            free(buf);
            return diag_fail(d, FR_RUNTIME, "out of memory reading the journal '%s'", path);
        }
        size_t got = fread(buf + len, 1, 65536, f);
        len += got;
        if (got < 65536)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return diag_fail(d, FR_RUNTIME, "cannot read the journal '%s'", path);
    }
    size_t off = 0;
    int rc = FR_OK;
    while (off < len && !rc) {
        struct journal_head h;
        const unsigned char *row;
        long n = journal_decode(buf + off, len - off, &h, &row);
        if (n <= 0)
            break; /* a torn or damaged tail: everything before it stands */
        rc = fn(&h, row, arg);
        off += (size_t)n;
    }
    *dropped = len - off;
    free(buf);
    return rc;
}
