/**
 * @file fiie/cipher.h
 * @brief Keys and the FIIE v1 cipher: encrypt exactly the masked pixels of
 *        an image in place and describe them in a header (docs/format.md).
 *
 * Algorithm 1 (the default) XORs the protected bytes with a Logistic-map
 * keystream and then seals them with XChaCha20-Poly1305 under a fresh
 * random 24-byte nonce; the header (region list, image size, nonce, KDF
 * parameters) is authenticated too. Decryption checks the tag before it
 * writes a single pixel: a wrong key, a changed pixel inside a region, a
 * changed header or a truncated file all give #FIIE_E_AUTH and leave the
 * image untouched.
 *
 * Algorithm 0 reproduces the published paper scheme for comparison only.
 * It is NOT secure: it has no nonce and no tag, its keystream depends on
 * the key alone (one known image reveals it and it repeats for every
 * image) and tampering goes unnoticed. Never use it to protect anything.
 *
 * Output never depends on the thread count.
 *
 * Thread safety: a ::fiie_key is immutable after creation, so one key may
 * be used by any number of threads at once (fiie_encrypt() and
 * fiie_decrypt() only read it); fiie_key_free() must not race with its
 * use. fiie_encrypt() and fiie_decrypt() modify the image passed to them:
 * two concurrent calls must not share an image (or overlapping pixel
 * memory); they may share a key and a mask. The `threads` options start
 * internal workers for one call only. Functions without a handle
 * (fiie_keystream(), fiie_key_generate(), ...) are safe from any thread
 * (tests/test_threads.c).
 */
#ifndef FIIE_CIPHER_H
#define FIIE_CIPHER_H

#include "fiie/common.h"
#include "fiie/format.h"
#include "fiie/image.h"
#include "fiie/mask.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Master key size in bytes. */
#define FIIE_KEY_BYTES 32u
/** Largest Argon2id opslimit accepted, from a header or a caller (anti-DoS:
 *  a hostile file must not make a reader hash for minutes). libsodium's
 *  SENSITIVE level is 4. */
#define FIIE_KDF_MAX_OPSLIMIT 16u
/** Largest Argon2id memory limit accepted, in bytes: 1 GiB, libsodium's
 *  SENSITIVE level (anti-DoS, as FIIE_KDF_MAX_OPSLIMIT). */
#define FIIE_KDF_MAX_MEMLIMIT (UINT64_C(1) << 30)
/** Smallest Argon2id opslimit accepted (libsodium's minimum for Argon2id). */
#define FIIE_KDF_MIN_OPSLIMIT 1u
/** Smallest Argon2id memory limit accepted, in bytes (libsodium's minimum). */
#define FIIE_KDF_MIN_MEMLIMIT 8192u

/** Opaque key. The secret lives in guarded memory and is wiped on free. */
typedef struct fiie_key fiie_key;

/** fiie_kdf_params::flags bit: use `salt` instead of a random one (tests only). */
#define FIIE_KDF_FIXED_SALT 1u

/** Passphrase hashing parameters. Initialise with fiie_kdf_params_init(). */
typedef struct fiie_kdf_params {
    uint32_t abi_version;  /**< set by the init function */
    uint32_t flags;        /**< 0 or FIIE_KDF_FIXED_SALT */
    uint64_t opslimit;     /**< Argon2id passes (default: libsodium INTERACTIVE, 2) */
    uint64_t memlimit;     /**< Argon2id memory in bytes (default: INTERACTIVE, 64 MiB) */
    uint8_t salt[16];      /**< used only with FIIE_KDF_FIXED_SALT */
    uint8_t reserved[32];  /**< zero (anything else is refused) */
} fiie_kdf_params;

/**
 * @brief Initialise passphrase parameters to their defaults (use the macro).
 * @param p           parameters to fill
 * @param abi_version FIIE_ABI_VERSION of the caller's headers
 * @return 0, FIIE_E_INVALID_ARGUMENT or FIIE_E_VERSION.
 */
FIIE_API int fiie_kdf_params_init_v(fiie_kdf_params *p, int abi_version);
/** Initialise passphrase parameters for the headers in use. */
#define fiie_kdf_params_init(p) fiie_kdf_params_init_v((p), FIIE_ABI_VERSION)

/** @brief FIIE_KEY_BYTES as a function (for FFI). @return 32. */
FIIE_API size_t fiie_key_bytes(void);
/** @brief FIIE_NONCE_BYTES as a function (for FFI). @return 24. */
FIIE_API size_t fiie_nonce_bytes(void);
/** @brief FIIE_SALT_BYTES as a function (for FFI). @return 16. */
FIIE_API size_t fiie_salt_bytes(void);

/**
 * @brief Create a new random master key (libsodium's CSPRNG).
 * @param out receives the key (NULL on error)
 * @return 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_CRYPTO or FIIE_E_NO_MEMORY.
 */
FIIE_API int fiie_key_generate(fiie_key **out);

/**
 * @brief Load a master key from raw bytes.
 * @param out   receives the key (NULL on error)
 * @param bytes the secret
 * @param len   must be FIIE_KEY_BYTES
 * @return 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_CRYPTO or FIIE_E_NO_MEMORY.
 */
FIIE_API int fiie_key_from_bytes(fiie_key **out, const uint8_t *bytes, size_t len);

/**
 * @brief Derive a master key from a passphrase with Argon2id.
 *
 * The salt and limits are remembered in the key; fiie_encrypt() writes
 * them into the header so that fiie_key_from_header_passphrase() can
 * derive the same key later from the passphrase alone. Takes about as
 * long as the limits say (0.1-0.5 s with the defaults).
 * @param out  receives the key (NULL on error)
 * @param pass passphrase bytes (need not be NUL-terminated)
 * @param len  their count, 1 .. libsodium's crypto_pwhash_PASSWD_MAX
 * @param p    parameters, or NULL for the defaults with a random salt
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL, bad length, unknown flags,
 *         non-zero reserved bytes), FIIE_E_VERSION, FIIE_E_TOO_LARGE
 *         (limits outside FIIE_KDF_MIN_* .. FIIE_KDF_MAX_*),
 *         FIIE_E_NO_MEMORY (also when Argon2id cannot get its memory) or
 *         FIIE_E_CRYPTO.
 */
FIIE_API int fiie_key_from_passphrase(fiie_key **out, const char *pass, size_t len,
                                      const fiie_kdf_params *p);

/**
 * @brief Re-derive the key of a passphrase-protected image from its header.
 *
 * The header is fully validated, then its KDF block (salt, limits) is used.
 * Limits above FIIE_KDF_MAX_* are refused before any work is done, so a
 * hostile file cannot make the reader spend minutes or gigabytes.
 * @param out     receives the key (NULL on error)
 * @param header  header bytes (fiIE chunk or sidecar contents)
 * @param hlen    their count
 * @param pass    passphrase bytes
 * @param passlen their count, >= 1
 * @return 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_HEADER (malformed),
 *         FIIE_E_NOT_FOUND (no KDF block: the image used a raw key),
 *         FIIE_E_TOO_LARGE (limits over the caps), FIIE_E_NO_MEMORY or
 *         FIIE_E_CRYPTO.
 */
FIIE_API int fiie_key_from_header_passphrase(fiie_key **out, const uint8_t *header,
                                             size_t hlen, const char *pass, size_t passlen);

/**
 * @brief Export the secret master key (e.g. to store it in a key file).
 *
 * Handle the output as a secret and wipe it after use.
 * @param k   key
 * @param out receives FIIE_KEY_BYTES bytes
 * @param cap capacity of out, >= FIIE_KEY_BYTES
 * @return 0, FIIE_E_INVALID_ARGUMENT or FIIE_E_BUFFER_TOO_SMALL.
 */
FIIE_API int fiie_key_get_bytes(const fiie_key *k, uint8_t *out, size_t cap);

/**
 * @brief Wipe and release a key.
 * @param k key, or NULL (then nothing happens)
 */
FIIE_API void fiie_key_free(fiie_key *k);

/** fiie_encrypt_options::flags bit: use `nonce` instead of a random one.
 *  For known-answer tests only: reusing a nonce with the same key leaks
 *  the XOR of two images' protected bytes. */
#define FIIE_ENCRYPT_FIXED_NONCE 1u

/** Options of fiie_encrypt(). Initialise with fiie_encrypt_options_init(). */
typedef struct fiie_encrypt_options {
    uint32_t abi_version;   /**< set by the init function */
    uint32_t alg;           /**< FIIE_ALG_V1 (default) or FIIE_ALG_PAPER */
    uint32_t flags;         /**< 0 or FIIE_ENCRYPT_FIXED_NONCE */
    uint32_t threads;       /**< worker threads (at most #FIIE_MAX_THREADS used); 0 or 1:
                                 the calling thread only. The output never depends on it. */
    uint8_t nonce[24];      /**< used only with FIIE_ENCRYPT_FIXED_NONCE */
    double paper_x0;        /**< FIIE_ALG_PAPER key: initial value, 0 < x0 < 1 */
    double paper_mu;        /**< FIIE_ALG_PAPER key: 3.57 <= mu <= 4 */
    uint8_t reserved[40];   /**< zero (anything else is refused) */
} fiie_encrypt_options;

/**
 * @brief Initialise encryption options to their defaults (use the macro).
 * @param o           options to fill
 * @param abi_version FIIE_ABI_VERSION of the caller's headers
 * @return 0, FIIE_E_INVALID_ARGUMENT or FIIE_E_VERSION.
 */
FIIE_API int fiie_encrypt_options_init_v(fiie_encrypt_options *o, int abi_version);
/** Initialise encryption options for the headers in use. */
#define fiie_encrypt_options_init(o) fiie_encrypt_options_init_v((o), FIIE_ABI_VERSION)

/** Options of fiie_decrypt(). Initialise with fiie_decrypt_options_init(). */
typedef struct fiie_decrypt_options {
    uint32_t abi_version;   /**< set by the init function */
    uint32_t threads;       /**< worker threads (at most #FIIE_MAX_THREADS used); 0 or 1:
                                 the calling thread only. The output never depends on it. */
    double paper_x0;        /**< key of FIIE_ALG_PAPER images */
    double paper_mu;        /**< key of FIIE_ALG_PAPER images */
    uint8_t reserved[40];   /**< zero (anything else is refused) */
} fiie_decrypt_options;

/**
 * @brief Initialise decryption options to their defaults (use the macro).
 * @param o           options to fill
 * @param abi_version FIIE_ABI_VERSION of the caller's headers
 * @return 0, FIIE_E_INVALID_ARGUMENT or FIIE_E_VERSION.
 */
FIIE_API int fiie_decrypt_options_init_v(fiie_decrypt_options *o, int abi_version);
/** Initialise decryption options for the headers in use. */
#define fiie_decrypt_options_init(o) fiie_decrypt_options_init_v((o), FIIE_ABI_VERSION)

/**
 * @brief Encrypt the masked pixels of an image in place and produce its
 *        header.
 *
 * The mask must have been created for the image's size and must protect
 * at least one pixel of it (regions entirely outside the image are kept
 * in the header but protect nothing). Only the R, G, B bytes of protected
 * pixels change; alpha and all other pixels stay as they are. A fresh
 * random nonce is drawn for every call. When the key came from a
 * passphrase, the header records the salt and limits (KDF block).
 *
 * Call with `header` NULL (or a too small `cap`) to learn the header size:
 * the function then returns FIIE_E_BUFFER_TOO_SMALL, sets `*header_len`
 * and does nothing else. On any error the image is left unchanged.
 * @param k          key (may be NULL for FIIE_ALG_PAPER)
 * @param img        image to encrypt in place (RGB8, RGBA8, BGR8 or BGRA8)
 * @param m          mask created for img's width and height
 * @param o          options, or NULL for the defaults
 * @param header     output buffer for the header
 * @param cap        its capacity
 * @param header_len receives the header size (also on FIIE_E_BUFFER_TOO_SMALL)
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL img, m or header_len, NULL k
 *         for algorithm 1, bad image or options, bad paper key),
 *         FIIE_E_VERSION (options of another ABI major), FIIE_E_TOO_LARGE
 *         (image over the size limits), FIIE_E_MISMATCH (mask made for
 *         another size), FIIE_E_EMPTY_MASK (no region, or no region pixel
 *         inside the image), FIIE_E_BUFFER_TOO_SMALL, FIIE_E_NO_MEMORY or
 *         FIIE_E_CRYPTO.
 */
FIIE_API int fiie_encrypt(const fiie_key *k, fiie_image *img, const fiie_mask *m,
                          const fiie_encrypt_options *o, uint8_t *header, size_t cap,
                          size_t *header_len);

/**
 * @brief Restore the protected pixels of an image in place.
 *
 * The header is validated strictly, then checked against the image
 * (width, height, channels), then (algorithm 1) the tag is verified before
 * any pixel is written. Algorithm 0 images need `o->paper_x0/paper_mu`
 * and cannot detect a wrong key or tampering.
 * @param k      key (may be NULL for FIIE_ALG_PAPER)
 * @param img    protected image (RGB8, RGBA8, BGR8 or BGRA8)
 * @param header header bytes
 * @param len    their count
 * @param o      options, or NULL for the defaults (required for paper mode)
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL img or header, NULL k for
 *         algorithm 1, missing or invalid paper key, bad image or
 *         options), FIIE_E_VERSION (options of another ABI major),
 *         FIIE_E_TOO_LARGE (image over the size limits), FIIE_E_HEADER
 *         (malformed header), FIIE_E_MISMATCH (header made for another
 *         image size or channel count), FIIE_E_AUTH (wrong key or tampered
 *         data; image untouched), FIIE_E_NO_MEMORY or FIIE_E_CRYPTO.
 */
FIIE_API int fiie_decrypt(const fiie_key *k, fiie_image *img, const uint8_t *header,
                          size_t len, const fiie_decrypt_options *o);

/**
 * @brief Low-level: write the first `len` bytes of the algorithm-1
 *        Logistic keystream L for (key, nonce).
 *
 * For tests, statistical test suites and benchmarks; fiie_encrypt() does
 * not need it. L alone is not a cipher (it is only one layer of one).
 * @param k       key
 * @param nonce   FIIE_NONCE_BYTES bytes
 * @param out     output buffer
 * @param len     bytes to write (0 is allowed)
 * @param threads 0 or 1: calling thread only; more: worker threads
 * @return 0, FIIE_E_INVALID_ARGUMENT or FIIE_E_CRYPTO. Threads that cannot
 *         be started are replaced by the calling thread (same output).
 */
FIIE_API int fiie_keystream(const fiie_key *k, const uint8_t *nonce, uint8_t *out, size_t len,
                            unsigned threads);

/**
 * @brief Low-level: write `len` bytes of the insecure paper keystream for
 *        the key (x0, mu) (algorithm 0), for tests and comparisons.
 * @param x0  0 < x0 < 1
 * @param mu  3.57 <= mu <= 4
 * @param out output buffer
 * @param len bytes to write (0 is allowed)
 * @return 0 or FIIE_E_INVALID_ARGUMENT (NULL output, NaN or out-of-range key).
 */
FIIE_API int fiie_paper_keystream(double x0, double mu, uint8_t *out, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* FIIE_CIPHER_H */
