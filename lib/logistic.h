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

#endif /* FIIE_LIB_LOGISTIC_H */
