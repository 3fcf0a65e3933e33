/* Reading a whole file into memory, with a size cap. */
#ifndef FIIE_LIB_READ_FILE_H
#define FIIE_LIB_READ_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Largest file the image loader reads: a FIIE_MAX_PIXELS RGBA bitmap plus
 * generous room for headers and metadata. */
#define FIIE_MAX_IMAGE_FILE_BYTES (((size_t)1 << 30) + ((size_t)1 << 24))

/* Read all of `path` into a new malloc()ed buffer (*out, *out_size; the
 * buffer is never NULL on success, even for an empty file).
 * Returns 0, FIIE_E_IO (cannot open or read, or a directory),
 * FIIE_E_TOO_LARGE (more than max_size bytes) or FIIE_E_NO_MEMORY. */
int fiie_read_file(const char *path, size_t max_size, uint8_t **out, size_t *out_size);

/* read() until `size` bytes or end of file, retrying on EINTR.
 * Returns the byte count (short only at end of file) or -1 on error. */
long long fiie_read_full(int fd, void *buf, size_t size);

#endif
