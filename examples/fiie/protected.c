#include "protected.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signals.h"

/* Written in the fiNF chunk, for a person looking at the file. */
static const char noface_note[] = "fiie: no face found; this copy is not encrypted";

char *protected_sidecar_path(const char *png_path)
{
    const char *slash = strrchr(png_path, '/');
    const char *base = slash ? slash + 1 : png_path;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - png_path) : strlen(png_path);
    char *p = malloc(stem + sizeof PROTECTED_SIDECAR_EXT);
    if (p) {
        memcpy(p, png_path, stem);
        memcpy(p + stem, PROTECTED_SIDECAR_EXT, sizeof PROTECTED_SIDECAR_EXT);
    }
    return p;
}

static int save_png(const fiie_image *img, const char *path, const char *chunk,
                    const void *data, size_t size, const protected_extras *x)
{
    fiie_png_options o;
    int rc = fiie_png_options_init(&o);
    if (rc)
        return rc;
    o.flags = x->flags;
    o.icc = x->icc;
    o.icc_size = x->icc ? x->icc_size : 0;
    o.chunk_type = chunk;
    o.chunk_data = data;
    o.chunk_size = size;
    if (cli_write_begin() != 0)
        return FIIE_E_IO;
    rc = fiie_image_save_png_with(img, path, &o);
    cli_write_end();
    return rc;
}

int protected_save(const fiie_image *img, const uint8_t *header, size_t hlen, const char *path,
                   const protected_extras *x, int *sidecar_failed)
{
    *sidecar_failed = 0;
    if (header == NULL)
        return save_png(img, path, PROTECTED_NOFACE_CHUNK, noface_note, sizeof noface_note - 1,
                        x);
    int rc = save_png(img, path, FIIE_PNG_CHUNK, header, hlen, x);
    if (rc || !x->sidecar)
        return rc;
    char *side = protected_sidecar_path(path);
    if (side == NULL)
        rc = FIIE_E_NO_MEMORY;
    else if (cli_write_begin() != 0)
        rc = FIIE_E_IO;
    else {
        rc = fiie_sidecar_write(side, header, hlen, x->flags & FIIE_SAVE_NO_CLOBBER);
        cli_write_end();
    }
    if (rc) {
        /* Both or neither: a protected PNG announced with a sidecar that
         * is missing would be worse than a failed file. */
        *sidecar_failed = 1;
        unlink(path);
    }
    free(side);
    return rc;
}

int protected_save_plain(const fiie_image *img, const char *path, const protected_extras *x)
{
    return save_png(img, path, NULL, NULL, 0, x);
}

static int read_header(const char *path, int (*reader)(const char *, uint8_t *, size_t, size_t *),
                       uint8_t **header, size_t *hlen)
{
    size_t need = 0;
    int rc = reader(path, NULL, 0, &need);
    if (rc != FIIE_E_BUFFER_TOO_SMALL)
        return rc ? rc : FIIE_E_HEADER;
    *header = malloc(need ? need : 1);
    if (*header == NULL)
        return FIIE_E_NO_MEMORY;
    rc = reader(path, *header, need, hlen);
    if (rc) {
        free(*header);
        *header = NULL;
    }
    return rc;
}

static int chunk_reader(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    return fiie_png_read_chunk(path, FIIE_PNG_CHUNK, buf, cap, len);
}

/* The header in the PNG, else in its sidecar; FIIE_E_NOT_FOUND for neither. */
static int find_header(const char *path, uint8_t **header, size_t *hlen, protected_source *src)
{
    *src = PROTECTED_CHUNK;
    int rc = read_header(path, chunk_reader, header, hlen);
    if (rc != FIIE_E_NOT_FOUND)
        return rc;
    char *side = protected_sidecar_path(path);
    if (side == NULL)
        return FIIE_E_NO_MEMORY;
    if (access(side, F_OK) == 0) {
        *src = PROTECTED_SIDECAR;
        rc = read_header(side, fiie_sidecar_read, header, hlen);
    }
    free(side);
    if (rc == FIIE_E_NOT_FOUND) {
        size_t n = 0;
        int marked = fiie_png_read_chunk(path, PROTECTED_NOFACE_CHUNK, NULL, 0, &n);
        if (marked == 0 || marked == FIIE_E_BUFFER_TOO_SMALL) {
            *src = PROTECTED_NOFACE;
            rc = 0;
        }
    }
    return rc;
}

int protected_load(const char *path, fiie_image *img, uint8_t **header, size_t *hlen,
                   protected_source *src, fiie_image_info *info)
{
    memset(img, 0, sizeof *img);
    memset(info, 0, sizeof *info);
    *header = NULL;
    *hlen = 0;
    int rc = find_header(path, header, hlen, src);
    if (rc == 0)
        rc = fiie_image_probe(info, path);
    if (rc == 0)
        rc = fiie_image_load(img, path, NULL);
    if (rc) {
        free(*header);
        *header = NULL;
    }
    return rc;
}

int protected_key_mismatch(const uint8_t *header, size_t hlen, int passphrase, int paper,
                           char *msg, size_t len)
{
    fiie_header_info h;
    if (fiie_header_parse(&h, header, hlen) != 0)
        return 0; /* fiie_decrypt reports a bad header itself */
    if (h.alg == FIIE_ALG_PAPER && !paper)
        snprintf(msg, len, "encrypted in paper mode: pass --paper X0,MU (the key used to encrypt)");
    else if (h.alg != FIIE_ALG_PAPER && paper)
        snprintf(msg, len, "not encrypted in paper mode: pass its %s instead of --paper",
                 h.kdf ? "passphrase (--passphrase-file F or --passphrase)" : "key (--key-file F)");
    else if (h.alg != FIIE_ALG_PAPER && h.kdf && !passphrase)
        snprintf(msg, len, "protected with a passphrase, not a key file: pass --passphrase-file F "
                           "(or --passphrase to type it)");
    else if (h.alg != FIIE_ALG_PAPER && !h.kdf && passphrase)
        snprintf(msg, len, "protected with a key file, not a passphrase: pass --key-file F");
    else
        return 0;
    return 1;
}
