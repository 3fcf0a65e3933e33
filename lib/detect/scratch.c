/* Scratch shared by the stages: growable buffers reused from call to call,
 * candidate lists, resampling axes, and the runner that gives each task
 * its thread's own scratch. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "detect/detect.h"

int detect_grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n <= *cap)
        return 0;
    if (elem != 0 && n > SIZE_MAX / elem / 2)
        return FIIE_E_TOO_LARGE;
    size_t ncap = n + n / 2 + 16;
    void *q = common_buf_realloc(*p, ncap * elem);
    if (q == NULL)
        return FIIE_E_NO_MEMORY;
    *p = q;
    *cap = ncap;
    return 0;
}

int detect_list_push(detect_list *l, const detect_box *b)
{
    int rc = DETECT_GROW(l->v, l->cap, l->n + 1);
    if (rc)
        return rc;
    l->v[l->n++] = *b;
    return 0;
}

int detect_axis_prepare(detect_axis_buf *ab, int na, int nb, int single)
{
    size_t slots = (size_t)nb * (size_t)detect_resample_taps(na, nb);
    int rc = DETECT_GROW(ab->a.idx, ab->cap_idx, slots);
    if (!rc)
        rc = DETECT_GROW(ab->a.wt, ab->cap_wt, slots);
    if (!rc)
        rc = DETECT_GROW(ab->a.ntap, ab->cap_n, (size_t)nb);
    if (!rc)
        detect_resample_axis_compute(&ab->a, na, nb, single);
    return rc;
}

void detect_axis_free(detect_axis_buf *ab)
{
    common_buf_free(ab->a.idx);
    common_buf_free(ab->a.wt);
    common_buf_free(ab->a.ntap);
    memset(ab, 0, sizeof *ab);
}

/* ---------------------------------------------------------------- threads */

typedef struct task_job {
    detect_cascade *c;
    detect_task_fn fn;
    void *arg;
} task_job;

static int run_one(void *arg, unsigned worker, size_t task)
{
    const task_job *j = arg;
    return j->fn(j->c, &j->c->w[worker], task, j->arg);
}

int detect_run_tasks(detect_cascade *c, size_t n, detect_task_fn fn, void *arg)
{
    task_job j = {c, fn, arg};
    return common_run_tasks(n, (unsigned)c->nworkers, run_one, &j);
}

