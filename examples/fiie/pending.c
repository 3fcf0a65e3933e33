/* Commands whose library API is not in this tree yet (see meson.build). */
#include "cli.h"

#define PENDING(fn, name)                                                         \
    int fn(int argc, char **argv)                                                 \
    {                                                                             \
        (void)argc;                                                               \
        (void)argv;                                                               \
        cli_error("%s: not available in this build yet", name);                   \
        return CLI_EXIT_FAIL;                                                     \
    }

#if !FIIE_CLI_HAVE_DETECTOR
PENDING(cmd_detect, "detect")
#endif
#if !FIIE_CLI_HAVE_CIPHER
PENDING(cmd_encrypt, "encrypt")
PENDING(cmd_decrypt, "decrypt")
PENDING(cmd_analyze, "analyze")
PENDING(cmd_bench, "bench")
PENDING(cmd_demo, "demo")
#endif

/* Keeps this file a valid translation unit when nothing is pending. */
typedef int fiie_cli_pending_placeholder;
