/* Unit tests for the session-ID cache (session.c). */
#include "../err.h"
#include "../session.h"
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

int main(void)
{
    RUN(put_get_replace);
    RUN(lifetime_and_lru);
    return t_done();
}
