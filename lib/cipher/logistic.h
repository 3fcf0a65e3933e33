/* Algorithm-1 Logistic keystream L (format section 3): Q0.64 fixed-point
 * logistic map, 8 interleaved lanes, independent 512 KiB blocks. */
#ifndef FIIE_LIB_CIPHER_LOGISTIC_H
#define FIIE_LIB_CIPHER_LOGISTIC_H

#include <stddef.h>
#include <stdint.h>

#define CIPHER_LM_LANES 8
#define CIPHER_LM_BLOCK 524288u
#define CIPHER_LM_WARMUP 1024
#define CIPHER_LM_WEAK_WINDOW 16384
#define CIPHER_LM_ATTEMPTS 32
#define CIPHER_LM_MAX_CHAINS 4

typedef struct cipher_lm {
    uint8_t k_lm[32];
    uint64_t q[CIPHER_LM_LANES];
} cipher_lm;

/* One step of the map: (q * floor(x (2^64 - x) / 2^64)) >> 62. */
uint64_t cipher_lm_f(uint64_t x, uint64_t q);

/* First 8 bytes (little-endian) of keyed BLAKE2b-128 of msg. */
uint64_t cipher_lm_h8(const uint8_t k_lm[32], const uint8_t *msg, size_t len);

/* Derive the lane parameters; FIIE_E_CRYPTO if every attempt is weak. */
int cipher_lm_init(cipher_lm *lm, const uint8_t k_lm[32]);

/* XOR L[0 .. len) into buf, blocks spread over `threads` threads
 * (0/1: caller only). Never fails: a thread that cannot start has its
 * share done by the caller. */
void cipher_lm_xor(const cipher_lm *lm, uint8_t *buf, size_t len, unsigned threads);

void cipher_lm_wipe(cipher_lm *lm);

/* Keystream kernel: advance nb (1 .. CIPHER_LM_MAX_CHAINS) independent
 * 8-lane chains by `steps` map steps. x holds nb * 8 states, chain c at
 * x + 8 c. With buf non-NULL, step s of chain c XORs byte 3 of its lanes
 * into buf[c][8 s .. 8 s + 8); with NULL it only advances (warm-up). */
typedef void (*cipher_lm_run_fn)(const uint64_t q[CIPHER_LM_LANES], uint64_t *x, unsigned nb,
                               uint8_t *const *buf, size_t steps);

typedef struct cipher_lm_impl {
    cipher_lm_run_fn run;
    unsigned min_chains; /* fewer chains than this go to the portable kernel */
    const char *name;
} cipher_lm_impl;

/* Scalar C (unsigned __int128); every CPU. */
void cipher_lm_run_portable(const uint64_t q[CIPHER_LM_LANES], uint64_t *x, unsigned nb,
                          uint8_t *const *buf, size_t steps);
extern const cipher_lm_impl cipher_lm_impl_portable;

/* Fastest kernel set for this CPU; what cipher_lm_xor() uses. */
const cipher_lm_impl *cipher_lm_impl_best(void);

/* cipher_lm_xor() with a given kernel set (tests force each one). */
void cipher_lm_xor_impl(const cipher_lm_impl *impl, const cipher_lm *lm, uint8_t *buf, size_t len,
                      unsigned threads);

/* XOR blocks j .. j + nb - 1 (nb 1 .. CIPHER_LM_MAX_CHAINS) into buf, side
 * by side with the given kernel set: block c at buf + c * CIPHER_LM_BLOCK,
 * whole but the last, of which only the first last_len (1 ..
 * CIPHER_LM_BLOCK) bytes. */
void cipher_lm_blocks_impl(const cipher_lm_impl *impl, const cipher_lm *lm, uint64_t j, unsigned nb,
                         uint8_t *buf, size_t last_len);

#ifdef FIIE_HAVE_LM_AVX512
/* AVX-512F + IFMA + VBMI (lib/logistic_avx512.c). One chain alone is
 * slower than scalar there, so cipher_lm_impl_avx512 (min_chains 2) leaves
 * single blocks to the portable kernel; cipher_lm_impl_avx512_only runs
 * every chain count on AVX-512 (tests). */
void cipher_lm_run_avx512(const uint64_t q[CIPHER_LM_LANES], uint64_t *x, unsigned nb,
                        uint8_t *const *buf, size_t steps);
extern const cipher_lm_impl cipher_lm_impl_avx512, cipher_lm_impl_avx512_only;
#endif

#endif /* FIIE_LIB_CIPHER_LOGISTIC_H */
