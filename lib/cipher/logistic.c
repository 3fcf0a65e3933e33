/* Logistic keystream (format section 3). Integer-only: floating point
 * never touches algorithm-1 ciphertext. */
#include <string.h>

#include <sodium.h>

#include "fiie/common.h"
#include "cipher/logistic.h"
#include "common/common.h"

#ifndef __SIZEOF_INT128__
#error "libfiie needs a compiler with unsigned __int128 (gcc, clang)"
#endif

__extension__ typedef unsigned __int128 u128; /* -Wpedantic: a GNU extension */

static inline uint64_t lm_f(uint64_t x, uint64_t q)
{
    /* (2^64 - x) mod 2^64 is -x in u64; the product over 2^64 is <= 2^62,
     * so q times it over 2^62 fits in 64 bits. */
    uint64_t t = (uint64_t)(((u128)x * (uint64_t)(0 - x)) >> 64);
    u128 p = (u128)q * t;
    /* hi * 4 + (lo >> 62) rather than p >> 62: gcc then avoids shrd,
     * which competes with the multiplier for the same port (~15%). */
    return (uint64_t)(p >> 64) * 4 + ((uint64_t)p >> 62);
}

uint64_t cipher_lm_f(uint64_t x, uint64_t q)
{
    return lm_f(x, q);
}

uint64_t cipher_lm_h8(const uint8_t k_lm[32], const uint8_t *msg, size_t len)
{
    uint8_t h[16];
    crypto_generichash(h, sizeof h, msg, len, k_lm, 32);
    uint64_t v = mem_load_le64(h);
    sodium_memzero(h, sizeof h);
    return v;
}

/* A parameter is weak when its orbit from the seed returns to the value
 * it had after the warm-up within the window: such a lane would cycle.
 * The lanes still looking for a parameter are tested side by side (the
 * chains are independent, so this runs ~8x faster than one by one);
 * running the whole window and OR-ing the hits classifies exactly as
 * stopping at the first hit would. */
int cipher_lm_init(cipher_lm *lm, const uint8_t k_lm[32])
{
    memcpy(lm->k_lm, k_lm, 32);
    unsigned pending = (1u << CIPHER_LM_LANES) - 1;
    for (int a = 0; a < CIPHER_LM_ATTEMPTS && pending; a++) {
        uint64_t q[CIPHER_LM_LANES], x[CIPHER_LM_LANES], y[CIPHER_LM_LANES];
        uint64_t hit[CIPHER_LM_LANES] = {0};
        for (int l = 0; l < CIPHER_LM_LANES; l++) {
            const uint8_t msg[4] = {'m', 'u', (uint8_t)l, (uint8_t)a};
            uint64_t r = cipher_lm_h8(k_lm, msg, sizeof msg);
            q[l] = UINT64_MAX - (r >> 8);
            x[l] = r << 1 | 1u;
        }
        for (int i = 0; i < CIPHER_LM_WARMUP; i++)
            for (int l = 0; l < CIPHER_LM_LANES; l++)
                x[l] = lm_f(x[l], q[l]);
        memcpy(y, x, sizeof y);
        for (int i = 0; i < CIPHER_LM_WEAK_WINDOW; i++)
            for (int l = 0; l < CIPHER_LM_LANES; l++) {
                x[l] = lm_f(x[l], q[l]);
                hit[l] |= (uint64_t)(x[l] == y[l]);
            }
        for (int l = 0; l < CIPHER_LM_LANES; l++) {
            if ((pending >> l & 1u) && !hit[l]) {
                lm->q[l] = q[l];
                pending &= ~(1u << l);
            }
        }
    }
    if (pending) {
        cipher_lm_wipe(lm);
        return FIIE_E_CRYPTO;
    }
    return FIIE_OK;
}

void cipher_lm_wipe(cipher_lm *lm)
{
    sodium_memzero(lm, sizeof *lm);
}

static void lm_seed(const cipher_lm *lm, uint64_t j, uint64_t x[CIPHER_LM_LANES])
{
    for (int l = 0; l < CIPHER_LM_LANES; l++) {
        const uint8_t msg[9] = {'s', 'e', 'e', 'd', (uint8_t)j, (uint8_t)(j >> 8),
                                (uint8_t)(j >> 16), (uint8_t)(j >> 24), (uint8_t)l};
        x[l] = cipher_lm_h8(lm->k_lm, msg, sizeof msg) | 1u;
    }
}

/* States are produced in batches and stored; the byte extraction then runs
 * as a separate, vectorisable loop. This takes ~30 shift/mask/or
 * instructions per 8 bytes off the multiply loop, whose issue slots are
 * the real limit (the two multiplies per byte are not the only cost). */
#define LM_BATCH 64

static void lm_chain(const uint64_t q[CIPHER_LM_LANES], uint64_t *x, uint8_t *buf, size_t steps)
{
    /* Eight independent dependency chains in registers keep the
     * multiplier busy; no branch in the loop body. */
    uint64_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
    uint64_t x4 = x[4], x5 = x[5], x6 = x[6], x7 = x[7];
    const uint64_t q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
    const uint64_t q4 = q[4], q5 = q[5], q6 = q[6], q7 = q[7];
    if (!buf) {
        for (size_t i = 0; i < steps; i++) {
            x0 = lm_f(x0, q0);
            x1 = lm_f(x1, q1);
            x2 = lm_f(x2, q2);
            x3 = lm_f(x3, q3);
            x4 = lm_f(x4, q4);
            x5 = lm_f(x5, q5);
            x6 = lm_f(x6, q6);
            x7 = lm_f(x7, q7);
        }
    } else {
        uint64_t st[LM_BATCH * CIPHER_LM_LANES];
        for (size_t g0 = 0; g0 < steps; g0 += LM_BATCH) {
            size_t ng = steps - g0 < LM_BATCH ? steps - g0 : LM_BATCH;
            for (size_t n = 0; n < ng; n++) {
                uint64_t *s = st + CIPHER_LM_LANES * n;
                s[0] = x0 = lm_f(x0, q0);
                s[1] = x1 = lm_f(x1, q1);
                s[2] = x2 = lm_f(x2, q2);
                s[3] = x3 = lm_f(x3, q3);
                s[4] = x4 = lm_f(x4, q4);
                s[5] = x5 = lm_f(x5, q5);
                s[6] = x6 = lm_f(x6, q6);
                s[7] = x7 = lm_f(x7, q7);
            }
            uint8_t *b = buf + 8 * g0;
            for (size_t i = 0; i < CIPHER_LM_LANES * ng; i++)
                b[i] ^= (uint8_t)(st[i] >> 24);
        }
        sodium_memzero(st, sizeof st);
    }
    x[0] = x0, x[1] = x1, x[2] = x2, x[3] = x3;
    x[4] = x4, x[5] = x5, x[6] = x6, x[7] = x7;
}

void cipher_lm_run_portable(const uint64_t q[CIPHER_LM_LANES], uint64_t *x, unsigned nb,
                          uint8_t *const *buf, size_t steps)
{
    for (unsigned c = 0; c < nb; c++)
        lm_chain(q, x + CIPHER_LM_LANES * c, buf ? buf[c] : NULL, steps);
}

const cipher_lm_impl cipher_lm_impl_portable = {cipher_lm_run_portable, 1, "portable"};

#ifdef FIIE_HAVE_LM_AVX512
const cipher_lm_impl cipher_lm_impl_avx512 = {cipher_lm_run_avx512, 2, "avx512"};
const cipher_lm_impl cipher_lm_impl_avx512_only = {cipher_lm_run_avx512, 1, "avx512-only"};
#endif

const cipher_lm_impl *cipher_lm_impl_best(void)
{
#ifdef FIIE_HAVE_LM_AVX512
    if (common_cpu_has(COMMON_CPU_AVX512_IFMA_VBMI))
        return &cipher_lm_impl_avx512;
#endif
    return &cipher_lm_impl_portable;
}

static void lm_run(const cipher_lm_impl *impl, const cipher_lm *lm, uint64_t *x, unsigned nb,
                   uint8_t *const *buf, size_t steps)
{
    if (nb < impl->min_chains)
        impl = &cipher_lm_impl_portable;
    impl->run(lm->q, x, nb, buf, steps);
}



/* Blocks j .. j + nb - 1 at buf, all whole but the last (last_len
 * bytes), side by side: independent blocks hide the SIMD kernel's
 * latency. */
static void lm_blocks(const cipher_lm_impl *impl, const cipher_lm *lm, uint64_t j, unsigned nb,
                      uint8_t *buf, size_t last_len)
{
    uint64_t x[CIPHER_LM_MAX_CHAINS * CIPHER_LM_LANES];
    uint8_t *b[CIPHER_LM_MAX_CHAINS];
    for (unsigned c = 0; c < nb; c++) {
        lm_seed(lm, j + c, x + CIPHER_LM_LANES * c);
        b[c] = buf + (size_t)c * CIPHER_LM_BLOCK;
    }
    lm_run(impl, lm, x, nb, NULL, CIPHER_LM_WARMUP);
    size_t common = last_len / 8, whole = CIPHER_LM_BLOCK / 8;
    lm_run(impl, lm, x, nb, b, common);
    if (nb > 1 && common < whole) {
        for (unsigned c = 0; c + 1 < nb; c++)
            b[c] += 8 * common;
        lm_run(impl, lm, x, nb - 1, b, whole - common);
    }
    uint64_t *xl = x + CIPHER_LM_LANES * (nb - 1);
    uint8_t *p = buf + (size_t)(nb - 1) * CIPHER_LM_BLOCK + 8 * common;
    for (size_t l = 0; l < last_len % 8; l++) {
        xl[l] = lm_f(xl[l], lm->q[l]);
        p[l] ^= (uint8_t)(xl[l] >> 24);
    }
    sodium_memzero(x, sizeof x);
}

void cipher_lm_blocks_impl(const cipher_lm_impl *impl, const cipher_lm *lm, uint64_t j, unsigned nb,
                         uint8_t *buf, size_t last_len)
{
    lm_blocks(impl, lm, j, nb, buf, last_len);
}




typedef struct lm_job {
    const cipher_lm_impl *impl;
    const cipher_lm *lm;
    uint8_t *buf;
    size_t len;
} lm_job;

static void run_blocks(void *arg, unsigned part, uint64_t first, uint64_t last)
{
    (void)part;
    const lm_job *jb = arg;
    for (uint64_t j = first; j < last;) {
        unsigned nb = last - j < CIPHER_LM_MAX_CHAINS ? (unsigned)(last - j) : CIPHER_LM_MAX_CHAINS;
        size_t off = (size_t)(j + nb - 1) * CIPHER_LM_BLOCK;
        size_t n = jb->len - off < CIPHER_LM_BLOCK ? jb->len - off : CIPHER_LM_BLOCK;
        lm_blocks(jb->impl, jb->lm, j, nb, jb->buf + (size_t)j * CIPHER_LM_BLOCK, n);
        j += nb;
    }
}

void cipher_lm_xor_impl(const cipher_lm_impl *impl, const cipher_lm *lm, uint8_t *buf, size_t len,
                      unsigned threads)
{
    lm_job jb = {impl, lm, buf, len};
    common_parallel_for((len + CIPHER_LM_BLOCK - 1) / CIPHER_LM_BLOCK, threads, run_blocks, &jb);
}

void cipher_lm_xor(const cipher_lm *lm, uint8_t *buf, size_t len, unsigned threads)
{
    cipher_lm_xor_impl(cipher_lm_impl_best(), lm, buf, len, threads);
}
