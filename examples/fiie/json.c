#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void jb_init(jbuf *b)
{
    memset(b, 0, sizeof *b);
}

void jb_free(jbuf *b)
{
    free(b->data);
    jb_init(b);
}

void jb_reset(jbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int grow(jbuf *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (extra > SIZE_MAX / 2 - b->len - 1) {
        b->oom = 1;
        return 0;
    }
    if (b->len + extra + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->oom = 1;
        return 0;
    }
    b->data = d;
    b->cap = cap;
    return 1;
}

void jb_rawn(jbuf *b, const char *s, size_t n)
{
    if (!grow(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void jb_raw(jbuf *b, const char *s)
{
    jb_rawn(b, s, strlen(s));
}

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 if the bytes
 * there are not one (overlong forms, surrogates, > U+10FFFF refused). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < need + 1)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i <= need; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return need + 1;
}

void jb_strn(jbuf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    jb_rawn(b, "\"", 1);
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c == '"') {
            jb_rawn(b, "\\\"", 2);
            i++;
        } else if (c == '\\') {
            jb_rawn(b, "\\\\", 2);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            char e[8];
            const char *shortc = NULL;
            switch (c) {
            case '\n': shortc = "\\n"; break;
            case '\r': shortc = "\\r"; break;
            case '\t': shortc = "\\t"; break;
            case '\b': shortc = "\\b"; break;
            case '\f': shortc = "\\f"; break;
            default: break;
            }
            if (shortc)
                jb_raw(b, shortc);
            else {
                snprintf(e, sizeof e, "\\u%04x", c);
                jb_raw(b, e);
            }
            i++;
        } else {
            size_t k = utf8_seq(s + i, n - i);
            if (k == 0) {
                jb_raw(b, "\xEF\xBF\xBD"); /* U+FFFD */
                i++;
            } else {
                jb_rawn(b, (const char *)s + i, k);
                i += k;
            }
        }
    }
    jb_rawn(b, "\"", 1);
}

void jb_str(jbuf *b, const char *s)
{
    if (!s) {
        jb_raw(b, "null");
        return;
    }
    jb_strn(b, s, strlen(s));
}

void jb_num(jbuf *b, double v)
{
    if (!isfinite(v)) {
        jb_raw(b, "null");
        return;
    }
    char t[40];
    /* Shortest %.Ng that reads back to the same double. */
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v)
            break;
    }
    jb_raw(b, t);
}

void jb_numf(jbuf *b, float v)
{
    if (!isfinite(v)) {
        jb_raw(b, "null");
        return;
    }
    char t[40];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, (double)v);
        if (strtof(t, NULL) == v)
            break;
    }
    jb_raw(b, t);
}

void jb_fixed(jbuf *b, double v, int decimals)
{
    if (!isfinite(v)) {
        jb_raw(b, "null");
        return;
    }
    char t[64];
    snprintf(t, sizeof t, "%.*f", decimals, v);
    if (strcmp(t, "-0") == 0 || (t[0] == '-' && strspn(t + 1, "0.") == strlen(t + 1)))
        memmove(t, t + 1, strlen(t)); /* no "-0.00" */
    jb_raw(b, t);
}

void jb_int(jbuf *b, int64_t v)
{
    char t[32];
    snprintf(t, sizeof t, "%" PRId64, v);
    jb_raw(b, t);
}

void jb_uint(jbuf *b, uint64_t v)
{
    char t[32];
    snprintf(t, sizeof t, "%" PRIu64, v);
    jb_raw(b, t);
}

int jb_print_line(jbuf *b, FILE *f)
{
    if (b->oom)
        return -1;
    if (b->len && fwrite(b->data, 1, b->len, f) != b->len)
        return -1;
    if (fputc('\n', f) == EOF)
        return -1;
    return fflush(f) == 0 ? 0 : -1;
}
