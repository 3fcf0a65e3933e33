/* fiie models: the face models built into the library, one name a line,
 * the default marked; what --model NAME accepts. */
#include <stdio.h>
#include <string.h>

#include "fiie/fiie.h"

#include "args.h"
#include "cli.h"

static void help(void)
{
    printf("Usage: fiie models\n"
           "\n"
           "List the face models built into libfiie, one name a line; the one\n"
           "detect and encrypt use without --model is followed by ' (default)'.\n"
           "Give a name to --model to use that model, e.g. '--model %s'\n"
           "for the original MTCNN weights (provenance: models/README.md).\n"
           "\n"
           "Options:\n",
           FIIE_MODEL_MTCNN_ORIGINAL);
    cli_print_help_only_options(stdout);
    printf("\nExit status: 0, 64 usage error.\n");
}

int cmd_models(int argc, char **argv)
{
    char *pos[argc > 0 ? argc : 1];
    size_t npos = 0;
    int rc = cli_start_help_only("models", argc, argv, help, pos, &npos);
    if (rc >= 0)
        return rc;
    if (npos != 0)
        return cli_usage_error("models", "takes no argument");
    const char *def = fiie_model_default_name();
    const char *name;
    for (size_t i = 0; (name = fiie_model_embedded_name(i)) != NULL; i++)
        printf("%s%s\n", name, strcmp(name, def) == 0 ? " (default)" : "");
    return CLI_EXIT_OK;
}
