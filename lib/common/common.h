/* common/: the toolbox every other folder may use (interface of lib/common). */
#ifndef FIIE_LIB_COMMON_COMMON_H
#define FIIE_LIB_COMMON_COMMON_H

#include "common/mem.h"

/* ==== common/common.h */
/* Helpers shared by every public options struct (internal).
 *
 * Every options struct starts with `uint32_t abi_version` and ends with
 * reserved bytes that must stay zero; these functions hold the checks so
 * that the modules cannot drift apart. */

#include <stddef.h>
#include <stdint.h>

/* Non-zero when an options struct stamped with `abi_version` has this
 * library's layout (same ABI major). */
int common_abi_compatible(uint32_t abi_version);

/* Common start of fiie_X_options_init_v(): NULL and ABI-major checks, then
 * zero the whole struct and stamp the caller's ABI version into its first
 * field. Returns 0, FIIE_E_INVALID_ARGUMENT or FIIE_E_VERSION. */
int common_options_begin(void *options, size_t size, int abi_version);

/* Non-zero when all n bytes are zero (reserved option bytes must be, so
 * that a field added later is never silently ignored by an older library). */
int common_all_zero(const uint8_t *p, size_t n);

/* ==== read_file.h */
/* Reading a whole file into memory, with a size cap. */

#include <stddef.h>
#include <stdint.h>

/* Largest file the image loader reads: a FIIE_MAX_PIXELS RGBA bitmap plus
 * generous room for headers and metadata. */
#define COMMON_MAX_IMAGE_FILE_BYTES (((size_t)1 << 30) + ((size_t)1 << 24))

/* Read all of `path` into a new malloc()ed buffer (*out, *out_size; the
 * buffer is never NULL on success, even for an empty file).
 * Returns 0, FIIE_E_IO (cannot open or read, or a directory),
 * FIIE_E_TOO_LARGE (more than max_size bytes) or FIIE_E_NO_MEMORY. */
int common_read_file(const char *path, size_t max_size, uint8_t **out, size_t *out_size);

/* read() until `size` bytes or end of file, retrying on EINTR.
 * Returns the byte count (short only at end of file) or -1 on error. */
long long common_read_full(int fd, void *buf, size_t size);

/* ==== atomic_file.h */
/* Atomic file output shared by every module that writes files (PNG
 * images, sidecar headers, key files). */

#include <stddef.h>

/* common_atomic_write() flag: never replace an existing file (FIIE_E_EXISTS). */
#define COMMON_ATOMIC_NO_CLOBBER 1u

/* Write `size` bytes to `path` so that `path` afterwards either holds all
 * of them or is untouched: the data goes to a new temporary file in the
 * same directory, is fsync()ed, then renamed over `path` (or, with
 * COMMON_ATOMIC_NO_CLOBBER, linked to it only if `path` does not exist).
 * The new file gets permission bits `mode & ~umask` (0666 for documents,
 * 0600 for secrets). On any failure the temporary file is removed.
 * A symbolic link at `path` is replaced, not followed.
 * Returns 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_EXISTS, FIIE_E_IO or
 * FIIE_E_NO_MEMORY. */
int common_atomic_write(const char *path, const void *data, size_t size, unsigned flags,
                      unsigned mode);

/* ==== parallel.h */
/* Split a range of independent work items over threads. */

#include <stdint.h>

#define FIIE_MAX_THREADS 64u

/* Number of parts common_parallel_for() uses for these arguments (>= 1). */
unsigned common_parallel_parts(uint64_t items, unsigned threads);

/* Call fn(arg, part, first, last) for part = 0 .. parts-1 on contiguous
 * sub-ranges covering [0, items), each part on its own thread (part 0 on
 * the caller's). Never fails: a part whose thread cannot start is run by
 * the caller, so the work done (and any output) never depends on the
 * threads available. */
void common_parallel_for(uint64_t items, unsigned threads,
                       void (*fn)(void *arg, unsigned part, uint64_t first, uint64_t last),
                       void *arg);

/* ==== cpu.c */
/* CPU features the SIMD kernels need (x86; 0 elsewhere). */
#define COMMON_CPU_AVX2_FMA 1u         /* AVX2 and FMA: nn kernels */
#define COMMON_CPU_AVX512F 2u          /* AVX-512F: nn kernels */
#define COMMON_CPU_AVX512_IFMA_VBMI 4u /* AVX-512F+IFMA+VBMI: Logistic kernel */

/* Non-zero when this CPU has every feature bit in `features`. */
int common_cpu_has(unsigned features);

#endif /* FIIE_LIB_COMMON_COMMON_H */
