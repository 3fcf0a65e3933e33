/* The batch engine shared by detect, encrypt and decrypt: input walking,
 * output naming and safety rules, worker threads (files in parallel),
 * progress line, per-file messages, --json summary and the exit status. */
#ifndef FIIE_CLI_BATCH_H
#define FIIE_CLI_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "walk.h"

/* Per-file outcome. */
typedef enum batch_status {
    BATCH_OK = 0,
    BATCH_ERROR,    /* unreadable input, write failure, ... */
    BATCH_NOFACE,   /* encrypt: nothing to protect, nothing written */
    BATCH_AUTH,     /* decrypt: authentication failed, nothing written */
    BATCH_EXISTS,   /* output named with -o exists and --force was not given */
    BATCH_SKIPPED,  /* nothing to do: output exists (batch naming, no --force),
                       or the input needs no work (encrypt: already protected;
                       decrypt: not protected); not an error */
} batch_status;

typedef struct batch_result {
    batch_status status;
    uint64_t faces;
    uint64_t pixels;  /* protected pixels */
    char msg[512];    /* error text, or a short note on success */
    char warn[256];   /* a warning about this file (shown unless --quiet), or "" */
    char *line;       /* malloc'd line for stdout (detect's JSON), printed in input order */
} batch_result;

typedef struct batch_job {
    size_t index;
    const char *input;
    const char *output;  /* NULL when the command writes no file */
    int in_place;        /* output == input, replacing it is intended */
    int explicit_output; /* named with -o: what prevents writing it is an error,
                            not a skip */
} batch_job;

typedef struct batch_ops {
    const char *command;  /* "encrypt", ... (messages, JSON) */
    /* Per worker thread: create and destroy private state (detector, key). */
    int (*worker_init)(void *ctx, void **wstate, unsigned worker_threads, char *err, size_t errlen);
    void (*worker_fini)(void *ctx, void *wstate);
    /* Process one file. Must fill res->status (and msg on failure). */
    void (*run)(void *ctx, void *wstate, const batch_job *job, batch_result *res);
} batch_ops;

typedef struct batch_options {
    int writes_output;        /* encrypt/decrypt: 1; detect: 0 */
    int recursive;
    const char *out_dir;
    const char *output;       /* -o FILE (single input) */
    int force;
    int in_place;
    int quiet;
    int json;                 /* a JSON summary object on stdout at the end */
    int dry_run;              /* nothing is written: messages say "would write" */
    unsigned threads;         /* files in parallel when several, else threads
                                 within the one image; 0 (not given): one
                                 file at a time, and single_threads within
                                 a single image */
    unsigned single_threads;  /* 0: one */
    const char *suffix;       /* output name suffix, e.g. "_fiie.png" */
    const char *strip_marker; /* decrypt without --suffix: "_fiie", see
                                 walk_restored_path(); NULL otherwise */
    const char *const *exts;  /* extensions taken from directories */
} batch_options;

/** Run a batch. Returns the process exit status (CLI_EXIT_*). */
int batch_run(const batch_options *o, const batch_ops *ops, void *ctx,
              char **inputs, size_t ninputs);

/** Status name used in the JSON summary ("ok", "error", "no_face",
 * "auth_failed", "exists", "skipped"). */
const char *batch_status_name(batch_status s);

/** CPU count (>= 1). */
unsigned batch_cpu_count(void);

#endif
