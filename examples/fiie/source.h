/* What an input photo holds beyond 8-bit colour pixels, and the rule the
 * fiie tool applies to each case (docs/fiie.1, INPUT FORMATS):
 *
 *  - WebP, TIFF, GIF, HEIC, AVIF, JPEG XL: refused, "Unsupported format:
 *    WebP" (convert to PNG first).
 *  - 16 bits per sample (PNG): refused unless --allow-8bit; with it the
 *    protected and the restored image have 8 bits (the low byte is gone).
 *  - grey or grey + alpha: stored as RGB or RGBA with R = G = B, values
 *    unchanged, and a warning; decrypt gives back that RGB image.
 *  - an ICC colour profile: kept (the colour of a photo is not who is in
 *    it), in the protected PNG and in the restored one.
 *  - EXIF orientation: applied; other metadata (EXIF, GPS, text) dropped. */
#ifndef FIIE_CLI_SOURCE_H
#define FIIE_CLI_SOURCE_H

#include <stddef.h>

#include "fiie/fiie.h"

typedef struct source_policy {
    int allow_8bit; /* --allow-8bit: accept reducing 16-bit samples */
} source_policy;

/** Probe `path` before it is loaded for encryption. On 0, *info holds its
 * facts (the ICC profile to carry along) and `warn` a warning to show, or
 * "". On -1, `msg` says why the file is refused. Release *info with
 * fiie_image_info_free() in both cases. */
int source_check(const char *path, const source_policy *p, fiie_image_info *info, char *warn,
                 size_t wlen, char *msg, size_t mlen);

/** "what: reason" for a load of `path` that failed with `status`: an
 * unsupported format is named ("Unsupported format: WebP"). */
void source_load_error(char *buf, size_t len, const char *what, const char *path, int status);

#endif
