/**
 * @file fiie/container.h
 * @brief Where the FIIE v1 header (fiie/format.h) is stored: a `fiIE`
 *        chunk inside a PNG, or a sidecar file.
 *
 * Protected images are only ever written losslessly (PNG); lossy formats
 * would destroy the ciphertext.
 */
#ifndef FIIE_CONTAINER_H
#define FIIE_CONTAINER_H

#include "fiie/common.h"
#include "fiie/format.h"
#include "fiie/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Write a protected image as a PNG carrying its header in a `fiIE`
 *        chunk right after IHDR, atomically.
 *
 * The header is validated and must describe this image (width, height,
 * channels).
 * @param img    protected image
 * @param header its header
 * @param len    header size
 * @param path   output file
 * @param flags  0, FIIE_SAVE_NO_CLOBBER and/or FIIE_SAVE_COMPRESSION(1..9)
 * @return 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_HEADER, FIIE_E_MISMATCH,
 *         FIIE_E_EXISTS, FIIE_E_IO, FIIE_E_TOO_LARGE or FIIE_E_NO_MEMORY.
 */
FIIE_NODISCARD
FIIE_API int fiie_protected_png_save(const fiie_image *img, const uint8_t *header,
                                     size_t len, const char *path, unsigned flags);

/**
 * @brief Read a protected PNG: its `fiIE` header and its pixels.
 *
 * With `header` NULL or `cap` too small, only the header size is reported
 * (FIIE_E_BUFFER_TOO_SMALL, *len set, `out` zeroed); no pixels are decoded.
 * The image comes back as RGB8 or RGBA8, matching the header's channel
 * count (else FIIE_E_MISMATCH).
 * @param out    receives the image (release with fiie_image_free())
 * @param path   PNG file
 * @param header buffer for the header (FIIE_HEADER_MAX_BYTES always suffices)
 * @param cap    its capacity
 * @param len    receives the header size
 * @return 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_IO, FIIE_E_IMAGE_FORMAT,
 *         FIIE_E_NOT_FOUND (not a protected image), FIIE_E_HEADER,
 *         FIIE_E_MISMATCH, FIIE_E_BUFFER_TOO_SMALL, FIIE_E_TOO_LARGE or
 *         FIIE_E_NO_MEMORY.
 */
FIIE_NODISCARD
FIIE_API int fiie_protected_png_load(fiie_image *out, const char *path, uint8_t *header,
                                     size_t cap, size_t *len);

/**
 * @brief Write a header alone to a sidecar file, atomically.
 * @param path   output file
 * @param header header bytes (validated first)
 * @param len    their count
 * @param flags  0 or FIIE_SAVE_NO_CLOBBER
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL, empty path or one ending in
 *         '/', unknown flag bits), FIIE_E_HEADER, FIIE_E_EXISTS (only with
 *         FIIE_SAVE_NO_CLOBBER), FIIE_E_IO or FIIE_E_NO_MEMORY.
 */
FIIE_NODISCARD
FIIE_API int fiie_sidecar_write(const char *path, const uint8_t *header, size_t len,
                                unsigned flags);

/**
 * @brief Read and validate a sidecar file.
 *
 * With `header` NULL or `cap` too small, the size is reported in *len and
 * FIIE_E_BUFFER_TOO_SMALL returned.
 * @param path   sidecar file
 * @param header output buffer (FIIE_HEADER_MAX_BYTES always suffices)
 * @param cap    its capacity
 * @param len    receives the header size
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL path or len), FIIE_E_IO,
 *         FIIE_E_HEADER (malformed, or larger than FIIE_HEADER_MAX_BYTES),
 *         FIIE_E_BUFFER_TOO_SMALL or FIIE_E_NO_MEMORY.
 */
FIIE_NODISCARD
FIIE_API int fiie_sidecar_read(const char *path, uint8_t *header, size_t cap, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* FIIE_CONTAINER_H */
