/* Minimal fork-join over pthreads (see parallel.h). */
#include <pthread.h>

#include "common/common.h"

typedef struct part {
    void (*fn)(void *arg, unsigned part, uint64_t first, uint64_t last);
    void *arg;
    unsigned index;
    uint64_t first;
    uint64_t last;
} part;

static void *part_main(void *p)
{
    part *t = p;
    t->fn(t->arg, t->index, t->first, t->last);
    return NULL;
}

unsigned common_parallel_parts(uint64_t items, unsigned threads)
{
    if (threads > FIIE_MAX_THREADS)
        threads = FIIE_MAX_THREADS;
    if (threads > items)
        threads = (unsigned)items;
    return threads ? threads : 1;
}

void common_parallel_for(uint64_t items, unsigned threads,
                       void (*fn)(void *arg, unsigned part, uint64_t first, uint64_t last),
                       void *arg)
{
    threads = common_parallel_parts(items, threads);
    if (threads == 1) {
        if (items > 0)
            fn(arg, 0, 0, items);
        return;
    }
    part parts[FIIE_MAX_THREADS];
    pthread_t tid[FIIE_MAX_THREADS];
    int started[FIIE_MAX_THREADS];
    for (unsigned t = 0; t < threads; t++) {
        parts[t] = (part){fn, arg, t, items * t / threads, items * (t + 1) / threads};
        /* Part 0 runs on the calling thread. */
        started[t] = t > 0 && pthread_create(&tid[t], NULL, part_main, &parts[t]) == 0;
    }
    for (unsigned t = 0; t < threads; t++)
        if (!started[t])
            part_main(&parts[t]);
    for (unsigned t = 1; t < threads; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
}
