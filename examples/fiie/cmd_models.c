/* fiie models: the face models built into the library, one name a line,
 * the default marked; what --model NAME accepts. */
#include <stdio.h>
#include <string.h>

#include "fiie/fiie.h"

#include "args.h"
#include "cli.h"

static const cli_opt models_opts[] = {
    {"help", 'h', 0, 'h', NULL, "show this help"},
};

static int on_opt(void *ctx, int id, const char *value, char *err, size_t errlen)
{
    (void)value;
    (void)err;
    (void)errlen;
    *(int *)ctx = id == 'h';
    return 0;
}

static void help(void)
{
    printf("Usage: fiie models\n"
           "\n"
           "List the face models built into libfiie, one name a line; the one\n"
           "detect and encrypt use without --model is followed by ' (default)'.\n"
           "Give a name to --model to use that model, e.g. '--model %s' for the\n"
           "original MTCNN weights (their provenance: models/README.md).\n"
           "\n"
           "Options:\n",
           FIIE_MODEL_MTCNN_ORIGINAL);
    cli_print_options(stdout, models_opts, sizeof models_opts / sizeof models_opts[0]);
    printf("\nExit status: 0, 64 usage error.\n");
}

int cmd_models(int argc, char **argv)
{
    char *pos[argc > 0 ? argc : 1];
    size_t npos = 0;
    char err[512];
    int want_help = 0;
    if (cli_parse(argc, argv, models_opts, sizeof models_opts / sizeof models_opts[0], on_opt,
                  &want_help, pos, &npos, err, sizeof err) != 0)
        return cli_usage_error("models", "%s", err);
    if (want_help) {
        help();
        return CLI_EXIT_OK;
    }
    if (npos != 0)
        return cli_usage_error("models", "takes no argument");
    const char *def = fiie_model_default_name();
    const char *name;
    for (size_t i = 0; (name = fiie_model_embedded_name(i)) != NULL; i++)
        printf("%s%s\n", name, strcmp(name, def) == 0 ? " (default)" : "");
    return CLI_EXIT_OK;
}
