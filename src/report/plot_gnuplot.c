#include "report/plot_gnuplot.h"

#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *const colors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                     "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
#define NCOLORS (sizeof colors / sizeof colors[0])

/* A verdict has one colour on every page; other series take the palette in
 * order. */
static const char *series_color(const struct plot *p, size_t s)
{
    static const struct {
        const char *series, *color;
    } fixed[] = {{"regressed", "#e15759"}, {"improved", "#59a14f"}, {"ok", "#4e79a7"},
                 {"within bounds", "#4e79a7"}, {"changed", "#f28e2b"}};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(p->sers[s], fixed[i].series) == 0)
            return fixed[i].color;
    return colors[s % NCOLORS];
}

/* The smallest and largest value drawn, for an axis that shows zero. */
static void value_range(const struct plot *p, double *lo, double *hi)
{
    *lo = 0;
    *hi = 0;
    for (size_t c = 0; c < p->ncats; c++)
        for (size_t s = 0; s < p->nsers; s++) {
            double v = plot_value(p, c, s);
            if (isfinite(v)) {
                *lo = v < *lo ? v : *lo;
                *hi = v > *hi ? v : *hi;
            }
        }
}

static int executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

const char *plot_gnuplot_find(char *buf, size_t size)
{
    const char *env = getenv("FIDRUN_GNUPLOT");
    if (env)
        return *env && executable(env) ? snprintf(buf, size, "%s", env), buf : NULL;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, ":");
        if (len && (size_t)snprintf(buf, size, "%.*s/gnuplot", (int)len, p) < size && executable(buf))
            return buf;
        p += len + (p[len] == ':');
    }
    return NULL;
}

/* A double-quoted gnuplot string: backslashes and quotes escaped, control
 * characters dropped. */
static void quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20)
            continue;
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* A value in a data block: "?" (set as missing) where there is none. */
static void datum(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, " %.17g", v);
    else
        fputs(" ?", f);
}

static size_t longest_category(const struct plot *p)
{
    size_t m = 0;
    for (size_t i = 0; i < p->ncats; i++)
        m = strlen(p->cats[i]) > m ? strlen(p->cats[i]) : m;
    return m;
}

/* Whether each category has a value in one series only (one bar each, so
 * the bars stack instead of leaving gaps for the other series). */
static int one_series_per_category(const struct plot *p)
{
    for (size_t c = 0; c < p->ncats; c++) {
        int seen = 0;
        for (size_t s = 0; s < p->nsers; s++)
            seen += isfinite(plot_value(p, c, s));
        if (seen > 1)
            return 0;
    }
    return 1;
}

static int any_negative(const struct plot *p)
{
    for (size_t i = 0; i < p->npts; i++)
        if (p->pts[i].sum < 0)
            return 1;
    return 0;
}

static void bars(const struct plot *p, const size_t *order, FILE *f)
{
    fprintf(f, "set style data histograms\nset style histogram %s\n"
               "set style fill solid 0.9 noborder\nset boxwidth 0.8\nset xtics nomirror scale 0\n",
            p->nsers > 1 && one_series_per_category(p) ? "rowstacked" : "clustered gap 1");
    if (p->ncats > 6 || longest_category(p) > 12)
        fputs("set xtics rotate by -35 left\n", f);
    fputs("$data << EOD\n", f);
    for (size_t i = 0; i < p->ncats; i++) {
        quoted(f, p->cats[order[i]]);
        for (size_t s = 0; s < p->nsers; s++)
            datum(f, plot_value(p, order[i], s));
        fputc('\n', f);
    }
    fputs("EOD\nplot ", f);
    for (size_t s = 0; s < p->nsers; s++) {
        fprintf(f, "%s$data using %zu%s lc rgb \"%s\" title ", s ? ", " : "", s + 2, s ? "" : ":xtic(1)",
                series_color(p, s));
        quoted(f, p->sers[s]);
    }
    fputc('\n', f);
}

static void lines(const struct plot *p, const size_t *order, FILE *f)
{
    for (size_t s = 0; s < p->nsers; s++) {
        fprintf(f, "$s%zu << EOD\n", s);
        for (size_t i = 0; i < p->ncats; i++) {
            double v = plot_value(p, order[i], s);
            if (isfinite(v))
                fprintf(f, "%.17g %.17g\n", p->catx[order[i]], v);
        }
        fputs("EOD\n", f);
    }
    fputs("plot ", f);
    for (size_t s = 0; s < p->nsers; s++) {
        fprintf(f, "%s$s%zu using 1:2 with linespoints lw 2 pt %zu ps 0.8 lc rgb \"%s\" title ", s ? ", " : "", s,
                5 + 2 * (s % 4), series_color(p, s));
        quoted(f, p->sers[s]);
    }
    fputc('\n', f);
}

void plot_gnuplot_script(const struct plot *p, FILE *f)
{
    size_t width = 760;
    if (p->style == PLOT_BARS) {
        size_t want = 160 + p->ncats * (p->nsers * 14 + 24);
        width = want > width ? (want < 1600 ? want : 1600) : width;
    }
    size_t height = 380 + (p->style == PLOT_BARS && (p->ncats > 6 || longest_category(p) > 12) ? 6 * longest_category(p) : 0);
    fprintf(f, "set terminal svg size %zu,%zu fixed noenhanced font \"sans,11\" background \"#ffffff\"\n", width,
            height);
    fputs("set encoding utf8\nset datafile missing \"?\"\nset border 3\nset tics nomirror\n"
          "set grid ytics lc rgb \"#dddddd\"\nset key outside right top\n",
          f);
    fputs("set title ", f);
    quoted(f, p->title);
    fputs("\nset xlabel ", f);
    quoted(f, p->xlabel);
    fputs("\nset ylabel ", f);
    quoted(f, p->ylabel);
    fputc('\n', f);
    if (p->logy)
        fputs("set logscale y\nset format y \"%g\"\n", f);
    if (p->logx && p->style == PLOT_LINES)
        fputs("set logscale x 2\n", f);
    if (p->style == PLOT_LINES)
        fputs("set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n", f);
    else if (!p->logy && !any_negative(p))
        fputs("set yrange [0:*]\n", f);
    else if (!p->logy) { /* bars of either sign: zero is on the axis */
        double lo, hi;
        value_range(p, &lo, &hi);
        double pad = 0.05 * (hi - lo > 0 ? hi - lo : 1);
        fprintf(f, "set yrange [%.17g:%.17g]\nset xzeroaxis lt -1\n", lo - pad, hi + pad);
    }
    size_t *order = malloc((p->ncats ? p->ncats : 1) * sizeof *order);
    if (!order)
        return;
    plot_order(p, order);
    if (p->style == PLOT_BARS)
        bars(p, order, f);
    else
        lines(p, order, f);
    free(order);
}

/* The whole of an open file, NUL-terminated. */
static char *slurp(FILE *f, size_t *len)
{
    if (fseek(f, 0, SEEK_END) != 0)
        return NULL;
    long n = ftell(f);
    rewind(f);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!buf)
        return NULL;
    *len = fread(buf, 1, (size_t)n, f);
    buf[*len] = 0;
    return buf;
}

int plot_gnuplot_svg(const struct plot *p, const char *gnuplot, char **svg, size_t *len, struct diag *d)
{
    *svg = NULL;
    *len = 0;
    FILE *script = tmpfile(), *out = tmpfile(), *err = tmpfile();
    int rc = FR_OK;
    if (!script || !out || !err) {
        rc = diag_fail(d, FR_RUNTIME, "plot %s: cannot make a temporary file: %s", p->id, strerror(errno));
        goto done;
    }
    plot_gnuplot_script(p, script);
    if (fflush(script) != 0 || fseek(script, 0, SEEK_SET) != 0) {
        rc = diag_fail(d, FR_RUNTIME, "plot %s: cannot write its gnuplot script: %s", p->id, strerror(errno));
        goto done;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fileno(script), 0);
    posix_spawn_file_actions_adddup2(&fa, fileno(out), 1);
    posix_spawn_file_actions_adddup2(&fa, fileno(err), 2);
    char *argv[] = {(char *)gnuplot, NULL};
    pid_t pid;
    int e = posix_spawn(&pid, gnuplot, &fa, NULL, argv, environ), status = 0;
    posix_spawn_file_actions_destroy(&fa);
    if (e) {
        rc = diag_fail(d, FR_RUNTIME, "plot %s: cannot run %s: %s", p->id, gnuplot, strerror(e));
        goto done;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    size_t elen = 0;
    char *msg = slurp(err, &elen);
    *svg = slurp(out, len);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !*svg || !strstr(*svg, "</svg>")) {
        while (msg && elen && (msg[elen - 1] == '\n' || msg[elen - 1] == ' '))
            msg[--elen] = 0;
        rc = diag_fail(d, FR_RUNTIME, "plot %s: %s made no SVG (%s %d)%s%s", p->id, gnuplot,
                       WIFEXITED(status) ? "exit code" : "signal",
                       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), msg && *msg ? ": " : "",
                       msg ? msg + (elen > 300 ? elen - 300 : 0) : "");
        free(*svg);
        *svg = NULL;
        *len = 0;
    }
    free(msg);
done:
    if (script)
        fclose(script);
    if (out)
        fclose(out);
    if (err)
        fclose(err);
    return rc;
}
