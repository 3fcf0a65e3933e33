/* Internal helpers of the image module shared by the loader, the PNG
 * writer and the EXIF orientation code. */
#ifndef FIIE_LIB_IMAGE_IMAGE_H
#define FIIE_LIB_IMAGE_IMAGE_H

#include "fiie/image.h"

/* Zero *img and take ownership of a malloc()ed, tightly packed buffer. */
void image_adopt(fiie_image *img, uint8_t *data, uint32_t width, uint32_t height,
                      int32_t format);

/* Exchange the first and third byte of every pixel (RGB <-> BGR) in place. */
void image_swap_rb(fiie_image *img);

/* Does the format put red first (RGB8/RGBA8)? */
int image_format_is_rgb_order(int32_t format);

/* ---- load.c: the structure check in front of every decode (probe.c
 * reports its findings through fiie_image_probe()). */

typedef enum image_file_kind {
    IMAGE_KIND_PNG,
    IMAGE_KIND_JPEG,
    IMAGE_KIND_BMP,
    IMAGE_KIND_TGA,
} image_file_kind;

/* What the structure check found out before decoding. */
typedef struct image_probe {
    image_file_kind kind;
    int has_alpha;
    int orientation;
    uint32_t width; /* as stored, before orientation */
    uint32_t height;
    uint32_t bit_depth; /* bits per sample as stored */
    uint32_t channels;  /* samples per pixel as stored (palette: 3 or 4) */
    const char *unsupported; /* name of a recognised unreadable format, or NULL */
    size_t soi;              /* JPEG: offset of the SOI marker code */
    uint8_t *png_data;       /* PNG: the inflated scanlines, when the check kept them */
    size_t png_data_size;
    int png_channels;        /* 3 or 4 when stb can rebuild the pixels from png_data */
} image_probe;

/* Identify the format, check its structure and the stored size against
 * FIIE_MAX_DIMENSION and max_pixels, without allocating pixel memory.
 * Returns 0, FIIE_E_UNSUPPORTED_FORMAT (pr->unsupported names it),
 * FIIE_E_IMAGE_FORMAT or FIIE_E_TOO_LARGE. */
int image_probe_file(const uint8_t *d, size_t n, uint64_t max_pixels, image_probe *pr);

/* Release what a probe kept (the wiped inflated PNG scanlines), after
 * success or failure alike. */
void image_probe_release(image_probe *pr);

/* ---- probe.c */

/* Name of a known image format libfiie does not read ("WebP", "TIFF",
 * "GIF", "HEIC", "AVIF", "JPEG XL") when data starts with its signature,
 * else NULL. */
const char *image_sniff_unsupported(const uint8_t *d, size_t n);

/* Stored samples per pixel and bit depth of a PNG header. */
struct image_png_header;
void image_png_stored_layout(const struct image_png_header *hdr, image_probe *pr);

#endif /* FIIE_LIB_IMAGE_IMAGE_H */
