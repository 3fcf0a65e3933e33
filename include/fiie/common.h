/**
 * @file fiie/common.h
 * @brief Export macro, status codes and version queries shared by every
 *        libfiie module.
 *
 * Error model: every function that can fail returns an `int`: 0
 * (#FIIE_OK) on success or one of the negative `FIIE_E_*` codes below.
 * The numeric values are part of the ABI and are never renumbered; new
 * codes only ever get new, more negative numbers. Functions never call
 * `exit`, `abort` or `longjmp` on bad input and keep no global mutable
 * state.
 *
 * Thread-safety rule of the whole library: functions that take no handle
 * are safe to call from any thread. A `fiie_detector` may be used by one
 * thread at a time (one detector per thread); different handles may be
 * used concurrently. Handles passed as `const` (a `fiie_key`, a finished
 * `fiie_mask`, an input image) are only read and may be shared by
 * concurrent calls; a call that modifies a handle or an image (adding
 * regions, freeing, encrypting in place) must not overlap any other use of
 * it. A loaded `fiie_model` is immutable and may be shared by any number
 * of detectors on any threads. Each module header details its rules;
 * tests/test_threads.c checks them under ThreadSanitizer.
 */
#ifndef FIIE_COMMON_H
#define FIIE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "fiie/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Marks the exported functions (default visibility while the library
 *  itself is built; everything else is hidden). */
#if defined(FIIE_BUILDING_LIBRARY) && defined(__GNUC__)
#define FIIE_API __attribute__((visibility("default")))
#else
/** Marks each exported function: default visibility while libfiie itself
 *  is built (everything else is hidden), nothing for its users. */
#define FIIE_API
#endif

/** Marks functions whose status must not be ignored (a caller that drops
 *  a failed fiie_encrypt() keeps a plaintext image it may then save): GCC
 *  and clang warn when the result is discarded. GCC warns even through a
 *  `(void)` cast, so test or store the status. Expands to nothing on other
 *  compilers; it changes no ABI. Define FIIE_NO_NODISCARD to turn it off. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(FIIE_NO_NODISCARD)
#define FIIE_NODISCARD __attribute__((warn_unused_result))
#else
#define FIIE_NODISCARD
#endif

/** Status codes. 0 is success, every error is negative. Values are frozen. */
enum fiie_status {
    FIIE_OK = 0,                   /**< success */
    FIIE_E_INVALID_ARGUMENT = -1,  /**< NULL pointer, zero size, bad enum value, bad option */
    FIIE_E_NO_MEMORY = -2,         /**< an allocation failed */
    FIIE_E_TOO_LARGE = -3,         /**< size over a documented limit, or arithmetic overflow */
    FIIE_E_IO = -4,                /**< a file could not be opened, read, written or renamed */
    FIIE_E_IMAGE_FORMAT = -5,      /**< image file unreadable: unknown, truncated or corrupt */
    FIIE_E_UNSUPPORTED = -6,       /**< valid request this build or format does not support */
    FIIE_E_BUFFER_TOO_SMALL = -7,  /**< caller's output buffer is too small; required size reported */
    FIIE_E_NOT_FOUND = -8,         /**< the requested item (PNG chunk, file) is absent */
    FIIE_E_EXISTS = -9,            /**< output exists and overwriting was not allowed */
    FIIE_E_VERSION = -10,          /**< options initialised for an incompatible ABI version */
    FIIE_E_MODEL = -11,            /**< model file corrupt, truncated or of an unknown version */
    FIIE_E_HEADER = -12,           /**< protected-image header malformed (spec section 6) */
    FIIE_E_MISMATCH = -13,         /**< header does not describe this image (size, channels) */
    FIIE_E_AUTH = -14,             /**< authentication failed: wrong key or tampered data */
    FIIE_E_CRYPTO = -15,           /**< crypto library failure (or no usable keystream parameter) */
    FIIE_E_THREAD = -16,           /**< a worker thread could not be started */
    FIIE_E_EMPTY_MASK = -17,       /**< the mask protects no pixel of the image */
    FIIE_E_UNSUPPORTED_FORMAT = -18, /**< image file of a known format libfiie does not read
                                          (WebP, TIFF, GIF, HEIC, AVIF, JPEG XL); since ABI 1.1 */
};

/** Most worker threads any libfiie call uses (the `threads` of the detector
 *  and cipher options); callers that size per-thread state use it too. */
#define FIIE_MAX_THREADS 64u

/**
 * @brief Release memory that libfiie allocated and returned to the caller
 *        (for example the buffer of fiie_image_encode_png()), wiping it
 *        first: it may hold pixels. Only for such memory, never for
 *        memory from malloc().
 * @param p pointer returned by libfiie, or NULL (then nothing happens)
 */
FIIE_API void fiie_free(void *p);

/**
 * @brief Human-readable description of a status code.
 * @param status a value returned by a libfiie function
 * @return a static, NUL-terminated English string; never NULL (unknown
 *         codes give "unknown error").
 */
FIIE_API const char *fiie_strerror(int status);

/**
 * @brief Release version of the library that is running.
 * @return FIIE_VERSION_NUMBER of the build (major*10000 + minor*100 + patch).
 */
FIIE_API int fiie_version_number(void);

/**
 * @brief Release version of the running library as text, e.g. "0.1.0".
 * @return a static, NUL-terminated string.
 */
FIIE_API const char *fiie_version_string(void);

/**
 * @brief ABI version of the running library (FIIE_ABI_VERSION of its build).
 *
 * Bindings compare `fiie_abi_version() >> 16` with the major they were
 * written for.
 * @return (major << 16) | minor
 */
FIIE_API int fiie_abi_version(void);

/** fiie_file_write_atomic() flag: never replace an existing file (nor a
 *  symbolic link, even a dangling one); FIIE_E_EXISTS instead. */
#define FIIE_FILE_NO_CLOBBER 1u
/** fiie_file_write_atomic() flag: the file holds a secret: it is created
 *  with permission bits exactly 0600 (owner read and write), whatever the
 *  umask, and is never readable by others, not even while being written.
 *  Without it the bits are 0666 minus the umask. */
#define FIIE_FILE_PRIVATE 2u

/**
 * @brief Write a whole file atomically: afterwards `path` holds exactly the
 *        `size` bytes of `data`, or is untouched.
 *
 * The bytes go to a new temporary file in the directory of `path`, which
 * is flushed to disk (fsync) and then renamed over `path`, or with
 * #FIIE_FILE_NO_CLOBBER moved there only if nothing is there (one atomic
 * step, no race with another writer); the directory is then flushed too.
 * On any failure the temporary file is removed: no partial or leftover
 * file, ever. A symbolic link at `path` is replaced, never followed. Every
 * file libfiie writes (PNG images, sidecar headers) is written this way.
 *
 * @param path  file to write; its directory must exist; NULL, "" or a
 *              name ending in '/' is FIIE_E_INVALID_ARGUMENT
 * @param data  bytes to write (may be NULL only when size is 0)
 * @param size  their count (0 writes an empty file)
 * @param flags 0 or a combination of #FIIE_FILE_NO_CLOBBER and
 *              #FIIE_FILE_PRIVATE (other bits give FIIE_E_INVALID_ARGUMENT)
 * @return 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_EXISTS (#FIIE_FILE_NO_CLOBBER
 *         and `path` exists), FIIE_E_IO (a system call failed; `errno`
 *         then holds its reason, e.g. ENOENT for a missing directory) or
 *         FIIE_E_NO_MEMORY.
 */
FIIE_NODISCARD
FIIE_API int fiie_file_write_atomic(const char *path, const void *data, size_t size,
                                    unsigned flags);

#ifdef __cplusplus
}
#endif

#endif /* FIIE_COMMON_H */
