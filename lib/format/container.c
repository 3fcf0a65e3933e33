/* Where headers live: the fiIE chunk of a PNG, or a sidecar file
 * (fiie/container.h). The header is always validated before it is
 * written or handed out. */
#include <stdlib.h>
#include <string.h>

#include "fiie/container.h"
#include "common/common.h"

/* The header must be well formed and describe this image. */
static int header_matches(const fiie_image *img, const uint8_t *header, size_t len)
{
    fiie_header_info info;
    int rc = fiie_header_parse(&info, header, len);
    if (rc != FIIE_OK)
        return rc;
    if (info.width != img->width || info.height != img->height ||
        (int)info.channels != fiie_pixel_format_channels(img->format))
        return FIIE_E_MISMATCH;
    return FIIE_OK;
}

int fiie_protected_png_save(const fiie_image *img, const uint8_t *header, size_t len,
                            const char *path, unsigned flags)
{
    /* the compression level itself is checked by fiie_image_save_png() */
    if (!img || !header || !path ||
        (flags & ~(FIIE_SAVE_NO_CLOBBER | FIIE_SAVE_COMPRESSION_MASK)) != 0)
        return FIIE_E_INVALID_ARGUMENT;
    int rc = fiie_image_validate(img);
    if (rc == FIIE_OK)
        rc = header_matches(img, header, len);
    if (rc != FIIE_OK)
        return rc;
    return fiie_image_save_png(img, path, FIIE_PNG_CHUNK, header, len, flags);
}

int fiie_protected_png_load(fiie_image *out, const char *path, uint8_t *header, size_t cap,
                            size_t *len)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (len)
        *len = 0;
    if (!out || !path || !len)
        return FIIE_E_INVALID_ARGUMENT;
    uint8_t *file = NULL;
    size_t size = 0;
    int rc = common_read_file(path, COMMON_MAX_IMAGE_FILE_BYTES, &file, &size);
    if (rc != FIIE_OK)
        return rc;
    const uint8_t *chunk = NULL;
    size_t clen = 0;
    /* An empty file is a broken image, not a bad argument. */
    rc = size == 0 ? FIIE_E_IMAGE_FORMAT
                   : fiie_png_find_chunk(file, size, FIIE_PNG_CHUNK, &chunk, &clen);
    if (rc == FIIE_OK) {
        fiie_header_info info;
        rc = fiie_header_parse(&info, chunk, clen);
        if (rc == FIIE_OK) {
            *len = clen;
            if (!header || cap < clen)
                rc = FIIE_E_BUFFER_TOO_SMALL;
        }
        if (rc == FIIE_OK)
            rc = fiie_image_load_memory(out, file, size, NULL);
        if (rc == FIIE_OK && (out->width != info.width || out->height != info.height ||
                              (int)info.channels != fiie_pixel_format_channels(out->format))) {
            fiie_image_free(out);
            rc = FIIE_E_MISMATCH;
        }
        if (rc == FIIE_OK)
            memcpy(header, chunk, clen);
    }
    common_buf_free(file); /* the image's pixels, compressed */
    return rc;
}

int fiie_sidecar_write(const char *path, const uint8_t *header, size_t len, unsigned flags)
{
    if (!path || !header || (flags & ~FIIE_SAVE_NO_CLOBBER) != 0)
        return FIIE_E_INVALID_ARGUMENT;
    fiie_header_info info;
    int rc = fiie_header_parse(&info, header, len);
    if (rc != FIIE_OK)
        return rc;
    return fiie_file_write_atomic(path, header, len,
                                  (flags & FIIE_SAVE_NO_CLOBBER) ? FIIE_FILE_NO_CLOBBER : 0u);
}

int fiie_sidecar_read(const char *path, uint8_t *header, size_t cap, size_t *len)
{
    if (len)
        *len = 0;
    if (!path || !len)
        return FIIE_E_INVALID_ARGUMENT;
    uint8_t *file = NULL;
    size_t size = 0;
    int rc = common_read_file(path, FIIE_HEADER_MAX_BYTES, &file, &size);
    if (rc == FIIE_E_TOO_LARGE)
        return FIIE_E_HEADER; /* no valid header is that long */
    if (rc != FIIE_OK)
        return rc;
    fiie_header_info info;
    rc = fiie_header_parse(&info, file, size);
    if (rc == FIIE_OK) {
        *len = size;
        if (!header || cap < size)
            rc = FIIE_E_BUFFER_TOO_SMALL;
        else
            memcpy(header, file, size);
    }
    common_buf_free(file);
    return rc;
}
