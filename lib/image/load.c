/* Image file decoding (fiie_image_load, fiie_image_load_memory).
 *
 * stb_image decodes, but it trusts its input more than we do: it ignores
 * PNG CRCs and quietly zero-fills truncated JPEG, BMP and TGA data. So
 * every file first goes through a structure check of its format, and the
 * size stored in the header is compared with the limits before stb may
 * allocate anything for pixels. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "image/codec.h"
#include "fiie/image.h"
#include "image/image.h"
#include "common/common.h"

int fiie_load_options_init_v(fiie_load_options *o, int abi_version)
{
    int rc = common_options_begin(o, sizeof *o, abi_version);
    if (rc)
        return rc;
    o->apply_orientation = 1;
    o->max_pixels = FIIE_MAX_PIXELS;
    o->format = 0;
    return 0;
}

/* The options in effect, after checking the caller's struct. */
typedef struct load_settings {
    int orient;
    uint64_t max_pixels;
    int32_t format;
} load_settings;

static int read_options(const fiie_load_options *o, load_settings *s)
{
    s->orient = 1;
    s->max_pixels = FIIE_MAX_PIXELS;
    s->format = 0;
    if (o == NULL)
        return 0;
    int rc = common_options_check(o->abi_version, o->reserved, sizeof o->reserved);
    if (rc != FIIE_OK)
        return rc;
    if (o->format != 0 && fiie_pixel_format_channels(o->format) < 0)
        return FIIE_E_INVALID_ARGUMENT;
    s->orient = o->apply_orientation != 0;
    if (o->max_pixels != 0 && o->max_pixels < s->max_pixels)
        s->max_pixels = o->max_pixels;
    s->format = o->format;
    return 0;
}

typedef image_probe probe;

void image_probe_release(image_probe *pr)
{
    common_buf_free(pr->png_data); /* the inflated scanlines: pixels */
    pr->png_data = NULL;
}

static int check_limits(uint64_t w, uint64_t h, const load_settings *s)
{
    if (w > FIIE_MAX_DIMENSION || h > FIIE_MAX_DIMENSION || w * h > s->max_pixels)
        return FIIE_E_TOO_LARGE;
    return 0;
}

/* PNG: the size check comes right after IHDR, before the CRC walk over
 * the (possibly huge) rest of the file. */
static int probe_png(const uint8_t *d, size_t n, const load_settings *s, probe *pr)
{
    image_png_header hdr;
    int rc;
    if ((rc = image_png_read_header(d, n, &hdr)) < 0 ||
        (rc = check_limits(hdr.width, hdr.height, s)) < 0 ||
        (rc = image_png_validate(d, n, &hdr)) < 0 ||
        (rc = image_png_check_data_size(d, n, &hdr, &pr->png_data, &pr->png_data_size)) < 0)
        return rc;
    /* The common case (8-bit RGB or RGBA, not interlaced, no tRNS) is
     * rebuilt by stb from the data inflated here: one inflate, not two. */
    if (pr->png_data != NULL && hdr.bit_depth == 8 && !hdr.interlace &&
        ((hdr.color_type == 2 && !hdr.has_alpha) || hdr.color_type == 6))
        pr->png_channels = hdr.color_type == 6 ? 4 : 3;
    /* Alpha from the colour type or a tRNS chunk (stb's channel count
     * ignores tRNS). */
    pr->has_alpha = hdr.has_alpha;
    pr->width = hdr.width;
    pr->height = hdr.height;
    image_png_stored_layout(&hdr, pr);
    return 0;
}

/* Offset of the SOI marker code (0xD8) when stb would take the data for a
 * JPEG: 0xFF, any number of 0xFF fill bytes, 0xD8. 0 when it is not a
 * JPEG. The format detection must match stb's exactly, or a file could
 * reach a decoder whose structure check was skipped. */
static size_t jpeg_soi(const uint8_t *d, size_t n)
{
    size_t i = 0;
    while (i < n && d[i] == 0xff)
        i++;
    return i >= 1 && i < n && d[i] == 0xd8 ? i : 0;
}

/* Identify the format, check its structure, and check the stored size
 * against the limits. Nothing proportional to the pixel count is
 * allocated here. */
int image_probe_file(const uint8_t *d, size_t n, uint64_t max_pixels, probe *pr)
{
    memset(pr, 0, sizeof *pr);
    pr->orientation = 1;
    pr->bit_depth = 8;
    const load_settings *s = &(const load_settings){.orient = 1, .max_pixels = max_pixels};
    int rc;
    size_t soi;
    if (n >= IMAGE_PNG_SIGNATURE_BYTES &&
        memcmp(d, image_png_signature, IMAGE_PNG_SIGNATURE_BYTES) == 0) {
        pr->kind = IMAGE_KIND_PNG;
        if ((rc = probe_png(d, n, s, pr)) < 0)
            return rc;
    } else if ((soi = jpeg_soi(d, n)) != 0) {
        const uint8_t *exif;
        size_t exif_size;
        pr->kind = IMAGE_KIND_JPEG;
        pr->soi = soi;
        if ((rc = image_jpeg_validate(d + soi - 1, n - soi + 1, &exif, &exif_size)) < 0)
            return rc;
        pr->orientation = image_exif_orientation(exif, exif_size);
    } else if (image_bmp_detect(d, n)) {
        pr->kind = IMAGE_KIND_BMP;
        if ((rc = image_bmp_validate(d, n, &pr->width, &pr->height)) < 0 ||
            (rc = check_limits(pr->width, pr->height, s)) < 0)
            return rc;
    } else if ((pr->unsupported = image_sniff_unsupported(d, n)) != NULL) {
        return FIIE_E_UNSUPPORTED_FORMAT;
    } else {
        /* stb tries PNG, BMP and JPEG by their signatures, all excluded
         * above, so the data can only decode as a TGA, the one format
         * without a signature. */
        pr->kind = IMAGE_KIND_TGA;
    }
    /* stb's own header parse (header only, no pixel memory): the size for
     * JPEG and TGA, the channel count, and a cross-check for the others. */
    int sw = 0, sh = 0, sc = 0;
    if (!image_stb_info(d, (int)n, &sw, &sh, &sc) || sw <= 0 || sc < 1 || sc > 4)
        return FIIE_E_IMAGE_FORMAT;
    if (pr->kind == IMAGE_KIND_BMP)
        sh = (int)pr->height; /* stb reports top-down BMPs with a negative height */
    if (sh <= 0)
        return FIIE_E_IMAGE_FORMAT;
    if ((pr->kind == IMAGE_KIND_PNG || pr->kind == IMAGE_KIND_BMP) &&
        ((uint32_t)sw != pr->width || (uint32_t)sh != pr->height))
        return FIIE_E_IMAGE_FORMAT;
    pr->width = (uint32_t)sw;
    pr->height = (uint32_t)sh;
    if ((rc = check_limits(pr->width, pr->height, s)) < 0)
        return rc;
    if (pr->kind == IMAGE_KIND_TGA && (rc = image_tga_validate(d, n)) < 0)
        return rc;
    if (pr->kind != IMAGE_KIND_PNG) {
        pr->has_alpha = sc == 2 || sc == 4;
        pr->channels = (uint32_t)sc;
    }
    return 0;
}

/* Turn the decoded RGB/RGBA image (BGR/BGRA when `bgr`) into the
 * requested layout. */
static int finish(fiie_image *img, const load_settings *s, const probe *pr, int bgr)
{
    if (s->orient && pr->orientation != 1) {
        fiie_image turned;
        int rc = image_orient(&turned, img, pr->orientation);
        fiie_image_free(img);
        if (rc < 0)
            return rc;
        *img = turned;
    }
    if (s->format == FIIE_PIXEL_BGR8 || s->format == FIIE_PIXEL_BGRA8) {
        if (!bgr)
            image_swap_rb(img);
        img->format = s->format;
    }
    return 0;
}

static int wants_bgr(const load_settings *s)
{
    return s->format == FIIE_PIXEL_BGR8 || s->format == FIIE_PIXEL_BGRA8;
}

/* Pixels by the fastest decoder this build has for the file: libjpeg-turbo
 * for JPEG, stb's reconstruction of the data the PNG check inflated, else
 * stb alone. *bgr tells whether they came in B, G, R order. */
static int decode_pixels(const uint8_t *d, size_t n, const load_settings *s, const probe *pr,
                         int channels, uint8_t **px, int *bgr)
{
    *bgr = 0;
    if (pr->kind == IMAGE_KIND_JPEG) {
        int rc = image_turbo_decode(d + pr->soi - 1, n - pr->soi + 1, channels, wants_bgr(s),
                                    pr->width, pr->height, px);
        if (rc != FIIE_E_UNSUPPORTED) {
            *bgr = rc == 0 && wants_bgr(s);
            return rc;
        }
    } else if (pr->png_channels != 0) {
        *px = image_stb_png_from_data(pr->png_data, pr->png_data_size, (int)pr->width,
                                      (int)pr->height, pr->png_channels, channels);
        return *px != NULL ? 0 : FIIE_E_IMAGE_FORMAT;
    }
    int w = 0, h = 0;
    *px = image_stb_decode(d, (int)n, channels, &w, &h);
    if (*px == NULL)
        return FIIE_E_IMAGE_FORMAT; /* stb gives no reason; corrupt data is likeliest */
    if ((uint32_t)w != pr->width || (uint32_t)h != pr->height) {
        /* stb disagreeing with its own header parse: corrupt */
        common_buf_free(*px);
        *px = NULL;
        return FIIE_E_IMAGE_FORMAT;
    }
    return 0;
}

static int load(fiie_image *out, const uint8_t *d, size_t n, const load_settings *s)
{
    if (n > COMMON_MAX_IMAGE_FILE_BYTES || n > INT_MAX)
        return FIIE_E_TOO_LARGE;
    probe pr;
    int rc = image_probe_file(d, n, s->max_pixels, &pr);
    if (rc < 0) {
        image_probe_release(&pr);
        return rc;
    }
    int channels;
    if (s->format != 0)
        channels = fiie_pixel_format_channels(s->format);
    else
        channels = pr.has_alpha ? 4 : 3;
    uint8_t *px = NULL;
    int bgr = 0;
    rc = decode_pixels(d, n, s, &pr, channels, &px, &bgr);
    image_probe_release(&pr);
    if (rc < 0)
        return rc;
    image_adopt(out, px, pr.width, pr.height, channels == 4 ? FIIE_PIXEL_RGBA8 : FIIE_PIXEL_RGB8);
    rc = finish(out, s, &pr, bgr);
    if (rc < 0)
        memset(out, 0, sizeof *out);
    return rc;
}

int fiie_image_load_memory(fiie_image *out, const void *data, size_t size,
                           const fiie_load_options *o)
{
    if (out == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    if (data == NULL || size == 0)
        return FIIE_E_INVALID_ARGUMENT;
    load_settings s;
    int rc = read_options(o, &s);
    if (rc < 0)
        return rc;
    return load(out, data, size, &s);
}

int fiie_image_load(fiie_image *out, const char *path, const fiie_load_options *o)
{
    if (out == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    if (path == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    load_settings s;
    int rc = read_options(o, &s);
    if (rc < 0)
        return rc;
    uint8_t *buf;
    size_t size;
    if ((rc = common_read_file(path, COMMON_MAX_IMAGE_FILE_BYTES, &buf, &size)) < 0)
        return rc;
    rc = size == 0 ? FIIE_E_IMAGE_FORMAT : load(out, buf, size, &s);
    common_buf_free(buf); /* a compressed copy of the pixels */
    return rc;
}
