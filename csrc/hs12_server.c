/* The TLS 1.2 handshake, server role (RFC 5246 7.3, RFC 8422). */
#include <string.h>

#include "asn1.h"
#include "ct.h"
#include "err.h"
#include "hs12_int.h"
#include "prf.h"
#include "rng.h"

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
    GUARD(mt_hs12_parse_exts(&r, &ch->ext));
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
            (have_groups ? mt_hs12_has_u16(groups, cfg->groups[i])
                         : cfg->groups[i] == MT_GROUP_SECP256R1)) {
            group = cfg->groups[i];
        }
    }
    for (size_t i = 0; i < cfg->nsuites; i++) {
        const mt_suite *s = mt_suite_by_id(cfg->suites[i]);
        if (!s || s->kx != MT_KX_ECDHE || !mt_suite_allows(s, MT_TLS12) || !group ||
            !mt_hs12_has_u16(ch->suites, s->id)) {
            continue;
        }
        for (size_t k = 0; k < cfg->nchains; k++) {
            const mt_chain *chain = cfg->chains[k];
            mt_key_type t = mt_key_type_of(chain->key);
            if ((s->auth == MT_AUTH_RSA) != (t == MT_KEY_RSA)) {
                continue;
            }
            for (size_t j = 0; j < cfg->nsigalgs; j++) {
                if (mt_hs12_has_u16(sigalgs, cfg->sigalgs[j]) &&
                    mt_hs12_key_fits(chain->key, cfg->sigalgs[j])) {
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
    mt_hs12_sigalg_of(c->sigalg, &alg);
    BAIL(rc, mt_key_sign(c->chain->key, alg, w.p, w.len, &sig));
    BAIL(rc, mt_wr_u16(&w, c->sigalg));
    BAIL(rc, mt_wr_u16(&w, (uint16_t)sig.len));
    BAIL(rc, mt_wr_bytes(&w, sig.p, sig.len));
    BAIL(rc, mt_wr_finish(&w));
    /* the 64 random bytes were only for the signature */
    BAIL(rc, mt_conn_send_hs(c, HT_SERVER_KEY_EXCHANGE, w.p + 64, w.len - 64));
    BAIL(rc, mt_hs12_send_certificate_request(c));
    /* ServerHelloDone */
    BAIL(rc, mt_conn_send_hs(c, HT_SERVER_HELLO_DONE, NULL, 0));
out:
    mt_wr_free(&w);
    mt_wr_free(&sig);
    return rc;
}

int mt_hs12_on_client_hello(mt_conn *c, const uint8_t *body, size_t len)
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
    c->secure_reneg = mt_hs12_has_u16(ch.suites, MT_SCSV_RENEGOTIATION);
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
    c->hs = c->cert_requested ? MT_HS_S_WAIT_CERT : MT_HS_S_WAIT_CKE;
    return 0;
}

int mt_hs12_on_client_key_exchange(mt_conn *c, const uint8_t *body, size_t len)
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
    int rc = mt_hs12_derive_keys(c, pms, pms_len);
    mt_wipe(pms, sizeof(pms));
    GUARD(rc);
    /* RFC 5246 7.4.8: CertificateVerify follows a non-empty client Certificate */
    c->hs = c->peer_key ? MT_HS_S_WAIT_CV : MT_HS_S_WAIT_CCS;
    return 0;
}
