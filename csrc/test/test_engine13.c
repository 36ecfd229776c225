/* Two engines wired together in memory: TLS 1.3 (RFC 8446) handshakes, data, decisions,
 * HelloRetryRequest, client certificates, version negotiation and negative cases. */
#include <stdlib.h>

#include "../asn1.h"
#include "../engine.h"
#include "../engine_int.h" /* secrets and protection, to rewrite encrypted handshake messages */
#include "../err.h"
#include "../kex.h"
#include "../kex_dh.h"
#include "../keys.h"
#include "../ks13.h"
#include "../record.h"
#include "../suites.h"
#include "pair.h"
#include "t.h"

enum { EXT_SUPPORTED_GROUPS_T = 10, EXT_SIGNATURE_ALGORITHMS_T = 13, EXT_KEY_SHARE_T = 51 };

static void one_suite(mt_config *cfg, uint16_t suite)
{
    cfg->suites[0] = suite;
    cfg->nsuites = 1;
}

static void one_group(mt_config *cfg, uint16_t group)
{
    cfg->groups[0] = group;
    cfg->ngroups = 1;
}

static void basic(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    setup(&p, &id);
    int rc = run(&p);
    if (rc) {
        printf("# %s\n", mt_err_name(rc));
    }
    CHECK_EQ(rc, 0);
    mt_conn_info ci, si;
    mt_conn_get_info(p.c, &ci);
    mt_conn_get_info(p.s, &si);
    CHECK_EQ(ci.version, MT_TLS13);
    CHECK_EQ(si.version, MT_TLS13);
    CHECK_EQ(ci.suite, 0x1301);
    CHECK_EQ(echo(p.c, p.s, 100), 0);
    CHECK_EQ(echo(p.s, p.c, 100), 0);
    free_pair(&p);
    free_id(&id);
}

static const uint16_t suites13[] = {0x1301, 0x1302, 0x1303, 0x1304, 0x1305};
static const uint16_t groups13[] = {MT_GROUP_X25519,
                                    MT_GROUP_SECP256R1,
                                    MT_GROUP_SECP384R1,
                                    MT_GROUP_SECP521R1,
                                    MT_GROUP_X448,
                                    256,
                                    257,
                                    258};

/* One connected pair for suite x group x key; checks what info() says and moves data. */
static void check_combo(ident *id, uint16_t suite, uint16_t group, uint16_t want_scheme, size_t big)
{
    pair p;
    setup(&p, id);
    one_suite(&p.ccfg, suite);
    one_suite(&p.scfg, suite);
    one_group(&p.ccfg, group);
    one_group(&p.scfg, group);
    int rc = run(&p);
    if (rc) {
        printf("# suite %04x group %u: %s\n", suite, group, mt_err_name(rc));
    }
    CHECK_EQ(rc, 0);
    mt_conn_info ci, si;
    mt_conn_get_info(p.c, &ci);
    mt_conn_get_info(p.s, &si);
    CHECK_EQ(ci.version, MT_TLS13);
    CHECK_EQ(si.version, MT_TLS13);
    CHECK_EQ(ci.suite, suite);
    CHECK_EQ(si.suite, suite);
    CHECK_EQ(ci.group, group);
    CHECK_EQ(si.group, group);
    CHECK_EQ(ci.sigalg, want_scheme);
    CHECK_EQ(si.sigalg, want_scheme);
    CHECK(strcmp(si.sni, "example.com") == 0);
    CHECK(!p.c->hrr && !p.s->hrr);
    static const size_t sizes[] = {1, 16383, 16384, 16385};
    for (size_t j = 0; j < 4; j++) {
        CHECK_EQ(echo(p.c, p.s, sizes[j]), 0);
        CHECK_EQ(echo(p.s, p.c, sizes[j]), 0);
    }
    if (big) {
        CHECK_EQ(echo(p.c, p.s, big), 0);
        CHECK_EQ(echo(p.s, p.c, big), 0);
    }
    free_pair(&p);
}

/* Every suite with every group (a P-256 key), every key type with every suite (X25519); the
 * signature scheme is the 1.3 one of the key (RSA: PSS, never PKCS#1 v1.5). */
static void every_suite_group_and_key(void)
{
    static const struct {
        mt_key_type type;
        unsigned bits;
        uint16_t scheme;
    } keys[] = {{MT_KEY_EC_P256, 0, 0x0403}, {MT_KEY_EC_P384, 0, 0x0503},
                {MT_KEY_EC_P521, 0, 0x0603}, {MT_KEY_ED25519, 0, 0x0807},
                {MT_KEY_ED448, 0, 0x0808},   {MT_KEY_RSA, 2048, 0x0804}};
    size_t n = 0;
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        ident id;
        make_id(&id, keys[k].type, keys[k].bits);
        for (size_t i = 0; i < 5; i++) {
            if (k == 0) {
                for (size_t g = 0; g < sizeof(groups13) / sizeof(groups13[0]); g++) {
                    check_combo(&id, suites13[i], groups13[g], keys[k].scheme,
                                i == 0 && g == 0 ? 1 << 20 : 0);
                    n++;
                }
            } else {
                check_combo(&id, suites13[i], MT_GROUP_X25519, keys[k].scheme, 0);
                n++;
            }
        }
        free_id(&id);
    }
    CHECK_EQ(n, 5 * 8 + 5 * 5);
}

/* RFC 8446 4.1.4: the client's share is for a group the server does not take, but it lists
 * one the server does: HelloRetryRequest (with a cookie the server checks), then a second
 * ClientHello with the right share. */
static void hello_retry_request(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    static const uint16_t retry_to[] = {MT_GROUP_SECP384R1, 256, MT_GROUP_X448};
    for (size_t i = 0; i < 3; i++) {
        pair p;
        setup(&p, &id);
        one_group(&p.scfg, retry_to[i]);
        CHECK_EQ(run(&p), 0);
        mt_conn_info ci, si;
        mt_conn_get_info(p.c, &ci);
        mt_conn_get_info(p.s, &si);
        CHECK_EQ(ci.version, MT_TLS13);
        CHECK_EQ(ci.group, retry_to[i]);
        CHECK_EQ(si.group, retry_to[i]);
        CHECK(p.c->hrr && p.s->hrr);
        CHECK_EQ(echo(p.c, p.s, 1000), 0);
        CHECK_EQ(echo(p.s, p.c, 1000), 0);
        free_pair(&p);
    }
    /* no group in common at all: handshake_failure */
    pair p;
    setup(&p, &id);
    one_group(&p.ccfg, MT_GROUP_X25519);
    one_group(&p.scfg, MT_GROUP_SECP384R1);
    CHECK_EQ(run(&p), -MT_E_HANDSHAKE_FAILURE);
    CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_HANDSHAKE_FAILURE);
    free_pair(&p);
    /* a second HelloRetryRequest is unexpected_message (RFC 8446 4.1.4) */
    setup(&p, &id);
    one_group(&p.scfg, MT_GROUP_SECP384R1);
    CHECK_EQ(start(&p), 0);
    size_t len, used;
    const uint8_t *q = mt_conn_out(p.c, &len);
    CHECK_EQ(mt_conn_feed(p.s, q, len, &used), 0);
    mt_conn_out_done(p.c, len);
    q = mt_conn_out(p.s, &len);
    uint8_t hrr[1024];
    CHECK(len < sizeof(hrr));
    memcpy(hrr, q, len);
    CHECK_EQ(mt_conn_feed(p.c, hrr, len, &used), 0);
    CHECK_EQ(mt_conn_feed(p.c, hrr, len - 6, &used), -MT_E_UNEXPECTED_MESSAGE);
    free_pair(&p);
    free_id(&id);
}

/* supported_versions both ways: 1.2 with a 1.2-only peer, the downgrade sentinel (RFC 8446
 * 4.1.3), protocol_version when the ranges do not meet. */
static void version_negotiation(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    mt_conn_info ci;
    /* a 1.3 client and a 1.2 server: 1.2, no sentinel (the server cannot speak 1.3) */
    setup(&p, &id);
    p.scfg.max_version = MT_TLS12;
    CHECK_EQ(run(&p), 0);
    mt_conn_get_info(p.c, &ci);
    CHECK_EQ(ci.version, MT_TLS12);
    CHECK(memcmp(p.c->srand + 24, "DOWNGRD", 7) != 0);
    CHECK_EQ(echo(p.c, p.s, 100), 0);
    free_pair(&p);
    /* a 1.2 client and a 1.3 server: 1.2, and the server random says DOWNGRD\1 */
    setup(&p, &id);
    p.ccfg.max_version = MT_TLS12;
    CHECK_EQ(run(&p), 0);
    mt_conn_get_info(p.c, &ci);
    CHECK_EQ(ci.version, MT_TLS12);
    CHECK(memcmp(p.c->srand + 24, "DOWNGRD\x01", 8) == 0);
    free_pair(&p);
    /* a 1.2 ServerHello with the sentinel to a 1.3 client: illegal_parameter */
    setup(&p, &id);
    p.scfg.max_version = MT_TLS12;
    CHECK_EQ(start(&p), 0);
    size_t len, used;
    const uint8_t *q = mt_conn_out(p.c, &len);
    CHECK_EQ(mt_conn_feed(p.s, q, len, &used), 0);
    mt_conn_out_done(p.c, len);
    q = mt_conn_out(p.s, &len);
    uint8_t *fl = malloc(len);
    memcpy(fl, q, len);
    CHECK_EQ(fl[5], 2);
    memcpy(fl + 11 + 24, "DOWNGRD\x01", 8);
    CHECK_EQ(mt_conn_feed(p.c, fl, len, &used), -MT_E_ILLEGAL_PARAMETER);
    q = mt_conn_out(p.c, &len);
    CHECK(len == 7 && q[5] == 2 && q[6] == MT_ALERT_ILLEGAL_PARAMETER);
    free(fl);
    free_pair(&p);
    /* ranges that do not meet */
    setup(&p, &id);
    p.ccfg.min_version = MT_TLS13;
    p.scfg.max_version = MT_TLS12;
    CHECK_EQ(run(&p), -MT_E_PROTOCOL_VERSION);
    free_pair(&p);
    setup(&p, &id);
    p.ccfg.max_version = MT_TLS12;
    p.scfg.min_version = MT_TLS13;
    CHECK_EQ(run(&p), -MT_E_PROTOCOL_VERSION);
    CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_PROTOCOL_VERSION);
    free_pair(&p);
    /* a 1.3-only pair */
    setup(&p, &id);
    p.ccfg.min_version = p.scfg.min_version = MT_TLS13;
    CHECK_EQ(run(&p), 0);
    mt_conn_get_info(p.c, &ci);
    CHECK_EQ(ci.version, MT_TLS13);
    CHECK_EQ(mt_conn_renegotiate(p.c), -MT_E_RENEGOTIATION_TLS13);
    free_pair(&p);
    free_id(&id);
}

/* CertificateRequest (RFC 8446 4.3.2, 4.4.2.4): require with each key type, require without a
 * certificate (certificate_required), optional without one. */
static void client_certificates(void)
{
    ident sid;
    make_id(&sid, MT_KEY_EC_P256, 0);
    static const struct {
        mt_key_type type;
        unsigned bits;
    } keys[] = {{MT_KEY_EC_P384, 0}, {MT_KEY_ED25519, 0}, {MT_KEY_ED448, 0}, {MT_KEY_RSA, 2048}};
    for (size_t k = 0; k < 4; k++) {
        ident cid;
        make_id(&cid, keys[k].type, keys[k].bits);
        pair p;
        setup(&p, &sid);
        p.scfg.client_auth = MT_CLIENT_AUTH_REQUIRE;
        p.ccfg.chains[0] = &cid.chain;
        p.ccfg.nchains = 1;
        CHECK_EQ(run(&p), 0);
        const uint8_t *der;
        size_t dl;
        CHECK_EQ(mt_conn_peer_chain(p.s, 0, &der, &dl), 1);
        CHECK(dl == cid.cert.len && memcmp(der, cid.cert.p, dl) == 0);
        CHECK(p.s->cv_ok);
        CHECK_EQ(echo(p.c, p.s, 5000), 0);
        free_pair(&p);
        free_id(&cid);
    }
    pair p;
    setup(&p, &sid);
    p.scfg.client_auth = MT_CLIENT_AUTH_REQUIRE;
    CHECK_EQ(run(&p), -MT_E_CERTIFICATE_REQUIRED);
    CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_CERTIFICATE_REQUIRED);
    free_pair(&p);
    setup(&p, &sid);
    p.scfg.client_auth = MT_CLIENT_AUTH_OPTIONAL;
    CHECK_EQ(run(&p), 0);
    const uint8_t *der;
    size_t dl;
    CHECK_EQ(mt_conn_peer_chain(p.s, 0, &der, &dl), 0);
    CHECK_EQ(echo(p.s, p.c, 5000), 0);
    free_pair(&p);
    free_id(&sid);
}

/* Decisions (engine.h) work unchanged: the client's verdict on the chain, the server's
 * configuration by SNI, the server's verdict on a client chain. */
static void decisions(void)
{
    ident a, b;
    make_id(&a, MT_KEY_EC_P256, 0);
    make_id(&b, MT_KEY_ED25519, 0);
    pair p;
    /* client VERIFY: accepted, then refused */
    for (int accept = 1; accept >= 0; accept--) {
        setup(&p, &a);
        p.ccfg.verify_peer = 1;
        CHECK_EQ(run(&p), 0);
        CHECK_EQ(mt_conn_decision(p.c), MT_DECIDE_VERIFY);
        CHECK(!(mt_conn_status(p.c) & MT_ST_CONNECTED));
        const uint8_t *der;
        size_t dl;
        CHECK_EQ(mt_conn_peer_chain(p.c, 0, &der, &dl), 1);
        int rc = mt_conn_decide(p.c, accept ? 0 : -MT_E_BAD_CERTIFICATE);
        CHECK_EQ(rc, accept ? 0 : -MT_E_BAD_CERTIFICATE);
        rc = pump(p.c, p.s);
        if (accept) {
            CHECK_EQ(rc, 0);
            CHECK(mt_conn_status(p.c) & MT_ST_CONNECTED);
            CHECK_EQ(echo(p.c, p.s, 10), 0);
        } else {
            CHECK_EQ(mt_conn_peer_alert(p.s), MT_ALERT_BAD_CERTIFICATE);
        }
        free_pair(&p);
    }
    /* server SELECT by SNI: another config, another certificate */
    setup(&p, &a);
    mt_config other;
    mt_config_defaults(&other);
    other.chains[0] = &b.chain;
    other.nchains = 1;
    p.scfg.decide_select = 1;
    CHECK_EQ(run(&p), 0);
    CHECK_EQ(mt_conn_decision(p.s), MT_DECIDE_SELECT);
    const char *sni;
    const uint8_t *alpn;
    size_t alen;
    CHECK_EQ(mt_conn_hello(p.s, &sni, &alpn, &alen), 0);
    CHECK(strcmp(sni, "example.com") == 0);
    CHECK_EQ(mt_conn_set_config(p.s, &other), 0);
    CHECK_EQ(mt_conn_decide(p.s, 0), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    mt_conn_info ci;
    mt_conn_get_info(p.c, &ci);
    CHECK_EQ(ci.version, MT_TLS13);
    CHECK_EQ(ci.sigalg, 0x0807);
    const uint8_t *der;
    size_t dl;
    CHECK_EQ(mt_conn_peer_chain(p.c, 0, &der, &dl), 1);
    CHECK(dl == b.cert.len && memcmp(der, b.cert.p, dl) == 0);
    free_pair(&p);
    /* SELECT refused: unrecognized_name */
    setup(&p, &a);
    p.scfg.decide_select = 1;
    CHECK_EQ(run(&p), 0);
    CHECK_EQ(mt_conn_decide(p.s, -MT_E_UNRECOGNIZED_NAME), -MT_E_UNRECOGNIZED_NAME);
    pump(p.c, p.s);
    CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_UNRECOGNIZED_NAME);
    free_pair(&p);
    /* server VERIFY of a client chain, with HelloRetryRequest on the way */
    setup(&p, &a);
    p.scfg.client_auth = MT_CLIENT_AUTH_REQUIRE;
    p.scfg.verify_peer = 1;
    one_group(&p.scfg, MT_GROUP_SECP256R1);
    p.ccfg.chains[0] = &b.chain;
    p.ccfg.nchains = 1;
    CHECK_EQ(run(&p), 0);
    CHECK_EQ(mt_conn_decision(p.s), MT_DECIDE_VERIFY);
    CHECK_EQ(mt_conn_decide(p.s, 0), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK(mt_conn_status(p.s) & MT_ST_CONNECTED);
    CHECK_EQ(echo(p.s, p.c, 10), 0);
    free_pair(&p);
    free_id(&a);
    free_id(&b);
}

/* The key log (five NSS lines, the same on both sides) and the exporter (RFC 8446 7.5). */
static void keylog_and_exporter(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    setup(&p, &id);
    one_suite(&p.ccfg, 0x1302);
    CHECK_EQ(start(&p), 0);
    char kc[MT_CONN_KEYLOG_MAX], ks[MT_CONN_KEYLOG_MAX];
    CHECK_EQ(mt_conn_keylog(p.c, kc, sizeof(kc)), -MT_E_INVALID_ARG);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK_EQ(mt_conn_keylog(p.c, kc, sizeof(kc)), 0);
    CHECK_EQ(mt_conn_keylog(p.s, ks, sizeof(ks)), 0);
    CHECK_EQ(mt_conn_keylog(p.s, ks, 500), -MT_E_INVALID_ARG);
    CHECK(strcmp(kc, ks) == 0);
    static const char *const labels[] = {
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET ", "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
        "CLIENT_TRAFFIC_SECRET_0 ", "SERVER_TRAFFIC_SECRET_0 ", "EXPORTER_SECRET "};
    const char *line = kc;
    for (size_t i = 0; i < 5; i++) {
        CHECK(strncmp(line, labels[i], strlen(labels[i])) == 0);
        const char *nl = strchr(line, '\n');
        CHECK(nl != NULL);
        /* label, 64 hex of client random, space, 96 hex of a SHA-384 secret */
        CHECK_EQ((size_t)(nl - line), strlen(labels[i]) + 64 + 1 + 96);
        line = nl + 1;
    }
    CHECK_EQ(*line, '\0');
    uint8_t e1[40], e2[40], e3[40];
    CHECK_EQ(mt_conn_export(p.c, "EXPERIMENTAL x", (const uint8_t *)"ctx", 3, 1, e1, 40), 0);
    CHECK_EQ(mt_conn_export(p.s, "EXPERIMENTAL x", (const uint8_t *)"ctx", 3, 1, e2, 40), 0);
    CHECK(memcmp(e1, e2, 40) == 0);
    CHECK_EQ(mt_conn_export(p.s, "EXPERIMENTAL x", NULL, 0, 0, e3, 40), 0);
    CHECK(memcmp(e1, e3, 40) != 0);
    CHECK_EQ(mt_conn_export(p.c, "EXPERIMENTAL x", (const uint8_t *)"", 0, 1, e1, 40), 0);
    CHECK(memcmp(e1, e3, 40) == 0); /* no context = empty context in 1.3 */
    free_pair(&p);
    free_id(&id);
}

/* close_notify closes one direction only (RFC 8446 6.1): the other side may still write. */
static void half_close(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    setup(&p, &id);
    CHECK_EQ(run(&p), 0);
    CHECK_EQ(mt_conn_close(p.c), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK(mt_conn_status(p.s) & MT_ST_PEER_CLOSED);
    uint8_t b[8];
    size_t n;
    CHECK_EQ(mt_conn_read(p.s, b, sizeof(b), &n), -MT_E_CLOSED);
    CHECK_EQ(echo(p.s, p.c, 3000), 0);
    CHECK_EQ(mt_conn_write(p.c, b, 1, &n), -MT_E_CLOSED);
    CHECK_EQ(mt_conn_close(p.s), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK(mt_conn_status(p.c) & MT_ST_CLOSED);
    free_pair(&p);
    free_id(&id);
}

/* KeyUpdate (RFC 8446 4.6.3) both ways, with and without update_requested. */
static void key_update(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    setup(&p, &id);
    CHECK_EQ(run(&p), 0);
    CHECK_EQ(mt_conn_key_update(p.c, 1), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK(memcmp(p.c->c_ap, p.c->c_ap0, p.c->hlen) != 0);
    CHECK(memcmp(p.c->s_ap, p.c->s_ap0, p.c->hlen) != 0);
    CHECK(memcmp(p.c->s_ap, p.s->s_ap, p.c->hlen) == 0);
    CHECK_EQ(echo(p.c, p.s, 20000), 0);
    CHECK_EQ(echo(p.s, p.c, 20000), 0);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(mt_conn_key_update(p.s, 0), 0);
        CHECK_EQ(echo(p.s, p.c, 100), 0);
    }
    CHECK(memcmp(p.c->c_ap, p.s->c_ap, p.c->hlen) == 0);
    CHECK_EQ(echo(p.c, p.s, 100), 0);
    /* a bad request value */
    CHECK_EQ(mt_conn_send_hs(p.s, 24, (const uint8_t *)"\x02", 1), 0);
    CHECK_EQ(pump(p.c, p.s), -MT_E_ILLEGAL_PARAMETER);
    free_pair(&p);
    /* on a data limit (RFC 8446 5.5): after key_update_records records under one key, the
     * writer moves to new keys by itself; 100 records of 1 KiB with a limit of 8 */
    setup(&p, &id);
    p.ccfg.key_update_records = 8;
    CHECK_EQ(run(&p), 0);
    uint8_t ap0[MT_KS13_MAX_HASH];
    memcpy(ap0, p.c->c_ap, p.c->hlen);
    for (int i = 0; i < 100; i++) {
        CHECK_EQ(echo(p.c, p.s, 1024), 0);
        CHECK(p.c->wr.seq <= 8);
    }
    CHECK(memcmp(ap0, p.c->c_ap, p.c->hlen) != 0);
    CHECK(memcmp(p.c->c_ap, p.s->c_ap, p.c->hlen) == 0);
    /* the peer saw application data between them: no "too many KeyUpdates" */
    CHECK_EQ(echo(p.s, p.c, 1000), 0);
    free_pair(&p);
    free_id(&id);
}

/* 32 empty application records in a row are fine, the 33rd is not; a ChangeCipherSpec after the
 * handshake is unexpected_message (RFC 8446 5). */
static void records_after_handshake(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    setup(&p, &id);
    CHECK_EQ(run(&p), 0);
    for (int i = 0; i < 32; i++) {
        CHECK_EQ(mt_rec_seal(&p.s->wr, MT_CT_APPLICATION_DATA, 0x0303, (const uint8_t *)"", 0,
                             &p.s->out),
                 0);
    }
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK_EQ(echo(p.s, p.c, 10), 0);
    for (int i = 0; i < 33; i++) {
        CHECK_EQ(mt_rec_seal(&p.s->wr, MT_CT_APPLICATION_DATA, 0x0303, (const uint8_t *)"", 0,
                             &p.s->out),
                 0);
    }
    CHECK_EQ(pump(p.c, p.s), -MT_E_UNEXPECTED_MESSAGE);
    free_pair(&p);
    setup(&p, &id);
    CHECK_EQ(run(&p), 0);
    static const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
    size_t used;
    CHECK_EQ(mt_conn_feed(p.c, ccs, sizeof(ccs), &used), -MT_E_UNEXPECTED_MESSAGE);
    free_pair(&p);
    free_id(&id);
}

/* ---- rewriting the server's encrypted flight ---- */

/* Start a pair, take the client's ClientHello to the server and give the client the
 * ServerHello and CCS records; the rest of the server's flight (EncryptedExtensions ..
 * Finished) is decrypted with the server's handshake secret into msgs. */
/* The handshake messages in the protected records of q[0..len) (other records skipped),
 * opened with `from`'s handshake secret `secret`, into msgs; returns their length. */
static size_t open_flight(const mt_conn *from, const uint8_t *secret, const uint8_t *q, size_t len,
                          uint8_t *msgs, size_t cap)
{
    size_t n = 0;
    mt_rec_prot rd;
    memset(&rd, 0, sizeof(rd));
    CHECK_EQ(mt_ks13_set_prot(&rd, mt_ks13_suite_hash(from->suite), secret, from->hlen,
                              from->suite->aead),
             0);
    uint8_t rec[MT_REC_MAX];
    for (size_t at = 0; at + 5 <= len;) {
        size_t rl = (size_t)q[at + 3] << 8 | q[at + 4], off, k;
        uint8_t type = q[at];
        if (type == MT_CT_APPLICATION_DATA) {
            memcpy(rec, q + at + 5, rl);
            CHECK_EQ(mt_rec_open(&rd, &type, 0x0303, rec, rl, &off, &k), 0);
            CHECK_EQ(type, MT_CT_HANDSHAKE);
            CHECK(n + k <= cap);
            memcpy(msgs + n, rec + off, k);
            n += k;
        }
        at += 5 + rl;
    }
    mt_rec_prot_clear(&rd);
    return n;
}

/* Handshake messages sealed as `from` would (its handshake secret `secret`), fed to `to`. */
static int seal_and_feed(const mt_conn *from, const uint8_t *secret, mt_conn *to,
                         const uint8_t *msgs, size_t n)
{
    mt_rec_prot wr;
    mt_wr out;
    memset(&wr, 0, sizeof(wr));
    mt_wr_init_growable(&out, 1 << 20);
    CHECK_EQ(mt_ks13_set_prot(&wr, mt_ks13_suite_hash(from->suite), secret, from->hlen,
                              from->suite->aead),
             0);
    for (size_t at = 0; at < n;) {
        size_t k = n - at < 16384 ? n - at : 16384;
        CHECK_EQ(mt_rec_seal(&wr, MT_CT_HANDSHAKE, 0x0303, msgs + at, k, &out), 0);
        at += k;
    }
    size_t used;
    int rc = mt_conn_feed(to, out.p, out.len, &used);
    mt_wr_free(&out);
    mt_rec_prot_clear(&wr);
    return rc;
}

static size_t server_flight(pair *p, uint8_t *msgs, size_t cap)
{
    size_t len, used;
    CHECK_EQ(start(p), 0);
    const uint8_t *q = mt_conn_out(p->c, &len);
    CHECK_EQ(mt_conn_feed(p->s, q, len, &used), 0);
    mt_conn_out_done(p->c, len);
    q = mt_conn_out(p->s, &len);
    size_t sh = 5 + ((size_t)q[3] << 8 | q[4]), plain = sh + 6; /* ServerHello, CCS */
    CHECK_EQ(mt_conn_feed(p->c, q, plain, &used), 0);
    size_t n = open_flight(p->s, p->s->s_hs, q + plain, len - plain, msgs, cap);
    mt_conn_out_done(p->s, len);
    return n;
}

/* Encrypt msgs as the server would and feed them to the client. */
static int feed_client(pair *p, const uint8_t *msgs, size_t n)
{
    return seal_and_feed(p->s, p->s->s_hs, p->c, msgs, n);
}

/* Offsets and lengths (with header) of the messages in a stream. */
static size_t split_msgs(const uint8_t *m, size_t n, size_t *off, size_t *len, size_t max)
{
    size_t k = 0;
    for (size_t at = 0; at + 4 <= n && k < max; k++) {
        off[k] = at;
        len[k] = 4 + ((size_t)m[at + 1] << 16 | (size_t)m[at + 2] << 8 | m[at + 3]);
        at += len[k];
    }
    return k;
}

/* Each of EncryptedExtensions, Certificate, CertificateVerify, Finished cut at every length
 * (what follows dropped), sent twice, swapped with the next, or left out: the client fails with
 * an alert and never connects. */
static void server_flight_mangled(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    uint8_t m[8192], x[16384];
    size_t trials = 0, refused = 0;
    for (size_t target = 0; target < 4; target++) {
        for (size_t cut = 0;; cut++) {
            pair p;
            setup(&p, &id);
            size_t n = server_flight(&p, m, sizeof(m)), off[8], len[8];
            CHECK_EQ(split_msgs(m, n, off, len, 8), 4);
            size_t body = len[target] - 4;
            if (cut >= body) {
                free_pair(&p);
                break;
            }
            size_t xn = off[target] + 4 + cut;
            memcpy(x, m, xn);
            x[off[target] + 1] = (uint8_t)(cut >> 16);
            x[off[target] + 2] = (uint8_t)(cut >> 8);
            x[off[target] + 3] = (uint8_t)cut;
            int rc = feed_client(&p, x, xn);
            trials++;
            if (rc < 0) {
                refused++;
                size_t alen;
                const uint8_t *a = mt_conn_out(p.c, &alen);
                CHECK(a != NULL && alen > 0);
            }
            CHECK(!(mt_conn_status(p.c) & MT_ST_CONNECTED));
            free_pair(&p);
        }
        static const int wants[3] = {-MT_E_UNEXPECTED_MESSAGE, -MT_E_UNEXPECTED_MESSAGE,
                                     -MT_E_UNEXPECTED_MESSAGE};
        for (int how = 0; how < 3; how++) { /* twice, swapped, left out */
            pair p;
            setup(&p, &id);
            size_t n = server_flight(&p, m, sizeof(m)), off[8], len[8], xn = 0;
            split_msgs(m, n, off, len, 8);
            if (how == 1 && target == 3) {
                free_pair(&p);
                continue;
            }
            for (size_t i = 0; i < 4; i++) {
                size_t pick = i;
                if (how == 1 && (i == target || i == target + 1)) {
                    pick = i == target ? target + 1 : target;
                }
                if (how == 2 && i == target) {
                    continue;
                }
                memcpy(x + xn, m + off[pick], len[pick]);
                xn += len[pick];
                if (how == 0 && i == target) {
                    memcpy(x + xn, m + off[pick], len[pick]);
                    xn += len[pick];
                }
            }
            int rc = feed_client(&p, x, xn);
            if (how == 2 && target == 3) {
                /* without its Finished the client just waits */
                CHECK_EQ(rc, 0);
                CHECK(!(mt_conn_status(p.c) & MT_ST_CONNECTED));
                free_pair(&p);
                continue;
            }
            if (rc != wants[how]) {
                printf("# message %zu, way %d: %s\n", target, how, mt_err_name(rc));
            }
            CHECK_EQ(rc, wants[how]);
            free_pair(&p);
        }
    }
    printf("# %zu cut messages, %zu refused\n", trials, refused);
    CHECK(refused * 10 >= trials * 9);
    free_id(&id);
}

/* Rewritten server messages: extensions not allowed or not asked for in EncryptedExtensions, a
 * bad signature, a bad Finished. */
static void server_messages_rewritten(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    static const struct {
        uint8_t ee[16];
        size_t n;
        int want;
    } ees[] = {
        {{8, 0, 0, 6, 0, 4, 0x12, 0x34, 0, 0}, 10, -MT_E_UNSUPPORTED_EXTENSION},
        {{8, 0, 0, 6, 0, 4, 0, 51, 0, 0}, 10, -MT_E_ILLEGAL_PARAMETER},     /* key_share */
        {{8, 0, 0, 6, 0, 4, 0, 43, 0, 0}, 10, -MT_E_ILLEGAL_PARAMETER},     /* versions */
        {{8, 0, 0, 6, 0, 4, 0, 42, 0, 0}, 10, -MT_E_UNSUPPORTED_EXTENSION}, /* early_data */
        {{8, 0, 0, 9, 0, 7, 0, 16, 0, 3, 0, 1, 0}, 13, -MT_E_UNSUPPORTED_EXTENSION}, /* ALPN */
        /* well-formed, but not what the server signed: the transcript differs */
        {{8, 0, 0, 2, 0, 0}, 6, -MT_E_DECRYPT_ERROR},
        {{8, 0, 0, 1, 0}, 5, -MT_E_TRUNCATED},
        {{8, 0, 0, 4, 0, 2, 0, 0}, 8, -MT_E_TRUNCATED},
    };
    uint8_t m[8192], x[8192];
    for (size_t i = 0; i < sizeof(ees) / sizeof(ees[0]); i++) {
        pair p;
        setup(&p, &id);
        size_t n = server_flight(&p, m, sizeof(m)), off[8], len[8];
        split_msgs(m, n, off, len, 8);
        memcpy(x, ees[i].ee, ees[i].n);
        memcpy(x + ees[i].n, m + off[1], n - off[1]);
        int rc = feed_client(&p, x, ees[i].n + n - off[1]);
        if (ees[i].want == -MT_E_TRUNCATED) {
            CHECK(rc < 0 && mt_err_alert(rc) == MT_ALERT_DECODE_ERROR);
        } else {
            CHECK_EQ(rc, ees[i].want);
        }
        free_pair(&p);
    }
    /* a flipped bit in the signature, then in the Finished */
    for (int which = 2; which <= 3; which++) {
        pair p;
        setup(&p, &id);
        size_t n = server_flight(&p, m, sizeof(m)), off[8], len[8];
        split_msgs(m, n, off, len, 8);
        m[off[which] + len[which] - 1] ^= 1;
        CHECK_EQ(feed_client(&p, m, n), -MT_E_DECRYPT_ERROR);
        free_pair(&p);
    }
    /* a CertificateVerify with PKCS#1 v1.5 (rsa_pkcs1_sha256): never in 1.3 */
    pair p;
    setup(&p, &id);
    size_t n = server_flight(&p, m, sizeof(m)), off[8], len[8];
    split_msgs(m, n, off, len, 8);
    m[off[2] + 4] = 4;
    m[off[2] + 5] = 1;
    CHECK_EQ(feed_client(&p, m, n), -MT_E_ILLEGAL_PARAMETER);
    free_pair(&p);
    free_id(&id);
}

/* The hellos: extensions renamed away (missing_extension), every cut of the ServerHello, a
 * ServerHello with an extension it may not carry. */
/* The handshake message in record rec cut to `cut` bytes of body (record and message lengths
 * saying so), fed to `to`: 1 when refused with an alert queued, 0 when taken. */
static int feed_cut(mt_conn *to, uint8_t *rec, size_t cut)
{
    size_t used, alen;
    rec[3] = (uint8_t)((4 + cut) >> 8);
    rec[4] = (uint8_t)(4 + cut);
    rec[6] = 0;
    rec[7] = (uint8_t)(cut >> 8);
    rec[8] = (uint8_t)cut;
    if (mt_conn_feed(to, rec, 9 + cut, &used) == 0) {
        return 0;
    }
    CHECK(mt_conn_out(to, &alen) != NULL && alen > 0);
    return 1;
}

static void hellos_mangled(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    static const uint16_t needed[] = {EXT_SUPPORTED_GROUPS_T, EXT_SIGNATURE_ALGORITHMS_T,
                                      EXT_KEY_SHARE_T};
    for (size_t i = 0; i < 3; i++) {
        pair p;
        setup(&p, &id);
        CHECK_EQ(start(&p), 0);
        size_t len, used;
        const uint8_t *q = mt_conn_out(p.c, &len);
        uint8_t ch[2048];
        memcpy(ch, q, len);
        /* walk to the extensions: record 5, header 4, version 2, random 32, sid, suites, comp */
        size_t at = 5 + 4 + 2 + 32;
        at += 1 + ch[at];
        at += 2 + ((size_t)ch[at] << 8 | ch[at + 1]);
        at += 1 + ch[at];
        at += 2;
        int found = 0;
        while (at + 4 <= len) {
            uint16_t t = (uint16_t)(ch[at] << 8 | ch[at + 1]);
            size_t el = (size_t)ch[at + 2] << 8 | ch[at + 3];
            if (t == needed[i]) {
                ch[at] = 0xfa; /* an unknown (GREASE-like) type instead */
                ch[at + 1] = 0xfa;
                found = 1;
            }
            at += 4 + el;
        }
        CHECK(found);
        CHECK_EQ(mt_conn_feed(p.s, ch, len, &used), -MT_E_MISSING_EXTENSION);
        q = mt_conn_out(p.s, &len);
        CHECK(len == 7 && q[6] == MT_ALERT_MISSING_EXTENSION);
        free_pair(&p);
    }
    /* every cut of the ServerHello */
    size_t trials = 0, refused = 0;
    for (size_t cut = 0;; cut++) {
        pair p;
        setup(&p, &id);
        CHECK_EQ(start(&p), 0);
        size_t len, used;
        const uint8_t *q = mt_conn_out(p.c, &len);
        CHECK_EQ(mt_conn_feed(p.s, q, len, &used), 0);
        q = mt_conn_out(p.s, &len);
        uint8_t sh[512];
        size_t shl = 5 + ((size_t)q[3] << 8 | q[4]);
        memcpy(sh, q, shl);
        if (cut >= shl - 9) {
            free_pair(&p);
            break;
        }
        trials++;
        refused += feed_cut(p.c, sh, cut);
        free_pair(&p);
    }
    printf("# %zu cut ServerHellos, %zu refused\n", trials, refused);
    CHECK_EQ(refused, trials);
    /* an ALPN extension in the ServerHello (we offered ALPN: illegal_parameter), an unknown one
     * (unsupported_extension): the extensions block grows by the added bytes */
    static const uint8_t adds[2][8] = {{0, 16, 0, 4, 0, 2, 1, 'x'}, {0x12, 0x34, 0, 0}};
    static const size_t addn[2] = {8, 4};
    static const int want[2] = {-MT_E_ILLEGAL_PARAMETER, -MT_E_UNSUPPORTED_EXTENSION};
    for (int k = 0; k < 2; k++) {
        pair p;
        setup(&p, &id);
        static const uint8_t alpn[] = {1, 'x'};
        memcpy(p.ccfg.alpn, alpn, 2);
        p.ccfg.alpn_len = 2;
        CHECK_EQ(start(&p), 0);
        size_t len, used;
        const uint8_t *q = mt_conn_out(p.c, &len);
        CHECK_EQ(mt_conn_feed(p.s, q, len, &used), 0);
        q = mt_conn_out(p.s, &len);
        uint8_t sh[512];
        size_t shl = 5 + ((size_t)q[3] << 8 | q[4]);
        memcpy(sh, q, shl);
        memcpy(sh + shl, adds[k], addn[k]);
        size_t body = shl - 9 + addn[k];
        sh[3] = (uint8_t)((4 + body) >> 8);
        sh[4] = (uint8_t)(4 + body);
        sh[7] = (uint8_t)(body >> 8);
        sh[8] = (uint8_t)body;
        size_t ext = 9 + 2 + 32 + 1 + sh[9 + 34] + 3; /* extensions length field */
        size_t el = ((size_t)sh[ext] << 8 | sh[ext + 1]) + addn[k];
        sh[ext] = (uint8_t)(el >> 8);
        sh[ext + 1] = (uint8_t)el;
        CHECK_EQ(mt_conn_feed(p.c, sh, shl + addn[k], &used), want[k]);
        free_pair(&p);
    }
    free_id(&id);
}

/* The client's encrypted second flight ([Certificate CertificateVerify] Finished), decrypted
 * with its handshake secret; the server has had everything before it. */
static size_t client_flight(pair *p, uint8_t *msgs, size_t cap)
{
    size_t len, used;
    CHECK_EQ(start(p), 0);
    const uint8_t *q = mt_conn_out(p->c, &len);
    CHECK_EQ(mt_conn_feed(p->s, q, len, &used), 0);
    mt_conn_out_done(p->c, len);
    q = mt_conn_out(p->s, &len);
    CHECK_EQ(mt_conn_feed(p->c, q, len, &used), 0);
    mt_conn_out_done(p->s, len);
    q = mt_conn_out(p->c, &len);
    size_t n = open_flight(p->c, p->c->c_hs, q, len, msgs, cap);
    mt_conn_out_done(p->c, len);
    return n;
}
/* Encrypt msgs as the client would and feed them to the server. */
static int feed_server(pair *p, const uint8_t *msgs, size_t n)
{
    return seal_and_feed(p->c, p->c->c_hs, p->s, msgs, n);
}

/* The client's second flight rewritten: a bad signature, a bad Finished, a Finished twice,
 * CertificateVerify left out, an empty Certificate when one is required. */
static void client_flight_mangled(void)
{
    ident sid, cid;
    make_id(&sid, MT_KEY_EC_P256, 0);
    make_id(&cid, MT_KEY_ED25519, 0);
    uint8_t m[8192], x[8192];
    for (int how = 0; how < 5; how++) {
        static const int want[] = {-MT_E_DECRYPT_ERROR, -MT_E_DECRYPT_ERROR,
                                   -MT_E_UNEXPECTED_MESSAGE, -MT_E_UNEXPECTED_MESSAGE,
                                   -MT_E_CERTIFICATE_REQUIRED};
        pair p;
        setup(&p, &sid);
        p.scfg.client_auth = MT_CLIENT_AUTH_REQUIRE;
        p.ccfg.chains[0] = &cid.chain;
        p.ccfg.nchains = 1;
        size_t n = client_flight(&p, m, sizeof(m)), off[8], len[8], xn = n;
        CHECK_EQ(split_msgs(m, n, off, len, 8), 3);
        memcpy(x, m, n);
        switch (how) {
        case 0: /* signature */
            x[off[1] + len[1] - 1] ^= 1;
            break;
        case 1: /* Finished */
            x[off[2] + len[2] - 1] ^= 1;
            break;
        case 2: /* Finished twice */
            memcpy(x + n, m + off[2], len[2]);
            xn += len[2];
            break;
        case 3: /* no CertificateVerify */
            memcpy(x + off[1], m + off[2], len[2]);
            xn = off[1] + len[2];
            break;
        default: { /* an empty Certificate, then Finished (not what it signed: it fails first) */
            static const uint8_t empty[] = {11, 0, 0, 4, 0, 0, 0, 0};
            memcpy(x, empty, sizeof(empty));
            memcpy(x + sizeof(empty), m + off[2], len[2]);
            xn = sizeof(empty) + len[2];
            break;
        }
        }
        int rc = feed_server(&p, x, xn);
        if (rc != want[how]) {
            printf("# way %d: %s\n", how, mt_err_name(rc));
        }
        CHECK_EQ(rc, want[how]);
        CHECK(!(mt_conn_status(p.s) & MT_ST_CONNECTED));
        size_t alen;
        CHECK(mt_conn_out(p.s, &alen) != NULL && alen > 0);
        free_pair(&p);
    }
    free_id(&sid);
    free_id(&cid);
}

/* The ClientHello cut at every length (record and handshake lengths made to agree): refused
 * with an alert, never a crash or a hang. */
static void client_hello_cut(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    size_t trials = 0, refused = 0;
    for (size_t cut = 0;; cut++) {
        pair p;
        setup(&p, &id);
        CHECK_EQ(start(&p), 0);
        size_t len;
        const uint8_t *q = mt_conn_out(p.c, &len);
        uint8_t ch[2048];
        memcpy(ch, q, len);
        if (cut >= len - 9) {
            free_pair(&p);
            break;
        }
        trials++;
        refused += feed_cut(p.s, ch, cut);
        free_pair(&p);
    }
    printf("# %zu cut ClientHellos, %zu refused\n", trials, refused);
    CHECK(refused * 10 >= trials * 9);
    free_id(&id);
}

/* record_size_limit under 1.3 (RFC 8449 4: the limit counts the content type byte). */
static void record_size_limit13(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    setup(&p, &id);
    p.ccfg.record_size_limit = 513;
    p.scfg.record_size_limit = 1025;
    CHECK_EQ(run(&p), 0);
    mt_conn_info ci, si;
    mt_conn_get_info(p.c, &ci);
    mt_conn_get_info(p.s, &si);
    CHECK_EQ(ci.version, MT_TLS13);
    CHECK_EQ(ci.recv_limit, 513);
    CHECK_EQ(si.send_limit, 513);
    CHECK_EQ(si.recv_limit, 1025);
    CHECK_EQ(ci.send_limit, 1025);
    CHECK_EQ(echo(p.s, p.c, 20000), 0);
    CHECK_EQ(echo(p.c, p.s, 20000), 0);
    free_pair(&p);
    /* the same client against a 1.2 server: it announced 514, and takes that much */
    setup(&p, &id);
    p.ccfg.record_size_limit = 513;
    p.scfg.max_version = MT_TLS12;
    CHECK_EQ(run(&p), 0);
    mt_conn_get_info(p.c, &ci);
    CHECK_EQ(ci.version, MT_TLS12);
    CHECK_EQ(ci.recv_limit, 514);
    CHECK_EQ(echo(p.s, p.c, 20000), 0);
    free_pair(&p);
    free_id(&id);
}

/* A handshake with the server's cache, then (after data moved the ticket) the client's
 * session; a second pair resumes it with `cfg` tweaks applied by `hrr`. */
static int resume_pair(pair *p, ident *id, mt_cache *cache, const mt_session *s, int hrr)
{
    setup(p, id);
    p->scfg.cache = cache;
    if (hrr) {
        one_group(&p->scfg, MT_GROUP_SECP384R1);
    }
    int rc = start(p);
    if (rc == 0 && s) {
        rc = mt_conn_resume(p->c, s);
    }
    return rc ? rc : pump(p->c, p->s);
}

/* PSK resumption (RFC 8446 2.2, 4.2.11, 4.6.1): the server's NewSessionTicket, the client's
 * session from it, a resumed handshake (psk_dhe_ke, no certificates), with a
 * HelloRetryRequest too; a wrong binder is decrypt_error; an unknown ticket a full handshake. */
static void psk_resumption(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    mt_cache *cache;
    CHECK_EQ(mt_cache_new(10, 600, &cache), 0);
    pair p;
    const uint8_t *der;
    size_t dl;
    CHECK_EQ(resume_pair(&p, &id, cache, NULL, 0), 0);
    mt_session s;
    CHECK_EQ(echo(p.s, p.c, 10), 0);
    CHECK_EQ(mt_conn_session(p.c, &s), 0);
    CHECK_EQ(mt_conn_session(p.s, &s), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_conn_session(p.c, &s), 0);
    CHECK_EQ(s.version, MT_TLS13);
    CHECK_EQ(s.ticket_len, 32);
    CHECK_EQ(mt_cache_count(cache), 1);
    free_pair(&p);
    for (int hrr = 0; hrr < 2; hrr++) {
        CHECK_EQ(resume_pair(&p, &id, cache, &s, hrr), 0);
        mt_conn_info ci, si;
        mt_conn_get_info(p.c, &ci);
        mt_conn_get_info(p.s, &si);
        CHECK_EQ(ci.version, MT_TLS13);
        CHECK(ci.resumed && si.resumed);
        CHECK_EQ(p.c->hrr, hrr);
        CHECK_EQ(mt_conn_peer_chain(p.c, 99, &der, &dl), 0);
        CHECK_EQ(echo(p.c, p.s, 3000), 0);
        CHECK_EQ(echo(p.s, p.c, 3000), 0);
        free_pair(&p);
    }
    /* a session whose PSK is not the server's: the binder fails */
    mt_session bad = s;
    bad.master[0] ^= 1;
    CHECK_EQ(resume_pair(&p, &id, cache, &bad, 0), -MT_E_DECRYPT_ERROR);
    CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_DECRYPT_ERROR);
    free_pair(&p);
    /* a server that does not know the ticket: a full handshake */
    mt_cache *other;
    CHECK_EQ(mt_cache_new(10, 600, &other), 0);
    CHECK_EQ(resume_pair(&p, &id, other, &s, 0), 0);
    mt_conn_info ci;
    mt_conn_get_info(p.c, &ci);
    CHECK(!ci.resumed);
    CHECK_EQ(mt_conn_peer_chain(p.c, 99, &der, &dl), 1);
    free_pair(&p);
    mt_cache_free(other);
    mt_cache_free(cache);
    mt_session_wipe(&s);
    mt_session_wipe(&bad);
    free_id(&id);
}

int main(void)
{
    RUN(basic);
    RUN(every_suite_group_and_key);
    RUN(hello_retry_request);
    RUN(version_negotiation);
    RUN(client_certificates);
    RUN(decisions);
    RUN(keylog_and_exporter);
    RUN(half_close);
    RUN(key_update);
    RUN(records_after_handshake);
    RUN(server_flight_mangled);
    RUN(server_messages_rewritten);
    RUN(hellos_mangled);
    RUN(client_flight_mangled);
    RUN(client_hello_cut);
    RUN(record_size_limit13);
    RUN(psk_resumption);
    return t_done();
}
