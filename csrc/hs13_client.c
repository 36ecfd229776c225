/* The TLS 1.3 handshake, client role (RFC 8446 4). */
#include <string.h>
#include <time.h>

#include "ct.h"
#include "err.h"
#include "hs13_int.h"
#include "rng.h"

/* 1 if the config lets a client offer 1.3: the version range and a 1.3 suite. */
static int can_offer13(const mt_config *cfg)
{
    if (cfg->max_version < MT_TLS13 || cfg->min_version > MT_TLS13) {
        return 0;
    }
    for (size_t i = 0; i < cfg->nsuites; i++) {
        const mt_suite *s = mt_suite_by_id(cfg->suites[i]);
        if (s && s->kx == MT_KX_TLS13) {
            return 1;
        }
    }
    return 0;
}

int mt_hs13_client_prepare(mt_conn *c)
{
    /* a renegotiation (a 1.2 connection) offers 1.2 again */
    c->offer13 = !c->established && can_offer13(c->cfg);
    if (!c->offer13) {
        return 0;
    }
    /* RFC 8446 D.4: a non-empty legacy_session_id asks for middlebox compatibility mode */
    c->h->sid13_len = 32;
    GUARD(mt_rng_bytes(c->h->sid13, 32));
    /* a 1.3 session is offered by its ticket (RFC 8446 4.2.11), when we still run its suite */
    const mt_suite *rs = mt_suite_by_id(c->h->resume.suite);
    c->h->psk_offered = c->h->resume.version == MT_TLS13 && c->h->resume.ticket_len && rs &&
                        rs->kx == MT_KX_TLS13 &&
                        mt_hs12_in_list(c->cfg->suites, c->cfg->nsuites, rs->id);
    if (c->h->resume.sid_len && c->h->resume.version != MT_TLS13) {
        /* a 1.2 session offered: its id goes in the hello */
        c->h->sid13_len = c->h->resume.sid_len;
        memcpy(c->h->sid13, c->h->resume.sid, c->h->sid13_len);
    }
    c->compat = 1;
    c->pha_offered = c->cfg->post_handshake_auth;
    /* 0-RTT (RFC 8446 4.2.10): with a ticket that allows it, when the config wants it */
    if (mt_rec_protected(&c->wr)) {
        mt_rec_prot_clear(&c->wr); /* the early keys of a hello this one replaces */
    }
    c->early = MT_EARLY_NONE;
    c->early_open = c->early_bytes = 0;
    c->early_sent =
        c->h->psk_offered && c->cfg->max_early_data > 0 && c->h->resume.max_early_data > 0;
    if (c->early_sent) {
        c->early_max = c->cfg->max_early_data < c->h->resume.max_early_data
                           ? c->cfg->max_early_data
                           : c->h->resume.max_early_data;
        c->early_suite = c->h->resume.suite;
    }
    /* RFC 8446 4.2.8: one share, for our most preferred group (none: the server asks) */
    mt_hs13_share_wipe(c);
    c->h->share_group = 0;
    for (size_t i = 0; i < c->cfg->ngroups; i++) {
        if (mt_hs13_group_ok(c->cfg->groups[i])) {
            return mt_hs13_share_generate(c, c->cfg->groups[i]);
        }
    }
    return 0;
}

/* psk_key_exchange_modes (psk_dhe_ke; psk_ke too when configured) and pre_shared_key, which
 * must come last (RFC 8446 4.2.9, 4.2.11), with a zero binder that mt_hs13_client_binder
 * fills in. */
MT_WUR static int psk_exts(mt_conn *c, mt_wr *w)
{
    static const uint8_t dhe_only[] = {0, EXT_PSK_KEX_MODES, 0, 2, 1, 1},
                         both[] = {0, EXT_PSK_KEX_MODES, 0, 3, 2, 1, 0};
    const struct nettle_hash *h = mt_ks13_suite_hash(mt_suite_by_id(c->h->resume.suite));
    int64_t age = (int64_t)time(NULL) - c->h->resume.created;
    uint32_t ms = age > 0 && age < 604800 ? (uint32_t)age * 1000u : 0;
    if (c->cfg->psk_ke) {
        GUARD(mt_wr_bytes(w, both, sizeof(both)));
    } else {
        GUARD(mt_wr_bytes(w, dhe_only, sizeof(dhe_only)));
    }
    GUARD(mt_wr_u16(w, EXT_PRE_SHARED_KEY));
    GUARD(mt_wr_open(w, 2));
    GUARD(mt_wr_open(w, 2));
    GUARD(mt_wr_u16(w, c->h->resume.ticket_len));
    GUARD(mt_wr_bytes(w, c->h->resume.ticket, c->h->resume.ticket_len));
    /* RFC 8446 4.2.11.1: obfuscated_ticket_age = age in ms + ticket_age_add (mod 2^32) */
    GUARD(mt_wr_u32(w, ms + c->h->resume.age_add));
    GUARD(mt_wr_close(w));
    GUARD(mt_wr_open(w, 2));
    GUARD(mt_wr_u8(w, (uint8_t)h->digest_size));
    for (size_t i = 0; i < h->digest_size; i++) {
        GUARD(mt_wr_u8(w, 0));
    }
    GUARD(mt_wr_close(w));
    GUARD(mt_wr_close(w));
    return 0;
}

int mt_hs13_client_hello_exts(mt_conn *c, mt_wr *w)
{
    /* RFC 8446 4.2.1: 1.3 first, 1.2 when allowed */
    GUARD(mt_wr_u16(w, EXT_SUPPORTED_VERSIONS));
    GUARD(mt_wr_open(w, 2));
    GUARD(mt_wr_open(w, 1));
    GUARD(mt_wr_u16(w, MT_TLS13));
    if (c->cfg->min_version <= MT_TLS12) {
        GUARD(mt_wr_u16(w, MT_TLS12));
    }
    GUARD(mt_wr_close(w));
    GUARD(mt_wr_close(w));
    GUARD(mt_wr_u16(w, EXT_KEY_SHARE));
    GUARD(mt_wr_open(w, 2));
    GUARD(mt_wr_open(w, 2));
    if (c->h->share_group) {
        const uint8_t *pub;
        size_t n;
        mt_hs13_share_pub(c, &pub, &n);
        GUARD(mt_wr_u16(w, c->h->share_group));
        GUARD(mt_wr_u16(w, (uint16_t)n));
        GUARD(mt_wr_bytes(w, pub, n));
    }
    GUARD(mt_wr_close(w));
    GUARD(mt_wr_close(w));
    if (c->h->cookie_len) {
        /* RFC 8446 4.2.2: the HelloRetryRequest's cookie, echoed */
        GUARD(mt_wr_u16(w, EXT_COOKIE));
        GUARD(mt_wr_open(w, 2));
        GUARD(mt_wr_open(w, 2));
        GUARD(mt_wr_bytes(w, c->h->cookie, c->h->cookie_len));
        GUARD(mt_wr_close(w));
        GUARD(mt_wr_close(w));
    }
    if (c->cfg->nsigalgs_cert) {
        /* RFC 8446 4.2.3 */
        GUARD(mt_wr_u16(w, EXT_SIG_ALGS_CERT));
        GUARD(mt_wr_open(w, 2));
        GUARD(mt_wr_open(w, 2));
        for (size_t i = 0; i < c->cfg->nsigalgs_cert && i < MT_MAX_LIST; i++) {
            GUARD(mt_wr_u16(w, c->cfg->sigalgs_cert[i]));
        }
        GUARD(mt_wr_close(w));
        GUARD(mt_wr_close(w));
    }
    if (c->pha_offered) {
        /* RFC 8446 4.2.6: empty */
        GUARD(mt_wr_u16(w, EXT_POST_HANDSHAKE_AUTH));
        GUARD(mt_wr_u16(w, 0));
    }
    if (c->early_sent) {
        /* RFC 8446 4.2.10: empty in a ClientHello */
        GUARD(mt_wr_u16(w, EXT_EARLY_DATA));
        GUARD(mt_wr_u16(w, 0));
    }
    if (c->h->psk_offered) {
        GUARD(psk_exts(c, w));
    }
    return 0;
}

int mt_hs13_client_early_start(mt_conn *c)
{
    if (!c->offer13 || !c->early_sent) {
        return 0;
    }
    const mt_suite *s = mt_suite_by_id(c->early_suite);
    const struct nettle_hash *h = mt_ks13_suite_hash(s);
    ENSURE(h != NULL, INTERNAL);
    /* RFC 8446 D.4: with early data, the dummy CCS comes right after the first ClientHello;
     * 5.1: every record after it says 0x0303 */
    c->rec_version = MT_TLS12;
    GUARD(mt_conn_send_ccs(c));
    GUARD(mt_hs13_early_secret(c, h, c->h->resume.master));
    /* RFC 8446 4.2.10: early data goes under the ticket's suite */
    GUARD(mt_ks13_set_prot(&c->wr, h, c->c_early, h->digest_size, s->aead));
    c->early = MT_EARLY_OFFERED;
    c->early_open = 1;
    return 0;
}

int mt_hs13_client_binder(mt_conn *c, mt_wr *body)
{
    if (!c->offer13 || !c->h->psk_offered) {
        return 0;
    }
    const struct nettle_hash *h = mt_ks13_suite_hash(mt_suite_by_id(c->h->resume.suite));
    size_t hl = h->digest_size, keep = body->len - hl, partial = keep - 3;
    uint8_t b[MT_KS13_MAX_HASH];
    mt_wr m;
    mt_wr_init_growable(&m, MT_HS_MAX);
    /* the hello with its header, up to the binders list (its length and the binder's) */
    int rc = mt_wr_u8(&m, HT_CLIENT_HELLO);
    rc = rc < 0 ? rc : mt_wr_u24(&m, (uint32_t)body->len);
    rc = rc < 0 ? rc : mt_wr_bytes(&m, body->p, partial);
    rc = rc < 0 ? rc : mt_hs13_binder(c, h, c->h->resume.master, m.p, m.len, b);
    mt_wr_free(&m);
    GUARD(rc);
    mt_wr_truncate(body, keep);
    return mt_wr_bytes(body, b, hl);
}

/* Whether our ClientHello carried extension `type` (an answer to anything else is
 * unsupported_extension, RFC 8446 4.2). */
static int we_sent(const mt_conn *c, uint16_t type)
{
    switch (type) {
    case EXT_SERVER_NAME:
        return c->sni[0] != 0;
    case EXT_MAX_FRAGMENT_LENGTH:
        return c->cfg->max_fragment_length != 0;
    case EXT_RECORD_SIZE_LIMIT:
        return c->cfg->record_size_limit != 0;
    case EXT_ALPN:
        return c->cfg->alpn_len != 0;
    case EXT_ETM:
        return mt_hs12_offer_etm(c->cfg);
    case EXT_COOKIE:
        return c->h->cookie_len != 0;
    case EXT_PRE_SHARED_KEY:
    case EXT_PSK_KEX_MODES:
        return c->h->psk_offered;
    case EXT_EARLY_DATA:
        return c->early_sent;
    case EXT_POST_HANDSHAKE_AUTH:
        return c->pha_offered;
    case EXT_SUPPORTED_GROUPS:
    case EXT_EC_POINT_FORMATS:
    case EXT_SIGNATURE_ALGORITHMS:
    case EXT_EMS:
    case EXT_RENEGOTIATION_INFO:
    case EXT_SUPPORTED_VERSIONS:
    case EXT_KEY_SHARE:
        return 1;
    default:
        return 0;
    }
}

/* An extension not allowed in this message: illegal_parameter when it is one we know (we sent
 * it), else unsupported_extension (RFC 8446 4.2). */
static int misplaced(const mt_conn *c, uint16_t type)
{
    return we_sent(c, type) ? -MT_E_ILLEGAL_PARAMETER : -MT_E_UNSUPPORTED_EXTENSION;
}

typedef struct server_hello {
    uint16_t version, suite;
    const uint8_t *random;
    mt_rd sid;
    uint8_t comp;
    ext_list ext;
} server_hello;

MT_WUR static int parse_server_hello(const uint8_t *body, size_t len, server_hello *sh)
{
    mt_rd r;
    mt_rd_init(&r, body, len);
    GUARD(mt_rd_u16(&r, &sh->version));
    GUARD(mt_rd_borrow(&r, 32, &sh->random));
    GUARD(mt_rd_vec(&r, 1, 0, 32, &sh->sid));
    GUARD(mt_rd_u16(&r, &sh->suite));
    GUARD(mt_rd_u8(&r, &sh->comp));
    GUARD(mt_hs12_parse_exts(&r, &sh->ext));
    return mt_rd_end(&r);
}

/* What a ServerHello and a HelloRetryRequest must both hold (RFC 8446 4.1.3, 4.1.4). */
MT_WUR static int check_common(mt_conn *c, const server_hello *sh, const mt_suite **suite)
{
    mt_rd sid = sh->sid;
    const uint8_t *p;
    size_t n = mt_rd_left(&sid);
    GUARD(mt_rd_borrow(&sid, n, &p));
    ENSURE(sh->version == MT_TLS12, ILLEGAL_PARAMETER);
    /* legacy_session_id_echo: ours */
    ENSURE(n == c->h->sid13_len && mt_ct_eq(p, c->h->sid13, n), ILLEGAL_PARAMETER);
    ENSURE(sh->comp == 0, ILLEGAL_PARAMETER);
    const mt_suite *s = mt_suite_by_id(sh->suite);
    ENSURE(s && s->kx == MT_KX_TLS13 && mt_hs12_in_list(c->cfg->suites, c->cfg->nsuites, s->id),
           ILLEGAL_PARAMETER);
    /* RFC 8446 4.1.4: the ServerHello keeps the HelloRetryRequest's suite */
    ENSURE(!c->hrr || s == c->suite, ILLEGAL_PARAMETER);
    *suite = s;
    return 0;
}

/* HelloRetryRequest (RFC 8446 4.1.4): a share for another group and/or a cookie, then
 * ClientHello2 after a dummy ChangeCipherSpec. */
MT_WUR static int on_hello_retry_request(mt_conn *c, const server_hello *sh, const uint8_t *raw,
                                         size_t len)
{
    const mt_suite *s;
    uint16_t group = 0;
    int changed = 0;
    ENSURE(!c->hrr, UNEXPECTED_MESSAGE);
    GUARD(check_common(c, sh, &s));
    for (size_t i = 0; i < sh->ext.n; i++) {
        mt_rd d = sh->ext.data[i], ck;
        switch (sh->ext.type[i]) {
        case EXT_SUPPORTED_VERSIONS:
            break; /* checked by the caller */
        case EXT_KEY_SHARE:
            GUARD(mt_rd_u16(&d, &group));
            GUARD(mt_rd_end(&d));
            /* RFC 8446 4.2.8: a group we listed, and not the one we sent a share for */
            ENSURE(mt_hs12_in_list(c->cfg->groups, c->cfg->ngroups, group) &&
                       mt_hs13_group_ok(group) && group != c->h->share_group,
                   ILLEGAL_PARAMETER);
            changed = 1;
            break;
        case EXT_COOKIE:
            GUARD(mt_rd_vec(&d, 2, 1, sizeof(c->h->cookie), &ck));
            GUARD(mt_rd_end(&d));
            c->h->cookie_len = mt_rd_left(&ck);
            GUARD(mt_rd_copy(&ck, c->h->cookie, c->h->cookie_len));
            changed = 1;
            break;
        default:
            return misplaced(c, sh->ext.type[i]);
        }
    }
    /* RFC 8446 4.1.4: a HelloRetryRequest that would not change the ClientHello */
    ENSURE(changed, ILLEGAL_PARAMETER);
    c->suite = s;
    c->hrr = 1;
    /* RFC 8446 4.1.4: a PSK of another hash than the suite's is left out of ClientHello2 */
    c->h->psk_offered &=
        mt_ks13_suite_hash(mt_suite_by_id(c->h->resume.suite)) == mt_ks13_suite_hash(s);
    mt_hs13_th_hrr(c);
    mt_conn_transcript(c, raw, 4 + len);
    if (group) {
        GUARD(mt_hs13_share_generate(c, group));
    }
    /* RFC 8446 D.4: the dummy CCS before our second flight (unless it followed the first
     * hello, with early data); 5.1: records after the first ClientHello say 0x0303 */
    c->rec_version = MT_TLS12;
    if (c->early_sent) {
        /* RFC 8446 4.1.2, 4.2.10: a HelloRetryRequest rejects early data; ClientHello2 goes in
         * the clear without early_data */
        c->early_sent = c->early_open = 0;
        c->early = MT_EARLY_REJECTED;
        mt_rec_prot_clear(&c->wr);
        mt_ks13_wipe(&c->h->ks);
    } else {
        GUARD(mt_conn_send_ccs(c));
    }
    mt_wr w;
    mt_wr_init_growable(&w, MT_HS_MAX);
    int rc = mt_hs12_build_client_hello(c, &w);
    if (rc == 0) {
        rc = mt_hs13_client_binder(c, &w);
    }
    if (rc == 0) {
        rc = mt_conn_send_hs(c, HT_CLIENT_HELLO, w.p, w.len);
    }
    mt_wr_free(&w);
    return rc;
}

MT_WUR static int on_server_hello13(mt_conn *c, const server_hello *sh, const uint8_t *raw,
                                    size_t len)
{
    const mt_suite *s;
    mt_rd share;
    int have_share = 0;
    GUARD(check_common(c, sh, &s));
    for (size_t i = 0; i < sh->ext.n; i++) {
        mt_rd d = sh->ext.data[i];
        uint16_t group;
        switch (sh->ext.type[i]) {
        case EXT_SUPPORTED_VERSIONS:
            break;
        case EXT_KEY_SHARE:
            GUARD(mt_rd_u16(&d, &group));
            GUARD(mt_rd_vec(&d, 2, 1, 0xffff, &share));
            GUARD(mt_rd_end(&d));
            /* RFC 8446 4.2.8: the group of the share we sent */
            ENSURE(group == c->h->share_group && group != 0, ILLEGAL_PARAMETER);
            have_share = 1;
            break;
        case EXT_PRE_SHARED_KEY: {
            uint16_t sel;
            ENSURE(c->h->psk_offered, UNSUPPORTED_EXTENSION);
            GUARD(mt_rd_u16(&d, &sel));
            GUARD(mt_rd_end(&d));
            /* RFC 8446 4.2.11: the identity we sent, under a suite of its hash */
            ENSURE(sel == 0 && mt_ks13_suite_hash(mt_suite_by_id(c->h->resume.suite)) ==
                                   mt_ks13_suite_hash(s),
                   ILLEGAL_PARAMETER);
            c->resumed = 1;
            break;
        }
        default:
            /* pre_shared_key among them: we offered no PSK */
            return misplaced(c, sh->ext.type[i]);
        }
    }
    /* RFC 8446 9.2: without a PSK, key_share is mandatory; with one, only psk_ke (when we
     * offered it) goes without */
    ENSURE(have_share || (c->resumed && c->cfg->psk_ke), MISSING_EXTENSION);
    c->psk_ke = !have_share;
    uint8_t dhe[MT_KS13_MAX_DHE];
    size_t dn = 0;
    int rc = 0;
    if (have_share) {
        const uint8_t *p;
        size_t n = mt_rd_left(&share);
        GUARD(mt_rd_borrow(&share, n, &p));
        rc = mt_hs13_share_derive(c, p, n, dhe, &dn);
    } else {
        mt_hs13_share_wipe(c);
    }
    if (rc == 0 && c->resumed) {
        /* the server's certificate was checked when the ticket's connection was made */
        memcpy(c->h->psk, c->h->resume.master, sizeof(c->h->psk));
        c->chain_ok = c->ske_ok = 1;
    }
    mt_session_wipe(&c->h->resume);
    if (rc == 0) {
        c->suite = s;
        c->group = c->psk_ke ? 0 : c->h->share_group;
        memcpy(c->srand, sh->random, 32);
        mt_conn_transcript(c, raw, 4 + len);
        rc = mt_hs13_handshake_secrets(c, c->psk_ke ? NULL : dhe, dn);
    }
    mt_wipe(dhe, sizeof(dhe));
    GUARD(rc);
    GUARD(mt_hs13_set_rd(c, c->s_hs));
    c->early_open = 0;
    c->hs = MT_HS13_C_WAIT_EE;
    if (c->early_sent) {
        /* the early keys stay until EncryptedExtensions says whether the server took them */
        return 0;
    }
    /* RFC 8446 D.4: the dummy CCS ahead of our second flight (after a HelloRetryRequest it
     * went before ClientHello2); from here on what we send, alerts too, is protected */
    if (!c->hrr) {
        GUARD(mt_conn_send_ccs(c));
    }
    GUARD(mt_hs13_set_wr(c, c->c_hs));
    return 0;
}

int mt_hs13_client_server_hello(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *raw)
{
    server_hello sh;
    GUARD(parse_server_hello(body, len, &sh));
    int sv = -1;
    for (size_t i = 0; i < sh.ext.n; i++) {
        if (sh.ext.type[i] == EXT_SUPPORTED_VERSIONS) {
            sv = (int)i;
        }
    }
    if (sv < 0) {
        /* a 1.2 ServerHello (none comes after a HelloRetryRequest) */
        ENSURE(!c->tls13, ILLEGAL_PARAMETER);
        ENSURE(c->cfg->min_version <= MT_TLS12, PROTOCOL_VERSION);
        /* (offer13 stays set: it says what our hello announced, record_size_limit included) */
        /* RFC 8446 4.1.3: a 1.3 server negotiating less says so in the last eight bytes of its
         * random; that we offered 1.3 means someone removed it from our hello */
        ENSURE(memcmp(sh.random + 24, "DOWNGRD", 7) != 0 ||
                   (sh.random[31] != 0 && sh.random[31] != 1),
               ILLEGAL_PARAMETER);
        mt_hs13_share_wipe(c);
        return MT_HS13_TLS12;
    }
    uint16_t v;
    mt_rd d = sh.ext.data[sv];
    GUARD(mt_rd_u16(&d, &v));
    GUARD(mt_rd_end(&d));
    /* RFC 8446 4.2.1: only a version we offered, and 1.3 or later through this extension */
    ENSURE(v == MT_TLS13, ILLEGAL_PARAMETER);
    if (!c->tls13) {
        c->tls13 = 1;
        c->version = MT_TLS13;
        c->rec_version = MT_TLS12;
        /* no TLS 1.2 CertificateVerify will need the transcript bytes */
        c->h->th_keep = 0;
        mt_wr_free(&c->h->th_raw);
    }
    if (memcmp(sh.random, mt_hs13_hrr_random, 32) == 0) {
        return on_hello_retry_request(c, &sh, raw, len);
    }
    return on_server_hello13(c, &sh, raw, len);
}

/* EncryptedExtensions (RFC 8446 4.3.1). */
MT_WUR static int on_encrypted_extensions(mt_conn *c, const uint8_t *body, size_t len)
{
    mt_rd r;
    ext_list e;
    mt_rd_init(&r, body, len);
    ENSURE(len >= 2, DECODE);
    GUARD(mt_hs12_parse_exts(&r, &e));
    GUARD(mt_rd_end(&r));
    for (size_t i = 0; i < e.n; i++) {
        mt_rd d = e.data[i], f;
        uint8_t code;
        switch (e.type[i]) {
        case EXT_SERVER_NAME:
            ENSURE(c->sni[0], UNSUPPORTED_EXTENSION);
            GUARD(mt_rd_end(&d));
            break;
        case EXT_ALPN:
            GUARD(mt_hs12_take_server_alpn(c, d));
            break;
        case EXT_SUPPORTED_GROUPS:
            /* RFC 8446 4.2.7: the server's preference, for later connections; checked only */
            GUARD(mt_rd_vec(&d, 2, 2, 0xfffe, &f));
            GUARD(mt_rd_end(&d));
            break;
        case EXT_MAX_FRAGMENT_LENGTH:
            ENSURE(c->cfg->max_fragment_length, UNSUPPORTED_EXTENSION);
            GUARD(mt_rd_u8(&d, &code));
            GUARD(mt_rd_end(&d));
            /* RFC 6066 4: the echo must be the length we asked for */
            ENSURE(code == c->cfg->max_fragment_length, ILLEGAL_PARAMETER);
            c->mfl = mt_hs12_mfl_bytes(code);
            break;
        case EXT_EARLY_DATA:
            ENSURE(c->early_sent, UNSUPPORTED_EXTENSION);
            GUARD(mt_rd_end(&d));
            /* RFC 8446 4.2.10: accepted only with the ticket's PSK, under its suite */
            ENSURE(c->resumed && c->suite->id == c->early_suite, ILLEGAL_PARAMETER);
            c->early = MT_EARLY_ACCEPTED;
            break;
        case EXT_RECORD_SIZE_LIMIT:
            ENSURE(c->cfg->record_size_limit, UNSUPPORTED_EXTENSION);
            /* RFC 8449 4: under 1.3 the limit counts the inner content type byte */
            GUARD(mt_hs12_read_rsl(d, 1, &c->rsl_send));
            c->rsl_recv =
                c->cfg->record_size_limit < MT_REC_MAX_PLAIN ? c->cfg->record_size_limit : 0;
            break;
        default:
            return misplaced(c, e.type[i]);
        }
    }
    /* RFC 8449 5: not both */
    ENSURE(!(c->mfl && c->rsl_send), ILLEGAL_PARAMETER);
    if (c->early_sent && c->early != MT_EARLY_ACCEPTED) {
        /* RFC 8446 4.2.10: rejected; the second flight goes under the handshake keys */
        c->early = MT_EARLY_REJECTED;
        GUARD(mt_hs13_set_wr(c, c->c_hs));
    }
    /* RFC 8446 2.2: with a PSK, no certificates */
    c->hs = c->resumed ? MT_HS13_C_WAIT_FIN : MT_HS13_C_WAIT_CERT_CR;
    return 0;
}

/* CertificateRequest (RFC 8446 4.3.2): signature_algorithms is mandatory; the first of our
 * chains with a scheme the server lists answers it, else an empty Certificate. */
MT_WUR static int take_certificate_request(mt_conn *c, const uint8_t *body, size_t len, int post)
{
    mt_rd r, ctx;
    ext_list e;
    mt_rd_init(&r, body, len);
    GUARD(mt_rd_vec8(&r, &ctx));
    ENSURE(mt_rd_left(&r) >= 2, DECODE);
    GUARD(mt_hs12_parse_exts(&r, &e));
    GUARD(mt_rd_end(&r));
    /* RFC 8446 4.3.2: empty in the handshake; after it, the context our answer echoes */
    size_t cn = mt_rd_left(&ctx);
    ENSURE(post || cn == 0, ILLEGAL_PARAMETER);
    GUARD(mt_rd_copy(&ctx, c->h->cr_ctx, cn));
    int have_algs = 0;
    mt_rd algs;
    for (size_t i = 0; i < e.n; i++) {
        mt_rd d = e.data[i];
        if (e.type[i] == EXT_SIGNATURE_ALGORITHMS) {
            GUARD(mt_rd_vec(&d, 2, 2, 0xfffe, &algs));
            GUARD(mt_rd_end(&d));
            ENSURE(mt_rd_left(&algs) % 2 == 0, DECODE);
            have_algs = 1;
        }
        /* others (certificate_authorities, oid_filters, ...) may be ignored */
    }
    ENSURE(have_algs, MISSING_EXTENSION);
    c->h->chain = NULL;
    c->h->cr_ctx_len = cn;
    for (size_t k = 0; k < c->cfg->nchains && !c->h->chain; k++) {
        uint16_t scheme = mt_hs13_choose_scheme(c->cfg, c->cfg->chains[k]->key, algs);
        if (scheme) {
            c->h->chain = c->cfg->chains[k];
            c->cv_sigalg = scheme;
        }
    }
    return 0;
}

MT_WUR static int on_certificate_request(mt_conn *c, const uint8_t *body, size_t len)
{
    GUARD(take_certificate_request(c, body, len, 0));
    c->cert_requested = 1;
    c->hs = MT_HS13_C_WAIT_CERT;
    return 0;
}

/* A post-handshake CertificateRequest, answered in the handshake state c->h. */
MT_WUR static int answer_pha(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *raw)
{
    GUARD(take_certificate_request(c, body, len, 1));
    if (c->local_closed) {
        return 0; /* after our close_notify nothing more goes out */
    }
    /* the transcript: the handshake's through our Finished, then these messages; the Finished
     * key from the current client_application_traffic_secret (RFC 8446 4.4) */
    GUARD(mt_hs13_th_thaw(c));
    mt_conn_transcript(c, raw, 4 + len);
    GUARD(mt_hs13_send_certificate(c, c->h->cr_ctx, c->h->cr_ctx_len, c->h->chain));
    if (c->h->chain) {
        GUARD(mt_hs13_send_certificate_verify(c, c->h->chain->key, c->cv_sigalg));
    }
    return mt_hs13_send_finished_with(c, c->c_ap);
}

int mt_hs13_client_pha(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *raw)
{
    /* RFC 8446 4.6.2: only when we offered it (unexpected_message otherwise) */
    ENSURE(!c->server && c->pha_offered, UNEXPECTED_MESSAGE);
    GUARD(mt_conn_hs_begin(c));
    int rc = answer_pha(c, body, len, raw);
    mt_conn_hs_end(c);
    return rc;
}

MT_WUR static int on_server_certificate(mt_conn *c, const uint8_t *body, size_t len)
{
    GUARD(mt_hs13_take_certificate(c, body, len, NULL, 0));
    /* RFC 8446 4.4.2.4: an empty server Certificate is decode_error */
    ENSURE(c->npeer > 0, DECODE);
    c->hs = MT_HS13_C_WAIT_CV;
    mt_conn_ask_verify(c);
    return 0;
}

/* The server's Finished checked: our second flight, then application keys both ways. */
MT_WUR static int on_server_finished(mt_conn *c, const uint8_t *body, size_t len,
                                     const uint8_t *raw)
{
    GUARD(mt_hs13_check_finished(c, body, len, raw));
    ENSURE(c->chain_ok && c->ske_ok, INTERNAL);
    GUARD(mt_hs13_app_secrets(c));
    GUARD(mt_hs13_set_rd(c, c->s_ap));
    if (c->early == MT_EARLY_ACCEPTED) {
        /* RFC 8446 4.5: EndOfEarlyData closes the early data, under its keys */
        GUARD(mt_conn_send_hs(c, HT_END_OF_EARLY_DATA, NULL, 0));
        GUARD(mt_hs13_set_wr(c, c->c_hs));
    }
    if (c->cert_requested) {
        GUARD(mt_hs13_send_certificate(c, c->h->cr_ctx, c->h->cr_ctx_len, c->h->chain));
        if (c->h->chain) {
            GUARD(mt_hs13_send_certificate_verify(c, c->h->chain->key, c->cv_sigalg));
        }
    }
    GUARD(mt_hs13_send_finished(c));
    GUARD(mt_hs13_set_wr(c, c->c_ap));
    uint8_t th[MT_KS13_MAX_HASH];
    size_t tl = mt_hs13_th(c, th);
    GUARD(mt_ks13_derive(&c->h->ks, MT_KS13_RES_MASTER, th, tl, c->res_master));
    GUARD(mt_hs13_th_freeze(c));
    mt_hs13_done(c);
    return 0;
}

int mt_hs13_client_message(mt_conn *c, uint8_t type, const uint8_t *body, size_t len,
                           const uint8_t *raw)
{
    switch (c->hs) {
    case MT_HS_C_WAIT_SH:
        return mt_hs13_client_server_hello(c, body, len, raw);
    case MT_HS13_C_WAIT_EE:
        return on_encrypted_extensions(c, body, len);
    case MT_HS13_C_WAIT_CERT_CR:
        if (type == HT_CERTIFICATE_REQUEST) {
            return on_certificate_request(c, body, len);
        }
        return on_server_certificate(c, body, len);
    case MT_HS13_C_WAIT_CERT:
        return on_server_certificate(c, body, len);
    case MT_HS13_C_WAIT_CV:
        GUARD(mt_hs13_check_certificate_verify(c, body, len, raw));
        c->ske_ok = 1;
        c->hs = MT_HS13_C_WAIT_FIN;
        return 0;
    case MT_HS13_C_WAIT_FIN:
        return on_server_finished(c, body, len, raw);
    default:
        return -MT_E_UNEXPECTED_MESSAGE;
    }
}
