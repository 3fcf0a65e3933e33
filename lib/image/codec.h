/* image/ private: structure checks in front of stb, EXIF, stb wrappers, CRC-32. */
#ifndef FIIE_LIB_IMAGE_CODEC_H
#define FIIE_LIB_IMAGE_CODEC_H

/* ---- png.c ----------------------------------------------------------------- */
/* PNG chunk structure: validation and chunk lookup (the pixel data itself
 * is decoded by stb, which does not check CRCs). */

#include <stddef.h>
#include <stdint.h>

#define IMAGE_PNG_SIGNATURE_BYTES 8
/* PNG limit on a chunk's data length (and on width and height). */
#define IMAGE_PNG_MAX_CHUNK_BYTES 0x7fffffffu

extern const uint8_t image_png_signature[IMAGE_PNG_SIGNATURE_BYTES];

/* What the loader needs from a validated PNG. */
typedef struct image_png_header {
    uint32_t width;
    uint32_t height;
    uint8_t bit_depth;
    uint8_t color_type;
    uint8_t interlace;
    uint8_t has_alpha; /* alpha channel (color type 4 or 6) or a tRNS chunk */
} image_png_header;

/* Is `type` (NUL-terminated) exactly four ASCII letters? */
int image_png_chunk_type_valid(const char *type);

/* Check the signature and the IHDR chunk (first, CRC, legal fields) only.
 * Returns 0 or FIIE_E_IMAGE_FORMAT. */
int image_png_read_header(const uint8_t *png, size_t size, image_png_header *hdr);

/* Validate the whole chunk sequence from the signature to IEND: lengths,
 * types, bounds, every CRC, IHDR first and well-formed, at least one IDAT.
 * Returns 0 or FIIE_E_IMAGE_FORMAT. */
int image_png_validate(const uint8_t *png, size_t size, image_png_header *hdr);

/* Inflate the image data of a validated PNG into a buffer of exactly the
 * size its header implies and refuse the file when the stream is corrupt
 * or holds more or less than that. stb's own inflater grows its output
 * without bound (up to 4 GiB) before it notices surplus data, so a
 * deflate "bomb" of a few MB could otherwise take gigabytes.
 * With `data` non-NULL the filtered scanlines are kept there (an image
 * buffer, common_buf_alloc) for image_stb_png_from_data(), so that the loader
 * inflates once; *data is NULL when the data is too large to check (then
 * stb decodes alone, with its own checks).
 * Returns 0, FIIE_E_IMAGE_FORMAT or FIIE_E_NO_MEMORY. */
int image_png_check_data_size(const uint8_t *png, size_t size, const image_png_header *hdr,
                              uint8_t **data, size_t *data_size);

/* Find the first chunk of `type`, validating everything up to and
 * including it. Returns 0, FIIE_E_IMAGE_FORMAT or FIIE_E_NOT_FOUND. */
int image_png_find(const uint8_t *png, size_t size, const char *type, const uint8_t **data,
                  size_t *data_size);

/* As image_png_find() on an open file, reading only up to the chunk.
 * The payload goes to buf when it fits in cap. Returns 0, FIIE_E_IO,
 * FIIE_E_IMAGE_FORMAT, FIIE_E_NOT_FOUND or FIIE_E_BUFFER_TOO_SMALL
 * (*data_size set). */
int image_png_find_fd(int fd, const char *type, uint8_t *buf, size_t cap, size_t *data_size);

/* ---- jpeg.c ---------------------------------------------------------------- */
/* JPEG marker structure: completeness check and EXIF lookup. */

/* Walk the marker segments and entropy-coded data from SOI to EOI.
 * A file that ends before EOI is rejected as truncated: stb would decode
 * it "successfully" with the missing part filled in, and a silently
 * partial image must never be encrypted or published. Bytes after EOI are
 * ignored. *exif / *exif_size receive the TIFF data of the first APP1
 * "Exif" segment (NULL / 0 when there is none).
 * Returns 0 or FIIE_E_IMAGE_FORMAT. */
int image_jpeg_validate(const uint8_t *jpg, size_t size, const uint8_t **exif,
                       size_t *exif_size);

/* ---- bitmap.c -------------------------------------------------------------- */
/* Completeness checks for the uncompressed-style formats BMP and TGA.
 * stb reads past the end of these as zero bytes and "succeeds", so a
 * truncated file must be caught before decoding. */

/* Does data start like a BMP ("BM")? */
int image_bmp_detect(const uint8_t *data, size_t size);

/* Parse the BMP header and check that the file holds every pixel row.
 * *width / *height receive the image size (height made positive).
 * Returns 0, FIIE_E_IMAGE_FORMAT or FIIE_E_TOO_LARGE. */
int image_bmp_validate(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height);

/* Check a TGA file (header fields as stb reads them) holds all its pixel
 * data, walking RLE packets when compressed. The caller has already
 * checked width * height against the pixel limit.
 * Returns 0 or FIIE_E_IMAGE_FORMAT. */
int image_tga_validate(const uint8_t *data, size_t size);

/* ---- exif.c ---------------------------------------------------------------- */
/* EXIF orientation: reading tag 0x0112 and applying it to decoded pixels. */

#include "fiie/image.h"

/* Orientation (1..8) stored in IFD0 of EXIF TIFF data (the bytes after
 * "Exif\0\0"), either byte order. Missing, malformed or out-of-range
 * values give 1 (as stored): bad metadata never makes an image
 * unreadable. */
int image_exif_orientation(const uint8_t *tiff, size_t size);

/* New packed image of src transformed so that it displays upright for
 * EXIF orientation 1..8 (5..8 swap width and height). dst must not be
 * src. Returns 0, FIIE_E_INVALID_ARGUMENT or FIIE_E_NO_MEMORY. */
int image_orient(fiie_image *dst, const fiie_image *src, int orientation);

/* ---- stb.c ----------------------------------------------------------------- */
/* Thin wrappers around the private copy of stb_image / stb_image_write
 * compiled in stb_impl.c, so that no stbi_* symbol exists outside that
 * file. All buffers returned here are image buffers (common_buf_alloc),
 * released with common_buf_free(). Sizes must fit in int (callers check). */

/* Header-only probe: 1 and the size and channel count (1..4) stored in the
 * file, or 0 when stb cannot parse the header. No pixel memory is used. */
int image_stb_info(const uint8_t *data, int size, int *width, int *height, int *channels);

/* Decode to 8-bit pixels with `channels` (3 or 4) per pixel; 16-bit
 * images are reduced to 8 bits. NULL on any failure. */
uint8_t *image_stb_decode(const uint8_t *data, int size, int channels, int *width,
                         int *height);

/* Inflate a zlib stream into out[0..cap): the decoded length, or -1 when
 * the stream is corrupt or would not fit. Never allocates beyond cap. */
int image_stb_inflate(const uint8_t *in, int in_size, uint8_t *out, int cap);

/* Compress data as a zlib stream (for iCCP). NULL when out of memory. */
uint8_t *image_stb_deflate(const uint8_t *data, int size, int *out_size);

/* Encode 8-bit RGB (3) or RGBA (4) rows as a PNG: signature, IHDR, then
 * `room` bytes left for the caller (a chunk of its own), one IDAT, IEND.
 * Rows are filtered as stb_image_write does; the data is compressed
 * through its zlib entry (image_zlib_compress() in fast codec builds) at
 * `level` 1..9. NULL when out of memory or too large for stb (filtered
 * data over INT_MAX bytes). */
uint8_t *image_stb_encode_png(const uint8_t *pixels, int stride, int width, int height,
                             int channels, int level, size_t room, size_t *out_size);

/* stb's PNG pixel reconstruction (unfiltering, alpha added or dropped) of
 * the inflated data of an 8-bit, non-interlaced RGB or RGBA PNG without
 * tRNS (file_channels 3 or 4), giving `channels` per pixel. The loader
 * uses it after inflating once for its own size check. NULL on corrupt
 * data or when out of memory. */
uint8_t *image_stb_png_from_data(uint8_t *data, size_t size, int width, int height,
                                 int file_channels, int channels);

/* ==== deflate.c: zlib streams (libdeflate, else zlib, else stb) */

/* Name of the deflate implementation of this build: "libdeflate",
 * "zlib" or "stb". */
extern const char *const image_zlib_name;

/* The PNG compression level when the caller gives 0: libdeflate 4 (about
 * the size of zlib's default level, 6, on photos, in well under its
 * time), zlib 6, stb 8 (stb_image_write's own default). */
extern const int image_zlib_default_level;

#if defined(FIIE_HAVE_LIBDEFLATE) || defined(FIIE_HAVE_ZLIB)
/* A zlib stream of data at level 1..9 (0: the default) in an image buffer
 * (common_buf_alloc) of at least *out_size bytes, released by
 * stb_image_write's free (common_buf_free, which wipes it); NULL when out
 * of memory. */
uint8_t *image_zlib_compress(const uint8_t *data, size_t size, int level, size_t *out_size);
#endif

/* Inflate a zlib stream into out[0..cap): the decoded length, -1 when the
 * stream is corrupt or would not fit, -2 when out of memory. Never
 * writes beyond cap. */
long long image_zlib_decompress(const uint8_t *in, size_t in_size, uint8_t *out, size_t cap);

/* ==== turbo.c: JPEG decoding by libjpeg-turbo */

/* Decode a JPEG that image_jpeg_validate() accepted into width x height
 * pixels of `channels` (3 or 4, alpha 255) in RGB order, or BGR order when
 * `bgr`. Returns 0 and an image buffer (common_buf_alloc) in *pixels, FIIE_E_UNSUPPORTED
 * when this build or libjpeg-turbo cannot (then stb decodes it: CMYK),
 * FIIE_E_IMAGE_FORMAT or FIIE_E_NO_MEMORY. */
int image_turbo_decode(const uint8_t *jpg, size_t size, int channels, int bgr, uint32_t width,
                       uint32_t height, uint8_t **pixels);

/* ---- encode.c --------------------------------------------------------------- */

/* Compression level of FIIE_SAVE_* flags: 0 (the default) or 1..9; -1 when
 * the flags hold unknown bits or a level above 9. */
int image_save_flags_level(unsigned flags);

/* fiie_image_encode_png() at compression `level` (0: the default): the
 * PNG with the optional private chunk right after IHDR, in *out (an image
 * buffer: release with common_buf_free(), which wipes it). */
int image_encode_png(const fiie_image *img, const char *chunk_type, const void *chunk_data,
                     size_t chunk_size, int level, uint8_t **out, size_t *out_size);

/* ---- crc32.c --------------------------------------------------------------- */
/* CRC-32 of ISO 3309 / ITU-T V.42 (the PNG and zlib polynomial). */

/* Continue a CRC: start with crc = 0, feed the bytes in any number of
 * pieces, the result is the CRC of their concatenation. libdeflate's or
 * zlib's when the build has one (deflate.c), else the table below. */
uint32_t image_crc32_update(uint32_t crc, const void *data, size_t size);

/* The portable table-driven CRC (crc32.c), same results. */
uint32_t image_crc32_table_update(uint32_t crc, const void *data, size_t size);

/* CRC-32 of one buffer. */
uint32_t image_crc32(const void *data, size_t size);

#endif /* FIIE_LIB_IMAGE_CODEC_H */
