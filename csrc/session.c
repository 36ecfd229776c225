#include "session.h"

#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "err.h"

struct mt_cache {
    size_t size;
    uint32_t lifetime;
    uint64_t tick; /* LRU clock */
    struct entry {
        int used;
        uint64_t last;
        mt_session s;
    } * e;
};

void mt_session_wipe(mt_session *s)
{
    mt_wipe(s, sizeof(*s));
}

int mt_cache_new(size_t size, uint32_t lifetime, mt_cache **out)
{
    *out = NULL;
    ENSURE(size > 0 && size <= 1000000, INVALID_ARG);
    mt_cache *c = calloc(1, sizeof(*c));
    ENSURE(c != NULL, NOMEM);
    c->e = calloc(size, sizeof(*c->e));
    if (!c->e) {
        free(c);
        return -MT_E_NOMEM;
    }
    c->size = size;
    c->lifetime = lifetime;
    *out = c;
    return 0;
}

void mt_cache_free(mt_cache *c)
{
    if (!c) {
        return;
    }
    mt_wipe(c->e, c->size * sizeof(*c->e));
    free(c->e);
    free(c);
}

/* Linear scan: the table is small and a lookup happens once per handshake. */
static struct entry *find(mt_cache *c, const uint8_t *sid, size_t len)
{
    for (size_t i = 0; i < c->size; i++) {
        struct entry *e = &c->e[i];
        if (e->used && e->s.sid_len == len && memcmp(e->s.sid, sid, len) == 0) {
            return e;
        }
    }
    return NULL;
}

static void drop(struct entry *e)
{
    mt_wipe(e, sizeof(*e));
}

void mt_cache_put(mt_cache *c, const mt_session *s, int64_t now)
{
    if (s->sid_len == 0 || s->sid_len > sizeof(s->sid)) {
        return;
    }
    struct entry *slot = find(c, s->sid, s->sid_len);
    for (size_t i = 0; !slot && i < c->size; i++) {
        if (!c->e[i].used || now - c->e[i].s.created >= (int64_t)c->lifetime) {
            slot = &c->e[i];
        }
    }
    if (!slot) {
        slot = &c->e[0];
        for (size_t i = 1; i < c->size; i++) {
            if (c->e[i].last < slot->last) {
                slot = &c->e[i];
            }
        }
    }
    drop(slot);
    slot->used = 1;
    slot->last = ++c->tick;
    slot->s = *s;
}

int mt_cache_get(mt_cache *c, const uint8_t *sid, size_t sid_len, int64_t now, mt_session *out)
{
    struct entry *e = find(c, sid, sid_len);
    if (!e) {
        return 0;
    }
    if (now - e->s.created >= (int64_t)c->lifetime || now < e->s.created) {
        drop(e);
        return 0;
    }
    e->last = ++c->tick;
    *out = e->s;
    return 1;
}

void mt_cache_remove(mt_cache *c, const uint8_t *sid, size_t sid_len)
{
    struct entry *e = find(c, sid, sid_len);
    if (e) {
        drop(e);
    }
}

size_t mt_cache_count(const mt_cache *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->size; i++) {
        n += c->e[i].used;
    }
    return n;
}
