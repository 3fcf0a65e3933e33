/* Split a range of independent work items over threads. */
#ifndef FIIE_LIB_PARALLEL_H
#define FIIE_LIB_PARALLEL_H

#include <stdint.h>

#define FIIE_MAX_THREADS 64u

/* Call fn(arg, first, last) on contiguous sub-ranges covering [0, items),
 * on up to `threads` threads (0/1: only the caller). Never fails: a part
 * whose thread cannot start is run by the caller, so the work done (and
 * any output) never depends on the threads available. */
void fiie_parallel_for(uint64_t items, unsigned threads,
                       void (*fn)(void *arg, uint64_t first, uint64_t last), void *arg);

#endif /* FIIE_LIB_PARALLEL_H */
