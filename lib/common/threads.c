/* The library's one thread pool: fork-join over pthreads with a shared task
 * counter (see common/common.h). Threads are created per call: the callers
 * (one detection, one image's cipher pass) run for milliseconds or more, so
 * start-up cost is noise and no thread outlives the call that needed it. */
#include <pthread.h>
#include <stdatomic.h>

#include "common/common.h"

typedef struct job {
    common_task_fn fn;
    void *arg;
    size_t ntasks;
    atomic_size_t next;
    atomic_int err;
} job;

typedef struct runner {
    job *j;
    unsigned worker;
} runner;

static void *run_worker(void *p)
{
    const runner *r = p;
    job *j = r->j;
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->ntasks || atomic_load(&j->err) != 0)
            break;
        int rc = j->fn(j->arg, r->worker, i);
        if (rc != 0) {
            int zero = 0;
            atomic_compare_exchange_strong(&j->err, &zero, rc);
        }
    }
    return NULL;
}

int common_run_tasks(size_t ntasks, unsigned threads, common_task_fn fn, void *arg)
{
    job j = {.fn = fn, .arg = arg, .ntasks = ntasks};
    atomic_init(&j.next, 0);
    atomic_init(&j.err, 0);
    if (threads > FIIE_MAX_THREADS)
        threads = FIIE_MAX_THREADS;
    size_t want = threads < ntasks ? threads : ntasks;
    pthread_t tid[FIIE_MAX_THREADS];
    runner r[FIIE_MAX_THREADS];
    unsigned started = 0;
    /* Worker 0 is the caller; a thread that cannot start leaves its share
     * to the others, so the work done never depends on the threads had. */
    for (size_t i = 1; i < want; i++) {
        r[started + 1] = (runner){&j, started + 1};
        if (pthread_create(&tid[started + 1], NULL, run_worker, &r[started + 1]) != 0)
            break;
        started++;
    }
    r[0] = (runner){&j, 0};
    run_worker(&r[0]);
    for (unsigned i = 1; i <= started; i++)
        pthread_join(tid[i], NULL);
    return atomic_load(&j.err);
}

unsigned common_parallel_parts(uint64_t items, unsigned threads)
{
    if (threads > FIIE_MAX_THREADS)
        threads = FIIE_MAX_THREADS;
    if (threads > items)
        threads = (unsigned)items;
    return threads ? threads : 1;
}

typedef struct range_job {
    common_range_fn fn;
    void *arg;
    uint64_t items;
    unsigned parts;
} range_job;

static int run_range(void *arg, unsigned worker, size_t part)
{
    (void)worker;
    const range_job *rj = arg;
    uint64_t first = rj->items * part / rj->parts, last = rj->items * (part + 1) / rj->parts;
    rj->fn(rj->arg, (unsigned)part, first, last);
    return 0;
}

void common_parallel_for(uint64_t items, unsigned threads, common_range_fn fn, void *arg)
{
    if (items == 0)
        return;
    range_job rj = {fn, arg, items, common_parallel_parts(items, threads)};
    (void)common_run_tasks(rj.parts, rj.parts, run_range, &rj);
}
