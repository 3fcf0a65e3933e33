/* Split a range of independent work items over threads. */
#ifndef FIIE_LIB_PARALLEL_H
#define FIIE_LIB_PARALLEL_H

#include <stdint.h>

#define FIIE_MAX_THREADS 64u

/* Number of parts fiie_parallel_for() uses for these arguments (>= 1). */
unsigned fiie_parallel_parts(uint64_t items, unsigned threads);

/* Call fn(arg, part, first, last) for part = 0 .. parts-1 on contiguous
 * sub-ranges covering [0, items), each part on its own thread (part 0 on
 * the caller's). Never fails: a part whose thread cannot start is run by
 * the caller, so the work done (and any output) never depends on the
 * threads available. */
void fiie_parallel_for(uint64_t items, unsigned threads,
                       void (*fn)(void *arg, unsigned part, uint64_t first, uint64_t last),
                       void *arg);

#endif /* FIIE_LIB_PARALLEL_H */
