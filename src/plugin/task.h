/* Tasks: one unit of work (a matrix to decompose, ...) with a predicted cost,
 * and the head every suite's result record starts with. */
#ifndef FIDRUN_TASK_H
#define FIDRUN_TASK_H

#include <stddef.h>
#include <stdint.h>

#define TASK_NAME_MAX 96
#define TASK_GROUP_MAX 48

struct task {
    int32_t id;    /* position in the full plan, the same on every rank */
    int32_t suite; /* index into run_config.suites */
    int32_t table; /* index into the suite's record_tables */
    char name[TASK_NAME_MAX];
    char group[TASK_GROUP_MAX]; /* tasks reported together as they finish ("model.layers.3") */
    double cost;                /* predicted, in the suite's own units */
    int64_t dims[4];            /* suite-specific */
    int32_t collective;         /* run by every rank together (one matrix distributed over them), before
                                   the tasks ranks run alone; rank 0 holds its record */
};

/* The plan's owner of a task, besides a rank: not run by this job (done
 * before a resume), or run by all the ranks together (a collective task). */
#define TASK_OWNER_NONE (-1)
#define TASK_OWNER_ALL (-2)

struct task_list {
    struct task *items;
    size_t n, cap;
};

/* Appends a copy (id assigned by position). Returns 0, -1 when out of memory. */
int task_list_push(struct task_list *l, const struct task *t);
void task_list_free(struct task_list *l);

/* First fields of every result record; filled by the driver. */
struct record_head {
    int32_t task_id;
    int32_t rank;
    double predicted_cost;
    double task_seconds; /* wall time of the whole task on its rank */
};

#define RECORD_HEAD_COLUMNS(type)                                                              \
    {"task_id", COL_I32, offsetof(type, head.task_id), sizeof(int32_t), "", CMP_IGNORE},                   \
    {"rank", COL_I32, offsetof(type, head.rank), sizeof(int32_t), "", CMP_IGNORE},                         \
    {"predicted_cost", COL_F64, offsetof(type, head.predicted_cost), sizeof(double), "flop", CMP_IGNORE},  \
    {"task_seconds", COL_F64, offsetof(type, head.task_seconds), sizeof(double), "s", CMP_IGNORE}

#endif
