/* File helpers shared by every folder: whole-file reads with a size cap,
 * and atomic writes.
 *
 * Reads are tolerant of EINTR, short reads and files that change size
 * while being read (pipes, growing files).
 *
 * Atomic file replacement: temporary file in the destination directory,
 * write, fsync, rename (or link for no-clobber), fsync the directory.
 *
 * Where the file system allows it the temporary file is unnamed
 * (O_TMPFILE) and only linked in once complete: a process killed while
 * writing (even by SIGKILL) leaves nothing behind, and no other user can
 * ever open the partial data (which may be restored pixels). A
 * replacing write links the finished file to a random name and renames
 * it over the destination, so a name exists only for that instant.
 *
 * Otherwise the temporary file is created with open(O_CREAT | O_EXCL, mode) under a
 * random name rather than with mkstemp(): mkstemp() always creates 0600,
 * and restoring `mode & ~umask` with fchmod() would need the umask, which
 * can only be read by setting it, a process-wide race with other threads.
 * open() lets the kernel apply the umask (and default ACLs) itself. A
 * private file is created 0600 (so never readable by others) and then
 * set to exactly 0600 with fchmod(), which needs no umask. */
#define _GNU_SOURCE /* renameat2, RENAME_NOREPLACE */

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "fiie/common.h"

long long common_read_full(int fd, void *buf, size_t size)
{
    uint8_t *p = buf;
    size_t done = 0;
    while (done < size) {
        size_t want = size - done;
        if (want > ((size_t)1 << 30))
            want = (size_t)1 << 30; /* read() may refuse larger requests */
        ssize_t n = read(fd, p + done, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (long long)done;
}

static int read_fd(int fd, size_t max_size, uint8_t **out, size_t *out_size)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return FIIE_E_IO;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR; /* the cause, for callers that report errno */
        return FIIE_E_IO;
    }
    /* Start at the announced size (+1 to notice growth); grow for pipes. */
    size_t cap = 65536;
    if (S_ISREG(st.st_mode) && st.st_size >= 0) {
        if ((unsigned long long)st.st_size > max_size)
            return FIIE_E_TOO_LARGE;
        cap = (size_t)st.st_size + 1;
    }
    /* The file bytes may be an image with faces: common_buf wipes what it
     * releases, a grown buffer's old copy included. */
    uint8_t *buf = common_buf_alloc(cap);
    if (buf == NULL)
        return FIIE_E_NO_MEMORY;
    size_t len = 0;
    int rc = 0;
    for (;;) {
        long long n = common_read_full(fd, buf + len, cap - len);
        if (n < 0) {
            rc = FIIE_E_IO;
            break;
        }
        len += (size_t)n;
        if (len > max_size) {
            rc = FIIE_E_TOO_LARGE;
            break;
        }
        if (len < cap)
            break; /* end of file */
        size_t grow = cap < max_size / 2 ? cap * 2 : max_size + 1;
        if (grow <= cap) {
            rc = FIIE_E_TOO_LARGE;
            break;
        }
        uint8_t *nb = common_buf_realloc(buf, grow);
        if (nb == NULL) {
            rc = FIIE_E_NO_MEMORY;
            break;
        }
        buf = nb;
        cap = grow;
    }
    if (rc != 0) {
        common_buf_free(buf);
        return rc;
    }
    *out = buf;
    *out_size = len;
    return 0;
}

int common_read_file(const char *path, size_t max_size, uint8_t **out, size_t *out_size)
{
    *out = NULL;
    *out_size = 0;
    int fd;
    do {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return FIIE_E_IO;
    int rc = read_fd(fd, max_size, out, out_size);
    close(fd);
    return rc;
}

/* ---- atomic writes ------------------------------------------------------ */

#define TEMP_PREFIX "/.fiie-"
#define TEMP_RANDOM_BYTES 8
#define TEMP_SUFFIX ".tmp"
#define TEMP_ATTEMPTS 32

static int write_all(int fd, const uint8_t *p, size_t size)
{
    while (size > 0) {
        size_t want = size < ((size_t)1 << 30) ? size : ((size_t)1 << 30);
        ssize_t n = write(fd, p, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

/* The directory part of path ("." when there is none); *dir_len is the
 * number of bytes of path that name it. */
static const char *directory_of(const char *path, size_t *dir_len)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        *dir_len = 1;
        return ".";
    }
    *dir_len = slash == path ? 1 : (size_t)(slash - path);
    return path;
}

/* Create "<dir>/.fiie-<16 hex>.tmp" exclusively; returns the fd or -1. */
static int create_temp(const char *dir, size_t dir_len, unsigned mode, char **name)
{
    size_t len = dir_len + sizeof TEMP_PREFIX - 1 + 2 * TEMP_RANDOM_BYTES +
                 sizeof TEMP_SUFFIX; /* includes the NUL */
    char *tmp = malloc(len);
    if (tmp == NULL) {
        errno = ENOMEM;
        return -1;
    }
    for (int attempt = 0; attempt < TEMP_ATTEMPTS; attempt++) {
        uint8_t rnd[TEMP_RANDOM_BYTES];
        randombytes_buf(rnd, sizeof rnd);
        char hex[2 * TEMP_RANDOM_BYTES + 1];
        sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
        memcpy(tmp, dir, dir_len);
        snprintf(tmp + dir_len, len - dir_len, "%s%s%s", TEMP_PREFIX, hex, TEMP_SUFFIX);
        int fd;
        do {
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                      (mode_t)(mode & 07777u));
        } while (fd < 0 && errno == EINTR);
        if (fd >= 0) {
            *name = tmp;
            return fd;
        }
        if (errno != EEXIST)
            break;
    }
    free(tmp);
    return -1;
}

/* Move tmp to path unless path exists. */
static int publish_no_clobber(const char *tmp, const char *path)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno == EEXIST)
        return FIIE_E_EXISTS;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return FIIE_E_IO;
    /* File system without RENAME_NOREPLACE: link() never replaces either. */
    if (link(tmp, path) != 0)
        return errno == EEXIST ? FIIE_E_EXISTS : FIIE_E_IO;
    unlink(tmp);
    return 0;
}

/* Make the rename itself durable; best effort (some file systems refuse). */
static void sync_directory(const char *dir, size_t dir_len)
{
    char *d = malloc(dir_len + 1);
    if (d == NULL)
        return;
    memcpy(d, dir, dir_len);
    d[dir_len] = '\0';
    int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(d);
    if (fd < 0)
        return;
    (void)fsync(fd);
    close(fd);
}

/* The file's bytes, permission bits and flush, on an open temporary
 * file. Returns 0 or -1 with errno set. */
static int fill(int fd, const void *data, size_t size, int private_mode)
{
    if ((private_mode && fchmod(fd, 0600) != 0) || write_all(fd, data, size) != 0 ||
        fsync(fd) != 0)
        return -1;
    return 0;
}

/* Path of an open descriptor in /proc, for linkat(AT_SYMLINK_FOLLOW):
 * linking an O_TMPFILE file by descriptor (AT_EMPTY_PATH) needs a
 * capability that ordinary users lack. */
static void proc_fd_path(int fd, char buf[40])
{
    snprintf(buf, 40, "/proc/self/fd/%d", fd);
}

/* Unnamed file in dir, or -1 (errno set) when the file system or kernel
 * has no O_TMPFILE. */
static int create_unnamed(const char *dir, size_t dir_len, unsigned mode)
{
#ifdef O_TMPFILE
    char *d = malloc(dir_len + 1);
    if (d == NULL) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(d, dir, dir_len);
    d[dir_len] = '\0';
    int fd;
    do {
        fd = open(d, O_TMPFILE | O_WRONLY | O_CLOEXEC, (mode_t)mode);
    } while (fd < 0 && errno == EINTR);
    int saved = errno;
    free(d);
    errno = saved;
    return fd;
#else
    (void)dir;
    (void)dir_len;
    (void)mode;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

/* /proc is missing: the unnamed file cannot be given a name. */
#define NO_PROC 1

/* Give the complete unnamed file `fd` its name. Returns 0, NO_PROC (the
 * caller falls back to a named file) or a FIIE_E_* status. */
static int publish_unnamed(int fd, const char *dir, size_t dir_len, const char *path,
                           int no_clobber)
{
    char src[40];
    proc_fd_path(fd, src);
    if (no_clobber) {
        if (linkat(AT_FDCWD, src, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
            return 0;
        if (errno == ENOENT && access(src, F_OK) != 0)
            return NO_PROC;
        return errno == EEXIST ? FIIE_E_EXISTS : FIIE_E_IO;
    }
    /* rename() is the only atomic replacement, and it needs a name: a
     * fresh random one, reserved by create_temp() and taken over by the
     * link (link() never replaces). */
    for (int attempt = 0; attempt < TEMP_ATTEMPTS; attempt++) {
        char *tmp = NULL;
        int tfd = create_temp(dir, dir_len, 0600, &tmp);
        if (tfd < 0)
            return errno == ENOMEM ? FIIE_E_NO_MEMORY : FIIE_E_IO;
        close(tfd);
        unlink(tmp);
        int rc = 0, taken = 0;
        if (linkat(AT_FDCWD, src, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0) {
            if (errno == ENOENT && access(src, F_OK) != 0)
                rc = NO_PROC;
            else if (errno == EEXIST)
                taken = 1;
            else
                rc = FIIE_E_IO;
        } else if (rename(tmp, path) != 0) {
            int saved = errno;
            unlink(tmp);
            errno = saved;
            rc = FIIE_E_IO;
        }
        free(tmp);
        if (!taken)
            return rc;
    }
    return FIIE_E_IO;
}

/* Write through an unnamed file. Returns 0, NO_PROC or O_TMPFILE being
 * unsupported (-1 from create_unnamed: errno set, nothing done), or a
 * FIIE_E_* status. */
static int write_unnamed(const char *path, const char *dir, size_t dir_len, const void *data,
                         size_t size, int no_clobber, int private_mode)
{
    int fd = create_unnamed(dir, dir_len, private_mode ? 0600u : 0666u);
    if (fd < 0)
        return errno == ENOMEM ? FIIE_E_NO_MEMORY : NO_PROC;
    int rc = fill(fd, data, size, private_mode) == 0 ? 0 : FIIE_E_IO;
    if (rc == 0)
        rc = publish_unnamed(fd, dir, dir_len, path, no_clobber);
    int saved = errno;
    if (close(fd) != 0 && rc == 0)
        rc = FIIE_E_IO; /* NFS reports write errors at close */
    else
        errno = saved;
    return rc;
}

/* The fallback: a named temporary file, removed on failure. */
static int write_named(const char *path, const char *dir, size_t dir_len, const void *data,
                       size_t size, int no_clobber, int private_mode)
{
    char *tmp = NULL;
    int fd = create_temp(dir, dir_len, private_mode ? 0600u : 0666u, &tmp);
    if (fd < 0)
        return errno == ENOMEM ? FIIE_E_NO_MEMORY : FIIE_E_IO;
    int rc = fill(fd, data, size, private_mode) == 0 ? 0 : FIIE_E_IO;
    int saved = errno;
    if (close(fd) != 0 && rc == 0)
        rc = FIIE_E_IO;
    else
        errno = saved;
    if (rc == 0) {
        if (no_clobber)
            rc = publish_no_clobber(tmp, path);
        else if (rename(tmp, path) != 0)
            rc = FIIE_E_IO;
    }
    saved = errno;
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    errno = saved;
    return rc;
}

int fiie_file_write_atomic(const char *path, const void *data, size_t size, unsigned flags)
{
    return common_write_atomic(path, data, size, flags, 0);
}

int common_write_atomic(const char *path, const void *data, size_t size, unsigned flags,
                        int named_only)
{
    if (path == NULL || path[0] == '\0' || (data == NULL && size != 0) ||
        (flags & ~(FIIE_FILE_NO_CLOBBER | FIIE_FILE_PRIVATE)) != 0)
        return FIIE_E_INVALID_ARGUMENT;
    size_t plen = strlen(path);
    if (path[plen - 1] == '/')
        return FIIE_E_INVALID_ARGUMENT; /* names a directory, not a file */
    if (sodium_init() < 0)
        return FIIE_E_IO;
    int no_clobber = (flags & FIIE_FILE_NO_CLOBBER) != 0;
    int private_mode = (flags & FIIE_FILE_PRIVATE) != 0;
    struct stat st;
    /* Early answer only (no temporary file); the link below is the real
     * race-free check. */
    if (no_clobber && lstat(path, &st) == 0)
        return FIIE_E_EXISTS;

    size_t dir_len;
    const char *dir = directory_of(path, &dir_len);
    int rc = named_only ? NO_PROC
                        : write_unnamed(path, dir, dir_len, data, size, no_clobber, private_mode);
    if (rc == NO_PROC)
        rc = write_named(path, dir, dir_len, data, size, no_clobber, private_mode);
    /* errno tells the caller why a system call failed: keep it across
     * the clean-up. */
    int saved = errno;
    if (rc == 0)
        sync_directory(dir, dir_len);
    errno = saved;
    return rc;
}
