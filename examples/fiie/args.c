#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fiie/common.h"

static const cli_opt *find_long(const cli_opt *opts, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (opts[i].name && strlen(opts[i].name) == len && memcmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

static const cli_opt *find_short(const cli_opt *opts, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (opts[i].short_name && opts[i].short_name == c)
            return &opts[i];
    return NULL;
}

int cli_parse(int argc, char **argv, const cli_opt *opts, size_t nopts,
              cli_opt_fn fn, void *ctx, char **pos, size_t *npos,
              char *err, size_t errlen)
{
    size_t np = 0;
    int only_pos = 0;
    if (errlen)
        err[0] = '\0';
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') { /* "-" alone is a positional */
            pos[np++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        const cli_opt *o;
        const char *value = NULL;
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(opts, nopts, name, len);
            if (!o) {
                snprintf(err, errlen, "unknown option --%.*s", (int)len, name);
                return -1;
            }
            if (eq) {
                if (!o->takes_value) {
                    snprintf(err, errlen, "option --%s takes no value", o->name);
                    return -1;
                }
                value = eq + 1;
            }
        } else {
            /* Grouped short flags, as getopt: "-fq" is -f -q; the first
             * option that takes a value takes the rest ("-fj4": -f -j 4). */
            const char *c = a + 1;
            for (;;) {
                o = find_short(opts, nopts, *c);
                if (!o) {
                    snprintf(err, errlen, "unknown option -%c", *c);
                    return -1;
                }
                if (o->takes_value || c[1] == '\0')
                    break;
                if (fn(ctx, o->id, NULL, err, errlen) != 0) {
                    if (errlen && err[0] == '\0')
                        snprintf(err, errlen, "bad option -%c", *c);
                    return -1;
                }
                c++;
            }
            if (o->takes_value && c[1] != '\0')
                value = c + 1;
        }
        if (o->takes_value && !value) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "option --%s needs a value (%s)", o->name,
                         o->metavar ? o->metavar : "VALUE");
                return -1;
            }
            value = argv[++i];
        }
        if (fn(ctx, o->id, value, err, errlen) != 0) {
            if (errlen && err[0] == '\0')
                snprintf(err, errlen, "bad value for --%s", o->name);
            return -1;
        }
    }
    *npos = np;
    return 0;
}

void cli_print_options(FILE *f, const cli_opt *opts, size_t nopts)
{
    for (size_t i = 0; i < nopts; i++) {
        char left[64];
        int k = 0;
        if (opts[i].short_name)
            k = snprintf(left, sizeof left, "-%c, ", opts[i].short_name);
        else
            k = snprintf(left, sizeof left, "    ");
        snprintf(left + k, sizeof left - (size_t)k, "--%s%s%s", opts[i].name,
                 opts[i].takes_value ? " " : "",
                 opts[i].takes_value ? (opts[i].metavar ? opts[i].metavar : "VALUE") : "");
        if (strlen(left) <= 26)
            fprintf(f, "  %-26s %s\n", left, opts[i].help);
        else
            fprintf(f, "  %s\n  %-26s %s\n", left, "", opts[i].help);
    }
}

int cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s || !(s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9')))
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < min || v > max)
        return -1;
    *out = (int64_t)v;
    return 0;
}

int cli_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
    int64_t v;
    if (cli_parse_i64(s, min, max, &v))
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int cli_parse_double(const char *s, double min, double max, double *out)
{
    if (!s || !*s || s[0] == ' ' || s[0] == '\t')
        return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !isfinite(v) || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_double_list(const char *s, size_t n, double min, double max, double *out)
{
    char buf[256];
    if (!s || strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    char *p = buf;
    for (size_t i = 0; i < n; i++) {
        char *comma = strchr(p, ',');
        if (i + 1 < n) {
            if (!comma)
                return -1;
            *comma = '\0';
        } else if (comma) {
            return -1;
        }
        if (cli_parse_double(p, min, max, &out[i]))
            return -1;
        p = comma ? comma + 1 : p;
    }
    return 0;
}

static const cli_opt help_only_opts[] = {
    {"help", 'h', 0, 'h', NULL, "show this help"},
};

static int on_help_only(void *ctx, int id, const char *value, char *err, size_t errlen)
{
    (void)value;
    (void)err;
    (void)errlen;
    *(int *)ctx = id == 'h';
    return 0;
}

int cli_parse_help_only(int argc, char **argv, int *help, char **pos, size_t *npos,
                        char *err, size_t errlen)
{
    *help = 0;
    return cli_parse(argc, argv, help_only_opts, sizeof help_only_opts / sizeof help_only_opts[0],
                     on_help_only, help, pos, npos, err, errlen);
}

void cli_print_help_only_options(FILE *f)
{
    cli_print_options(f, help_only_opts, sizeof help_only_opts / sizeof help_only_opts[0]);
}

int cli_model_is_path(const char *value)
{
    static const char ext[] = ".fiiem";
    size_t n = strlen(value), e = sizeof ext - 1;
    return strchr(value, '/') != NULL || (n >= e && strcmp(value + n - e, ext) == 0);
}

int cli_parse_hex(const char *s, uint8_t *out, size_t n)
{
    if (!s || strlen(s) != 2 * n)
        return -1;
    return cli_hex_decode((const uint8_t *)s, out, n);
}

int cli_hex_decode(const uint8_t *hex, uint8_t *out, size_t n)
{
    /* libsodium's decoder: its time does not depend on the digits (keys) */
    size_t got = 0;
    const char *end = NULL;
    if (sodium_hex2bin(out, n, (const char *)hex, 2 * n, NULL, &got, &end) != 0 || got != n ||
        end != (const char *)hex + 2 * n)
        return -1;
    return 0;
}

unsigned cli_threads_for_cpus(unsigned cpus)
{
    if (cpus < 1)
        return 1;
    return cpus < FIIE_MAX_THREADS ? cpus : FIIE_MAX_THREADS;
}
