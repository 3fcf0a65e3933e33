/* Atomic file output shared by every module that writes files (PNG
 * images, sidecar headers, key files). */
#ifndef FIIE_LIB_ATOMIC_FILE_H
#define FIIE_LIB_ATOMIC_FILE_H

#include <stddef.h>

/* fiie_atomic_write() flag: never replace an existing file (FIIE_E_EXISTS). */
#define FIIE_ATOMIC_NO_CLOBBER 1u

/* Write `size` bytes to `path` so that `path` afterwards either holds all
 * of them or is untouched: the data goes to a new temporary file in the
 * same directory, is fsync()ed, then renamed over `path` (or, with
 * FIIE_ATOMIC_NO_CLOBBER, linked to it only if `path` does not exist).
 * The new file gets permission bits `mode & ~umask` (0666 for documents,
 * 0600 for secrets). On any failure the temporary file is removed.
 * A symbolic link at `path` is replaced, not followed.
 * Returns 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_EXISTS, FIIE_E_IO or
 * FIIE_E_NO_MEMORY. */
int fiie_atomic_write(const char *path, const void *data, size_t size, unsigned flags,
                      unsigned mode);

#endif
