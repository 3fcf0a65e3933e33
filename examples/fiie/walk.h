/* Input enumeration and output naming for batch commands.
 *
 * Inputs are files or directories (directories only with `recursive`).
 * Directory walks follow symbolic links but visit every directory
 * (device, inode) once, so link loops end; they never enter the output
 * directory (compared by device and inode, so any spelling of it is
 * recognised) and skip files named like our own outputs. */
#ifndef FIIE_CLI_WALK_H
#define FIIE_CLI_WALK_H

#include <stddef.h>
#include <sys/types.h>

typedef struct walk_item {
    char *path; /* as given, or root + "/" + rel */
    char *rel;  /* relative output name: basename for a file input,
                   path below the root for a directory input */
} walk_item;

typedef struct walk_list {
    walk_item *items;
    size_t n, cap;
} walk_list;

typedef struct walk_options {
    int recursive;
    const char *const *exts;  /* NULL-terminated lowercase extensions accepted
                                 in directories (files named explicitly are
                                 always taken), or NULL for all */
    const char *skip_suffix;  /* files in directories ending with it are skipped; may be NULL */
    int have_skip_dir;        /* never enter this directory: */
    dev_t skip_dev;
    ino_t skip_ino;
} walk_options;

/** Called for each input problem (missing file, directory without -r,
 * unreadable directory, the output directory given as input). */
typedef void (*walk_warn_fn)(void *ctx, const char *path, const char *msg);

/** Collect the inputs (directory entries sorted by name).
 * @return number of problems reported through warn, or -1 when out of memory. */
int walk_collect(const char *const *inputs, size_t n, const walk_options *o, walk_list *out,
                 walk_warn_fn warn, void *ctx);

void walk_list_free(walk_list *l);

/** out_dir + "/" + rel with the last extension of rel replaced by suffix
 * ("a/b.jpg", "_fiie.png" -> "OUT/a/b_fiie.png"). out_dir NULL means next
 * to the input, i.e. rel is taken as a path. Returns a malloc'd string or NULL. */
char *walk_output_path(const char *out_dir, const char *rel, const char *suffix);

/** Decrypt's default name: the name encrypt started from. For an input
 * whose stem ends with `marker` ("_fiie"), rel without it and with ".png"
 * ("a/photo_fiie.png" -> "OUT/a/photo.png"): suffixes never stack. NULL
 * when the stem does not end with the marker (or is only the marker), when
 * that name would be the input itself (`input`, compared by device and
 * inode too), or when out of memory (errno ENOMEM): the caller then uses
 * walk_output_path() with its suffix. */
char *walk_restored_path(const char *out_dir, const char *rel, const char *marker,
                         const char *input);

/** Create every missing parent directory of file_path (mode 0777 & umask).
 * @return 0 or -1 (errno set). */
int walk_make_parents(const char *file_path);

/** Create a directory and its parents. @return 0 or -1 (errno set). */
int walk_mkdirs(const char *dir);

/** Case-insensitive: does the file name end with "." + one of exts? */
int walk_has_ext(const char *name, const char *const *exts);

#endif
