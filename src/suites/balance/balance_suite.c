#include "suites/balance/balance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"
#include "io/costs_text.h"
#include "plugin/suite.h"
#include "suites/balance/timed_runs.h"

/* ---- tables ---- */

#define PART_COL(kind, field, unit) COL(kind, struct balance_partition_record, field, unit)
#define PART_COLC(kind, field, unit, cmp) COLC(kind, struct balance_partition_record, field, unit, cmp)
static const struct column partition_cols[] = {
    RECORD_HEAD_COLUMNS(struct balance_partition_record),
    PART_COL(COL_STR, distribution, ""), PART_COL(COL_STR, algorithm, ""),   COLC(COL_I32, struct balance_partition_record, ranks, "", CMP_KEY),
    PART_COL(COL_I64, items, "count"),   PART_COLC(COL_F64, total, "", CMP_INFO),       PART_COLC(COL_F64, makespan, "", CMP_LOWER),
    PART_COLC(COL_F64, lower_bound, "", CMP_INFO),  PART_COLC(COL_F64, gap, "", CMP_LOWER),         PART_COLC(COL_F64, max_over_mean, "", CMP_LOWER),
    PART_COLC(COL_F64, min_over_max, "", CMP_HIGHER), PART_COLC(COL_F64, load_std, "", CMP_LOWER),    PART_COLC(COL_F64, efficiency, "", CMP_HIGHER),
    PART_COLC(COL_I64, min_items, "count", CMP_INFO), PART_COLC(COL_I64, max_items, "count", CMP_INFO),
    PART_COLC(COL_I64, unassigned, "count", CMP_LOWER), PART_COLC(COL_F64, load_sum_error, "", CMP_LOWER),
    PART_COL(COL_I32, repeats, "count"), PART_COLC(COL_I32, deterministic, "", CMP_PASS), PART_COL(COL_F64, median_seconds, "s"),
    PART_COLC(COL_F64, q1_seconds, "s", CMP_IGNORE), PART_COLC(COL_F64, q3_seconds, "s", CMP_IGNORE),
};
#define PACK_COL(kind, field, unit) COL(kind, struct balance_packing_record, field, unit)
#define PACK_COLC(kind, field, unit, cmp) COLC(kind, struct balance_packing_record, field, unit, cmp)
static const struct column packing_cols[] = {
    RECORD_HEAD_COLUMNS(struct balance_packing_record),
    PACK_COL(COL_STR, distribution, ""),    PACK_COL(COL_STR, algorithm, ""),
    COLC(COL_I32, struct balance_packing_record, ranks, "", CMP_KEY),           PACK_COL(COL_I64, budget, "tokens"),
    PACK_COL(COL_I64, sequences, "count"),  PACK_COLC(COL_I64, rows, "count", CMP_LOWER),
    PACK_COL(COL_I64, rows_lower_bound, "count"), PACK_COLC(COL_F64, rows_gap, "", CMP_LOWER),
    PACK_COLC(COL_F64, avg_row_balance, "", CMP_HIGHER), PACK_COLC(COL_F64, worst_row_balance, "", CMP_HIGHER),
    PACK_COLC(COL_F64, row_balance_std, "", CMP_LOWER), PACK_COLC(COL_F64, avg_row_efficiency, "", CMP_HIGHER),
    PACK_COLC(COL_F64, overall_efficiency, "", CMP_HIGHER), PACK_COLC(COL_I64, dropped, "count", CMP_LOWER),
    PACK_COL(COL_I64, longer_than_budget, "count"), PACK_COLC(COL_I64, over_budget, "count", CMP_LOWER),
    PACK_COLC(COL_I64, misplaced, "count", CMP_LOWER),  PACK_COL(COL_I32, repeats, "count"),
    PACK_COLC(COL_I32, deterministic, "", CMP_PASS),   PACK_COL(COL_F64, median_seconds, "s"),
    PACK_COLC(COL_F64, q1_seconds, "s", CMP_IGNORE), PACK_COLC(COL_F64, q3_seconds, "s", CMP_IGNORE),
};
const struct table_desc balance_partition_table =
    TABLE_DESC("partition", struct balance_partition_record, partition_cols);
const struct table_desc balance_packing_table = TABLE_DESC("packing", struct balance_packing_record, packing_cols);
static const struct table_desc *const balance_tables[] = {&balance_partition_table, &balance_packing_table};

/* ---- configuration ---- */

static const struct choice kind_choices[] = {
    {"uniform", DIST_UNIFORM},   {"lognormal", DIST_LOGNORMAL}, {"normal", DIST_NORMAL}, {"powerlaw", DIST_POWERLAW},
    {"bimodal", DIST_BIMODAL},   {"realistic", DIST_REALISTIC}, {"outliers", DIST_OUTLIERS}, {"equal", DIST_EQUAL},
    {"giant", DIST_GIANT},       {"list", DIST_LIST},           {NULL, 0}};

/* `values: [..]` of a list distribution. */
static int parse_values(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    struct balance_dist *bd = obj;
    if (node->kind != YN_SEQ || node->n == 0 || node->n > DIST_MAX_VALUES)
        return schema_error(d, &node->loc, path, "expected a list of 1 to %d numbers", DIST_MAX_VALUES);
    for (size_t i = 0; i < node->n; i++) {
        double v;
        int overflow;
        char item[340];
        snprintf(item, sizeof item, "%.300s[%zu]", path, i);
        if (node->items[i]->kind != YN_SCALAR || parse_real(node->items[i]->text, &v, &overflow) || !(v >= 0) ||
            isinf(v))
            return schema_error(d, &node->items[i]->loc, item, "expected a finite number >= 0");
        bd->spec.values[i] = v;
    }
    bd->spec.nvalues = node->n;
    return FR_OK;
}

#define DIST_FIELD(k, t, member, lo, hi) \
    {.key = k, .type = t, .offset = offsetof(struct balance_dist, member), .min = lo, .max = hi}
static const struct field dist_fields[] = {
    {.key = "name", .type = FT_STRING, .offset = offsetof(struct balance_dist, spec.name), .size = 48, .min = 1,
     .required = 1},
    {.key = "dist", .type = FT_ENUM, .offset = offsetof(struct balance_dist, spec.kind), .choices = kind_choices},
    DIST_FIELD("n", FT_INT, spec.n, 0, 1e7),
    DIST_FIELD("n_per_rank", FT_INT, spec.n_per_rank, 0, 1e5),
    DIST_FIELD("lo", FT_REAL, spec.lo, 0, 1e300),
    DIST_FIELD("hi", FT_REAL, spec.hi, 0, 1e300),
    DIST_FIELD("mean", FT_REAL, spec.mean, -1e300, 1e300),
    DIST_FIELD("sigma", FT_REAL, spec.sigma, 0, 1e300),
    DIST_FIELD("value", FT_REAL, spec.value, 0, 1e300),
    {.key = "values", .type = FT_CUSTOM, .custom = parse_values},
    {.key = "costs_file", .type = FT_STRING, .offset = offsetof(struct balance_dist, file), .size = 256, .min = 1},
    {.key = "column", .type = FT_STRING, .offset = offsetof(struct balance_dist, column), .size = 64, .min = 1},
    {0},
};

/* lengths: the packing study's numbers are token counts, so whole. */
static int check_dist(const struct ynode *node, const char *path, void *elem, int lengths, struct diag *d)
{
    struct balance_dist *bd = elem;
    struct dist_spec *s = &bd->spec;
    if (bd->file[0]) {
        if (ytree_get(node, "dist"))
            return schema_error(d, &node->loc, path, "give either 'dist:' or 'costs_file:', not both");
        if (costs_read(bd->file, bd->column[0] ? bd->column : NULL, lengths, &bd->file_costs, &bd->file_n, d))
            return schema_error(d, &node->loc, path, "costs_file: %s", d->msg);
        s->kind = DIST_LIST;
        return FR_OK;
    }
    if (!ytree_get(node, "dist"))
        return schema_error(d, &node->loc, path, "missing 'dist:' (or 'costs_file:')");
    if ((s->kind == DIST_UNIFORM || s->kind == DIST_GIANT || s->kind == DIST_NORMAL) && !(s->lo < s->hi))
        return schema_error(d, &node->loc, path, "%s needs lo < hi (found lo %g, hi %g)", dist_kind_name(s->kind),
                            s->lo, s->hi);
    if (s->kind == DIST_LIST && s->nvalues == 0)
        return schema_error(d, &node->loc, path, "a list distribution needs 'values: [...]'");
    return FR_OK;
}

static int check_cost_dist(const struct ynode *node, const char *path, void *elem, struct diag *d)
{
    return check_dist(node, path, elem, 0, d);
}

static int check_length_dist(const struct ynode *node, const char *path, void *elem, struct diag *d)
{
    return check_dist(node, path, elem, 1, d);
}

static const struct balance_dist dist_defaults = {.spec = {.n = 1000}};

static int parse_algorithms(const struct ynode *node, const char *path, struct balance_study *st, int packing,
                            struct diag *d)
{
    const char *names[BALANCE_MAX_ALGOS];
    char known[600];
    size_t nknown = packing ? pack_algo_names(names, BALANCE_MAX_ALGOS)
                            : partition_catalog_names(names, BALANCE_MAX_ALGOS);
    join_names(names, nknown, known, sizeof known);
    if (node->kind != YN_SEQ || node->n == 0 || node->n > BALANCE_MAX_ALGOS)
        return schema_error(d, &node->loc, path, "expected a list of algorithms (%s)", known);
    for (size_t i = 0; i < node->n; i++) {
        const struct ynode *it = node->items[i];
        char item[340];
        snprintf(item, sizeof item, "%.300s[%zu]", path, i);
        struct partition_spec ps;
        enum pack_algo pa;
        if (it->kind == YN_SCALAR && !packing && partition_spec_parse(it->text, &ps) == 0)
            st->algos[i] = PARTITION_SPEC_CODE(ps);
        else if (it->kind == YN_SCALAR && packing && pack_algo_parse(it->text, &pa) == 0)
            st->algos[i] = (int)pa;
        else
            return schema_unknown(d, &it->loc, item, "algorithm", it->kind == YN_SCALAR ? it->text : "?", names,
                                  nknown, "algorithms");
    }
    st->nalgos = node->n;
    return FR_OK;
}

static int parse_partition_algos(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    return parse_algorithms(node, path, obj, 0, d);
}

static int parse_packing_algos(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    return parse_algorithms(node, path, obj, 1, d);
}

#define STUDY_FIELDS(algo_parser, dist_check)                                                                  \
    {.key = "distributions", .type = FT_MAP_LIST, .offset = offsetof(struct balance_study, dists),           \
     .size = BALANCE_MAX_DISTS, .count_offset = offsetof(struct balance_study, ndists),                      \
     .elem_size = sizeof(struct balance_dist), .element_defaults = &dist_defaults, .fields = dist_fields,     \
     .element_check = dist_check, .required = 1},                                                            \
    {.key = "ranks", .type = FT_INT_LIST, .offset = offsetof(struct balance_study, ranks),                   \
     .size = BALANCE_MAX_RANKS, .count_offset = offsetof(struct balance_study, nranks), .min = 1,            \
     .max = PARTITION_MAX_RANKS, .required = 1},                                                             \
    {.key = "algorithms", .type = FT_CUSTOM, .custom = algo_parser}

static const struct field partition_fields[] = {STUDY_FIELDS(parse_partition_algos, check_cost_dist), {0}};
static const struct field packing_fields[] = {
    STUDY_FIELDS(parse_packing_algos, check_length_dist),
    {.key = "budget", .type = FT_INT, .offset = offsetof(struct balance_study, budget), .min = 1, .max = 1e15},
    {0},
};

static int parse_partition_study(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    return schema_apply(partition_fields, node, path, &((struct balance_config *)obj)->partition, d);
}

static int parse_packing_study(const struct ynode *node, const char *path, void *obj, struct diag *d)
{
    return schema_apply(packing_fields, node, path, &((struct balance_config *)obj)->packing, d);
}

static const struct field balance_fields[] = {
    {.key = "repeats", .type = FT_INT, .offset = offsetof(struct balance_config, repeats), .min = 1, .max = 1000},
    {.key = "kk_margin", .type = FT_REAL, .offset = offsetof(struct balance_config, kk_margin), .min = 0, .max = 10},
    {.key = "partition", .type = FT_CUSTOM, .custom = parse_partition_study},
    {.key = "packing", .type = FT_CUSTOM, .custom = parse_packing_study},
    {0},
};

static void balance_defaults(void *vcfg)
{
    struct balance_config *cfg = vcfg;
    memset(cfg, 0, sizeof *cfg);
    cfg->repeats = 3;
    cfg->kk_margin = 0.05;
    cfg->packing.budget = 130000;
    struct partition_spec cat[BALANCE_MAX_ALGOS];
    cfg->partition.nalgos = partition_catalog(cat, BALANCE_MAX_ALGOS);
    for (size_t i = 0; i < cfg->partition.nalgos; i++)
        cfg->partition.algos[i] = PARTITION_SPEC_CODE(cat[i]);
    cfg->packing.nalgos = PK_COUNT;
    for (int a = 0; a < PK_COUNT; a++)
        cfg->packing.algos[a] = a;
}

static int balance_configure(const struct ynode *node, const char *path, void *vcfg, struct diag *d)
{
    struct balance_config *cfg = vcfg;
    if (!node || ytree_is_null(node)) {
        struct yloc loc = node ? node->loc : (struct yloc){"(config)", 0, 0};
        return schema_error(d, &loc, path, "expected a mapping with 'partition:' and/or 'packing:'");
    }
    if (schema_apply(balance_fields, node, path, cfg, d))
        return FR_USAGE;
    if (!ytree_get(node, "partition") && !ytree_get(node, "packing"))
        return schema_error(d, &node->loc, path, "expected 'partition:' and/or 'packing:' studies");
    return FR_OK;
}

static void balance_describe(const void *vcfg, char *buf, size_t size)
{
    const struct balance_config *cfg = vcfg;
    snprintf(buf, size,
             "balance · partition: %zu distributions x %zu rank counts x %zu algorithms · packing: %zu x %zu x %zu "
             "(budget %lld) · %lld repeats",
             cfg->partition.ndists, cfg->partition.nranks, cfg->partition.nalgos, cfg->packing.ndists,
             cfg->packing.nranks, cfg->packing.nalgos, (long long)cfg->packing.budget, (long long)cfg->repeats);
}

static void study_files(const struct balance_study *st, char *buf, size_t size, size_t *used, int *synthetic)
{
    for (size_t i = 0; i < st->ndists; i++) {
        if (!st->dists[i].file[0]) {
            *synthetic = 1;
            continue;
        }
        if (*used < size)
            *used += (size_t)snprintf(buf + *used, size - *used, "%s%s", *used ? ", " : "costs from ",
                                      st->dists[i].file);
    }
}

static void balance_inputs(const void *vcfg, long long seed, char *buf, size_t size)
{
    const struct balance_config *cfg = vcfg;
    size_t used = 0;
    int synthetic = 0;
    buf[0] = '\0';
    study_files(&cfg->partition, buf, size, &used, &synthetic);
    study_files(&cfg->packing, buf, size, &used, &synthetic);
    if (synthetic && used < size)
        snprintf(buf + used, size - used, "%ssynthetic costs (seed %lld)", used ? " + " : "", seed);
}

/* ---- plan ---- */

/* Predicted work of one cell in item-steps: sorting-based algorithms pay
 * n log n, the rest about n; refinement about doubles it. */
static double cell_cost(size_t n, int64_t p, double factor, int64_t repeats)
{
    double size = (double)n + (double)p;
    return factor * size * log2(size + 2) * (double)repeats + 1000;
}

static double partition_factor(struct partition_spec s)
{
    static const double f[PA_COUNT] = {0.05, 0.05, 0.4, 1.0, 2.0, 1.0};
    return f[s.algo] * (s.refine ? 3 : 1);
}

static int plan_study(const struct balance_config *cfg, const struct balance_study *st, int table,
                      struct task_list *tasks, struct diag *d)
{
    for (size_t di = 0; di < st->ndists; di++) {
        const struct dist_spec *ds = &st->dists[di].spec;
        for (size_t ri = 0; ri < st->nranks; ri++) {
            int32_t p = (int32_t)st->ranks[ri];
            size_t n = st->dists[di].file[0] ? st->dists[di].file_n : dist_count(ds, p);
            for (size_t ai = 0; ai < st->nalgos; ai++) {
                struct task t = {.table = table, .dims = {(int64_t)di, p, st->algos[ai], 0}};
                char algo[32];
                if (table == BALANCE_TABLE_PARTITION) {
                    struct partition_spec s = partition_spec_from_code(st->algos[ai]);
                    partition_spec_name(s, algo, sizeof algo);
                    t.cost = cell_cost(n, p, partition_factor(s), cfg->repeats);
                } else {
                    snprintf(algo, sizeof algo, "%s", pack_algo_name((enum pack_algo)st->algos[ai]));
                    t.cost = cell_cost(n, p, st->algos[ai] == PK_LPT_BSEARCH ? 4 : 1.5, cfg->repeats);
                }
                snprintf(t.name, sizeof t.name, "%s/%s/P=%d/%s", table ? "packing" : "partition", ds->name, p, algo);
                snprintf(t.group, sizeof t.group, "%s/%s", table ? "packing" : "partition", ds->name);
                if (task_list_push(tasks, &t))
                    return diag_fail(d, FR_RUNTIME, "out of memory while planning");
            }
        }
    }
    return FR_OK;
}

static int balance_plan(const void *vcfg, struct task_list *tasks, struct diag *d)
{
    const struct balance_config *cfg = vcfg;
    if (plan_study(cfg, &cfg->partition, BALANCE_TABLE_PARTITION, tasks, d))
        return d->code;
    return plan_study(cfg, &cfg->packing, BALANCE_TABLE_PACKING, tasks, d);
}

/* ---- run ---- */

static int balance_run(const void *vcfg, const struct run_context *ctx, const struct task *t, void *record,
                       struct diag *d)
{
    const struct balance_config *cfg = vcfg;
    const struct balance_study *st = t->table == BALANCE_TABLE_PARTITION ? &cfg->partition : &cfg->packing;
    const struct balance_dist *bd = &st->dists[t->dims[0]];
    int32_t p = (int32_t)t->dims[1];
    double *generated = NULL, *v = bd->file_costs;
    size_t n = bd->file_n;
    int rc = FR_OK;
    if (!bd->file[0] && (rc = study_items(NULL, NULL, 0, &bd->spec, ctx->seed, p, &generated, &n, d)))
        return rc;
    if (generated)
        v = generated;
    if (t->table == BALANCE_TABLE_PARTITION) {
        struct balance_partition_record *r = record;
        int32_t *owner = malloc((n ? n : 1) * sizeof *owner);
        snprintf(r->distribution, sizeof r->distribution, "%s", bd->spec.name);
        rc = owner ? measure_partition(partition_spec_from_code((int)t->dims[2]), v, n, p, (int)cfg->repeats, owner,
                                       r, d)
                   : diag_fail(d, FR_RUNTIME, "out of memory for %zu items", n);
        free(owner);
    } else {
        struct balance_packing_record *r = record;
        snprintf(r->distribution, sizeof r->distribution, "%s", bd->spec.name);
        rc = measure_packing((enum pack_algo)t->dims[2], v, n, p, st->budget, (int)cfg->repeats, NULL, r, d);
    }
    free(generated);
    return rc;
}

static void balance_release(void *vcfg)
{
    struct balance_config *cfg = vcfg;
    struct balance_study *studies[] = {&cfg->partition, &cfg->packing};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < studies[k]->ndists; i++)
            free(studies[k]->dists[i].file_costs);
}

int balance_summarize(const void *cfg, const void *const *records, const size_t *n, const struct report_opts *o,
                      struct check_list *checks);

const struct suite suite_balance = {
    .name = "balance",
    .config_size = sizeof(struct balance_config),
    .defaults = balance_defaults,
    .configure = balance_configure,
    .describe = balance_describe,
    .inputs = balance_inputs,
    .plan = balance_plan,
    .run = balance_run,
    .record_tables = balance_tables,
    .ntables = 2,
    .summarize = balance_summarize,
    .release = balance_release,
};
