/* fiie: command-line front end of libfiie. Dispatch only; each command
 * lives in its own cmd_*.c file. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "fiie/fiie.h"

#include "cli.h"
#include "signals.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"detect", cmd_detect, "find faces; one JSON line per image"},
    {"encrypt", cmd_encrypt, "detect faces and encrypt them (FIIE v1)"},
    {"decrypt", cmd_decrypt, "restore the faces of protected PNGs"},
    {"keygen", cmd_keygen, "write a new random key file (mode 0600)"},
    {"analyze", cmd_analyze, "cipher statistics inside the protected region"},
    {"bench", cmd_bench, "benchmarks: bench detect IMAGE, bench cipher"},
    {"demo", cmd_demo, "run the whole pipeline on the bundled sample photo"},
    {"models", cmd_models, "list the built-in face models (the default marked)"},
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: fiie COMMAND [OPTIONS] [ARGS]\n"
            "       fiie --help | --version\n"
            "\n"
            "Detect faces in photos and encrypt exactly those pixels, reversibly:\n"
            "only the key holder can restore them bit-exactly.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "Run 'fiie COMMAND --help' for the options of a command, 'man fiie' for\n"
            "the manual. Start with 'fiie demo'.\n"
            "\n" CLI_METADATA_NOTE
            "\n"
            "Exit status: 0 success, 1 error (in a batch: some file failed), 2 no\n"
            "face found (encrypt, demo), 3 authentication failed (decrypt), 64 usage\n"
            "error. In a batch 1 wins over 3, and 3 over 2.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    /* A file-size limit (RLIMIT_FSIZE) must make a write fail with EFBIG,
     * which the library turns into an error and a removed temporary file,
     * instead of killing the process halfway. */
    signal(SIGXFSZ, SIG_IGN);
    cli_signals_install();
    if (sodium_init() < 0) {
        fprintf(stderr, "fiie: libsodium could not be initialised\n");
        return CLI_EXIT_FAIL;
    }
    const char *c = argv[1];
    if (strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(c, "--version") == 0 || strcmp(c, "-V") == 0) {
        printf("fiie %d.%d.%d (libfiie %s, ABI %d.%d, FIIE format v1)\n", FIIE_VERSION_MAJOR,
               FIIE_VERSION_MINOR, FIIE_VERSION_PATCH, fiie_version_string(), fiie_abi_version() >> 16, fiie_abi_version() & 0xffff);
        return CLI_EXIT_OK;
    }
    if (strcmp(c, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return CLI_EXIT_OK;
        }
        c = argv[2];
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(commands[i].name, c) == 0) {
                char help[] = "--help";
                char *av[] = {help, NULL};
                return commands[i].run(1, av);
            }
        fprintf(stderr, "fiie: unknown command '%s'\n", c);
        return CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, c) == 0)
            return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "fiie: unknown command '%s'\n\n", c);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
