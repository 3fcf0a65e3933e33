/* Progress line for long batches: files done, faces found, rate, ETA.
 * Drawn on stderr only when it is a terminal and not --quiet; updates are
 * rate-limited and safe to call from several worker threads. */
#ifndef FIIE_CLI_PROGRESS_H
#define FIIE_CLI_PROGRESS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct progress {
    FILE *out;          /* NULL: silent */
    pthread_mutex_t lock;
    size_t total, done;
    uint64_t faces;
    size_t skipped;
    double start, last_draw;
    int drawn;          /* a line is on screen and must be cleared */
} progress;

/** Start. `enabled` is usually isatty(2) && !quiet. */
void progress_init(progress *p, FILE *out, int enabled, size_t total);
/** One file finished with `faces` faces, or skipped (non-zero `skipped`). */
void progress_step(progress *p, uint64_t faces, int skipped);
/** Clear the line before printing a message (call with a message ready). */
void progress_clear(progress *p);
/** Print a message (e.g. an error for one file) without tearing the
 * progress line: the line is cleared first and redrawn on the next step. */
void progress_printf(progress *p, FILE *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Final newline-free clear; releases the lock. */
void progress_finish(progress *p);

/** Pure formatting of one line (for the tests). elapsed in seconds.
 * width: bar width in characters. `skipped` of the `done` files were
 * skipped (shown when non-zero). Returns the length written. */
int progress_format(char *buf, size_t len, size_t done, size_t total, uint64_t faces,
                    size_t skipped, double elapsed, int width);

/** Monotonic clock in seconds. */
double progress_now(void);

#endif
