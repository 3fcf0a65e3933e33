#include <stdarg.h>
#include <stdio.h>

#include "args.h"
#include "cli.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fiie: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fiie %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'fiie %s --help'.\n", cmd);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

int cli_start_help_only(const char *cmd, int argc, char **argv, void (*help)(void), char **pos,
                        size_t *npos)
{
    char err[512];
    int want_help = 0;
    if (cli_parse_help_only(argc, argv, &want_help, pos, npos, err, sizeof err) != 0)
        return cli_usage_error(cmd, "%s", err);
    if (want_help) {
        help();
        return CLI_EXIT_OK;
    }
    return -1;
}
