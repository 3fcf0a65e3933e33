/* A fresh temporary directory for a test (under $TMPDIR, else /tmp), the
 * paths inside it, its entry count (a failed write must leave nothing
 * behind) and its removal: the tests' one copy. Asserts with cmocka, so
 * include it after <cmocka.h>. */
#ifndef FIIE_TEST_TMPDIR_H
#define FIIE_TEST_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct tmpdir {
    char path[256];
    char file[512]; /* the last tmpdir_file() result */
} tmpdir;

static inline void tmpdir_make(tmpdir *t)
{
    const char *base = getenv("TMPDIR");
    snprintf(t->path, sizeof t->path, "%s/fiie-test-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(t->path));
}

/* `name` inside the directory; valid until the next call. */
static inline const char *tmpdir_file(tmpdir *t, const char *name)
{
    snprintf(t->file, sizeof t->file, "%s/%s", t->path, name);
    return t->file;
}

/* Entries of the directory besides . and .. */
static inline int tmpdir_count(const tmpdir *t)
{
    DIR *d = opendir(t->path);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Remove the directory with its files and empty subdirectories. */
static inline void tmpdir_remove(tmpdir *t)
{
    DIR *d = opendir(t->path);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        const char *p = tmpdir_file(t, e->d_name);
        if (unlink(p) != 0)
            rmdir(p);
    }
    closedir(d);
    assert_int_equal(rmdir(t->path), 0);
}

#endif /* FIIE_TEST_TMPDIR_H */
