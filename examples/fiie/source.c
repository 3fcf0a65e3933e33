#include "source.h"

#include <stdio.h>
#include <string.h>

/* The flag that accepts the one lossy conversion. */
#define ALLOW_8BIT "--allow-8bit"

static void unsupported(char *buf, size_t len, const char *format)
{
    snprintf(buf, len,
             "Unsupported format: %s (fiie reads PNG, JPEG, BMP and TGA; convert it to PNG first)",
             format[0] ? format : "unknown");
}

int source_check(const char *path, const source_policy *p, fiie_image_info *info, char *warn,
                 size_t wlen, char *msg, size_t mlen)
{
    warn[0] = '\0';
    int rc = fiie_image_probe(info, path);
    if (rc == FIIE_E_UNSUPPORTED_FORMAT) {
        unsupported(msg, mlen, info->format);
        return -1;
    }
    if (rc) {
        snprintf(msg, mlen, "%s", fiie_strerror(rc));
        return -1;
    }
    if (info->bit_depth > 8 && !p->allow_8bit) {
        snprintf(msg, mlen,
                 "%u-bit %s: fiie works on 8 bits per sample, and reducing would lose the low "
                 "bits for good; pass " ALLOW_8BIT " to protect the 8-bit version",
                 info->bit_depth, info->format);
        return -1;
    }
    if (info->channels <= 2)
        snprintf(warn, wlen, "grey image: stored as %s with R = G = B (values unchanged); "
                             "decrypt restores that %s image",
                 info->channels == 2 ? "RGBA" : "RGB", info->channels == 2 ? "RGBA" : "RGB");
    else if (info->bit_depth > 8)
        snprintf(warn, wlen, "%u-bit samples reduced to 8 bits (" ALLOW_8BIT ")",
                 info->bit_depth);
    return 0;
}

void source_load_error(char *buf, size_t len, const char *what, const char *path, int status)
{
    if (status == FIIE_E_UNSUPPORTED_FORMAT) {
        fiie_image_info info;
        /* The probe names the format exactly when it refuses it too. */
        int rc = fiie_image_probe(&info, path);
        char why[160];
        unsupported(why, sizeof why, rc == FIIE_E_UNSUPPORTED_FORMAT ? info.format : "");
        fiie_image_info_free(&info);
        snprintf(buf, len, "%s: %s", what, why);
        return;
    }
    snprintf(buf, len, "%s: %s", what, fiie_strerror(status));
}
