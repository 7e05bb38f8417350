#include "io/results.h"

#include <errno.h>
#include <sys/statvfs.h>
#include <hdf5.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct results_file {
    hid_t file;
    char tmp[PATH_MAX + 64];
    char base[PATH_MAX]; /* final path without ".h5" */
};

static void quiet_hdf5(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static int mkdir_p(const char *dir, struct diag *d)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return diag_fail(d, FR_RUNTIME, "cannot create output folder '%s': %s", buf, strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return diag_fail(d, FR_RUNTIME, "output folder '%s' is not a folder", dir);
    return FR_OK;
}

const char *results_hdf5_version(char *buf, size_t size)
{
    unsigned major = 0, minor = 0, release = 0;
    H5get_libversion(&major, &minor, &release);
    snprintf(buf, size, "%u.%u.%u", major, minor, release);
    return buf;
}

int results_check_dir(const char *dir, struct diag *d)
{
    if (mkdir_p(dir, d))
        return d->code;
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s/.fidrun-write-test-%ld", dir, (long)getpid());
    FILE *f = fopen(probe, "w");
    if (!f)
        return diag_fail(d, FR_RUNTIME, "output folder '%s' is not writable: %s", dir, strerror(errno));
    fclose(f);
    unlink(probe);
    return FR_OK;
}

int results_check_space(const char *dir, double bytes, struct diag *d)
{
    struct statvfs st;
    if (statvfs(dir, &st) != 0)
        return FR_OK; /* cannot tell: the writes will say */
    double free_bytes = (double)st.f_bavail * (double)st.f_frsize;
    if (free_bytes >= bytes)
        return FR_OK;
    return diag_fail(d, FR_RUNTIME, "output folder '%s' has %.0f KiB free, and this run's journal and results "
                                    "need about %.0f KiB: free some space or choose another folder (--out)",
                     dir, free_bytes / 1024, bytes / 1024);
}

int results_create(const char *dir, const char *name, time_t start, struct results_file **out, struct diag *d)
{
    quiet_hdf5();
    if (mkdir_p(dir, d))
        return d->code;
    struct results_file *rf = calloc(1, sizeof *rf);
    if (!rf)
        return diag_fail(d, FR_RUNTIME, "out of memory");
    struct tm tm;
    char stamp[32];
    localtime_r(&start, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(rf->base, sizeof rf->base, "%s/%s-%s", dir, name, stamp);
    snprintf(rf->tmp, sizeof rf->tmp, "%s.h5.%ld.tmp", rf->base, (long)getpid());
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    /* the 1.8 file format or later: its object headers and indexes carry
     * checksums, so a damaged file is an error on reading, not a crash */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    rf->file = H5Fcreate(rf->tmp, H5F_ACC_EXCL, fcpl, fapl);
    H5Pclose(fapl);
    H5Pclose(fcpl);
    if (rf->file < 0) {
        /* HDF5 says little: the folder's free space is the usual cause worth naming */
        struct statvfs st;
        char why[96] = "";
        if (statvfs(dir, &st) == 0 && (double)st.f_bavail * (double)st.f_frsize < 65536)
            snprintf(why, sizeof why, ": the file system is full (%.0f KiB free)",
                     (double)st.f_bavail * (double)st.f_frsize / 1024);
        int rc = diag_fail(d, FR_RUNTIME, "cannot create results file '%s'%s", rf->tmp, why);
        unlink(rf->tmp); /* whatever HDF5 left of it */
        free(rf);
        return rc;
    }
    *out = rf;
    return FR_OK;
}

static hid_t open_object(struct results_file *rf, const char *object)
{
    if (strcmp(object, "/") == 0)
        return H5Gopen2(rf->file, "/", H5P_DEFAULT);
    if (H5Lexists(rf->file, object, H5P_DEFAULT) > 0)
        return H5Oopen(rf->file, object, H5P_DEFAULT);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t g = H5Gcreate2(rf->file, object, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
    return g;
}

static int write_attr(struct results_file *rf, const char *object, const char *key, hid_t type, const void *value,
                      struct diag *d)
{
    hid_t obj = open_object(rf, object);
    if (obj < 0)
        return diag_fail(d, FR_RUNTIME, "%s: cannot open %s", rf->tmp, object);
    if (H5Aexists(obj, key) > 0)
        H5Adelete(obj, key);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, key, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a >= 0 ? H5Awrite(a, type, value) : -1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(space);
    H5Oclose(obj);
    if (st < 0)
        return diag_fail(d, FR_RUNTIME, "%s: cannot write attribute %s of %s", rf->tmp, key, object);
    return FR_OK;
}

static hid_t vlen_utf8(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

int results_attr_string(struct results_file *rf, const char *object, const char *key, const char *value,
                        struct diag *d)
{
    hid_t t = vlen_utf8();
    const char *v = value ? value : "";
    int rc = write_attr(rf, object, key, t, &v, d);
    H5Tclose(t);
    return rc;
}

int results_attr_double(struct results_file *rf, const char *object, const char *key, double value,
                        struct diag *d)
{
    return write_attr(rf, object, key, H5T_NATIVE_DOUBLE, &value, d);
}

int results_attr_int(struct results_file *rf, const char *object, const char *key, int64_t value,
                     struct diag *d)
{
    return write_attr(rf, object, key, H5T_NATIVE_INT64, &value, d);
}

/* The in-memory compound type of a row. */
static hid_t row_type(const struct table_desc *desc)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, desc->row_size);
    for (size_t i = 0; i < desc->ncols; i++) {
        const struct column *c = &desc->cols[i];
        hid_t ct;
        switch (c->type) {
        case COL_I32: ct = H5Tcopy(H5T_NATIVE_INT32); break;
        case COL_I64: ct = H5Tcopy(H5T_NATIVE_INT64); break;
        case COL_F64: ct = H5Tcopy(H5T_NATIVE_DOUBLE); break;
        default:
            ct = H5Tcopy(H5T_C_S1);
            H5Tset_size(ct, c->size);
            H5Tset_strpad(ct, H5T_STR_NULLTERM);
            break;
        }
        H5Tinsert(t, c->name, c->offset, ct);
        H5Tclose(ct);
    }
    return t;
}

int results_write_table(struct results_file *rf, const char *group, const struct table_desc *desc,
                        const void *rows, size_t n, struct diag *d)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", strcmp(group, "/") == 0 ? "" : group, desc->name);
    hid_t mem = row_type(desc), file_type = H5Tcopy(mem);
    H5Tpack(file_type);
    hsize_t dims[1] = {n}, maxdims[1] = {H5S_UNLIMITED}, chunk[1] = {n < 1 ? 1 : n > 4096 ? 4096 : n};
    hid_t space = H5Screate_simple(1, dims, maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, chunk);
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, 4);
    H5Pset_fletcher32(dcpl); /* a checksum per chunk, checked on every read */
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t ds = H5Dcreate2(rf->file, path, file_type, space, lcpl, dcpl, H5P_DEFAULT);
    herr_t st = ds >= 0 && (n == 0 || H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) >= 0) ? 0 : -1;
    if (ds >= 0)
        H5Dclose(ds);
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Tclose(file_type);
    H5Tclose(mem);
    if (st < 0)
        return diag_fail(d, FR_RUNTIME, "%s: cannot write table %s (disk full?)", rf->tmp, path);
    return FR_OK;
}

int results_finish(struct results_file *rf, char *path, size_t size, struct diag *d)
{
    herr_t st = H5Fclose(rf->file);
    rf->file = -1;
    if (st < 0) {
        results_discard(rf);
        return diag_fail(d, FR_RUNTIME, "cannot close the results file (disk full?)");
    }
    /* link() fails when the name exists, so a result is never overwritten */
    for (int i = 1; i < 1000; i++) {
        if (i == 1)
            snprintf(path, size, "%s.h5", rf->base);
        else
            snprintf(path, size, "%s-%d.h5", rf->base, i);
        if (link(rf->tmp, path) == 0) {
            unlink(rf->tmp);
            free(rf);
            return FR_OK;
        }
        if (errno != EEXIST) {
            int rc = diag_fail(d, FR_RUNTIME, "cannot rename '%s' to '%s': %s", rf->tmp, path, strerror(errno));
            results_discard(rf);
            return rc;
        }
    }
    int rc = diag_fail(d, FR_RUNTIME, "'%s.h5' and 999 numbered variants exist already", rf->base);
    results_discard(rf);
    return rc;
}

void results_discard(struct results_file *rf)
{
    if (!rf)
        return;
    if (rf->file >= 0)
        H5Fclose(rf->file);
    unlink(rf->tmp);
    free(rf);
}

int results_read_table(const char *path, const char *dataset, const struct table_desc *desc, void **rows,
                       size_t *n, struct diag *d)
{
    quiet_hdf5();
    *rows = NULL;
    *n = 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return diag_fail(d, FR_USAGE, "cannot open results file '%s'", path);
    hid_t ds = H5Dopen2(f, dataset, H5P_DEFAULT);
    if (ds < 0) {
        H5Fclose(f);
        return diag_fail(d, FR_USAGE, "%s: no table %s", path, dataset);
    }
    hid_t space = H5Dget_space(ds);
    hsize_t dims[1] = {0};
    int rank = H5Sget_simple_extent_ndims(space);
    H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    if (rank != 1 || dims[0] > RESULTS_MAX_ROWS) {
        H5Dclose(ds);
        H5Fclose(f);
        return diag_fail(d, FR_USAGE, "%s: table %s is not a list of at most %d rows (damaged?)", path, dataset,
                         RESULTS_MAX_ROWS);
    }
    void *buf = calloc(dims[0] ? dims[0] : 1, desc->row_size);
    hid_t mem = row_type(desc);
    herr_t st = buf && (dims[0] == 0 || H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) ? 0 : -1;
    H5Tclose(mem);
    H5Dclose(ds);
    H5Fclose(f);
    if (st < 0) {
        int rc = buf ? diag_fail(d, FR_USAGE, "%s: cannot read table %s (damaged, or not written by fidrun: HDF5's "
                                              "checksums or types disagree)", path, dataset)
                     : diag_fail(d, FR_RUNTIME, "out of memory for table %s of %s", dataset, path);
        free(buf);
        return rc;
    }
    *rows = buf;
    *n = dims[0];
    return FR_OK;
}

/* An attribute as text (malloc'd: a string as it is, a number printed) and,
 * for numbers, its value. Returns 0, or -1 when it is neither. */
static int attr_text(hid_t a, char **text, int *is_number, double *number)
{
    hid_t stored = H5Aget_type(a);
    H5T_class_t cls = H5Tget_class(stored);
    H5Tclose(stored);
    char num[64];
    long long i;
    *text = NULL;
    *is_number = cls == H5T_FLOAT || cls == H5T_INTEGER;
    if (cls == H5T_FLOAT && H5Aread(a, H5T_NATIVE_DOUBLE, number) >= 0) {
        snprintf(num, sizeof num, "%.17g", *number);
        *text = strdup(num);
    } else if (cls == H5T_INTEGER && H5Aread(a, H5T_NATIVE_LLONG, &i) >= 0) {
        snprintf(num, sizeof num, "%lld", i);
        *number = (double)i;
        *text = strdup(num);
    } else if (cls == H5T_STRING) {
        hid_t t = vlen_utf8();
        char *v = NULL;
        if (H5Aread(a, t, &v) >= 0 && v) {
            *text = strdup(v);
            H5free_memory(v);
        }
        H5Tclose(t);
    }
    return *text ? 0 : -1;
}

int results_read_root_attr(const char *path, const char *key, char **value, struct diag *d)
{
    return results_read_attr(path, "/", key, value, d);
}

int results_read_attr(const char *path, const char *object, const char *key, char **value, struct diag *d)
{
    quiet_hdf5();
    *value = NULL;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return diag_fail(d, FR_USAGE, "cannot open results file '%s'", path);
    hid_t a = H5Aexists_by_name(f, object, key, H5P_DEFAULT) > 0 ? H5Aopen_by_name(f, object, key, H5P_DEFAULT,
                                                                                   H5P_DEFAULT)
                                                                 : -1;
    int rc = FR_OK, is_number;
    double x;
    if (a < 0)
        rc = diag_fail(d, FR_USAGE, "%s: no attribute %s of %s", path, key, object);
    else if (attr_text(a, value, &is_number, &x))
        rc = diag_fail(d, FR_USAGE, "%s: attribute %s is not a string or a number", path, key);
    if (a >= 0)
        H5Aclose(a);
    H5Fclose(f);
    return rc;
}

int results_has_table(const char *path, const char *dataset)
{
    quiet_hdf5();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return -1;
    char part[256];
    int found = 1;
    /* each link on the way must exist before H5Lexists may look below it */
    for (const char *slash = strchr(dataset + 1, '/'); found; slash = slash ? strchr(slash + 1, '/') : NULL) {
        size_t len = slash ? (size_t)(slash - dataset) : strlen(dataset);
        snprintf(part, sizeof part, "%.*s", (int)len, dataset);
        found = H5Lexists(f, part, H5P_DEFAULT) > 0;
        if (!slash)
            break;
    }
    H5Fclose(f);
    return found;
}

struct attr_walk {
    results_attr_fn fn;
    void *arg;
    int rc;
};

static herr_t on_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    struct attr_walk *w = data;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        return 0;
    char *text;
    int is_number;
    double x = 0;
    if (attr_text(a, &text, &is_number, &x) == 0) {
        w->rc = w->fn(name, text, is_number, x, w->arg);
        free(text);
    }
    H5Aclose(a);
    return w->rc ? 1 : 0;
}

int results_root_attrs(const char *path, results_attr_fn fn, void *arg, struct diag *d)
{
    quiet_hdf5();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return diag_fail(d, FR_USAGE, "cannot open results file '%s'", path);
    struct attr_walk w = {fn, arg, 0};
    hsize_t at = 0;
    herr_t e = H5Aiterate2(f, H5_INDEX_NAME, H5_ITER_INC, &at, on_attr, &w);
    H5Fclose(f);
    if (w.rc)
        return w.rc;
    return e < 0 ? diag_fail(d, FR_USAGE, "%s: cannot read its attributes (damaged?)", path) : FR_OK;
}
