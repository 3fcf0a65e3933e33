/* The C side of the Python bindings' cross-language round trip: encrypts
 * or decrypts image files through the public C API only, so test_cipher.py
 * can check that C-encrypted files decrypt in Python and the reverse.
 *
 *   c_peer encrypt IN OUT.png KEYHEX SHAPE,X,Y,W,H...   (SHAPE 0 rect, 1 ellipse)
 *   c_peer decrypt IN.png OUT.png KEYHEX
 *
 * Exit status: 0 success, 1 error, 2 usage, 3 authentication failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fiie/fiie.h"
#include "fiie/cipher.h"
#include "fiie/container.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int parse_key(const char *hex, uint8_t key[FIIE_KEY_BYTES])
{
    if (strlen(hex) != 2 * FIIE_KEY_BYTES) return -1;
    for (size_t i = 0; i < FIIE_KEY_BYTES; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        key[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int fail(const char *what, int st)
{
    fprintf(stderr, "c_peer: %s: %s\n", what, fiie_strerror(st));
    return st == FIIE_E_AUTH ? 3 : 1;
}

static int do_encrypt(fiie_key *key, const char *in, const char *out, int nreg, char **regs)
{
    fiie_image img;
    fiie_mask *mask = NULL;
    uint8_t *header = NULL;
    size_t hlen = 0;
    int st = fiie_image_load(&img, in, NULL);
    if (st < 0) return fail(in, st);
    st = fiie_mask_new(&mask, img.width, img.height);
    for (int i = 0; st == 0 && i < nreg; i++) {
        int shape;
        long x, y;
        unsigned long w, h;
        if (sscanf(regs[i], "%d,%ld,%ld,%lu,%lu", &shape, &x, &y, &w, &h) != 5) {
            st = FIIE_E_INVALID_ARGUMENT;
            break;
        }
        st = fiie_mask_add_region(mask, shape, (int32_t)x, (int32_t)y, (uint32_t)w, (uint32_t)h);
    }
    if (st == 0) {
        st = fiie_encrypt(key, &img, mask, NULL, NULL, 0, &hlen);
        if (st == FIIE_E_BUFFER_TOO_SMALL) {
            header = malloc(hlen);
            st = header ? fiie_encrypt(key, &img, mask, NULL, header, hlen, &hlen)
                        : FIIE_E_NO_MEMORY;
        }
    }
    if (st == 0) st = fiie_protected_png_save(&img, header, hlen, out, 0);
    free(header);
    fiie_mask_free(mask);
    fiie_image_free(&img);
    return st < 0 ? fail("encrypt", st) : 0;
}

static int do_decrypt(fiie_key *key, const char *in, const char *out)
{
    fiie_image img;
    static uint8_t header[FIIE_HEADER_MAX_BYTES];
    size_t hlen = 0;
    int st = fiie_protected_png_load(&img, in, header, sizeof header, &hlen);
    if (st < 0) return fail(in, st);
    st = fiie_decrypt(key, &img, header, hlen, NULL);
    if (st == 0) st = fiie_image_save_png(&img, out, NULL, NULL, 0, 0);
    fiie_image_free(&img);
    return st < 0 ? fail("decrypt", st) : 0;
}

int main(int argc, char **argv)
{
    uint8_t raw[FIIE_KEY_BYTES];
    fiie_key *key = NULL;
    int rc;
    if (argc < 5 || parse_key(argv[4], raw) != 0) {
        fprintf(stderr, "usage: c_peer encrypt|decrypt IN OUT KEYHEX [SHAPE,X,Y,W,H...]\n");
        return 2;
    }
    int st = fiie_key_from_bytes(&key, raw, sizeof raw);
    if (st < 0) return fail("key", st);
    if (strcmp(argv[1], "encrypt") == 0)
        rc = do_encrypt(key, argv[2], argv[3], argc - 5, argv + 5);
    else if (strcmp(argv[1], "decrypt") == 0 && argc == 5)
        rc = do_decrypt(key, argv[2], argv[3]);
    else
        rc = 2;
    fiie_key_free(key);
    return rc;
}
