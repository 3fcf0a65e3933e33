/* Whole-file reads with a size cap, tolerant of EINTR, short reads and
 * files that change size while being read (pipes, growing files). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fiie/common.h"
#include "read_file.h"

long long fiie_read_full(int fd, void *buf, size_t size)
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
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode))
        return FIIE_E_IO;
    /* Start at the announced size (+1 to notice growth); grow for pipes. */
    size_t cap = 65536;
    if (S_ISREG(st.st_mode) && st.st_size >= 0) {
        if ((unsigned long long)st.st_size > max_size)
            return FIIE_E_TOO_LARGE;
        cap = (size_t)st.st_size + 1;
    }
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        return FIIE_E_NO_MEMORY;
    size_t len = 0;
    for (;;) {
        long long n = fiie_read_full(fd, buf + len, cap - len);
        if (n < 0) {
            free(buf);
            return FIIE_E_IO;
        }
        len += (size_t)n;
        if (len > max_size) {
            free(buf);
            return FIIE_E_TOO_LARGE;
        }
        if (len < cap)
            break; /* end of file */
        size_t grow = cap < max_size / 2 ? cap * 2 : max_size + 1;
        if (grow <= cap) {
            free(buf);
            return FIIE_E_TOO_LARGE;
        }
        uint8_t *nb = realloc(buf, grow);
        if (nb == NULL) {
            free(buf);
            return FIIE_E_NO_MEMORY;
        }
        buf = nb;
        cap = grow;
    }
    *out = buf;
    *out_size = len;
    return 0;
}

int fiie_read_file(const char *path, size_t max_size, uint8_t **out, size_t *out_size)
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
