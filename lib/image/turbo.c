/* JPEG decoding by libjpeg-turbo (builds with fast codecs). Only files
 * that passed image_jpeg_validate() and the size limits arrive here.
 * Through the TurboJPEG API errors come back as return values (the
 * library's longjmp stays inside it). Its output differs from stb's by a
 * few levels at most (both use the accurate integer IDCT, their chroma
 * up-sampling rounds differently): a protected PNG always decrypts to the
 * pixels that were encrypted, whichever decoder read the original
 * (docs/performance.md). */
#include <stdlib.h>

#include "common/common.h"
#include "image/codec.h"

#if defined(FIIE_HAVE_TURBOJPEG)
#include <turbojpeg.h>

static int pixel_format(int channels, int bgr)
{
    if (channels == 4)
        return bgr ? TJPF_BGRA : TJPF_RGBA;
    return bgr ? TJPF_BGR : TJPF_RGB;
}

int image_turbo_decode(const uint8_t *jpg, size_t size, int channels, int bgr, uint32_t width,
                       uint32_t height, uint8_t **pixels)
{
    *pixels = NULL;
    if (size > (unsigned long)-1)
        return FIIE_E_TOO_LARGE;
    tjhandle tj = tjInitDecompress();
    if (tj == NULL)
        return FIIE_E_NO_MEMORY;
    int w = 0, h = 0, sub = 0, cs = 0, rc = 0;
    if (tjDecompressHeader3(tj, jpg, (unsigned long)size, &w, &h, &sub, &cs) != 0)
        rc = FIIE_E_IMAGE_FORMAT;
    else if (cs == TJCS_CMYK || cs == TJCS_YCCK)
        rc = FIIE_E_UNSUPPORTED; /* no CMYK to RGB in libjpeg-turbo: stb does it */
    else if ((uint32_t)w != width || (uint32_t)h != height)
        rc = FIIE_E_IMAGE_FORMAT; /* disagrees with the structure check: corrupt */
    size_t row = (size_t)width * (size_t)channels;
    uint8_t *px = rc == 0 ? common_buf_alloc(row * height) : NULL;
    if (rc == 0 && px == NULL)
        rc = FIIE_E_NO_MEMORY;
    /* Warnings (damaged entropy data inside a complete file) still yield a
     * whole image, as stb decodes such files; LIMITSCANS refuses the
     * progressive files of thousands of scans made to burn CPU. */
    if (rc == 0 && tjDecompress2(tj, jpg, (unsigned long)size, px, w, (int)row, h,
                                 pixel_format(channels, bgr), TJFLAG_LIMITSCANS) != 0 &&
        tjGetErrorCode(tj) != TJERR_WARNING)
        rc = FIIE_E_IMAGE_FORMAT;
    tjDestroy(tj);
    if (rc != 0) {
        common_buf_free(px); /* maybe partly decoded pixels */
        return rc;
    }
    *pixels = px;
    return 0;
}

#else

int image_turbo_decode(const uint8_t *jpg, size_t size, int channels, int bgr, uint32_t width,
                       uint32_t height, uint8_t **pixels)
{
    (void)jpg, (void)size, (void)channels, (void)bgr, (void)width, (void)height;
    *pixels = NULL;
    return FIIE_E_UNSUPPORTED;
}

#endif
