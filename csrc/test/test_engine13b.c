/* Two TLS 1.3 engines wired together in memory, the parts after the handshake and before it:
 * post-handshake client authentication (RFC 8446 4.6.2), the KeyUpdate limit, 0-RTT (RFC 8446
 * 2.3, 4.2.10, 8: accepted, rejected, skipped, replayed, over its limit) and their negative
 * cases. */
#include <stdlib.h>

#include "../engine.h"
#include "../engine_int.h" /* secrets and protection, to forge records */
#include "../err.h"
#include "../kex.h"
#include "../keys.h"
#include "../record.h"
#include "../replay.h"
#include "../x509.h"
#include "pair.h"
#include "t.h"

/* The length of the first whole record in p[0..n), 0 if none. */
static size_t first_record(const uint8_t *p, size_t n)
{
    if (n < 5) {
        return 0;
    }
    size_t l = 5 + ((size_t)p[3] << 8 | p[4]);
    return l <= n ? l : 0;
}

/* ---- post-handshake authentication ---- */

/* A pair where the client offers post_handshake_auth with `cid` (NULL: no certificate) and the
 * server defers client authentication (`mode`) to after the handshake. */
static int pha_pair(pair *p, ident *sid, ident *cid, int mode, int verify)
{
    setup(p, sid);
    p->ccfg.post_handshake_auth = 1;
    if (cid) {
        p->ccfg.chains[0] = &cid->chain;
        p->ccfg.nchains = 1;
    }
    p->scfg.client_auth = mode;
    p->scfg.post_handshake_auth = 1;
    p->scfg.verify_peer = verify;
    return run(p);
}

/* RFC 8446 4.6.2: no CertificateRequest in the handshake, then two requests after it, each
 * answered with the client's certificate; data flows before, between and after. */
static void pha_basic(void)
{
    ident sid, cid;
    make_id(&sid, MT_KEY_EC_P256, 0);
    make_id(&cid, MT_KEY_ED25519, 0);
    static const mt_key_type types[] = {MT_KEY_ED25519, MT_KEY_EC_P384, MT_KEY_RSA};
    for (size_t k = 0; k < 3; k++) {
        ident id2;
        make_id(&id2, types[k], types[k] == MT_KEY_RSA ? 2048 : 0);
        pair p;
        CHECK_EQ(pha_pair(&p, &sid, &id2, MT_CLIENT_AUTH_REQUIRE, 0), 0);
        const uint8_t *der;
        size_t dl;
        mt_conn_info si, ci;
        mt_conn_get_info(p.s, &si);
        mt_conn_get_info(p.c, &ci);
        CHECK(si.post_handshake_auth && ci.post_handshake_auth);
        CHECK_EQ(si.client_auths, 0);
        CHECK(!p.s->cert_requested);
        CHECK_EQ(mt_conn_peer_chain(p.s, 0, &der, &dl), 0);
        CHECK_EQ(echo(p.c, p.s, 1000), 0);
        for (unsigned round = 1; round <= 2; round++) {
            CHECK_EQ(mt_conn_request_client_auth(p.s), 0);
            CHECK(mt_conn_status(p.s) & MT_ST_HANDSHAKING);
            CHECK_EQ(mt_conn_request_client_auth(p.s), -MT_E_AUTH_PENDING);
            CHECK_EQ(pump(p.c, p.s), 0);
            CHECK(!(mt_conn_status(p.s) & MT_ST_HANDSHAKING));
            mt_conn_get_info(p.s, &si);
            CHECK_EQ(si.client_auths, round);
            CHECK_EQ(mt_conn_peer_chain(p.s, 0, &der, &dl), 1);
            CHECK(dl == id2.cert.len && memcmp(der, id2.cert.p, dl) == 0);
            CHECK_EQ(echo(p.s, p.c, 3000), 0);
            CHECK_EQ(echo(p.c, p.s, 3000), 0);
        }
        /* after a KeyUpdate each way the Finished key is the current secret */
        CHECK_EQ(mt_conn_key_update(p.c, 1), 0);
        CHECK_EQ(pump(p.c, p.s), 0);
        CHECK_EQ(mt_conn_request_client_auth(p.s), 0);
        CHECK_EQ(pump(p.c, p.s), 0);
        mt_conn_get_info(p.s, &si);
        CHECK_EQ(si.client_auths, 3);
        free_pair(&p);
        free_id(&id2);
    }
    /* the verdict on the chain (MT_DECIDE_VERIFY) in the middle: accepted, then refused */
    for (int accept = 1; accept >= 0; accept--) {
        pair p;
        CHECK_EQ(pha_pair(&p, &sid, &cid, MT_CLIENT_AUTH_REQUIRE, 1), 0);
        CHECK_EQ(mt_conn_decision(p.s), MT_DECIDE_NONE);
        CHECK_EQ(mt_conn_request_client_auth(p.s), 0);
        CHECK_EQ(pump(p.c, p.s), 0);
        CHECK_EQ(mt_conn_decision(p.s), MT_DECIDE_VERIFY);
        CHECK(mt_conn_status(p.s) & MT_ST_CONNECTED);
        int rc = mt_conn_decide(p.s, accept ? 0 : -MT_E_BAD_CERTIFICATE);
        CHECK_EQ(rc, accept ? 0 : -MT_E_BAD_CERTIFICATE);
        rc = pump(p.c, p.s);
        if (accept) {
            CHECK_EQ(rc, 0);
            mt_conn_info si;
            mt_conn_get_info(p.s, &si);
            CHECK_EQ(si.client_auths, 1);
            CHECK_EQ(echo(p.c, p.s, 10), 0);
        } else {
            CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_BAD_CERTIFICATE);
        }
        free_pair(&p);
    }
    free_id(&sid);
    free_id(&cid);
}

/* A client without a certificate answers with an empty Certificate: accepted when optional,
 * certificate_required when required; a client that did not offer post_handshake_auth cannot
 * be asked, and one that gets a CertificateRequest anyway says unexpected_message. A 1.2
 * connection has no post-handshake authentication. */
static void pha_refusals(void)
{
    ident sid;
    make_id(&sid, MT_KEY_EC_P256, 0);
    pair p;
    CHECK_EQ(pha_pair(&p, &sid, NULL, MT_CLIENT_AUTH_OPTIONAL, 1), 0);
    CHECK_EQ(mt_conn_request_client_auth(p.s), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    mt_conn_info si;
    mt_conn_get_info(p.s, &si);
    CHECK_EQ(si.client_auths, 1);
    const uint8_t *der;
    size_t dl;
    CHECK_EQ(mt_conn_peer_chain(p.s, 0, &der, &dl), 0);
    CHECK_EQ(echo(p.c, p.s, 10), 0);
    CHECK_EQ(mt_conn_request_client_auth(p.c), -MT_E_INVALID_ARG); /* a client cannot */
    free_pair(&p);

    CHECK_EQ(pha_pair(&p, &sid, NULL, MT_CLIENT_AUTH_REQUIRE, 1), 0);
    CHECK_EQ(mt_conn_request_client_auth(p.s), 0);
    CHECK_EQ(pump(p.c, p.s), -MT_E_CERTIFICATE_REQUIRED);
    CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_CERTIFICATE_REQUIRED);
    free_pair(&p);

    /* not offered: the server cannot ask; forced anyway, the client refuses */
    setup(&p, &sid);
    p.scfg.post_handshake_auth = 1;
    CHECK_EQ(run(&p), 0);
    CHECK_EQ(mt_conn_request_client_auth(p.s), -MT_E_PHA_NOT_OFFERED);
    /* (a CertificateRequest made by hand: the server keeps no transcript to ask with) */
    static const uint8_t cr[] = {1, 7, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3};
    CHECK_EQ(mt_conn_send_hs(p.s, 13, cr, sizeof(cr)), 0);
    CHECK_EQ(pump(p.c, p.s), -MT_E_UNEXPECTED_MESSAGE);
    CHECK_EQ(mt_conn_peer_alert(p.s), MT_ALERT_UNEXPECTED_MESSAGE);
    free_pair(&p);

    /* a server asking in the handshake when the client offered no post_handshake_auth */
    ident cid;
    make_id(&cid, MT_KEY_EC_P256, 0);
    setup(&p, &sid);
    p.ccfg.chains[0] = &cid.chain;
    p.ccfg.nchains = 1;
    p.scfg.client_auth = MT_CLIENT_AUTH_REQUIRE;
    p.scfg.post_handshake_auth = 1;
    CHECK_EQ(run(&p), 0);
    CHECK(p.s->cert_requested);
    CHECK_EQ(mt_conn_peer_chain(p.s, 0, &der, &dl), 1);
    free_pair(&p);

    /* TLS 1.2, closed */
    CHECK_EQ(pha_pair(&p, &sid, &cid, MT_CLIENT_AUTH_OPTIONAL, 0), 0);
    CHECK_EQ(mt_conn_close(p.s), 0);
    CHECK_EQ(mt_conn_request_client_auth(p.s), -MT_E_CLOSED);
    free_pair(&p);
    setup(&p, &sid);
    p.scfg.max_version = MT_TLS12;
    p.ccfg.post_handshake_auth = 1;
    CHECK_EQ(run(&p), 0);
    CHECK_EQ(mt_conn_request_client_auth(p.s), -MT_E_INVALID_ARG);
    free_pair(&p);
    free_id(&cid);
    free_id(&sid);
}

/* Negative cases: a CertificateRequest cut short or without signature_algorithms, an answer with
 * another context, a bad Finished, application data or a KeyUpdate between the answer's
 * messages, a Certificate nobody asked for. */
static void pha_mangled(void)
{
    ident sid, cid;
    make_id(&sid, MT_KEY_EC_P256, 0);
    make_id(&cid, MT_KEY_EC_P256, 0);
    static const struct {
        uint8_t body[32];
        size_t n;
        int want;
    } crs[] = {
        {{0}, 0, -MT_E_TRUNCATED},
        {{2, 1}, 2, -MT_E_TRUNCATED},
        {{1, 7, 0, 0}, 4, -MT_E_MISSING_EXTENSION},
        {{1, 7, 0, 6, 0, 13, 0, 2, 0, 0}, 10, -MT_E_BAD_LENGTH},
        {{1, 7, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3, 9}, 13, -MT_E_TRAILING},
    };
    for (size_t i = 0; i < sizeof(crs) / sizeof(crs[0]); i++) {
        pair p;
        CHECK_EQ(pha_pair(&p, &sid, &cid, MT_CLIENT_AUTH_REQUIRE, 0), 0);
        CHECK_EQ(mt_conn_send_hs(p.s, 13, crs[i].body, crs[i].n), 0);
        int rc = pump(p.c, p.s);
        if (rc != crs[i].want) {
            printf("# CertificateRequest %zu: %s\n", i, mt_err_name(rc));
        }
        CHECK(rc < 0 && mt_err_alert(rc) == mt_err_alert(crs[i].want));
        free_pair(&p);
    }
    /* the client's answer under another context */
    pair p;
    CHECK_EQ(pha_pair(&p, &sid, &cid, MT_CLIENT_AUTH_REQUIRE, 0), 0);
    CHECK_EQ(mt_conn_request_client_auth(p.s), 0);
    p.s->h->cr_ctx[0] ^= 1;
    CHECK_EQ(pump(p.c, p.s), -MT_E_ILLEGAL_PARAMETER);
    free_pair(&p);
    /* a Finished under another key */
    CHECK_EQ(pha_pair(&p, &sid, &cid, MT_CLIENT_AUTH_REQUIRE, 0), 0);
    CHECK_EQ(mt_conn_request_client_auth(p.s), 0);
    p.s->c_ap[0] ^= 1;
    CHECK_EQ(pump(p.c, p.s), -MT_E_DECRYPT_ERROR);
    CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_DECRYPT_ERROR);
    free_pair(&p);
    /* application data, a KeyUpdate or a Finished right after the Certificate: unexpected_message
     */
    for (int what = 0; what < 3; what++) {
        CHECK_EQ(pha_pair(&p, &sid, &cid, MT_CLIENT_AUTH_REQUIRE, 0), 0);
        CHECK_EQ(mt_conn_request_client_auth(p.s), 0);
        size_t len, used;
        const uint8_t *o = mt_conn_out(p.s, &len);
        CHECK_EQ(mt_conn_feed(p.c, o, len, &used), 0);
        mt_conn_out_done(p.s, used);
        uint8_t answer[8192];
        o = mt_conn_out(p.c, &len);
        CHECK(len < sizeof(answer));
        memcpy(answer, o, len);
        mt_conn_out_done(p.c, len);
        size_t r1 = first_record(answer, len);
        CHECK(r1 > 0 && r1 < len);
        CHECK_EQ(mt_conn_feed(p.s, answer, r1, &used), 0);
        /* the client's next record after its Certificate, something else */
        static const uint8_t key_update[] = {24, 0, 0, 1, 0};
        static const uint8_t finished[36] = {20, 0, 0, 32};
        mt_rec_prot w;
        memset(&w, 0, sizeof(w));
        mt_rec_prot_set(&w, p.c->wr.aead, 1, p.c->wr.key, p.c->wr.iv);
        w.seq = p.c->wr.seq - 2;
        mt_wr rec;
        mt_wr_init_growable(&rec, 1 << 16);
        if (what == 0) {
            CHECK_EQ(mt_rec_seal(&w, MT_CT_APPLICATION_DATA, 0x0303, (const uint8_t *)"x", 1, &rec),
                     0);
        } else if (what == 1) {
            CHECK_EQ(mt_rec_seal(&w, MT_CT_HANDSHAKE, 0x0303, key_update, 5, &rec), 0);
        } else {
            CHECK_EQ(mt_rec_seal(&w, MT_CT_HANDSHAKE, 0x0303, finished, 36, &rec), 0);
        }
        mt_rec_prot_clear(&w);
        CHECK_EQ(mt_conn_feed(p.s, rec.p, rec.len, &used), -MT_E_UNEXPECTED_MESSAGE);
        mt_wr_free(&rec);
        free_pair(&p);
    }
    /* a Certificate, CertificateVerify or Finished out of the blue (each way) */
    static const uint8_t types[] = {11, 15, 20};
    for (size_t i = 0; i < 3; i++) {
        static const uint8_t junk[4] = {0, 0, 0, 0};
        CHECK_EQ(pha_pair(&p, &sid, &cid, MT_CLIENT_AUTH_REQUIRE, 0), 0);
        CHECK_EQ(mt_conn_send_hs(p.c, types[i], junk, 4), 0);
        CHECK_EQ(pump(p.c, p.s), -MT_E_UNEXPECTED_MESSAGE);
        free_pair(&p);
        CHECK_EQ(pha_pair(&p, &sid, &cid, MT_CLIENT_AUTH_REQUIRE, 0), 0);
        CHECK_EQ(mt_conn_send_hs(p.s, types[i], junk, 4), 0);
        CHECK_EQ(pump(p.c, p.s), -MT_E_UNEXPECTED_MESSAGE);
        free_pair(&p);
    }
    free_id(&sid);
    free_id(&cid);
}

/* ---- limits ---- */

/* At most 32 KeyUpdates without application data in between (the 33rd is unexpected_message);
 * data resets the count. Records over 2^14 + 256 bytes of ciphertext are record_overflow. */
static void key_update_limit(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    setup(&p, &id);
    CHECK_EQ(run(&p), 0);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 32; i++) {
            CHECK_EQ(mt_conn_key_update(p.s, 0), 0);
        }
        CHECK_EQ(pump(p.c, p.s), 0);
        CHECK_EQ(echo(p.s, p.c, 10), 0); /* resets the count */
    }
    for (int i = 0; i < 33; i++) {
        CHECK_EQ(mt_conn_key_update(p.s, 0), 0);
    }
    CHECK_EQ(pump(p.c, p.s), -MT_E_UNEXPECTED_MESSAGE);
    CHECK_EQ(mt_conn_peer_alert(p.s), MT_ALERT_UNEXPECTED_MESSAGE);
    free_pair(&p);
    /* each side asking the other: answers do not count against the asker */
    setup(&p, &id);
    CHECK_EQ(run(&p), 0);
    for (int i = 0; i < 20; i++) {
        CHECK_EQ(mt_conn_key_update(p.c, 1), 0);
        CHECK_EQ(pump(p.c, p.s), 0);
    }
    CHECK_EQ(echo(p.c, p.s, 10), 0);
    CHECK_EQ(echo(p.s, p.c, 10), 0);
    free_pair(&p);
    /* a protected record header saying 2^14 + 257 bytes */
    setup(&p, &id);
    CHECK_EQ(run(&p), 0);
    uint8_t hdr[5] = {23, 3, 3, (uint8_t)((16384 + 257) >> 8), (uint8_t)(16384 + 257)};
    size_t used;
    CHECK_EQ(mt_conn_feed(p.c, hdr, 5, &used), -MT_E_RECORD_OVERFLOW);
    free_pair(&p);
    setup(&p, &id);
    CHECK_EQ(run(&p), 0);
    hdr[4] = (uint8_t)(16384 + 256);
    hdr[3] = (uint8_t)((16384 + 256) >> 8);
    CHECK_EQ(mt_conn_feed(p.c, hdr, 5, &used), 0); /* the limit itself: waits for the body */
    free_pair(&p);
    free_id(&id);
}

/* ---- 0-RTT ---- */

typedef struct early_env {
    ident id;
    mt_cache *cache;
    mt_replay *replay;
    mt_session s; /* a ticket allowing early data */
} early_env;

static void early_config(pair *p, early_env *e, uint32_t server_max)
{
    setup(p, &e->id);
    p->scfg.cache = e->cache;
    p->scfg.max_early_data = server_max;
    p->scfg.replay = e->replay;
    p->ccfg.max_early_data = 16384;
}

static void early_init(early_env *e, uint32_t server_max)
{
    make_id(&e->id, MT_KEY_EC_P256, 0);
    CHECK_EQ(mt_cache_new(100, 600, &e->cache), 0);
    CHECK_EQ(mt_replay_new(64, 10, &e->replay), 0);
    pair p;
    early_config(&p, e, server_max);
    CHECK_EQ(run(&p), 0);
    CHECK_EQ(echo(p.s, p.c, 10), 0);
    CHECK_EQ(mt_conn_session(p.c, &e->s), 0);
    CHECK_EQ(e->s.max_early_data, server_max);
    free_pair(&p);
}

static void early_free(early_env *e)
{
    mt_cache_free(e->cache);
    mt_replay_free(e->replay);
    mt_session_wipe(&e->s);
    free_id(&e->id);
}

/* A client offering e->s with `len` bytes of early data queued (its first flight not taken). */
static void early_start(pair *p, early_env *e, uint32_t server_max, size_t len)
{
    early_config(p, e, server_max);
    CHECK_EQ(start(p), 0);
    CHECK_EQ(mt_conn_resume(p->c, &e->s), 0);
    uint8_t *data = malloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        data[i] = (uint8_t)('a' + i % 26);
    }
    size_t n, done = 0;
    while (done < len) {
        CHECK_EQ(mt_conn_write_early(p->c, data + done, len - done, &n), 0);
        CHECK(n > 0);
        done += n;
        if (n == 0) {
            break;
        }
    }
    free(data);
}

/* Pump until both are connected (or fail), collecting what the server reads as early data and
 * as later data. */
static int early_run(pair *p, uint8_t *early, size_t *en, size_t *later)
{
    *en = *later = 0;
    for (int i = 0; i < 100; i++) {
        int rc = pump(p->c, p->s);
        if (rc < 0) {
            return rc;
        }
        int st = mt_conn_status(p->s);
        if (st & MT_ST_READABLE) {
            uint8_t buf[20000];
            size_t k;
            int is_early = (st & MT_ST_EARLY_DATA) != 0;
            rc = mt_conn_read(p->s, is_early ? early + *en : buf, is_early ? 20000 : sizeof(buf),
                              &k);
            if (rc < 0) {
                return rc;
            }
            *(is_early ? en : later) += k;
            continue;
        }
        if ((mt_conn_status(p->c) & MT_ST_CONNECTED) && (st & MT_ST_CONNECTED)) {
            return 0;
        }
    }
    return -MT_E_INTERNAL;
}

/* Early data accepted: the server reads it flagged, before the client's Finished; then the
 * connection is a resumed one and data flows as usual. */
static void early_accepted(void)
{
    early_env e;
    early_init(&e, 16384);
    static const size_t sizes[] = {1, 5000, 16384};
    for (size_t i = 0; i < 3; i++) {
        pair p;
        early_start(&p, &e, 16384, sizes[i]);
        mt_conn_info ci, si;
        mt_conn_get_info(p.c, &ci);
        CHECK_EQ(ci.early_data, MT_EARLY_OFFERED);
        uint8_t *early = malloc(20000);
        size_t en, later;
        CHECK_EQ(early_run(&p, early, &en, &later), 0);
        CHECK_EQ(en, sizes[i]);
        CHECK_EQ(later, 0);
        CHECK(en == 0 || (early[0] == 'a' && early[en - 1] == (uint8_t)('a' + (en - 1) % 26)));
        free(early);
        mt_conn_get_info(p.c, &ci);
        mt_conn_get_info(p.s, &si);
        CHECK_EQ(ci.early_data, MT_EARLY_ACCEPTED);
        CHECK_EQ(si.early_data, MT_EARLY_ACCEPTED);
        CHECK_EQ(ci.early_bytes, sizes[i]);
        CHECK_EQ(si.early_bytes, sizes[i]);
        CHECK(ci.resumed && si.resumed);
        /* the key log starts with the early secret, the same on both sides */
        char kc[MT_CONN_KEYLOG_MAX], ks[MT_CONN_KEYLOG_MAX];
        CHECK_EQ(mt_conn_keylog(p.c, kc, sizeof(kc)), 0);
        CHECK_EQ(mt_conn_keylog(p.s, ks, sizeof(ks)), 0);
        CHECK(strcmp(kc, ks) == 0);
        CHECK(strncmp(kc, "CLIENT_EARLY_TRAFFIC_SECRET ", 28) == 0);
        CHECK(strstr(kc, "EXPORTER_SECRET ") != NULL);
        /* too late now */
        size_t n;
        CHECK_EQ(mt_conn_write_early(p.c, (const uint8_t *)"x", 1, &n),
                 -MT_E_EARLY_DATA_UNAVAILABLE);
        CHECK_EQ(echo(p.c, p.s, 20000), 0);
        CHECK_EQ(echo(p.s, p.c, 20000), 0);
        /* the resumed connection's own ticket allows 0-RTT again */
        mt_session s2;
        CHECK_EQ(mt_conn_session(p.c, &s2), 0);
        CHECK_EQ(s2.max_early_data, 16384);
        mt_session_wipe(&s2);
        free_pair(&p);
    }
    /* the client's limit: the ticket's, and its config's */
    pair p;
    early_start(&p, &e, 16384, 100);
    size_t n;
    uint8_t big[20000] = {0};
    CHECK_EQ(mt_conn_write_early(p.c, big, sizeof(big), &n), 0);
    CHECK_EQ(n, 16384 - 100);
    CHECK_EQ(mt_conn_write_early(p.c, big, 1, &n), -MT_E_EARLY_DATA_UNAVAILABLE);
    free_pair(&p);
    /* without a 0-RTT session: nothing to write early */
    early_config(&p, &e, 16384);
    CHECK_EQ(start(&p), 0);
    CHECK_EQ(mt_conn_write_early(p.c, big, 1, &n), -MT_E_EARLY_DATA_UNAVAILABLE);
    free_pair(&p);
    early_config(&p, &e, 16384);
    p.ccfg.max_early_data = 0; /* the client's config does not want it */
    CHECK_EQ(start(&p), 0);
    CHECK_EQ(mt_conn_resume(p.c, &e.s), 0);
    CHECK_EQ(mt_conn_write_early(p.c, big, 1, &n), -MT_E_EARLY_DATA_UNAVAILABLE);
    CHECK_EQ(pump(p.c, p.s), 0);
    mt_conn_info ci;
    mt_conn_get_info(p.c, &ci);
    CHECK_EQ(ci.early_data, MT_EARLY_NONE);
    CHECK(ci.resumed);
    free_pair(&p);
    early_free(&e);
}

/* Early data rejected (RFC 8446 4.2.10): by a server without 0-RTT, one without a replay
 * register, one whose ALPN differs from the ticket's, a HelloRetryRequest, a ticket unknown to
 * the server (full handshake); the server skips the early records, the handshake goes on. */
static void early_rejected(void)
{
    early_env e;
    early_init(&e, 16384);
    for (int how = 0; how < 5; how++) {
        pair p;
        early_start(&p, &e, how == 0 ? 0 : 16384, 16384);
        if (how == 1) {
            p.scfg.replay = NULL;
        } else if (how == 2) {
            static const uint8_t alpn[] = {2, 'h', '2'};
            memcpy(p.scfg.alpn, alpn, sizeof(alpn));
            p.scfg.alpn_len = sizeof(alpn);
            memcpy(p.ccfg.alpn, alpn, sizeof(alpn));
            p.ccfg.alpn_len = sizeof(alpn);
            /* (the ClientHello was built without ALPN: build it again) */
            CHECK_EQ(mt_conn_resume(p.c, &e.s), 0);
            size_t n;
            CHECK_EQ(mt_conn_write_early(p.c, (const uint8_t *)"abc", 3, &n), 0);
        } else if (how == 3) {
            p.scfg.groups[0] = MT_GROUP_SECP384R1;
            p.scfg.ngroups = 1;
        } else if (how == 4) {
            p.scfg.cache = NULL;
        }
        uint8_t early[20000];
        size_t en, later;
        int rc = early_run(&p, early, &en, &later);
        if (rc) {
            printf("# how %d: %s\n", how, mt_err_name(rc));
        }
        CHECK_EQ(rc, 0);
        CHECK_EQ(en, 0);
        CHECK_EQ(later, 0);
        mt_conn_info ci, si;
        mt_conn_get_info(p.c, &ci);
        mt_conn_get_info(p.s, &si);
        CHECK_EQ(ci.early_data, MT_EARLY_REJECTED);
        CHECK_EQ(si.early_data, MT_EARLY_REJECTED);
        CHECK_EQ(ci.resumed, how != 4);
        CHECK_EQ(p.c->hrr, how == 3);
        CHECK_EQ(echo(p.c, p.s, 5000), 0);
        CHECK_EQ(echo(p.s, p.c, 5000), 0);
        free_pair(&p);
    }
    /* skipping stops at the limit (16384 bytes without 0-RTT): then it is bad_record_mac */
    for (int hrr = 0; hrr < 2; hrr++) {
        pair p;
        early_start(&p, &e, 0, 16384);
        if (hrr) {
            p.scfg.groups[0] = MT_GROUP_SECP384R1;
            p.scfg.ngroups = 1;
        }
        CHECK_EQ(mt_rec_seal(&p.c->wr, MT_CT_APPLICATION_DATA, 0x0303, (const uint8_t *)"x", 1,
                             &p.c->out),
                 0);
        int rc = pump(p.c, p.s);
        CHECK_EQ(rc, hrr ? -MT_E_UNEXPECTED_MESSAGE : -MT_E_BAD_RECORD_MAC);
        free_pair(&p);
    }
    early_free(&e);
}

/* A replayed first flight (ClientHello and early data) gets the early data refused: the server
 * goes on with a 1-RTT handshake the attacker cannot finish. */
static void early_replayed(void)
{
    early_env e;
    early_init(&e, 16384);
    pair p;
    early_start(&p, &e, 16384, 300);
    size_t len, used;
    const uint8_t *o = mt_conn_out(p.c, &len);
    uint8_t *flight = malloc(len);
    memcpy(flight, o, len);
    size_t flen = len;
    uint8_t early[20000];
    size_t en, later;
    CHECK_EQ(early_run(&p, early, &en, &later), 0);
    CHECK_EQ(en, 300);
    free_pair(&p);
    /* the same bytes to a new server connection of the same config */
    mt_conn *s2;
    early_config(&p, &e, 16384);
    CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &s2), 0);
    size_t off = 0;
    while (off < flen) {
        int rc = mt_conn_feed(s2, flight + off, flen - off, &used);
        CHECK_EQ(rc, 0);
        CHECK(!(mt_conn_status(s2) & MT_ST_READABLE));
        if (rc < 0 || used == 0) {
            break;
        }
        off += used;
    }
    CHECK_EQ(off, flen);
    mt_conn_info si;
    mt_conn_get_info(s2, &si);
    CHECK_EQ(si.early_data, MT_EARLY_REJECTED);
    CHECK(si.resumed); /* the PSK is fine: only its early data is not */
    CHECK(mt_conn_out(s2, &len) != NULL);
    mt_conn_free(s2);
    free(flight);
    /* a full register refuses too (never forgets a live entry) */
    mt_replay *tiny;
    CHECK_EQ(mt_replay_new(1, 10, &tiny), 0);
    uint8_t k1[32] = {1}, k2[32] = {2};
    CHECK_EQ(mt_replay_check(tiny, k1, 32, 1000), 1);
    CHECK_EQ(mt_replay_check(tiny, k1, 32, 1001), 0);
    CHECK_EQ(mt_replay_check(tiny, k2, 32, 1005), 0);
    CHECK_EQ(mt_replay_check(tiny, k2, 32, 1010), 1); /* k1 expired: its slot is free again */
    CHECK_EQ(mt_replay_check(tiny, k1, 16, 1011), 0); /* too short a key */
    mt_replay_free(tiny);
    CHECK_EQ(mt_replay_new(0, 10, &tiny), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_replay_new(10, 0, &tiny), -MT_E_INVALID_ARG);
    /* a ticket older (as the client tells) than the server knows: outside the window */
    early_start(&p, &e, 16384, 10);
    free_pair(&p);
    mt_session old = e.s;
    old.created -= 60; /* the client thinks a minute more went by */
    early_config(&p, &e, 16384);
    CHECK_EQ(start(&p), 0);
    CHECK_EQ(mt_conn_resume(p.c, &old), 0);
    size_t n;
    CHECK_EQ(mt_conn_write_early(p.c, (const uint8_t *)"abc", 3, &n), 0);
    CHECK_EQ(early_run(&p, early, &en, &later), 0);
    mt_conn_get_info(p.s, &si);
    CHECK_EQ(si.early_data, MT_EARLY_REJECTED);
    CHECK_EQ(en, 0);
    free_pair(&p);
    mt_session_wipe(&old);
    early_free(&e);
}

/* More early data than the ticket allows is unexpected_message; EndOfEarlyData with a body is
 * decode_error; another handshake message in its place unexpected_message (early_data in
 * EncryptedExtensions when not offered: test_engine13.c, server_messages_rewritten). */
static void early_mangled(void)
{
    early_env e;
    early_init(&e, 1000);
    pair p;
    early_start(&p, &e, 1000, 1000);
    CHECK_EQ(
        mt_rec_seal(&p.c->wr, MT_CT_APPLICATION_DATA, 0x0303, (const uint8_t *)"x", 1, &p.c->out),
        0);
    uint8_t early[20000];
    size_t en, later;
    CHECK_EQ(early_run(&p, early, &en, &later), -MT_E_UNEXPECTED_MESSAGE);
    free_pair(&p);
    static const struct {
        uint8_t msg[8];
        size_t n;
        int want;
    } msgs[] = {
        {{5, 0, 0, 1, 0}, 5, -MT_E_DECODE},
        {{20, 0, 0, 0}, 4, -MT_E_UNEXPECTED_MESSAGE},
        {{1, 0, 0, 0}, 4, -MT_E_UNEXPECTED_MESSAGE},
    };
    for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
        early_start(&p, &e, 1000, 10);
        CHECK_EQ(mt_rec_seal(&p.c->wr, MT_CT_HANDSHAKE, 0x0303, msgs[i].msg, msgs[i].n, &p.c->out),
                 0);
        size_t len, used;
        const uint8_t *o = mt_conn_out(p.c, &len);
        int rc = mt_conn_feed(p.s, o, len, &used);
        while (rc == 0 && used < len && (mt_conn_status(p.s) & MT_ST_READABLE)) {
            size_t k;
            CHECK_EQ(mt_conn_read(p.s, early, sizeof(early), &k), 0);
            mt_conn_out_done(p.c, used);
            o = mt_conn_out(p.c, &len);
            rc = mt_conn_feed(p.s, o, len, &used);
        }
        CHECK_EQ(rc, msgs[i].want);
        free_pair(&p);
    }
    early_free(&e);
}

/* ---- RSA-PSS keys (RFC 4055 1.2, RFC 8446 4.2.3 rsa_pss_pss_*) ---- */

static void make_pss_id(ident *id)
{
    memset(id, 0, sizeof(*id));
    CHECK_EQ(mt_key_generate(MT_KEY_RSA, 2048, &id->key), 0);
    CHECK_EQ(mt_key_set_rsa_pss(id->key), 0);
    id_chain(id);
}

/* An id-RSASSA-PSS key: written and read back as one (SPKI, PKCS#8), PSS signatures only, no
 * decryption. */
static void pss_key_basics(void)
{
    ident id;
    make_pss_id(&id);
    CHECK(mt_key_is_rsa_pss(id.key));
    mt_wr w;
    mt_wr_init_growable(&w, 1 << 16);
    CHECK_EQ(mt_key_write_pkcs8(id.key, &w), 0);
    mt_key *back = NULL, *pub = NULL;
    CHECK_EQ(mt_key_load(w.p, w.len, NULL, 0, &back), 0);
    CHECK(mt_key_is_rsa_pss(back));
    CHECK_EQ(mt_key_public(back, &pub), 0);
    CHECK(mt_key_is_rsa_pss(pub));
    CHECK(mt_key_public_eq(pub, id.key));
    mt_sig_alg pss = {MT_SIG_RSA_PSS, MT_HASH_SHA256, 32},
               pkcs1 = {MT_SIG_RSA_PKCS1, MT_HASH_SHA256, 0};
    CHECK(mt_key_supports(back, pss));
    CHECK(!mt_key_supports(back, pkcs1));
    mt_wr sig;
    mt_wr_init_growable(&sig, 1024);
    CHECK_EQ(mt_key_sign(back, pss, (const uint8_t *)"msg", 3, &sig), 0);
    CHECK_EQ(mt_key_verify(pub, pss, (const uint8_t *)"msg", 3, sig.p, sig.len), 0);
    CHECK_EQ(mt_key_verify(pub, pss, (const uint8_t *)"msh", 3, sig.p, sig.len), -MT_E_SIGNATURE);
    mt_wr_reset(&sig);
    CHECK_EQ(mt_key_sign(back, pkcs1, (const uint8_t *)"msg", 3, &sig), -MT_E_SIG_UNSUPPORTED);
    uint8_t pm[MT_PREMASTER_LEN] = {3, 3};
    mt_wr_reset(&sig);
    CHECK_EQ(mt_key_rsa_encrypt_premaster(pub, pm, &sig), -MT_E_INVALID_ARG);
    /* the same key as rsaEncryption is another key type for TLS */
    mt_key *plain = NULL;
    CHECK_EQ(mt_key_generate(MT_KEY_RSA, 2048, &plain), 0);
    CHECK(!mt_key_is_rsa_pss(plain));
    CHECK(mt_key_supports(plain, pkcs1));
    mt_key_free(plain);
    mt_wr_free(&sig);
    mt_wr_free(&w);
    mt_key_free(back);
    mt_key_free(pub);
    free_id(&id);
}

/* TLS with an id-RSASSA-PSS certificate key: rsa_pss_pss_sha256 in 1.3 and in 1.2 (ECDHE_RSA),
 * never an rsae scheme nor RSA key transport; a peer offering no pss_pss scheme gets
 * handshake_failure; the same as a client certificate. */
static void pss_key_tls(void)
{
    ident id;
    make_pss_id(&id);
    for (int v12 = 0; v12 < 2; v12++) {
        pair p;
        setup(&p, &id);
        if (v12) {
            p.scfg.max_version = MT_TLS12;
        }
        CHECK_EQ(run(&p), 0);
        mt_conn_info ci;
        mt_conn_get_info(p.c, &ci);
        CHECK_EQ(ci.version, v12 ? MT_TLS12 : MT_TLS13);
        CHECK_EQ(ci.sigalg, 0x0809);
        CHECK_EQ(echo(p.c, p.s, 1000), 0);
        free_pair(&p);
        /* the client lists only rsae (and PKCS#1) schemes for RSA */
        setup(&p, &id);
        if (v12) {
            p.scfg.max_version = MT_TLS12;
        }
        static const uint16_t rsae[] = {0x0804, 0x0805, 0x0806, 0x0401, 0x0403};
        memcpy(p.ccfg.sigalgs, rsae, sizeof(rsae));
        p.ccfg.nsigalgs = 5;
        CHECK_EQ(run(&p), -MT_E_HANDSHAKE_FAILURE);
        free_pair(&p);
    }
    /* TLS 1.2 RSA key transport only: no suite fits the key */
    pair p;
    setup(&p, &id);
    p.scfg.max_version = MT_TLS12;
    p.scfg.suites[0] = 0x009c; /* TLS_RSA_WITH_AES_128_GCM_SHA256 */
    p.scfg.nsuites = 1;
    CHECK_EQ(run(&p), -MT_E_HANDSHAKE_FAILURE);
    free_pair(&p);
    /* a PSS client certificate, 1.3 and 1.2 */
    ident sid;
    make_id(&sid, MT_KEY_EC_P256, 0);
    for (int v12 = 0; v12 < 2; v12++) {
        setup(&p, &sid);
        p.scfg.client_auth = MT_CLIENT_AUTH_REQUIRE;
        p.scfg.max_version = v12 ? MT_TLS12 : MT_TLS13;
        p.ccfg.chains[0] = &id.chain;
        p.ccfg.nchains = 1;
        CHECK_EQ(run(&p), 0);
        CHECK_EQ(p.c->cv_sigalg, 0x0809);
        const uint8_t *der;
        size_t dl;
        CHECK_EQ(mt_conn_peer_chain(p.s, 0, &der, &dl), 1);
        CHECK_EQ(echo(p.c, p.s, 100), 0);
        free_pair(&p);
    }
    free_id(&sid);
    free_id(&id);
}

/* signature_algorithms_cert (RFC 8446 4.2.3, 4.4.2.2): of two chains that fit, the server
 * picks the one whose leaf is signed as the client's list says (signature_algorithms when the
 * client sent no signature_algorithms_cert). */
static void sigalgs_cert(void)
{
    ident a, b;
    make_id(&a, MT_KEY_EC_P256, 0);
    make_id(&b, MT_KEY_EC_P256, 0);
    /* b's certificate says ecdsa-with-SHA384 (1.2.840.10045.4.3.3) instead of SHA256 */
    static const uint8_t oid[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
    int patched = 0;
    for (size_t i = 0; i + sizeof(oid) <= b.cert.len; i++) {
        if (memcmp(b.cert.p + i, oid, sizeof(oid)) == 0) {
            b.cert.p[i + sizeof(oid) - 1] = 0x03;
            patched++;
        }
    }
    CHECK_EQ(patched, 2);
    mt_x509 *la = NULL, *lb = NULL;
    CHECK_EQ(mt_x509_parse(a.cert.p, a.cert.len, &la), 0);
    CHECK_EQ(mt_x509_parse(b.cert.p, b.cert.len, &lb), 0);
    a.chain.leaf = la;
    b.chain.leaf = lb;
    for (int how = 0; how < 4; how++) {
        pair p;
        setup(&p, &a);
        p.scfg.chains[1] = &b.chain;
        p.scfg.nchains = 2;
        if (how == 1) {
            p.ccfg.sigalgs_cert[0] = 0x0503; /* ecdsa_secp384r1_sha384: b */
            p.ccfg.nsigalgs_cert = 1;
        } else if (how == 2) {
            p.ccfg.sigalgs_cert[0] = 0x0807; /* neither: the first that fits */
            p.ccfg.nsigalgs_cert = 1;
        } else if (how == 3) {
            p.ccfg.sigalgs_cert[0] = 0x0503; /* both: the first, a */
            p.ccfg.sigalgs_cert[1] = 0x0403;
            p.ccfg.nsigalgs_cert = 2;
        }
        CHECK_EQ(run(&p), 0);
        const uint8_t *der;
        size_t dl;
        CHECK_EQ(mt_conn_peer_chain(p.c, 0, &der, &dl), 1);
        const ident *want = how == 1 ? &b : &a;
        CHECK(dl == want->cert.len && memcmp(der, want->cert.p, dl) == 0);
        free_pair(&p);
    }
    mt_x509_free(la);
    mt_x509_free(lb);
    free_id(&a);
    free_id(&b);
}

/* psk_ke (RFC 8446 4.2.9): resumed without a key share when both sides allow it, with one when
 * either does not; a ServerHello without key_share to a client that did not offer psk_ke is
 * missing_extension. */
static void psk_ke(void)
{
    early_env e;
    early_init(&e, 0);
    for (int cke = 0; cke < 2; cke++) {
        for (int ske = 0; ske < 2; ske++) {
            pair p;
            early_config(&p, &e, 0);
            p.ccfg.psk_ke = cke;
            p.scfg.psk_ke = ske;
            CHECK_EQ(start(&p), 0);
            CHECK_EQ(mt_conn_resume(p.c, &e.s), 0);
            CHECK_EQ(pump(p.c, p.s), 0);
            mt_conn_info ci, si;
            mt_conn_get_info(p.c, &ci);
            mt_conn_get_info(p.s, &si);
            CHECK_EQ(ci.resumed, 1);
            CHECK_EQ(si.resumed, 1);
            CHECK_EQ(ci.group == 0, cke && ske);
            CHECK_EQ(si.group == 0, cke && ske);
            CHECK_EQ(p.c->psk_ke, cke && ske);
            CHECK_EQ(echo(p.c, p.s, 3000), 0);
            CHECK_EQ(echo(p.s, p.c, 3000), 0);
            CHECK_EQ(mt_conn_key_update(p.c, 1), 0);
            CHECK_EQ(echo(p.c, p.s, 100), 0);
            free_pair(&p);
        }
    }
    /* a server answering psk_ke that the client did not offer */
    pair p;
    early_config(&p, &e, 0);
    p.scfg.psk_ke = 1;
    p.ccfg.psk_ke = 1; /* the hello offers psk_ke... */
    CHECK_EQ(start(&p), 0);
    CHECK_EQ(mt_conn_resume(p.c, &e.s), 0);
    size_t len;
    CHECK(mt_conn_out(p.c, &len) != NULL && len > 0);
    p.ccfg.psk_ke = 0; /* ...which this client then denies having offered */
    CHECK_EQ(pump(p.c, p.s), -MT_E_MISSING_EXTENSION);
    free_pair(&p);
    early_free(&e);
}

int main(void)
{
    RUN(pha_basic);
    RUN(pha_refusals);
    RUN(pha_mangled);
    RUN(key_update_limit);
    RUN(early_accepted);
    RUN(early_rejected);
    RUN(early_replayed);
    RUN(early_mangled);
    RUN(pss_key_basics);
    RUN(pss_key_tls);
    RUN(sigalgs_cert);
    RUN(psk_ke);
    return t_done();
}
