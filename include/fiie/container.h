/**
 * @file fiie/container.h
 * @brief The FIIE v1 header (docs/format.md section 6) and where it is
 *        stored: a `fiIE` chunk inside a PNG, or a sidecar file.
 *
 * The header can be inspected without a key: fiie_header_parse() validates
 * it strictly and reports image size, algorithm, nonce, KDF parameters and
 * regions, so tools can show what a protected file contains.
 *
 * Protected images are only ever written losslessly (PNG); lossy formats
 * would destroy the ciphertext.
 */
#ifndef FIIE_CONTAINER_H
#define FIIE_CONTAINER_H

#include "fiie/common.h"
#include "fiie/image.h"
#include "fiie/mask.h"

#ifdef __cplusplus
extern "C" {
#endif

/** PNG chunk type holding the header (ancillary, private, unsafe to copy). */
#define FIIE_PNG_CHUNK "fiIE"
/** Size of the fixed part of the header (magic .. reserved). */
#define FIIE_HEADER_FIXED_BYTES 44u
/** Size of the optional KDF block. */
#define FIIE_HEADER_KDF_BYTES 36u
/** Size of one region record. */
#define FIIE_HEADER_REGION_BYTES 20u
/** Largest possible header: KDF block, 65535 regions and a tag. */
#define FIIE_HEADER_MAX_BYTES (44u + 36u + 20u * 65535u + 16u)

/** What a header says, as decoded by fiie_header_parse(). */
typedef struct fiie_header_info {
    uint32_t version;     /**< format version (1) */
    uint32_t alg;         /**< a fiie_alg value (fiie/cipher.h) */
    uint32_t flags;       /**< header flags; bit 0: KDF block present */
    uint32_t channels;    /**< channels of the stored image, 3 or 4 */
    uint32_t width;       /**< image width */
    uint32_t height;      /**< image height */
    uint32_t n_regions;   /**< region count, >= 1 */
    uint32_t kdf;         /**< 0: raw key; 1: Argon2id v1.3 passphrase */
    uint64_t opslimit;    /**< Argon2id opslimit (kdf == 1) */
    uint64_t memlimit;    /**< Argon2id memlimit in bytes (kdf == 1) */
    uint8_t salt[16];     /**< Argon2id salt (kdf == 1) */
    uint8_t nonce[24];    /**< per-image nonce (zeros for the paper algorithm) */
    uint8_t reserved[24]; /**< zero */
} fiie_header_info;

/**
 * @brief Size of a header.
 * @param alg       FIIE_ALG_V1 or FIIE_ALG_PAPER
 * @param n_regions region count, 1..FIIE_MAX_REGIONS
 * @param has_kdf   non-zero when a KDF block is present
 * @return the size in bytes, or 0 for an invalid combination.
 */
FIIE_API size_t fiie_header_size(int alg, size_t n_regions, int has_kdf);

/**
 * @brief Validate and decode a header (no key needed).
 *
 * Rejects everything the format rejects: wrong magic, unknown version,
 * algorithm, flag bits, KDF or shape, non-zero reserved bytes, zero
 * regions, zero region sizes, and any length that is not exactly the
 * header size (truncation or trailing bytes).
 * @param info   receives the decoded fields
 * @param header header bytes
 * @param len    their count
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL) or FIIE_E_HEADER.
 */
FIIE_API int fiie_header_parse(fiie_header_info *info, const uint8_t *header, size_t len);

/**
 * @brief Decode one region of a header (the header is validated first).
 * @param header header bytes
 * @param len    their count
 * @param index  0 .. n_regions - 1
 * @param out    receives the region
 * @return 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_HEADER or FIIE_E_NOT_FOUND.
 */
FIIE_API int fiie_header_get_region(const uint8_t *header, size_t len, size_t index,
                                    fiie_region *out);

/**
 * @brief Build the mask a header describes (e.g. to preview which pixels
 *        are protected).
 * @param out    receives a mask of the header's width and height
 * @param header header bytes
 * @param len    their count
 * @return 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_HEADER, FIIE_E_TOO_LARGE
 *         (image size over the library limits) or FIIE_E_NO_MEMORY.
 */
FIIE_API int fiie_mask_from_header(fiie_mask **out, const uint8_t *header, size_t len);

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
 * @param flags  0 or FIIE_SAVE_NO_CLOBBER
 * @return 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_HEADER, FIIE_E_MISMATCH,
 *         FIIE_E_EXISTS, FIIE_E_IO, FIIE_E_TOO_LARGE or FIIE_E_NO_MEMORY.
 */
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
FIIE_API int fiie_sidecar_read(const char *path, uint8_t *header, size_t cap, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* FIIE_CONTAINER_H */
