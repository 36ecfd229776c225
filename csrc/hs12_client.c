/* The TLS 1.2 handshake, client role (RFC 5246 7.3, RFC 8422). */
#include <string.h>

#include "asn1.h"
#include "ct.h"
#include "err.h"
#include "hs12_int.h"
#include "kex_dh.h"
#include "prf.h"
#include "rng.h"

/* ---- client ---- */

/* The ticket of the 1.2 session offered for resumption (never in a renegotiation). */
static size_t resume_ticket_len(const mt_conn *c)
{
    return !c->established && c->h->resume.version == MT_TLS12 ? c->h->resume.ticket_len : 0;
}

/* RFC 5077 3.2: a hello that may speak 1.2 asks for a ticket (a renegotiation too: peers keep
 * the extension's state across it), or offers the session's, unless the config says
 * no_tickets. */
static int offers_ticket(const mt_conn *c)
{
    return c->cfg->min_version <= MT_TLS12 && (!c->cfg->no_tickets || resume_ticket_len(c) > 0);
}

int mt_hs12_build_client_hello(mt_conn *c, mt_wr *w)
{
    const mt_config *cfg = c->cfg;
    GUARD(mt_wr_u16(w, MT_TLS12));
    GUARD(mt_wr_bytes(w, c->crand, 32));
    /* RFC 5246 7.4.1.2: the id of a session to resume, or empty (always in a renegotiation);
     * RFC 8446 D.4: offering 1.3 without one, 32 random bytes (middlebox compatibility) */
    size_t sid_len = c->established || c->h->resume.version == MT_TLS13 ? 0 : c->h->resume.sid_len;
    const uint8_t *sid = c->h->resume.sid;
    if (c->offer13 && sid_len == 0) {
        sid_len = c->h->sid13_len;
        sid = c->h->sid13;
    }
    GUARD(mt_wr_u8(w, (uint8_t)sid_len));
    GUARD(mt_wr_bytes(w, sid, sid_len));
    GUARD(mt_wr_open(w, 2));
    for (size_t i = 0; c->offer13 && i < cfg->nsuites; i++) {
        const mt_suite *s = mt_suite_by_id(cfg->suites[i]);
        if (s && s->kx == MT_KX_TLS13) {
            GUARD(mt_wr_u16(w, s->id));
        }
    }
    for (size_t i = 0; cfg->min_version <= MT_TLS12 && i < cfg->nsuites; i++) {
        const mt_suite *s = mt_suite_by_id(cfg->suites[i]);
        if (s && mt_suite_allows(s, MT_TLS12) && s->kx != MT_KX_TLS13) {
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
    if (cfg->max_fragment_length) {
        /* RFC 6066 4: one byte, the code of the length we ask for */
        GUARD(mt_wr_u16(w, EXT_MAX_FRAGMENT_LENGTH));
        GUARD(mt_wr_u16(w, 1));
        GUARD(mt_wr_u8(w, cfg->max_fragment_length));
    }
    if (cfg->record_size_limit) {
        /* RFC 8449 4: the largest record plaintext we take; offering 1.3, one more for the
         * content type byte TLS 1.3 counts (a 1.2 server may then send that much) */
        GUARD(mt_wr_u16(w, EXT_RECORD_SIZE_LIMIT));
        GUARD(mt_wr_u16(w, 2));
        GUARD(mt_wr_u16(w, (uint16_t)(cfg->record_size_limit + (c->offer13 ? 1 : 0))));
    }
    if (mt_hs12_offer_etm(cfg)) {
        /* RFC 7366 2: empty extension_data, offered along with CBC suites */
        static const uint8_t etm[] = {0x00, EXT_ETM, 0x00, 0x00};
        GUARD(mt_wr_bytes(w, etm, sizeof(etm)));
    }
    /* RFC 7627 5.1 */
    static const uint8_t ems[] = {0x00, EXT_EMS, 0x00, 0x00};
    GUARD(mt_wr_bytes(w, ems, sizeof(ems)));
    /* RFC 5746 3.4, 3.5: renegotiated_connection is empty on the first hello, our last
     * verify_data in a renegotiation (and never the SCSV) */
    size_t ri = c->established ? sizeof(c->client_vd) : 0;
    GUARD(mt_wr_u16(w, EXT_RENEGOTIATION_INFO));
    GUARD(mt_wr_u16(w, (uint16_t)(1 + ri)));
    GUARD(mt_wr_u8(w, (uint8_t)ri));
    GUARD(mt_wr_bytes(w, c->client_vd, ri));
    if (offers_ticket(c)) {
        /* RFC 5077 3.2: empty asks for a ticket; a 1.2 session's ticket resumes it */
        size_t tn = resume_ticket_len(c);
        GUARD(mt_wr_u16(w, EXT_SESSION_TICKET));
        GUARD(mt_wr_u16(w, (uint16_t)tn));
        GUARD(mt_wr_bytes(w, c->h->resume.ticket, tn));
    }
    if (c->offer13) {
        GUARD(mt_hs13_client_hello_exts(c, w));
    }
    GUARD(mt_wr_close(w));
    return mt_wr_finish(w);
}

int mt_hs12_client_start(mt_conn *c)
{
    GUARD(mt_rng_bytes(c->crand, sizeof(c->crand)));
    if (!c->established) {
        c->rec_version = MT_TLS10; /* RFC 5246 E.1: the first record may say 1.0 */
    }
    if (!c->established && c->h->resume.version == MT_TLS12 && c->h->resume.ticket_len > 0) {
        /* RFC 5077 3.4: with a ticket, a fresh session id; the server echoes it when it takes
         * the ticket, so an echo means resumption */
        c->h->resume.sid_len = 32;
        GUARD(mt_rng_bytes(c->h->resume.sid, 32));
    }
    GUARD(mt_hs13_client_prepare(c));
    mt_wr w;
    mt_wr_init_growable(&w, MT_HS_MAX);
    int rc = mt_hs12_build_client_hello(c, &w);
    if (rc == 0) {
        rc = mt_hs13_client_binder(c, &w);
    }
    if (rc == 0) {
        rc = mt_conn_send_hs(c, HT_CLIENT_HELLO, w.p, w.len);
    }
    if (rc == 0) {
        rc = mt_hs13_client_early_start(c);
    }
    mt_wr_free(&w);
    c->hs = MT_HS_C_WAIT_SH;
    return rc;
}

int mt_hs12_client_renegotiate(mt_conn *c)
{
    GUARD(mt_hs12_restart(c));
    memcpy(c->h->saved_crand, c->crand, sizeof(c->crand));
    return mt_hs12_client_start(c);
}

/* Before a renegotiation's ServerHello is read: what it negotiates anew. */
static void reset_negotiated(mt_conn *c)
{
    c->ems = c->etm = c->resumed = c->ticket_ext = 0;
    c->mfl = c->rsl_send = c->rsl_recv = 0;
}

/* RFC 5746 3.4, 3.5: an empty renegotiated_connection on the first handshake, both saved
 * verify_data values in a renegotiation. */
MT_WUR static int check_renegotiation_info(mt_conn *c, mt_rd d)
{
    mt_rd inner;
    const uint8_t *p;
    GUARD(mt_rd_vec8(&d, &inner));
    GUARD(mt_rd_end(&d));
    size_t n = mt_rd_left(&inner);
    if (!c->established) {
        ENSURE(n == 0, BAD_RENEGOTIATION_INFO);
        c->secure_reneg = 1;
        return 0;
    }
    ENSURE(n == 24, BAD_RENEGOTIATION_INFO);
    GUARD(mt_rd_borrow(&inner, n, &p));
    ENSURE(mt_ct_eq(p, c->client_vd, 12) & mt_ct_eq(p + 12, c->server_vd, 12),
           BAD_RENEGOTIATION_INFO);
    return 0;
}

/* The server echoed our session id: an abbreviated handshake (RFC 5246 7.3) on the saved
 * master secret. Its parameters must be the session's. */
MT_WUR static int resume(mt_conn *c)
{
    /* RFC 5246 7.4.1.3: the resumed session's suite and version */
    ENSURE(c->suite->id == c->h->resume.suite && c->version == c->h->resume.version,
           ILLEGAL_PARAMETER);
    /* RFC 7627 5.3: EMS must be negotiated exactly as in the original session */
    ENSURE(c->ems == c->h->resume.ems, HANDSHAKE_FAILURE);
    memcpy(c->master, c->h->resume.master, sizeof(c->master));
    GUARD(mt_hs12_key_block(c));
    c->resumed = 1;
    c->resume_created = c->h->resume.created;
    /* the chain and its signature were checked when the session was made */
    c->chain_ok = 1;
    c->ske_ok = 1;
    c->hs = c->ticket_ext ? MT_HS_C_WAIT_NST : MT_HS_C_WAIT_CCS;
    return 0;
}

/* The server's ALPN answer (RFC 7301 3.1): exactly one protocol, one we offered. */
int mt_hs12_take_server_alpn(mt_conn *c, mt_rd d)
{
    mt_rd list, name;
    const uint8_t *p;
    ENSURE(c->cfg->alpn_len, UNSUPPORTED_EXTENSION);
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
    /* the application protocol of a connection does not change on renegotiation */
    ENSURE(!c->established || (strlen(c->alpn) == n && memcmp(c->alpn, p, n) == 0),
           ILLEGAL_PARAMETER);
    return mt_conn_set_name(&c->alpn, p, n);
}

int mt_hs12_on_server_hello(mt_conn *c, const uint8_t *body, size_t len)
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
    GUARD(mt_hs12_parse_exts(&r, &e));
    GUARD(mt_rd_end(&r));
    ENSURE(version == MT_TLS12, PROTOCOL_VERSION);
    const mt_suite *s = mt_suite_by_id(suite);
    /* RFC 5246 7.4.1.3: the suite and compression must be ones we offered. */
    ENSURE(s && mt_hs12_in_list(c->cfg->suites, c->cfg->nsuites, suite) && s->kx != MT_KX_TLS13 &&
               mt_suite_allows(s, MT_TLS12),
           ILLEGAL_PARAMETER);
    ENSURE(comp == 0, ILLEGAL_PARAMETER);
    if (c->established) {
        reset_negotiated(c);
    }
    int saw_ri = 0;
    for (size_t i = 0; i < e.n; i++) {
        mt_rd d = e.data[i];
        switch (e.type[i]) {
        case EXT_RENEGOTIATION_INFO:
            GUARD(check_renegotiation_info(c, d));
            saw_ri = 1;
            break;
        case EXT_EMS:
            GUARD(mt_rd_end(&d));
            c->ems = 1;
            break;
        case EXT_ETM:
            /* RFC 7366 2: only in answer to our offer; empty */
            ENSURE(mt_hs12_offer_etm(c->cfg), UNSUPPORTED_EXTENSION);
            GUARD(mt_rd_end(&d));
            /* RFC 7366 3: a server must not send it with an AEAD suite */
            ENSURE(s->cbc != NULL, ILLEGAL_PARAMETER);
            c->etm = 1;
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
        case EXT_ALPN:
            GUARD(mt_hs12_take_server_alpn(c, d));
            break;
        case EXT_SESSION_TICKET:
            /* RFC 5077 3.2: empty, in answer to ours; a NewSessionTicket will come */
            ENSURE(offers_ticket(c), UNSUPPORTED_EXTENSION);
            GUARD(mt_rd_end(&d));
            c->ticket_ext = 1;
            break;
        case EXT_MAX_FRAGMENT_LENGTH: {
            uint8_t code;
            ENSURE(c->cfg->max_fragment_length, UNSUPPORTED_EXTENSION);
            GUARD(mt_rd_u8(&d, &code));
            GUARD(mt_rd_end(&d));
            /* RFC 6066 4: the echo must be the length we asked for */
            ENSURE(code == c->cfg->max_fragment_length, ILLEGAL_PARAMETER);
            c->mfl = mt_hs12_mfl_bytes(code);
            break;
        }
        case EXT_RECORD_SIZE_LIMIT:
            ENSURE(c->cfg->record_size_limit, UNSUPPORTED_EXTENSION);
            GUARD(mt_hs12_read_rsl(d, 0, &c->rsl_send));
            /* our own limit (as announced) holds from now on: the server knows it */
            c->rsl_recv = c->cfg->record_size_limit + (size_t)c->offer13 < MT_REC_MAX_PLAIN
                              ? c->cfg->record_size_limit + (size_t)c->offer13
                              : 0;
            break;
        default:
            /* RFC 5246 7.4.1.4: an extension we did not offer */
            return -MT_E_UNSUPPORTED_EXTENSION;
        }
    }
    /* RFC 8449 5: a server must not answer both */
    ENSURE(!(c->mfl && c->rsl_send), ILLEGAL_PARAMETER);
    /* RFC 5746 3.5: a server that renegotiates securely sends renegotiation_info */
    ENSURE(!c->established || saw_ri, BAD_RENEGOTIATION_INFO);
    memcpy(c->srand, random, 32);
    c->sid_len = mt_rd_left(&sid);
    GUARD(mt_rd_copy(&sid, c->sid, c->sid_len));
    c->version = version;
    c->rec_version = version;
    c->suite = s;
    if (!c->established && c->h->resume.sid_len && c->sid_len == c->h->resume.sid_len &&
        memcmp(c->sid, c->h->resume.sid, c->sid_len) == 0) {
        return resume(c);
    }
    mt_session_wipe(&c->h->resume); /* a full handshake: the offered session is gone */
    c->hs = MT_HS_C_WAIT_CERT;
    return 0;
}

int mt_hs12_on_server_certificate(mt_conn *c, const uint8_t *body, size_t len)
{
    GUARD(mt_hs12_take_certificates(c, body, len));
    /* RFC 5246 7.4.2: the server must send a chain for these suites */
    ENSURE(c->npeer > 0, BAD_CERTIFICATE);
    GUARD(mt_hs12_check_peer_leaf(c));
    const uint8_t *spki;
    size_t n;
    int rc = mt_hs12_cert_spki(c->peer_certs.p, c->peer_len[0], &spki, &n);
    ENSURE(rc == 0, BAD_CERTIFICATE);
    rc = mt_key_from_spki(spki, n, &c->h->peer_key);
    ENSURE(rc == 0, UNSUPPORTED_CERTIFICATE);
    mt_key_type t = mt_key_type_of(c->h->peer_key);
    int rsa = t == MT_KEY_RSA;
    int ec = t == MT_KEY_EC_P256 || t == MT_KEY_EC_P384 || t == MT_KEY_EC_P521 ||
             t == MT_KEY_ED25519 || t == MT_KEY_ED448;
    /* RFC 8422 5.3 / RFC 5246 7.4.2: the key must fit the suite's authentication */
    ENSURE(c->suite->auth == MT_AUTH_RSA ? rsa : ec, UNSUPPORTED_CERTIFICATE);
    /* RFC 4055 1.2: no RSA key transport to an id-RSASSA-PSS key */
    ENSURE(c->suite->kx != MT_KX_RSA || !mt_key_is_rsa_pss(c->h->peer_key),
           UNSUPPORTED_CERTIFICATE);
    c->hs = MT_HS_C_WAIT_SKE;
    if (c->suite->kx == MT_KX_RSA) {
        /* RFC 5246 7.4.3: no ServerKeyExchange; the server proves its key by decrypting */
        c->ske_ok = 1;
        c->hs = MT_HS_C_WAIT_SHD;
    }
    mt_conn_ask_verify(c);
    return 0;
}

/* The ServerKeyExchange signature (RFC 5246 7.4.3, RFC 8422 5.4) over client_random ||
 * server_random || params, with a scheme we offered that fits the server's key. */
MT_WUR static int check_ske_signature(mt_conn *c, const uint8_t *params, size_t params_len,
                                      mt_rd *r)
{
    uint16_t scheme;
    mt_rd sig;
    const uint8_t *sg;
    GUARD(mt_rd_u16(r, &scheme));
    GUARD(mt_rd_vec16(r, &sig));
    GUARD(mt_rd_end(r));
    /* RFC 5246 7.4.1.4.1: a signature scheme we offered */
    mt_sig_alg alg;
    ENSURE(mt_hs12_in_list(c->cfg->sigalgs, c->cfg->nsigalgs, scheme) &&
               mt_hs12_sigalg_of(scheme, &alg),
           ILLEGAL_PARAMETER);
    ENSURE(mt_hs12_key_fits(c->h->peer_key, scheme), ILLEGAL_PARAMETER);
    mt_wr m;
    mt_wr_init_growable(&m, 64 + params_len);
    int rc = mt_wr_bytes(&m, c->crand, 32);
    rc = rc < 0 ? rc : mt_wr_bytes(&m, c->srand, 32);
    rc = rc < 0 ? rc : mt_wr_bytes(&m, params, params_len);
    size_t slen = mt_rd_left(&sig);
    if (rc == 0) {
        rc = mt_rd_borrow(&sig, slen, &sg);
    }
    if (rc == 0) {
        rc = mt_key_verify(c->h->peer_key, alg, m.p, m.len, sg, slen) < 0 ? -MT_E_DECRYPT_ERROR : 0;
    }
    mt_wr_free(&m);
    GUARD(rc);
    c->sigalg = scheme;
    return 0;
}

/* ServerDHParams (RFC 5246 7.4.3): validated, then our share and the premaster. */
MT_WUR static int dhe_params(mt_conn *c, const uint8_t *body, size_t len)
{
    mt_rd r;
    mt_dh_params prm;
    mt_rd_init(&r, body, len);
    GUARD(mt_dh_params_read(&r, &prm));
    GUARD(check_ske_signature(c, body, r.off, &r));
    uint16_t named;
    mt_dh_policy pol = {c->cfg->dh_min_bits, 0};
    /* p odd and large enough, 1 < g < p-1, 1 < Ys < p-1 (RFC 7919 3, 5.1) */
    GUARD(mt_dh_check_params(&prm, &pol, &named));
    GUARD(mt_hs_dh(c));
    GUARD(mt_hs_pms(c));
    GUARD(mt_dh_generate_custom(c->h->dh, prm.p, prm.p_len, prm.g, prm.g_len));
    /* RFC 5246 8.1.2: leading zero bytes of Z are stripped */
    GUARD(mt_dh_derive(c->h->dh, prm.ys, prm.ys_len, MT_DH_STRIPPED, c->h->pms, &c->h->pms_len));
    c->group = named;
    return 0;
}

/* ServerECDHParams (RFC 8422 5.4). */
MT_WUR static int ecdhe_params(mt_conn *c, const uint8_t *body, size_t len)
{
    mt_rd r, point;
    uint8_t curve_type;
    uint16_t group;
    const uint8_t *pt;
    mt_rd_init(&r, body, len);
    GUARD(mt_rd_u8(&r, &curve_type));
    GUARD(mt_rd_u16(&r, &group));
    GUARD(mt_rd_vec(&r, 1, 1, 255, &point));
    GUARD(check_ske_signature(c, body, r.off, &r));
    /* RFC 8422 5.4: named_curve (3) with a group we offered */
    ENSURE(curve_type == 3 && mt_hs12_in_list(c->cfg->groups, c->cfg->ngroups, group) &&
               mt_kex_supported(group),
           ILLEGAL_PARAMETER);
    size_t plen = mt_rd_left(&point);
    GUARD(mt_rd_borrow(&point, plen, &pt));
    GUARD(mt_kex_generate(&c->h->kex, group));
    GUARD(mt_hs_pms(c));
    GUARD(mt_kex_derive(&c->h->kex, pt, plen, c->h->pms, &c->h->pms_len));
    c->group = group;
    return 0;
}

int mt_hs12_on_server_key_exchange(mt_conn *c, const uint8_t *body, size_t len)
{
    /* the premaster waits until ClientKeyExchange is in the transcript (RFC 7627 4) */
    if (c->suite->kx == MT_KX_DHE) {
        GUARD(dhe_params(c, body, len));
    } else {
        GUARD(ecdhe_params(c, body, len));
    }
    c->ske_ok = 1;
    c->hs = MT_HS_C_WAIT_SHD;
    return 0;
}

/* ClientKeyExchange body for the suite's key exchange (RFC 5246 7.4.7, RFC 8422 5.7). */
MT_WUR static int build_cke(mt_conn *c, mt_wr *w)
{
    switch (c->suite->kx) {
    case MT_KX_ECDHE:
        GUARD(mt_wr_u8(w, (uint8_t)c->h->kex.pub_len));
        return mt_wr_bytes(w, c->h->kex.pub, c->h->kex.pub_len);
    case MT_KX_DHE:
        ENSURE(c->h->dh != NULL, INTERNAL);
        GUARD(mt_wr_u16(w, (uint16_t)c->h->dh->pub_len));
        return mt_wr_bytes(w, c->h->dh->pub, c->h->dh->pub_len);
    case MT_KX_RSA:
        /* RFC 5246 7.4.7.1: client_version (the one in our hello) || 46 random bytes */
        GUARD(mt_hs_pms(c));
        c->h->pms[0] = MT_TLS12 >> 8;
        c->h->pms[1] = MT_TLS12 & 0xff;
        GUARD(mt_rng_bytes(c->h->pms + 2, MT_PREMASTER_LEN - 2));
        c->h->pms_len = MT_PREMASTER_LEN;
        GUARD(mt_wr_open(w, 2));
        GUARD(mt_key_rsa_encrypt_premaster(c->h->peer_key, c->h->pms, w));
        return mt_wr_close(w);
    default:
        return -MT_E_INTERNAL;
    }
}

/* RFC 5246 7.4.4. The chain we answer with is chosen in hs12_cauth.c. */
int mt_hs12_on_certificate_request(mt_conn *c, const uint8_t *body, size_t len)
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
    return mt_hs12_choose_client_chain(c, types, algs);
}

int mt_hs12_on_server_hello_done(mt_conn *c, size_t len)
{
    ENSURE(len == 0, DECODE);
    GUARD(mt_hs12_send_client_certificate(c));
    mt_wr cke;
    mt_wr_init_growable(&cke, 4096);
    int rc = build_cke(c, &cke);
    if (rc == 0) {
        rc = mt_conn_send_hs(c, HT_CLIENT_KEY_EXCHANGE, cke.p, cke.len);
    }
    mt_wr_free(&cke);
    if (rc == 0) {
        c->h->session_hash_len = mt_conn_transcript_hash(c, c->h->session_hash);
        rc = c->h->pms ? mt_hs12_derive_keys(c, c->h->pms, c->h->pms_len) : -MT_E_INTERNAL;
    }
    mt_hs_pms_drop(c);
    mt_kex_wipe(&c->h->kex);
    mt_hs_dh_drop(c);
    GUARD(rc);
    GUARD(mt_hs12_send_certificate_verify(c));
    GUARD(mt_hs12_send_finished(c));
    c->hs = c->ticket_ext ? MT_HS_C_WAIT_NST : MT_HS_C_WAIT_CCS;
    return 0;
}

int mt_hs12_on_new_session_ticket(mt_conn *c, const uint8_t *body, size_t len)
{
    mt_rd r, t;
    uint32_t hint;
    mt_rd_init(&r, body, len);
    GUARD(mt_rd_u32(&r, &hint));
    GUARD(mt_rd_vec16(&r, &t));
    GUARD(mt_rd_end(&r));
    size_t n = mt_rd_left(&t);
    /* RFC 5077 3.3: an empty ticket means none; one longer than we keep is dropped. It is not
     * valid before the server's Finished checks (mt_conn_session waits for CONNECTED). */
    if (n > 0 && n <= MT_TICKET_MAX) {
        mt_session s;
        memset(&s, 0, sizeof(s));
        s.version = c->version;
        s.suite = c->suite->id; /* (only the ticket and its lifetime are used) */
        int rc = mt_rd_copy(&t, s.ticket, n);
        s.ticket_len = (uint16_t)n;
        s.lifetime = hint;
        rc = rc < 0 ? rc : mt_conn_keep_ticket(c, &s, 0);
        mt_session_wipe(&s);
        GUARD(rc);
    }
    c->hs = MT_HS_C_WAIT_CCS;
    return 0;
}
