/*
 * IMPLEMENTATION NOTES
 *
 * TLS 1.2 client certificates (RFC 5246 7.4.4, 7.4.6, 7.4.8; RFC 8422 5.5,
 * 5.6, 5.8), both roles, kept apart from the rest of the handshake:
 *
 *   server: ... ServerKeyExchange CertificateRequest ServerHelloDone
 *           -> S_WAIT_CERT (empty allowed when client_auth is OPTIONAL)
 *           -> S_WAIT_CKE -> S_WAIT_CV (only after a non-empty Certificate)
 *           -> S_WAIT_CCS ...
 *   client: on CertificateRequest choose a chain; after ServerHelloDone send
 *           Certificate (possibly empty), ClientKeyExchange, CertificateVerify
 *           (only with a chain), CCS, Finished.
 *
 * The transcript bytes. CertificateVerify signs handshake_messages, not a
 * hash we choose: the hash is the one of the signature scheme (SHA-1 to
 * SHA-512), and EdDSA (RFC 8422 5.8 with RFC 8032) signs the messages whole.
 * The engine's running hashes are SHA-256 and SHA-384 only, so while client
 * authentication may happen the engine also records the raw transcript
 * (th_raw): a server from its start when client_auth is not NONE, a client
 * from its start when it has chains. Both sign/verify with mt_key_sign /
 * mt_key_verify over those bytes, so every scheme we offer works, EdDSA
 * included. The recording stops (and is wiped) as soon as it cannot be needed
 * any more: a client after ServerHelloDone, a server after an empty
 * Certificate or after CertificateVerify. It is bounded at 4 * MT_HS_MAX; a
 * longer transcript fails CertificateVerify with internal_error.
 *
 * The server's CertificateVerify check runs when the dispatch has already
 * added the message to the transcript: the signed part is everything before
 * its last 4 + len bytes.
 */
#include <string.h>

#include "err.h"
#include "hs12_int.h"

/* RFC 5246 7.4.4 / RFC 8422 5.5: ClientCertificateType values; ecdsa_sign covers EdDSA. */
enum {
    CT_RSA_SIGN = 1,
    CT_ECDSA_SIGN = 64,
};

#define TH_RAW_MAX (4 * MT_HS_MAX)

void mt_hs12_cauth_init(mt_conn *c)
{
    mt_wr_init_growable(&c->h->th_raw, TH_RAW_MAX);
    c->h->th_keep = c->server ? c->cfg->client_auth != MT_CLIENT_AUTH_NONE : c->cfg->nchains > 0;
}

static void stop_recording(mt_conn *c)
{
    c->h->th_keep = 0;
    mt_wr_free(&c->h->th_raw);
    mt_wr_init_growable(&c->h->th_raw, TH_RAW_MAX);
}

/* The certificate type a key's certificate belongs to, 0 for none we ask for or offer. */
static int cert_type_of(const mt_key *key)
{
    switch (mt_key_type_of(key)) {
    case MT_KEY_RSA:
        return CT_RSA_SIGN;
    case MT_KEY_EC_P256:
    case MT_KEY_EC_P384:
    case MT_KEY_EC_P521:
    case MT_KEY_ED25519:
    case MT_KEY_ED448:
        return CT_ECDSA_SIGN;
    default:
        return 0;
    }
}

/* ---- server ---- */

MT_WUR static int build_certificate_request(const mt_config *cfg, mt_wr *w)
{
    size_t offered = 0;
    GUARD(mt_wr_u8(w, 2));
    GUARD(mt_wr_u8(w, CT_RSA_SIGN));
    GUARD(mt_wr_u8(w, CT_ECDSA_SIGN));
    GUARD(mt_wr_open(w, 2));
    for (size_t i = 0; i < cfg->nsigalgs; i++) {
        mt_sig_alg alg;
        if (mt_hs12_sigalg_of(cfg->sigalgs[i], &alg)) {
            GUARD(mt_wr_u16(w, cfg->sigalgs[i]));
            offered++;
        }
    }
    GUARD(mt_wr_close(w));
    /* RFC 5246 7.4.4: supported_signature_algorithms<2..2^16-2> */
    ENSURE(offered > 0, HANDSHAKE_FAILURE);
    GUARD(mt_wr_open(w, 2));
    GUARD(mt_wr_bytes(w, cfg->ca_names, cfg->ca_names_len));
    GUARD(mt_wr_close(w));
    return mt_wr_finish(w);
}

int mt_hs12_send_certificate_request(mt_conn *c)
{
    if (c->cfg->client_auth == MT_CLIENT_AUTH_NONE) {
        return 0;
    }
    mt_wr w;
    mt_wr_init_growable(&w, MT_HS_MAX);
    int rc = build_certificate_request(c->cfg, &w);
    if (rc == 0) {
        rc = mt_conn_send_hs(c, HT_CERTIFICATE_REQUEST, w.p, w.len);
    }
    mt_wr_free(&w);
    GUARD(rc);
    c->cert_requested = 1;
    return 0;
}

int mt_hs12_on_client_certificate(mt_conn *c, const uint8_t *body, size_t len)
{
    GUARD(mt_hs12_take_certificates(c, body, len));
    GUARD(mt_hs12_check_peer_leaf(c));
    if (c->npeer == 0) {
        /* RFC 5246 7.4.6: without a certificate the server may go on or answer with a fatal
         * handshake_failure alert (TLS 1.3's certificate_required does not exist in 1.2);
         * NO_CLIENT_CERTIFICATE sends that alert and says why. */
        ENSURE(c->cfg->client_auth == MT_CLIENT_AUTH_OPTIONAL, NO_CLIENT_CERTIFICATE);
        stop_recording(c);
        c->hs = MT_HS_S_WAIT_CKE;
        return 0;
    }
    const uint8_t *spki;
    size_t n;
    int rc = mt_hs12_cert_spki(c->peer_certs.p, c->peer_len[0], &spki, &n);
    ENSURE(rc == 0, BAD_CERTIFICATE);
    rc = mt_key_from_spki(spki, n, &c->h->peer_key);
    ENSURE(rc == 0, UNSUPPORTED_CERTIFICATE);
    /* RFC 5246 7.4.6: the certificate must be of a type CertificateRequest allowed */
    ENSURE(cert_type_of(c->h->peer_key) != 0, UNSUPPORTED_CERTIFICATE);
    c->hs = MT_HS_S_WAIT_CKE;
    mt_conn_ask_verify(c);
    return 0;
}

int mt_hs12_on_certificate_verify(mt_conn *c, const uint8_t *body, size_t len)
{
    uint16_t scheme;
    const uint8_t *sg;
    size_t slen;
    GUARD(mt_hs12_read_signed(body, len, &scheme, &sg, &slen));
    /* RFC 5246 7.4.8: the scheme must be one of supported_signature_algorithms in our
     * CertificateRequest, and fit the client's key */
    mt_sig_alg alg;
    ENSURE(mt_hs12_in_list(c->cfg->sigalgs, c->cfg->nsigalgs, scheme) &&
               mt_hs12_sigalg_of(scheme, &alg) && mt_hs12_key_fits(c->h->peer_key, scheme),
           ILLEGAL_PARAMETER);
    ENSURE(c->h->th_keep == 1 && c->h->th_raw.len >= 4 + len, INTERNAL);
    /* RFC 5246 7.4.8: signed over every handshake message up to, not including, this one */
    int rc =
        mt_key_verify(c->h->peer_key, alg, c->h->th_raw.p, c->h->th_raw.len - 4 - len, sg, slen);
    ENSURE(rc == 0, DECRYPT_ERROR);
    stop_recording(c);
    c->cv_ok = 1;
    c->hs = MT_HS_S_WAIT_CCS;
    return 0;
}

/* Before the server's Finished: a requested certificate arrived, was accepted and proved, or
 * none came and none was required. */
int mt_hs12_client_auth_done(const mt_conn *c)
{
    if (!c->server || !c->cert_requested) {
        return 0;
    }
    if (c->npeer == 0) {
        ENSURE(c->cfg->client_auth == MT_CLIENT_AUTH_OPTIONAL, INTERNAL);
        return 0;
    }
    ENSURE(c->chain_ok && c->cv_ok, INTERNAL);
    return 0;
}

/* ---- client ---- */

/* RFC 5246 7.4.6: the first of our chains whose certificate type the server listed and whose
 * key makes a signature scheme the server listed (our preference order). The CA names are
 * not used: a server that dislikes the issuer says so with an alert. */
int mt_hs12_choose_client_chain(mt_conn *c, mt_rd types, mt_rd algs)
{
    const mt_config *cfg = c->cfg;
    /* a transcript too long to sign (th_keep -1) leaves us without a certificate */
    for (size_t k = 0; c->h->th_keep == 1 && k < cfg->nchains; k++) {
        const mt_chain *chain = cfg->chains[k];
        int type = cert_type_of(chain->key);
        int listed = 0;
        uint8_t t;
        for (mt_rd tr = types; mt_rd_u8(&tr, &t) == 0;) {
            listed |= type != 0 && t == type;
        }
        for (size_t j = 0; listed && j < cfg->nsigalgs; j++) {
            if (mt_hs12_has_u16(algs, cfg->sigalgs[j]) &&
                mt_hs12_key_fits(chain->key, cfg->sigalgs[j])) {
                c->h->chain = chain;
                c->cv_sigalg = cfg->sigalgs[j];
                return 0;
            }
        }
    }
    c->h->chain = NULL;
    return 0;
}

int mt_hs12_send_client_certificate(mt_conn *c)
{
    if (!c->cert_requested) {
        stop_recording(c);
        return 0;
    }
    mt_wr w;
    mt_wr_init_growable(&w, MT_HS_MAX);
    int rc = 0;
    /* RFC 5246 7.4.6: an empty list when no chain fits */
    BAIL(rc, mt_wr_open(&w, 3));
    for (size_t i = 0; c->h->chain && i < c->h->chain->n; i++) {
        BAIL(rc, mt_wr_open(&w, 3));
        BAIL(rc, mt_wr_bytes(&w, c->h->chain->der[i], c->h->chain->der_len[i]));
        BAIL(rc, mt_wr_close(&w));
    }
    BAIL(rc, mt_wr_close(&w));
    BAIL(rc, mt_wr_finish(&w));
    BAIL(rc, mt_conn_send_hs(c, HT_CERTIFICATE, w.p, w.len));
out:
    mt_wr_free(&w);
    if (!c->h->chain) {
        stop_recording(c);
    }
    return rc;
}

int mt_hs12_send_certificate_verify(mt_conn *c)
{
    if (!c->cert_requested || !c->h->chain) {
        return 0;
    }
    mt_sig_alg alg;
    ENSURE(c->h->th_keep == 1 && mt_hs12_sigalg_of(c->cv_sigalg, &alg), INTERNAL);
    mt_wr sig;
    mt_wr_init_growable(&sig, MT_HS_MAX);
    /* RFC 5246 7.4.8: over every handshake message so far (through ClientKeyExchange) */
    int rc = mt_key_sign(c->h->chain->key, alg, c->h->th_raw.p, c->h->th_raw.len, &sig);
    stop_recording(c);
    if (rc == 0) {
        rc = mt_hs12_send_signed(c, c->cv_sigalg, &sig);
    }
    mt_wr_free(&sig);
    return rc;
}
