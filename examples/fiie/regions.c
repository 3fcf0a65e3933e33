#include "regions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cursor {
    const char *p, *end;
} cursor;

static int take(cursor *c, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

/* Spaces and tabs: allowed around the ';' between regions (the man page
 * writes "rect:x,y,w,h; ellipse:x,y,w,h"), nowhere else. */
static void skip_blanks(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* Decimal digits into a value bounded by `max` (checked before each
 * multiplication, so no intermediate ever overflows). */
static int digits(cursor *c, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    const char *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        unsigned d = (unsigned)(*c->p - '0');
        if (v > (max - d) / 10)
            return 0;
        v = v * 10 + d;
        c->p++;
    }
    if (c->p == start || c->p - start > 12) /* also refuses absurd zero padding */
        return 0;
    *out = v;
    return 1;
}

static int int32_field(cursor *c, int32_t *out)
{
    int neg = take(c, "-");
    uint64_t v;
    if (!digits(c, neg ? 2147483648u : 2147483647u, &v))
        return 0;
    *out = neg ? (int32_t)(-(int64_t)v) : (int32_t)v;
    return 1;
}

static int size_field(cursor *c, uint32_t *out)
{
    uint64_t v;
    if (!digits(c, UINT32_MAX, &v) || v == 0)
        return 0;
    *out = (uint32_t)v;
    return 1;
}

static void set_err(char *err, size_t errlen, size_t index, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, "region %zu: %s (expected rect:x,y,w,h or ellipse:x,y,w,h, w,h >= 1)",
                 index + 1, what);
}

int cli_regions_parse(const char *text, size_t len, cli_region **out, size_t *n,
                      char *err, size_t errlen)
{
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (err && errlen)
        err[0] = '\0';
    if (!text || !out || !n) {
        set_err(err, errlen, 0, "no list");
        return -1;
    }
    cursor c = {text, text + len};
    /* Count candidate regions first to allocate once. */
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        if (text[i] == ';')
            cap++;
    if (cap > CLI_MAX_REGIONS + 1) {
        set_err(err, errlen, CLI_MAX_REGIONS, "too many regions");
        return -1;
    }
    cli_region *r = malloc(cap * sizeof *r);
    if (!r)
        return -2;
    size_t k = 0;
    while (c.p < c.end) {
        cli_region g;
        if (take(&c, "rect:"))
            g.shape = CLI_SHAPE_RECT;
        else if (take(&c, "ellipse:"))
            g.shape = CLI_SHAPE_ELLIPSE;
        else {
            set_err(err, errlen, k, "unknown shape");
            goto fail;
        }
        if (!int32_field(&c, &g.x) || !take(&c, ",") || !int32_field(&c, &g.y) ||
            !take(&c, ",")) {
            set_err(err, errlen, k, "bad x or y (int32)");
            goto fail;
        }
        if (!size_field(&c, &g.w) || !take(&c, ",") || !size_field(&c, &g.h)) {
            set_err(err, errlen, k, "bad w or h (1 .. 4294967295)");
            goto fail;
        }
        if (k == CLI_MAX_REGIONS) {
            set_err(err, errlen, k, "too many regions");
            goto fail;
        }
        r[k++] = g;
        if (c.p == c.end)
            break;
        skip_blanks(&c);
        if (!take(&c, ";")) {
            set_err(err, errlen, k - 1, "junk after region");
            goto fail;
        }
        skip_blanks(&c);
    }
    if (k == 0) {
        set_err(err, errlen, 0, "empty list");
        goto fail;
    }
    *out = r;
    *n = k;
    return 0;
fail:
    free(r);
    return -1;
}
