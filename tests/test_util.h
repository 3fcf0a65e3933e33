/* Helpers shared by the tests: the test data folder, the sample image
 * loader, the tests' one whole-file reader, and a minimal reader of the expected detection JSON
 * files. Public API only, so benchmarks and public-API tests use it too. */
#ifndef FIIE_TEST_UTIL_H
#define FIIE_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fiie/detector.h"

#ifndef FIIE_TEST_DATA
#define FIIE_TEST_DATA "tests/data"
#endif

static inline const char *test_data_dir(void)
{
    const char *d = getenv("FIIE_TEST_DATA");
    return d && *d ? d : FIIE_TEST_DATA;
}

/* Sample image tests/data/images/NAME.png loaded into *out in `format`
 * (release with fiie_image_free()); the fiie_image_load() status. */
static inline int load_sample(fiie_image *out, const char *name, int32_t format)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/images/%s.png", test_data_dir(), name);
    fiie_load_options lo;
    int rc = fiie_load_options_init(&lo);
    if (rc != FIIE_OK)
        return rc;
    lo.format = format;
    return fiie_image_load(out, path, &lo);
}

/* The whole file at `path` in a new malloc()ed buffer of *len bytes, plus
 * a 0 byte after them (a text file reads as a C string). NULL when the
 * file cannot be opened or read, or memory runs out. The tests' one
 * whole-file reader. */
static inline unsigned char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf != NULL) {
        if (n == cap - 1) { /* keep a byte for the terminator */
            unsigned char *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (buf != NULL && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = 0;
        *len = n;
    }
    return buf;
}

/* Expected faces: [{"box": [4], "score": s, "landmarks": [[x,y]*5]}, ...] */
typedef struct expected_face {
    double box[4], score, lm[5][2];
} expected_face;

static inline const char *next_number(const char *p, double *v)
{
    while (*p && !(*p == '-' || (*p >= '0' && *p <= '9')))
        p++;
    if (!*p)
        return NULL;
    char *end;
    *v = strtod(p, &end);
    return end;
}

/* Returns the number of faces (<= cap) or -1. */
static inline int read_expected(const char *path, expected_face *out, int cap)
{
    size_t len;
    char *text = (char *)read_whole(path, &len); /* 0-terminated */
    if (!text)
        return -1;
    int n = 0;
    const char *p = text;
    while ((p = strstr(p, "\"box\"")) != NULL && n < cap) {
        expected_face *f = &out[n];
        for (int i = 0; i < 4 && p; i++)
            p = next_number(p + (i == 0 ? 5 : 0), &f->box[i]);
        p = p ? strstr(p, "\"score\"") : NULL;
        if (p)
            p = next_number(p + 7, &f->score);
        p = p ? strstr(p, "\"landmarks\"") : NULL;
        for (int i = 0; i < 10 && p; i++)
            p = next_number(p + (i == 0 ? 11 : 0), &f->lm[i / 2][i % 2]);
        if (!p) {
            free(text);
            return -1;
        }
        n++;
    }
    free(text);
    return n;
}

static inline double box_iou(const float *a, const double *b)
{
    double ix = fmin(a[2], b[2]) - fmax(a[0], b[0]);
    double iy = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    if (ix <= 0 || iy <= 0)
        return 0;
    double i = ix * iy;
    double u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i;
    return u > 0 ? i / u : 0;
}

#endif /* FIIE_TEST_UTIL_H */
