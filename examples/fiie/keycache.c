#include "keycache.h"

#include <string.h>

int keycache_init(keycache *c, keycache_free_fn free_value)
{
    memset(c, 0, sizeof *c);
    c->free_value = free_value;
    c->mem_budget = KEYCACHE_MEM_BUDGET;
    if (pthread_mutex_init(&c->lock, NULL) != 0)
        return -1;
    if (pthread_cond_init(&c->done, NULL) != 0) {
        pthread_mutex_destroy(&c->lock);
        return -1;
    }
    return 0;
}

void keycache_destroy(keycache *c)
{
    for (unsigned i = 0; i < KEYCACHE_SLOTS; i++)
        if (c->slots[i].value && c->free_value)
            c->free_value(c->slots[i].value);
    pthread_cond_destroy(&c->done);
    pthread_mutex_destroy(&c->lock);
    memset(c->slots, 0, sizeof c->slots);
}

void keycache_id(uint8_t id[KEYCACHE_ID_BYTES], const uint8_t salt[16], uint64_t ops, uint64_t mem)
{
    memcpy(id, salt, 16);
    for (int i = 0; i < 8; i++) {
        id[16 + i] = (uint8_t)(ops >> (8 * i));
        id[24 + i] = (uint8_t)(mem >> (8 * i));
    }
}

/* The memlimit an identity asks for (keycache_id()), at most the budget
 * so that one derivation can always run. */
static uint64_t mem_cost(const keycache *c, const uint8_t id[KEYCACHE_ID_BYTES])
{
    uint64_t mem = 0;
    for (int i = 0; i < 8; i++)
        mem |= (uint64_t)id[24 + i] << (8 * i);
    return mem < c->mem_budget ? mem : c->mem_budget;
}

/* An empty slot, else the least recently used idle finished one; -1 when
 * every slot is being made or held. Called with the lock held. */
static int free_slot(keycache *c)
{
    int best = -1;
    for (unsigned i = 0; i < KEYCACHE_SLOTS; i++) {
        keycache_slot *s = &c->slots[i];
        if (s->state == 0)
            return (int)i;
        if (s->state == 2 && s->users == 0 &&
            (best < 0 || s->last_use < c->slots[best].last_use))
            best = (int)i;
    }
    return best;
}

int keycache_get(keycache *c, const uint8_t id[KEYCACHE_ID_BYTES], keycache_make_fn make,
                 void *arg, keycache_ref *ref)
{
    ref->value = NULL;
    ref->slot = -1;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        int found = -1;
        for (unsigned i = 0; i < KEYCACHE_SLOTS; i++)
            if (c->slots[i].state != 0 && memcmp(c->slots[i].id, id, KEYCACHE_ID_BYTES) == 0) {
                found = (int)i;
                break;
            }
        if (found < 0)
            break;
        keycache_slot *s = &c->slots[found];
        if (s->state == 1) {
            /* Another worker is deriving this very key: wait for it. */
            pthread_cond_wait(&c->done, &c->lock);
            continue;
        }
        s->last_use = ++c->clock;
        int rc = s->rc;
        if (rc == 0) {
            s->users++;
            ref->value = s->value;
            ref->slot = found;
        }
        pthread_mutex_unlock(&c->lock);
        return rc;
    }
    int i = free_slot(c);
    if (i >= 0) {
        keycache_slot *s = &c->slots[i];
        if (s->value && c->free_value)
            c->free_value(s->value);
        memset(s, 0, sizeof *s);
        memcpy(s->id, id, KEYCACHE_ID_BYTES);
        s->state = 1;
    }
    c->made++;
    uint64_t cost = mem_cost(c, id);
    while (c->making > 0 && c->mem_in_use + cost > c->mem_budget)
        pthread_cond_wait(&c->done, &c->lock);
    c->mem_in_use += cost;
    if (++c->making > c->most_making)
        c->most_making = c->making;
    pthread_mutex_unlock(&c->lock);

    /* The slow part runs unlocked: other identities proceed meanwhile. */
    void *value = NULL;
    int rc = make(arg, &value);
    if (rc == 0 && !value)
        rc = -1;

    pthread_mutex_lock(&c->lock);
    c->mem_in_use -= cost;
    c->making--;
    if (i < 0) {
        /* Every slot busy (more workers than slots): keep it private. */
        pthread_cond_broadcast(&c->done);
        pthread_mutex_unlock(&c->lock);
        ref->value = rc == 0 ? value : NULL;
        return rc;
    }
    keycache_slot *s = &c->slots[i];
    s->state = 2;
    s->rc = rc;
    s->value = rc == 0 ? value : NULL;
    s->last_use = ++c->clock;
    if (rc == 0) {
        s->users = 1;
        ref->value = value;
        ref->slot = i;
    }
    pthread_cond_broadcast(&c->done);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void keycache_release(keycache *c, keycache_ref *ref)
{
    if (!ref->value)
        return;
    if (ref->slot < 0) {
        if (c->free_value)
            c->free_value(ref->value);
    } else {
        pthread_mutex_lock(&c->lock);
        c->slots[ref->slot].users--;
        pthread_mutex_unlock(&c->lock);
    }
    ref->value = NULL;
    ref->slot = -1;
}
