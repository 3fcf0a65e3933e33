/* Key files and passphrase files of the fiie tool.
 *
 * Key file: 64 hex digits (either case) with any blanks and line ends
 * (space, tab, CR, LF) around them, or exactly 32 raw bytes. Passphrase
 * file: the whole file minus one trailing line end (LF or CRLF). The path
 * "-" reads standard input. Every buffer that held a secret is wiped. */
#ifndef FIIE_CLI_KEYFILE_H
#define FIIE_CLI_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#define CLI_KEY_BYTES 32u
/* Largest key file read (hex digits plus blanks; bigger is not a key). */
#define CLI_KEY_FILE_MAX 256u
/* Largest passphrase file read (bigger files are refused, not truncated). */
#define CLI_PASSPHRASE_MAX 4096u

/** Decode key file contents. @return 0 or -1 (not one of the two forms). */
int cli_key_decode(const uint8_t *data, size_t len, uint8_t key[CLI_KEY_BYTES]);

/** Read and decode a key file ("-": standard input).
 * @return 0, -1 (bad contents), -2 (I/O); the message is in err. */
int cli_key_read(const char *path, uint8_t key[CLI_KEY_BYTES], char *err, size_t errlen);

/** Write `key` as 64 lowercase hex digits and "\n" to a new file of mode
 * 0600. Refuses to replace an existing file (-3); the file appears
 * complete or not at all (libfiie's fiie_file_write_atomic()).
 * @return 0, -2 (I/O, message in err) or -3 (exists). */
int cli_key_write_new(const char *path, const uint8_t key[CLI_KEY_BYTES], char *err, size_t errlen);

/** Read a passphrase file ("-": standard input) into a new buffer (free
 * with cli_secret_free()). @return 0, -1 (empty or too large), -2 (I/O). */
int cli_passphrase_read(const char *path, char **pass, size_t *len, char *err, size_t errlen);

/** Ask for a passphrase on the terminal (/dev/tty) without echo; with
 * `confirm`, ask a second time and refuse a mismatch. The terminal's
 * settings are restored afterwards, also by cli_tty_restore() from a
 * signal handler. @return 0, -1 (empty, mismatch: message in err), -2 (no
 * terminal or I/O: message in err). */
int cli_passphrase_prompt(const char *prompt, int confirm, char **pass, size_t *len, char *err,
                          size_t errlen);

/** Put back the echo of a terminal left silent by cli_passphrase_prompt()
 * (async-signal-safe; does nothing when no prompt is in progress). */
void cli_tty_restore(void);

/** Wipe and free a secret buffer (NULL-safe). */
void cli_secret_free(void *p, size_t len);

#endif
