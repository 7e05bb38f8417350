#include "report/junit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plugin/checks.h"
#include "report/xml_out.h"

/* The shape Apache Ant's JUnit formatter writes and the Jenkins JUnit
 * plug-in reads (tests/fixtures/junit/junit.xsd holds both to it):
 *   <testsuites name tests failures errors time>
 *     <testsuite name package id timestamp hostname tests failures errors skipped time>
 *       <properties><property name value/>...</properties>
 *       <testcase classname name time>[<failure message type>text</failure>]</testcase>...
 *       <system-out>...</system-out><system-err/>
 * Neither schema lets a testcase carry properties, so a case's measured
 * value, bounds and unit are properties of its testsuite ("NAME: value"),
 * and in the failure's text when it fails. */

static void attr_num(FILE *out, const char *name, double v, const char *fmt)
{
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    xml_attr(out, name, buf);
}

static void attr_count(FILE *out, const char *name, size_t v)
{
    attr_num(out, name, (double)v, "%.0f");
}

/* "2026-12-07T10:15:00": the local time of the run, as Ant writes it (the
 * schema's timestamp has no zone). */
static void attr_timestamp(FILE *out, const char *iso)
{
    char buf[20] = "1970-01-01T00:00:00";
    if (iso && strlen(iso) >= 19)
        memcpy(buf, iso, 19);
    xml_attr(out, "timestamp", buf);
}

static void open_suites(FILE *out, const char *name, size_t tests, size_t failures, double seconds)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", out);
    xml_attr(out, "name", name);
    attr_count(out, "tests", tests);
    attr_count(out, "failures", failures);
    xml_attr(out, "errors", "0");
    attr_num(out, "time", seconds, "%.6f");
    fputs(">\n", out);
}

static void open_suite(FILE *out, const char *name, int id, const char *timestamp, const char *host, size_t tests,
                       size_t failures, double seconds)
{
    fputs("  <testsuite", out);
    xml_attr(out, "name", name);
    xml_attr(out, "package", "fidrun");
    attr_count(out, "id", (size_t)id);
    attr_timestamp(out, timestamp);
    xml_attr(out, "hostname", host && *host ? host : "localhost");
    attr_count(out, "tests", tests);
    attr_count(out, "failures", failures);
    xml_attr(out, "errors", "0");
    xml_attr(out, "skipped", "0");
    attr_num(out, "time", seconds, "%.6f");
    fputs(">\n    <properties>\n", out);
}

static void property(FILE *out, const char *name, const char *value)
{
    fputs("      <property", out);
    xml_attr(out, "name", name);
    xml_attr(out, "value", value ? value : "");
    fputs("/>\n", out);
}

static void property_num(FILE *out, const char *name, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", v);
    property(out, name, buf);
}

/* A testcase; with failure, a failing one whose text is detail. */
static void testcase(FILE *out, const char *classname, const char *name, double seconds, const char *failure,
                     const char *type, const char *detail)
{
    fputs("    <testcase", out);
    xml_attr(out, "classname", classname);
    xml_attr(out, "name", name);
    attr_num(out, "time", seconds, "%.6f");
    if (!failure) {
        fputs("/>\n", out);
        return;
    }
    fputs(">\n      <failure", out);
    xml_attr(out, "message", failure);
    xml_attr(out, "type", type);
    fputc('>', out);
    xml_text(out, detail ? detail : failure);
    fputs("</failure>\n    </testcase>\n", out);
}

static void close_suite(FILE *out, const char *system_out)
{
    fputs("    <system-out>", out);
    xml_text(out, system_out ? system_out : "");
    fputs("</system-out>\n    <system-err></system-err>\n  </testsuite>\n", out);
}

/* ---- a run's checks: one testsuite per fidrun suite ---- */

static struct check_list check_rows(const struct report_data *r)
{
    const struct report_table *t = report_table(r, "/checks");
    return t ? (struct check_list){(struct check *)t->rows, t->n, t->n} : (struct check_list){0};
}

static size_t check_suites(const struct check_list *l, const char **names, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t k = 0;
        while (k < n && strcmp(names[k], l->items[i].suite) != 0)
            k++;
        if (k == n && n < max)
            names[n++] = l->items[i].suite;
    }
    return n;
}

/* A suite's time: the seconds its tasks ran, over every table of the suite. */
static double suite_seconds(const struct report_data *r, const char *suite)
{
    double total = 0;
    for (size_t i = 0; i < r->ntables; i++) {
        const struct report_table *t = &r->tables[i];
        if (strcmp(t->suite, suite) != 0)
            continue;
        for (size_t k = 0; k < t->n; k++) {
            double s = report_num(t, k, "task_seconds");
            total += isfinite(s) && s > 0 ? s : 0;
        }
    }
    return total;
}

int report_junit(const struct report_data *r, FILE *out)
{
    struct check_list l = check_rows(r);
    const char *suites[16];
    size_t ns = check_suites(&l, suites, 16);
    double wall = 0;
    const char *w = report_attr(r, "wall_seconds", "0");
    sscanf(w, "%lf", &wall);
    open_suites(out, report_attr(r, "name", "fidrun"), l.n, checks_failed(&l), wall);
    char host[128];
    snprintf(host, sizeof host, "%.*s", (int)strcspn(report_attr(r, "hosts", "localhost"), " ,"),
             report_attr(r, "hosts", "localhost"));
    for (size_t s = 0; s < ns; s++) {
        size_t tests = 0, failures = 0;
        for (size_t i = 0; i < l.n; i++)
            if (strcmp(l.items[i].suite, suites[s]) == 0) {
                tests++;
                failures += !l.items[i].pass;
            }
        /* a check judges every task of its suite: the suite's time is its
         * tasks', shared among its checks so that the cases add up to it */
        double seconds = suite_seconds(r, suites[s]);
        open_suite(out, suites[s], (int)s, report_attr(r, "start_time", ""), host, tests, failures, seconds);
        static const char *const props[] = {"fidrun_version", "git_commit", "config_path", "ranks", "device", "seed"};
        for (size_t p = 0; p < sizeof props / sizeof props[0]; p++)
            property(out, props[p], report_attr(r, props[p], ""));
        for (size_t i = 0; i < l.n; i++) {
            const struct check *c = &l.items[i];
            if (strcmp(c->suite, suites[s]) != 0)
                continue;
            char name[160];
            snprintf(name, sizeof name, "%s: value", c->name);
            property_num(out, name, c->value);
            snprintf(name, sizeof name, "%s: lower", c->name);
            property_num(out, name, c->lower);
            snprintf(name, sizeof name, "%s: upper", c->name);
            property_num(out, name, c->upper);
            snprintf(name, sizeof name, "%s: unit", c->name);
            property(out, name, c->unit);
        }
        fputs("    </properties>\n", out);
        char text[16384];
        size_t used = 0;
        text[0] = '\0';
        for (size_t i = 0; i < l.n; i++) {
            const struct check *c = &l.items[i];
            if (strcmp(c->suite, suites[s]) != 0)
                continue;
            char classname[64], value[48], bound[112], msg[256], detail[512];
            snprintf(classname, sizeof classname, "fidrun.%s", c->suite);
            snprintf(msg, sizeof msg, "%s = %s, expected %s", c->metric, check_value_text(c, value, sizeof value),
                     check_bound_text(c, bound, sizeof bound));
            snprintf(detail, sizeof detail, "%s (value %.17g, lower %.17g, upper %.17g, unit '%s')", msg, c->value,
                     c->lower, c->upper, c->unit);
            testcase(out, classname, c->name, seconds / (double)tests, c->pass ? NULL : msg, "bound", detail);
            if (used < sizeof text)
                used += (size_t)snprintf(text + used, sizeof text - used, "%s: %s %s\n", c->name, msg,
                                         c->pass ? "PASSED" : "FAILED");
        }
        close_suite(out, text);
    }
    fputs("</testsuites>\n", out);
    return ferror(out) ? FR_RUNTIME : FR_OK;
}

/* ---- a comparison: one testsuite, a testcase per metric ---- */

int report_compare_junit(const struct cmp_report *r, const char *base, const char *now, double seconds, FILE *out)
{
    struct cmp_counts c;
    cmp_count(r, &c);
    open_suites(out, "fidrun compare", c.metrics, c.regressed, seconds);
    char when[32] = "", host[256] = "localhost";
    time_t t = time(NULL);
    struct tm local;
    if (localtime_r(&t, &local))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &local);
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    open_suite(out, "compare", 0, when, host, c.metrics, c.regressed, seconds);
    property(out, "baseline", base);
    property(out, "now", now);
    char name[160], value[64];
    for (size_t i = 0; i < r->n; i++) {
        const struct cmp_line *l = &r->lines[i];
        if (cmp_line_verdict(l) == VERDICT_INFO)
            continue;
        snprintf(name, sizeof name, "%s %s: baseline", l->table, l->metric);
        property_num(out, name, l->base);
        snprintf(name, sizeof name, "%s %s: now", l->table, l->metric);
        property_num(out, name, l->now);
        snprintf(name, sizeof name, "%s %s: verdict", l->table, l->metric);
        snprintf(value, sizeof value, "%s (%lld of %lld rows regressed, %lld improved)",
                 cmp_verdict_name(cmp_line_verdict(l)), (long long)l->regressed, (long long)l->compared,
                 (long long)l->improved);
        property(out, name, value);
    }
    fputs("    </properties>\n", out);
    for (size_t i = 0; i < r->n; i++) {
        const struct cmp_line *l = &r->lines[i];
        if (cmp_line_verdict(l) == VERDICT_INFO)
            continue;
        char classname[96], msg[512], allowed[200];
        snprintf(classname, sizeof classname, "fidrun.compare.%s", l->table);
        cmp_allowed_text(l, allowed, sizeof allowed);
        snprintf(msg, sizeof msg, "%lld of %lld rows regressed, e.g. %s: now %.6g, baseline %.6g%s%s",
                 (long long)l->regressed, (long long)l->compared, l->key, l->now, l->base,
                 !allowed[0] ? "" : isnan(l->lo) ? "; " : "; allowed ", allowed);
        testcase(out, classname, l->metric, l->seconds, l->regressed ? msg : NULL, "regression", NULL);
    }
    char verdict[256];
    close_suite(out, cmp_verdict_line(r, verdict, sizeof verdict));
    fputs("</testsuites>\n", out);
    return ferror(out) ? FR_RUNTIME : FR_OK;
}
