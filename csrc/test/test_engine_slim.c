/* The handshake state (engine_int.h mt_hs_state) lives only while a handshake runs: connected
 * pairs of both versions and both roles, full and resumed, hold none, and what a connected
 * connection still does (data, KeyUpdate, renegotiation, post-handshake authentication,
 * exporters, the key log, sessions) works without it; an idle connection is small. */
#include <malloc.h>
#include <stdlib.h>
#include <time.h>

#include "../engine.h"
#include "../engine_int.h" /* c->h, mt_conn_memory */
#include "../err.h"
#include "../keys.h"
#include "../ks13.h"
#include "../session.h"
#include "../ticket.h"
#include "pair.h"
#include "t.h"

static ident server_id, client_id;

/* `len` bytes from a to b in one write and one read, checked. */
static int echo_once(mt_conn *a, mt_conn *b, size_t len)
{
    uint8_t data[4096], got[4096];
    size_t n, k;
    for (size_t i = 0; i < len; i++) {
        data[i] = (uint8_t)(i * 31 + 7);
    }
    int rc = mt_conn_write(a, data, len, &n);
    rc = rc < 0 ? rc : pump(a, b);
    rc = rc < 0 ? rc : mt_conn_read(b, got, sizeof(got), &k);
    if (rc == 0 && (n != len || k != len || memcmp(data, got, len) != 0)) {
        rc = -MT_E_INTERNAL;
    }
    return rc;
}

/* pair.h's pair, with ticket keys and a session cache of its own for the server. */
typedef struct slim_pair {
    mt_config ccfg, scfg;
    mt_tickets tickets;
    mt_cache *cache;
    mt_conn *c, *s;
} slim_pair;

/* Configs for `version` (MT_TLS12 or MT_TLS13): session cache and ticket keys on the server,
 * client certificates possible both ways (post-handshake under 1.3). */
static void setup_slim(slim_pair *p, uint16_t version)
{
    memset(p, 0, sizeof(*p));
    mt_config_defaults(&p->ccfg);
    mt_config_defaults(&p->scfg);
    p->ccfg.min_version = p->ccfg.max_version = version;
    p->scfg.min_version = p->scfg.max_version = version;
    p->scfg.chains[0] = &server_id.chain;
    p->scfg.nchains = 1;
    p->ccfg.chains[0] = &client_id.chain;
    p->ccfg.nchains = 1;
    p->ccfg.post_handshake_auth = 1;
    p->scfg.post_handshake_auth = 1;
    CHECK_EQ(mt_tickets_init(&p->tickets, 0, (int64_t)time(NULL)), 0);
    p->scfg.tickets = &p->tickets;
    CHECK_EQ(mt_cache_new(16, 3600, &p->cache), 0);
    p->scfg.cache = p->cache;
}

/* A handshake (offering `resume` when given). */
static int connect_pair(slim_pair *p, const mt_session *resume)
{
    int rc = mt_conn_new(&p->ccfg, 0, "example.com", &p->c);
    rc = rc < 0 ? rc : mt_conn_new(&p->scfg, 1, NULL, &p->s);
    if (rc == 0 && resume) {
        rc = mt_conn_resume(p->c, resume);
    }
    return rc < 0 ? rc : pump(p->c, p->s);
}

static void close_pair(slim_pair *p)
{
    mt_conn_free(p->c);
    mt_conn_free(p->s);
    p->c = p->s = NULL;
}

static void free_slim(slim_pair *p)
{
    close_pair(p);
    mt_cache_free(p->cache);
    mt_tickets_wipe(&p->tickets);
}

/* Connected, both ends without handshake state; trimmed, each holds little. */
static void check_slim(slim_pair *p, const char *what)
{
    CHECK(mt_conn_status(p->c) & MT_ST_CONNECTED);
    CHECK(mt_conn_status(p->s) & MT_ST_CONNECTED);
    CHECK(p->c->h == NULL);
    CHECK(p->s->h == NULL);
    mt_conn_trim(p->c);
    mt_conn_trim(p->s);
    /* the struct, the peer's certificate, a kept ticket (client), a frozen transcript (1.3) */
    size_t cm = mt_conn_memory(p->c), sm = mt_conn_memory(p->s);
    if (cm > 6144 || sm > 6144) {
        printf("# %s: client %zu, server %zu bytes\n", what, cm, sm);
    }
    CHECK(cm <= 6144);
    CHECK(sm <= 6144);
}

/* The same exporter output and key log on both ends. */
static void check_export_keylog(slim_pair *p)
{
    uint8_t a[32], b[32];
    static const uint8_t ctx[3] = {1, 2, 3};
    CHECK_EQ(mt_conn_export(p->c, "EXPERIMENTAL slim", ctx, 3, 1, a, sizeof(a)), 0);
    CHECK_EQ(mt_conn_export(p->s, "EXPERIMENTAL slim", ctx, 3, 1, b, sizeof(b)), 0);
    CHECK(memcmp(a, b, sizeof(a)) == 0);
    char ka[8 * MT_KS13_KEYLOG_MAX], kb[8 * MT_KS13_KEYLOG_MAX];
    CHECK_EQ(mt_conn_keylog(p->c, ka, sizeof(ka)), 0);
    CHECK_EQ(mt_conn_keylog(p->s, kb, sizeof(kb)), 0);
    CHECK(strcmp(ka, kb) == 0);
    CHECK(strlen(ka) > 100);
    CHECK(p->c->h == NULL && p->s->h == NULL);
}

/* TLS 1.3, full then resumed with the ticket the full one left: after each, KeyUpdate both
 * ways, two post-handshake authentications, exporters and the key log. */
static void tls13_after_handshake(void)
{
    slim_pair p;
    mt_session s;
    memset(&s, 0, sizeof(s));
    setup_slim(&p, MT_TLS13);
    for (int resumed = 0; resumed < 2; resumed++) {
        CHECK_EQ(connect_pair(&p, resumed ? &s : NULL), 0);
        mt_conn_info info;
        mt_conn_get_info(p.c, &info);
        CHECK_EQ(info.version, MT_TLS13);
        CHECK_EQ(info.resumed, resumed);
        check_slim(&p, resumed ? "1.3 resumed" : "1.3 full");
        CHECK_EQ(echo_once(p.c, p.s, 100), 0);
        CHECK_EQ(mt_conn_key_update(p.c, 1), 0);
        CHECK_EQ(pump(p.c, p.s), 0);
        CHECK_EQ(mt_conn_key_update(p.s, 0), 0);
        CHECK_EQ(echo_once(p.s, p.c, 200), 0);
        CHECK_EQ(echo_once(p.c, p.s, 300), 0);
        CHECK(p.c->h == NULL && p.s->h == NULL);
        for (unsigned k = 1; k <= 2; k++) {
            CHECK_EQ(mt_conn_request_client_auth(p.s), 0);
            CHECK(p.s->h != NULL); /* the authentication's own state, until its Finished */
            CHECK(mt_conn_status(p.s) & MT_ST_HANDSHAKING);
            CHECK_EQ(pump(p.c, p.s), 0);
            mt_conn_get_info(p.s, &info);
            CHECK_EQ(info.client_auths, k);
            CHECK(!(mt_conn_status(p.s) & MT_ST_HANDSHAKING));
            check_slim(&p, "1.3 after post-handshake auth");
            CHECK_EQ(echo_once(p.c, p.s, 50), 0);
        }
        const uint8_t *der;
        size_t dl;
        CHECK_EQ(mt_conn_peer_chain(p.s, 0, &der, &dl), 1);
        CHECK(dl == client_id.cert.len && memcmp(der, client_id.cert.p, dl) == 0);
        /* (a resumed handshake carries no server certificate) */
        CHECK_EQ(mt_conn_peer_chain(p.c, 0, &der, &dl), resumed ? 0 : 1);
        CHECK(resumed || (dl == server_id.cert.len && memcmp(der, server_id.cert.p, dl) == 0));
        check_export_keylog(&p);
        /* the NewSessionTicket came after the handshake: its session resumes the next one */
        mt_session_wipe(&s);
        CHECK_EQ(mt_conn_session(p.c, &s), 0);
        CHECK_EQ(s.version, MT_TLS13);
        CHECK(s.ticket_len > 0);
        close_pair(&p);
    }
    mt_session_wipe(&s);
    free_slim(&p);
}

/* TLS 1.2, full, resumed by session id, resumed by ticket: after each, data, exporters, the
 * key log, the session, then (where allowed) renegotiations asked by either side. */
static void tls12_after_handshake(void)
{
    slim_pair p;
    mt_session s, by_id;
    memset(&s, 0, sizeof(s));
    setup_slim(&p, MT_TLS12);
    for (int round = 0; round < 3; round++) {
        const char *what[] = {"1.2 full", "1.2 resumed by id", "1.2 resumed by ticket"};
        by_id = s;
        by_id.ticket_len = 0;
        CHECK_EQ(connect_pair(&p, round == 0 ? NULL : round == 1 ? &by_id : &s), 0);
        mt_conn_info info;
        mt_conn_get_info(p.c, &info);
        CHECK_EQ(info.version, MT_TLS12);
        CHECK_EQ(info.resumed, round > 0);
        check_slim(&p, what[round]);
        CHECK_EQ(echo_once(p.c, p.s, 100), 0);
        check_export_keylog(&p);
        /* resumable: by the ticket it got, or (resumed by ticket, none renewed) the one it
         * resumed with; resumed by id, by that id */
        mt_session t;
        CHECK_EQ(mt_conn_session(p.c, &t), 0);
        CHECK_EQ(t.ticket_len > 0, round != 1);
        CHECK(round != 2 ||
              (t.ticket_len == s.ticket_len && memcmp(t.ticket, s.ticket, s.ticket_len) == 0));
        CHECK(round != 1 || (t.sid_len == s.sid_len && memcmp(t.sid, s.sid, s.sid_len) == 0));
        CHECK(round == 0 || t.created == s.created);
        CHECK_EQ(t.suite, info.suite);
        mt_session_wipe(&t);
        if (round == 0) {
            CHECK_EQ(mt_conn_session(p.c, &s), 0);
        }
        /* (extended master secret: a resumed connection may renegotiate too) */
        CHECK(info.ems);
        /* the client asks, then the server: each a full handshake under the current keys */
        for (int by_server = 0; by_server < 2; by_server++) {
            mt_conn *who = by_server ? p.s : p.c;
            CHECK_EQ(mt_conn_renegotiate(who), 0);
            CHECK_EQ(pump(p.c, p.s), 0);
            mt_conn_get_info(p.c, &info);
            CHECK_EQ(info.renegotiations, (unsigned)by_server + 1);
            CHECK(!(mt_conn_status(p.c) & MT_ST_HANDSHAKING));
            check_slim(&p, "1.2 after renegotiation");
            CHECK_EQ(echo_once(p.s, p.c, 100), 0);
            check_export_keylog(&p);
        }
        close_pair(&p);
    }
    mt_session_wipe(&s);
    mt_session_wipe(&by_id);
    free_slim(&p);
}

/* A 1.2 client's renegotiation the server refuses: the client's handshake state goes when it
 * is back on the keys in force. */
static void tls12_refused_renegotiation(void)
{
    slim_pair p;
    setup_slim(&p, MT_TLS12);
    p.scfg.no_renegotiation = 1;
    CHECK_EQ(connect_pair(&p, NULL), 0);
    CHECK_EQ(mt_conn_renegotiate(p.c), 0);
    CHECK(p.c->h != NULL);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK(!(mt_conn_status(p.c) & MT_ST_HANDSHAKING));
    check_slim(&p, "1.2 after a refused renegotiation");
    CHECK_EQ(echo_once(p.c, p.s, 100), 0);
    check_export_keylog(&p);
    free_slim(&p);
}

/* Many idle connected pairs: the heap each end holds (mt_conn_memory, and malloc's own count
 * for comparison), printed as a diagnostic and bounded. */
static void idle_memory(void)
{
    enum { N = 200 };
    static slim_pair p[N];
    struct mallinfo2 m0 = mallinfo2();
    size_t held = 0;
    for (int i = 0; i < N; i++) {
        setup_slim(&p[i], MT_TLS13);
        p[i].ccfg.post_handshake_auth = p[i].scfg.post_handshake_auth = 0;
        p[i].ccfg.nchains = 0;
        CHECK_EQ(connect_pair(&p[i], NULL), 0);
        mt_conn_trim(p[i].c);
        mt_conn_trim(p[i].s);
        held += mt_conn_memory(p[i].c) + mt_conn_memory(p[i].s);
    }
    struct mallinfo2 m1 = mallinfo2();
    size_t per_end = held / (2 * N);
    printf("# idle 1.3 end: %zu bytes held (mt_conn %zu), malloc %zu bytes per pair with its "
           "configs' cache\n",
           per_end, sizeof(mt_conn), (m1.uordblks - m0.uordblks) / N);
    CHECK(per_end <= 4096);
    for (int i = 0; i < N; i++) {
        free_slim(&p[i]);
    }
}

int main(void)
{
    pump_opts.no_alert = 1; /* these cases never had the failing side's alert delivered */
    make_id(&server_id, MT_KEY_EC_P256, 0);
    make_id(&client_id, MT_KEY_ED25519, 0);
    RUN(tls13_after_handshake);
    RUN(tls12_after_handshake);
    RUN(tls12_refused_renegotiation);
    RUN(idle_memory);
    free_id(&server_id);
    free_id(&client_id);
    return t_done();
}
