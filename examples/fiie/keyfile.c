#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "fiie/common.h"

#include "args.h"
#include "signals.h"

/* Surrounding blanks and line ends of a text key file (an editor's final
 * newline, Windows CRLF, a pasted leading space). */
static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int cli_key_decode(const uint8_t *data, size_t len, uint8_t key[CLI_KEY_BYTES])
{
    if (!data || !key)
        return -1;
    if (len == CLI_KEY_BYTES) {
        memcpy(key, data, CLI_KEY_BYTES);
        return 0;
    }
    while (len > 0 && is_blank(data[0])) {
        data++;
        len--;
    }
    while (len > 0 && is_blank(data[len - 1]))
        len--;
    if (len != 2 * CLI_KEY_BYTES)
        return -1;
    uint8_t tmp[CLI_KEY_BYTES];
    if (cli_hex_decode(data, tmp, CLI_KEY_BYTES) != 0) {
        sodium_memzero(tmp, sizeof tmp);
        return -1;
    }
    memcpy(key, tmp, CLI_KEY_BYTES);
    sodium_memzero(tmp, sizeof tmp);
    return 0;
}

/* Read at most cap bytes of `path`, or of standard input for "-";
 * *len > cap-1 tells the caller "too large". */
static int read_small(const char *path, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errlen)
{
    int from_stdin = strcmp(path, "-") == 0;
    const char *name = from_stdin ? "standard input" : path;
    int fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -2;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!from_stdin)
            close(fd);
        snprintf(err, errlen, "%s: is a directory", name);
        return -2;
    }
    size_t n = 0;
    int rc = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: %s", name, strerror(errno));
            rc = -2;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (!from_stdin)
        close(fd);
    *len = n;
    return rc;
}

int cli_key_read(const char *path, uint8_t key[CLI_KEY_BYTES], char *err, size_t errlen)
{
    uint8_t buf[CLI_KEY_FILE_MAX + 1];
    size_t n = 0;
    int rc = read_small(path, buf, sizeof buf, &n, err, errlen);
    if (rc == 0)
        rc = n <= CLI_KEY_FILE_MAX ? cli_key_decode(buf, n, key) : -1;
    sodium_memzero(buf, sizeof buf);
    if (rc == -1)
        snprintf(err, errlen,
                 "%s: not a key file (expected 64 hex digits, blanks and line ends around them "
                 "allowed, or 32 raw bytes)",
                 strcmp(path, "-") == 0 ? "standard input" : path);
    return rc;
}

int cli_key_write_new(const char *path, const uint8_t key[CLI_KEY_BYTES], char *err, size_t errlen)
{
    static const char hex[] = "0123456789abcdef";
    char text[2 * CLI_KEY_BYTES + 1];
    for (size_t i = 0; i < CLI_KEY_BYTES; i++) {
        text[2 * i] = hex[key[i] >> 4];
        text[2 * i + 1] = hex[key[i] & 15];
    }
    text[2 * CLI_KEY_BYTES] = '\n';

    /* Mode 0600 whatever the umask; the file appears complete or not at
     * all, and never replaces anything (not even a dangling symlink). */
    int rc = FIIE_E_IO, saved = EINTR;
    if (cli_write_begin() == 0) { /* an interruption waits for the write (signals.h) */
        rc = fiie_file_write_atomic(path, text, sizeof text,
                                    FIIE_FILE_NO_CLOBBER | FIIE_FILE_PRIVATE);
        saved = errno;
        cli_write_end();
    }
    sodium_memzero(text, sizeof text);
    if (rc == FIIE_E_EXISTS) {
        snprintf(err, errlen, "%s: already exists (a key file is never overwritten)", path);
        return -3;
    }
    if (rc == FIIE_E_IO)
        snprintf(err, errlen, "%s: %s", path, strerror(saved));
    else if (rc)
        snprintf(err, errlen, "%s: %s", path, fiie_strerror(rc));
    return rc ? -2 : 0;
}

int cli_passphrase_read(const char *path, char **pass, size_t *len, char *err, size_t errlen)
{
    *pass = NULL;
    *len = 0;
    uint8_t *buf = malloc(CLI_PASSPHRASE_MAX + 2);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -2;
    }
    size_t n = 0;
    int rc = read_small(path, buf, CLI_PASSPHRASE_MAX + 1, &n, err, errlen);
    if (rc) {
        cli_secret_free(buf, CLI_PASSPHRASE_MAX + 2);
        return rc;
    }
    if (n > CLI_PASSPHRASE_MAX) {
        snprintf(err, errlen, "%s: passphrase file larger than %u bytes", path, CLI_PASSPHRASE_MAX);
        cli_secret_free(buf, CLI_PASSPHRASE_MAX + 2);
        return -1;
    }
    /* One line end, LF or CRLF, is not part of the passphrase. */
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    if (n == 0) {
        snprintf(err, errlen, "%s: empty passphrase", path);
        cli_secret_free(buf, CLI_PASSPHRASE_MAX + 2);
        return -1;
    }
    char *p = malloc(n + 1);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        cli_secret_free(buf, CLI_PASSPHRASE_MAX + 2);
        return -2;
    }
    memcpy(p, buf, n);
    p[n] = '\0';
    cli_secret_free(buf, CLI_PASSPHRASE_MAX + 2);
    *pass = p;
    *len = n;
    return 0;
}

/* The terminal silenced by a prompt in progress, for cli_tty_restore()
 * (a signal may arrive while the echo is off). */
static volatile sig_atomic_t tty_silenced_fd = -1;
static struct termios tty_saved;

void cli_tty_restore(void)
{
    int fd = tty_silenced_fd;
    if (fd >= 0) {
        tcsetattr(fd, TCSAFLUSH, &tty_saved);
        tty_silenced_fd = -1;
    }
}

/* One line from the terminal, without its line end, echo off. */
static int read_tty_line(int fd, const char *prompt, uint8_t *buf, size_t cap, size_t *len)
{
    /* Echo off before the prompt appears: whatever is typed after it is
     * never shown (and never flushed away). */
    struct termios quiet = tty_saved;
    quiet.c_lflag &= (tcflag_t)~(ECHO | ECHOE | ECHOK);
    quiet.c_lflag |= ECHONL; /* the Enter still moves to a new line */
    tty_silenced_fd = fd;
    if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
        tty_silenced_fd = -1;
        return -2;
    }
    if (write(fd, prompt, strlen(prompt)) < 0) {
        cli_tty_restore();
        return -2;
    }
    size_t n = 0;
    int rc = 0;
    for (;;) {
        uint8_t c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = n == 0 ? -2 : 0; /* end of input ends the line too */
            break;
        }
        if (c == '\n')
            break;
        if (n < cap)
            buf[n] = c;
        n++;
    }
    /* Back to the saved settings without discarding what follows. */
    if (tty_silenced_fd >= 0) {
        tcsetattr(fd, TCSADRAIN, &tty_saved);
        tty_silenced_fd = -1;
    }
    if (n > 0 && n <= cap && buf[n - 1] == '\r')
        n--;
    *len = n;
    return rc;
}

int cli_passphrase_prompt(const char *prompt, int confirm, char **pass, size_t *len, char *err,
                          size_t errlen)
{
    *pass = NULL;
    *len = 0;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 || tcgetattr(fd, &tty_saved) != 0) {
        snprintf(err, errlen, "--passphrase needs a terminal to ask on; use --passphrase-file F "
                              "(or --passphrase-file - for standard input)");
        if (fd >= 0)
            close(fd);
        return -2;
    }
    size_t cap = CLI_PASSPHRASE_MAX;
    uint8_t *a = malloc(cap), *b = confirm ? malloc(cap) : NULL;
    size_t na = 0, nb = 0;
    int rc = (a == NULL || (confirm && b == NULL)) ? -2 : 0;
    if (rc == 0)
        rc = read_tty_line(fd, prompt, a, cap, &na);
    if (rc == 0 && confirm)
        rc = read_tty_line(fd, "Repeat the passphrase: ", b, cap, &nb);
    close(fd);
    if (rc != 0)
        snprintf(err, errlen, "cannot read the passphrase from the terminal");
    else if (na > cap)
        rc = -1, snprintf(err, errlen, "passphrase longer than %u bytes", CLI_PASSPHRASE_MAX);
    else if (na == 0)
        rc = -1, snprintf(err, errlen, "empty passphrase");
    else if (confirm && (na != nb || sodium_memcmp(a, b, na) != 0))
        rc = -1, snprintf(err, errlen, "the two passphrases differ; nothing was encrypted");
    char *p = rc == 0 ? malloc(na + 1) : NULL;
    if (rc == 0 && p == NULL)
        rc = -2, snprintf(err, errlen, "out of memory");
    if (rc == 0) {
        memcpy(p, a, na);
        p[na] = '\0';
        *pass = p;
        *len = na;
    }
    cli_secret_free(a, cap);
    cli_secret_free(b, cap);
    return rc;
}

void cli_secret_free(void *p, size_t len)
{
    if (!p)
        return;
    sodium_memzero(p, len);
    free(p);
}
