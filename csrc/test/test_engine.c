/* Two engines wired together in memory: TLS 1.2 handshakes, data, alerts, negative cases. */
#include <stdlib.h>

#include "../asn1.h"
#include "../engine.h"
#include "../engine_int.h" /* the record limits, overridden to make an engine misbehave */
#include "../err.h"
#include "../kex.h"
#include "../keys.h"
#include "../record.h"
#include "../suites.h"
#include "pair.h"
#include "t.h"

/* These pairs test TLS 1.2 (test_engine13.c tests 1.3): the defaults, capped at 1.2. */
static void config12(mt_config *cfg)
{
    mt_config_defaults(cfg);
    cfg->max_version = MT_TLS12;
}

/* In-flight edits of the client's second flight (Certificate ... CCS Finished), for the client
 * certificate tests; applied once, by pump, to bytes coming from `tamper_from`. */
enum {
    T_NONE,
    T_CORRUPT_SIG, /* flip a bit of the CertificateVerify signature */
    T_SCHEME,      /* rewrite the CertificateVerify scheme to tamper_scheme */
    T_DROP_CV,     /* leave CertificateVerify out */
    T_CV_FIRST,    /* CertificateVerify before ClientKeyExchange */
    T_INJECT_CV,   /* add a CertificateVerify after ClientKeyExchange */
};
static int tamper_mode;
static uint16_t tamper_scheme;
static const mt_conn *tamper_from;

typedef struct rec_span {
    size_t off, len;
} rec_span;

/* Index of the record carrying handshake message `type` in the clear (before any CCS), or -1. */
static int find_hs(const uint8_t *p, const rec_span *r, size_t nr, uint8_t type)
{
    for (size_t i = 0; i < nr; i++) {
        if (p[r[i].off] == 20) {
            return -1;
        }
        if (p[r[i].off] == 22 && r[i].len > 5 && p[r[i].off + 5] == type) {
            return (int)i;
        }
    }
    return -1;
}

/* The edited flight in a new buffer (*len updated), or NULL when this is not the flight. */
static uint8_t *tamper(const uint8_t *p, size_t *len)
{
    rec_span r[16] = {{0, 0}};
    size_t nr = 0;
    for (size_t off = 0; off + 5 <= *len && nr < 16; nr++) {
        r[nr].off = off;
        r[nr].len = 5 + ((size_t)p[off + 3] << 8 | p[off + 4]);
        off += r[nr].len;
    }
    int cke = find_hs(p, r, nr, 16), cv = find_hs(p, r, nr, 15);
    if (cke < 0) {
        return NULL;
    }
    static const uint8_t fake_cv[] = {22, 3, 3, 0, 10, 15, 0, 0, 6, 4, 3, 0, 2, 0x30, 0};
    uint8_t *q = malloc(*len + sizeof(fake_cv));
    size_t n = 0;
    for (size_t i = 0; i < nr; i++) {
        if ((int)i == cv && (tamper_mode == T_DROP_CV || tamper_mode == T_CV_FIRST)) {
            continue;
        }
        if ((int)i == cke && tamper_mode == T_CV_FIRST && cv >= 0) {
            memcpy(q + n, p + r[cv].off, r[cv].len);
            n += r[cv].len;
        }
        memcpy(q + n, p + r[i].off, r[i].len);
        if ((int)i == cv && tamper_mode == T_CORRUPT_SIG) {
            q[n + r[i].len - 1] ^= 0x01;
        }
        if ((int)i == cv && tamper_mode == T_SCHEME) {
            q[n + 9] = (uint8_t)(tamper_scheme >> 8);
            q[n + 10] = (uint8_t)tamper_scheme;
        }
        n += r[i].len;
        if ((int)i == cke && tamper_mode == T_INJECT_CV) {
            memcpy(q + n, fake_cv, sizeof(fake_cv));
            n += sizeof(fake_cv);
        }
        if ((int)i == cv && (tamper_mode == T_CORRUPT_SIG || tamper_mode == T_SCHEME)) {
            break; /* no CCS and Finished: the failure must come from CertificateVerify itself */
        }
    }
    *len = n;
    tamper_mode = T_NONE;
    return q;
}

/* Record sizes seen by pump, per sending engine: the largest fragment (header length field). */
static struct scan_slot {
    const mt_conn *from;
    uint8_t hdr[5];
    size_t hn, left, max;
} scan[2];

static void scan_reset(void)
{
    memset(scan, 0, sizeof(scan));
}

static size_t scan_max(const mt_conn *from)
{
    for (int i = 0; i < 2; i++) {
        if (scan[i].from == from) {
            return scan[i].max;
        }
    }
    return 0;
}

static void scan_bytes(const mt_conn *from, const uint8_t *p, size_t n)
{
    struct scan_slot *s = scan[0].from == from || !scan[0].from ? &scan[0] : &scan[1];
    s->from = from;
    for (size_t i = 0; i < n;) {
        if (s->left == 0) {
            s->hdr[s->hn++] = p[i++];
            if (s->hn == 5) {
                s->left = (size_t)s->hdr[3] << 8 | s->hdr[4];
                s->max = s->left > s->max ? s->left : s->max;
                s->hn = 0;
            }
            continue;
        }
        size_t k = s->left < n - i ? s->left : n - i;
        s->left -= k;
        i += k;
    }
}

/* pump's hooks (main sets them): the pending tamper edit, the record sizes. */
static uint8_t *tamper_hook(const mt_conn *from, const uint8_t *p, size_t *len)
{
    return tamper_mode && from == tamper_from ? tamper(p, len) : NULL;
}

/* Handshake with one suite (0: the defaults); c_no_etm / s_no_etm switch encrypt_then_mac off on
 * the client / server. */
static int handshake_etm(pair *p, ident *id, uint16_t suite, int c_no_etm, int s_no_etm)
{
    setup(p, id);
    p->ccfg.max_version = p->scfg.max_version = MT_TLS12;
    if (suite) {
        p->ccfg.suites[0] = p->scfg.suites[0] = suite;
        p->ccfg.nsuites = p->scfg.nsuites = 1;
    }
    p->ccfg.no_etm = c_no_etm;
    p->scfg.no_etm = s_no_etm;
    return run(p);
}

static int handshake(pair *p, ident *id, uint16_t suite)
{
    return handshake_etm(p, id, suite, 0, 0);
}

/* Every ECDHE suite with every key that fits. CBC suites run three times: encrypt_then_mac on
 * both sides, off on the client, off on the server (RFC 7366: then MAC-then-encrypt), and move
 * 1 MiB each way with the first key of their kind. */
static void every_suite_and_key(void)
{
    static const struct {
        mt_key_type type;
        unsigned bits;
        int rsa, first;
    } keys[] = {{MT_KEY_EC_P256, 0, 0, 1}, {MT_KEY_EC_P384, 0, 0, 0}, {MT_KEY_EC_P521, 0, 0, 0},
                {MT_KEY_ED25519, 0, 0, 0}, {MT_KEY_ED448, 0, 0, 0},   {MT_KEY_RSA, 2048, 1, 1}};
    static const struct {
        int c_off, s_off;
    } modes[] = {{0, 0}, {1, 0}, {0, 1}};
    size_t ncbc = 0;
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        ident id;
        make_id(&id, keys[k].type, keys[k].bits);
        for (size_t i = 0; mt_suites_all[i]; i++) {
            const mt_suite *s = mt_suite_by_id(mt_suites_all[i]);
            if (s->kx == MT_KX_TLS13 || (s->auth == MT_AUTH_RSA) != keys[k].rsa) {
                continue;
            }
            ncbc += s->cbc != NULL;
            for (size_t m = 0; m < (s->cbc ? 3u : 1u); m++) {
                pair p;
                int rc = handshake_etm(&p, &id, s->id, modes[m].c_off, modes[m].s_off);
                if (rc != 0) {
                    printf("# %s with key %zu, mode %zu: %s\n", s->name, k, m, mt_err_name(rc));
                }
                CHECK_EQ(rc, 0);
                CHECK(mt_conn_status(p.c) & MT_ST_CONNECTED);
                CHECK(mt_conn_status(p.s) & MT_ST_CONNECTED);
                mt_conn_info ci, si;
                mt_conn_get_info(p.c, &ci);
                mt_conn_get_info(p.s, &si);
                CHECK_EQ(ci.suite, s->id);
                CHECK_EQ(si.suite, s->id);
                CHECK_EQ(ci.version, MT_TLS12);
                CHECK(ci.ems && si.ems);
                int want_etm = s->cbc != NULL && m == 0;
                CHECK_EQ(ci.etm, want_etm);
                CHECK_EQ(si.etm, want_etm);
                CHECK(strcmp(si.sni, "example.com") == 0);
                static const size_t sizes[] = {1, 16383, 16384, 0};
                for (size_t j = 0; sizes[j]; j++) {
                    CHECK_EQ(echo(p.c, p.s, sizes[j]), 0);
                    CHECK_EQ(echo(p.s, p.c, sizes[j]), 0);
                }
                if (keys[k].first && m < 2) {
                    CHECK_EQ(echo(p.c, p.s, 1 << 20), 0);
                    CHECK_EQ(echo(p.s, p.c, 1 << 20), 0);
                }
                free_pair(&p);
            }
        }
        free_id(&id);
    }
    /* 6 ECDSA CBC suites with five keys; 6 ECDHE, 8 DHE and 8 RSA-transport CBC suites with
     * the RSA key */
    CHECK_EQ(ncbc, 6 * 5 + 6 + 8 + 8);
}

static void one_mib_both_ways_and_close(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    CHECK_EQ(handshake(&p, &id, 0), 0);
    CHECK_EQ(echo(p.c, p.s, 1 << 20), 0);
    CHECK_EQ(echo(p.s, p.c, 1 << 20), 0);
    uint8_t ek[32], sk[32];
    CHECK_EQ(mt_conn_export(p.c, "EXPERIMENTAL test", (const uint8_t *)"ctx", 3, 1, ek, 32), 0);
    CHECK_EQ(mt_conn_export(p.s, "EXPERIMENTAL test", (const uint8_t *)"ctx", 3, 1, sk, 32), 0);
    CHECK(memcmp(ek, sk, 32) == 0);
    CHECK_EQ(mt_conn_close(p.c), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK(mt_conn_status(p.s) & MT_ST_PEER_CLOSED);
    uint8_t b[4];
    size_t n;
    CHECK_EQ(mt_conn_read(p.s, b, sizeof(b), &n), -MT_E_CLOSED);
    CHECK_EQ(mt_conn_write(p.c, b, 1, &n), -MT_E_CLOSED);
    free_pair(&p);
    free_id(&id);
}

static void no_common_suite(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    /* an RSA suite against an ECDSA-only server */
    int rc = handshake(&p, &id, 0xc02f);
    /* (both configs were set to the RSA suite; the server has only an ECDSA key) */
    CHECK_EQ(rc, -MT_E_HANDSHAKE_FAILURE);
    CHECK_EQ(mt_conn_error(p.c), -MT_E_PEER_ALERT);
    CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_HANDSHAKE_FAILURE);
    free_pair(&p);
    free_id(&id);
}

static void corrupted_records_fail(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    CHECK_EQ(handshake(&p, &id, 0), 0);
    size_t n, len, used;
    CHECK_EQ(mt_conn_write(p.c, (const uint8_t *)"hello", 5, &n), 0);
    const uint8_t *out = mt_conn_out(p.c, &len);
    uint8_t *copy = malloc(len);
    memcpy(copy, out, len);
    copy[len - 1] ^= 1;
    CHECK_EQ(mt_conn_feed(p.s, copy, len, &used), -MT_E_BAD_RECORD_MAC);
    /* the server queued a bad_record_mac alert and stays failed */
    const uint8_t *alert = mt_conn_out(p.s, &len);
    CHECK(alert != NULL && len > 0);
    CHECK_EQ(mt_conn_feed(p.s, copy, 1, &used), -MT_E_BAD_RECORD_MAC);
    free(copy);
    free_pair(&p);
    free_id(&id);
}

/* One CBC record from client to server, changed by `tamper`; returns the server's feed result and
 * checks that the client then fails with the alert the server sent. */
static int feed_tampered(pair *p, int tamper, int want_alert)
{
    uint8_t data[100];
    size_t n, len, used;
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)i;
    }
    CHECK_EQ(mt_conn_write(p->c, data, sizeof(data), &n), 0);
    const uint8_t *out = mt_conn_out(p->c, &len);
    uint8_t *copy = malloc(len);
    memcpy(copy, out, len);
    mt_conn_out_done(p->c, len);
    switch (tamper) {
    case 1: /* the explicit IV */
        copy[5] ^= 0x80;
        break;
    case 2: /* a ciphertext byte in the middle */
        copy[5 + len / 2] ^= 0x01;
        break;
    case 3: /* the last byte: padding length (MAC-then-encrypt) or MAC (EtM) */
        copy[len - 1] ^= 0x01;
        break;
    case 4: /* one block less */
        len -= 16;
        break;
    case 5: /* not a whole number of blocks */
        len -= 1;
        break;
    case 6: /* nothing but the IV */
        len = 5 + 16;
        break;
    case 7: /* RFC 5246 E.1: a record version other than the negotiated one */
        copy[2] = 0x02;
        break;
    default: /* 0: untouched */
        break;
    }
    copy[3] = (uint8_t)((len - 5) >> 8);
    copy[4] = (uint8_t)(len - 5);
    int rc = mt_conn_feed(p->s, copy, len, &used);
    if (rc == 0) {
        uint8_t got[sizeof(data)];
        CHECK_EQ(mt_conn_read(p->s, got, sizeof(got), &n), 0);
        CHECK(n == sizeof(data) && memcmp(got, data, n) == 0);
    } else {
        /* the server's alert, under its CBC keys, reaches the client */
        const uint8_t *alert = mt_conn_out(p->s, &len);
        CHECK(alert != NULL && len > 0);
        CHECK_EQ(mt_conn_feed(p->c, alert, len, &used), -MT_E_PEER_ALERT);
        CHECK_EQ(mt_conn_peer_alert(p->c), want_alert);
    }
    free(copy);
    return rc;
}

static void cbc_tampered_records_fail(void)
{
    ident ec, rsa;
    make_id(&ec, MT_KEY_EC_P256, 0);
    make_id(&rsa, MT_KEY_RSA, 2048);
    static const uint16_t suites[] = {0xc009, 0xc024, 0xc073, 0xc013, 0xc027, 0xc076};
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        const mt_suite *s = mt_suite_by_id(suites[i]);
        for (int etm = 0; etm < 2; etm++) {
            for (int t = 0; t <= 7; t++) {
                pair p;
                ident *id = s->auth == MT_AUTH_RSA ? &rsa : &ec;
                CHECK_EQ(handshake_etm(&p, id, s->id, !etm, 0), 0);
                mt_conn_info ci;
                mt_conn_get_info(p.c, &ci);
                CHECK_EQ(ci.etm, etm);
                int want = t == 0 ? 0 : t == 7 ? -MT_E_PROTOCOL_VERSION : -MT_E_BAD_RECORD_MAC;
                int alert = t == 7 ? MT_ALERT_PROTOCOL_VERSION : MT_ALERT_BAD_RECORD_MAC;
                int rc = feed_tampered(&p, t, alert);
                if (rc != want) {
                    printf("# %s etm %d tamper %d: %s\n", s->name, etm, t, mt_err_name(rc));
                }
                CHECK_EQ(rc, want);
                free_pair(&p);
            }
        }
    }
    free_id(&ec);
    free_id(&rsa);
}

/* 1 if the client's first flight (one record holding the ClientHello) carries extension `type`. */
static int hello_has_ext(const mt_conn *c, uint16_t type)
{
    size_t len;
    const uint8_t *rec = mt_conn_out(c, &len);
    mt_rd r, sid, suites, comps, exts;
    uint8_t u8;
    uint16_t u16;
    uint32_t u24;
    int rc = 0;
    mt_rd_init(&r, rec, len);
    rc |= mt_rd_skip(&r, 5);
    rc |= mt_rd_u8(&r, &u8);
    rc |= mt_rd_u24(&r, &u24);
    rc |= mt_rd_u16(&r, &u16);
    rc |= mt_rd_skip(&r, 32);
    rc |= mt_rd_vec8(&r, &sid);
    rc |= mt_rd_vec16(&r, &suites);
    rc |= mt_rd_vec8(&r, &comps);
    rc |= mt_rd_vec16(&r, &exts);
    rc |= mt_rd_end(&r);
    CHECK_EQ(rc, 0);
    int found = 0;
    while (rc == 0 && mt_rd_left(&exts) > 0) {
        mt_rd d;
        rc |= mt_rd_u16(&exts, &u16);
        rc |= mt_rd_vec16(&exts, &d);
        found |= rc == 0 && u16 == type && mt_rd_left(&d) == 0;
    }
    CHECK_EQ(rc, 0);
    return found;
}

/* Deliver the server's flight to the client with `ext` (n bytes) added to the ServerHello's
 * extensions (n = 0: unchanged); returns the client's feed result. */
static int feed_sh_with_ext(mt_conn *s, mt_conn *c, const uint8_t *ext, size_t n)
{
    size_t len, used;
    const uint8_t *out = mt_conn_out(s, &len);
    mt_rd r, sid;
    uint8_t u8;
    uint16_t u16, rl;
    uint32_t hl;
    const uint8_t *body;
    int rc = 0;
    mt_rd_init(&r, out, len);
    rc |= mt_rd_skip(&r, 3);
    rc |= mt_rd_u16(&r, &rl);
    rc |= mt_rd_u8(&r, &u8);
    rc |= mt_rd_u24(&r, &hl);
    rc |= mt_rd_borrow(&r, hl, &body);
    CHECK_EQ(rc, 0);
    mt_rd_init(&r, body, hl);
    rc |= mt_rd_skip(&r, 34);
    rc |= mt_rd_vec8(&r, &sid);
    rc |= mt_rd_skip(&r, 3);
    size_t ext_at = r.off;
    rc |= mt_rd_u16(&r, &u16);
    CHECK_EQ(rc, 0);
    mt_wr w;
    mt_wr_init_growable(&w, 1 << 20);
    rc |= mt_wr_u8(&w, MT_CT_HANDSHAKE);
    rc |= mt_wr_u16(&w, 0x0303);
    rc |= mt_wr_u16(&w, (uint16_t)(rl + n));
    rc |= mt_wr_u8(&w, u8);
    rc |= mt_wr_u24(&w, (uint32_t)(hl + n));
    rc |= mt_wr_bytes(&w, body, ext_at);
    rc |= mt_wr_u16(&w, (uint16_t)(u16 + n));
    rc |= mt_wr_bytes(&w, body + ext_at + 2, hl - ext_at - 2);
    rc |= mt_wr_bytes(&w, ext, n);
    rc |= mt_wr_bytes(&w, out + 5 + rl, len - 5 - rl);
    CHECK_EQ(rc, 0);
    mt_conn_out_done(s, len);
    rc = mt_conn_feed(c, w.p, w.len, &used);
    mt_wr_free(&w);
    return rc;
}

/* RFC 7366 2-3: offered only with CBC suites, accepted only for a CBC suite. */
static void etm_negotiation(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    mt_config cc, sc;
    mt_conn *c, *s;
    size_t len, used;
    config12(&cc);
    config12(&sc);
    sc.chains[0] = &id.chain;
    sc.nchains = 1;
    /* the defaults have no CBC suite: no encrypt_then_mac */
    CHECK_EQ(mt_conn_new(&cc, 0, NULL, &c), 0);
    CHECK(!hello_has_ext(c, 22));
    CHECK(hello_has_ext(c, 23)); /* the parser sees the extensions that are there */
    mt_conn_free(c);
    /* a CBC suite after the AEAD ones: offered */
    cc.suites[cc.nsuites++] = 0xc009;
    CHECK_EQ(mt_conn_new(&cc, 0, NULL, &c), 0);
    CHECK(hello_has_ext(c, 22));
    mt_conn_free(c);
    /* switched off: not offered */
    cc.no_etm = 1;
    CHECK_EQ(mt_conn_new(&cc, 0, NULL, &c), 0);
    CHECK(!hello_has_ext(c, 22));
    mt_conn_free(c);
    cc.no_etm = 0;
    /* offered, but the server picks an AEAD suite: not echoed, not used */
    static const uint8_t etm_ext[] = {0x00, 0x16, 0x00, 0x00};
    for (int inject = 0; inject < 2; inject++) {
        CHECK_EQ(mt_conn_new(&cc, 0, NULL, &c), 0);
        CHECK_EQ(mt_conn_new(&sc, 1, NULL, &s), 0);
        const uint8_t *hello = mt_conn_out(c, &len);
        CHECK_EQ(mt_conn_feed(s, hello, len, &used), 0);
        mt_conn_out_done(c, len);
        int rc = feed_sh_with_ext(s, c, etm_ext, inject ? sizeof(etm_ext) : 0);
        /* RFC 7366 3: a server must not echo it with an AEAD suite */
        CHECK_EQ(rc, inject ? -MT_E_ILLEGAL_PARAMETER : 0);
        if (!inject) {
            CHECK_EQ(pump(c, s), 0);
            mt_conn_info ci, si;
            mt_conn_get_info(c, &ci);
            mt_conn_get_info(s, &si);
            CHECK(mt_conn_status(c) & MT_ST_CONNECTED);
            CHECK_EQ(ci.suite, 0xc02b); /* the server's first ECDHE suite for its key */
            CHECK_EQ(ci.etm, 0);
            CHECK_EQ(si.etm, 0);
        }
        mt_conn_free(c);
        mt_conn_free(s);
    }
    /* not offered at all: an echo is an extension we did not offer */
    cc.nsuites--;
    CHECK_EQ(mt_conn_new(&cc, 0, NULL, &c), 0);
    CHECK_EQ(mt_conn_new(&sc, 1, NULL, &s), 0);
    const uint8_t *hello = mt_conn_out(c, &len);
    CHECK_EQ(mt_conn_feed(s, hello, len, &used), 0);
    mt_conn_out_done(c, len);
    CHECK_EQ(feed_sh_with_ext(s, c, etm_ext, sizeof(etm_ext)), -MT_E_UNSUPPORTED_EXTENSION);
    mt_conn_free(c);
    mt_conn_free(s);
    free_id(&id);
}

static void verify_decision_pauses_client(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    config12(&p.ccfg);
    config12(&p.scfg);
    p.ccfg.verify_peer = 1;
    p.scfg.chains[0] = &id.chain;
    p.scfg.nchains = 1;
    CHECK_EQ(mt_conn_new(&p.ccfg, 0, NULL, &p.c), 0);
    CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &p.s), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK_EQ(mt_conn_decision(p.c), MT_DECIDE_VERIFY);
    CHECK(!(mt_conn_status(p.c) & MT_ST_CONNECTED));
    const uint8_t *der;
    size_t len;
    CHECK_EQ(mt_conn_peer_chain(p.c, 0, &der, &len), 1);
    CHECK(len == id.cert.len && memcmp(der, id.cert.p, len) == 0);
    /* refuse: the client fails with the verdict and tells the server */
    CHECK_EQ(mt_conn_decide(p.c, -MT_E_UNKNOWN_CA), -MT_E_UNKNOWN_CA);
    CHECK(pump(p.c, p.s) < 0);
    CHECK_EQ(mt_conn_peer_alert(p.s), MT_ALERT_UNKNOWN_CA);
    free_pair(&p);
    /* accept: the handshake completes */
    CHECK_EQ(mt_conn_new(&p.ccfg, 0, NULL, &p.c), 0);
    CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &p.s), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK_EQ(mt_conn_decide(p.c, 0), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK(mt_conn_status(p.c) & MT_ST_CONNECTED);
    free_pair(&p);
    free_id(&id);
}

/* Feeding the client's first flight to the server byte by byte, and every truncation of the
 * ClientHello as a complete message, must never crash; truncations give decode errors. */
static void client_hello_truncated_everywhere(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    mt_config cc, sc;
    config12(&cc);
    config12(&sc);
    sc.chains[0] = &id.chain;
    sc.nchains = 1;
    mt_conn *c;
    CHECK_EQ(mt_conn_new(&cc, 0, "example.com", &c), 0);
    size_t len;
    const uint8_t *rec = mt_conn_out(c, &len);
    /* record header (5) + handshake header (4) + body */
    size_t body = len - 9;
    for (size_t cut = 0; cut < body; cut++) {
        uint8_t *m = malloc(9 + cut);
        memcpy(m, rec, 9 + cut);
        /* fix the record and handshake lengths so the message is "complete" but short */
        m[3] = (uint8_t)((4 + cut) >> 8);
        m[4] = (uint8_t)(4 + cut);
        m[6] = (uint8_t)(cut >> 16);
        m[7] = (uint8_t)(cut >> 8);
        m[8] = (uint8_t)cut;
        mt_conn *s;
        size_t used;
        CHECK_EQ(mt_conn_new(&sc, 1, NULL, &s), 0);
        int rc = mt_conn_feed(s, m, 9 + cut, &used);
        if (!(rc == -MT_E_TRUNCATED || rc == -MT_E_BAD_LENGTH || rc == -MT_E_DECODE ||
              rc == -MT_E_HANDSHAKE_FAILURE)) {
            printf("# cut %zu: %s\n", cut, mt_err_name(rc));
            CHECK(0);
        }
        CHECK_EQ(mt_err_alert(rc) >= 0, 1);
        mt_conn_free(s);
        free(m);
    }
    /* byte by byte: the whole hello arrives and the server answers */
    mt_conn *s;
    CHECK_EQ(mt_conn_new(&sc, 1, NULL, &s), 0);
    for (size_t i = 0; i < len; i++) {
        size_t used;
        CHECK_EQ(mt_conn_feed(s, rec + i, 1, &used), 0);
        CHECK_EQ(used, 1);
    }
    size_t olen;
    CHECK(mt_conn_out(s, &olen) != NULL && olen > 0);
    mt_conn_free(s);
    mt_conn_free(c);
    free_id(&id);
}

static void out_of_order_message(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    mt_config sc;
    config12(&sc);
    sc.chains[0] = &id.chain;
    sc.nchains = 1;
    mt_conn *s;
    CHECK_EQ(mt_conn_new(&sc, 1, NULL, &s), 0);
    /* a Finished before any hello */
    static const uint8_t fin[] = {22, 3, 3, 0, 16, 20, 0, 0,  12, 1, 2,
                                  3,  4, 5, 6, 7,  8,  9, 10, 11, 12};
    size_t used;
    CHECK_EQ(mt_conn_feed(s, fin, sizeof(fin), &used), -MT_E_UNEXPECTED_MESSAGE);
    mt_conn_free(s);
    CHECK_EQ(mt_conn_new(&sc, 1, NULL, &s), 0);
    /* application data before the handshake */
    static const uint8_t app[] = {23, 3, 3, 0, 1, 'x'};
    CHECK_EQ(mt_conn_feed(s, app, sizeof(app), &used), -MT_E_UNEXPECTED_MESSAGE);
    mt_conn_free(s);
    CHECK_EQ(mt_conn_new(&sc, 1, NULL, &s), 0);
    /* an oversized plaintext record */
    static const uint8_t big[] = {22, 3, 3, 0x40, 0x01};
    CHECK_EQ(mt_conn_feed(s, big, sizeof(big), &used), -MT_E_RECORD_OVERFLOW);
    mt_conn_free(s);
    CHECK_EQ(mt_conn_new(&sc, 1, NULL, &s), 0);
    /* an unknown content type */
    static const uint8_t odd[] = {99, 3, 3, 0, 1, 0};
    CHECK_EQ(mt_conn_feed(s, odd, sizeof(odd), &used), -MT_E_UNEXPECTED_MESSAGE);
    mt_conn_free(s);
    free_id(&id);
}

/* Full handshake, then resumption with the session the client kept. */
static void session_id_resumption(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    mt_cache *cache;
    CHECK_EQ(mt_cache_new(16, 600, &cache), 0);
    pair p;
    config12(&p.ccfg);
    config12(&p.scfg);
    p.scfg.chains[0] = &id.chain;
    p.scfg.nchains = 1;
    p.scfg.cache = cache;
    CHECK_EQ(mt_conn_new(&p.ccfg, 0, "example.com", &p.c), 0);
    CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &p.s), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    mt_session sess;
    CHECK_EQ(mt_conn_session(p.c, &sess), 0);
    CHECK_EQ(mt_cache_count(cache), 1);
    free_pair(&p);
    /* resumed: both sides say so, data flows, no certificate was sent */
    CHECK_EQ(mt_conn_new(&p.ccfg, 0, "example.com", &p.c), 0);
    CHECK_EQ(mt_conn_resume(p.c, &sess), 0);
    CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &p.s), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    mt_conn_info ci, si;
    mt_conn_get_info(p.c, &ci);
    mt_conn_get_info(p.s, &si);
    CHECK(ci.resumed && si.resumed);
    const uint8_t *der;
    size_t len;
    CHECK_EQ(mt_conn_peer_chain(p.c, 0, &der, &len), 0);
    CHECK_EQ(echo(p.c, p.s, 5000), 0);
    CHECK_EQ(echo(p.s, p.c, 5000), 0);
    free_pair(&p);
    /* another server name: a full handshake (RFC 6066 3) */
    CHECK_EQ(mt_conn_new(&p.ccfg, 0, "other.example", &p.c), 0);
    CHECK_EQ(mt_conn_resume(p.c, &sess), 0);
    CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &p.s), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    mt_conn_get_info(p.c, &ci);
    CHECK(!ci.resumed && (mt_conn_status(p.c) & MT_ST_CONNECTED));
    free_pair(&p);
    /* a fatal error on a resumed connection purges the session (RFC 5246 7.2.2) */
    CHECK_EQ(mt_conn_new(&p.ccfg, 0, "example.com", &p.c), 0);
    CHECK_EQ(mt_conn_resume(p.c, &sess), 0);
    CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &p.s), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    size_t n, used;
    CHECK_EQ(mt_conn_write(p.c, (const uint8_t *)"x", 1, &n), 0);
    const uint8_t *rec = mt_conn_out(p.c, &len);
    uint8_t bad[64];
    memcpy(bad, rec, len);
    bad[len - 1] ^= 0x80;
    mt_session probe;
    CHECK_EQ(mt_cache_get(cache, sess.sid, sess.sid_len, sess.created, &probe), 1);
    CHECK_EQ(mt_conn_feed(p.s, bad, len, &used), -MT_E_BAD_RECORD_MAC);
    CHECK_EQ(mt_cache_get(cache, sess.sid, sess.sid_len, sess.created, &probe), 0);
    mt_session_wipe(&probe);
    free_pair(&p);
    /* the resumption offer can only be made before the hello leaves */
    CHECK_EQ(mt_conn_new(&p.ccfg, 0, "example.com", &p.c), 0);
    mt_conn_out(p.c, &len);
    mt_conn_out_done(p.c, 1);
    CHECK_EQ(mt_conn_resume(p.c, &sess), -MT_E_INVALID_ARG);
    mt_conn_free(p.c);
    mt_session_wipe(&sess);
    mt_cache_free(cache);
    free_id(&id);
}

/* A server without a cache sends an empty session id: nothing to resume. */
static void no_cache_no_session(void)
{
    ident id;
    make_id(&id, MT_KEY_ED25519, 0);
    pair p;
    CHECK_EQ(handshake(&p, &id, 0), 0);
    mt_session s;
    CHECK_EQ(mt_conn_session(p.c, &s), -MT_E_INVALID_ARG);
    char line[200];
    CHECK_EQ(mt_conn_keylog(p.c, line, sizeof(line)), 0);
    CHECK(strncmp(line, "CLIENT_RANDOM ", 14) == 0 && strlen(line) == 14 + 64 + 1 + 96 + 1);
    char sline[200];
    CHECK_EQ(mt_conn_keylog(p.s, sline, sizeof(sline)), 0);
    CHECK(strcmp(line, sline) == 0);
    free_pair(&p);
    free_id(&id);
}

/* Split a flight of plaintext records; returns the count (at most max). */
static size_t split_records(const uint8_t *p, size_t len, size_t *off, size_t *n, size_t max)
{
    size_t k = 0, at = 0;
    while (at + 5 <= len && k < max) {
        size_t body = ((size_t)p[at + 3] << 8) | p[at + 4];
        off[k] = at;
        n[k] = 5 + body;
        at += 5 + body;
        k++;
    }
    return k;
}

/*
 * Every handshake message of the server's first flight (ServerHello, Certificate,
 * ServerKeyExchange, ServerHelloDone) and the client's ClientKeyExchange, cut short at every
 * offset with the record and handshake lengths made to agree, or sent twice: the receiver
 * either fails with an error that sends a named alert, or (when the cut leaves a well-formed
 * shorter message, such as a ServerHello without its extensions) goes on. Nothing crashes
 * or leaks (ASan/LSan run this too).
 */
static void handshake_messages_cut_and_repeated(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    mt_config cc, sc;
    config12(&cc);
    config12(&sc);
    sc.chains[0] = &id.chain;
    sc.nchains = 1;
    size_t trials = 0, failed = 0;
    for (int target = 0; target < 5; target++) {
        for (size_t cut = 0;; cut++) {
            mt_conn *c, *s;
            size_t len, used, off[8], n[8];
            CHECK_EQ(mt_conn_new(&cc, 0, "example.com", &c), 0);
            CHECK_EQ(mt_conn_new(&sc, 1, NULL, &s), 0);
            const uint8_t *ch = mt_conn_out(c, &len);
            CHECK_EQ(mt_conn_feed(s, ch, len, &used), 0);
            mt_conn_out_done(c, len);
            mt_conn *to = c;
            const uint8_t *flight = mt_conn_out(s, &len);
            uint8_t *buf = malloc(len + 1);
            memcpy(buf, flight, len);
            size_t nrec = split_records(buf, len, off, n, 8);
            size_t r = (size_t)target;
            if (target == 4) {
                /* the client's ClientKeyExchange (its first record after the server flight) */
                CHECK_EQ(mt_conn_feed(c, buf, len, &used), 0);
                free(buf);
                flight = mt_conn_out(c, &len);
                buf = malloc(len + 1);
                memcpy(buf, flight, len);
                nrec = split_records(buf, len, off, n, 8);
                r = 0;
                to = s;
            }
            CHECK(r < nrec);
            size_t body = n[r] - 9; /* record header 5, handshake header 4 */
            if (cut > body) {
                mt_conn_free(c);
                mt_conn_free(s);
                free(buf);
                break;
            }
            size_t feed_len;
            if (cut == body) {
                /* the whole message twice: the second is unexpected */
                feed_len = off[r] + 2 * n[r];
                buf = realloc(buf, feed_len > len ? feed_len : len);
                memcpy(buf + off[r] + n[r], buf + off[r], n[r]);
            } else {
                uint8_t *m = buf + off[r];
                m[3] = (uint8_t)((4 + cut) >> 8);
                m[4] = (uint8_t)(4 + cut);
                m[6] = (uint8_t)(cut >> 16);
                m[7] = (uint8_t)(cut >> 8);
                m[8] = (uint8_t)cut;
                feed_len = off[r] + 9 + cut;
            }
            uint8_t *exact = malloc(feed_len);
            memcpy(exact, buf, feed_len);
            int rc = mt_conn_feed(to, exact, feed_len, &used);
            trials++;
            if (rc < 0) {
                failed++;
                if (mt_err_alert(rc) < 0 && rc != -MT_E_PEER_ALERT) {
                    printf("# target %d cut %zu: %s sends no alert\n", target, cut,
                           mt_err_name(rc));
                    CHECK(0);
                }
                size_t alen;
                CHECK(mt_conn_out(to, &alen) != NULL && alen > 0);
            }
            if (cut == body && rc != -MT_E_UNEXPECTED_MESSAGE) {
                printf("# target %d sent twice: %s\n", target, mt_err_name(rc));
                CHECK(0);
            }
            free(exact);
            free(buf);
            mt_conn_free(c);
            mt_conn_free(s);
        }
    }
    printf("# %zu cut or repeated messages, %zu refused\n", trials, failed);
    /* all but the few cuts that leave a well-formed shorter message are refused */
    CHECK(failed * 10 >= trials * 9);
    free_id(&id);
}

/* ---- client certificates (RFC 5246 7.4.4, 7.4.6, 7.4.8) ---- */

/* A client (chain `cid`, may be NULL) and a server with `client_auth`, wired and pumped. */
static int cauth_handshake(pair *p, ident *sid, ident *cid, int client_auth)
{
    p->c = p->s = NULL;
    if (cid) {
        p->ccfg.chains[0] = &cid->chain;
        p->ccfg.nchains = 1;
    }
    p->scfg.chains[0] = &sid->chain;
    p->scfg.nchains = 1;
    p->scfg.client_auth = client_auth;
    int rc = start(p);
    tamper_from = p->c;
    if (rc == 0) {
        rc = pump(p->c, p->s);
    }
    tamper_from = NULL;
    tamper_mode = T_NONE;
    return rc;
}

static void cauth_defaults(pair *p)
{
    config12(&p->ccfg);
    config12(&p->scfg);
}

static int server_has_client_cert(const pair *p, const ident *cid)
{
    const uint8_t *der;
    size_t len;
    return mt_conn_peer_chain(p->s, 0, &der, &len) == 1 && len == cid->cert.len &&
           memcmp(der, cid->cert.p, len) == 0;
}

static void cauth_require_with_every_key(void)
{
    static const struct {
        mt_key_type type;
        unsigned bits;
    } keys[] = {{MT_KEY_EC_P256, 0}, {MT_KEY_EC_P384, 0}, {MT_KEY_EC_P521, 0},
                {MT_KEY_RSA, 2048},  {MT_KEY_ED25519, 0}, {MT_KEY_ED448, 0}};
    ident sid;
    make_id(&sid, MT_KEY_EC_P256, 0);
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        ident cid;
        make_id(&cid, keys[k].type, keys[k].bits);
        for (int suite384 = 0; suite384 < 2; suite384++) {
            pair p;
            cauth_defaults(&p);
            if (suite384) { /* a SHA-384 PRF: CertificateVerify hashes are independent of it */
                p.ccfg.suites[0] = p.scfg.suites[0] = 0xc02c;
                p.ccfg.nsuites = p.scfg.nsuites = 1;
            }
            int rc = cauth_handshake(&p, &sid, &cid, MT_CLIENT_AUTH_REQUIRE);
            if (rc != 0) {
                printf("# client key %s: %s\n", mt_key_type_name(keys[k].type), mt_err_name(rc));
            }
            CHECK_EQ(rc, 0);
            CHECK(mt_conn_status(p.c) & MT_ST_CONNECTED);
            CHECK(mt_conn_status(p.s) & MT_ST_CONNECTED);
            CHECK(server_has_client_cert(&p, &cid));
            CHECK_EQ(echo(p.c, p.s, 100), 0);
            CHECK_EQ(echo(p.s, p.c, 100), 0);
            free_pair(&p);
        }
        free_id(&cid);
    }
    free_id(&sid);
}

static void cauth_require_without_cert_fails(void)
{
    ident sid;
    make_id(&sid, MT_KEY_EC_P256, 0);
    pair p;
    cauth_defaults(&p);
    CHECK_EQ(cauth_handshake(&p, &sid, NULL, MT_CLIENT_AUTH_REQUIRE), -MT_E_NO_CLIENT_CERTIFICATE);
    CHECK_EQ(mt_conn_error(p.s), -MT_E_NO_CLIENT_CERTIFICATE);
    /* RFC 5246 7.4.6: the alert is handshake_failure */
    CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_HANDSHAKE_FAILURE);
    CHECK(!(mt_conn_status(p.s) & MT_ST_CONNECTED));
    free_pair(&p);
    free_id(&sid);
}

static void cauth_optional(void)
{
    ident sid, cid;
    make_id(&sid, MT_KEY_EC_P256, 0);
    make_id(&cid, MT_KEY_EC_P256, 0);
    pair p;
    const uint8_t *der;
    size_t len;
    /* optional, no certificate: connected, no peer chain */
    cauth_defaults(&p);
    CHECK_EQ(cauth_handshake(&p, &sid, NULL, MT_CLIENT_AUTH_OPTIONAL), 0);
    CHECK(mt_conn_status(p.s) & MT_ST_CONNECTED);
    CHECK_EQ(mt_conn_peer_chain(p.s, 0, &der, &len), 0);
    CHECK_EQ(echo(p.c, p.s, 10), 0);
    free_pair(&p);
    /* optional, with a certificate */
    cauth_defaults(&p);
    CHECK_EQ(cauth_handshake(&p, &sid, &cid, MT_CLIENT_AUTH_OPTIONAL), 0);
    CHECK(server_has_client_cert(&p, &cid));
    free_pair(&p);
    /* not requested: a client with a chain sends nothing */
    cauth_defaults(&p);
    CHECK_EQ(cauth_handshake(&p, &sid, &cid, MT_CLIENT_AUTH_NONE), 0);
    CHECK(mt_conn_status(p.s) & MT_ST_CONNECTED);
    CHECK_EQ(mt_conn_peer_chain(p.s, 0, &der, &len), 0);
    free_pair(&p);
    free_id(&cid);
    free_id(&sid);
}

/* The client's chain fits no scheme the server offers: it sends an empty Certificate. */
static void cauth_no_fitting_chain(void)
{
    ident sid, cid;
    make_id(&sid, MT_KEY_EC_P256, 0);
    make_id(&cid, MT_KEY_ED25519, 0);
    pair p;
    cauth_defaults(&p);
    p.scfg.sigalgs[0] = 0x0403;
    p.scfg.nsigalgs = 1;
    CHECK_EQ(cauth_handshake(&p, &sid, &cid, MT_CLIENT_AUTH_REQUIRE), -MT_E_NO_CLIENT_CERTIFICATE);
    CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_HANDSHAKE_FAILURE);
    free_pair(&p);
    cauth_defaults(&p);
    p.scfg.sigalgs[0] = 0x0403;
    p.scfg.nsigalgs = 1;
    CHECK_EQ(cauth_handshake(&p, &sid, &cid, MT_CLIENT_AUTH_OPTIONAL), 0);
    const uint8_t *der;
    size_t len;
    CHECK_EQ(mt_conn_peer_chain(p.s, 0, &der, &len), 0);
    free_pair(&p);
    free_id(&cid);
    free_id(&sid);
}

/* The CertificateRequest on the wire: types, our schemes, the configured CA names. */
static void cauth_certificate_request_contents(void)
{
    ident sid;
    make_id(&sid, MT_KEY_EC_P256, 0);
    static const uint8_t names[] = {0, 4, 0x30, 2, 0x31, 0, 0, 2, 0x30, 0};
    mt_config cc, sc;
    config12(&cc);
    config12(&sc);
    sc.chains[0] = &sid.chain;
    sc.nchains = 1;
    sc.client_auth = MT_CLIENT_AUTH_OPTIONAL;
    sc.ca_names = names;
    sc.ca_names_len = sizeof(names);
    sc.sigalgs[0] = 0x0403;
    sc.sigalgs[1] = 0x0804;
    sc.nsigalgs = 2;
    mt_conn *c, *s;
    CHECK_EQ(mt_conn_new(&cc, 0, NULL, &c), 0);
    CHECK_EQ(mt_conn_new(&sc, 1, NULL, &s), 0);
    size_t len, used;
    const uint8_t *p = mt_conn_out(c, &len);
    CHECK_EQ(mt_conn_feed(s, p, len, &used), 0);
    mt_conn_out_done(c, used);
    p = mt_conn_out(s, &len);
    /* records: ServerHello, Certificate, ServerKeyExchange, CertificateRequest, Done */
    size_t off = 0;
    int found = 0;
    while (off + 5 <= len) {
        size_t rl = (size_t)p[off + 3] << 8 | p[off + 4];
        if (p[off + 5] == 13) {
            static const uint8_t want[] = {13, 0,  0, 21, 2,    1, 64,   0, 4, 4, 3,    8, 4,
                                           0,  10, 0, 4,  0x30, 2, 0x31, 0, 0, 2, 0x30, 0};
            CHECK_EQ(rl, sizeof(want));
            CHECK(memcmp(p + off + 5, want, sizeof(want)) == 0);
            found = 1;
        }
        off += 5 + rl;
    }
    CHECK(found);
    /* the client takes it (and answers with an empty Certificate) */
    CHECK_EQ(mt_conn_feed(c, p, len, &used), 0);
    mt_conn_free(c);
    mt_conn_free(s);
    free_id(&sid);
}

/* A tampered second client flight: the error the server fails with and the alert. */
static void cauth_tampered(int mode, uint16_t scheme, int with_cert, int client_auth, int want)
{
    ident sid, cid;
    make_id(&sid, MT_KEY_EC_P256, 0);
    make_id(&cid, MT_KEY_EC_P256, 0);
    pair p;
    cauth_defaults(&p);
    p.scfg.sigalgs[0] = 0x0403; /* the server offers ECDSA-SHA256 and RSA-PSS-SHA256 only */
    p.scfg.sigalgs[1] = 0x0804;
    p.scfg.nsigalgs = 2;
    tamper_mode = mode;
    tamper_scheme = scheme;
    int rc = cauth_handshake(&p, &sid, with_cert ? &cid : NULL, client_auth);
    if (rc != -want) {
        printf("# tamper %d: %s\n", mode, mt_err_name(rc));
    }
    CHECK_EQ(rc, -want);
    CHECK_EQ(mt_conn_error(p.s), -want);
    CHECK_EQ(mt_conn_peer_alert(p.c), mt_err_alert(want));
    CHECK(!(mt_conn_status(p.s) & MT_ST_CONNECTED));
    free_pair(&p);
    free_id(&cid);
    free_id(&sid);
}

static void cauth_bad_certificate_verify(void)
{
    const int req = MT_CLIENT_AUTH_REQUIRE, opt = MT_CLIENT_AUTH_OPTIONAL;
    /* RFC 5246 7.4.8: a signature that does not verify */
    cauth_tampered(T_CORRUPT_SIG, 0, 1, req, MT_E_DECRYPT_ERROR);
    /* a scheme the CertificateRequest did not offer (the key could make it) */
    cauth_tampered(T_SCHEME, 0x0503, 1, req, MT_E_ILLEGAL_PARAMETER);
    /* offered, but not one the client's (EC) key makes */
    cauth_tampered(T_SCHEME, 0x0804, 1, req, MT_E_ILLEGAL_PARAMETER);
    /* a certificate without CertificateVerify: CCS comes instead */
    cauth_tampered(T_DROP_CV, 0, 1, req, MT_E_UNEXPECTED_MESSAGE);
    /* CertificateVerify before ClientKeyExchange */
    cauth_tampered(T_CV_FIRST, 0, 1, req, MT_E_UNEXPECTED_MESSAGE);
    /* CertificateVerify after an empty Certificate */
    cauth_tampered(T_INJECT_CV, 0, 0, opt, MT_E_UNEXPECTED_MESSAGE);
    /* CertificateVerify when no certificate was requested */
    cauth_tampered(T_INJECT_CV, 0, 1, MT_CLIENT_AUTH_NONE, MT_E_UNEXPECTED_MESSAGE);
}

/* The server pauses with the client's chain and the verdict decides. */
static void cauth_server_verify_decision(void)
{
    ident sid, cid;
    make_id(&sid, MT_KEY_EC_P256, 0);
    make_id(&cid, MT_KEY_RSA, 2048);
    pair p;
    cauth_defaults(&p);
    p.scfg.verify_peer = 1;
    CHECK_EQ(cauth_handshake(&p, &sid, &cid, MT_CLIENT_AUTH_REQUIRE), 0);
    CHECK_EQ(mt_conn_decision(p.s), MT_DECIDE_VERIFY);
    CHECK(!(mt_conn_status(p.s) & MT_ST_CONNECTED));
    CHECK(!(mt_conn_status(p.c) & MT_ST_CONNECTED));
    CHECK(server_has_client_cert(&p, &cid));
    CHECK_EQ(mt_conn_decide(p.s, -MT_E_UNKNOWN_CA), -MT_E_UNKNOWN_CA);
    CHECK(pump(p.c, p.s) < 0);
    CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_UNKNOWN_CA);
    free_pair(&p);
    cauth_defaults(&p);
    p.scfg.verify_peer = 1;
    CHECK_EQ(cauth_handshake(&p, &sid, &cid, MT_CLIENT_AUTH_REQUIRE), 0);
    CHECK_EQ(mt_conn_decide(p.s, 0), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK(mt_conn_status(p.s) & MT_ST_CONNECTED);
    CHECK(mt_conn_status(p.c) & MT_ST_CONNECTED);
    free_pair(&p);
    /* no certificate (optional): nothing to decide */
    cauth_defaults(&p);
    p.scfg.verify_peer = 1;
    CHECK_EQ(cauth_handshake(&p, &sid, NULL, MT_CLIENT_AUTH_OPTIONAL), 0);
    CHECK_EQ(mt_conn_decision(p.s), MT_DECIDE_NONE);
    CHECK(mt_conn_status(p.s) & MT_ST_CONNECTED);
    free_pair(&p);
    free_id(&cid);
    free_id(&sid);
}

/* Rewrite the first occurrence of `pat` in c's pending output (the ClientHello) to `rep`. */
static void patch_out(mt_conn *c, const uint8_t *pat, const uint8_t *rep, size_t n)
{
    size_t len;
    uint8_t *p = (uint8_t *)(uintptr_t)mt_conn_out(c, &len);
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(p + i, pat, n) == 0) {
            memcpy(p + i, rep, n);
            return;
        }
    }
    CHECK(0);
}

/* Two engines on one suite (ECDHE-ECDSA-AES128-GCM: 24 bytes of record overhead) with the record
 * limits given, not yet connected. */
static void limits_pair(pair *p, ident *id, uint8_t mfl, uint16_t c_rsl, uint16_t s_rsl)
{
    config12(&p->ccfg);
    config12(&p->scfg);
    p->ccfg.suites[0] = p->scfg.suites[0] = 0xc02b;
    p->ccfg.nsuites = p->scfg.nsuites = 1;
    p->scfg.chains[0] = &id->chain;
    p->scfg.nchains = 1;
    p->ccfg.max_fragment_length = mfl;
    p->ccfg.record_size_limit = c_rsl;
    p->scfg.record_size_limit = s_rsl;
    CHECK_EQ(mt_conn_new(&p->ccfg, 0, "example.com", &p->c), 0);
    CHECK_EQ(mt_conn_new(&p->scfg, 1, NULL, &p->s), 0);
}

/* RFC 6066 4: 512-byte fragments both ways, handshake messages included (a 1.5 kB
 * CertificateRequest), and 1 MiB each way in records of exactly that size. */
static void mfl_negotiated(void)
{
    static uint8_t names[1502];
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    names[0] = 0x05;
    names[1] = 0xdc;
    pair p;
    limits_pair(&p, &id, 1, 0, 0);
    p.scfg.client_auth = MT_CLIENT_AUTH_OPTIONAL;
    p.scfg.ca_names = names;
    p.scfg.ca_names_len = sizeof(names);
    scan_reset();
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK(mt_conn_status(p.c) & MT_ST_CONNECTED);
    CHECK(scan_max(p.s) <= 512 + 24);
    mt_conn_info ci, si;
    mt_conn_get_info(p.c, &ci);
    mt_conn_get_info(p.s, &si);
    CHECK_EQ(ci.max_fragment, 512);
    CHECK_EQ(si.max_fragment, 512);
    CHECK_EQ(ci.send_limit + si.send_limit + ci.recv_limit + si.recv_limit, 0);
    CHECK_EQ(echo(p.s, p.c, 1 << 20), 0);
    CHECK_EQ(echo(p.c, p.s, 1 << 20), 0);
    CHECK_EQ(scan_max(p.s), 512 + 24);
    CHECK_EQ(scan_max(p.c), 512 + 24);
    /* a server that ignores the limit: the client refuses the record */
    p.s->mfl = 0;
    CHECK_EQ(echo(p.s, p.c, 1000), -MT_E_RECORD_OVERFLOW);
    CHECK_EQ(mt_conn_peer_alert(p.s), MT_ALERT_RECORD_OVERFLOW);
    free_pair(&p);
    /* no request: full records */
    limits_pair(&p, &id, 0, 0, 0);
    scan_reset();
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK_EQ(echo(p.s, p.c, 100000), 0);
    CHECK_EQ(scan_max(p.s), 16384 + 24);
    free_pair(&p);
    free_id(&id);
}

/* RFC 6066 4: the echo must be the request; codes outside 1..4 are illegal_parameter; an
 * unrequested echo is unsupported_extension. */
static void mfl_bad_values(void)
{
    static const uint8_t ask1[] = {0, 1, 0, 1, 1}, ask3[] = {0, 1, 0, 1, 3},
                         ask5[] = {0, 1, 0, 1, 5};
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    limits_pair(&p, &id, 1, 0, 0);
    patch_out(p.c, ask1, ask3, sizeof(ask1)); /* the server sees 3 and echoes it */
    CHECK_EQ(pump(p.c, p.s), -MT_E_ILLEGAL_PARAMETER);
    CHECK_EQ(mt_conn_error(p.c), -MT_E_ILLEGAL_PARAMETER);
    free_pair(&p);
    limits_pair(&p, &id, 1, 0, 0);
    patch_out(p.c, ask1, ask5, sizeof(ask1));
    CHECK_EQ(pump(p.c, p.s), -MT_E_ILLEGAL_PARAMETER);
    CHECK_EQ(mt_conn_error(p.s), -MT_E_ILLEGAL_PARAMETER);
    CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_ILLEGAL_PARAMETER);
    free_pair(&p);
    limits_pair(&p, &id, 0, 0, 0);
    size_t len, used;
    const uint8_t *out = mt_conn_out(p.c, &len);
    CHECK_EQ(mt_conn_feed(p.s, out, len, &used), 0);
    CHECK_EQ(feed_sh_with_ext(p.s, p.c, ask1, sizeof(ask1)), -MT_E_UNSUPPORTED_EXTENSION);
    free_pair(&p);
    p.ccfg.max_fragment_length = 5;
    CHECK_EQ(mt_conn_new(&p.ccfg, 0, NULL, &p.c), -MT_E_INVALID_ARG);
    free_id(&id);
}

/* RFC 8449: each side's limit binds what the other sends, once protected; with
 * max_fragment_length as well, record_size_limit wins. */
static void rsl_negotiated(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    limits_pair(&p, &id, 0, 100, 200);
    scan_reset();
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK(mt_conn_status(p.c) & MT_ST_CONNECTED);
    mt_conn_info ci, si;
    mt_conn_get_info(p.c, &ci);
    mt_conn_get_info(p.s, &si);
    CHECK_EQ(ci.send_limit, 200);
    CHECK_EQ(ci.recv_limit, 100);
    CHECK_EQ(si.send_limit, 99); /* the client's value may count TLS 1.3's content type */
    CHECK_EQ(si.recv_limit, 200);
    CHECK_EQ(echo(p.s, p.c, 100000), 0);
    CHECK_EQ(echo(p.c, p.s, 100000), 0);
    p.s->rsl_send = 0;
    scan_reset();
    CHECK_EQ(echo(p.s, p.c, 101), -MT_E_RECORD_OVERFLOW);
    CHECK_EQ(mt_conn_peer_alert(p.s), MT_ALERT_RECORD_OVERFLOW);
    free_pair(&p);
    /* protected records only: check sizes after the handshake */
    limits_pair(&p, &id, 0, 100, 200);
    CHECK_EQ(pump(p.c, p.s), 0);
    scan_reset();
    CHECK_EQ(echo(p.s, p.c, 100000), 0);
    CHECK_EQ(echo(p.c, p.s, 100000), 0);
    CHECK_EQ(scan_max(p.s), 99 + 24);
    CHECK_EQ(scan_max(p.c), 200 + 24);
    free_pair(&p);
    /* both extensions: record_size_limit only; an unconfigured server answers 16384 */
    limits_pair(&p, &id, 1, 1000, 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    mt_conn_get_info(p.c, &ci);
    mt_conn_get_info(p.s, &si);
    CHECK_EQ(ci.max_fragment + si.max_fragment, 0);
    CHECK_EQ(ci.send_limit, 16384);
    CHECK_EQ(ci.recv_limit, 1000);
    CHECK_EQ(si.send_limit, 999);
    CHECK_EQ(si.recv_limit, 0);
    free_pair(&p);
    free_id(&id);
}

/* RFC 8449 4: a limit under 64 is illegal_parameter, from either side; RFC 7685: padding is
 * ignored, whatever it holds. */
static void rsl_bad_values_and_padding(void)
{
    static const uint8_t rsl100[] = {0, 28, 0, 2, 0, 100}, rsl63[] = {0, 28, 0, 2, 0, 63},
                         renamed[] = {0x7a, 0x7a, 0, 2, 0, 100}, pad[] = {0, 21, 0, 2, 0, 100};
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    limits_pair(&p, &id, 0, 100, 0);
    patch_out(p.c, rsl100, rsl63, sizeof(rsl100));
    CHECK_EQ(pump(p.c, p.s), -MT_E_ILLEGAL_PARAMETER);
    CHECK_EQ(mt_conn_error(p.s), -MT_E_ILLEGAL_PARAMETER);
    free_pair(&p);
    /* the server does not see our extension, then answers one of 63 */
    limits_pair(&p, &id, 0, 100, 0);
    patch_out(p.c, rsl100, renamed, sizeof(rsl100));
    size_t len, used;
    const uint8_t *out = mt_conn_out(p.c, &len);
    CHECK_EQ(mt_conn_feed(p.s, out, len, &used), 0);
    CHECK_EQ(feed_sh_with_ext(p.s, p.c, rsl63, sizeof(rsl63)), -MT_E_ILLEGAL_PARAMETER);
    free_pair(&p);
    /* unrequested: unsupported_extension */
    limits_pair(&p, &id, 0, 0, 0);
    out = mt_conn_out(p.c, &len);
    CHECK_EQ(mt_conn_feed(p.s, out, len, &used), 0);
    CHECK_EQ(feed_sh_with_ext(p.s, p.c, rsl100, sizeof(rsl100)), -MT_E_UNSUPPORTED_EXTENSION);
    free_pair(&p);
    /* padding with non-zero bytes: the server carries on */
    limits_pair(&p, &id, 0, 100, 0);
    patch_out(p.c, rsl100, pad, sizeof(rsl100));
    out = mt_conn_out(p.c, &len);
    CHECK_EQ(mt_conn_feed(p.s, out, len, &used), 0);
    CHECK(mt_conn_status(p.s) & MT_ST_HAS_OUTPUT);
    free_pair(&p);
    p.ccfg.record_size_limit = 63;
    CHECK_EQ(mt_conn_new(&p.ccfg, 0, NULL, &p.c), -MT_E_INVALID_ARG);
    p.ccfg.record_size_limit = 16385;
    CHECK_EQ(mt_conn_new(&p.ccfg, 0, NULL, &p.c), -MT_E_INVALID_ARG);
    free_id(&id);
}

/* ---- renegotiation (RFC 5746) ---- */

/* A byte stream one way, checked byte by byte on arrival. */
typedef struct flow {
    size_t sent, recvd;
    int bad;
} flow;

static uint8_t flow_byte(size_t i)
{
    return (uint8_t)(i * 131 + 17);
}

static int flow_write(mt_conn *w, flow *f, size_t n)
{
    uint8_t buf[512];
    size_t k;
    for (size_t i = 0; i < n && i < sizeof(buf); i++) {
        buf[i] = flow_byte(f->sent + i);
    }
    int rc = mt_conn_write(w, buf, n < sizeof(buf) ? n : sizeof(buf), &k);
    f->sent += k;
    return rc == -MT_E_WANT_WRITE ? 0 : rc;
}

static int flow_read(mt_conn *r, flow *f)
{
    uint8_t buf[4096];
    for (;;) {
        size_t k;
        int rc = mt_conn_read(r, buf, sizeof(buf), &k);
        if (rc == -MT_E_WANT_READ) {
            return 0;
        }
        if (rc < 0) {
            return rc;
        }
        for (size_t i = 0; i < k; i++) {
            f->bad |= buf[i] != flow_byte(f->recvd + i);
        }
        f->recvd += k;
    }
}

/* Deliver all of from's output to `to`, reading what arrives (f: the from -> to flow). On a
 * failure the failing side's alert goes back, as in pump. */
static int deliver(mt_conn *from, mt_conn *to, flow *f)
{
    for (;;) {
        size_t len, used;
        const uint8_t *p = mt_conn_out(from, &len);
        if (len == 0) {
            return 0;
        }
        int rc = mt_conn_feed(to, p, len, &used);
        mt_conn_out_done(from, used);
        if (rc < 0) {
            const uint8_t *q = mt_conn_out(to, &len);
            size_t u2;
            if (len && mt_conn_feed(from, q, len, &u2) < 0) {
                mt_conn_out_done(to, u2);
            }
            return rc;
        }
        size_t before = f->recvd;
        GUARD(flow_read(to, f));
        if (used == 0 && f->recvd == before) {
            /* waiting for a decision, else stuck */
            return mt_conn_decision(to) ? 0 : -MT_E_INTERNAL;
        }
    }
}

static int answer_decision(mt_conn *c)
{
    return mt_conn_decision(c) == MT_DECIDE_VERIFY ? mt_conn_decide(c, 0) : 0;
}

/*
 * Renegotiate from `init` (p->c or p->s) while both sides keep writing application data, one
 * flight at a time each way, accepting chain decisions; every byte must arrive in order.
 * *during counts the rounds where both sides wrote while both had MT_ST_HANDSHAKING set.
 */
static int reneg_with_data(pair *p, mt_conn *init, int *during)
{
    flow cs = {0, 0, 0}, sc = {0, 0, 0};
    int rc = mt_conn_renegotiate(init);
    *during = 0;
    for (int round = 0; rc == 0 && round < 64; round++) {
        int stc = mt_conn_status(p->c), sts = mt_conn_status(p->s);
        size_t lc, ls;
        mt_conn_out(p->c, &lc);
        mt_conn_out(p->s, &ls);
        if (!((stc | sts) & MT_ST_HANDSHAKING) && lc == 0 && ls == 0) {
            break;
        }
        CHECK((stc & MT_ST_CONNECTED) && (sts & MT_ST_CONNECTED));
        *during += (stc & sts & MT_ST_HANDSHAKING) != 0;
        rc = flow_write(p->c, &cs, 100 + (size_t)round);
        rc = rc < 0 ? rc : flow_write(p->s, &sc, 60 + (size_t)round);
        rc = rc < 0 ? rc : answer_decision(p->c);
        rc = rc < 0 ? rc : answer_decision(p->s);
        rc = rc < 0 ? rc : deliver(p->c, p->s, &cs);
        rc = rc < 0 ? rc : deliver(p->s, p->c, &sc);
    }
    if (rc == 0 && ((mt_conn_status(p->c) | mt_conn_status(p->s)) & MT_ST_HANDSHAKING)) {
        rc = -MT_E_INTERNAL;
    }
    if (rc == 0 && (cs.bad || sc.bad || cs.recvd != cs.sent || sc.recvd != sc.sent)) {
        rc = -MT_E_INTERNAL;
    }
    return rc;
}

/* Both sides derive the same exporter output (same randoms and master secret). */
static int same_exporter(const pair *p)
{
    uint8_t a[32], b[32];
    if (mt_conn_export(p->c, "EXPORTER-test", NULL, 0, 0, a, sizeof(a)) < 0 ||
        mt_conn_export(p->s, "EXPORTER-test", NULL, 0, 0, b, sizeof(b)) < 0) {
        return 0;
    }
    return memcmp(a, b, sizeof(a)) == 0;
}

/* The client offers five suites (GCM, GCM-SHA384, ChaCha20, CBC with encrypt_then_mac, CCM);
 * the server starts with the first only. */
static const uint16_t reneg_suites[] = {0xc02b, 0xc02c, 0xcca9, 0xc023, 0xc0ac};

static void reneg_pair(pair *p, ident *id)
{
    config12(&p->ccfg);
    config12(&p->scfg);
    memcpy(p->ccfg.suites, reneg_suites, sizeof(reneg_suites));
    p->ccfg.nsuites = sizeof(reneg_suites) / sizeof(reneg_suites[0]);
    p->scfg.suites[0] = reneg_suites[0];
    p->scfg.nsuites = 1;
    p->scfg.chains[0] = &id->chain;
    p->scfg.nchains = 1;
    CHECK_EQ(mt_conn_new(&p->ccfg, 0, "example.com", &p->c), 0);
    CHECK_EQ(mt_conn_new(&p->scfg, 1, NULL, &p->s), 0);
    CHECK_EQ(pump(p->c, p->s), 0);
}

/* Renegotiation started by `server_starts` side, four times in a row, each time on another
 * suite (the server's config changes in between), data flowing both ways meanwhile. */
static void reneg_four_times(int server_starts, int verify)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    reneg_pair(&p, &id);
    mt_conn_info ci, si;
    mt_conn_get_info(p.c, &ci);
    CHECK(ci.secure_renegotiation && ci.renegotiations == 0);
    p.ccfg.verify_peer = verify;
    for (unsigned k = 1; k < 5; k++) {
        int during = 0;
        p.scfg.suites[0] = reneg_suites[k];
        CHECK_EQ(reneg_with_data(&p, server_starts ? p.s : p.c, &during), 0);
        CHECK(during > 0);
        mt_conn_get_info(p.c, &ci);
        mt_conn_get_info(p.s, &si);
        CHECK_EQ(ci.suite, reneg_suites[k]);
        CHECK_EQ(si.suite, reneg_suites[k]);
        CHECK_EQ(ci.renegotiations, k);
        CHECK_EQ(si.renegotiations, k);
        CHECK_EQ(ci.etm, reneg_suites[k] == 0xc023);
        CHECK(ci.ems && si.ems);
        CHECK(same_exporter(&p));
        CHECK_EQ(echo(p.c, p.s, 40000), 0);
        CHECK_EQ(echo(p.s, p.c, 40000), 0);
    }
    free_pair(&p);
    free_id(&id);
}

static void reneg_client_initiated(void)
{
    reneg_four_times(0, 0);
}

static void reneg_server_initiated(void)
{
    reneg_four_times(1, 0);
}

/* The client's verify decision is asked again during a renegotiation. */
static void reneg_with_verify_decision(void)
{
    reneg_four_times(0, 1);
    reneg_four_times(1, 1);
}

/* No second renegotiation while one runs; none before the handshake; none after close. */
static void reneg_api_misuse(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    config12(&p.ccfg);
    config12(&p.scfg);
    p.scfg.chains[0] = &id.chain;
    p.scfg.nchains = 1;
    CHECK_EQ(mt_conn_new(&p.ccfg, 0, NULL, &p.c), 0);
    CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &p.s), 0);
    CHECK_EQ(mt_conn_renegotiate(p.c), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_conn_renegotiate(p.s), -MT_E_INVALID_ARG);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK_EQ(mt_conn_renegotiate(p.s), 0);
    CHECK(mt_conn_status(p.s) & MT_ST_HANDSHAKING);
    CHECK_EQ(mt_conn_renegotiate(p.s), -MT_E_RENEGOTIATION_PENDING);
    CHECK_EQ(mt_conn_renegotiate(p.c), 0); /* crosses the HelloRequest, which is ignored */
    CHECK_EQ(mt_conn_renegotiate(p.c), -MT_E_RENEGOTIATION_PENDING);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK(!((mt_conn_status(p.c) | mt_conn_status(p.s)) & MT_ST_HANDSHAKING));
    mt_conn_info ci;
    mt_conn_get_info(p.c, &ci);
    CHECK_EQ(ci.renegotiations, 1);
    CHECK_EQ(mt_conn_close(p.c), 0);
    CHECK_EQ(mt_conn_renegotiate(p.c), -MT_E_CLOSED);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK_EQ(mt_conn_renegotiate(p.s), -MT_E_CLOSED);
    free_pair(&p);
    free_id(&id);
}

/* no_renegotiation on one side: its peer's request gets a warning and the connection goes on
 * (the client's refused ClientHello leaves its keys and exporter as they were). */
static void reneg_refused_when_disabled(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    for (int server_refuses = 0; server_refuses < 2; server_refuses++) {
        pair p;
        reneg_pair(&p, &id);
        mt_config *refuser = server_refuses ? &p.scfg : &p.ccfg;
        mt_conn *asker = server_refuses ? p.c : p.s;
        refuser->no_renegotiation = 1;
        CHECK_EQ(mt_conn_renegotiate(server_refuses ? p.s : p.c), -MT_E_RENEGOTIATION_DISABLED);
        CHECK(same_exporter(&p));
        int during;
        CHECK_EQ(reneg_with_data(&p, asker, &during), 0); /* refused, data still flows */
        CHECK(!(mt_conn_status(asker) & MT_ST_HANDSHAKING));
        CHECK(mt_conn_status(asker) & MT_ST_CONNECTED);
        mt_conn_info ci, si;
        mt_conn_get_info(p.c, &ci);
        mt_conn_get_info(p.s, &si);
        CHECK_EQ(ci.renegotiations, 0);
        CHECK_EQ(si.renegotiations, 0);
        CHECK(same_exporter(&p));
        CHECK_EQ(echo(p.c, p.s, 1000), 0);
        CHECK_EQ(echo(p.s, p.c, 1000), 0);
        /* allowed again: it works */
        refuser->no_renegotiation = 0;
        CHECK_EQ(reneg_with_data(&p, asker, &during), 0);
        mt_conn_get_info(p.c, &ci);
        CHECK_EQ(ci.renegotiations, 1);
        CHECK(same_exporter(&p));
        free_pair(&p);
    }
    free_id(&id);
}

/* RFC 5746 3.5, 3.7: a renegotiated_connection that is not the saved verify_data, or an empty
 * one, aborts with handshake_failure. */
static void reneg_bad_renegotiation_info(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    for (int which = 0; which < 3; which++) {
        pair p;
        reneg_pair(&p, &id);
        mt_conn *failing = which == 1 ? p.c : p.s, *other = which == 1 ? p.s : p.c;
        if (which == 0) {
            p.c->client_vd[3] ^= 1; /* the client sends a wrong client_verify_data */
        } else if (which == 1) {
            p.s->server_vd[11] ^= 0x80; /* the server answers a wrong server_verify_data */
        }
        if (which == 2) {
            /* a renegotiating ClientHello built as a first one: empty renegotiation_info */
            uint16_t rv = p.c->rec_version;
            p.c->established = 0;
            CHECK_EQ(mt_hs12_client_renegotiate(p.c), 0);
            p.c->established = 1;
            p.c->rec_version = rv;
        } else {
            CHECK_EQ(mt_conn_renegotiate(p.c), 0);
        }
        CHECK_EQ(pump(p.c, p.s), -MT_E_BAD_RENEGOTIATION_INFO);
        CHECK_EQ(mt_conn_error(failing), -MT_E_BAD_RENEGOTIATION_INFO);
        CHECK_EQ(mt_conn_peer_alert(other), MT_ALERT_HANDSHAKE_FAILURE);
        free_pair(&p);
    }
    free_id(&id);
}

/* The triple handshake defence: a server certificate that changes is refused by the client. */
static void reneg_server_cert_change(void)
{
    ident id, id2;
    make_id(&id, MT_KEY_EC_P256, 0);
    make_id(&id2, MT_KEY_EC_P256, 0);
    for (int server_starts = 0; server_starts < 2; server_starts++) {
        pair p;
        reneg_pair(&p, &id);
        p.scfg.chains[0] = &id2.chain;
        CHECK_EQ(mt_conn_renegotiate(server_starts ? p.s : p.c), 0);
        CHECK_EQ(pump(p.c, p.s), -MT_E_PEER_CERT_CHANGED);
        CHECK_EQ(mt_conn_error(p.c), -MT_E_PEER_CERT_CHANGED);
        CHECK_EQ(mt_conn_peer_alert(p.s), MT_ALERT_ILLEGAL_PARAMETER);
        free_pair(&p);
    }
    /* the same certificate again passes */
    pair p;
    reneg_pair(&p, &id);
    int during;
    CHECK_EQ(reneg_with_data(&p, p.c, &during), 0);
    free_pair(&p);
    free_id(&id);
    free_id(&id2);
}

/* A server may ask for a client certificate in a renegotiation; once given, it must stay. */
static void reneg_client_certificate(void)
{
    ident sid, cid, cid2;
    make_id(&sid, MT_KEY_EC_P256, 0);
    make_id(&cid, MT_KEY_EC_P256, 0);
    make_id(&cid2, MT_KEY_ED25519, 0);
    pair p;
    reneg_pair(&p, &sid);
    p.ccfg.chains[0] = &cid.chain;
    p.ccfg.nchains = 1;
    const uint8_t *der;
    size_t len;
    CHECK_EQ(mt_conn_peer_chain(p.s, 0, &der, &len), 0);
    p.scfg.client_auth = MT_CLIENT_AUTH_REQUIRE;
    p.scfg.verify_peer = 1;
    int during;
    CHECK_EQ(reneg_with_data(&p, p.s, &during), 0);
    CHECK_EQ(mt_conn_peer_chain(p.s, 0, &der, &len), 1);
    CHECK(len == cid.cert.len && memcmp(der, cid.cert.p, len) == 0);
    CHECK_EQ(reneg_with_data(&p, p.c, &during), 0); /* the same certificate again */
    p.ccfg.chains[0] = &cid2.chain;                 /* another one: refused */
    CHECK_EQ(mt_conn_renegotiate(p.c), 0);
    int rc = pump(p.c, p.s);
    rc = rc < 0 ? rc : answer_decision(p.s);
    rc = rc < 0 ? rc : pump(p.c, p.s);
    CHECK_EQ(rc, -MT_E_PEER_CERT_CHANGED);
    CHECK_EQ(mt_conn_error(p.s), -MT_E_PEER_CERT_CHANGED);
    free_pair(&p);
    free_id(&sid);
    free_id(&cid);
    free_id(&cid2);
}

/* Without RFC 5746 on the connection (as if the peer had sent neither renegotiation_info nor the
 * SCSV), or after resuming a session without extended master secret (RFC 7627 5.4), nothing
 * renegotiates: the API says why and a peer's request is refused. */
static void reneg_insecure_peer_refused(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    for (int why = 0; why < 2; why++) {
        pair p;
        reneg_pair(&p, &id);
        if (why == 0) {
            p.c->secure_reneg = p.s->secure_reneg = 0;
        } else {
            p.c->resumed = p.s->resumed = 1;
            p.c->ems = p.s->ems = 0;
        }
        CHECK_EQ(mt_conn_renegotiate(p.c), -MT_E_RENEGOTIATION_UNSAFE);
        CHECK_EQ(mt_conn_renegotiate(p.s), -MT_E_RENEGOTIATION_UNSAFE);
        /* a request anyway (the client's state made secure for a moment) gets a warning */
        p.c->secure_reneg = 1;
        p.c->resumed = 0;
        p.c->ems = 1;
        CHECK_EQ(mt_conn_renegotiate(p.c), 0);
        CHECK_EQ(pump(p.c, p.s), 0);
        mt_conn_info ci;
        mt_conn_get_info(p.c, &ci);
        CHECK_EQ(ci.renegotiations, 0);
        CHECK(!(mt_conn_status(p.c) & MT_ST_HANDSHAKING));
        CHECK_EQ(echo(p.c, p.s, 1000), 0);
        free_pair(&p);
    }
    free_id(&id);
}

/* A peer asking endlessly: MT_RENEG_PEER_MAX renegotiations per window, then warnings, and the
 * fifth refusal ends the connection with no_renegotiation. */
static void reneg_peer_limit(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    reneg_pair(&p, &id);
    int during;
    for (int i = 0; i < MT_RENEG_PEER_MAX; i++) {
        CHECK_EQ(reneg_with_data(&p, p.c, &during), 0);
    }
    mt_conn_info ci;
    mt_conn_get_info(p.s, &ci);
    CHECK_EQ(ci.renegotiations, MT_RENEG_PEER_MAX);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(reneg_with_data(&p, p.c, &during), 0); /* refused with a warning */
        CHECK_EQ(echo(p.c, p.s, 100), 0);
    }
    mt_conn_get_info(p.c, &ci);
    CHECK_EQ(ci.renegotiations, MT_RENEG_PEER_MAX);
    CHECK_EQ(mt_conn_renegotiate(p.c), 0);
    CHECK_EQ(pump(p.c, p.s), -MT_E_NO_RENEGOTIATION);
    CHECK_EQ(mt_conn_error(p.s), -MT_E_NO_RENEGOTIATION);
    CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_NO_RENEGOTIATION);
    free_pair(&p);
    free_id(&id);
}

/* RFC 5746 3.7: a renegotiating ClientHello with the SCSV aborts, even with the right
 * renegotiation_info. The hello is written here and sealed under the client's keys; without the
 * SCSV the same hello is taken. */
static void reneg_scsv_refused(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    for (int scsv = 1; scsv >= 0; scsv--) {
        pair p;
        reneg_pair(&p, &id);
        mt_wr w;
        mt_wr_init_growable(&w, 4096);
        int rc = mt_wr_u8(&w, 1); /* ClientHello */
        rc |= mt_wr_open(&w, 3);
        rc |= mt_wr_u16(&w, 0x0303);
        for (int i = 0; i < 32; i++) {
            rc |= mt_wr_u8(&w, (uint8_t)i);
        }
        rc |= mt_wr_u8(&w, 0);
        rc |= mt_wr_u16(&w, scsv ? 4 : 2);
        rc |= mt_wr_u16(&w, 0xc02b);
        if (scsv) {
            rc |= mt_wr_u16(&w, MT_SCSV_RENEGOTIATION);
        }
        rc |= mt_wr_u8(&w, 1);
        rc |= mt_wr_u8(&w, 0);
        rc |= mt_wr_open(&w, 2);
        static const uint8_t exts[] = {0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, /* P-256 */
                                       0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03, /* ecdsa */
                                       0x00, 0x17, 0x00, 0x00,                         /* EMS */
                                       0xff, 0x01, 0x00, 0x0d, 0x0c};
        rc |= mt_wr_bytes(&w, exts, sizeof(exts));
        rc |= mt_wr_bytes(&w, p.c->client_vd, 12);
        rc |= mt_wr_close(&w);
        rc |= mt_wr_close(&w);
        rc |= mt_wr_finish(&w);
        rc |= mt_rec_seal(&p.c->wr, MT_CT_HANDSHAKE, 0x0303, w.p, w.len, &p.c->out);
        CHECK_EQ(rc, 0);
        size_t len, used;
        const uint8_t *out = mt_conn_out(p.c, &len);
        rc = mt_conn_feed(p.s, out, len, &used);
        if (scsv) {
            CHECK_EQ(rc, -MT_E_BAD_RENEGOTIATION_INFO);
        } else {
            CHECK_EQ(rc, 0);
            CHECK(mt_conn_status(p.s) & MT_ST_HANDSHAKING);
            CHECK(mt_conn_status(p.s) & MT_ST_HAS_OUTPUT); /* its ServerHello flight */
        }
        mt_wr_free(&w);
        free_pair(&p);
    }
    free_id(&id);
}

/* A renegotiating client may leave server_name out: the server keeps the name and does not
 * acknowledge one it was not sent (RFC 6066 3); a different name is refused. */
static void reneg_server_name(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    reneg_pair(&p, &id);
    p.c->sni[0] = '\0';
    int during;
    CHECK_EQ(reneg_with_data(&p, p.c, &during), 0);
    mt_conn_info si;
    mt_conn_get_info(p.s, &si);
    CHECK(strcmp(si.sni, "example.com") == 0);
    strcpy(p.c->sni, "example.org");
    CHECK_EQ(mt_conn_renegotiate(p.c), 0);
    CHECK_EQ(pump(p.c, p.s), -MT_E_ILLEGAL_PARAMETER);
    free_pair(&p);
    free_id(&id);
}

/* MT_DECIDE_SELECT: the server pauses after the ClientHello, shows its SNI and ALPN list, and
 * goes on with the configuration the application picks (its certificate and ALPN), or fails
 * with the application's verdict. */
static void select_decision(void)
{
    ident a, b;
    make_id(&a, MT_KEY_EC_P256, 0);
    make_id(&b, MT_KEY_ED25519, 0);
    pair p;
    mt_config bcfg;
    config12(&p.ccfg);
    config12(&p.scfg);
    config12(&bcfg);
    p.scfg.chains[0] = &a.chain;
    p.scfg.nchains = 1;
    p.scfg.decide_select = 1;
    static const uint8_t a_alpn[] = {1, 'a'};
    memcpy(p.scfg.alpn, a_alpn, sizeof(a_alpn));
    p.scfg.alpn_len = sizeof(a_alpn);
    bcfg.chains[0] = &b.chain;
    bcfg.nchains = 1;
    static const uint8_t b_alpn[] = {2, 'h', '2'};
    memcpy(bcfg.alpn, b_alpn, sizeof(b_alpn));
    bcfg.alpn_len = sizeof(b_alpn);
    static const uint8_t c_alpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    memcpy(p.ccfg.alpn, c_alpn, sizeof(c_alpn));
    p.ccfg.alpn_len = sizeof(c_alpn);

    for (int round = 0; round < 3; round++) {
        CHECK_EQ(mt_conn_new(&p.ccfg, 0, "b.example", &p.c), 0);
        CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &p.s), 0);
        const char *sni;
        const uint8_t *alpn;
        size_t alpn_len;
        CHECK_EQ(mt_conn_hello(p.s, &sni, &alpn, &alpn_len), -MT_E_INVALID_ARG);
        CHECK_EQ(mt_conn_set_config(p.s, &bcfg), -MT_E_INVALID_ARG);
        CHECK_EQ(pump(p.c, p.s), 0);
        CHECK_EQ(mt_conn_decision(p.s), MT_DECIDE_SELECT);
        CHECK(mt_conn_status(p.s) & MT_ST_DECISION);
        CHECK(!(mt_conn_status(p.s) & MT_ST_HAS_OUTPUT));
        CHECK_EQ(mt_conn_hello(p.s, &sni, &alpn, &alpn_len), 0);
        CHECK(strcmp(sni, "b.example") == 0);
        CHECK(alpn_len == sizeof(c_alpn) && memcmp(alpn, c_alpn, alpn_len) == 0);
        /* while the decision waits, no input is taken */
        size_t used;
        CHECK_EQ(mt_conn_feed(p.s, (const uint8_t *)"\x16\x03\x03", 3, &used), 0);
        CHECK_EQ(used, 0);
        if (round == 0) {
            /* switch: the other certificate and ALPN list answer */
            CHECK_EQ(mt_conn_set_config(p.s, &bcfg), 0);
            CHECK_EQ(mt_conn_decide(p.s, 0), 0);
            CHECK_EQ(pump(p.c, p.s), 0);
            CHECK(mt_conn_status(p.c) & MT_ST_CONNECTED);
            mt_conn_info ci;
            mt_conn_get_info(p.c, &ci);
            CHECK(strcmp(ci.alpn, "h2") == 0);
            const uint8_t *der;
            size_t len;
            CHECK_EQ(mt_conn_peer_chain(p.c, 0, &der, &len), 1);
            CHECK(len == b.cert.len && memcmp(der, b.cert.p, len) == 0);
            CHECK_EQ(echo(p.c, p.s, 1000), 0);
        } else if (round == 1) {
            /* keep: the first configuration has no ALPN in common */
            CHECK_EQ(mt_conn_decide(p.s, 0), -MT_E_NO_APPLICATION_PROTOCOL);
            CHECK(pump(p.c, p.s) < 0);
            CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_NO_APPLICATION_PROTOCOL);
        } else {
            /* refuse the name */
            CHECK_EQ(mt_conn_decide(p.s, -MT_E_UNRECOGNIZED_NAME), -MT_E_UNRECOGNIZED_NAME);
            CHECK(pump(p.c, p.s) < 0);
            CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_UNRECOGNIZED_NAME);
        }
        CHECK_EQ(mt_conn_decision(p.s), MT_DECIDE_NONE);
        free_pair(&p);
    }
    free_id(&a);
    free_id(&b);
}

/* MT_DECIDE_SESSION: a server without a cache of its own asks the application for the session
 * a client offers; the offered session resumes, none (or a stale one) gives a full handshake. */
static void session_decision(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    pair p;
    config12(&p.ccfg);
    config12(&p.scfg);
    p.scfg.chains[0] = &id.chain;
    p.scfg.nchains = 1;
    p.scfg.decide_session = 1;
    /* a first, full handshake: no id offered, no pause; the server names its session */
    CHECK_EQ(mt_conn_new(&p.ccfg, 0, "example.com", &p.c), 0);
    CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &p.s), 0);
    CHECK_EQ(pump(p.c, p.s), 0);
    CHECK(mt_conn_status(p.s) & MT_ST_CONNECTED);
    const uint8_t *id_s, *id_c;
    CHECK_EQ(mt_conn_session_id(p.s, &id_s), 32);
    CHECK_EQ(mt_conn_session_id(p.c, &id_c), 32);
    CHECK(memcmp(id_s, id_c, 32) == 0);
    mt_session stored, csess;
    CHECK_EQ(mt_conn_session(p.s, &stored), 0);
    CHECK_EQ(mt_conn_session(p.c, &csess), 0);
    free_pair(&p);
    for (int round = 0; round < 4; round++) {
        CHECK_EQ(mt_conn_new(&p.ccfg, 0, "example.com", &p.c), 0);
        CHECK_EQ(mt_conn_resume(p.c, &csess), 0);
        CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &p.s), 0);
        CHECK_EQ(pump(p.c, p.s), 0);
        CHECK_EQ(mt_conn_decision(p.s), MT_DECIDE_SESSION);
        const uint8_t *asked;
        CHECK_EQ(mt_conn_session_id(p.s, &asked), 32);
        CHECK(memcmp(asked, stored.sid, 32) == 0);
        mt_session other = stored;
        other.sid[0] ^= 1;
        CHECK_EQ(mt_conn_offer_session(p.s, &other), -MT_E_INVALID_ARG);
        int want_resumed = 0;
        if (round == 0) {
            CHECK_EQ(mt_conn_offer_session(p.s, &stored), 0);
            want_resumed = 1;
        } else if (round == 2) {
            other = stored;
            other.created -= 2 * 86400; /* older than a day */
            CHECK_EQ(mt_conn_offer_session(p.s, &other), 0);
        } else if (round == 3) {
            other = stored;
            other.ems = !other.ems; /* RFC 7627 5.3 */
            CHECK_EQ(mt_conn_offer_session(p.s, &other), 0);
        }
        CHECK_EQ(mt_conn_decide(p.s, 0), 0);
        CHECK_EQ(pump(p.c, p.s), 0);
        CHECK(mt_conn_status(p.c) & MT_ST_CONNECTED);
        mt_conn_info ci, si;
        mt_conn_get_info(p.c, &ci);
        mt_conn_get_info(p.s, &si);
        CHECK_EQ(ci.resumed, want_resumed);
        CHECK_EQ(si.resumed, want_resumed);
        CHECK_EQ(echo(p.c, p.s, 3000), 0);
        CHECK_EQ(echo(p.s, p.c, 3000), 0);
        free_pair(&p);
    }
    mt_session_wipe(&stored);
    mt_session_wipe(&csess);
    free_id(&id);
}

/* A ClientHello with session_ticket (RFC 5077 3.2), empty or holding a ticket, to a server
 * without tickets (no keys, no hooks): parsed and not answered (the client would refuse an
 * unsolicited one with unsupported_extension), a full handshake follows. The extension takes
 * the place of one of the same size in the hello of a client that asks for none itself. */
static void session_ticket_extension_ignored(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    static const uint8_t ems[] = {0x00, 0x17, 0x00, 0x00}, empty[] = {0x00, 0x23, 0x00, 0x00};
    static const uint8_t rsl[] = {0x00, 0x1c, 0x00, 0x02, 0x00, 0x64};
    static const uint8_t ticket[] = {0x00, 0x23, 0x00, 0x02, 0xab, 0xcd};
    for (int k = 0; k < 2; k++) {
        pair p;
        limits_pair(&p, &id, 0, k ? 100 : 0, 0);
        mt_conn_free(p.c);
        p.ccfg.no_tickets = 1;
        CHECK_EQ(mt_conn_new(&p.ccfg, 0, "example.com", &p.c), 0);
        if (k) {
            patch_out(p.c, rsl, ticket, sizeof(rsl));
        } else {
            patch_out(p.c, ems, empty, sizeof(ems));
        }
        size_t len, used;
        const uint8_t *out = mt_conn_out(p.c, &len);
        CHECK_EQ(mt_conn_feed(p.s, out, len, &used), 0);
        CHECK_EQ(used, len);
        /* ServerHello: record header, type, length, version, random, session id, suite,
         * compression, then the extensions */
        out = mt_conn_out(p.s, &len);
        mt_rd r, sid, exts;
        int rc = 0, found = 0, found_ems = 0;
        mt_rd_init(&r, out, len);
        rc |= mt_rd_skip(&r, 5 + 4 + 2 + 32);
        rc |= mt_rd_vec8(&r, &sid);
        rc |= mt_rd_skip(&r, 3);
        rc |= mt_rd_vec16(&r, &exts);
        while (rc == 0 && mt_rd_left(&exts) > 0) {
            uint16_t type;
            mt_rd d;
            rc |= mt_rd_u16(&exts, &type);
            rc |= mt_rd_vec16(&exts, &d);
            found |= type == 35;
            found_ems |= type == 0x17;
        }
        CHECK_EQ(rc, 0);
        CHECK(!found);
        CHECK_EQ(found_ems, k); /* the scan sees the extensions: EMS when it was left */
        free_pair(&p);
    }
    free_id(&id);
}

/* RFC 6066 3: a client given an IP address sends no server_name; a DNS name is sent. */
static void no_sni_for_ip_literals(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    static const char *const names[] = {"127.0.0.1", "::1", "2001:db8::7", "host.example"};
    for (size_t i = 0; i < 4; i++) {
        pair p;
        config12(&p.ccfg);
        config12(&p.scfg);
        p.scfg.chains[0] = &id.chain;
        p.scfg.nchains = 1;
        CHECK_EQ(mt_conn_new(&p.ccfg, 0, names[i], &p.c), 0);
        CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &p.s), 0);
        CHECK_EQ(pump(p.c, p.s), 0);
        mt_conn_info si;
        mt_conn_get_info(p.s, &si);
        CHECK(strcmp(si.sni, i < 3 ? "" : "host.example") == 0);
        free_pair(&p);
    }
    free_id(&id);
}

/* Seal `count` records of `type` with `len` bytes (0x41) from c's write state into its output. */
static void inject(mt_conn *c, uint8_t type, const uint8_t *data, size_t len, int count)
{
    for (int i = 0; i < count; i++) {
        CHECK_EQ(mt_rec_seal(&c->wr, type, c->rec_version, data, len, &c->out), 0);
    }
}

/* Zero-length application data records are taken (32 in a row, then unexpected_message);
 * warning alerts are ignored (4 in a row, then unexpected_message), also interleaved with the
 * handshake's records; data in between resets both counts. */
static void empty_records_and_warnings(void)
{
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    static const uint8_t warn[2] = {1, MT_ALERT_USER_CANCELED}, x[1] = {'x'};
    for (int round = 0; round < 2; round++) {
        pair p;
        config12(&p.ccfg);
        config12(&p.scfg);
        p.scfg.chains[0] = &id.chain;
        p.scfg.nchains = 1;
        CHECK_EQ(mt_conn_new(&p.ccfg, 0, NULL, &p.c), 0);
        CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &p.s), 0);
        /* a warning alert interleaved with the handshake, after the ClientHello */
        inject(p.c, MT_CT_ALERT, warn, 2, 1);
        CHECK_EQ(pump(p.c, p.s), 0);
        CHECK(mt_conn_status(p.c) & MT_ST_CONNECTED);
        uint8_t buf[8];
        size_t n;
        if (round == 0) {
            for (int k = 0; k < 3; k++) {
                inject(p.c, MT_CT_APPLICATION_DATA, NULL, 0, 32);
                inject(p.c, MT_CT_APPLICATION_DATA, x, 1, 1);
                CHECK_EQ(pump(p.c, p.s), 0);
                CHECK_EQ(mt_conn_read(p.s, buf, sizeof(buf), &n), 0);
                CHECK_EQ(n, 1);
            }
            inject(p.c, MT_CT_APPLICATION_DATA, NULL, 0, 33);
            CHECK_EQ(pump(p.c, p.s), -MT_E_UNEXPECTED_MESSAGE);
        } else {
            for (int k = 0; k < 3; k++) {
                inject(p.c, MT_CT_ALERT, warn, 2, 4);
                inject(p.c, MT_CT_APPLICATION_DATA, x, 1, 1);
                CHECK_EQ(pump(p.c, p.s), 0);
                CHECK_EQ(mt_conn_read(p.s, buf, sizeof(buf), &n), 0);
            }
            inject(p.c, MT_CT_ALERT, warn, 2, 5);
            CHECK_EQ(pump(p.c, p.s), -MT_E_UNEXPECTED_MESSAGE);
        }
        CHECK_EQ(mt_conn_peer_alert(p.c), MT_ALERT_UNEXPECTED_MESSAGE);
        free_pair(&p);
    }
    free_id(&id);
}

/* Idle memory (mt_conn_trim): between records the input buffer, the output buffer and the
 * expanded keys go, and come back at the next record; a record split across feeds survives a
 * trim in the middle; peek/consume read in place. TLS 1.2 (AES-GCM, ChaCha20, CBC) and 1.3. */
static int trimmed(const mt_conn *c)
{
    return c->rin == NULL && c->out.p == NULL && c->hs_in.p == NULL && c->rd.ctx == NULL &&
           c->wr.ctx == NULL;
}

static void trim_between_records(void)
{
    static const uint16_t suites[] = {0xc02b, 0xcca9, 0xc023, 0};
    ident id;
    make_id(&id, MT_KEY_EC_P256, 0);
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        pair p;
        CHECK_EQ(handshake(&p, &id, suites[i]), 0);
        if (suites[i] == 0) { /* the same pair under TLS 1.3 */
            free_pair(&p);
            p.ccfg.max_version = p.scfg.max_version = MT_TLS13;
            CHECK_EQ(mt_conn_new(&p.ccfg, 0, "example.com", &p.c), 0);
            CHECK_EQ(mt_conn_new(&p.scfg, 1, NULL, &p.s), 0);
            CHECK_EQ(pump(p.c, p.s), 0);
            mt_conn_info info;
            mt_conn_get_info(p.c, &info);
            CHECK_EQ(info.version, MT_TLS13);
        }
        for (int round = 0; round < 3; round++) {
            mt_conn_trim(p.c);
            mt_conn_trim(p.s);
            CHECK(trimmed(p.c) && trimmed(p.s));
            CHECK_EQ(echo(p.c, p.s, 100 + 40000 * (size_t)round), 0);
            CHECK_EQ(echo(p.s, p.c, 3), 0);
        }
        /* one record fed a byte at a time, trimmed after each byte */
        size_t n, len, used;
        CHECK_EQ(mt_conn_write(p.c, (const uint8_t *)"split", 5, &n), 0);
        const uint8_t *rec = mt_conn_out(p.c, &len);
        uint8_t copy[256];
        CHECK(len <= sizeof(copy));
        memcpy(copy, rec, len);
        mt_conn_out_done(p.c, len);
        for (size_t k = 0; k < len; k++) {
            CHECK_EQ(mt_conn_feed(p.s, copy + k, 1, &used), 0);
            CHECK_EQ(used, 1);
            mt_conn_trim(p.s);
        }
        const uint8_t *pt;
        CHECK_EQ(mt_conn_peek(p.s, &pt, &n), 0);
        CHECK(n == 5 && memcmp(pt, "split", 5) == 0);
        mt_conn_trim(p.s); /* unread plaintext stays */
        CHECK_EQ(mt_conn_peek(p.s, &pt, &n), 0);
        CHECK(n == 5 && memcmp(pt, "split", 5) == 0);
        mt_conn_consume(p.s, 2);
        CHECK_EQ(mt_conn_peek(p.s, &pt, &n), 0);
        CHECK(n == 3 && memcmp(pt, "lit", 3) == 0);
        mt_conn_consume(p.s, 3);
        CHECK_EQ(mt_conn_peek(p.s, &pt, &n), -MT_E_WANT_READ);
        /* a tampered record after a trim still fails as a bad MAC */
        mt_conn_trim(p.s);
        CHECK_EQ(mt_conn_write(p.c, (const uint8_t *)"x", 1, &n), 0);
        rec = mt_conn_out(p.c, &len);
        memcpy(copy, rec, len);
        copy[len - 1] ^= 1;
        CHECK_EQ(mt_conn_feed(p.s, copy, len, &used), -MT_E_BAD_RECORD_MAC);
        free_pair(&p);
    }
    free_id(&id);
}

int main(void)
{
    pump_opts.edit = tamper_hook;
    pump_opts.seen = scan_bytes;
    RUN(trim_between_records);
    RUN(handshake_messages_cut_and_repeated);
    RUN(session_id_resumption);
    RUN(no_cache_no_session);
    RUN(every_suite_and_key);
    RUN(one_mib_both_ways_and_close);
    RUN(no_common_suite);
    RUN(corrupted_records_fail);
    RUN(cbc_tampered_records_fail);
    RUN(etm_negotiation);
    RUN(verify_decision_pauses_client);
    RUN(client_hello_truncated_everywhere);
    RUN(out_of_order_message);
    RUN(cauth_require_with_every_key);
    RUN(cauth_require_without_cert_fails);
    RUN(cauth_optional);
    RUN(cauth_no_fitting_chain);
    RUN(cauth_certificate_request_contents);
    RUN(cauth_bad_certificate_verify);
    RUN(cauth_server_verify_decision);
    RUN(mfl_negotiated);
    RUN(mfl_bad_values);
    RUN(rsl_negotiated);
    RUN(rsl_bad_values_and_padding);
    RUN(reneg_client_initiated);
    RUN(reneg_server_initiated);
    RUN(reneg_with_verify_decision);
    RUN(reneg_api_misuse);
    RUN(reneg_refused_when_disabled);
    RUN(reneg_bad_renegotiation_info);
    RUN(reneg_server_cert_change);
    RUN(reneg_client_certificate);
    RUN(reneg_insecure_peer_refused);
    RUN(reneg_peer_limit);
    RUN(reneg_scsv_refused);
    RUN(reneg_server_name);
    RUN(select_decision);
    RUN(session_decision);
    RUN(session_ticket_extension_ignored);
    RUN(no_sni_for_ip_literals);
    RUN(empty_records_and_warnings);
    return t_done();
}
