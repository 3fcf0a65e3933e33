/* lib/common: the toolbox every other folder may use, and the only header of
 * lib/common they include. It depends on nothing but the C library,
 * pthreads and libsodium (file.c wipes nothing, but uses its CSPRNG for
 * temporary names). */
#ifndef FIIE_LIB_COMMON_COMMON_H
#define FIIE_LIB_COMMON_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "common/mem.h"
#include "fiie/common.h"

/* ---- options.c: checks shared by every public options struct -------------
 * Every options struct starts with `uint32_t abi_version` and ends with
 * reserved bytes that must stay zero; these functions hold the checks so
 * that the modules cannot drift apart. */

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

/* The check every function taking an options struct starts with: the
 * struct's ABI major (FIIE_E_VERSION), then its reserved bytes
 * (FIIE_E_INVALID_ARGUMENT), in that order everywhere. Returns 0 or the
 * status to return. */
int common_options_check(uint32_t abi_version, const uint8_t *reserved, size_t reserved_size);

/* ---- files.c: whole-file reads (and fiie_file_write_atomic()) ------------- */

/* Largest file the image loader reads: a FIIE_MAX_PIXELS RGBA bitmap plus
 * generous room for headers and metadata. */
#define COMMON_MAX_IMAGE_FILE_BYTES (((size_t)1 << 30) + ((size_t)1 << 24))

/* Read all of `path` into a new common_buf_alloc()ed buffer (*out, *out_size; the
 * buffer is never NULL on success, even for an empty file). A file of
 * exactly max_size bytes is accepted.
 * Returns 0, FIIE_E_IO (cannot open or read, or a directory),
 * FIIE_E_TOO_LARGE (more than max_size bytes) or FIIE_E_NO_MEMORY. */
int common_read_file(const char *path, size_t max_size, uint8_t **out, size_t *out_size);

/* ---- memory.c: wiping, and the image pipeline's buffers ------------------- */

/* Overwrite n bytes with zeros in a way the compiler cannot drop
 * (sodium_memzero): pixels, file bytes and encoded images may hold faces. */
void common_wipe(void *p, size_t n);
/* common_wipe(p, n), then free(p); NULL is fine. */
void common_free_wiped(void *p, size_t n);

/* Large short-lived buffers straight from the system (mmap; malloc where
 * there is none), zero-filled. Freeing returns the pages at once, so
 * nothing of their content outlives common_free_pages(), and, unlike
 * free() of a large block, it does not raise malloc's dynamic mmap
 * threshold (memory.c says why that matters). NULL when n is 0 or on
 * failure. */
void *common_alloc_pages(size_t n);
/* Free what common_alloc_pages(n) gave (the same n); NULL is fine. */
void common_free_pages(void *p, size_t n);

/* Buffers of the image pipeline: pixels (every fiie_image the library
 * owns), file bytes, inflated, filtered and compressed scanlines, encoded
 * PNGs (fiie_free() releases them), stb's working memory. Each knows its
 * size, so common_buf_free() needs none and wipes what it releases (mapped
 * pages go back to the system, which zeroes them). From
 * COMMON_BUF_PAGES_MIN bytes on they are mapped pages (common_alloc_pages),
 * never malloc's. Zero-filled; NULL on failure (a 0-byte buffer is valid).
 * Never mix them with malloc()/free(). */
#define COMMON_BUF_PAGES_MIN ((size_t)1 << 20)
void *common_buf_alloc(size_t n);
/* Resize (NULL: allocate); the content up to the smaller size is kept, new
 * bytes are zero, a buffer that moves leaves no copy behind. On failure
 * NULL, and p stays valid. */
void *common_buf_realloc(void *p, size_t n);
/* The usable size of a buffer (0 for NULL). */
size_t common_buf_size(const void *p);
/* Wipe and release; NULL is fine. */
void common_buf_free(void *p);

/* read() until `size` bytes or end of file, retrying on EINTR.
 * Returns the byte count (short only at end of file) or -1 on error. */
long long common_read_full(int fd, void *buf, size_t size);

/* Atomic writes are public: fiie_file_write_atomic() in fiie/common.h,
 * which is common_write_atomic(..., 0). named_only = 1 takes the path a
 * system without O_TMPFILE or /proc takes (a named temporary file,
 * renamed or linked into place), so that the tests cover it on any
 * system. */
int common_write_atomic(const char *path, const void *data, size_t size, unsigned flags,
                        int named_only);

/* ---- threads.c: the one thread pool ---------------------------------------- */

/* One task: returns 0, or a status that stops the tasks not yet started.
 * `worker` (< the thread count) names the thread running it, for
 * per-thread scratch. */
typedef int (*common_task_fn)(void *arg, unsigned worker, size_t task);

/* Run fn on tasks 0 .. ntasks-1, taken in order from a shared counter by up
 * to `threads` threads (the caller's included; capped at FIIE_MAX_THREADS).
 * A thread that cannot start leaves its share to the others, so the work
 * done never depends on the threads available. Returns the first non-zero
 * status of a task, or 0. */
int common_run_tasks(size_t ntasks, unsigned threads, common_task_fn fn, void *arg);

/* Number of parts common_parallel_for() uses for these arguments (>= 1). */
unsigned common_parallel_parts(uint64_t items, unsigned threads);

typedef void (*common_range_fn)(void *arg, unsigned part, uint64_t first, uint64_t last);

/* Call fn(arg, part, first, last) for part = 0 .. parts-1 on contiguous
 * sub-ranges covering [0, items), spread over the threads of
 * common_run_tasks(). Never fails. */
void common_parallel_for(uint64_t items, unsigned threads, common_range_fn fn, void *arg);

/* ---- cpu.c: the one CPU feature probe ------------------------------------ */
/* CPU features the SIMD kernels need (x86; 0 elsewhere). */
#define COMMON_CPU_AVX2_FMA 1u         /* AVX2 and FMA: nn kernels */
#define COMMON_CPU_AVX512F 2u          /* AVX-512F: nn kernels */
#define COMMON_CPU_AVX512_IFMA_VBMI 4u /* AVX-512F+IFMA+VBMI: Logistic kernel */

/* Non-zero when this CPU has every feature bit in `features`. */
int common_cpu_has(unsigned features);

#endif /* FIIE_LIB_COMMON_COMMON_H */
