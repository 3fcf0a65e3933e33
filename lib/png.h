/* PNG chunk structure: validation and chunk lookup (the pixel data itself
 * is decoded by stb, which does not check CRCs). */
#ifndef FIIE_LIB_PNG_H
#define FIIE_LIB_PNG_H

#include <stddef.h>
#include <stdint.h>

#define FIIE_PNG_SIGNATURE_BYTES 8
/* PNG limit on a chunk's data length (and on width and height). */
#define FIIE_PNG_MAX_CHUNK_BYTES 0x7fffffffu

extern const uint8_t fiie_png_signature[FIIE_PNG_SIGNATURE_BYTES];

/* What the loader needs from a validated PNG. */
typedef struct fiie_png_header {
    uint32_t width;
    uint32_t height;
    uint8_t bit_depth;
    uint8_t color_type;
    uint8_t interlace;
    uint8_t has_alpha; /* alpha channel (color type 4 or 6) or a tRNS chunk */
} fiie_png_header;

/* Is `type` (NUL-terminated) exactly four ASCII letters? */
int fiie_png_chunk_type_valid(const char *type);

/* Check the signature and the IHDR chunk (first, CRC, legal fields) only.
 * Returns 0 or FIIE_E_IMAGE_FORMAT. */
int fiie_png_read_header(const uint8_t *png, size_t size, fiie_png_header *hdr);

/* Validate the whole chunk sequence from the signature to IEND: lengths,
 * types, bounds, every CRC, IHDR first and well-formed, at least one IDAT.
 * Returns 0 or FIIE_E_IMAGE_FORMAT. */
int fiie_png_validate(const uint8_t *png, size_t size, fiie_png_header *hdr);

/* Inflate the image data of a validated PNG into a buffer of exactly the
 * size its header implies and refuse the file when the stream is corrupt
 * or holds more or less than that. stb's own inflater grows its output
 * without bound (up to 4 GiB) before it notices surplus data, so a
 * deflate "bomb" of a few MB could otherwise take gigabytes.
 * Returns 0, FIIE_E_IMAGE_FORMAT or FIIE_E_NO_MEMORY. */
int fiie_png_check_data_size(const uint8_t *png, size_t size, const fiie_png_header *hdr);

/* Find the first chunk of `type`, validating everything up to and
 * including it. Returns 0, FIIE_E_IMAGE_FORMAT or FIIE_E_NOT_FOUND. */
int fiie_png_find(const uint8_t *png, size_t size, const char *type, const uint8_t **data,
                  size_t *data_size);

/* As fiie_png_find() on an open file, reading only up to the chunk.
 * The payload goes to buf when it fits in cap. Returns 0, FIIE_E_IO,
 * FIIE_E_IMAGE_FORMAT, FIIE_E_NOT_FOUND or FIIE_E_BUFFER_TOO_SMALL
 * (*data_size set). */
int fiie_png_find_fd(int fd, const char *type, uint8_t *buf, size_t cap, size_t *data_size);

#endif
