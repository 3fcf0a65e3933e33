/* What a file holds before it is decoded (fiie_image_probe): its format,
 * including the formats libfiie recognises but does not read, the stored
 * bit depth and channels, and its ICC colour profile. Nothing here decodes
 * pixels: the structure check of load.c does the validation, this file
 * reports what it found and reads the colour profile. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "fiie/image.h"
#include "image/codec.h"
#include "image/image.h"

/* ---- formats we recognise but do not read ------------------------------ */

/* Major or compatible brand of an ISO BMFF "ftyp" box: HEIF/HEIC or AVIF. */
static const char *bmff_brand_format(const uint8_t *brand)
{
    static const char *const heic[] = {"heic", "heix", "hevc", "hevx", "heim",
                                       "heis", "mif1", "msf1"};
    if (memcmp(brand, "avif", 4) == 0 || memcmp(brand, "avis", 4) == 0)
        return "AVIF";
    for (size_t i = 0; i < sizeof heic / sizeof heic[0]; i++)
        if (memcmp(brand, heic[i], 4) == 0)
            return "HEIC";
    return NULL;
}

/* An "ftyp" box first: AVIF if any brand says so (AVIF files often have
 * the generic "mif1" as major brand), else HEIC for the HEIF brands. */
static const char *sniff_bmff(const uint8_t *d, size_t n)
{
    if (n < 16 || memcmp(d + 4, "ftyp", 4) != 0)
        return NULL;
    size_t box = mem_load_be32(d);
    if (box < 16 || box > n)
        box = n;
    const char *found = NULL;
    for (size_t off = 8; off + 4 <= box; off += 4) {
        if (off == 12)
            continue; /* minor version, not a brand */
        const char *f = bmff_brand_format(d + off);
        if (f != NULL && (found == NULL || strcmp(f, "AVIF") == 0))
            found = f;
    }
    return found;
}

const char *image_sniff_unsupported(const uint8_t *d, size_t n)
{
    static const uint8_t jxl_box[12] = {0, 0, 0, 12, 'J', 'X', 'L', ' ', 13, 10, 0x87, 10};
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return "WebP";
    if (n >= 4 && (memcmp(d, "II*\0", 4) == 0 || memcmp(d, "MM\0*", 4) == 0 ||
                   memcmp(d, "II+\0", 4) == 0 || memcmp(d, "MM\0+", 4) == 0))
        return "TIFF";
    if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
        return "GIF";
    if ((n >= 2 && d[0] == 0xff && d[1] == 0x0a) ||
        (n >= sizeof jxl_box && memcmp(d, jxl_box, sizeof jxl_box) == 0))
        return "JPEG XL";
    return sniff_bmff(d, n);
}

void image_png_stored_layout(const struct image_png_header *hdr, image_probe *pr)
{
    /* Samples per colour type 0, (1), 2, 3, 4, (5), 6; a palette entry is
     * colour, and a tRNS chunk adds transparency to types 0, 2 and 3. */
    static const uint8_t samples[7] = {1, 0, 3, 3, 2, 0, 4};
    uint8_t ct = hdr->color_type;
    pr->bit_depth = hdr->bit_depth;
    pr->channels = ct < 7 ? samples[ct] : 0;
    if (hdr->has_alpha && (ct == 0 || ct == 2 || ct == 3))
        pr->channels++;
}

/* ---- ICC profiles -------------------------------------------------------- */

/* An ICC profile starts with a 128-byte header whose first field is the
 * profile's size; a profile whose size field disagrees with its data is
 * damaged and ignored. */
#define ICC_HEADER_BYTES 128

static int icc_plausible(const uint8_t *icc, size_t size)
{
    return size >= ICC_HEADER_BYTES && size <= FIIE_MAX_ICC_BYTES &&
           mem_load_be32(icc) == size;
}

/* iCCP: profile name (1-79 bytes), NUL, compression method 0, zlib data. */
static uint8_t *png_icc(const uint8_t *d, size_t n, size_t *icc_size)
{
    const uint8_t *chunk;
    size_t len;
    if (image_png_find(d, n, "iCCP", &chunk, &len) < 0)
        return NULL;
    const uint8_t *nul = memchr(chunk, 0, len < 80 ? len : 80);
    if (nul == NULL || nul == chunk)
        return NULL;
    size_t head = (size_t)(nul - chunk) + 2;
    if (head > len || chunk[head - 1] != 0 || len - head > INT_MAX)
        return NULL;
    /* Inflate into a buffer of the largest allowed size, never beyond it
     * (a compressed "bomb" stops there), then give back the rest. */
    uint8_t *icc = malloc(FIIE_MAX_ICC_BYTES);
    if (icc == NULL)
        return NULL;
    int got = image_stb_inflate(chunk + head, (int)(len - head), icc, (int)FIIE_MAX_ICC_BYTES);
    if (got <= 0 || !icc_plausible(icc, (size_t)got)) {
        free(icc);
        return NULL;
    }
    uint8_t *fit = realloc(icc, (size_t)got);
    *icc_size = (size_t)got;
    return fit != NULL ? fit : icc;
}

enum { JPEG_APP2 = 0xe2, JPEG_SOS = 0xda, JPEG_EOI = 0xd9, ICC_PIECES_MAX = 255 };

/* APP2 "ICC_PROFILE\0", piece number (1-based), piece count, data. */
#define ICC_TAG "ICC_PROFILE"
#define ICC_TAG_BYTES (sizeof ICC_TAG + 2)

/* Visit the ICC pieces among the segments before the first scan of a
 * JPEG that image_jpeg_validate() accepted (bounds are checked again
 * anyway). The pieces go to out (NULL: only count the bytes) in piece
 * order. Returns the joined size, or 0 when the pieces are inconsistent
 * (count differs, a number missing or repeated). */
static size_t jpeg_icc_pieces(const uint8_t *d, size_t n, uint8_t *out)
{
    size_t pos = 2, total = 0;
    unsigned count = 0, seen = 0;
    uint8_t have[ICC_PIECES_MAX + 1] = {0};
    while (pos + 4 <= n && d[pos] == 0xff) {
        uint8_t m = d[pos + 1];
        if (m == 0xff) {
            pos++;
            continue;
        }
        if (m == JPEG_SOS || m == JPEG_EOI)
            break;
        size_t len = mem_load_be16(d + pos + 2);
        if (len < 2 || len > n - pos - 2)
            return 0;
        const uint8_t *p = d + pos + 4;
        size_t plen = len - 2;
        if (m == JPEG_APP2 && plen > ICC_TAG_BYTES && memcmp(p, ICC_TAG, sizeof ICC_TAG) == 0) {
            unsigned num = p[sizeof ICC_TAG], cnt = p[sizeof ICC_TAG + 1];
            if (num == 0 || cnt == 0 || num > cnt || (count != 0 && cnt != count) || have[num])
                return 0;
            count = cnt;
            have[num] = 1;
            seen++;
            size_t piece = plen - ICC_TAG_BYTES;
            if (out != NULL) {
                /* Every writer we know stores the pieces in order; a file
                 * that does not is refused rather than reassembled. */
                if (num != seen)
                    return 0;
                memcpy(out + total, p + ICC_TAG_BYTES, piece);
            }
            total += piece;
            if (total > FIIE_MAX_ICC_BYTES)
                return 0;
        }
        pos += 2 + len;
    }
    return seen != 0 && seen == count ? total : 0;
}

static uint8_t *jpeg_icc(const uint8_t *d, size_t n, size_t *icc_size)
{
    size_t total = jpeg_icc_pieces(d, n, NULL);
    if (total == 0)
        return NULL;
    uint8_t *icc = malloc(total);
    if (icc == NULL)
        return NULL;
    if (jpeg_icc_pieces(d, n, icc) != total || !icc_plausible(icc, total)) {
        free(icc);
        return NULL;
    }
    *icc_size = total;
    return icc;
}

/* ---- fiie_image_probe ------------------------------------------------------ */

static const char *kind_name(image_file_kind kind)
{
    switch (kind) {
    case IMAGE_KIND_PNG: return "PNG";
    case IMAGE_KIND_JPEG: return "JPEG";
    case IMAGE_KIND_BMP: return "BMP";
    default: return "TGA";
    }
}

/* Offset of a JPEG's SOI marker (the loader accepts fill bytes before it). */
static size_t jpeg_start(const uint8_t *d, size_t n)
{
    size_t i = 0;
    while (i + 1 < n && d[i] == 0xff && d[i + 1] == 0xff)
        i++;
    return i;
}

int fiie_image_probe_memory(fiie_image_info *info, const void *data, size_t size)
{
    if (info == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    memset(info, 0, sizeof *info);
    if (data == NULL || size == 0)
        return FIIE_E_INVALID_ARGUMENT;
    if (size > COMMON_MAX_IMAGE_FILE_BYTES || size > INT_MAX)
        return FIIE_E_TOO_LARGE;
    const uint8_t *d = data;
    image_probe pr;
    int rc = image_probe_file(d, size, FIIE_MAX_PIXELS, &pr);
    image_probe_release(&pr); /* only the facts are needed here */
    if (rc == FIIE_E_UNSUPPORTED_FORMAT)
        snprintf(info->format, sizeof info->format, "%s", pr.unsupported);
    if (rc < 0)
        return rc;
    snprintf(info->format, sizeof info->format, "%s", kind_name(pr.kind));
    info->width = pr.width;
    info->height = pr.height;
    info->bit_depth = pr.bit_depth;
    info->channels = pr.channels;
    info->orientation = (uint32_t)pr.orientation;
    if (pr.kind == IMAGE_KIND_PNG)
        info->icc = png_icc(d, size, &info->icc_size);
    else if (pr.kind == IMAGE_KIND_JPEG) {
        size_t soi = jpeg_start(d, size);
        info->icc = jpeg_icc(d + soi, size - soi, &info->icc_size);
    }
    return 0;
}

int fiie_image_probe(fiie_image_info *info, const char *path)
{
    if (info == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    memset(info, 0, sizeof *info);
    if (path == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    uint8_t *buf;
    size_t size;
    int rc = common_read_file(path, COMMON_MAX_IMAGE_FILE_BYTES, &buf, &size);
    if (rc < 0)
        return rc;
    rc = size == 0 ? FIIE_E_IMAGE_FORMAT : fiie_image_probe_memory(info, buf, size);
    common_buf_free(buf);
    return rc;
}

void fiie_image_info_free(fiie_image_info *info)
{
    if (info == NULL)
        return;
    free(info->icc);
    memset(info, 0, sizeof *info);
}
