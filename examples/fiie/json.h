/* Minimal JSON writer into a growable buffer. Strings are escaped so that
 * the output is always valid JSON and valid UTF-8, whatever bytes a file
 * name holds: quotes, backslashes and control characters are escaped and
 * every byte that is not part of a well-formed UTF-8 sequence becomes
 * U+FFFD. Non-finite numbers are written as null. */
#ifndef FIIE_CLI_JSON_H
#define FIIE_CLI_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct jbuf {
    char *data;
    size_t len, cap;
    int oom; /* sticky: set when an allocation failed */
} jbuf;

void jb_init(jbuf *b);
void jb_free(jbuf *b);
void jb_reset(jbuf *b);
void jb_raw(jbuf *b, const char *s);
void jb_rawn(jbuf *b, const char *s, size_t n);
void jb_str(jbuf *b, const char *s);               /* NUL-terminated */
void jb_strn(jbuf *b, const char *s, size_t n);    /* exactly n bytes */
void jb_num(jbuf *b, double v);                    /* shortest round-trip-ish %.17g trimmed */
void jb_numf(jbuf *b, float v);                     /* shortest text that reads back as the float */
void jb_fixed(jbuf *b, double v, int decimals);    /* e.g. coordinates with 2 decimals */
void jb_int(jbuf *b, int64_t v);
void jb_uint(jbuf *b, uint64_t v);
/** Write the buffer plus a newline to f; returns 0 or -1 (write error or earlier OOM). */
int jb_print_line(jbuf *b, FILE *f);

#endif
