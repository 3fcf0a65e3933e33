#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct dirid {
    dev_t dev;
    ino_t ino;
} dirid;

typedef struct walker {
    const walk_options *o;
    walk_list *out;
    walk_warn_fn warn;
    void *ctx;
    int problems;
    int oom;
    dirid *seen;
    size_t nseen, capseen;
} walker;

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int slash = la > 0 && a[la - 1] != '/';
    char *s = malloc(la + lb + 2);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    if (slash)
        s[la++] = '/';
    memcpy(s + la, b, lb + 1);
    return s;
}

static void problem(walker *w, const char *path, const char *msg)
{
    w->problems++;
    if (w->warn)
        w->warn(w->ctx, path, msg);
}

static int add(walker *w, const char *path, const char *rel)
{
    walk_list *l = w->out;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        walk_item *it = realloc(l->items, cap * sizeof *it);
        if (!it)
            return -1;
        l->items = it;
        l->cap = cap;
    }
    char *p = xstrdup(path), *r = xstrdup(rel);
    if (!p || !r) {
        free(p);
        free(r);
        return -1;
    }
    l->items[l->n].path = p;
    l->items[l->n].rel = r;
    l->n++;
    return 0;
}

int walk_has_ext(const char *name, const char *const *exts)
{
    if (!exts)
        return 1;
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return 0;
    for (size_t i = 0; exts[i]; i++) {
        const char *e = exts[i], *f = dot + 1;
        while (*e && *f && (*f == *e || (*f >= 'A' && *f <= 'Z' && *f - 'A' + 'a' == *e))) {
            e++;
            f++;
        }
        if (!*e && !*f)
            return 1;
    }
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return b > 0 && a >= b && strcmp(s + a - b, suffix) == 0;
}

static int mark_seen(walker *w, const struct stat *st)
{
    for (size_t i = 0; i < w->nseen; i++)
        if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
            return 0;
    if (w->nseen == w->capseen) {
        size_t cap = w->capseen ? 2 * w->capseen : 32;
        dirid *d = realloc(w->seen, cap * sizeof *d);
        if (!d) {
            w->oom = 1;
            return 0;
        }
        w->seen = d;
        w->capseen = cap;
    }
    w->seen[w->nseen].dev = st->st_dev;
    w->seen[w->nseen].ino = st->st_ino;
    w->nseen++;
    return 1;
}

static int is_skip_dir(const walker *w, const struct stat *st)
{
    return w->o->have_skip_dir && st->st_dev == w->o->skip_dev && st->st_ino == w->o->skip_ino;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* dir: path to open; rel: its path below the root ("" at the root). */
static void walk_dir(walker *w, const char *dir, const char *rel)
{
    DIR *d = opendir(dir);
    if (!d) {
        problem(w, dir, strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 64;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) {
                w->oom = 1;
                break;
            }
            names = nn;
            cap = nc;
        }
        if (!(names[n] = xstrdup(e->d_name))) {
            w->oom = 1;
            break;
        }
        n++;
    }
    closedir(d);
    if (names)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && !w->oom; i++) {
        char *path = join(dir, names[i]);
        char *r = rel[0] ? join(rel, names[i]) : xstrdup(names[i]);
        struct stat st;
        if (!path || !r) {
            w->oom = 1;
        } else if (stat(path, &st) != 0) {
            /* A dangling link is not an image; anything else is worth saying. */
            struct stat lst;
            if (!(lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)))
                problem(w, path, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            if (!is_skip_dir(w, &st) && mark_seen(w, &st))
                walk_dir(w, path, r);
        } else if (S_ISREG(st.st_mode)) {
            if (walk_has_ext(names[i], w->o->exts) &&
                !(w->o->skip_suffix && ends_with(names[i], w->o->skip_suffix)) &&
                add(w, path, r) != 0)
                w->oom = 1;
        }
        free(path);
        free(r);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static const char *basename_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int walk_collect(const char *const *inputs, size_t n, const walk_options *o, walk_list *out,
                 walk_warn_fn warn, void *ctx)
{
    walker w = {o, out, warn, ctx, 0, 0, NULL, 0, 0};
    for (size_t i = 0; i < n && !w.oom; i++) {
        const char *in = inputs[i];
        struct stat st;
        if (stat(in, &st) != 0) {
            problem(&w, in, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            if (!o->recursive)
                problem(&w, in, "is a directory (use -r to process directories)");
            else if (is_skip_dir(&w, &st))
                problem(&w, in, "is the output directory");
            else if (mark_seen(&w, &st))
                walk_dir(&w, in, "");
        } else {
            /* Explicitly named: take it whatever its extension. A trailing
             * slash or an empty base name cannot name a file. */
            const char *b = basename_of(in);
            if (!*b)
                problem(&w, in, "not a file");
            else if (add(&w, in, b) != 0)
                w.oom = 1;
        }
    }
    free(w.seen);
    return w.oom ? -1 : w.problems;
}

void walk_list_free(walk_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].path);
        free(l->items[i].rel);
    }
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

char *walk_output_path(const char *out_dir, const char *rel, const char *suffix)
{
    const char *base = basename_of(rel);
    const char *dot = strrchr(base, '.');
    size_t stem = (dot && dot != base) ? (size_t)(dot - rel) : strlen(rel);
    size_t ls = strlen(suffix);
    char *name = malloc(stem + ls + 1);
    if (!name)
        return NULL;
    memcpy(name, rel, stem);
    memcpy(name + stem, suffix, ls + 1);
    if (!out_dir)
        return name;
    char *p = join(out_dir, name);
    free(name);
    return p;
}

/* Same file: equal spelling, or the same device and inode. */
static int same_file(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return 1;
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

char *walk_restored_path(const char *out_dir, const char *rel, const char *marker,
                         const char *input)
{
    const char *base = basename_of(rel);
    const char *dot = strrchr(base, '.');
    size_t stem = (dot && dot != base) ? (size_t)(dot - rel) : strlen(rel);
    size_t lm = strlen(marker);
    size_t base_stem = stem - (size_t)(base - rel);
    if (base_stem <= lm || memcmp(rel + stem - lm, marker, lm) != 0)
        return NULL;
    char *name = malloc(stem - lm + sizeof ".png");
    if (!name)
        return NULL;
    memcpy(name, rel, stem - lm);
    memcpy(name + stem - lm, ".png", sizeof ".png");
    char *path = out_dir ? join(out_dir, name) : name;
    if (out_dir)
        free(name);
    if (path && same_file(path, input)) {
        free(path);
        return NULL;
    }
    return path;
}

int walk_mkdirs(const char *dir)
{
    if (!dir[0]) {
        errno = ENOENT;
        return -1;
    }
    char *p = xstrdup(dir);
    if (!p)
        return -1;
    size_t len = strlen(p);
    while (len > 1 && p[len - 1] == '/')
        p[--len] = '\0';
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                free(p);
                errno = e;
                return -1;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    struct stat st;
    int ok = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
    free(p);
    if (!ok) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int walk_make_parents(const char *file_path)
{
    const char *slash = strrchr(file_path, '/');
    if (!slash || slash == file_path)
        return 0;
    size_t n = (size_t)(slash - file_path);
    char *d = malloc(n + 1);
    if (!d)
        return -1;
    memcpy(d, file_path, n);
    d[n] = '\0';
    int rc = walk_mkdirs(d);
    int e = errno;
    free(d);
    errno = e;
    return rc;
}
