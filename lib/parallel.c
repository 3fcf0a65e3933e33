/* Minimal fork-join over pthreads (see parallel.h). */
#include <pthread.h>

#include "parallel.h"

typedef struct part {
    void (*fn)(void *arg, uint64_t first, uint64_t last);
    void *arg;
    uint64_t first;
    uint64_t last;
} part;

static void *part_main(void *p)
{
    part *t = p;
    t->fn(t->arg, t->first, t->last);
    return NULL;
}

void fiie_parallel_for(uint64_t items, unsigned threads,
                       void (*fn)(void *arg, uint64_t first, uint64_t last), void *arg)
{
    if (threads > FIIE_MAX_THREADS)
        threads = FIIE_MAX_THREADS;
    if (threads > items)
        threads = (unsigned)items;
    if (threads <= 1) {
        if (items > 0)
            fn(arg, 0, items);
        return;
    }
    part parts[FIIE_MAX_THREADS];
    pthread_t tid[FIIE_MAX_THREADS];
    int started[FIIE_MAX_THREADS];
    for (unsigned t = 0; t < threads; t++) {
        parts[t] = (part){fn, arg, items * t / threads, items * (t + 1) / threads};
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
