/* Protected images as files, for encrypt and decrypt:
 *
 *  - the header in the PNG's fiIE chunk, and with --sidecar also beside it
 *    in NAME.fiie (NAME_fiie.png -> NAME_fiie.fiie): a program that
 *    re-saves the PNG drops the chunk, and the faces could never be
 *    restored without that copy;
 *  - the source's ICC colour profile carried along (source.h);
 *  - the copy `encrypt --allow-empty` writes for an image without faces
 *    carries a fiNF chunk ("no face"), so decrypt restores it as the
 *    unchanged copy it is, while a protected PNG that lost its fiIE chunk
 *    stays an error;
 *  - every write in a write section (signals.h): an interruption never
 *    leaves a temporary file behind. */
#ifndef FIIE_CLI_PROTECTED_H
#define FIIE_CLI_PROTECTED_H

#include <stddef.h>
#include <stdint.h>

#include "fiie/fiie.h"

/* Chunk marking an unprotected copy written for an image without faces. */
#define PROTECTED_NOFACE_CHUNK "fiNF"
/* Extension of a sidecar header file. */
#define PROTECTED_SIDECAR_EXT ".fiie"

/** NAME.fiie for NAME.png (the last extension replaced). malloc'd, or NULL. */
char *protected_sidecar_path(const char *png_path);

/** What protected_save() writes besides the pixels. */
typedef struct protected_extras {
    const uint8_t *icc;   /* the source's ICC profile, or NULL */
    size_t icc_size;
    unsigned flags;       /* FIIE_SAVE_NO_CLOBBER, FIIE_SAVE_PRIVATE (restored pixels) */
    int sidecar;          /* also write the header to NAME.fiie */
} protected_extras;

/** Save an encrypted image with its header (fiIE chunk), and with
 * x->sidecar the header beside it; header NULL: the no-face copy (fiNF
 * chunk, no sidecar). When the sidecar cannot be written the PNG is
 * removed again. @return 0 or a FIIE_E_* status; *sidecar_failed tells
 * that the sidecar (not the PNG) failed. */
int protected_save(const fiie_image *img, const uint8_t *header, size_t hlen, const char *path,
                   const protected_extras *x, int *sidecar_failed);

/** Save a restored or other plain image (write section, ICC kept). */
int protected_save_plain(const fiie_image *img, const char *path, const protected_extras *x);

/** Where decrypt found the header. */
typedef enum protected_source {
    PROTECTED_CHUNK,    /* the fiIE chunk */
    PROTECTED_SIDECAR,  /* NAME.fiie beside the PNG (the chunk was gone) */
    PROTECTED_NOFACE,   /* no header: the fiNF copy of an image without faces */
} protected_source;

/** Load a PNG for decryption: its pixels, its header (malloc'd into
 * *header, NULL for PROTECTED_NOFACE) and its ICC profile (info->icc).
 * @return 0, FIIE_E_NOT_FOUND (no fiIE chunk, no sidecar, no fiNF mark),
 * or another FIIE_E_* status. Nothing is left allocated on error but
 * *info (release it with fiie_image_info_free()). */
int protected_load(const char *path, fiie_image *img, uint8_t **header, size_t *hlen,
                   protected_source *src, fiie_image_info *info);

/** Does the header's key kind disagree with the key given? Then `msg`
 * says what the file needs and what to pass, and 1 is returned.
 * passphrase: a passphrase was given; paper: --paper was given. */
int protected_key_mismatch(const uint8_t *header, size_t hlen, int passphrase, int paper,
                           char *msg, size_t len);

#endif
