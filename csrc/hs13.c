/*
 * IMPLEMENTATION NOTES
 *
 * The TLS 1.3 handshake (RFC 8446 4) runs on the same engine as TLS 1.2: new
 * states in engine_int.h, a table of which message each state takes (below),
 * the same record layer (record.c already protects 1.3 records) and the same
 * decision points. A connection is 1.3 once `tls13` is set: a client sets it
 * on a ServerHello (or HelloRetryRequest) selecting 1.3 through
 * supported_versions, a server on a ClientHello offering it; from then on the
 * engine hands every handshake message here instead of to hs12.c.
 *
 *   client: CH -> C_WAIT_SH [HRR: CH2 -> C_WAIT_SH] -> C_WAIT_EE
 *           -> C_WAIT_CERT_CR [CR -> C_WAIT_CERT] -> C_WAIT_CV -> C_WAIT_FIN
 *           (sends [CCS] [Certificate [CertificateVerify]] Finished) -> CONNECTED
 *   server: CH [-> HRR, S_WAIT_CH2 -> CH2] (sends SH [CCS] EE [CR] Certificate
 *           CertificateVerify Finished) -> [S_WAIT_CERT [-> S_WAIT_CV]]
 *           -> S_WAIT_FIN -> CONNECTED
 *
 * The transcript is the engine's running SHA-256/SHA-384 pair read with the
 * suite's hash, so a client needs no copy of its ClientHello; a
 * HelloRetryRequest replaces both by message_hash (only the suite's counts).
 * EncryptedExtensions, Certificate and CertificateRequest enter the
 * transcript in the dispatch; hellos, CertificateVerify and Finished in their
 * handlers (the last two after their check, which needs the hash before them).
 *
 * Secrets: ks (in the handshake state, wiped and freed when the handshake
 * ends) holds the stage secret; the traffic secrets stay in the connection for
 * the key log (hs and _0) and KeyUpdate (c_ap, s_ap), with the exporter and
 * resumption masters; they are wiped with the connection. The transcript
 * through the client Finished is kept (th_fin) only when post-handshake
 * authentication was offered; each authentication runs in a handshake state of
 * its own, started from it. Application data flows only once `established` is set, which
 * only the last Finished does, after the chain verdict (chain_ok) and the
 * CertificateVerify (ske_ok / cv_ok) were checked.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ct.h"
#include "err.h"
#include "hs13_int.h"
#include "rng.h"

const uint8_t mt_hs13_hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

/* ---- signature schemes (RFC 8446 4.2.3) ---- */

int mt_hs13_key_fits(const mt_key *key, uint16_t code)
{
    mt_key_type want;
    switch (code) {
    case 0x0403:
        want = MT_KEY_EC_P256;
        break;
    case 0x0503:
        want = MT_KEY_EC_P384;
        break;
    case 0x0603:
        want = MT_KEY_EC_P521;
        break;
    case 0x0804:
    case 0x0805:
    case 0x0806:
        want = MT_KEY_RSA; /* rsa_pss_rsae_*: PSS with an rsaEncryption key */
        break;
    case 0x0809:
    case 0x080a:
    case 0x080b:
        want = MT_KEY_RSA; /* rsa_pss_pss_*: an id-RSASSA-PSS key (mt_hs12_key_fits) */
        break;
    case 0x0807:
        want = MT_KEY_ED25519;
        break;
    case 0x0808:
        want = MT_KEY_ED448;
        break;
    default:
        return 0; /* PKCS#1 v1.5, SHA-1 and anything unknown never sign a 1.3 handshake */
    }
    return key && mt_key_type_of(key) == want && mt_hs12_key_fits(key, code);
}

uint16_t mt_hs13_choose_scheme(const mt_config *cfg, const mt_key *key, mt_rd theirs)
{
    for (size_t i = 0; i < cfg->nsigalgs; i++) {
        if (mt_hs12_has_u16(theirs, cfg->sigalgs[i]) && mt_hs13_key_fits(key, cfg->sigalgs[i])) {
            return cfg->sigalgs[i];
        }
    }
    return 0;
}

int mt_hs13_group_ok(uint16_t group)
{
    return mt_kex_supported(group) || mt_dh_supported(group);
}

/* ---- key share (RFC 8446 4.2.8) ---- */

int mt_hs13_share_generate(mt_conn *c, uint16_t group)
{
    mt_hs13_share_wipe(c);
    c->h->share_group = group;
    if (mt_dh_supported(group)) {
        GUARD(mt_hs_dh(c));
        return mt_dh_generate(c->h->dh, group);
    }
    return mt_kex_generate(&c->h->kex, group);
}

void mt_hs13_share_pub(const mt_conn *c, const uint8_t **pub, size_t *len)
{
    if (mt_dh_supported(c->h->share_group) && c->h->dh) {
        *pub = c->h->dh->pub;
        *len = c->h->dh->pub_len;
    } else {
        *pub = c->h->kex.pub;
        *len = c->h->kex.pub_len;
    }
}

int mt_hs13_share_derive(mt_conn *c, const uint8_t *peer, size_t n, uint8_t *out, size_t *out_len)
{
    int rc;
    if (mt_dh_supported(c->h->share_group)) {
        /* RFC 8446 4.2.8.1: the peer's Y is exactly the size of p; Z padded to it (7.4.1) */
        rc =
            c->h->dh ? mt_dh_derive(c->h->dh, peer, n, MT_DH_PADDED, out, out_len) : -MT_E_INTERNAL;
    } else {
        /* RFC 8446 4.2.8.2: uncompressed points, checked on the curve; X25519/X448 non-zero */
        rc = mt_kex_derive(&c->h->kex, peer, n, out, out_len);
    }
    mt_hs13_share_wipe(c);
    return rc == -MT_E_INVALID_ARG ? -MT_E_ILLEGAL_PARAMETER : rc;
}

void mt_hs13_share_wipe(mt_conn *c)
{
    mt_kex_wipe(&c->h->kex);
    mt_hs_dh_drop(c);
}

/* ---- transcript and key schedule ---- */

size_t mt_hs13_th(const mt_conn *c, uint8_t *out)
{
    return mt_conn_transcript_hash(c, out);
}

void mt_hs13_th_hrr(mt_conn *c)
{
    uint8_t h[MT_KS13_MAX_HASH];
    size_t n = mt_hs13_th(c, h);
    uint8_t hdr[4] = {HT_MESSAGE_HASH, 0, 0, (uint8_t)n};
    sha256_init(&c->h->th256);
    sha384_init(&c->h->th384);
    mt_conn_transcript(c, hdr, 4);
    mt_conn_transcript(c, h, n);
}

int mt_hs13_handshake_secrets(mt_conn *c, const uint8_t *dhe, size_t n)
{
    uint8_t th[MT_KS13_MAX_HASH];
    const struct nettle_hash *h = mt_ks13_suite_hash(c->suite);
    ENSURE(h != NULL, INTERNAL);
    c->hlen = h->digest_size;
    /* the Early Secret of 0-RTT (mt_hs13_early_secret) when this PSK was accepted */
    if (!(c->resumed && c->h->ks.stage == MT_KS13_EARLY && c->h->ks.hash == h)) {
        GUARD(mt_ks13_init(&c->h->ks, h));
        /* RFC 8446 7.1: the resumption PSK when resuming, else zeros */
        GUARD(mt_ks13_early(&c->h->ks, c->resumed ? c->h->psk : NULL, c->resumed ? c->hlen : 0));
    }
    GUARD(mt_ks13_handshake(&c->h->ks, dhe, n));
    size_t tl = mt_hs13_th(c, th);
    GUARD(mt_ks13_derive(&c->h->ks, MT_KS13_C_HS_TRAFFIC, th, tl, c->c_hs));
    return mt_ks13_derive(&c->h->ks, MT_KS13_S_HS_TRAFFIC, th, tl, c->s_hs);
}

int mt_hs13_early_secret(mt_conn *c, const struct nettle_hash *h, const uint8_t *psk)
{
    uint8_t th[MT_KS13_MAX_HASH];
    size_t tl = mt_conn_transcript_hash_under(c, h, th);
    GUARD(mt_ks13_init(&c->h->ks, h));
    GUARD(mt_ks13_early(&c->h->ks, psk, h->digest_size));
    return mt_ks13_derive(&c->h->ks, MT_KS13_C_E_TRAFFIC, th, tl, c->c_early);
}

int mt_hs13_th_freeze(mt_conn *c)
{
    c->h->th_frozen = 1;
    if (!c->pha_offered) {
        return 0; /* no post-handshake authentication will need it */
    }
    if (!c->th_fin) {
        c->th_fin = malloc(sizeof(*c->th_fin));
        ENSURE(c->th_fin != NULL, NOMEM);
    }
    if (mt_ks13_suite_hash(c->suite) == &nettle_sha384) {
        c->th_fin->s384 = c->h->th384;
    } else {
        c->th_fin->s256 = c->h->th256;
    }
    return 0;
}

int mt_hs13_th_thaw(mt_conn *c)
{
    ENSURE(c->h && c->th_fin, INTERNAL);
    if (mt_ks13_suite_hash(c->suite) == &nettle_sha384) {
        c->h->th384 = c->th_fin->s384;
    } else {
        c->h->th256 = c->th_fin->s256;
    }
    c->h->th_frozen = 0;
    return 0;
}

int mt_hs13_binder(const mt_conn *c, const struct nettle_hash *h, const uint8_t *psk,
                   const uint8_t *partial, size_t n, uint8_t *out)
{
    mt_ks13 ks;
    uint8_t bk[MT_KS13_MAX_HASH], th[MT_KS13_MAX_HASH];
    ENSURE(h == &nettle_sha256 || h == &nettle_sha384, INTERNAL);
    if (h == &nettle_sha256) {
        struct sha256_ctx t = c->h->th256;
        sha256_update(&t, n, partial);
        sha256_digest(&t, SHA256_DIGEST_SIZE, th);
    } else {
        struct sha512_ctx t = c->h->th384;
        sha384_update(&t, n, partial);
        sha384_digest(&t, SHA384_DIGEST_SIZE, th);
    }
    int rc = mt_ks13_init(&ks, h);
    rc = rc < 0 ? rc : mt_ks13_early(&ks, psk, h->digest_size);
    rc = rc < 0 ? rc : mt_ks13_binder_key(&ks, 1, bk);
    rc = rc < 0 ? rc : mt_ks13_finished(h, bk, h->digest_size, th, h->digest_size, out);
    mt_ks13_wipe(&ks);
    mt_wipe(bk, sizeof(bk));
    return rc;
}

int mt_hs13_app_secrets(mt_conn *c)
{
    uint8_t th[MT_KS13_MAX_HASH];
    GUARD(mt_ks13_master(&c->h->ks));
    size_t tl = mt_hs13_th(c, th);
    GUARD(mt_ks13_derive(&c->h->ks, MT_KS13_C_AP_TRAFFIC, th, tl, c->c_ap));
    GUARD(mt_ks13_derive(&c->h->ks, MT_KS13_S_AP_TRAFFIC, th, tl, c->s_ap));
    GUARD(mt_ks13_derive(&c->h->ks, MT_KS13_EXP_MASTER, th, tl, c->exp_master));
    memcpy(c->c_ap0, c->c_ap, c->hlen);
    memcpy(c->s_ap0, c->s_ap, c->hlen);
    return 0;
}

int mt_hs13_set_rd(mt_conn *c, const uint8_t *secret)
{
    /* RFC 8446 5.1: a key change must fall on a record boundary */
    ENSURE(c->hs_off == c->hs_in.len, UNEXPECTED_MESSAGE);
    return mt_ks13_set_prot(&c->rd, mt_ks13_suite_hash(c->suite), secret, c->hlen, c->suite->aead);
}

int mt_hs13_set_wr(mt_conn *c, const uint8_t *secret)
{
    return mt_ks13_set_prot(&c->wr, mt_ks13_suite_hash(c->suite), secret, c->hlen, c->suite->aead);
}

/* ---- Finished (RFC 8446 4.4.4) ---- */

int mt_hs13_send_finished_with(mt_conn *c, const uint8_t *base)
{
    uint8_t th[MT_KS13_MAX_HASH], vd[MT_KS13_MAX_HASH];
    size_t tl = mt_hs13_th(c, th);
    GUARD(mt_ks13_finished(mt_ks13_suite_hash(c->suite), base, c->hlen, th, tl, vd));
    return mt_conn_send_hs(c, HT_FINISHED, vd, c->hlen);
}

int mt_hs13_send_finished(mt_conn *c)
{
    return mt_hs13_send_finished_with(c, c->server ? c->s_hs : c->c_hs);
}

int mt_hs13_check_finished_with(mt_conn *c, const uint8_t *base, const uint8_t *body, size_t len,
                                const uint8_t *raw)
{
    uint8_t th[MT_KS13_MAX_HASH];
    size_t tl = mt_hs13_th(c, th);
    GUARD(mt_ks13_finished_check(mt_ks13_suite_hash(c->suite), base, c->hlen, th, tl, body, len));
    mt_conn_transcript(c, raw, 4 + len);
    c->peer_fin = 1;
    return 0;
}

int mt_hs13_check_finished(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *raw)
{
    return mt_hs13_check_finished_with(c, c->server ? c->c_hs : c->s_hs, body, len, raw);
}

/* ---- Certificate (RFC 8446 4.4.2) ---- */

int mt_hs13_send_certificate(mt_conn *c, const uint8_t *ctx, size_t ctx_len, const mt_chain *chain)
{
    mt_wr w;
    mt_wr_init_growable(&w, MT_HS_MAX);
    int rc = 0;
    BAIL(rc, mt_wr_u8(&w, (uint8_t)ctx_len));
    BAIL(rc, mt_wr_bytes(&w, ctx, ctx_len));
    BAIL(rc, mt_wr_open(&w, 3));
    for (size_t i = 0; chain && i < chain->n; i++) {
        BAIL(rc, mt_wr_open(&w, 3));
        BAIL(rc, mt_wr_bytes(&w, chain->der[i], chain->der_len[i]));
        BAIL(rc, mt_wr_close(&w));
        BAIL(rc, mt_wr_u16(&w, 0)); /* no CertificateEntry extensions */
    }
    BAIL(rc, mt_wr_close(&w));
    BAIL(rc, mt_wr_finish(&w));
    BAIL(rc, mt_conn_send_hs(c, HT_CERTIFICATE, w.p, w.len));
out:
    mt_wr_free(&w);
    return rc;
}

int mt_hs13_take_certificate(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *ctx,
                             size_t ctx_len)
{
    mt_rd r, rctx, list;
    const uint8_t *p;
    mt_rd_init(&r, body, len);
    GUARD(mt_rd_vec8(&r, &rctx));
    GUARD(mt_rd_vec24(&r, &list));
    GUARD(mt_rd_end(&r));
    size_t n = mt_rd_left(&rctx);
    GUARD(mt_rd_borrow(&rctx, n, &p));
    /* RFC 8446 4.4.2: the context of the request (empty in the handshake) */
    ENSURE(n == ctx_len && (n == 0 || mt_ct_eq(p, ctx, n)), ILLEGAL_PARAMETER);
    mt_wr_reset(&c->peer_certs);
    c->npeer = 0;
    while (mt_rd_left(&list) > 0) {
        mt_rd cert, exts;
        GUARD(mt_rd_vec(&list, 3, 1, 0xffffff, &cert));
        GUARD(mt_rd_vec16(&list, &exts));
        /* RFC 8446 4.4.2: only extensions we asked for (status_request, SCT: we ask none) */
        ENSURE(mt_rd_left(&exts) == 0, UNSUPPORTED_EXTENSION);
        ENSURE(c->npeer < MT_MAX_PEER_CERTS, BAD_CERTIFICATE);
        size_t k = mt_rd_left(&cert);
        GUARD(mt_rd_borrow(&cert, k, &p));
        c->peer_off[c->npeer] = c->peer_certs.len;
        c->peer_len[c->npeer] = k;
        GUARD(mt_wr_bytes(&c->peer_certs, p, k));
        c->npeer++;
    }
    if (c->npeer == 0) {
        return 0;
    }
    const uint8_t *spki;
    size_t sn;
    int rc = mt_hs12_cert_spki(c->peer_certs.p, c->peer_len[0], &spki, &sn);
    ENSURE(rc == 0, BAD_CERTIFICATE);
    mt_key_free(c->h->peer_key);
    c->h->peer_key = NULL;
    rc = mt_key_from_spki(spki, sn, &c->h->peer_key);
    ENSURE(rc == 0, UNSUPPORTED_CERTIFICATE);
    return 0;
}

/* ---- CertificateVerify (RFC 8446 4.4.3) ---- */

/* 64 spaces, the context string, a zero byte, then the transcript hash. */
static size_t cv_content(const mt_conn *c, int by_server, uint8_t *out)
{
    static const char sctx[] = "TLS 1.3, server CertificateVerify";
    static const char cctx[] = "TLS 1.3, client CertificateVerify";
    memset(out, 0x20, 64);
    memcpy(out + 64, by_server ? sctx : cctx, sizeof(sctx)); /* with its NUL: the zero byte */
    return 64 + sizeof(sctx) + mt_hs13_th(c, out + 64 + sizeof(sctx));
}

#define CV_MAX (64 + 34 + MT_KS13_MAX_HASH)

int mt_hs13_send_certificate_verify(mt_conn *c, const mt_key *key, uint16_t scheme)
{
    uint8_t m[CV_MAX];
    mt_sig_alg alg;
    ENSURE(mt_hs12_sigalg_of(scheme, &alg), INTERNAL);
    size_t mn = cv_content(c, c->server, m);
    mt_wr sig;
    mt_wr_init_growable(&sig, MT_HS_MAX);
    int rc = mt_key_sign(key, alg, m, mn, &sig);
    if (rc == 0) {
        rc = mt_hs12_send_signed(c, scheme, &sig);
    }
    mt_wr_free(&sig);
    return rc;
}

int mt_hs13_check_certificate_verify(mt_conn *c, const uint8_t *body, size_t len,
                                     const uint8_t *raw)
{
    uint16_t scheme;
    const uint8_t *sg;
    size_t slen;
    GUARD(mt_hs12_read_signed(body, len, &scheme, &sg, &slen));
    /* RFC 8446 4.4.3: a scheme we offered (or asked for) that fits the certificate's key */
    mt_sig_alg alg;
    ENSURE(mt_hs12_in_list(c->cfg->sigalgs, c->cfg->nsigalgs, scheme) &&
               mt_hs12_sigalg_of(scheme, &alg) && mt_hs13_key_fits(c->h->peer_key, scheme),
           ILLEGAL_PARAMETER);
    uint8_t m[CV_MAX];
    size_t mn = cv_content(c, !c->server, m);
    ENSURE(mt_key_verify(c->h->peer_key, alg, m, mn, sg, slen) == 0, DECRYPT_ERROR);
    mt_conn_transcript(c, raw, 4 + len);
    if (!c->server) {
        c->sigalg = scheme;
    }
    return 0;
}

void mt_hs13_done(mt_conn *c)
{
    c->fin_ok = 1;
    c->hs = MT_HS_CONNECTED;
    c->established = 1;
    mt_conn_hs_end(c);
}

/* ---- dispatch ---- */

/* Which message each state takes. */
static const struct {
    int state;
    uint8_t type;
} expected[] = {
    {MT_HS_C_WAIT_SH, HT_SERVER_HELLO},       {MT_HS13_C_WAIT_EE, HT_ENCRYPTED_EXTENSIONS},
    {MT_HS13_C_WAIT_CERT_CR, HT_CERTIFICATE}, {MT_HS13_C_WAIT_CERT_CR, HT_CERTIFICATE_REQUEST},
    {MT_HS13_C_WAIT_CERT, HT_CERTIFICATE},    {MT_HS13_C_WAIT_CV, HT_CERTIFICATE_VERIFY},
    {MT_HS13_C_WAIT_FIN, HT_FINISHED},        {MT_HS13_S_WAIT_CH2, HT_CLIENT_HELLO},
    {MT_HS13_S_WAIT_CERT, HT_CERTIFICATE},    {MT_HS13_S_WAIT_CV, HT_CERTIFICATE_VERIFY},
    {MT_HS13_S_WAIT_FIN, HT_FINISHED},        {MT_HS13_S_WAIT_EOED, HT_END_OF_EARLY_DATA},
};

int mt_hs13_message(mt_conn *c, uint8_t type, const uint8_t *body, size_t len, const uint8_t *raw)
{
    int ok = 0;
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        ok |= expected[i].state == c->hs && expected[i].type == type;
    }
    ENSURE(ok, UNEXPECTED_MESSAGE);
    if (type == HT_ENCRYPTED_EXTENSIONS || type == HT_CERTIFICATE ||
        type == HT_CERTIFICATE_REQUEST) {
        mt_conn_transcript(c, raw, 4 + len);
    }
    return c->server ? mt_hs13_server_message(c, type, body, len, raw)
                     : mt_hs13_client_message(c, type, body, len, raw);
}

int mt_hs13_send_key_update(mt_conn *c, int request)
{
    const struct nettle_hash *h = mt_ks13_suite_hash(c->suite);
    uint8_t body[1] = {(uint8_t)(request ? 1 : 0)};
    uint8_t *own = c->server ? c->s_ap : c->c_ap;
    GUARD(mt_conn_send_hs(c, HT_KEY_UPDATE, body, 1));
    GUARD(mt_ks13_update_traffic(h, own, c->hlen));
    return mt_ks13_set_prot(&c->wr, h, own, c->hlen, c->suite->aead);
}

/* KeyUpdate (RFC 8446 4.6.3): the peer's next records use its next secret; asked to, we
 * answer with ours (once the answer is queued, our own keys move on too). */
MT_WUR static int on_key_update(mt_conn *c, const uint8_t *body, size_t len)
{
    ENSURE(len == 1, DECODE);
    ENSURE(body[0] <= 1, ILLEGAL_PARAMETER);
    /* at most 32 without application data in between (BoringSSL's and rustls' limit): a peer
     * cannot keep us deriving keys for nothing */
    ENSURE(++c->key_updates <= 32, UNEXPECTED_MESSAGE);
    uint8_t *peer = c->server ? c->c_ap : c->s_ap;
    const struct nettle_hash *h = mt_ks13_suite_hash(c->suite);
    GUARD(mt_ks13_update_traffic(h, peer, c->hlen));
    GUARD(mt_ks13_set_prot(&c->rd, h, peer, c->hlen, c->suite->aead));
    if (body[0] == 1 && !c->local_closed) {
        GUARD(mt_hs13_send_key_update(c, 0));
    }
    return 0;
}

/* NewSessionTicket (RFC 8446 4.6.1): the ticket and its PSK become the session that
 * mt_conn_session gives (the last one wins; one too long for a session is dropped). */
MT_WUR static int on_new_session_ticket(mt_conn *c, const uint8_t *body, size_t len)
{
    mt_rd r, nonce, ticket;
    uint32_t lifetime, age_add;
    ext_list e;
    ENSURE(!c->server, UNEXPECTED_MESSAGE);
    mt_rd_init(&r, body, len);
    GUARD(mt_rd_u32(&r, &lifetime));
    GUARD(mt_rd_u32(&r, &age_add));
    GUARD(mt_rd_vec8(&r, &nonce));
    GUARD(mt_rd_vec(&r, 2, 1, 0xffff, &ticket));
    ENSURE(mt_rd_left(&r) >= 2, DECODE);
    GUARD(mt_hs12_parse_exts(&r, &e));
    GUARD(mt_rd_end(&r));
    uint32_t max_early = 0;
    for (size_t i = 0; i < e.n; i++) {
        mt_rd d = e.data[i];
        if (e.type[i] == EXT_EARLY_DATA) {
            /* RFC 8446 4.2.10: max_early_data_size */
            GUARD(mt_rd_u32(&d, &max_early));
            GUARD(mt_rd_end(&d));
        }
    }
    /* RFC 8446 4.6.1: at most seven days */
    ENSURE(lifetime <= 604800, ILLEGAL_PARAMETER);
    size_t tn = mt_rd_left(&ticket), nn = mt_rd_left(&nonce);
    const uint8_t *np;
    GUARD(mt_rd_borrow(&nonce, nn, &np));
    if (tn > MT_TICKET_MAX || lifetime == 0) {
        return 0;
    }
    mt_session s;
    memset(&s, 0, sizeof(s));
    s.version = MT_TLS13;
    s.suite = c->suite->id;
    s.age_add = age_add;
    s.lifetime = lifetime;
    s.created = (int64_t)time(NULL);
    s.ticket_len = (uint16_t)tn;
    s.max_early_data = max_early;
    memcpy(s.sni, c->sni, strlen(c->sni) + 1);
    memcpy(s.alpn, c->alpn, strlen(c->alpn) + 1);
    int rc = mt_rd_copy(&ticket, s.ticket, tn);
    rc = rc < 0 ? rc
                : mt_ks13_resumption_psk(mt_ks13_suite_hash(c->suite), c->res_master, c->hlen, np,
                                         nn, s.master);
    rc = rc < 0 ? rc : mt_conn_keep_ticket(c, &s, 0);
    mt_session_wipe(&s);
    return rc;
}

int mt_hs13_post_handshake(mt_conn *c)
{
    while (!c->decision && !c->err) {
        mt_rd r;
        uint8_t type;
        uint32_t len;
        const uint8_t *body;
        mt_rd_init(&r, c->hs_in.p + c->hs_off, c->hs_in.len - c->hs_off);
        if (mt_rd_u8(&r, &type) < 0 || mt_rd_u24(&r, &len) < 0) {
            break;
        }
        ENSURE(len <= MT_HS_MAX - 4, HANDSHAKE_FAILURE);
        if (mt_rd_borrow(&r, len, &body) < 0) {
            break;
        }
        const uint8_t *raw = c->hs_in.p + c->hs_off;
        c->hs_off += 4 + len;
        /* RFC 8446 4.6.2: the messages answering a CertificateRequest come together */
        ENSURE(c->pha < MT_PHA_WAIT_CV || type == HT_CERTIFICATE_VERIFY || type == HT_FINISHED,
               UNEXPECTED_MESSAGE);
        switch (type) {
        case HT_CERTIFICATE_REQUEST:
            GUARD(mt_hs13_client_pha(c, body, len, raw));
            break;
        case HT_CERTIFICATE:
        case HT_CERTIFICATE_VERIFY:
        case HT_FINISHED:
            GUARD(mt_hs13_server_pha(c, type, body, len, raw));
            if (c->decision) {
                goto out; /* the verdict on the client's chain first */
            }
            break;
        case HT_NEW_SESSION_TICKET:
            GUARD(on_new_session_ticket(c, body, len));
            break;
        case HT_KEY_UPDATE:
            /* RFC 8446 5.1: a key change at a record boundary */
            ENSURE(c->hs_off == c->hs_in.len, UNEXPECTED_MESSAGE);
            GUARD(on_key_update(c, body, len));
            break;
        default:
            return -MT_E_UNEXPECTED_MESSAGE;
        }
    }
out:
    if (c->hs_off == c->hs_in.len) {
        mt_wr_reset(&c->hs_in);
        c->hs_off = 0;
    }
    return 0;
}

int mt_hs13_ccs(mt_conn *c, const uint8_t *p, size_t n)
{
    /* RFC 8446 5: a one-byte 0x01 ChangeCipherSpec in the clear, between the first ClientHello
     * and the peer's Finished, is dropped; any other is unexpected_message. A few at most. */
    ENSURE(n == 1 && p[0] == 1 && !c->peer_fin && c->ccs13 < 4, UNEXPECTED_MESSAGE);
    c->ccs13++;
    return 0;
}

int mt_hs13_keylog(const mt_conn *c, char *buf, size_t size)
{
    static const struct {
        mt_ks13_secret which;
        size_t off; /* of the secret in mt_conn */
    } lines[] = {
        {MT_KS13_C_HS_TRAFFIC, offsetof(mt_conn, c_hs)},
        {MT_KS13_S_HS_TRAFFIC, offsetof(mt_conn, s_hs)},
        {MT_KS13_C_AP_TRAFFIC, offsetof(mt_conn, c_ap0)},
        {MT_KS13_S_AP_TRAFFIC, offsetof(mt_conn, s_ap0)},
        {MT_KS13_EXP_MASTER, offsetof(mt_conn, exp_master)},
    };
    ENSURE(size >= 6 * MT_KS13_KEYLOG_MAX, INVALID_ARG);
    size_t n = 0;
    buf[0] = '\0';
    if (c->early == MT_EARLY_ACCEPTED) {
        /* 0-RTT: the early data's secret first */
        GUARD(mt_ks13_keylog(buf, size, MT_KS13_C_E_TRAFFIC, c->crand, c->c_early, c->hlen));
        n = strlen(buf);
    }
    for (size_t i = 0; i < 5; i++) {
        const uint8_t *secret = (const uint8_t *)c + lines[i].off;
        GUARD(mt_ks13_keylog(buf + n, size - n, lines[i].which, c->crand, secret, c->hlen));
        n += strlen(buf + n);
    }
    return 0;
}

int mt_hs13_export(const mt_conn *c, const char *label, const uint8_t *context, size_t ctx_len,
                   uint8_t *out, size_t out_len)
{
    return mt_ks13_export(mt_ks13_suite_hash(c->suite), c->exp_master, c->hlen, label, context,
                          ctx_len, out, out_len);
}
