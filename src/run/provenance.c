#include "run/provenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/fingerprint.h"
#include "util/clock.h"
#include "util/version.h"

const char *cpu_description(char *buf, size_t size)
{
    snprintf(buf, size, "cpu");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return buf;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *colon = strchr(line, ':');
            if (colon) {
                colon += 1 + (colon[1] == ' ');
                line[strcspn(line, "\n")] = '\0';
                snprintf(buf, size, "cpu: %s", colon);
            }
            break;
        }
    }
    fclose(f);
    return buf;
}

static int seen_before(const struct rank_record *r, int i, const char *(*get)(const struct rank_record *))
{
    for (int j = 0; j < i; j++)
        if (strcmp(get(&r[j]), get(&r[i])) == 0)
            return 1;
    return 0;
}

static const char *get_host(const struct rank_record *r) { return r->host; }
static const char *get_device(const struct rank_record *r) { return r->device; }

static int distinct(const struct rank_record *r, int n, const char *(*get)(const struct rank_record *), char *buf,
                    size_t size)
{
    size_t len = 0;
    int count = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (seen_before(r, i, get))
            continue;
        count++;
        len += snprintf(buf + len, len < size ? size - len : 0, "%s%s", count > 1 ? "," : "", get(&r[i]));
    }
    return count;
}

int distinct_hosts(const struct rank_record *r, int n, char *buf, size_t size)
{
    return distinct(r, n, get_host, buf, size);
}

char *join_argv(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    *p = '\0';
    for (int i = 0; i < argc; i++)
        p += sprintf(p, "%s%s", i ? " " : "", argv[i]);
    return s;
}

int provenance_write(struct results_file *rf, const struct provenance *p, struct diag *d)
{
    char t0[64], t1[64], hosts[4096], devices[4096];
    format_iso_time(p->start, t0, sizeof t0);
    format_iso_time(p->end, t1, sizeof t1);
    int nhosts = distinct_hosts(p->ranks, p->nranks, hosts, sizeof hosts);
    distinct(p->ranks, p->nranks, get_device, devices, sizeof devices);
    const struct {
        const char *key, *value;
    } strings[] = {
        {"fidrun_version", FIDRUN_VERSION},
        {"git_commit", FIDRUN_GIT_COMMIT},
        {"name", p->cfg->name},
        {"config_path", p->cfg->path},
        {"config_text", p->cfg->text},
        {"config_overrides", p->cfg->overrides},
        {"argv", p->argv},
        {"start_time", t0},
        {"end_time", t1},
        {"hosts", hosts},
        {"mpi_library", p->mpi_library},
        {"blas", p->blas},
        {"device", p->device},
        {"device_names", devices},
        {"cuda_versions", p->cuda_versions},
        {"balance", p->balance},
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if (results_attr_string(rf, "/", strings[i].key, strings[i].value, d))
            return d->code;
    /* what the run measured, for a later compare to hold another run to */
    char *fingerprint = config_fingerprint(p->cfg);
    if (!fingerprint)
        return diag_fail(d, FR_RUNTIME, "out of memory");
    int frc = results_attr_string(rf, "/", "fingerprint", fingerprint, d);
    free(fingerprint);
    if (frc)
        return d->code;
    const struct {
        const char *key;
        long long value;
    } ints[] = {
        {"ranks", p->nranks},
        {"host_count", nhosts},
        {"seed", (long long)p->cfg->seed},
        {"blas_threads", (long long)p->cfg->threads},
        {"tasks", (long long)p->tasks},
        {"checks", (long long)p->checks},
        {"checks_failed", (long long)p->checks_failed},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (results_attr_int(rf, "/", ints[i].key, ints[i].value, d))
            return d->code;
    /* Under Slurm: which job, on which nodes (rank 0's view; every rank
     * of a job sees the same values). */
    const char *const slurm[][2] = {{"slurm_job_id", "SLURM_JOB_ID"},         {"slurm_job_name", "SLURM_JOB_NAME"},
                                    {"slurm_nodelist", "SLURM_JOB_NODELIST"}, {"slurm_ntasks", "SLURM_NTASKS"},
                                    {"slurm_cluster", "SLURM_CLUSTER_NAME"},  {"slurm_restart_count", "SLURM_RESTART_COUNT"}};
    for (size_t i = 0; i < sizeof slurm / sizeof slurm[0]; i++) {
        const char *v = getenv(slurm[i][1]);
        if (v && *v && results_attr_string(rf, "/", slurm[i][0], v, d))
            return d->code;
    }
    if (results_attr_double(rf, "/", "wall_seconds", p->wall_seconds, d) ||
        results_attr_double(rf, "/", "predicted_imbalance", p->predicted_imbalance, d) ||
        results_attr_double(rf, "/", "realized_imbalance", p->realized_imbalance, d) ||
        results_attr_double(rf, "/", "progress_cpu_seconds", p->progress_cpu_seconds, d))
        return d->code;
    return FR_OK;
}
