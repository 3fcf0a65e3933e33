/* Table-driven option parsing for the fiie subcommands, plus strict
 * number parsers. Pure functions: no output, no exit; errors come back as
 * text in a caller buffer so that the callers decide how to report them. */
#ifndef FIIE_CLI_ARGS_H
#define FIIE_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** One accepted option. `id` is what the callback receives. */
typedef struct cli_opt {
    const char *name;     /* long name without dashes, e.g. "min-face" */
    char short_name;      /* 0 when there is none */
    int takes_value;      /* 1: needs a value (--x V, --x=V, -x V, -xV) */
    int id;
    const char *metavar;  /* shown in --help, e.g. "N" */
    const char *help;     /* one line */
} cli_opt;

/** Called for each option in command-line order. Return 0 to go on, or
 * non-zero after writing a message into err (parsing stops). */
typedef int (*cli_opt_fn)(void *ctx, int id, const char *value, char *err, size_t errlen);

/** Parse argv[0..argc-1] (the subcommand's own arguments, without the
 * subcommand name). Options may appear anywhere; "--" ends them.
 * Positional arguments are stored (pointers into argv) into pos, which
 * must hold argc entries.
 * @return 0, or -1 with a message in err. */
int cli_parse(int argc, char **argv, const cli_opt *opts, size_t nopts,
              cli_opt_fn fn, void *ctx, char **pos, size_t *npos,
              char *err, size_t errlen);

/** Print an options table for --help. */
void cli_print_options(FILE *f, const cli_opt *opts, size_t nopts);

/** cli_parse() for a command whose only option is --help (-h): *help is
 * set to 1 when it was given, else 0. Same return as cli_parse(). */
int cli_parse_help_only(int argc, char **argv, int *help, char **pos, size_t *npos,
                        char *err, size_t errlen);
/** The options table of such a command, for its --help. */
void cli_print_help_only_options(FILE *f);

/* Strict number parsers: the whole string must be consumed, no leading
 * space, range checked. Return 0 or -1. */
int cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
int cli_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int cli_parse_double(const char *s, double min, double max, double *out);
/** "A,B,C": exactly n comma-separated doubles in [min, max]. */
int cli_parse_double_list(const char *s, size_t n, double min, double max, double *out);
/** Hex string of exactly 2*n characters (either case) into n bytes. */
int cli_parse_hex(const char *s, uint8_t *out, size_t n);
/** The 2*n hex digits (either case) at hex, not NUL-terminated, into n
 * bytes, in time independent of the digits (key files). Returns 0 or -1
 * (then out may hold part of the bytes: wipe it if it is a secret). */
int cli_hex_decode(const uint8_t *hex, uint8_t *out, size_t n);

/** --model VALUE names a file, not an embedded model, when it contains a
 * '/' or ends in ".fiiem" (embedded names never do, see
 * fiie_model_new_embedded()). Returns 1 or 0. */
int cli_model_is_path(const char *value);

/** Threads for "-j 0" (one per CPU) on a machine with `cpus` CPUs: at
 * least 1, at most FIIE_MAX_THREADS (what the library accepts). */
unsigned cli_threads_for_cpus(unsigned cpus);

#endif
