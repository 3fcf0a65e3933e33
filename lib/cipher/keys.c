/* Keys (fiie/cipher.h): random, raw, and derived from a passphrase with
 * Argon2id. Key bytes live only in libsodium's guarded memory and are
 * wiped when freed. */
#include <string.h>

#include <sodium.h>

#include "cipher/cipher.h"
#include "common/common.h"
#include "format/format.h"

size_t fiie_key_bytes(void)
{
    return FIIE_KEY_BYTES;
}

size_t fiie_nonce_bytes(void)
{
    return FIIE_NONCE_BYTES;
}

size_t fiie_salt_bytes(void)
{
    return FIIE_SALT_BYTES;
}

int fiie_kdf_params_init_v(fiie_kdf_params *p, int abi_version)
{
    int rc = common_options_begin(p, sizeof *p, abi_version);
    if (rc)
        return rc;
    p->opslimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
    p->memlimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
    return FIIE_OK;
}

/* ---- keys --------------------------------------------------------------- */

static int key_alloc(fiie_key **out)
{
    *out = NULL;
    if (sodium_init() < 0)
        return FIIE_E_CRYPTO;
    /* Guarded, locked (where allowed) memory; sodium_free wipes it. */
    fiie_key *k = sodium_malloc(sizeof *k);
    if (!k)
        return FIIE_E_NO_MEMORY;
    memset(k, 0, sizeof *k);
    *out = k;
    return FIIE_OK;
}

void fiie_key_free(fiie_key *k)
{
    if (k)
        sodium_free(k);
}

int fiie_key_generate(fiie_key **out)
{
    if (!out)
        return FIIE_E_INVALID_ARGUMENT;
    int rc = key_alloc(out);
    if (rc == FIIE_OK)
        randombytes_buf((*out)->k, FIIE_KEY_BYTES);
    return rc;
}

int fiie_key_from_bytes(fiie_key **out, const uint8_t *bytes, size_t len)
{
    if (out)
        *out = NULL;
    if (!out || !bytes || len != FIIE_KEY_BYTES)
        return FIIE_E_INVALID_ARGUMENT;
    int rc = key_alloc(out);
    if (rc == FIIE_OK)
        memcpy((*out)->k, bytes, FIIE_KEY_BYTES);
    return rc;
}

_Static_assert(FIIE_KDF_READ_MAX_OPSLIMIT == crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE &&
                   FIIE_KDF_READ_MAX_MEMLIMIT == crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE,
               "the reader's default caps are libsodium's SENSITIVE level");

static int kdf_limits_ok(uint64_t ops, uint64_t mem)
{
    return ops >= FIIE_KDF_MIN_OPSLIMIT && ops <= FIIE_KDF_MAX_OPSLIMIT &&
           mem >= FIIE_KDF_MIN_MEMLIMIT && mem <= FIIE_KDF_MAX_MEMLIMIT && mem <= SIZE_MAX;
}

/* libsodium's Argon2 leaves a copy of its output in a stack frame it does
 * not wipe (found by bindings/python/tests/test_secrets.py): overwrite the
 * stack below the caller once the derivation is done. */
__attribute__((noinline)) static void burn_stack(void)
{
    uint8_t scratch[32768];
    sodium_memzero(scratch, sizeof scratch);
    __asm__ __volatile__("" : : "r"(scratch) : "memory");
}

static int derive(fiie_key **out, const char *pass, size_t len, uint64_t ops, uint64_t mem,
                  const uint8_t salt[FIIE_SALT_BYTES])
{
    fiie_key *k;
    int rc = key_alloc(&k);
    if (rc != FIIE_OK)
        return rc;
    int failed = crypto_pwhash(k->k, FIIE_KEY_BYTES, pass, len, salt, (unsigned long long)ops,
                               (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0;
    burn_stack();
    if (failed) {
        fiie_key_free(k);
        /* libsodium fails here mainly when it cannot get the memory. */
        return FIIE_E_NO_MEMORY;
    }
    k->has_kdf = 1;
    k->opslimit = ops;
    k->memlimit = mem;
    memcpy(k->salt, salt, FIIE_SALT_BYTES);
    *out = k;
    return FIIE_OK;
}

int fiie_key_from_passphrase(fiie_key **out, const char *pass, size_t len,
                             const fiie_kdf_params *p)
{
    if (out)
        *out = NULL;
    if (!out || !pass || len == 0 || len > crypto_pwhash_PASSWD_MAX)
        return FIIE_E_INVALID_ARGUMENT;
    fiie_kdf_params def;
    if (!p) {
        fiie_kdf_params_init(&def);
        p = &def;
    }
    int rc = common_options_check(p->abi_version, p->reserved, sizeof p->reserved);
    if (rc != FIIE_OK)
        return rc;
    if ((p->flags & ~FIIE_KDF_FIXED_SALT) != 0)
        return FIIE_E_INVALID_ARGUMENT;
    if ((p->flags & FIIE_KDF_FIXED_SALT) && !CIPHER_TEST_HOOKS)
        return FIIE_E_UNSUPPORTED;
    if (!kdf_limits_ok(p->opslimit, p->memlimit))
        return FIIE_E_TOO_LARGE;
    if (sodium_init() < 0)
        return FIIE_E_CRYPTO;
    uint8_t salt[FIIE_SALT_BYTES];
    if (p->flags & FIIE_KDF_FIXED_SALT)
        memcpy(salt, p->salt, sizeof salt);
    else
        randombytes_buf(salt, sizeof salt);
    return derive(out, pass, len, p->opslimit, p->memlimit, salt);
}

int fiie_key_from_header_passphrase_limits(fiie_key **out, const uint8_t *header, size_t hlen,
                                           const char *pass, size_t passlen,
                                           uint64_t max_opslimit, uint64_t max_memlimit)
{
    if (out)
        *out = NULL;
    if (!out || !header || !pass || passlen == 0 || passlen > crypto_pwhash_PASSWD_MAX ||
        max_opslimit > FIIE_KDF_MAX_OPSLIMIT || max_memlimit > FIIE_KDF_MAX_MEMLIMIT)
        return FIIE_E_INVALID_ARGUMENT;
    fiie_header_info info;
    int rc = fiie_header_parse(&info, header, hlen);
    if (rc != FIIE_OK)
        return rc;
    if (!info.kdf)
        return FIIE_E_NOT_FOUND;
    /* The caps are checked before any hashing: a hostile header costs nothing. */
    if (!kdf_limits_ok(info.opslimit, info.memlimit) || info.opslimit > max_opslimit ||
        info.memlimit > max_memlimit)
        return FIIE_E_TOO_LARGE;
    return derive(out, pass, passlen, info.opslimit, info.memlimit, info.salt);
}

int fiie_key_from_header_passphrase(fiie_key **out, const uint8_t *header, size_t hlen,
                                    const char *pass, size_t passlen)
{
    return fiie_key_from_header_passphrase_limits(out, header, hlen, pass, passlen,
                                                  FIIE_KDF_READ_MAX_OPSLIMIT,
                                                  FIIE_KDF_READ_MAX_MEMLIMIT);
}

int fiie_key_get_bytes(const fiie_key *k, uint8_t *out, size_t cap)
{
    if (!k || !out)
        return FIIE_E_INVALID_ARGUMENT;
    if (cap < FIIE_KEY_BYTES)
        return FIIE_E_BUFFER_TOO_SMALL;
    memcpy(out, k->k, FIIE_KEY_BYTES);
    return FIIE_OK;
}

