#include "session.h"

#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "err.h"

/* Entries live in a hash table (chained, keyed by the session id; buckets a power of two, at
 * least size) and on a doubly linked list in order of use, most recent first: put, get and
 * remove take constant time, eviction takes the list's tail. Entries are allocated as they
 * come, so a large `size` costs only its bucket array (8 bytes a session) until it fills. */
struct entry {
    struct entry *next;          /* hash chain */
    struct entry *newer, *older; /* use order */
    mt_session s;
};

struct mt_cache {
    size_t size, count, mask;
    uint32_t lifetime;
    struct entry **bucket;
    struct entry *newest, *oldest;
};

void mt_session_wipe(mt_session *s)
{
    mt_wipe(s, sizeof(*s));
}

/* Session ids we issue are random; ids a client sends only probe. The first bytes serve. */
static size_t slot_of(const mt_cache *c, const uint8_t *sid, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len && i < 16; i++) {
        h = (h ^ sid[i]) * 0x100000001b3u;
    }
    return (size_t)(h ^ (h >> 29)) & c->mask;
}

int mt_cache_new(size_t size, uint32_t lifetime, mt_cache **out)
{
    *out = NULL;
    ENSURE(size > 0 && size <= 1000000, INVALID_ARG);
    mt_cache *c = calloc(1, sizeof(*c));
    ENSURE(c != NULL, NOMEM);
    size_t n = 16;
    while (n < size) {
        n *= 2;
    }
    c->bucket = calloc(n, sizeof(*c->bucket));
    if (!c->bucket) {
        free(c);
        return -MT_E_NOMEM;
    }
    c->mask = n - 1;
    c->size = size;
    c->lifetime = lifetime;
    *out = c;
    return 0;
}

static void unlink_entry(mt_cache *c, struct entry *e)
{
    struct entry **pp = &c->bucket[slot_of(c, e->s.sid, e->s.sid_len)];
    while (*pp != e) {
        pp = &(*pp)->next;
    }
    *pp = e->next;
    if (e->newer) {
        e->newer->older = e->older;
    } else {
        c->newest = e->older;
    }
    if (e->older) {
        e->older->newer = e->newer;
    } else {
        c->oldest = e->newer;
    }
    c->count--;
}

/* Unlink, wipe and free. */
static void drop(mt_cache *c, struct entry *e)
{
    unlink_entry(c, e);
    mt_wipe(e, sizeof(*e));
    free(e);
}

/* Put e first in use order. */
static void make_newest(mt_cache *c, struct entry *e)
{
    if (c->newest == e) {
        return;
    }
    /* out of the list (it may be in it) */
    if (e->newer) {
        e->newer->older = e->older;
        if (e->older) {
            e->older->newer = e->newer;
        } else {
            c->oldest = e->newer;
        }
    }
    e->newer = NULL;
    e->older = c->newest;
    if (c->newest) {
        c->newest->newer = e;
    }
    c->newest = e;
    if (!c->oldest) {
        c->oldest = e;
    }
}

void mt_cache_free(mt_cache *c)
{
    if (!c) {
        return;
    }
    while (c->oldest) {
        drop(c, c->oldest);
    }
    free(c->bucket);
    free(c);
}

static struct entry *find(mt_cache *c, const uint8_t *sid, size_t len)
{
    for (struct entry *e = c->bucket[slot_of(c, sid, len)]; e; e = e->next) {
        if (e->s.sid_len == len && memcmp(e->s.sid, sid, len) == 0) {
            return e;
        }
    }
    return NULL;
}

static int expired(const mt_cache *c, const struct entry *e, int64_t now)
{
    return now - e->s.created >= (int64_t)c->lifetime || now < e->s.created;
}

void mt_cache_put(mt_cache *c, const mt_session *s, int64_t now)
{
    if (s->sid_len == 0 || s->sid_len > sizeof(s->sid)) {
        return;
    }
    struct entry *e = find(c, s->sid, s->sid_len);
    if (e) {
        e->s = *s;
        make_newest(c, e);
        return;
    }
    /* room: expired entries go first (from the old end), then the least recently used */
    while (c->oldest && expired(c, c->oldest, now)) {
        drop(c, c->oldest);
    }
    if (c->count >= c->size) {
        drop(c, c->oldest);
    }
    e = calloc(1, sizeof(*e));
    if (!e) {
        return; /* a cache that cannot grow forgets: a later full handshake, not a failure */
    }
    e->s = *s;
    size_t i = slot_of(c, s->sid, s->sid_len);
    e->next = c->bucket[i];
    c->bucket[i] = e;
    c->count++;
    make_newest(c, e);
}

int mt_cache_get(mt_cache *c, const uint8_t *sid, size_t sid_len, int64_t now, mt_session *out)
{
    struct entry *e = find(c, sid, sid_len);
    if (!e) {
        return 0;
    }
    if (expired(c, e, now)) {
        drop(c, e);
        return 0;
    }
    make_newest(c, e);
    *out = e->s;
    return 1;
}

void mt_cache_remove(mt_cache *c, const uint8_t *sid, size_t sid_len)
{
    struct entry *e = find(c, sid, sid_len);
    if (e) {
        drop(c, e);
    }
}

size_t mt_cache_count(const mt_cache *c)
{
    return c->count;
}
