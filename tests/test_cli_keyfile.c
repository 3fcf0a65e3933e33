/* Unit tests of fiie key files and passphrase files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "keyfile.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/fiie_keyfile_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void decode_forms(void **state)
{
    (void)state;
    uint8_t key[32], raw[32];
    for (int i = 0; i < 32; i++)
        raw[i] = (uint8_t)(i * 7 + 1);
    char hex[66];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02X", raw[i]);
    assert_int_equal(cli_key_decode((const uint8_t *)hex, 64, key), 0);
    assert_memory_equal(key, raw, 32);
    hex[64] = '\n';
    assert_int_equal(cli_key_decode((const uint8_t *)hex, 65, key), 0);
    assert_memory_equal(key, raw, 32);
    assert_int_equal(cli_key_decode(raw, 32, key), 0);
    assert_memory_equal(key, raw, 32);
    /* Line ends and blanks around the digits, as editors and Windows leave
     * them, are accepted. */
    const char *around[][2] = {{"", "\r\n"}, {"", "\n\n"}, {"  ", "\t \n"}, {"\n", ""},
                               {" \r\n", "\r\n\r\n"}};
    for (size_t i = 0; i < sizeof around / sizeof around[0]; i++) {
        char text[96];
        int n = snprintf(text, sizeof text, "%s%.64s%s", around[i][0], hex, around[i][1]);
        memset(key, 0, sizeof key);
        assert_int_equal(cli_key_decode((const uint8_t *)text, (size_t)n, key), 0);
        assert_memory_equal(key, raw, 32);
    }
    /* Wrong lengths, a blank inside, junk digit. */
    assert_int_equal(cli_key_decode((const uint8_t *)hex, 63, key), -1);
    assert_int_equal(cli_key_decode(raw, 31, key), -1);
    uint8_t raw33[33];
    memset(raw33, 'a', sizeof raw33); /* 33 bytes: neither form */
    assert_int_equal(cli_key_decode(raw33, 33, key), -1);
    char split[70];
    snprintf(split, sizeof split, "%.32s %.32s", hex, hex + 32);
    assert_int_equal(cli_key_decode((const uint8_t *)split, 65, key), -1);
    hex[64] = '\n';
    hex[10] = 'g';
    assert_int_equal(cli_key_decode((const uint8_t *)hex, 65, key), -1);
    assert_int_equal(cli_key_decode(NULL, 32, key), -1);
}

/* Run fn with standard input reading `data`. */
static int with_stdin(const char *data, size_t n, int (*fn)(void *), void *arg)
{
    char path[128];
    snprintf(path, sizeof path, "%s/stdin", dir);
    write_file(path, data, n);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unlink(path); /* the other tests count the directory's files */
    int saved = dup(0);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fileno(f), 0), 0);
    int rc = fn(arg);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    fclose(f);
    return rc;
}

static int read_key_stdin(void *arg)
{
    char err[256];
    return cli_key_read("-", arg, err, sizeof err);
}

typedef struct pass_out {
    char *p;
    size_t n;
} pass_out;

static int read_pass_stdin(void *arg)
{
    pass_out *o = arg;
    char err[256];
    return cli_passphrase_read("-", &o->p, &o->n, err, sizeof err);
}

static void dash_reads_standard_input(void **state)
{
    (void)state;
    const char hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\r\n";
    uint8_t key[32];
    assert_int_equal(with_stdin(hex, sizeof hex - 1, read_key_stdin, key), 0);
    for (int i = 0; i < 32; i++)
        assert_int_equal(key[i], i);
    assert_int_equal(with_stdin("nope\n", 5, read_key_stdin, key), -1);
    pass_out o = {NULL, 0};
    assert_int_equal(with_stdin("from a pipe\r\n", 13, read_pass_stdin, &o), 0);
    assert_int_equal(o.n, 11);
    assert_string_equal(o.p, "from a pipe");
    cli_secret_free(o.p, o.n);
}

static void write_then_read(void **state)
{
    (void)state;
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/k.key", dir);
    uint8_t key[32], back[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(255 - i);
    mode_t old = umask(0);
    int rc = cli_key_write_new(path, key, err, sizeof err);
    umask(old);
    assert_int_equal(rc, 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, 65);
    assert_int_equal(cli_key_read(path, back, err, sizeof err), 0);
    assert_memory_equal(key, back, 32);
    /* Never overwritten, and no temporary file left behind. */
    uint8_t other[32] = {0};
    assert_int_equal(cli_key_write_new(path, other, err, sizeof err), -3);
    assert_int_equal(cli_key_read(path, back, err, sizeof err), 0);
    assert_memory_equal(key, back, 32);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    /* A dangling symlink in the way is not followed either. */
    char link_path[128];
    snprintf(link_path, sizeof link_path, "%s/dangling.key", dir);
    assert_int_equal(symlink("/nonexistent/target", link_path), 0);
    assert_int_equal(cli_key_write_new(link_path, other, err, sizeof err), -3);
    /* Unwritable location. */
    assert_int_equal(cli_key_write_new("/nonexistent/dir/k", other, err, sizeof err), -2);
    assert_true(strlen(err) > 0);
}

static void read_errors(void **state)
{
    (void)state;
    char path[128], err[256];
    uint8_t key[32];
    assert_int_equal(cli_key_read("/nonexistent/key", key, err, sizeof err), -2);
    assert_int_equal(cli_key_read(dir, key, err, sizeof err), -2);
    snprintf(path, sizeof path, "%s/bad.key", dir);
    write_file(path, "hello\n", 6);
    assert_int_equal(cli_key_read(path, key, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a key file"));
    /* A large file is refused, not truncated to its first bytes. */
    char big[200];
    memset(big, 'a', sizeof big);
    write_file(path, big, sizeof big);
    assert_int_equal(cli_key_read(path, key, err, sizeof err), -1);
    /* ... even when blanks would reduce it to a key */
    char padded[CLI_KEY_FILE_MAX + 65];
    memset(padded, ' ', sizeof padded);
    memset(padded + sizeof padded - 64, 'a', 64);
    write_file(path, padded, sizeof padded);
    assert_int_equal(cli_key_read(path, key, err, sizeof err), -1);
    write_file(path, padded + sizeof padded - 64 - 10, 64 + 10);
    assert_int_equal(cli_key_read(path, key, err, sizeof err), 0);
}

static void passphrase_files(void **state)
{
    (void)state;
    char path[128], err[256];
    char *p;
    size_t n;
    snprintf(path, sizeof path, "%s/pass", dir);
    write_file(path, "correct horse\n", 14);
    assert_int_equal(cli_passphrase_read(path, &p, &n, err, sizeof err), 0);
    assert_int_equal(n, 13);
    assert_string_equal(p, "correct horse");
    cli_secret_free(p, n);
    /* Only one newline is removed; inner bytes are kept. */
    write_file(path, "a\nb\n\n", 5);
    assert_int_equal(cli_passphrase_read(path, &p, &n, err, sizeof err), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(p, "a\nb\n", 4);
    cli_secret_free(p, n);
    write_file(path, "crlf\r\n", 6); /* a Windows line end is not part of it */
    assert_int_equal(cli_passphrase_read(path, &p, &n, err, sizeof err), 0);
    assert_int_equal(n, 4);
    assert_string_equal(p, "crlf");
    cli_secret_free(p, n);
    write_file(path, "no-newline", 10);
    assert_int_equal(cli_passphrase_read(path, &p, &n, err, sizeof err), 0);
    assert_int_equal(n, 10);
    cli_secret_free(p, n);
    write_file(path, "\n", 1);
    assert_int_equal(cli_passphrase_read(path, &p, &n, err, sizeof err), -1);
    assert_null(p);
    write_file(path, "", 0);
    assert_int_equal(cli_passphrase_read(path, &p, &n, err, sizeof err), -1);
    char *big = malloc(CLI_PASSPHRASE_MAX + 1);
    assert_non_null(big);
    memset(big, 'x', CLI_PASSPHRASE_MAX + 1);
    write_file(path, big, CLI_PASSPHRASE_MAX);
    assert_int_equal(cli_passphrase_read(path, &p, &n, err, sizeof err), 0);
    assert_int_equal(n, CLI_PASSPHRASE_MAX);
    cli_secret_free(p, n);
    write_file(path, big, CLI_PASSPHRASE_MAX + 1);
    assert_int_equal(cli_passphrase_read(path, &p, &n, err, sizeof err), -1);
    free(big);
    assert_int_equal(cli_passphrase_read("/nonexistent/pass", &p, &n, err, sizeof err), -2);
    cli_secret_free(NULL, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decode_forms),
        cmocka_unit_test(dash_reads_standard_input),
        cmocka_unit_test(write_then_read),
        cmocka_unit_test(read_errors),
        cmocka_unit_test(passphrase_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
