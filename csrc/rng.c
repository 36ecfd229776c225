#include "rng.h"

#include <nettle/chacha.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "err.h"
#include "sys.h"

static struct {
    pthread_mutex_t lock;
    uint8_t key[CHACHA_KEY_SIZE];
    int seeded;
    long pid;
    uint64_t since_reseed;
    uint64_t reseeds;
    int atfork_registered;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Runs in the child right after fork(): the next request must reseed. No locking or
 * allocation here; the child is single-threaded at this point. */
static void in_child(void)
{
    g.seeded = 0;
    /* fork() copied the lock in whatever state the parent held it; the atfork
     * prepare handler below took it, so re-create it unlocked. */
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    g.lock = fresh;
}

static void before_fork(void)
{
    pthread_mutex_lock(&g.lock);
}

static void in_parent(void)
{
    pthread_mutex_unlock(&g.lock);
}

/* Called with the lock held. key = SHA-256(label, old key, 32 fresh bytes, pid). */
MT_WUR static int reseed_locked(void)
{
    uint8_t fresh[32];
    GUARD(mt_sys_getrandom(fresh, sizeof(fresh)));
    long pid = mt_sys_getpid();
    struct sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, 16, (const uint8_t *)"moontls rng seed");
    sha256_update(&h, sizeof(g.key), g.key);
    sha256_update(&h, sizeof(fresh), fresh);
    sha256_update(&h, sizeof(pid), (const uint8_t *)&pid);
    sha256_digest(&h, sizeof(g.key), g.key);
    mt_wipe(&h, sizeof(h));
    mt_wipe(fresh, sizeof(fresh));
    g.pid = pid;
    g.seeded = 1;
    g.since_reseed = 0;
    g.reseeds++;
    if (!g.atfork_registered) {
        g.atfork_registered = pthread_atfork(before_fork, in_parent, in_child) == 0;
    }
    return 0;
}

MT_WUR static int generate_locked(uint8_t *out, size_t n)
{
    if (!g.seeded || g.pid != mt_sys_getpid() || g.since_reseed >= MT_RNG_RESEED_BYTES) {
        GUARD(reseed_locked());
    }
    static const uint8_t nonce[CHACHA_NONCE_SIZE] = {0};
    struct chacha_ctx c;
    uint8_t next[CHACHA_KEY_SIZE] = {0};
    chacha_set_key(&c, g.key);
    chacha_set_nonce(&c, nonce);
    /* Keystream block 0 gives the next key; the request starts at block 1, never
     * overlapping it, and the old key is gone once this returns. */
    uint8_t block[CHACHA_BLOCK_SIZE] = {0};
    chacha_crypt(&c, sizeof(block), block, block);
    memcpy(next, block, sizeof(next));
    if (n > 0) {
        memset(out, 0, n);
        chacha_crypt(&c, n, out, out);
    }
    memcpy(g.key, next, sizeof(g.key));
    g.since_reseed += n;
    mt_wipe(next, sizeof(next));
    mt_wipe(block, sizeof(block));
    mt_wipe(&c, sizeof(c));
    return 0;
}

int mt_rng_bytes(void *out, size_t n)
{
    pthread_mutex_lock(&g.lock);
    int rc = generate_locked(out, n);
    pthread_mutex_unlock(&g.lock);
    if (rc < 0 && n > 0) {
        mt_wipe(out, n);
    }
    return rc;
}

int mt_rng_reseed(void)
{
    pthread_mutex_lock(&g.lock);
    int rc = reseed_locked();
    pthread_mutex_unlock(&g.lock);
    return rc;
}

uint64_t mt_rng_reseed_count(void)
{
    pthread_mutex_lock(&g.lock);
    uint64_t n = g.reseeds;
    pthread_mutex_unlock(&g.lock);
    return n;
}

void mt_rng_nettle(void *ctx, size_t n, uint8_t *dst)
{
    (void)ctx;
    if (mt_rng_bytes(dst, n) < 0) {
        abort();
    }
}
