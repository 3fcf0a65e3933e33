/* What `fiie encrypt` and `fiie decrypt` share: the key and batch options
 * and their checks, and the rules for writing a protected or restored
 * image (parent directories made only once there is something to write,
 * never replacing a file without --force, pixels wiped before release).
 * Each command keeps its own options, per-file work and exit statuses in
 * cmd_encrypt.c and cmd_decrypt.c. */
#ifndef FIIE_CLI_CRYPT_H
#define FIIE_CLI_CRYPT_H

#include <stddef.h>

#include "fiie/fiie.h"

#include "args.h"
#include "batch.h"
#include "common.h"

/* The key option rows of both commands. */
#define CRYPT_KEY_OPTS(passfile_help)                                                             \
    {"key-file", 'k', 1, OPT_KEY_FILE, "F", "key file (64 hex digits, or 32 raw bytes); - reads stdin"}, \
    {"passphrase-file", 'p', 1, OPT_PASSPHRASE_FILE, "F", passfile_help},                       \
    {"passphrase", 0, 0, OPT_PASSPHRASE, NULL, "type the passphrase (terminal, no echo)"}

/* The option-table rows both commands end with (before --help). */
#define CRYPT_BATCH_OPTS(suffix_help)                                                             \
    {"recursive", 'r', 0, OPT_RECURSIVE, NULL, "read images from directories recursively"},      \
    {"out-dir", 0, 1, OPT_OUT_DIR, "DIR", "write outputs below DIR, keeping relative paths"},     \
    {"output", 'o', 1, OPT_OUTPUT, "FILE", "output file (one input only)"},                      \
    {"suffix", 0, 1, OPT_SUFFIX, "S", suffix_help},                                               \
    {"force", 'f', 0, OPT_FORCE, NULL, "replace existing output files"},                         \
    {"in-place", 0, 0, OPT_IN_PLACE, NULL, "replace each input file by its output (PNG only)"},  \
    {"threads", 'j', 1, OPT_THREADS, "N", "threads: files in parallel, or within one image (default: one file at a time; one image: one per CPU)"},    \
    {"quiet", 'q', 0, OPT_QUIET, NULL, "only errors; no progress line"},                         \
    {"json", 0, 0, OPT_JSON, NULL, "print a JSON summary of the batch on stdout"},               \
    {"compression", 0, 1, OPT_COMPRESSION, "N", "PNG compression 1 (fastest) .. 9 (smallest); default 4 (libdeflate)"}

/* The command-line state both commands parse alike. */
typedef struct crypt_args {
    key_source key;
    batch_options bo;
    unsigned compression; /* --compression; 0: the library's default level */
    int help;
    int no_key_needed; /* encrypt --dry-run */
} crypt_args;

/* crypt_parse(): the command goes on (any other value is an exit status). */
#define CRYPT_GO_ON (-1)

/** Defaults of both commands: one thread, outputs written, named with
 * `suffix`, directories read for files with the extensions `exts`. */
void crypt_args_init(crypt_args *a, const char *suffix, const char *const *exts);

/** Handle a key or batch option.
 * @return 1 if `id` was one, 0 if not, -1 on a bad value (message in err). */
int crypt_option(crypt_args *a, int id, const char *value, char *err, size_t errlen);

/** Parse the command line (the command's own options go to on_opt, which
 * hands the rest to crypt_option()), then print the help if asked, check
 * that exactly one key and at least one input were given, and take the
 * form "IN OUT.png" (two inputs and no output option) as -o OUT.png.
 * @return CRYPT_GO_ON, or the exit status to return now (messages printed). */
int crypt_parse(crypt_args *a, const char *cmd, int argc, char **argv, const cli_opt *opts,
                size_t nopts, cli_opt_fn on_opt, void *ctx, char **pos, size_t *npos,
                void (*help)(void));

/** The raw key of --key-file as a fiie_key (*key stays NULL without one).
 * @return 0 or a FIIE_E_* status (reported on stderr). */
int crypt_raw_key(const crypt_args *a, const char *cmd, fiie_key **key);

/** Per-worker state of both commands; decrypt leaves det NULL. */
typedef struct crypt_worker {
    fiie_detector *det;  /* one per worker (the model is shared) */
    unsigned threads;    /* within one image */
} crypt_worker;

/** A worker with no detector yet. @return 0, or -1 with the reason in err. */
int crypt_worker_new(crypt_worker **w, unsigned threads, char *err, size_t errlen);
/** batch_ops.worker_fini of both commands (NULL-safe). */
void crypt_worker_free(void *ctx, void *ws);

/** Mark the file failed: "what: reason of rc". */
void crypt_fail(batch_result *res, const char *what, int rc);

/** Save flags for this job: no clobbering unless --force or in place, the
 * --compression level. */
unsigned crypt_save_flags(const crypt_args *a, const batch_job *job);

/** An input with nothing to do (already protected, not protected): with
 * -o FILE an error (the file asked for cannot be written), in a batch a
 * skip with a note. Fills res from the format. @return -1. */
int crypt_skip_or_fail(const batch_job *job, batch_result *res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Create the output's missing parent directories (call only once there
 * is something to write, so failed files leave no empty directories).
 * @return 0, or -1 with res filled. */
int crypt_make_parents(const batch_job *job, batch_result *res);

/** Report a save's status rc: an existing output and any other failure
 * get their own message. @return 0 when rc is 0, else -1 with res filled. */
int crypt_save_checked(const batch_job *job, batch_result *res, int rc);

/** Wipe the pixels (they may be plain faces) and free the image. */
void crypt_image_wipe(fiie_image *img);

#endif
