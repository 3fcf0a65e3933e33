/* Minimal libfiie program: each stage is its own API.
 *   load -> detect faces -> mask from faces -> encrypt -> save protected PNG
 *   -> load it back -> decrypt -> verify bit-exact.
 * Build: cc minimal.c $(pkg-config --cflags --libs fiie)
 * Usage: minimal IN_IMAGE OUT.png   (exit 0 ok, 1 error, 2 no face found) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fiie/fiie.h>

#define CHECK(call)                                                          \
    do {                                                                     \
        int st_ = (call);                                                    \
        if (st_ < 0) {                                                       \
            fprintf(stderr, "%s: %s\n", #call, fiie_strerror(st_));          \
            goto out;                                                        \
        }                                                                    \
    } while (0)

int main(int argc, char **argv)
{
    fiie_image img = {0}, back = {0};
    fiie_detector *det = NULL;
    fiie_mask *mask = NULL;
    fiie_key *key = NULL;
    fiie_face faces[64];
    static uint8_t header[FIIE_HEADER_MAX_BYTES];
    size_t n = 0, hlen = 0;
    uint8_t *plain = NULL;
    int rc = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: %s IN_IMAGE OUT.png\n", argv[0]);
        return 64;
    }
    CHECK(fiie_image_load(&img, argv[1], NULL));                  /* image.h */
    size_t row = (size_t)img.width * (size_t)fiie_pixel_format_channels(img.format);
    if (!(plain = malloc(row * img.height))) goto out;
    for (uint32_t y = 0; y < img.height; y++)
        memcpy(plain + y * row, img.data + y * img.stride, row);

    CHECK(fiie_detector_new(&det, NULL, NULL));                   /* detector.h */
    int st = fiie_detector_detect(det, &img, faces, 64, &n);
    if (st == FIIE_E_BUFFER_TOO_SMALL) n = 64;                    /* keep the best 64 */
    else CHECK(st);
    printf("%zu face(s)\n", n);
    if (n == 0) { rc = 2; goto out; }                             /* nothing to protect */

    CHECK(fiie_mask_new(&mask, img.width, img.height));           /* mask.h */
    for (size_t i = 0; i < n; i++)
        CHECK(fiie_mask_add_box(mask, faces[i].box[0], faces[i].box[1], faces[i].box[2],
                                faces[i].box[3], FIIE_MASK_DEFAULT_SCALE, FIIE_MASK_DEFAULT_SHAPE));

    CHECK(fiie_key_generate(&key));                               /* cipher.h */
    CHECK(fiie_encrypt(key, &img, mask, NULL, header, sizeof header, &hlen));
    CHECK(fiie_protected_png_save(&img, header, hlen, argv[2], 0)); /* container.h */
    printf("encrypted -> %s (header %zu bytes)\n", argv[2], hlen);

    CHECK(fiie_protected_png_load(&back, argv[2], header, sizeof header, &hlen));
    CHECK(fiie_decrypt(key, &back, header, hlen, NULL));
    for (uint32_t y = 0; y < back.height; y++)
        if (memcmp(back.data + y * back.stride, plain + y * row, row) != 0) {
            fprintf(stderr, "decrypted image differs at row %u\n", y);
            goto out;
        }
    printf("decrypted: bit-exact\n");
    rc = 0;
out:
    fiie_key_free(key);
    fiie_mask_free(mask);
    fiie_detector_free(det);
    fiie_image_free(&back);
    fiie_image_free(&img);
    free(plain);
    return rc;
}
