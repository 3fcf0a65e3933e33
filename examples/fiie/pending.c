/* Commands whose library API has not landed yet. */
#include "cli.h"

#define PENDING(fn, name)                                                         \
    int fn(int argc, char **argv)                                                 \
    {                                                                             \
        (void)argc;                                                               \
        (void)argv;                                                               \
        cli_error("%s: not available in this build yet", name);                   \
        return CLI_EXIT_FAIL;                                                     \
    }

PENDING(cmd_detect, "detect")
PENDING(cmd_encrypt, "encrypt")
PENDING(cmd_decrypt, "decrypt")
PENDING(cmd_analyze, "analyze")
PENDING(cmd_bench, "bench")
PENDING(cmd_demo, "demo")
