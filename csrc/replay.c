/* The 0-RTT anti-replay register: a bounded table scanned whole (a few thousand entries cost
 * microseconds, against a handshake's milliseconds), expired entries reused. */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "err.h"

typedef struct entry {
    uint8_t key[MT_REPLAY_KEY];
    int64_t seen; /* 0: free */
} entry;

struct mt_replay {
    size_t size;
    uint32_t window;
    entry *e;
};

int mt_replay_new(size_t size, uint32_t window, mt_replay **out)
{
    *out = NULL;
    ENSURE(size >= 1 && size <= 1000000 && window >= 1 && window <= 3600, INVALID_ARG);
    mt_replay *r = calloc(1, sizeof(*r));
    ENSURE(r != NULL, NOMEM);
    r->e = calloc(size, sizeof(*r->e));
    if (!r->e) {
        free(r);
        return -MT_E_NOMEM;
    }
    r->size = size;
    r->window = window;
    *out = r;
    return 0;
}

void mt_replay_free(mt_replay *r)
{
    if (r) {
        mt_wipe(r->e, r->size * sizeof(*r->e));
        free(r->e);
        free(r);
    }
}

uint32_t mt_replay_window(const mt_replay *r)
{
    return r->window;
}

int mt_replay_check(mt_replay *r, const uint8_t *key, size_t len, int64_t now)
{
    if (len < MT_REPLAY_KEY) {
        return 0;
    }
    entry *free_slot = NULL;
    for (size_t i = 0; i < r->size; i++) {
        entry *e = &r->e[i];
        /* live: seen within the window (a clock going back keeps entries live) */
        int live = e->seen != 0 && now - e->seen < (int64_t)r->window;
        if (live && memcmp(e->key, key, MT_REPLAY_KEY) == 0) {
            return 0;
        }
        if (!live && !free_slot) {
            free_slot = e;
        }
    }
    if (!free_slot) {
        return 0;
    }
    memcpy(free_slot->key, key, MT_REPLAY_KEY);
    free_slot->seen = now > 0 ? now : 1;
    return 1;
}
