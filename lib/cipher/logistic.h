/* Algorithm-1 Logistic keystream L (format section 3): Q0.64 fixed-point
 * logistic map, 8 interleaved lanes, independent 512 KiB blocks. */
#ifndef FIIE_LIB_LOGISTIC_H
#define FIIE_LIB_LOGISTIC_H

#include <stddef.h>
#include <stdint.h>

#define FIIE_LM_LANES 8
#define FIIE_LM_BLOCK 524288u
#define FIIE_LM_WARMUP 1024
#define FIIE_LM_WEAK_WINDOW 16384
#define FIIE_LM_ATTEMPTS 32
#define FIIE_LM_MAX_CHAINS 4

typedef struct fiie_lm {
    uint8_t k_lm[32];
    uint64_t q[FIIE_LM_LANES];
} fiie_lm;

/* One step of the map: (q * floor(x (2^64 - x) / 2^64)) >> 62. */
uint64_t fiie_lm_f(uint64_t x, uint64_t q);

/* First 8 bytes (little-endian) of keyed BLAKE2b-128 of msg. */
uint64_t fiie_lm_h8(const uint8_t k_lm[32], const uint8_t *msg, size_t len);

/* Derive the lane parameters; FIIE_E_CRYPTO if every attempt is weak. */
int fiie_lm_init(fiie_lm *lm, const uint8_t k_lm[32]);

/* XOR L[0 .. len) into buf, blocks spread over `threads` threads
 * (0/1: caller only). Never fails: a thread that cannot start has its
 * share done by the caller. */
void fiie_lm_xor(const fiie_lm *lm, uint8_t *buf, size_t len, unsigned threads);

/* Position inside one block: the eight lane states. */
typedef struct fiie_lm_pos {
    uint64_t x[FIIE_LM_LANES];
} fiie_lm_pos;

/* Seed and warm up the lanes of block j. */
void fiie_lm_block_start(const fiie_lm *lm, uint64_t j, fiie_lm_pos *pos);

/* XOR the next len bytes of the block into buf and advance. len must be a
 * multiple of 8 except for the last piece of a block. */
void fiie_lm_block_xor(const fiie_lm *lm, fiie_lm_pos *pos, uint8_t *buf, size_t len);

/* Keystream position that crosses block boundaries by itself. */
typedef struct fiie_lm_stream {
    uint64_t j;      /* current block */
    size_t used;     /* bytes of it already produced */
    fiie_lm_pos pos;
} fiie_lm_stream;

/* Position s at the start of block `block`. */
void fiie_lm_stream_start(const fiie_lm *lm, fiie_lm_stream *s, uint64_t block);

/* XOR the next len bytes of L into buf. Every call but the last one of a
 * stream must end on a multiple of 8 bytes within its block. */
void fiie_lm_stream_xor(const fiie_lm *lm, fiie_lm_stream *s, uint8_t *buf, size_t len);

/* XOR the first len (<= FIIE_LM_BLOCK) bytes of block j into buf. */
void fiie_lm_xor_block(const fiie_lm *lm, uint64_t j, uint8_t *buf, size_t len);

void fiie_lm_wipe(fiie_lm *lm);

/* Keystream kernel: advance nb (1 .. FIIE_LM_MAX_CHAINS) independent
 * 8-lane chains by `steps` map steps. x holds nb * 8 states, chain c at
 * x + 8 c. With buf non-NULL, step s of chain c XORs byte 3 of its lanes
 * into buf[c][8 s .. 8 s + 8); with NULL it only advances (warm-up). */
typedef void (*fiie_lm_run_fn)(const uint64_t q[FIIE_LM_LANES], uint64_t *x, unsigned nb,
                               uint8_t *const *buf, size_t steps);

typedef struct fiie_lm_impl {
    fiie_lm_run_fn run;
    unsigned min_chains; /* fewer chains than this go to the portable kernel */
    const char *name;
} fiie_lm_impl;

/* Scalar C (unsigned __int128); every CPU. */
void fiie_lm_run_portable(const uint64_t q[FIIE_LM_LANES], uint64_t *x, unsigned nb,
                          uint8_t *const *buf, size_t steps);
extern const fiie_lm_impl fiie_lm_impl_portable;

/* Fastest kernel set for this CPU; what fiie_lm_xor() uses. */
const fiie_lm_impl *fiie_lm_impl_best(void);

/* fiie_lm_xor() with a given kernel set (tests force each one). */
void fiie_lm_xor_impl(const fiie_lm_impl *impl, const fiie_lm *lm, uint8_t *buf, size_t len,
                      unsigned threads);

/* XOR blocks j .. j + nb - 1 (nb 1 .. FIIE_LM_MAX_CHAINS) into buf, side
 * by side with the given kernel set: block c at buf + c * FIIE_LM_BLOCK,
 * whole but the last, of which only the first last_len (1 ..
 * FIIE_LM_BLOCK) bytes. */
void fiie_lm_blocks_impl(const fiie_lm_impl *impl, const fiie_lm *lm, uint64_t j, unsigned nb,
                         uint8_t *buf, size_t last_len);

#ifdef FIIE_HAVE_LM_AVX512
/* AVX-512F + IFMA + VBMI (lib/logistic_avx512.c). One chain alone is
 * slower than scalar there, so fiie_lm_impl_avx512 (min_chains 2) leaves
 * single blocks to the portable kernel; fiie_lm_impl_avx512_only runs
 * every chain count on AVX-512 (tests). */
void fiie_lm_run_avx512(const uint64_t q[FIIE_LM_LANES], uint64_t *x, unsigned nb,
                        uint8_t *const *buf, size_t steps);
int fiie_lm_cpu_has_avx512(void);
extern const fiie_lm_impl fiie_lm_impl_avx512, fiie_lm_impl_avx512_only;
#endif

#endif /* FIIE_LIB_LOGISTIC_H */
