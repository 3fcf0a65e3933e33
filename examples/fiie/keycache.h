/* A small thread-safe cache of derived keys for `fiie decrypt
 * --passphrase-file`: the key of a protected image depends on the salt
 * and Argon2id limits in its header, and deriving it is slow on purpose.
 * Workers share one cache so that each (salt, limits) is derived at most
 * once per run, even when several workers meet it at the same moment
 * (the later ones wait for the first one's result).
 *
 * Generic: the cache stores opaque values made by a caller's function and
 * released by a caller's function, so it can be tested without libfiie.
 * At most KEYCACHE_SLOTS values are kept (bounded memory, however many
 * files); beyond that the least recently used idle one is dropped. A value
 * is never dropped while a worker holds it. */
#ifndef FIIE_CLI_KEYCACHE_H
#define FIIE_CLI_KEYCACHE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "fiie/common.h"

/* At least the largest --threads (FIIE_MAX_THREADS): a worker asking for a
 * key holds none, so a slot is always free or idle and no identity is ever
 * derived twice. Each slot costs one fiie_key (a few guarded pages) once
 * used. */
#define KEYCACHE_SLOTS FIIE_MAX_THREADS
/* Identity of a derivation: salt (16 bytes) + opslimit + memlimit. */
#define KEYCACHE_ID_BYTES 32u

/* Make the value for an identity; returns 0 or a negative status. */
typedef int (*keycache_make_fn)(void *arg, void **value);
typedef void (*keycache_free_fn)(void *value);

typedef struct keycache_slot {
    uint8_t id[KEYCACHE_ID_BYTES];
    int state;          /* 0 empty, 1 being made, 2 done (value, or status rc) */
    int rc;             /* the make function's status when it failed */
    void *value;
    unsigned users;     /* workers holding value */
    uint64_t last_use;
} keycache_slot;

typedef struct keycache {
    pthread_mutex_t lock;
    pthread_cond_t done;
    keycache_slot slots[KEYCACHE_SLOTS];
    uint64_t clock;
    unsigned made;      /* calls of the make function (for tests) */
    keycache_free_fn free_value;
} keycache;

/* A held value; give it back with keycache_release(). */
typedef struct keycache_ref {
    void *value;
    int slot;           /* -1: uncached (no free slot), freed on release */
} keycache_ref;

/** @return 0 or -1 (cannot create the lock). */
int keycache_init(keycache *c, keycache_free_fn free_value);
/** Free every value (no reference may be held). */
void keycache_destroy(keycache *c);

/** Build the identity of (salt, opslimit, memlimit). */
void keycache_id(uint8_t id[KEYCACHE_ID_BYTES], const uint8_t salt[16], uint64_t ops,
                 uint64_t mem);

/** Get the value of `id`, making it with make(arg) when no earlier call
 * made it (a failed make is remembered too: its status is returned again
 * without a new attempt). @return 0 (ref filled) or make's status. */
int keycache_get(keycache *c, const uint8_t id[KEYCACHE_ID_BYTES], keycache_make_fn make,
                 void *arg, keycache_ref *ref);
/** Give back a value from keycache_get(). */
void keycache_release(keycache *c, keycache_ref *ref);

#endif
