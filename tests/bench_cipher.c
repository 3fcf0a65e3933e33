/* Throughput of the FIIE v1 cipher layers (meson benchmark 'cipher').
 * Prints GB/s (10^9 bytes per second of region stream), best of several
 * runs, for a fully masked RGB image of SIDE x SIDE pixels (argv[1],
 * default 4096, i.e. 50 MB):
 *   logistic    fiie_keystream(): the Logistic layer alone
 *   v1 encrypt  fiie_encrypt(): gather, Logistic, XChaCha20-Poly1305, scatter
 *   v1 decrypt  fiie_decrypt()
 *   xchacha20   libsodium crypto_stream_xchacha20_xor() on the same bytes
 *   xc20-p1305  libsodium XChaCha20-Poly1305 AEAD (detached) on the same bytes
 * with 1 and 2 keystream threads. Only measures; never fails on timing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "fiie/fiie.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

#define RUNS 7

/* Best wall time, and best CPU time of the process (on a shared machine
 * the latter is the steadier single-thread figure). */
static double best, best_cpu;
static double t0, c0;

static void start(void)
{
    t0 = now();
    c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static void stop(void)
{
    double t = now() - t0, c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (t < best)
        best = t;
    if (c < best_cpu)
        best_cpu = c;
}

static void reset(void)
{
    best = best_cpu = 1e30;
}

static void report(const char *what, unsigned threads, size_t len, double ref)
{
    double gbs = (double)len / best / 1e9;
    printf("%-11s threads=%u  %6.3f GB/s", what, threads, gbs);
    if (ref > 0)
        printf("  (%.2fx xchacha20)", gbs / ref);
    if (threads == 1)
        printf("  [%.3f GB/s per CPU second]", (double)len / best_cpu / 1e9);
    printf("\n");
}

int main(int argc, char **argv)
{
    uint32_t side = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 4096;
    if (side < 16 || side > 8192)
        side = 4096;
    if (sodium_init() < 0)
        return 1;
    size_t len = (size_t)side * side * 3;
    uint8_t *buf = malloc(len);
    uint8_t *pix = malloc(len);
    if (!buf || !pix)
        return 1;
    randombytes_buf(pix, len);
    fiie_image img = {pix, side, side, (size_t)side * 3, FIIE_PIXEL_RGB8, 0};
    fiie_key *k = NULL;
    fiie_mask *m = NULL;
    uint8_t nonce[24] = {0}, key[32] = {0}, tag[16];
    if (fiie_key_generate(&k) != 0 || fiie_mask_new(&m, side, side) != 0 ||
        fiie_mask_add_region(m, FIIE_SHAPE_RECT, 0, 0, side, side) != 0)
        return 1;
    printf("region stream: %zu bytes (%u x %u RGB, full mask)\n", len, side, side);

    reset();
    for (int r = 0; r < RUNS; r++) {
        start();
        crypto_stream_xchacha20_xor(buf, pix, len, nonce, key);
        stop();
    }
    double xc = (double)len / best / 1e9;
    report("xchacha20", 1, len, 0);
    reset();
    for (int r = 0; r < RUNS; r++) {
        start();
        crypto_aead_xchacha20poly1305_ietf_encrypt_detached(buf, tag, NULL, pix, len, NULL, 0,
                                                            NULL, nonce, key);
        stop();
    }
    report("xc20-p1305", 1, len, xc);

    for (unsigned threads = 1; threads <= 2; threads++) {
        reset();
        for (int r = 0; r < RUNS; r++) {
            start();
            if (fiie_keystream(k, nonce, buf, len, threads) != 0)
                return 1;
            stop();
        }
        report("logistic", threads, len, xc);

        fiie_encrypt_options eo;
        fiie_encrypt_options_init(&eo);
        eo.threads = threads;
        fiie_decrypt_options dopt;
        fiie_decrypt_options_init(&dopt);
        dopt.threads = threads;
        uint8_t hdr[256];
        size_t hlen;
        reset();
        for (int r = 0; r < RUNS; r++) {
            start();
            if (fiie_encrypt(k, &img, m, &eo, hdr, sizeof hdr, &hlen) != 0)
                return 1;
            stop();
            if (fiie_decrypt(k, &img, hdr, hlen, &dopt) != 0)
                return 1;
        }
        report("v1 encrypt", threads, len, xc);
        reset();
        for (int r = 0; r < RUNS; r++) {
            if (fiie_encrypt(k, &img, m, &eo, hdr, sizeof hdr, &hlen) != 0)
                return 1;
            start();
            if (fiie_decrypt(k, &img, hdr, hlen, &dopt) != 0)
                return 1;
            stop();
        }
        report("v1 decrypt", threads, len, xc);
    }
    fiie_mask_free(m);
    fiie_key_free(k);
    free(buf);
    free(pix);
    return 0;
}
