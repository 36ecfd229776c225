/*
 * IMPLEMENTATION NOTES
 *
 * The TLS 1.2 handshake (RFC 5246 7.3), both roles, with ECDHE key exchange
 * (RFC 8422) and certificate authentication. Each incoming message is parsed
 * completely into locals (reader + mt_rd_end) before any state changes, and
 * the state says which message may come next: anything else is
 * unexpected_message.
 *
 *   client: C_WAIT_SH -> C_WAIT_CERT -> C_WAIT_SKE -> C_WAIT_SHD
 *           (sends [Certificate] ClientKeyExchange CCS Finished)
 *           -> C_WAIT_CCS -> C_WAIT_FIN -> CONNECTED
 *   server: S_WAIT_CH (sends ServerHello Certificate ServerKeyExchange
 *           ServerHelloDone) -> S_WAIT_CKE -> S_WAIT_CCS -> S_WAIT_FIN
 *           (sends CCS Finished) -> CONNECTED
 *
 * Every message but Finished enters the transcript before it is handled;
 * Finished is checked against the transcript that precedes it. The EMS
 * session hash (RFC 7627 3) is taken right after ClientKeyExchange.
 */
#include <string.h>

#include "asn1.h"
#include "ct.h"
#include "engine_int.h"
#include "err.h"
#include "prf.h"
#include "rng.h"

enum {
    HT_HELLO_REQUEST = 0,
    HT_CLIENT_HELLO = 1,
    HT_SERVER_HELLO = 2,
    HT_CERTIFICATE = 11,
    HT_SERVER_KEY_EXCHANGE = 12,
    HT_CERTIFICATE_REQUEST = 13,
    HT_SERVER_HELLO_DONE = 14,
    HT_CERTIFICATE_VERIFY = 15,
    HT_CLIENT_KEY_EXCHANGE = 16,
    HT_FINISHED = 20,
};

enum {
    EXT_SERVER_NAME = 0,
    EXT_SUPPORTED_GROUPS = 10,
    EXT_EC_POINT_FORMATS = 11,
    EXT_SIGNATURE_ALGORITHMS = 13,
    EXT_ALPN = 16,
    EXT_EMS = 23,
    EXT_RENEGOTIATION_INFO = 0xff01,
};

/* TLS SignatureScheme values (RFC 8446 4.2.3) and what they mean for keys.h. */
static const struct {
    uint16_t code;
    mt_sig_alg alg;
} sigalg_rows[] = {
    {0x0401, {MT_SIG_RSA_PKCS1, MT_HASH_SHA256, 0}},
    {0x0501, {MT_SIG_RSA_PKCS1, MT_HASH_SHA384, 0}},
    {0x0601, {MT_SIG_RSA_PKCS1, MT_HASH_SHA512, 0}},
    {0x0201, {MT_SIG_RSA_PKCS1, MT_HASH_SHA1, 0}},
    {0x0804, {MT_SIG_RSA_PSS, MT_HASH_SHA256, 32}},
    {0x0805, {MT_SIG_RSA_PSS, MT_HASH_SHA384, 48}},
    {0x0806, {MT_SIG_RSA_PSS, MT_HASH_SHA512, 64}},
    {0x0403, {MT_SIG_ECDSA, MT_HASH_SHA256, 0}},
    {0x0503, {MT_SIG_ECDSA, MT_HASH_SHA384, 0}},
    {0x0603, {MT_SIG_ECDSA, MT_HASH_SHA512, 0}},
    {0x0203, {MT_SIG_ECDSA, MT_HASH_SHA1, 0}},
    {0x0807, {MT_SIG_EDDSA, MT_HASH_NONE, 0}},
    {0x0808, {MT_SIG_EDDSA, MT_HASH_NONE, 0}},
};

static int sigalg_of(uint16_t code, mt_sig_alg *alg)
{
    for (size_t i = 0; i < sizeof(sigalg_rows) / sizeof(sigalg_rows[0]); i++) {
        if (sigalg_rows[i].code == code) {
            *alg = sigalg_rows[i].alg;
            return 1;
        }
    }
    return 0;
}

/* Whether `key` can make signatures of scheme `code` (Ed25519 and Ed448 told apart). */
static int key_fits(const mt_key *key, uint16_t code)
{
    mt_sig_alg alg;
    if (!sigalg_of(code, &alg) || !mt_key_supports(key, alg)) {
        return 0;
    }
    mt_key_type t = mt_key_type_of(key);
    if (code == 0x0807) {
        return t == MT_KEY_ED25519;
    }
    if (code == 0x0808) {
        return t == MT_KEY_ED448;
    }
    return 1;
}

static int in_list(const uint16_t *list, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i] == v) {
            return 1;
        }
    }
    return 0;
}

/* 1 if the u16 list in r (a copy) contains v. */
static int rd_has_u16(mt_rd r, uint16_t v)
{
    uint16_t x;
    while (mt_rd_u16(&r, &x) == 0) {
        if (x == v) {
            return 1;
        }
    }
    return 0;
}

/* The SubjectPublicKeyInfo of a certificate (RFC 5280 4.1): the seventh element of
 * tbsCertificate when version is present, the sixth otherwise. */
MT_WUR static int cert_spki(const uint8_t *der, size_t len, const uint8_t **spki, size_t *n)
{
    mt_rd r, cert, tbs;
    mt_asn1_tlv t;
    int present;
    mt_rd_init(&r, der, len);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &cert));
    GUARD(mt_rd_end(&r));
    GUARD(mt_asn1_expect(&cert, MT_ASN1_SEQUENCE, &tbs));
    mt_rd version;
    GUARD(mt_asn1_optional(&tbs, 0xa0, &version, &present));
    for (int i = 0; i < 5; i++) { /* serial, signature, issuer, validity, subject */
        GUARD(mt_asn1_next(&tbs, &t));
    }
    return mt_asn1_raw(&tbs, MT_ASN1_SEQUENCE, spki, n);
}

/* ---- key schedule (RFC 5246 8.1, 6.3; RFC 7627 4) ---- */

MT_WUR static int derive_keys(mt_conn *c, const uint8_t *pms, size_t pms_len)
{
    const struct nettle_hash *h = c->suite->prf;
    if (c->ems) {
        GUARD(mt_prf_tls12(h, pms, pms_len, "extended master secret", c->session_hash,
                           c->session_hash_len, NULL, 0, c->master, sizeof(c->master)));
    } else {
        GUARD(mt_prf_tls12(h, pms, pms_len, "master secret", c->crand, 32, c->srand, 32, c->master,
                           sizeof(c->master)));
    }
    const mt_aead *a = c->suite->aead;
    size_t need = 2u * a->key_len + 2u * a->fixed_iv_len;
    return mt_prf_tls12(h, c->master, sizeof(c->master), "key expansion", c->srand, 32, c->crand,
                        32, c->key_block, need);
}

/* Switch one direction to the pending keys: client keys for what the client writes. */
static void activate(mt_conn *c, int for_write)
{
    const mt_aead *a = c->suite->aead;
    int client_side = for_write ? !c->server : c->server;
    const uint8_t *key = c->key_block + (client_side ? 0 : a->key_len);
    const uint8_t *iv = c->key_block + 2u * a->key_len + (client_side ? 0 : a->fixed_iv_len);
    mt_rec_prot_set(for_write ? &c->wr : &c->rd, a, 0, key, iv);
}

MT_WUR static int finished_data(mt_conn *c, int from_client, uint8_t out[12])
{
    uint8_t hash[MT_HASH_MAX_LEN];
    size_t n = mt_conn_transcript_hash(c, hash);
    return mt_prf_tls12(c->suite->prf, c->master, sizeof(c->master),
                        from_client ? "client finished" : "server finished", hash, n, NULL, 0, out,
                        12);
}

MT_WUR static int send_finished(mt_conn *c)
{
    uint8_t vd[12];
    GUARD(mt_conn_send_ccs(c));
    activate(c, 1);
    GUARD(finished_data(c, !c->server, vd));
    return mt_conn_send_hs(c, HT_FINISHED, vd, sizeof(vd));
}

MT_WUR static int check_finished(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *raw)
{
    uint8_t want[12];
    /* RFC 5246 7.4.9: verify_data is 12 bytes for every suite we run. */
    ENSURE(len == 12, DECODE);
    GUARD(finished_data(c, c->server, want));
    ENSURE(mt_ct_eq(want, body, 12), DECRYPT_ERROR);
    mt_conn_transcript(c, raw, 4 + len);
    return 0;
}

/* ---- extensions: a generic walk with duplicate detection ---- */

#define MAX_EXTS 64

typedef struct ext_list {
    uint16_t type[MAX_EXTS];
    mt_rd data[MAX_EXTS];
    size_t n;
} ext_list;

/* RFC 5246 7.4.1.4: no extension type twice. */
MT_WUR static int parse_exts(mt_rd *r, ext_list *e)
{
    e->n = 0;
    if (mt_rd_left(r) == 0) {
        return 0;
    }
    mt_rd all;
    GUARD(mt_rd_vec16(r, &all));
    while (mt_rd_left(&all) > 0) {
        uint16_t type;
        mt_rd data;
        GUARD(mt_rd_u16(&all, &type));
        GUARD(mt_rd_vec16(&all, &data));
        ENSURE(e->n < MAX_EXTS, DECODE);
        ENSURE(!in_list(e->type, e->n, type), ILLEGAL_PARAMETER);
        e->type[e->n] = type;
        e->data[e->n] = data;
        e->n++;
    }
    return 0;
}

/* ---- client ---- */

MT_WUR static int build_client_hello(mt_conn *c, mt_wr *w)
{
    const mt_config *cfg = c->cfg;
    GUARD(mt_wr_u16(w, MT_TLS12));
    GUARD(mt_wr_bytes(w, c->crand, 32));
    GUARD(mt_wr_u8(w, 0)); /* empty session id: no resumption yet */
    GUARD(mt_wr_open(w, 2));
    for (size_t i = 0; i < cfg->nsuites; i++) {
        const mt_suite *s = mt_suite_by_id(cfg->suites[i]);
        if (s && mt_suite_allows(s, MT_TLS12) && s->kx == MT_KX_ECDHE) {
            GUARD(mt_wr_u16(w, s->id));
        }
    }
    GUARD(mt_wr_close(w));
    GUARD(mt_wr_u8(w, 1));
    GUARD(mt_wr_u8(w, 0)); /* null compression only */
    GUARD(mt_wr_open(w, 2));
    if (c->sni[0]) {
        /* RFC 6066 3 */
        GUARD(mt_wr_u16(w, EXT_SERVER_NAME));
        GUARD(mt_wr_open(w, 2));
        GUARD(mt_wr_open(w, 2));
        GUARD(mt_wr_u8(w, 0));
        GUARD(mt_wr_open(w, 2));
        GUARD(mt_wr_bytes(w, c->sni, strlen(c->sni)));
        GUARD(mt_wr_close(w));
        GUARD(mt_wr_close(w));
        GUARD(mt_wr_close(w));
    }
    GUARD(mt_wr_u16(w, EXT_SUPPORTED_GROUPS));
    GUARD(mt_wr_open(w, 2));
    GUARD(mt_wr_open(w, 2));
    for (size_t i = 0; i < cfg->ngroups; i++) {
        GUARD(mt_wr_u16(w, cfg->groups[i]));
    }
    GUARD(mt_wr_close(w));
    GUARD(mt_wr_close(w));
    /* RFC 8422 5.1.2: uncompressed points only */
    static const uint8_t ecpf[] = {0x00, EXT_EC_POINT_FORMATS, 0x00, 0x02, 0x01, 0x00};
    GUARD(mt_wr_bytes(w, ecpf, sizeof(ecpf)));
    GUARD(mt_wr_u16(w, EXT_SIGNATURE_ALGORITHMS));
    GUARD(mt_wr_open(w, 2));
    GUARD(mt_wr_open(w, 2));
    for (size_t i = 0; i < cfg->nsigalgs; i++) {
        GUARD(mt_wr_u16(w, cfg->sigalgs[i]));
    }
    GUARD(mt_wr_close(w));
    GUARD(mt_wr_close(w));
    if (cfg->alpn_len) {
        GUARD(mt_wr_u16(w, EXT_ALPN));
        GUARD(mt_wr_open(w, 2));
        GUARD(mt_wr_open(w, 2));
        GUARD(mt_wr_bytes(w, cfg->alpn, cfg->alpn_len));
        GUARD(mt_wr_close(w));
        GUARD(mt_wr_close(w));
    }
    /* RFC 7627 5.1 and RFC 5746 3.4 (empty renegotiated_connection on the first hello) */
    static const uint8_t tail[] = {0x00, EXT_EMS, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00};
    GUARD(mt_wr_bytes(w, tail, sizeof(tail)));
    GUARD(mt_wr_close(w));
    return mt_wr_finish(w);
}

int mt_hs12_client_start(mt_conn *c)
{
    GUARD(mt_rng_bytes(c->crand, sizeof(c->crand)));
    c->rec_version = MT_TLS10; /* RFC 5246 E.1: the first record may say 1.0 */
    mt_wr w;
    mt_wr_init_growable(&w, MT_HS_MAX);
    int rc = build_client_hello(c, &w);
    if (rc == 0) {
        rc = mt_conn_send_hs(c, HT_CLIENT_HELLO, w.p, w.len);
    }
    mt_wr_free(&w);
    c->hs = MT_HS_C_WAIT_SH;
    return rc;
}

MT_WUR static int on_server_hello(mt_conn *c, const uint8_t *body, size_t len)
{
    mt_rd r, sid;
    uint16_t version, suite;
    uint8_t comp;
    ext_list e;
    const uint8_t *random;
    mt_rd_init(&r, body, len);
    GUARD(mt_rd_u16(&r, &version));
    GUARD(mt_rd_borrow(&r, 32, &random));
    GUARD(mt_rd_vec(&r, 1, 0, 32, &sid));
    GUARD(mt_rd_u16(&r, &suite));
    GUARD(mt_rd_u8(&r, &comp));
    GUARD(parse_exts(&r, &e));
    GUARD(mt_rd_end(&r));
    ENSURE(version == MT_TLS12, PROTOCOL_VERSION);
    const mt_suite *s = mt_suite_by_id(suite);
    /* RFC 5246 7.4.1.3: the suite and compression must be ones we offered. */
    ENSURE(s && in_list(c->cfg->suites, c->cfg->nsuites, suite) && s->kx == MT_KX_ECDHE &&
               mt_suite_allows(s, MT_TLS12),
           ILLEGAL_PARAMETER);
    ENSURE(comp == 0, ILLEGAL_PARAMETER);
    for (size_t i = 0; i < e.n; i++) {
        mt_rd d = e.data[i];
        switch (e.type[i]) {
        case EXT_RENEGOTIATION_INFO: {
            mt_rd inner;
            /* RFC 5746 3.4: empty on the initial handshake */
            GUARD(mt_rd_vec8(&d, &inner));
            ENSURE(mt_rd_left(&inner) == 0, HANDSHAKE_FAILURE);
            GUARD(mt_rd_end(&d));
            c->secure_reneg = 1;
            break;
        }
        case EXT_EMS:
            GUARD(mt_rd_end(&d));
            c->ems = 1;
            break;
        case EXT_EC_POINT_FORMATS: {
            mt_rd f;
            GUARD(mt_rd_vec(&d, 1, 1, 255, &f));
            GUARD(mt_rd_end(&d));
            break;
        }
        case EXT_SERVER_NAME:
            ENSURE(c->sni[0], UNSUPPORTED_EXTENSION);
            GUARD(mt_rd_end(&d));
            break;
        case EXT_ALPN: {
            mt_rd list, name;
            const uint8_t *p;
            ENSURE(c->cfg->alpn_len, UNSUPPORTED_EXTENSION);
            /* RFC 7301 3.1: exactly one protocol, one we offered */
            GUARD(mt_rd_vec16(&d, &list));
            GUARD(mt_rd_end(&d));
            GUARD(mt_rd_vec(&list, 1, 1, 255, &name));
            GUARD(mt_rd_end(&list));
            size_t n = mt_rd_left(&name);
            GUARD(mt_rd_borrow(&name, n, &p));
            int found = 0;
            mt_rd ours;
            mt_rd_init(&ours, c->cfg->alpn, c->cfg->alpn_len);
            while (!found && mt_rd_left(&ours) > 0) {
                mt_rd o;
                const uint8_t *op;
                GUARD(mt_rd_vec8(&ours, &o));
                size_t on = mt_rd_left(&o);
                GUARD(mt_rd_borrow(&o, on, &op));
                found = on == n && memcmp(op, p, n) == 0;
            }
            ENSURE(found, ILLEGAL_PARAMETER);
            memcpy(c->alpn, p, n);
            c->alpn[n] = '\0';
            break;
        }
        default:
            /* RFC 5246 7.4.1.4: an extension we did not offer */
            return -MT_E_UNSUPPORTED_EXTENSION;
        }
    }
    memcpy(c->srand, random, 32);
    c->sid_len = mt_rd_left(&sid);
    GUARD(mt_rd_copy(&sid, c->sid, c->sid_len));
    c->version = version;
    c->rec_version = version;
    c->suite = s;
    c->hs = MT_HS_C_WAIT_CERT;
    return 0;
}

/* Parse a Certificate message body into peer_certs (both roles). */
MT_WUR static int take_certificates(mt_conn *c, const uint8_t *body, size_t len)
{
    mt_rd r, list;
    mt_rd_init(&r, body, len);
    GUARD(mt_rd_vec24(&r, &list));
    GUARD(mt_rd_end(&r));
    mt_wr_reset(&c->peer_certs);
    c->npeer = 0;
    while (mt_rd_left(&list) > 0) {
        mt_rd cert;
        const uint8_t *p;
        GUARD(mt_rd_vec(&list, 3, 1, 0xffffff, &cert));
        ENSURE(c->npeer < MT_MAX_PEER_CERTS, BAD_CERTIFICATE);
        size_t n = mt_rd_left(&cert);
        GUARD(mt_rd_borrow(&cert, n, &p));
        c->peer_off[c->npeer] = c->peer_certs.len;
        c->peer_len[c->npeer] = n;
        GUARD(mt_wr_bytes(&c->peer_certs, p, n));
        c->npeer++;
    }
    return 0;
}

MT_WUR static int on_server_certificate(mt_conn *c, const uint8_t *body, size_t len)
{
    GUARD(take_certificates(c, body, len));
    /* RFC 5246 7.4.2: the server must send a chain for these suites */
    ENSURE(c->npeer > 0, BAD_CERTIFICATE);
    const uint8_t *spki;
    size_t n;
    int rc = cert_spki(c->peer_certs.p, c->peer_len[0], &spki, &n);
    ENSURE(rc == 0, BAD_CERTIFICATE);
    rc = mt_key_from_spki(spki, n, &c->peer_key);
    ENSURE(rc == 0, UNSUPPORTED_CERTIFICATE);
    mt_key_type t = mt_key_type_of(c->peer_key);
    int rsa = t == MT_KEY_RSA;
    int ec = t == MT_KEY_EC_P256 || t == MT_KEY_EC_P384 || t == MT_KEY_EC_P521 ||
             t == MT_KEY_ED25519 || t == MT_KEY_ED448;
    /* RFC 8422 5.3 / RFC 5246 7.4.2: the key must fit the suite's authentication */
    ENSURE(c->suite->auth == MT_AUTH_RSA ? rsa : ec, UNSUPPORTED_CERTIFICATE);
    c->hs = MT_HS_C_WAIT_SKE;
    if (c->cfg->verify_peer) {
        c->decision = MT_DECIDE_VERIFY;
    } else {
        c->chain_ok = 1;
    }
    return 0;
}

MT_WUR static int on_server_key_exchange(mt_conn *c, const uint8_t *body, size_t len)
{
    mt_rd r, point, sig;
    uint8_t curve_type;
    uint16_t group, scheme;
    const uint8_t *pt, *sg;
    mt_rd_init(&r, body, len);
    GUARD(mt_rd_u8(&r, &curve_type));
    GUARD(mt_rd_u16(&r, &group));
    GUARD(mt_rd_vec(&r, 1, 1, 255, &point));
    size_t params_len = r.off;
    GUARD(mt_rd_u16(&r, &scheme));
    GUARD(mt_rd_vec16(&r, &sig));
    GUARD(mt_rd_end(&r));
    /* RFC 8422 5.4: named_curve (3) with a group we offered */
    ENSURE(curve_type == 3 && in_list(c->cfg->groups, c->cfg->ngroups, group) &&
               mt_kex_supported(group),
           ILLEGAL_PARAMETER);
    /* RFC 5246 7.4.1.4.1: a signature scheme we offered */
    mt_sig_alg alg;
    ENSURE(in_list(c->cfg->sigalgs, c->cfg->nsigalgs, scheme) && sigalg_of(scheme, &alg),
           ILLEGAL_PARAMETER);
    ENSURE(key_fits(c->peer_key, scheme), ILLEGAL_PARAMETER);
    /* RFC 8422 5.4: signed over client_random || server_random || ServerECDHParams */
    mt_wr m;
    mt_wr_init_growable(&m, 64 + params_len);
    int rc = mt_wr_bytes(&m, c->crand, 32);
    rc = rc < 0 ? rc : mt_wr_bytes(&m, c->srand, 32);
    rc = rc < 0 ? rc : mt_wr_bytes(&m, body, params_len);
    size_t slen = mt_rd_left(&sig);
    if (rc == 0) {
        rc = mt_rd_borrow(&sig, slen, &sg);
    }
    if (rc == 0) {
        rc = mt_key_verify(c->peer_key, alg, m.p, m.len, sg, slen) < 0 ? -MT_E_DECRYPT_ERROR : 0;
    }
    mt_wr_free(&m);
    GUARD(rc);
    size_t plen = mt_rd_left(&point);
    GUARD(mt_rd_borrow(&point, plen, &pt));
    GUARD(mt_kex_generate(&c->kex, group));
    /* the premaster waits until ClientKeyExchange is in the transcript (RFC 7627 4) */
    GUARD(mt_kex_derive(&c->kex, pt, plen, c->pms, &c->pms_len));
    c->group = group;
    c->sigalg = scheme;
    c->ske_ok = 1;
    c->hs = MT_HS_C_WAIT_SHD;
    return 0;
}

/* RFC 5246 7.4.4. Client certificates are not offered yet: we answer with an empty
 * Certificate (7.4.6), which the server may accept or refuse. */
MT_WUR static int on_certificate_request(mt_conn *c, const uint8_t *body, size_t len)
{
    mt_rd r, types, algs, cas;
    mt_rd_init(&r, body, len);
    GUARD(mt_rd_vec(&r, 1, 1, 255, &types));
    GUARD(mt_rd_vec(&r, 2, 2, 0xfffe, &algs));
    ENSURE(mt_rd_left(&algs) % 2 == 0, DECODE);
    GUARD(mt_rd_vec16(&r, &cas));
    while (mt_rd_left(&cas) > 0) {
        mt_rd dn;
        GUARD(mt_rd_vec(&cas, 2, 1, 0xffff, &dn));
    }
    GUARD(mt_rd_end(&r));
    ENSURE(!c->cert_requested, UNEXPECTED_MESSAGE);
    c->cert_requested = 1;
    return 0;
}

MT_WUR static int on_server_hello_done(mt_conn *c, size_t len)
{
    ENSURE(len == 0, DECODE);
    if (c->cert_requested) {
        static const uint8_t empty[3] = {0, 0, 0};
        GUARD(mt_conn_send_hs(c, HT_CERTIFICATE, empty, sizeof(empty)));
    }
    uint8_t cke[1 + MT_KEX_MAX_PUB];
    cke[0] = (uint8_t)c->kex.pub_len;
    memcpy(cke + 1, c->kex.pub, c->kex.pub_len);
    GUARD(mt_conn_send_hs(c, HT_CLIENT_KEY_EXCHANGE, cke, 1 + c->kex.pub_len));
    c->session_hash_len = mt_conn_transcript_hash(c, c->session_hash);
    int rc = derive_keys(c, c->pms, c->pms_len);
    mt_wipe(c->pms, sizeof(c->pms));
    mt_kex_wipe(&c->kex);
    GUARD(rc);
    GUARD(send_finished(c));
    c->hs = MT_HS_C_WAIT_CCS;
    return 0;
}

/* ---- server ---- */

int mt_hs12_server_start(mt_conn *c)
{
    c->rec_version = MT_TLS12;
    c->hs = MT_HS_S_WAIT_CH;
    return 0;
}

typedef struct client_hello {
    uint16_t version;
    const uint8_t *random;
    mt_rd sid, suites, comps;
    ext_list ext;
} client_hello;

MT_WUR static int parse_client_hello(const uint8_t *body, size_t len, client_hello *ch)
{
    mt_rd r;
    mt_rd_init(&r, body, len);
    GUARD(mt_rd_u16(&r, &ch->version));
    GUARD(mt_rd_borrow(&r, 32, &ch->random));
    GUARD(mt_rd_vec(&r, 1, 0, 32, &ch->sid));
    GUARD(mt_rd_vec(&r, 2, 2, 0xfffe, &ch->suites));
    ENSURE(mt_rd_left(&ch->suites) % 2 == 0, DECODE);
    GUARD(mt_rd_vec(&r, 1, 1, 255, &ch->comps));
    GUARD(parse_exts(&r, &ch->ext));
    return mt_rd_end(&r);
}

/* The server name from a server_name extension (RFC 6066 3): one host_name. */
MT_WUR static int take_sni(mt_conn *c, mt_rd d)
{
    mt_rd list, name;
    uint8_t type;
    GUARD(mt_rd_vec(&d, 2, 1, 0xffff, &list));
    GUARD(mt_rd_end(&d));
    GUARD(mt_rd_u8(&list, &type));
    GUARD(mt_rd_vec(&list, 2, 1, 255, &name));
    ENSURE(type == 0, ILLEGAL_PARAMETER);
    size_t n = mt_rd_left(&name);
    GUARD(mt_rd_copy(&name, c->sni, n));
    c->sni[n] = '\0';
    /* RFC 6066 3: a DNS name in ASCII without the trailing dot; no NULs or controls */
    for (size_t i = 0; i < n; i++) {
        ENSURE(c->sni[i] > 0x20 && c->sni[i] < 0x7f, ILLEGAL_PARAMETER);
    }
    return 0;
}

/* ALPN (RFC 7301 3.2): the first of our protocols the client offers. */
MT_WUR static int choose_alpn(mt_conn *c, mt_rd d)
{
    mt_rd list;
    GUARD(mt_rd_vec(&d, 2, 2, 0xffff, &list));
    GUARD(mt_rd_end(&d));
    for (mt_rd chk = list; mt_rd_left(&chk) > 0;) {
        mt_rd name;
        GUARD(mt_rd_vec(&chk, 1, 1, 255, &name));
    }
    c->client_sent_alpn = 1;
    if (!c->cfg->alpn_len) {
        return 0;
    }
    mt_rd ours;
    mt_rd_init(&ours, c->cfg->alpn, c->cfg->alpn_len);
    while (mt_rd_left(&ours) > 0) {
        mt_rd o;
        const uint8_t *op;
        GUARD(mt_rd_vec8(&ours, &o));
        size_t on = mt_rd_left(&o);
        GUARD(mt_rd_borrow(&o, on, &op));
        for (mt_rd theirs = list; mt_rd_left(&theirs) > 0;) {
            mt_rd t;
            const uint8_t *tp;
            GUARD(mt_rd_vec8(&theirs, &t));
            size_t tn = mt_rd_left(&t);
            GUARD(mt_rd_borrow(&t, tn, &tp));
            if (tn == on && memcmp(tp, op, on) == 0) {
                memcpy(c->alpn, op, on);
                c->alpn[on] = '\0';
                return 0;
            }
        }
    }
    return -MT_E_NO_APPLICATION_PROTOCOL;
}

/* Pick suite, certificate chain, signature scheme and group, in server preference order. */
MT_WUR static int negotiate(mt_conn *c, const client_hello *ch, mt_rd groups, int have_groups,
                            mt_rd sigalgs)
{
    const mt_config *cfg = c->cfg;
    uint16_t group = 0;
    for (size_t i = 0; i < cfg->ngroups && !group; i++) {
        if (mt_kex_supported(cfg->groups[i]) &&
            (have_groups ? rd_has_u16(groups, cfg->groups[i])
                         : cfg->groups[i] == MT_GROUP_SECP256R1)) {
            group = cfg->groups[i];
        }
    }
    for (size_t i = 0; i < cfg->nsuites; i++) {
        const mt_suite *s = mt_suite_by_id(cfg->suites[i]);
        if (!s || s->kx != MT_KX_ECDHE || !mt_suite_allows(s, MT_TLS12) || !group ||
            !rd_has_u16(ch->suites, s->id)) {
            continue;
        }
        for (size_t k = 0; k < cfg->nchains; k++) {
            const mt_chain *chain = cfg->chains[k];
            mt_key_type t = mt_key_type_of(chain->key);
            if ((s->auth == MT_AUTH_RSA) != (t == MT_KEY_RSA)) {
                continue;
            }
            for (size_t j = 0; j < cfg->nsigalgs; j++) {
                if (rd_has_u16(sigalgs, cfg->sigalgs[j]) && key_fits(chain->key, cfg->sigalgs[j])) {
                    c->suite = s;
                    c->chain = chain;
                    c->sigalg = cfg->sigalgs[j];
                    c->group = group;
                    return 0;
                }
            }
        }
    }
    return -MT_E_HANDSHAKE_FAILURE;
}

MT_WUR static int send_server_flight(mt_conn *c)
{
    mt_wr w, sig;
    mt_wr_init_growable(&w, MT_HS_MAX);
    mt_wr_init_growable(&sig, 1024);
    int rc = 0;
    /* ServerHello */
    BAIL(rc, mt_wr_u16(&w, MT_TLS12));
    BAIL(rc, mt_wr_bytes(&w, c->srand, 32));
    BAIL(rc, mt_wr_u8(&w, (uint8_t)c->sid_len));
    BAIL(rc, mt_wr_bytes(&w, c->sid, c->sid_len));
    BAIL(rc, mt_wr_u16(&w, c->suite->id));
    BAIL(rc, mt_wr_u8(&w, 0));
    BAIL(rc, mt_wr_open(&w, 2));
    if (c->secure_reneg) {
        static const uint8_t ri[] = {0xff, 0x01, 0x00, 0x01, 0x00};
        BAIL(rc, mt_wr_bytes(&w, ri, sizeof(ri)));
    }
    if (c->ems) {
        static const uint8_t ems[] = {0x00, EXT_EMS, 0x00, 0x00};
        BAIL(rc, mt_wr_bytes(&w, ems, sizeof(ems)));
    }
    if (c->client_sent_ecpf) {
        static const uint8_t ecpf[] = {0x00, EXT_EC_POINT_FORMATS, 0x00, 0x02, 0x01, 0x00};
        BAIL(rc, mt_wr_bytes(&w, ecpf, sizeof(ecpf)));
    }
    if (c->alpn[0]) {
        size_t n = strlen(c->alpn);
        BAIL(rc, mt_wr_u16(&w, EXT_ALPN));
        BAIL(rc, mt_wr_u16(&w, (uint16_t)(n + 3)));
        BAIL(rc, mt_wr_u16(&w, (uint16_t)(n + 1)));
        BAIL(rc, mt_wr_u8(&w, (uint8_t)n));
        BAIL(rc, mt_wr_bytes(&w, c->alpn, n));
    }
    if (c->sni[0]) {
        /* RFC 6066 3: an empty server_name acknowledges the name */
        static const uint8_t sn[] = {0x00, 0x00, 0x00, 0x00};
        BAIL(rc, mt_wr_bytes(&w, sn, sizeof(sn)));
    }
    BAIL(rc, mt_wr_close(&w));
    BAIL(rc, mt_wr_finish(&w));
    BAIL(rc, mt_conn_send_hs(c, HT_SERVER_HELLO, w.p, w.len));
    /* Certificate */
    mt_wr_reset(&w);
    BAIL(rc, mt_wr_open(&w, 3));
    for (size_t i = 0; i < c->chain->n; i++) {
        BAIL(rc, mt_wr_open(&w, 3));
        BAIL(rc, mt_wr_bytes(&w, c->chain->der[i], c->chain->der_len[i]));
        BAIL(rc, mt_wr_close(&w));
    }
    BAIL(rc, mt_wr_close(&w));
    BAIL(rc, mt_wr_finish(&w));
    BAIL(rc, mt_conn_send_hs(c, HT_CERTIFICATE, w.p, w.len));
    /* ServerKeyExchange (RFC 8422 5.4) */
    mt_wr_reset(&w);
    BAIL(rc, mt_kex_generate(&c->kex, c->group));
    BAIL(rc, mt_wr_bytes(&w, c->crand, 32));
    BAIL(rc, mt_wr_bytes(&w, c->srand, 32));
    BAIL(rc, mt_wr_u8(&w, 3));
    BAIL(rc, mt_wr_u16(&w, c->group));
    BAIL(rc, mt_wr_u8(&w, (uint8_t)c->kex.pub_len));
    BAIL(rc, mt_wr_bytes(&w, c->kex.pub, c->kex.pub_len));
    mt_sig_alg alg;
    sigalg_of(c->sigalg, &alg);
    BAIL(rc, mt_key_sign(c->chain->key, alg, w.p, w.len, &sig));
    BAIL(rc, mt_wr_u16(&w, c->sigalg));
    BAIL(rc, mt_wr_u16(&w, (uint16_t)sig.len));
    BAIL(rc, mt_wr_bytes(&w, sig.p, sig.len));
    BAIL(rc, mt_wr_finish(&w));
    /* the 64 random bytes were only for the signature */
    BAIL(rc, mt_conn_send_hs(c, HT_SERVER_KEY_EXCHANGE, w.p + 64, w.len - 64));
    /* ServerHelloDone */
    BAIL(rc, mt_conn_send_hs(c, HT_SERVER_HELLO_DONE, NULL, 0));
out:
    mt_wr_free(&w);
    mt_wr_free(&sig);
    return rc;
}

MT_WUR static int on_client_hello(mt_conn *c, const uint8_t *body, size_t len)
{
    client_hello ch;
    GUARD(parse_client_hello(body, len, &ch));
    /* RFC 5246 E.1: a client offering less than 1.2 gets protocol_version */
    ENSURE(ch.version >= MT_TLS12, PROTOCOL_VERSION);
    /* RFC 5246 7.4.1.2: null compression must be offered */
    uint8_t comp;
    int has_null = 0;
    for (mt_rd r = ch.comps; mt_rd_u8(&r, &comp) == 0;) {
        has_null |= comp == 0;
    }
    ENSURE(has_null, ILLEGAL_PARAMETER);
    /* RFC 5746 3.6: the SCSV counts as an empty renegotiation_info */
    c->secure_reneg = rd_has_u16(ch.suites, MT_SCSV_RENEGOTIATION);
    mt_rd groups, sigalgs, d;
    int have_groups = 0;
    mt_rd_init(&sigalgs, NULL, 0);
    mt_rd_init(&groups, NULL, 0);
    for (size_t i = 0; i < ch.ext.n; i++) {
        d = ch.ext.data[i];
        switch (ch.ext.type[i]) {
        case EXT_SERVER_NAME:
            GUARD(take_sni(c, d));
            break;
        case EXT_SUPPORTED_GROUPS:
            GUARD(mt_rd_vec(&d, 2, 2, 0xfffe, &groups));
            GUARD(mt_rd_end(&d));
            ENSURE(mt_rd_left(&groups) % 2 == 0, DECODE);
            have_groups = 1;
            break;
        case EXT_EC_POINT_FORMATS: {
            mt_rd f;
            uint8_t fmt;
            int unc = 0;
            GUARD(mt_rd_vec(&d, 1, 1, 255, &f));
            GUARD(mt_rd_end(&d));
            while (mt_rd_u8(&f, &fmt) == 0) {
                unc |= fmt == 0;
            }
            /* RFC 8422 5.1.2: uncompressed must be there */
            ENSURE(unc, ILLEGAL_PARAMETER);
            c->client_sent_ecpf = 1;
            break;
        }
        case EXT_SIGNATURE_ALGORITHMS:
            GUARD(mt_rd_vec(&d, 2, 2, 0xfffe, &sigalgs));
            GUARD(mt_rd_end(&d));
            ENSURE(mt_rd_left(&sigalgs) % 2 == 0, DECODE);
            break;
        case EXT_ALPN:
            GUARD(choose_alpn(c, d));
            break;
        case EXT_EMS:
            GUARD(mt_rd_end(&d));
            c->ems = 1;
            break;
        case EXT_RENEGOTIATION_INFO: {
            mt_rd inner;
            GUARD(mt_rd_vec8(&d, &inner));
            GUARD(mt_rd_end(&d));
            /* RFC 5746 3.6: must be empty on the initial handshake */
            ENSURE(mt_rd_left(&inner) == 0, HANDSHAKE_FAILURE);
            c->secure_reneg = 1;
            break;
        }
        default:
            break; /* RFC 5246 7.4.1.4: unknown extensions are ignored (GREASE too) */
        }
    }
    GUARD(negotiate(c, &ch, groups, have_groups, sigalgs));
    memcpy(c->crand, ch.random, 32);
    GUARD(mt_rng_bytes(c->srand, 32));
    c->sid_len = 32;
    GUARD(mt_rng_bytes(c->sid, 32));
    c->version = MT_TLS12;
    GUARD(send_server_flight(c));
    c->hs = MT_HS_S_WAIT_CKE;
    return 0;
}

MT_WUR static int on_client_key_exchange(mt_conn *c, const uint8_t *body, size_t len)
{
    mt_rd r, point;
    const uint8_t *pt;
    mt_rd_init(&r, body, len);
    GUARD(mt_rd_vec(&r, 1, 1, 255, &point));
    GUARD(mt_rd_end(&r));
    size_t plen = mt_rd_left(&point);
    GUARD(mt_rd_borrow(&point, plen, &pt));
    uint8_t pms[MT_KEX_MAX_SECRET];
    size_t pms_len;
    GUARD(mt_kex_derive(&c->kex, pt, plen, pms, &pms_len));
    mt_kex_wipe(&c->kex);
    c->session_hash_len = mt_conn_transcript_hash(c, c->session_hash);
    int rc = derive_keys(c, pms, pms_len);
    mt_wipe(pms, sizeof(pms));
    GUARD(rc);
    c->hs = MT_HS_S_WAIT_CCS;
    return 0;
}

/* ---- dispatch ---- */

int mt_hs12_ccs(mt_conn *c)
{
    ENSURE(c->hs == MT_HS_C_WAIT_CCS || c->hs == MT_HS_S_WAIT_CCS, UNEXPECTED_MESSAGE);
    activate(c, 0);
    c->hs = c->server ? MT_HS_S_WAIT_FIN : MT_HS_C_WAIT_FIN;
    return 0;
}

/* Which message each state takes. */
static const struct {
    int state;
    uint8_t type;
} expected[] = {
    {MT_HS_C_WAIT_SH, HT_SERVER_HELLO},
    {MT_HS_C_WAIT_CERT, HT_CERTIFICATE},
    {MT_HS_C_WAIT_SKE, HT_SERVER_KEY_EXCHANGE},
    {MT_HS_C_WAIT_SHD, HT_SERVER_HELLO_DONE},
    {MT_HS_C_WAIT_SHD, HT_CERTIFICATE_REQUEST},
    {MT_HS_C_WAIT_FIN, HT_FINISHED},
    {MT_HS_S_WAIT_CH, HT_CLIENT_HELLO},
    {MT_HS_S_WAIT_CKE, HT_CLIENT_KEY_EXCHANGE},
    {MT_HS_S_WAIT_FIN, HT_FINISHED},
};

int mt_hs12_message(mt_conn *c, uint8_t type, const uint8_t *body, size_t len, const uint8_t *raw)
{
    int ok = 0;
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        ok |= expected[i].state == c->hs && expected[i].type == type;
    }
    ENSURE(ok, UNEXPECTED_MESSAGE);
    if (type != HT_FINISHED) {
        mt_conn_transcript(c, raw, 4 + len);
    }
    switch (c->hs) {
    case MT_HS_C_WAIT_SH:
        return on_server_hello(c, body, len);
    case MT_HS_C_WAIT_CERT:
        return on_server_certificate(c, body, len);
    case MT_HS_C_WAIT_SKE:
        return on_server_key_exchange(c, body, len);
    case MT_HS_C_WAIT_SHD:
        if (type == HT_CERTIFICATE_REQUEST) {
            return on_certificate_request(c, body, len);
        }
        return on_server_hello_done(c, len);
    case MT_HS_C_WAIT_FIN:
        GUARD(check_finished(c, body, len, raw));
        ENSURE(c->chain_ok && c->ske_ok, INTERNAL);
        c->fin_ok = 1;
        c->hs = MT_HS_CONNECTED;
        return 0;
    case MT_HS_S_WAIT_CH:
        return on_client_hello(c, body, len);
    case MT_HS_S_WAIT_CKE:
        return on_client_key_exchange(c, body, len);
    case MT_HS_S_WAIT_FIN:
        GUARD(check_finished(c, body, len, raw));
        GUARD(send_finished(c));
        c->fin_ok = 1;
        c->hs = MT_HS_CONNECTED;
        return 0;
    default:
        return -MT_E_UNEXPECTED_MESSAGE;
    }
}
