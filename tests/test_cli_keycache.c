/* Unit tests of the derived-key cache of `fiie decrypt --passphrase-file`:
 * each identity is made at most once, even by racing threads; failures
 * are remembered; memory stays bounded; held values are never dropped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "keycache.h"

static int live;                /* values alive (made and not freed) */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct make_arg {
    int tag;
    int fail;
    unsigned slow_us;
} make_arg;

static int make(void *arg, void **value)
{
    make_arg *a = arg;
    if (a->slow_us) {
        struct timespec ts = {0, (long)a->slow_us * 1000L};
        nanosleep(&ts, NULL);
    }
    if (a->fail)
        return -7;
    int *v = malloc(sizeof *v);
    if (!v)
        return -1;
    *v = a->tag;
    pthread_mutex_lock(&live_lock);
    live++;
    pthread_mutex_unlock(&live_lock);
    *value = v;
    return 0;
}

static void free_value(void *v)
{
    pthread_mutex_lock(&live_lock);
    live--;
    pthread_mutex_unlock(&live_lock);
    free(v);
}

static void id_of(uint8_t id[KEYCACHE_ID_BYTES], int n, uint64_t ops)
{
    uint8_t salt[16] = {0};
    salt[0] = (uint8_t)n;
    salt[1] = (uint8_t)(n >> 8);
    keycache_id(id, salt, ops, UINT64_C(1) << 26);
}

static void made_once_and_reused(void **state)
{
    (void)state;
    keycache c;
    assert_int_equal(keycache_init(&c, free_value), 0);
    uint8_t a[KEYCACHE_ID_BYTES], b[KEYCACHE_ID_BYTES], a2[KEYCACHE_ID_BYTES];
    id_of(a, 1, 2);
    id_of(b, 2, 2);
    id_of(a2, 1, 3);  /* same salt, other limits: another key */
    make_arg ma = {11, 0, 0}, mb = {22, 0, 0}, ma2 = {33, 0, 0};
    keycache_ref r1, r2, r3, r4;
    assert_int_equal(keycache_get(&c, a, make, &ma, &r1), 0);
    assert_int_equal(*(int *)r1.value, 11);
    assert_int_equal(keycache_get(&c, a, make, &mb, &r2), 0);  /* cached: make not called */
    assert_ptr_equal(r1.value, r2.value);
    assert_int_equal(keycache_get(&c, b, make, &mb, &r3), 0);
    assert_int_equal(*(int *)r3.value, 22);
    assert_int_equal(keycache_get(&c, a2, make, &ma2, &r4), 0);
    assert_int_equal(*(int *)r4.value, 33);
    assert_int_equal(c.made, 3);
    keycache_release(&c, &r1);
    keycache_release(&c, &r2);
    keycache_release(&c, &r3);
    keycache_release(&c, &r4);
    assert_null(r1.value);
    keycache_release(&c, &r1); /* twice: nothing */
    keycache_destroy(&c);
    assert_int_equal(live, 0);
}

static void failure_remembered(void **state)
{
    (void)state;
    keycache c;
    assert_int_equal(keycache_init(&c, free_value), 0);
    uint8_t a[KEYCACHE_ID_BYTES];
    id_of(a, 5, 2);
    make_arg bad = {0, 1, 0}, good = {1, 0, 0};
    keycache_ref r;
    assert_int_equal(keycache_get(&c, a, make, &bad, &r), -7);
    assert_null(r.value);
    assert_int_equal(keycache_get(&c, a, make, &good, &r), -7);
    assert_int_equal(c.made, 1);
    keycache_release(&c, &r);
    keycache_destroy(&c);
    assert_int_equal(live, 0);
}

static void bounded_and_held_values_kept(void **state)
{
    (void)state;
    keycache c;
    assert_int_equal(keycache_init(&c, free_value), 0);
    uint8_t id[KEYCACHE_ID_BYTES];
    make_arg m = {0, 0, 0};
    keycache_ref held;
    id_of(id, 0, 2);
    assert_int_equal(keycache_get(&c, id, make, &m, &held), 0);
    for (int n = 1; n < 200; n++) {
        keycache_ref r;
        id_of(id, n, 2);
        m.tag = n;
        assert_int_equal(keycache_get(&c, id, make, &m, &r), 0);
        assert_int_equal(*(int *)r.value, n);
        keycache_release(&c, &r);
        assert_true(live <= (int)KEYCACHE_SLOTS);
    }
    assert_int_equal(*(int *)held.value, 0); /* never evicted while held */
    /* All slots held: the next value is private and freed on release. */
    keycache_ref r[KEYCACHE_SLOTS + 1];
    r[0] = held;
    for (unsigned i = 1; i <= KEYCACHE_SLOTS; i++) {
        id_of(id, 1000 + (int)i, 2);
        m.tag = (int)i;
        assert_int_equal(keycache_get(&c, id, make, &m, &r[i]), 0);
    }
    assert_int_equal(r[KEYCACHE_SLOTS].slot, -1);
    assert_int_equal(live, (int)KEYCACHE_SLOTS + 1);
    for (unsigned i = 0; i <= KEYCACHE_SLOTS; i++)
        keycache_release(&c, &r[i]);
    assert_int_equal(live, (int)KEYCACHE_SLOTS);
    keycache_destroy(&c);
    assert_int_equal(live, 0);
}

typedef struct racer {
    keycache *c;
    int n;
    int rc;
    void *seen;
} racer;

static void *race(void *p)
{
    racer *r = p;
    uint8_t id[KEYCACHE_ID_BYTES];
    id_of(id, r->n, 2);
    make_arg m = {r->n, 0, 20000}; /* slow: the others arrive while it runs */
    keycache_ref ref;
    r->rc = keycache_get(r->c, id, make, &m, &ref);
    r->seen = ref.value;
    keycache_release(r->c, &ref);
    return NULL;
}

static void concurrent_same_identity(void **state)
{
    (void)state;
    keycache c;
    assert_int_equal(keycache_init(&c, free_value), 0);
    enum { N = 8 };
    racer r[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        r[i] = (racer){&c, i % 2, -99, NULL}; /* two identities, four threads each */
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < N; i++) {
        assert_int_equal(r[i].rc, 0);
        assert_ptr_equal(r[i].seen, r[i % 2].seen);
    }
    assert_ptr_not_equal(r[0].seen, r[1].seen);
    assert_int_equal(c.made, 2);
    keycache_destroy(&c);
    assert_int_equal(live, 0);
}

typedef struct mem_racer {
    keycache *c;
    int n;
    uint64_t mem;
} mem_racer;

static void *mem_race(void *p)
{
    mem_racer *r = p;
    uint8_t id[KEYCACHE_ID_BYTES], salt[16] = {(uint8_t)r->n, 0x5a};
    keycache_id(id, salt, 2, r->mem);
    make_arg m = {r->n, 0, 20000};
    keycache_ref ref;
    int rc = keycache_get(r->c, id, make, &m, &ref);
    keycache_release(r->c, &ref);
    return rc == 0 ? NULL : r;
}

/* Issue 14: eight workers deriving eight different 1 GiB keys run one at a
 * time (1 GiB in use, not 8); 256 MiB keys run four at a time at most. */
static void derivations_within_memory_budget(void **state)
{
    (void)state;
    const uint64_t mems[] = {UINT64_C(1) << 30, UINT64_C(1) << 28, UINT64_C(1) << 40};
    const unsigned most[] = {1, 4, 1};
    for (int k = 0; k < 3; k++) {
        keycache c;
        assert_int_equal(keycache_init(&c, free_value), 0);
        assert_true(c.mem_budget == KEYCACHE_MEM_BUDGET);
        enum { N = 8 };
        mem_racer r[N];
        pthread_t t[N];
        for (int i = 0; i < N; i++) {
            r[i] = (mem_racer){&c, i, mems[k]};
            assert_int_equal(pthread_create(&t[i], NULL, mem_race, &r[i]), 0);
        }
        for (int i = 0; i < N; i++) {
            void *failed = &r[i];
            pthread_join(t[i], &failed);
            assert_null(failed);
        }
        assert_int_equal(c.made, N);
        assert_true(c.most_making >= 1 && c.most_making <= most[k]);
        assert_true(c.mem_in_use == 0 && c.making == 0);
        keycache_destroy(&c);
        assert_int_equal(live, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(made_once_and_reused),
        cmocka_unit_test(failure_remembered),
        cmocka_unit_test(bounded_and_held_values_kept),
        cmocka_unit_test(concurrent_same_identity),
        cmocka_unit_test(derivations_within_memory_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
