/* lib/cipher: keys, the Logistic keystream, the XChaCha20-Poly1305 layer
 * and paper mode behind fiie/cipher.h. No other folder of the library
 * uses it; this header joins its files and serves the known-answer and
 * kernel tests. */
#ifndef FIIE_LIB_CIPHER_CIPHER_H
#define FIIE_LIB_CIPHER_CIPHER_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "cipher/logistic.h"
#include "fiie/cipher.h"

/* 1 when caller-chosen nonces and salts are honoured (meson -Dtest_hooks,
 * and the white-box test archive); otherwise they are FIIE_E_UNSUPPORTED. */
#ifdef FIIE_TEST_HOOKS
#define CIPHER_TEST_HOOKS 1
#else
#define CIPHER_TEST_HOOKS 0
#endif

/* ---- keys.c --------------------------------------------------------------- */

/* Lives in sodium_malloc() memory (guarded, wiped by sodium_free). */
struct fiie_key {
    uint8_t k[FIIE_KEY_BYTES];
    uint32_t has_kdf;
    uint64_t opslimit;
    uint64_t memlimit;
    uint8_t salt[FIIE_SALT_BYTES];
};

/* ---- encrypt.c ------------------------------------------------------------ */

/* k_lm = BLAKE2b-256(key, "FIIE1 lm" || nonce), k_ae likewise with "ae"
 * (format section 1). */
void cipher_derive_subkeys(const uint8_t key[FIIE_KEY_BYTES],
                           const uint8_t nonce[FIIE_NONCE_BYTES], uint8_t k_lm[32],
                           uint8_t k_ae[32]);

/* fiie_encrypt() / fiie_decrypt() with a given Logistic kernel set
 * (tests compare the kernels through the whole pipeline). */
int cipher_encrypt_lm_impl(const cipher_lm_impl *impl, const fiie_key *k, fiie_image *img,
                           const fiie_mask *m, const fiie_encrypt_options *o, uint8_t *header,
                           size_t cap, size_t *header_len);
int cipher_decrypt_lm_impl(const cipher_lm_impl *impl, const fiie_key *k, fiie_image *img,
                           const uint8_t *header, size_t len, const fiie_decrypt_options *o);
/* cipher_decrypt_lm_impl() calling between(arg) after the tag pass and
 * before the decrypt pass (tests change pixels there; NULL: no call). */
int cipher_decrypt_hooked(const cipher_lm_impl *impl, const fiie_key *k, fiie_image *img,
                          const uint8_t *header, size_t len, const fiie_decrypt_options *o,
                          void (*between)(void *arg), void *arg);

/* ---- v1.c: algorithm 1's XChaCha20-Poly1305 layer (format section 4) ------
 * The IETF construction assembled from libsodium's HChaCha20, ChaCha20-IETF
 * and Poly1305 primitives, byte for byte what
 * crypto_aead_xchacha20poly1305_ietf_*_detached compute, but usable piece
 * by piece (while a piece is in cache, between the Logistic layer and the
 * scatter into the image) and on several threads. */

typedef struct cipher_v1 {
    uint8_t key[32];  /* HChaCha20(k_ae, nonce[0..16]) */
    uint8_t n2[12];   /* 0^4 || nonce[16..24] */
} cipher_v1;

typedef crypto_onetimeauth_poly1305_state cipher_v1_mac;

void cipher_v1_init(cipher_v1 *c, const uint8_t k_ae[32], const uint8_t nonce[24]);
void cipher_v1_wipe(cipher_v1 *c);

/* 1 when a message of len bytes fits the 32-bit ChaCha20 block counter. */
int cipher_v1_len_ok(uint64_t len);

/* Poly1305 keyed by ChaCha20 block 0, over ad and its padding. */
void cipher_v1_mac_begin(const cipher_v1 *c, cipher_v1_mac *st, const uint8_t *ad, size_t alen);
/* Ciphertext pieces, in order. */
void cipher_v1_mac_update(cipher_v1_mac *st, const uint8_t *p, size_t n);
/* Padding, lengths, tag; wipes the state. */
void cipher_v1_mac_end(cipher_v1_mac *st, size_t alen, uint64_t mlen, uint8_t tag[16]);

/* XOR ChaCha20 (message blocks start at counter 1) into the n bytes at
 * stream offset off, a multiple of 64. */
void cipher_v1_chacha(const cipher_v1 *c, uint8_t *p, size_t n, uint64_t off);

/* ---- paper.c: algorithm 0, the published (insecure) scheme ----------------
 * Format section 5. Binary64 arithmetic, exact evaluation order. */

#define CIPHER_PAPER_DISCARD 1000

/* 1 when 0 < x0 < 1 and 3.57 <= mu <= 4 (NaN fails). */
int cipher_paper_key_valid(double x0, double mu);

/* State after the discarded iterations (key assumed valid). */
double cipher_paper_start(double x0, double mu);

/* XOR the next len keystream bytes into buf, advancing *x. */
void cipher_paper_stream_xor(double *x, double mu, uint8_t *buf, size_t len);

/* XOR the first len keystream bytes into buf (key assumed valid). */
void cipher_paper_xor(double x0, double mu, uint8_t *buf, size_t len);

#endif /* FIIE_LIB_CIPHER_CIPHER_H */
