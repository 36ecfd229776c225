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
 *           (sends [Certificate] ClientKeyExchange [CertificateVerify] CCS Finished)
 *           -> C_WAIT_CCS -> C_WAIT_FIN -> CONNECTED
 *   server: S_WAIT_CH (sends ServerHello Certificate ServerKeyExchange
 *           [CertificateRequest] ServerHelloDone) -> [S_WAIT_CERT] -> S_WAIT_CKE
 *           -> [S_WAIT_CV] -> S_WAIT_CCS -> S_WAIT_FIN (sends CCS Finished)
 *           -> CONNECTED
 *   (the bracketed client-certificate steps live in hs12_cauth.c)
 *
 * Every message but Finished enters the transcript before it is handled;
 * Finished is checked against the transcript that precedes it. The EMS
 * session hash (RFC 7627 3) is taken right after ClientKeyExchange.
 *
 * Renegotiation (RFC 5746) runs the same tables again on an established
 * connection: mt_hs12_restart resets what one handshake negotiates, the
 * hellos carry the saved verify_data (client_vd / server_vd, kept at every
 * Finished), and hs12_done records the peer's leaf, which a later handshake
 * must repeat byte for byte (hs12_check_peer_leaf). A client negotiating
 * ignores HelloRequest.
 *
 * CBC suites (suite->cbc set): the key block holds two MAC keys before the
 * two cipher keys and no IVs (TLS 1.2 records carry explicit IVs, RFC 5246
 * 6.3). encrypt_then_mac (RFC 7366) is offered with CBC suites unless the
 * config says no_etm, and accepted by the server only when it picks a CBC
 * suite; c->etm then selects the record layout for both directions.
 */
#include <string.h>

#include "asn1.h"
#include "ct.h"
#include "err.h"
#include "hs12_int.h"
#include "prf.h"
#include "rng.h"

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
    {0x0809, {MT_SIG_RSA_PSS, MT_HASH_SHA256, 32}}, /* rsa_pss_pss_*: id-RSASSA-PSS keys */
    {0x080a, {MT_SIG_RSA_PSS, MT_HASH_SHA384, 48}},
    {0x080b, {MT_SIG_RSA_PSS, MT_HASH_SHA512, 64}},
    {0x0403, {MT_SIG_ECDSA, MT_HASH_SHA256, 0}},
    {0x0503, {MT_SIG_ECDSA, MT_HASH_SHA384, 0}},
    {0x0603, {MT_SIG_ECDSA, MT_HASH_SHA512, 0}},
    {0x0203, {MT_SIG_ECDSA, MT_HASH_SHA1, 0}},
    {0x0807, {MT_SIG_EDDSA, MT_HASH_NONE, 0}},
    {0x0808, {MT_SIG_EDDSA, MT_HASH_NONE, 0}},
};

int mt_hs12_sigalg_of(uint16_t code, mt_sig_alg *alg)
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
int mt_hs12_key_fits(const mt_key *key, uint16_t code)
{
    mt_sig_alg alg;
    if (!mt_hs12_sigalg_of(code, &alg) || !mt_key_supports(key, alg)) {
        return 0;
    }
    mt_key_type t = mt_key_type_of(key);
    /* RFC 8446 4.2.3: rsa_pss_rsae_* for rsaEncryption keys, rsa_pss_pss_* for id-RSASSA-PSS */
    if (code >= 0x0804 && code <= 0x0806) {
        return !mt_key_is_rsa_pss(key);
    }
    if (code >= 0x0809 && code <= 0x080b) {
        return mt_key_is_rsa_pss(key);
    }
    if (code == 0x0807) {
        return t == MT_KEY_ED25519;
    }
    if (code == 0x0808) {
        return t == MT_KEY_ED448;
    }
    return 1;
}

int mt_hs12_in_list(const uint16_t *list, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i] == v) {
            return 1;
        }
    }
    return 0;
}

/* 1 if the u16 list in r (a copy) contains v. */
int mt_hs12_has_u16(mt_rd r, uint16_t v)
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
int mt_hs12_cert_spki(const uint8_t *der, size_t len, const uint8_t **spki, size_t *n)
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

int mt_hs12_derive_keys(mt_conn *c, const uint8_t *pms, size_t pms_len)
{
    const struct nettle_hash *h = c->suite->prf;
    if (c->ems) {
        GUARD(mt_prf_tls12(h, pms, pms_len, "extended master secret", c->h->session_hash,
                           c->h->session_hash_len, NULL, 0, c->master, sizeof(c->master)));
    } else {
        GUARD(mt_prf_tls12(h, pms, pms_len, "master secret", c->crand, 32, c->srand, 32, c->master,
                           sizeof(c->master)));
    }
    return mt_hs12_key_block(c);
}

int mt_hs12_key_block(mt_conn *c)
{
    /* RFC 5246 6.3: client_write_MAC_key, server_write_MAC_key, client_write_key,
     * server_write_key, client_write_IV, server_write_IV (MAC keys empty for AEAD, IVs
     * empty for CBC from TLS 1.1 on). */
    const mt_suite *s = c->suite;
    size_t need = s->cbc ? 2u * s->mac->mac_len + 2u * s->cbc->key_len
                         : 2u * s->aead->key_len + 2u * s->aead->fixed_iv_len;
    ENSURE(need <= sizeof(c->h->key_block), INTERNAL);
    return mt_prf_tls12(s->prf, c->master, sizeof(c->master), "key expansion", c->srand, 32,
                        c->crand, 32, c->h->key_block, need);
}

/* Switch one direction to the pending keys: client keys for what the client writes. */
int mt_hs12_activate(mt_conn *c, int for_write)
{
    const mt_suite *s = c->suite;
    int client_side = for_write ? !c->server : c->server;
    mt_rec_prot *p = for_write ? &c->wr : &c->rd;
    if (s->cbc) {
        size_t ml = s->mac->mac_len, kl = s->cbc->key_len;
        const uint8_t *mac_key = c->h->key_block + (client_side ? 0 : ml);
        const uint8_t *key = c->h->key_block + 2u * ml + (client_side ? 0 : kl);
        return mt_rec_prot_set_cbc(p, s->cbc, s->mac, for_write ? MT_CBC_SEAL : MT_CBC_OPEN, c->etm,
                                   c->version, key, mac_key);
    }
    const mt_aead *a = s->aead;
    const uint8_t *key = c->h->key_block + (client_side ? 0 : a->key_len);
    const uint8_t *iv = c->h->key_block + 2u * a->key_len + (client_side ? 0 : a->fixed_iv_len);
    mt_rec_prot_set(p, a, 0, key, iv);
    return 0;
}

/* 1 if cfg offers a CBC suite the TLS 1.2 engine runs (RFC 7366 2: offer encrypt_then_mac
 * only then), and encrypt_then_mac is not switched off. */
int mt_hs12_offer_etm(const mt_config *cfg)
{
    for (size_t i = 0; i < cfg->nsuites && !cfg->no_etm; i++) {
        const mt_suite *s = mt_suite_by_id(cfg->suites[i]);
        if (s && s->cbc && mt_suite_allows(s, MT_TLS12)) {
            return 1;
        }
    }
    return 0;
}

size_t mt_hs12_mfl_bytes(uint8_t code)
{
    /* RFC 6066 4: 2^9 (1), 2^10 (2), 2^11 (3), 2^12 (4) */
    return code >= 1 && code <= 4 ? (size_t)256 << code : 0;
}

int mt_hs12_read_rsl(mt_rd d, size_t minus, size_t *limit)
{
    uint16_t v;
    GUARD(mt_rd_u16(&d, &v));
    GUARD(mt_rd_end(&d));
    /* RFC 8449 4: smaller than 64 is illegal_parameter; TLS 1.2 records carry at most 2^14 */
    ENSURE(v >= 64, ILLEGAL_PARAMETER);
    *limit = v - minus < MT_REC_MAX_PLAIN ? v - minus : MT_REC_MAX_PLAIN;
    return 0;
}

int mt_hs12_finished_data(mt_conn *c, int from_client, uint8_t out[12])
{
    uint8_t hash[MT_HASH_MAX_LEN];
    size_t n = mt_conn_transcript_hash(c, hash);
    return mt_prf_tls12(c->suite->prf, c->master, sizeof(c->master),
                        from_client ? "client finished" : "server finished", hash, n, NULL, 0, out,
                        12);
}

int mt_hs12_send_finished(mt_conn *c)
{
    uint8_t vd[12];
    GUARD(mt_conn_send_ccs(c));
    GUARD(mt_hs12_activate(c, 1));
    GUARD(mt_hs12_finished_data(c, !c->server, vd));
    /* RFC 5746 3.4, 3.6: kept for the next renegotiation */
    memcpy(c->server ? c->server_vd : c->client_vd, vd, sizeof(vd));
    return mt_conn_send_hs(c, HT_FINISHED, vd, sizeof(vd));
}

int mt_hs12_check_finished(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *raw)
{
    uint8_t want[12];
    /* RFC 5246 7.4.9: verify_data is 12 bytes for every suite we run. */
    ENSURE(len == 12, DECODE);
    GUARD(mt_hs12_finished_data(c, c->server, want));
    ENSURE(mt_ct_eq(want, body, 12), DECRYPT_ERROR);
    memcpy(c->server ? c->client_vd : c->server_vd, want, 12);
    mt_conn_transcript(c, raw, 4 + len);
    return 0;
}

/* ---- extensions: a generic walk with duplicate detection ---- */

/* RFC 5246 7.4.1.4: no extension type twice. */
int mt_hs12_parse_exts(mt_rd *r, ext_list *e)
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
        ENSURE(!mt_hs12_in_list(e->type, e->n, type), ILLEGAL_PARAMETER);
        e->type[e->n] = type;
        e->data[e->n] = data;
        e->n++;
    }
    return 0;
}

/* Parse a Certificate message body into peer_certs (both roles). */
int mt_hs12_take_certificates(mt_conn *c, const uint8_t *body, size_t len)
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

/* ---- renegotiation (RFC 5746) ---- */

static void leaf_hash(const mt_conn *c, uint8_t out[SHA256_DIGEST_SIZE])
{
    struct sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, c->peer_len[0], c->peer_certs.p + c->peer_off[0]);
    sha256_digest(&h, SHA256_DIGEST_SIZE, out);
}

int mt_hs12_check_peer_leaf(const mt_conn *c)
{
    if (!c->have_peer_leaf) {
        return 0;
    }
    /* The triple handshake attack (RFC 7627 6.1) needs a peer whose certificate changes across
     * renegotiation; like NSS and BoringSSL we hold it fixed (SHA-256 of the DER: as strong as a
     * byte comparison). A peer that stops sending one changes it too. */
    uint8_t h[SHA256_DIGEST_SIZE];
    ENSURE(c->npeer > 0, PEER_CERT_CHANGED);
    leaf_hash(c, h);
    ENSURE(mt_ct_eq(h, c->peer_leaf, sizeof(h)), PEER_CERT_CHANGED);
    return 0;
}

int mt_hs12_restart(mt_conn *c)
{
    GUARD(mt_conn_hs_begin(c));
    mt_hs12_cauth_init(c);
    c->reneg = MT_RENEG_RUNNING;
    c->chain_ok = c->ske_ok = c->fin_ok = c->cv_ok = 0;
    c->cert_requested = 0;
    if (c->server) {
        /* a client resets these at the ServerHello: until then its ClientHello may be refused */
        c->ems = c->etm = c->resumed = 0;
        c->client_sent_etm = c->client_sent_alpn = c->client_sent_ecpf = c->client_sent_rsl = 0;
        c->client_sent_sni = 0;
        c->client_sent_ticket = c->ticket_ext = 0;
        c->mfl_code = 0;
        c->rsl_send = c->rsl_recv = 0;
        c->hs = MT_HS_S_WAIT_CH;
    }
    return 0;
}

/* The last Finished checked or sent: the connection carries (again) application data. */
static int hs12_done(mt_conn *c)
{
    c->fin_ok = 1;
    c->hs = MT_HS_CONNECTED;
    c->established = 1;
    if (c->reneg == MT_RENEG_RUNNING) {
        c->renegotiations++;
    }
    c->reneg = MT_RENEG_NONE;
    if (c->npeer > 0) {
        leaf_hash(c, c->peer_leaf);
        c->have_peer_leaf = 1;
    }
    /* a client that resumed by ticket keeps it for mt_conn_session, unless a new one came */
    mt_session *r = &c->h->resume;
    int rc = 0;
    if (!c->server && c->resumed && r->ticket_len && (!c->ticket || c->ticket_resumed)) {
        rc = mt_conn_keep_ticket(c, r, 1);
    }
    mt_conn_hs_end(c);
    return rc;
}

/* ---- dispatch ---- */

int mt_hs12_server_ticket_done(mt_conn *c)
{
    if (c->ticket_ext) {
        GUARD(mt_tk_send(c));
    }
    GUARD(mt_hs12_send_finished(c));
    mt_hs12_cache_session(c);
    return hs12_done(c);
}

void mt_hs12_cache_session(mt_conn *c)
{
    mt_session s;
    if (c->cfg->cache && c->sid_len) {
        if (mt_conn_session_state(c, &s) == 0) {
            mt_cache_put(c->cfg->cache, &s, s.created);
        }
        mt_session_wipe(&s);
    }
}

int mt_hs12_ccs(mt_conn *c)
{
    ENSURE(c->hs == MT_HS_C_WAIT_CCS || c->hs == MT_HS_S_WAIT_CCS, UNEXPECTED_MESSAGE);
    GUARD(mt_hs12_activate(c, 0));
    c->hs = c->server ? MT_HS_S_WAIT_FIN : MT_HS_C_WAIT_FIN;
    return 0;
}

int mt_hs12_read_signed(const uint8_t *body, size_t len, uint16_t *scheme, const uint8_t **sig,
                        size_t *sig_len)
{
    mt_rd r, v;
    mt_rd_init(&r, body, len);
    GUARD(mt_rd_u16(&r, scheme));
    GUARD(mt_rd_vec16(&r, &v));
    GUARD(mt_rd_end(&r));
    *sig_len = mt_rd_left(&v);
    return mt_rd_borrow(&v, *sig_len, sig);
}

int mt_hs12_send_signed(mt_conn *c, uint16_t scheme, const mt_wr *sig)
{
    mt_wr w;
    mt_wr_init_growable(&w, MT_HS_MAX);
    int rc = 0;
    BAIL(rc, mt_wr_u16(&w, scheme));
    BAIL(rc, mt_wr_open(&w, 2));
    BAIL(rc, mt_wr_bytes(&w, sig->p, sig->len));
    BAIL(rc, mt_wr_close(&w));
    BAIL(rc, mt_wr_finish(&w));
    BAIL(rc, mt_conn_send_hs(c, HT_CERTIFICATE_VERIFY, w.p, w.len));
out:
    mt_wr_free(&w);
    return rc;
}

/* Which message each state takes. */
static const struct {
    int state;
    uint8_t type;
} expected[] = {
    {MT_HS_C_WAIT_SH, HT_SERVER_HELLO},         {MT_HS_C_WAIT_CERT, HT_CERTIFICATE},
    {MT_HS_C_WAIT_SKE, HT_SERVER_KEY_EXCHANGE}, {MT_HS_C_WAIT_SHD, HT_SERVER_HELLO_DONE},
    {MT_HS_C_WAIT_SHD, HT_CERTIFICATE_REQUEST}, {MT_HS_C_WAIT_FIN, HT_FINISHED},
    {MT_HS_C_WAIT_NST, HT_NEW_SESSION_TICKET},  {MT_HS_S_WAIT_CH, HT_CLIENT_HELLO},
    {MT_HS_S_WAIT_CKE, HT_CLIENT_KEY_EXCHANGE}, {MT_HS_S_WAIT_FIN, HT_FINISHED},
    {MT_HS_S_WAIT_CERT, HT_CERTIFICATE},        {MT_HS_S_WAIT_CV, HT_CERTIFICATE_VERIFY},
};

int mt_hs12_message(mt_conn *c, uint8_t type, const uint8_t *body, size_t len, const uint8_t *raw)
{
    if (type == HT_HELLO_REQUEST && !c->server && c->established) {
        /* RFC 5246 7.4.1.1: ignored while negotiating, and never hashed */
        ENSURE(len == 0, DECODE);
        return 0;
    }
    int ok = 0;
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        ok |= expected[i].state == c->hs && expected[i].type == type;
    }
    ENSURE(ok, UNEXPECTED_MESSAGE);
    if (c->hs == MT_HS_C_WAIT_SH && c->offer13) {
        int rc = mt_hs13_client_server_hello(c, body, len, raw);
        if (rc != MT_HS13_TLS12) {
            return rc;
        }
    }
    /* Finished and ClientHello enter the transcript in their handlers: Finished after its
     * check, ClientHello once no decision holds it back */
    if (type != HT_FINISHED && type != HT_CLIENT_HELLO) {
        mt_conn_transcript(c, raw, 4 + len);
    }
    switch (c->hs) {
    case MT_HS_C_WAIT_SH:
        return mt_hs12_on_server_hello(c, body, len);
    case MT_HS_C_WAIT_CERT:
        return mt_hs12_on_server_certificate(c, body, len);
    case MT_HS_C_WAIT_SKE:
        return mt_hs12_on_server_key_exchange(c, body, len);
    case MT_HS_C_WAIT_SHD:
        if (type == HT_CERTIFICATE_REQUEST) {
            return mt_hs12_on_certificate_request(c, body, len);
        }
        return mt_hs12_on_server_hello_done(c, len);
    case MT_HS_C_WAIT_FIN:
        GUARD(mt_hs12_check_finished(c, body, len, raw));
        if (c->resumed) {
            /* RFC 5246 7.3: in an abbreviated handshake the client finishes second */
            GUARD(mt_hs12_send_finished(c));
        }
        ENSURE(c->chain_ok && c->ske_ok, INTERNAL);
        return hs12_done(c);
    case MT_HS_S_WAIT_CH:
        return mt_hs12_on_client_hello(c, body, len, raw);
    case MT_HS_S_WAIT_CKE:
        return mt_hs12_on_client_key_exchange(c, body, len);
    case MT_HS_S_WAIT_CERT:
        return mt_hs12_on_client_certificate(c, body, len);
    case MT_HS_S_WAIT_CV:
        return mt_hs12_on_certificate_verify(c, body, len);
    case MT_HS_C_WAIT_NST:
        return mt_hs12_on_new_session_ticket(c, body, len);
    case MT_HS_S_WAIT_FIN:
        GUARD(mt_hs12_check_finished(c, body, len, raw));
        if (c->resumed) {
            return hs12_done(c);
        }
        GUARD(mt_hs12_client_auth_done(c));
        if (c->ticket_ext) {
            /* RFC 5077 3.3: the ticket after the client's Finished, before our
             * ChangeCipherSpec; the application may make it (MT_DECIDE_NEW_TICKET) */
            GUARD(mt_hs_session(&c->h->ticket));
            GUARD(mt_conn_session_state(c, c->h->ticket));
            c->h->ticket->sid_len = 0;
            memset(c->h->ticket->sid, 0, sizeof(c->h->ticket->sid));
            c->h->ticket->created = mt_tk_now(c);
            if (mt_tk_ask(c)) {
                c->hs = MT_HS_S_SEND_NST;
                return 0;
            }
        }
        return mt_hs12_server_ticket_done(c);
    default:
        return -MT_E_UNEXPECTED_MESSAGE;
    }
}
