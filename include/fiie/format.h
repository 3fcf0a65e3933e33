/**
 * @file fiie/format.h
 * @brief The FIIE v1 file format (docs/format.md): algorithm numbers, sizes,
 *        and the header codec.
 *
 * The format sits underneath both the cipher (fiie/cipher.h), which writes
 * and authenticates headers, and the containers (fiie/container.h), which
 * store them; it needs neither. A header can be inspected without a key:
 * fiie_header_parse() validates it strictly and reports image size,
 * algorithm, nonce, KDF parameters and regions, so tools can show what a
 * protected file contains.
 */
#ifndef FIIE_FORMAT_H
#define FIIE_FORMAT_H

#include "fiie/common.h"
#include "fiie/mask.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Per-image nonce size in bytes. */
#define FIIE_NONCE_BYTES 24u
/** Authentication tag size in bytes (algorithm 1). */
#define FIIE_TAG_BYTES 16u
/** Argon2id salt size in bytes. */
#define FIIE_SALT_BYTES 16u

/** Algorithm numbers stored in the header (frozen). */
typedef enum fiie_alg {
    FIIE_ALG_PAPER = 0,  /**< insecure paper reproduction (no nonce, no tag) */
    FIIE_ALG_V1 = 1,     /**< Logistic keystream + XChaCha20-Poly1305 (default) */
} fiie_alg;

/** PNG chunk type holding the header (ancillary, private, unsafe to copy). */
#define FIIE_PNG_CHUNK "fiIE"
/** Size of the fixed part of the header (magic .. reserved). */
#define FIIE_HEADER_FIXED_BYTES 44u
/** Size of the optional KDF block. */
#define FIIE_HEADER_KDF_BYTES 36u
/** Size of one region record. */
#define FIIE_HEADER_REGION_BYTES 20u
/** Largest possible header: KDF block, 65535 regions and a tag. */
#define FIIE_HEADER_MAX_BYTES                                                   \
    (FIIE_HEADER_FIXED_BYTES + FIIE_HEADER_KDF_BYTES +                              \
     FIIE_HEADER_REGION_BYTES * FIIE_MAX_REGIONS + FIIE_TAG_BYTES)

/** What a header says, as decoded by fiie_header_parse(). */
typedef struct fiie_header_info {
    uint32_t version;     /**< format version (1) */
    uint32_t alg;         /**< a ::fiie_alg value */
    uint32_t flags;       /**< header flags; bit 0: KDF block present */
    uint32_t channels;    /**< channels of the stored image, 3 or 4 */
    uint32_t width;       /**< image width */
    uint32_t height;      /**< image height */
    uint32_t n_regions;   /**< region count, >= 1 */
    uint32_t kdf;         /**< 0: raw key; 1: Argon2id v1.3 passphrase */
    uint64_t opslimit;    /**< Argon2id opslimit (kdf == 1) */
    uint64_t memlimit;    /**< Argon2id memlimit in bytes (kdf == 1) */
    uint8_t salt[FIIE_SALT_BYTES];   /**< Argon2id salt (kdf == 1) */
    uint8_t nonce[FIIE_NONCE_BYTES]; /**< per-image nonce (zeros for the paper algorithm) */
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
FIIE_NODISCARD
FIIE_API int fiie_header_parse(fiie_header_info *info, const uint8_t *header, size_t len);

/**
 * @brief Decode one region of a header (the header is validated first).
 * @param header header bytes
 * @param len    their count
 * @param index  0 .. n_regions - 1
 * @param out    receives the region
 * @return 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_HEADER or FIIE_E_NOT_FOUND.
 */
FIIE_NODISCARD
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
FIIE_NODISCARD
FIIE_API int fiie_mask_from_header(fiie_mask **out, const uint8_t *header, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* FIIE_FORMAT_H */
