/* Two engines wired together in memory: session tickets (RFC 5077 for TLS 1.2, RFC 8446 4.6.1
 * for 1.3) sealed by ticket.c, damaged tickets, key rotation and lifetime under an injected
 * clock, the session id echo (Ticketbleed), SNI, shared keys and the application's tickets
 * (MT_DECIDE_TICKET / MT_DECIDE_NEW_TICKET). */
#include <stdlib.h>

#include "../engine.h"
#include "../err.h"
#include "../keys.h"
#include "../ticket.h"
#include "pair.h"
#include "t.h"

static ident id;

/* The injected clock of every config here. */
static int64_t now_value = 1700000000;

static int64_t fake_now(void)
{
    return now_value;
}

/* Client and server configs for `version` (0x0303 alone, or the 1.3 defaults), the server
 * sealing with `t` (may be NULL) and the fake clock. */
static void setup_tickets(pair *p, uint16_t version, mt_tickets *t)
{
    setup(p, &id);
    p->ccfg.max_version = p->scfg.max_version = version;
    p->scfg.tickets = t;
    p->scfg.clock = fake_now;
}

/* Both sides connected; *resumed: whether both say the handshake resumed (-1 if they differ). */
static int connected(const pair *p, int *resumed)
{
    mt_conn_info ci, si;
    mt_conn_get_info(p->c, &ci);
    mt_conn_get_info(p->s, &si);
    *resumed = ci.resumed == si.resumed ? ci.resumed : -1;
    return (mt_conn_status(p->c) & MT_ST_CONNECTED) && (mt_conn_status(p->s) & MT_ST_CONNECTED) &&
           !mt_conn_error(p->c) && !mt_conn_error(p->s);
}

/* A full handshake under `t`, then the client's session (with its ticket). */
static void first(uint16_t version, mt_tickets *t, mt_session *s)
{
    pair p;
    int resumed;
    setup_tickets(&p, version, t);
    CHECK_EQ(run(&p), 0);
    CHECK(connected(&p, &resumed) && !resumed);
    CHECK_EQ(mt_conn_session(p.c, s), 0);
    CHECK(s->ticket_len > MT_TICKET_OVERHEAD);
    free_pair(&p);
}

/* Resume s under t with server name sni: 1 resumed, 0 full handshake, -1 failure; *renewed
 * (if given) gets the client's new session. */
static int resume(uint16_t version, mt_tickets *t, const mt_session *s, const char *sni,
                  mt_session *renewed)
{
    pair p;
    int resumed = -1;
    setup_tickets(&p, version, t);
    int rc = run_to(&p, s, sni);
    int ok = rc == 0 && connected(&p, &resumed);
    if (ok && renewed) {
        CHECK_EQ(mt_conn_session(p.c, renewed), 0);
    }
    free_pair(&p);
    return ok ? resumed : -1;
}

static const uint16_t versions[2] = {0x0303, 0x0304};

/* A ticket resumes, without the server keeping anything (no cache): 1.2 and 1.3. The 1.2
 * session keeps its ticket across the resumption (no renewal under the same key). */
static void ticket_resumption(void)
{
    for (int v = 0; v < 2; v++) {
        mt_tickets t;
        mt_session s, again;
        CHECK_EQ(mt_tickets_init(&t, 0, now_value), 0);
        first(versions[v], &t, &s);
        CHECK_EQ(s.version, versions[v]);
        CHECK_EQ(resume(versions[v], &t, &s, "example.com", &again), 1);
        CHECK_EQ(again.version, versions[v]);
        if (v == 0) {
            CHECK(again.ticket_len == s.ticket_len &&
                  memcmp(again.ticket, s.ticket, s.ticket_len) == 0);
        }
        /* and again with what the resumed connection gave */
        CHECK_EQ(resume(versions[v], &t, &again, "example.com", NULL), 1);
        /* a server without keys: a full handshake, no alert */
        CHECK_EQ(resume(versions[v], NULL, &s, "example.com", NULL), 0);
        mt_tickets_wipe(&t);
        mt_session_wipe(&s);
        mt_session_wipe(&again);
    }
}

/* Every bit of a ticket flipped: each handshake is a full one and succeeds (no alert, no
 * crash); the untouched ticket still resumes. */
static void every_bit_flipped(void)
{
    for (int v = 0; v < 2; v++) {
        mt_tickets t;
        mt_session s, bad;
        CHECK_EQ(mt_tickets_init(&t, 0, now_value), 0);
        first(versions[v], &t, &s);
        size_t full = 0, bits = 8u * s.ticket_len;
        for (size_t i = 0; i < bits; i++) {
            bad = s;
            bad.ticket[i / 8] ^= (uint8_t)(1u << (i % 8));
            full += resume(versions[v], &t, &bad, "example.com", NULL) == 0;
        }
        printf("# TLS 1.%d: %zu of %zu flipped bits gave a full handshake\n", v == 0 ? 2 : 3, full,
               bits);
        CHECK_EQ(full, bits);
        CHECK_EQ(resume(versions[v], &t, &s, "example.com", NULL), 1);
        mt_tickets_wipe(&t);
        mt_session_wipe(&s);
        mt_session_wipe(&bad);
    }
}

/* Rotation (period P): a ticket opens for one more period after its key stops sealing (and a
 * 1.2 one is renewed then), not after that; a ticket past its lifetime is refused. */
static void rotation_and_lifetime(void)
{
    const uint32_t P = 1000;
    for (int v = 0; v < 2; v++) {
        int64_t t0 = now_value;
        mt_tickets t;
        mt_session s, renewed;
        CHECK_EQ(mt_tickets_init(&t, P, t0), 0);
        first(versions[v], &t, &s);
        /* one period later: a new key seals, the old one still opens */
        now_value = t0 + P + 10;
        CHECK_EQ(resume(versions[v], &t, &s, "example.com", &renewed), 1);
        CHECK_EQ(t.n, 2);
        if (v == 0) {
            /* RFC 5077 3.3: renewed under the current key */
            CHECK(memcmp(renewed.ticket, t.keys[0].name, MT_TICKET_NAME_LEN) == 0);
            CHECK(memcmp(s.ticket, t.keys[1].name, MT_TICKET_NAME_LEN) == 0);
        }
        /* a second period later: the old key is wiped, the ticket refused */
        now_value = t0 + 2 * P + 20;
        CHECK_EQ(resume(versions[v], &t, &s, "example.com", NULL), 0);
        CHECK(memcmp(s.ticket, t.keys[0].name, MT_TICKET_NAME_LEN) != 0 &&
              memcmp(s.ticket, t.keys[1].name, MT_TICKET_NAME_LEN) != 0);
        if (v == 0) {
            /* the renewed ticket is good */
            CHECK_EQ(resume(versions[v], &t, &renewed, "example.com", NULL), 1);
        }
        mt_tickets_wipe(&t);
        /* lifetime 100 s (keys that do not rotate): good at 99 s, refused at 100 s */
        now_value = t0;
        pair p;
        setup_tickets(&p, versions[v], &t);
        CHECK_EQ(mt_tickets_init(&t, 100000, t0), 0);
        p.scfg.ticket_lifetime = 100;
        CHECK_EQ(run(&p), 0);
        CHECK_EQ(mt_conn_session(p.c, &s), 0);
        CHECK_EQ(s.lifetime, 100);
        free_pair(&p);
        for (int k = 0; k < 2; k++) {
            now_value = t0 + 99 + k;
            setup_tickets(&p, versions[v], &t);
            p.scfg.ticket_lifetime = 100;
            int resumed = -1;
            CHECK_EQ(run_to(&p, &s, "example.com"), 0);
            CHECK(connected(&p, &resumed));
            CHECK_EQ(resumed, !k);
            free_pair(&p);
        }
        now_value = t0;
        mt_tickets_wipe(&t);
        mt_session_wipe(&s);
        mt_session_wipe(&renewed);
    }
}

/* A ticket made for one server name is refused under another (RFC 6066 3): full handshake. */
static void other_sni_refused(void)
{
    for (int v = 0; v < 2; v++) {
        mt_tickets t;
        mt_session s;
        CHECK_EQ(mt_tickets_init(&t, 0, now_value), 0);
        first(versions[v], &t, &s);
        CHECK_EQ(resume(versions[v], &t, &s, "other.example", NULL), 0);
        CHECK_EQ(resume(versions[v], &t, &s, NULL, NULL), 0);
        CHECK_EQ(resume(versions[v], &t, &s, "example.com", NULL), 1);
        mt_tickets_wipe(&t);
        mt_session_wipe(&s);
    }
}

/* Two servers with the same application keys take each other's tickets; a third with its own
 * keys does not. */
static void shared_keys(void)
{
    uint8_t keys[2 * 48];
    for (size_t i = 0; i < sizeof(keys); i++) {
        keys[i] = (uint8_t)(i * 7 + 1);
    }
    for (int v = 0; v < 2; v++) {
        mt_tickets a, b, own;
        mt_session s;
        CHECK_EQ(mt_tickets_init(&a, 0, now_value), 0);
        CHECK_EQ(mt_tickets_set(&a, keys, 2, now_value), 0);
        CHECK_EQ(mt_tickets_init(&b, 0, now_value), 0);
        /* b seals with the second key and opens with both */
        uint8_t swapped[2 * 48];
        memcpy(swapped, keys + 48, 48);
        memcpy(swapped + 48, keys, 48);
        CHECK_EQ(mt_tickets_set(&b, swapped, 2, now_value), 0);
        CHECK_EQ(mt_tickets_init(&own, 0, now_value), 0);
        first(versions[v], &a, &s);
        CHECK_EQ(resume(versions[v], &b, &s, "example.com", NULL), 1);
        CHECK_EQ(resume(versions[v], &own, &s, "example.com", NULL), 0);
        first(versions[v], &b, &s);
        CHECK_EQ(resume(versions[v], &a, &s, "example.com", NULL), 1);
        mt_tickets_wipe(&a);
        mt_tickets_wipe(&b);
        mt_tickets_wipe(&own);
        mt_session_wipe(&s);
    }
}

/* The ClientHello record in out (one record) with its session id replaced by sid[0..n). */
static size_t hello_with_sid(const uint8_t *in, size_t len, const uint8_t *sid, size_t n,
                             uint8_t *out)
{
    const size_t at = 5 + 4 + 2 + 32; /* record and message headers, version, random */
    size_t old = in[at], rest = len - at - 1 - old;
    memcpy(out, in, at);
    out[at] = (uint8_t)n;
    memcpy(out + at + 1, sid, n);
    memcpy(out + at + 1 + n, in + at + 1 + old, rest);
    size_t total = at + 1 + n + rest, body = total - 9;
    out[3] = (uint8_t)((total - 5) >> 8);
    out[4] = (uint8_t)(total - 5);
    out[6] = (uint8_t)(body >> 16);
    out[7] = (uint8_t)(body >> 8);
    out[8] = (uint8_t)body;
    return total;
}

/* Ticketbleed (CVE-2016-9244): a server taking a ticket echoes the client's session id as
 * sent, of any length 0..32, and nothing else. */
static void session_id_echo(void)
{
    static const size_t lens[] = {0, 1, 16, 31, 32};
    mt_tickets t;
    mt_session s;
    CHECK_EQ(mt_tickets_init(&t, 0, now_value), 0);
    first(0x0303, &t, &s);
    for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        pair p;
        uint8_t sid[32], hello[4096];
        size_t len, used;
        for (size_t i = 0; i < sizeof(sid); i++) {
            sid[i] = (uint8_t)(0xa0 + i);
        }
        setup_tickets(&p, 0x0303, &t);
        CHECK_EQ(mt_conn_new(&p.ccfg, 0, "example.com", &p.c), 0);
        CHECK_EQ(mt_conn_resume(p.c, &s), 0);
        CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &p.s), 0);
        const uint8_t *ch = mt_conn_out(p.c, &len);
        CHECK(len + 32 <= sizeof(hello));
        size_t n = hello_with_sid(ch, len, sid, lens[k], hello);
        CHECK_EQ(mt_conn_feed(p.s, hello, n, &used), 0);
        CHECK_EQ(used, n);
        /* ServerHello: record header 5, message header 4, version, random, then the id */
        const uint8_t *sh = mt_conn_out(p.s, &len);
        CHECK(len > 5 + 4 + 2 + 32 + 1 + lens[k]);
        CHECK_EQ(sh[5], 2);
        CHECK_EQ(sh[5 + 4 + 2 + 32], lens[k]);
        CHECK(memcmp(sh + 5 + 4 + 2 + 32 + 1, sid, lens[k]) == 0);
        mt_conn_info si;
        mt_conn_get_info(p.s, &si);
        CHECK(si.resumed); /* the ticket was taken: ServerHello, ChangeCipherSpec, Finished */
        free_pair(&p);
    }
    mt_tickets_wipe(&t);
    mt_session_wipe(&s);
}

/* The application's tickets: at MT_DECIDE_NEW_TICKET it keeps the session and gives a short
 * name; at MT_DECIDE_TICKET it finds the session by that name. Without an answer and without
 * keys: no ticket (1.2: an empty NewSessionTicket; 1.3: none). */
static void application_tickets(void)
{
    for (int v = 0; v < 2; v++) {
        pair p;
        mt_session kept, cs, ask;
        int resumed;
        setup_tickets(&p, versions[v], NULL);
        p.scfg.decide_ticket = 1;
        CHECK_EQ(run(&p), 0);
        CHECK_EQ(mt_conn_decision(p.s), MT_DECIDE_NEW_TICKET);
        CHECK_EQ(mt_conn_ticket_session(p.s, &kept), 0);
        CHECK_EQ(kept.version, versions[v]);
        CHECK_EQ(mt_conn_set_ticket(p.s, (const uint8_t *)"", 0, 0), -MT_E_INVALID_ARG);
        CHECK_EQ(mt_conn_set_ticket(p.s, (const uint8_t *)"key-1", 5, 600), 0);
        CHECK_EQ(mt_conn_decide(p.s, 0), 0);
        CHECK_EQ(pump(p.c, p.s), 0);
        CHECK(connected(&p, &resumed) && !resumed);
        CHECK_EQ(mt_conn_session(p.c, &cs), 0);
        CHECK(cs.ticket_len == 5 && memcmp(cs.ticket, "key-1", 5) == 0);
        CHECK_EQ(cs.lifetime, 600);
        free_pair(&p);
        for (int answer = 0; answer < 3; answer++) {
            setup_tickets(&p, versions[v], NULL);
            p.scfg.decide_ticket = 1;
            CHECK_EQ(run_to(&p, &cs, "example.com"), 0);
            CHECK_EQ(mt_conn_decision(p.s), MT_DECIDE_TICKET);
            const uint8_t *tk;
            CHECK_EQ(mt_conn_ticket(p.s, &tk), 5);
            CHECK(memcmp(tk, "key-1", 5) == 0);
            if (answer == 0) {
                CHECK_EQ(mt_conn_offer_session(p.s, &kept), 0);
            } else if (answer == 1) {
                ask = kept;
                ask.created -= 7200; /* older than its lifetime (the config's: 2 h) */
                CHECK_EQ(mt_conn_offer_session(p.s, &ask), 0);
            }
            CHECK_EQ(mt_conn_decide(p.s, 0), 0);
            CHECK_EQ(pump(p.c, p.s), 0);
            if (answer != 0 || v == 1) {
                /* a full handshake (and any 1.3 one): the application is asked for a new ticket
                 * and says nothing */
                CHECK_EQ(mt_conn_decision(p.s), MT_DECIDE_NEW_TICKET);
                CHECK_EQ(mt_conn_decide(p.s, 0), 0);
                CHECK_EQ(pump(p.c, p.s), 0);
            }
            CHECK(connected(&p, &resumed));
            CHECK_EQ(resumed, answer == 0);
            if (answer == 2) {
                /* no ticket was given (and no session id, the server keeping no cache): the
                 * client has no session to resume */
                CHECK_EQ(mt_conn_session(p.c, &ask), -MT_E_INVALID_ARG);
            }
            free_pair(&p);
        }
        mt_session_wipe(&kept);
        mt_session_wipe(&cs);
        mt_session_wipe(&ask);
    }
}

/* A client with no_tickets asks for none (1.2): the server sends no NewSessionTicket and the
 * session is the server's session id. */
static void client_without_tickets(void)
{
    mt_tickets t;
    mt_session s;
    pair p;
    int resumed;
    mt_cache *cache;
    CHECK_EQ(mt_tickets_init(&t, 0, now_value), 0);
    CHECK_EQ(mt_cache_new(10, 600, &cache), 0);
    setup_tickets(&p, 0x0303, &t);
    p.ccfg.no_tickets = 1;
    p.scfg.cache = cache;
    CHECK_EQ(run(&p), 0);
    CHECK(connected(&p, &resumed) && !resumed);
    CHECK_EQ(mt_conn_session(p.c, &s), 0);
    CHECK_EQ(s.ticket_len, 0);
    CHECK_EQ(s.sid_len, 32);
    free_pair(&p);
    setup_tickets(&p, 0x0303, &t);
    p.ccfg.no_tickets = 1;
    p.scfg.cache = cache;
    CHECK_EQ(run_to(&p, &s, "example.com"), 0);
    CHECK(connected(&p, &resumed) && resumed);
    free_pair(&p);
    mt_cache_free(cache);
    mt_tickets_wipe(&t);
    mt_session_wipe(&s);
}

int main(void)
{
    pump_opts.no_alert = 1; /* these cases never had the failing side's alert delivered */
    make_id(&id, MT_KEY_EC_P256, 0);
    RUN(ticket_resumption);
    RUN(every_bit_flipped);
    RUN(rotation_and_lifetime);
    RUN(other_sni_refused);
    RUN(shared_keys);
    RUN(session_id_echo);
    RUN(application_tickets);
    RUN(client_without_tickets);
    free_id(&id);
    return t_done();
}
