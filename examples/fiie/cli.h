/* Shared declarations of the fiie commands. */
#ifndef FIIE_CLI_H
#define FIIE_CLI_H

#include <stddef.h>
#include <stdio.h>

/* Exit statuses (documented in docs/fiie.1). */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1     /* an error; in a batch: at least one file failed */
#define CLI_EXIT_NOFACE 2   /* encrypt: no face found, nothing written */
#define CLI_EXIT_AUTH 3     /* decrypt: authentication failed, nothing written */
#define CLI_EXIT_USAGE 64   /* bad command line */

/* Each command gets the arguments after its name. */
int cmd_detect(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_encrypt(int argc, char **argv);
int cmd_decrypt(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_models(int argc, char **argv);

/* "fiie: message\n" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: message, hint to --help, returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Start of a command whose only option is --help (keygen, models): parse
 * argv (its positional arguments into pos, *npos; pos holds argc
 * entries), report a usage error, or print help() on --help. Returns -1
 * when the command goes on, else its exit status (CLI_EXIT_OK after the
 * help, CLI_EXIT_USAGE). */
int cli_start_help_only(const char *cmd, int argc, char **argv, void (*help)(void), char **pos,
                        size_t *npos);

/* --help text of --model (detect, encrypt, bench detect). */
#define CLI_MODEL_HELP "built-in model ('fiie models') or .fiiem file (default: the default model)"

/* Note printed in every --help of a command that writes images. */
#define CLI_METADATA_NOTE \
    "Output images are PNG files without identifying metadata: no EXIF, GPS,\n" \
    "text chunks or thumbnails are copied from the input. Only the ICC colour\n" \
    "profile is kept. JPEG orientation is applied before detection.\n"

#endif
