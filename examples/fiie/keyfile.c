#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fiie/common.h"

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int cli_key_decode(const uint8_t *data, size_t len, uint8_t key[CLI_KEY_BYTES])
{
    if (!data || !key)
        return -1;
    if (len == CLI_KEY_BYTES) {
        memcpy(key, data, CLI_KEY_BYTES);
        return 0;
    }
    if (len == 2 * CLI_KEY_BYTES + 1 && data[len - 1] == '\n')
        len--;
    if (len != 2 * CLI_KEY_BYTES)
        return -1;
    uint8_t tmp[CLI_KEY_BYTES];
    for (size_t i = 0; i < CLI_KEY_BYTES; i++) {
        int hi = hexval(data[2 * i]), lo = hexval(data[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            sodium_memzero(tmp, sizeof tmp);
            return -1;
        }
        tmp[i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(key, tmp, CLI_KEY_BYTES);
    sodium_memzero(tmp, sizeof tmp);
    return 0;
}

/* Read at most cap bytes; *len > cap-1 tells the caller "too large". */
static int read_small(const char *path, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -2;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "%s: is a directory", path);
        return -2;
    }
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            close(fd);
            return -2;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    *len = n;
    return 0;
}

int cli_key_read(const char *path, uint8_t key[CLI_KEY_BYTES], char *err, size_t errlen)
{
    uint8_t buf[2 * CLI_KEY_BYTES + 2];
    size_t n = 0;
    int rc = read_small(path, buf, sizeof buf, &n, err, errlen);
    if (rc)
        return rc;
    rc = cli_key_decode(buf, n, key);
    sodium_memzero(buf, sizeof buf);
    if (rc)
        snprintf(err, errlen, "%s: not a key file (expected 64 hex digits or 32 raw bytes)", path);
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
    int rc = fiie_file_write_atomic(path, text, sizeof text,
                                    FIIE_FILE_NO_CLOBBER | FIIE_FILE_PRIVATE);
    int saved = errno;
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
    if (n > 0 && buf[n - 1] == '\n')
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

void cli_secret_free(void *p, size_t len)
{
    if (!p)
        return;
    sodium_memzero(p, len);
    free(p);
}
