/* fiie keygen KEYFILE: a new random key, 64 hex digits + newline, mode
 * 0600, never overwriting. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "args.h"
#include "cli.h"
#include "keyfile.h"

static void help(void)
{
    printf("Usage: fiie keygen KEYFILE\n"
           "\n"
           "Write a new random 256-bit key to KEYFILE as 64 hexadecimal digits and\n"
           "a newline, with mode 0600. An existing file is never replaced. Keep the\n"
           "key: without it the protected faces cannot be restored.\n"
           "\n"
           "Options:\n");
    cli_print_help_only_options(stdout);
    printf("\nExit status: 0 key written, 1 an error (KEYFILE exists or cannot be\n"
           "written), 64 usage error.\n");
}

int cmd_keygen(int argc, char **argv)
{
    char *pos[argc > 0 ? argc : 1];
    size_t npos = 0;
    int rc = cli_start_help_only("keygen", argc, argv, help, pos, &npos);
    if (rc >= 0)
        return rc;
    if (npos != 1)
        return cli_usage_error("keygen", "expected one KEYFILE");
    if (sodium_init() < 0) {
        cli_error("keygen: libsodium could not be initialised");
        return CLI_EXIT_FAIL;
    }
    uint8_t key[CLI_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    char err[512];
    rc = cli_key_write_new(pos[0], key, err, sizeof err);
    sodium_memzero(key, sizeof key);
    if (rc != 0) {
        cli_error("keygen: %s", err);
        return CLI_EXIT_FAIL;
    }
    fprintf(stderr, "fiie: new key written to %s (mode 0600); keep it safe\n", pos[0]);
    return CLI_EXIT_OK;
}
