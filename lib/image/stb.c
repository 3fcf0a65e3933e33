/* The one translation unit that compiles stb_image and stb_image_write.
 *
 * Both are built as static (file-local) code: no stbi_* symbol can leak
 * from libfiie or clash with a copy the application links itself. Only the
 * decoders libfiie documents are compiled (fewer parsers, less attack
 * surface), without stdio and without the failure-reason strings, which
 * would be (thread-local) global state. stb's global settings
 * (compression level, flip on load/write, iPhone PNG handling) keep their
 * defaults and are never written: changing them at run time would be
 * process-wide mutable state. */
#include <limits.h>

#include "image/codec.h"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_NO_FAILURE_STRINGS
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_TGA
/* Same cap as FIIE_MAX_DIMENSION (the loader checks first anyway). */
#define STBI_MAX_DIMENSIONS 65535

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO

/* Third-party code. Two of its warnings would trip -Werror; GCC reports
 * them at the end of the file or after inlining, where a push/pop around
 * the includes does not reach, so they are off for this whole file, which
 * holds nothing but the wrappers below: unused static stb functions, and a
 * maybe-uninitialized false positive on stb's (unused) callback reader. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif
/* Built as its own archive (lib/meson.build) so that UBSan can skip stb's
 * known arithmetic undefined behaviour here without losing it elsewhere. */
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

int image_stb_info(const uint8_t *data, int size, int *width, int *height, int *channels)
{
    return stbi_info_from_memory(data, size, width, height, channels);
}

uint8_t *image_stb_decode(const uint8_t *data, int size, int channels, int *width,
                         int *height)
{
    int file_channels = 0;
    return stbi_load_from_memory(data, size, width, height, &file_channels, channels);
}

int image_stb_inflate(const uint8_t *in, int in_size, uint8_t *out, int cap)
{
    return stbi_zlib_decode_buffer((char *)out, cap, (const char *)in, in_size);
}

uint8_t *image_stb_encode_png(const uint8_t *pixels, int stride, int width, int height,
                             int channels, int *out_size)
{
    return stbi_write_png_to_mem(pixels, stride, width, height, channels, out_size);
}

uint8_t *image_stb_deflate(const uint8_t *data, int size, int *out_size)
{
    /* Quality 8 is stb's own choice for PNG image data. */
    return stbi_zlib_compress((unsigned char *)data, size, out_size, 8);
}
