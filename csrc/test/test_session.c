/* Unit tests for the session-ID cache (session.c) and the encoding with its extra part
 * (session_codec.c: ticket, verdict, peer chain). */
#include <stdlib.h>

#include "../err.h"
#include "../session.h"
#include "../session_codec.h"
#include "t.h"

static mt_session make(uint8_t tag, int64_t created)
{
    mt_session s;
    memset(&s, 0, sizeof(s));
    s.sid_len = 32;
    memset(s.sid, tag, 32);
    memset(s.master, tag ^ 0x5a, 48);
    s.suite = 0xc02b;
    s.version = 0x0303;
    s.created = created;
    return s;
}

static void put_get_replace(void)
{
    mt_cache *c;
    CHECK_EQ(mt_cache_new(4, 100, &c), 0);
    mt_session a = make(1, 1000), got;
    mt_cache_put(c, &a, 1000);
    CHECK_EQ(mt_cache_get(c, a.sid, 32, 1050, &got), 1);
    CHECK(memcmp(got.master, a.master, 48) == 0);
    CHECK_EQ(mt_cache_get(c, a.sid, 31, 1050, &got), 0);
    a.suite = 0xc02c;
    mt_cache_put(c, &a, 1001);
    CHECK_EQ(mt_cache_count(c), 1);
    CHECK_EQ(mt_cache_get(c, a.sid, 32, 1050, &got), 1);
    CHECK_EQ(got.suite, 0xc02c);
    mt_session none = make(9, 1000);
    none.sid_len = 0;
    mt_cache_put(c, &none, 1000);
    CHECK_EQ(mt_cache_count(c), 1);
    mt_cache_remove(c, a.sid, 32);
    CHECK_EQ(mt_cache_count(c), 0);
    mt_cache_free(c);
}

static void lifetime_and_lru(void)
{
    mt_cache *c;
    CHECK_EQ(mt_cache_new(3, 100, &c), 0);
    mt_session s1 = make(1, 0), s2 = make(2, 0), s3 = make(3, 0), s4 = make(4, 0), got;
    mt_cache_put(c, &s1, 0);
    mt_cache_put(c, &s2, 0);
    mt_cache_put(c, &s3, 0);
    CHECK_EQ(mt_cache_get(c, s1.sid, 32, 10, &got), 1); /* s1 now most recent */
    mt_cache_put(c, &s4, 10);                           /* evicts s2, the least recent */
    CHECK_EQ(mt_cache_get(c, s2.sid, 32, 10, &got), 0);
    CHECK_EQ(mt_cache_get(c, s1.sid, 32, 10, &got), 1);
    CHECK_EQ(mt_cache_get(c, s4.sid, 32, 10, &got), 1);
    CHECK_EQ(mt_cache_count(c), 3);
    /* expired entries are not returned and are dropped */
    CHECK_EQ(mt_cache_get(c, s1.sid, 32, 100, &got), 0);
    CHECK_EQ(mt_cache_count(c), 2);
    /* a clock that went backwards does not revive or keep anything */
    CHECK_EQ(mt_cache_get(c, s3.sid, 32, -5, &got), 0);
    mt_cache_free(c);
    CHECK_EQ(mt_cache_new(0, 1, &c), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_cache_new(2000000, 1, &c), -MT_E_INVALID_ARG);
    mt_cache_free(NULL);
}

/* A 1.3 client session with a ticket and a two-certificate chain survives both encodings;
 * every truncation and every flipped bit of each fails cleanly. */
static void codec_extra(void)
{
    static const uint8_t key[32] = {7};
    static const uint8_t chain[] = {0, 0, 3, 0x30, 1, 2, 0, 0, 2, 0x30, 0};
    mt_session s = make(3, 1234567), got;
    s.version = 0x0304;
    s.suite = 0x1301;
    s.lifetime = 7200;
    s.age_add = 0xdeadbeef;
    s.max_early_data = 16384;
    s.ticket_len = 200;
    memset(s.ticket, 0xab, 200);
    memcpy(s.sni, "example.org", 12);
    mt_session_extra x = {MT_VERIFIED_OK, chain, sizeof(chain)};
    for (int sealed = 0; sealed < 2; sealed++) {
        mt_wr w, out;
        uint8_t verified = 9;
        mt_wr_init_growable(&w, 1 << 20);
        mt_wr_init_growable(&out, 1 << 20);
        CHECK_EQ(mt_session_encode(&s, &x, sealed ? key : NULL, &w), 0);
        CHECK_EQ(mt_session_decode_extra(w.p, w.len, sealed ? key : NULL, &got, &verified, &out),
                 0);
        CHECK_EQ(verified, MT_VERIFIED_OK);
        CHECK_EQ(out.len, sizeof(chain));
        CHECK(memcmp(out.p, chain, sizeof(chain)) == 0);
        CHECK_EQ(got.ticket_len, 200);
        CHECK(memcmp(got.ticket, s.ticket, 200) == 0);
        CHECK_EQ(got.lifetime, 7200);
        CHECK_EQ(got.age_add, 0xdeadbeef);
        CHECK_EQ(got.max_early_data, 16384);
        CHECK(strcmp(got.sni, "example.org") == 0);
        CHECK(memcmp(got.master, s.master, 48) == 0);
        /* every truncation, every flipped bit */
        size_t bad = 0, n = w.len;
        uint8_t *copy = malloc(n);
        for (size_t i = 0; i < n; i++) {
            bad += mt_session_decode_extra(w.p, i, sealed ? key : NULL, &got, &verified, NULL) < 0;
        }
        CHECK_EQ(bad, n);
        bad = 0;
        for (size_t i = 0; i < 8 * n; i++) {
            memcpy(copy, w.p, n);
            copy[i / 8] ^= (uint8_t)(1u << (i % 8));
            bad += mt_session_decode(copy, n, sealed ? key : NULL, &got) < 0;
        }
        CHECK_EQ(bad, 8 * n);
        CHECK_EQ(got.suite, 0); /* wiped on failure */
        free(copy);
        mt_wr_free(&w);
        mt_wr_free(&out);
    }
    /* a chain that is not a list of certificates is refused */
    static const uint8_t broken[] = {0, 0, 5, 1, 2};
    mt_session_extra y = {MT_VERIFIED_OK, broken, sizeof(broken)};
    mt_wr w;
    mt_wr_init_growable(&w, 1 << 20);
    CHECK_EQ(mt_session_encode(&s, &y, NULL, &w), -MT_E_INVALID_ARG);
    y.chain_len = 0;
    y.verified = 3;
    CHECK_EQ(mt_session_encode(&s, &y, NULL, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
}

/* The cache against a plain model (an array in use order) over random operations; a cache of
 * a million sessions costs only its buckets until it fills. */
static void cache_against_model(void)
{
    enum { SIZE = 50, KEYS = 120, OPS = 20000 };
    mt_cache *c;
    CHECK_EQ(mt_cache_new(SIZE, 1000, &c), 0);
    int order[SIZE], n = 0, bad = 0; /* keys, most recent first */
    uint32_t x = 12345;
    for (int op = 0; op < OPS; op++) {
        x = x * 1103515245u + 12345u;
        int k = (int)((x >> 8) % KEYS), what = (int)((x >> 20) % 3), at = -1;
        mt_session s = make((uint8_t)k, 0), got;
        for (int i = 0; i < n; i++) {
            if (order[i] == k) {
                at = i;
            }
        }
        if (what == 0) {
            mt_cache_put(c, &s, 1);
            if (at < 0 && n == SIZE) {
                n--; /* the oldest goes */
            }
            if (at >= 0) {
                memmove(order + 1, order, (size_t)at * sizeof(int));
            } else {
                memmove(order + 1, order, (size_t)n++ * sizeof(int));
            }
            order[0] = k;
        } else if (what == 1) {
            int hit = mt_cache_get(c, s.sid, 32, 2, &got);
            bad += hit != (at >= 0) || (hit && memcmp(got.master, s.master, 48) != 0);
            if (at >= 0) {
                memmove(order + 1, order, (size_t)at * sizeof(int));
                order[0] = k;
            }
        } else {
            mt_cache_remove(c, s.sid, 32);
            if (at >= 0) {
                memmove(order + at, order + at + 1, (size_t)(n - at - 1) * sizeof(int));
                n--;
            }
        }
        bad += mt_cache_count(c) != (size_t)n;
    }
    CHECK_EQ(bad, 0);
    mt_cache_free(c);
    /* a million-session cache: no up-front table of sessions */
    CHECK_EQ(mt_cache_new(1000000, 600, &c), 0);
    for (int i = 0; i < 1000; i++) {
        mt_session s = make((uint8_t)i, 0);
        s.sid[1] = (uint8_t)(i >> 8);
        mt_cache_put(c, &s, 0);
    }
    CHECK_EQ(mt_cache_count(c), 1000);
    mt_cache_free(c);
}

int main(void)
{
    RUN(cache_against_model);
    RUN(put_get_replace);
    RUN(lifetime_and_lru);
    RUN(codec_extra);
    return t_done();
}
