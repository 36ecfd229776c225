/* Unit tests for session tickets (ticket.c) and session encodings (session_codec.c). */
#include <stdlib.h>

#include "../buf.h"
#include "../err.h"
#include "../session_codec.h"
#include "../ticket.h"
#include "t.h"

#define P 1000 /* rotation period of the tests */

static mt_session make(uint8_t tag)
{
    mt_session s;
    memset(&s, 0, sizeof(s));
    s.sid_len = 32;
    memset(s.sid, tag, 32);
    memset(s.master, tag ^ 0x5a, 48);
    s.suite = 0xc02b;
    s.version = 0x0303;
    s.ems = 1;
    s.created = 1700000000;
    strcpy(s.sni, "www.example");
    strcpy(s.alpn, "h2");
    return s;
}

static int same(const mt_session *a, const mt_session *b)
{
    return a->version == b->version && a->suite == b->suite && a->ems == b->ems &&
           a->sid_len == b->sid_len && memcmp(a->sid, b->sid, a->sid_len) == 0 &&
           memcmp(a->master, b->master, 48) == 0 && a->created == b->created &&
           strcmp(a->sni, b->sni) == 0 && strcmp(a->alpn, b->alpn) == 0;
}

/* seal at `at`, open at `later`: the result */
static int seal_open(mt_tickets *t, int64_t at, int64_t later)
{
    mt_session s = make(7), got;
    mt_wr w;
    mt_wr_init_growable(&w, 4096);
    int rc = mt_ticket_seal(t, &s, at, &w);
    if (rc == 0) {
        rc = mt_ticket_open(t, w.p, w.len, later, &got);
        if (rc == 0 && !same(&s, &got)) {
            rc = -MT_E_INTERNAL;
        }
    }
    mt_wr_free(&w);
    return rc;
}

static void round_trip_and_rotation(void)
{
    mt_tickets t;
    CHECK_EQ(mt_tickets_init(&t, P, 0), 0);
    CHECK_EQ(seal_open(&t, 0, 0), 0);
    CHECK_EQ(seal_open(&t, 10, P - 1), 0);
    /* sealed just before the rotation: opens for one more period, then not */
    CHECK_EQ(seal_open(&t, P - 1, P + 1), 0);
    CHECK_EQ(t.n, 2);
    mt_tickets_wipe(&t);
    /* a ticket of key K0 (made at 0): it opens until the second rotation (K1 made at the
     * first, at P + 5, gives way a period later), then not */
    CHECK_EQ(mt_tickets_init(&t, P, 0), 0);
    mt_session s = make(9), got;
    mt_wr w;
    mt_wr_init_growable(&w, 4096);
    CHECK_EQ(mt_ticket_seal(&t, &s, 5, &w), 0);
    CHECK_EQ(mt_ticket_open(&t, w.p, w.len, P + 5, &got), 0);     /* rotated, kept */
    CHECK_EQ(mt_ticket_open(&t, w.p, w.len, 2 * P - 1, &got), 0); /* still the previous */
    CHECK_EQ(mt_ticket_open(&t, w.p, w.len, 2 * P + 4, &got), 0);
    CHECK_EQ(mt_ticket_open(&t, w.p, w.len, 2 * P + 10, &got), -MT_E_SESSION_DAMAGED);
    mt_wr_free(&w);
    mt_tickets_wipe(&t);
    /* after a long pause the old key is not kept at all */
    CHECK_EQ(mt_tickets_init(&t, P, 0), 0);
    mt_wr_init_growable(&w, 4096);
    CHECK_EQ(mt_ticket_seal(&t, &s, 0, &w), 0);
    CHECK_EQ(mt_ticket_open(&t, w.p, w.len, 3 * P, &got), -MT_E_SESSION_DAMAGED);
    CHECK_EQ(t.n, 1);
    mt_wr_free(&w);
    mt_tickets_wipe(&t);
}

static void shared_keys(void)
{
    uint8_t keys[3 * 48];
    for (size_t i = 0; i < sizeof(keys); i++) {
        keys[i] = (uint8_t)(i * 7 + 1);
    }
    mt_tickets a, b;
    CHECK_EQ(mt_tickets_init(&a, P, 0), 0);
    CHECK_EQ(mt_tickets_init(&b, P, 0), 0);
    CHECK_EQ(mt_tickets_set(&a, keys, 3, 0), 0);
    /* b has the second key first (a newer key deployed there): it still opens a's tickets */
    uint8_t swapped[2 * 48];
    memcpy(swapped, keys + 48, 48);
    memcpy(swapped + 48, keys, 48);
    CHECK_EQ(mt_tickets_set(&b, swapped, 2, 0), 0);
    mt_session s = make(3), got;
    mt_wr w;
    mt_wr_init_growable(&w, 4096);
    CHECK_EQ(mt_ticket_seal(&a, &s, 0, &w), 0);
    CHECK_EQ(mt_ticket_open(&b, w.p, w.len, 10 * P, &got), 0); /* no rotation of set keys */
    CHECK(same(&s, &got));
    mt_wr_reset(&w);
    CHECK_EQ(mt_ticket_seal(&b, &s, 0, &w), 0);
    CHECK_EQ(mt_ticket_open(&a, w.p, w.len, 0, &got), 0);
    mt_wr_free(&w);
    /* misuse */
    memcpy(swapped + 48, keys + 48, 16); /* two keys named alike */
    CHECK_EQ(mt_tickets_set(&b, swapped, 2, 0), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_tickets_set(&b, keys, 0, 0), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_tickets_set(&b, keys, MT_TICKET_MAX_KEYS + 1, 0), -MT_E_INVALID_ARG);
    mt_tickets_wipe(&a);
    mt_tickets_wipe(&b);
}

/* Every flipped bit and every truncation of a ticket fails (and fails the same way). */
static void tampered_tickets(void)
{
    mt_tickets t;
    CHECK_EQ(mt_tickets_init(&t, P, 0), 0);
    mt_session s = make(5), got;
    mt_wr w;
    mt_wr_init_growable(&w, 4096);
    CHECK_EQ(mt_ticket_seal(&t, &s, 0, &w), 0);
    uint8_t *copy = malloc(w.len + 1);
    size_t bad = 0;
    for (size_t i = 0; i < w.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, w.p, w.len);
            copy[i] ^= (uint8_t)(1 << bit);
            bad += mt_ticket_open(&t, copy, w.len, 0, &got) == -MT_E_SESSION_DAMAGED;
        }
    }
    CHECK_EQ(bad, 8 * w.len);
    bad = 0;
    for (size_t n = 0; n < w.len; n++) {
        bad += mt_ticket_open(&t, w.p, n, 0, &got) == -MT_E_SESSION_DAMAGED;
    }
    CHECK_EQ(bad, w.len);
    memcpy(copy, w.p, w.len);
    copy[w.len] = 0;
    CHECK_EQ(mt_ticket_open(&t, copy, w.len + 1, 0, &got), -MT_E_SESSION_DAMAGED);
    CHECK_EQ(got.suite, 0); /* wiped on failure */
    CHECK_EQ(mt_ticket_open(&t, w.p, w.len, 0, &got), 0);
    free(copy);
    mt_wr_free(&w);
    mt_tickets_wipe(&t);
}

static void codec_round_trip(void)
{
    static const uint8_t key[32] = {1, 2, 3};
    mt_session s = make(1), got;
    for (int sealed = 0; sealed < 2; sealed++) {
        mt_wr w;
        mt_wr_init_growable(&w, 4096);
        CHECK_EQ(mt_session_encode(&s, NULL, sealed ? key : NULL, &w), 0);
        CHECK_EQ(mt_session_decode(w.p, w.len, sealed ? key : NULL, &got), 0);
        CHECK(same(&s, &got));
        CHECK_EQ(mt_session_decode(w.p, w.len, sealed ? NULL : key, &got), -MT_E_SESSION_KEY);
        mt_wr_free(&w);
    }
    mt_session empty;
    memset(&empty, 0, sizeof(empty));
    mt_wr w;
    mt_wr_init_growable(&w, 4096);
    CHECK_EQ(mt_session_encode(&empty, NULL, NULL, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
}

int main(void)
{
    RUN(round_trip_and_rotation);
    RUN(shared_keys);
    RUN(tampered_tickets);
    RUN(codec_round_trip);
    return t_done();
}
