/* The TLS 1.3 handshake, server role (RFC 8446 4). */
#include <string.h>
#include <time.h>

#include "ct.h"
#include "err.h"
#include "hs13_int.h"
#include "replay.h"
#include "rng.h"
#include "x509.h"

int mt_hs13_server_version(mt_conn *c, const ext_list *e, int *v13)
{
    const mt_config *cfg = c->cfg;
    int have13 = 0;
    *v13 = 0;
    for (size_t i = 0; i < cfg->nsuites; i++) {
        const mt_suite *s = mt_suite_by_id(cfg->suites[i]);
        have13 |= s && s->kx == MT_KX_TLS13;
    }
    int we13 = have13 && cfg->max_version >= MT_TLS13 && !c->established;
    for (size_t i = 0; i < e->n; i++) {
        if (e->type[i] != EXT_SUPPORTED_VERSIONS) {
            continue;
        }
        mt_rd d = e->data[i], list;
        GUARD(mt_rd_vec(&d, 1, 2, 254, &list));
        GUARD(mt_rd_end(&d));
        ENSURE(mt_rd_left(&list) % 2 == 0, DECODE);
        int t13 = mt_hs12_has_u16(list, MT_TLS13), t12 = mt_hs12_has_u16(list, MT_TLS12);
        /* RFC 8446 4.2.1: the extension alone decides the version */
        if (we13 && t13) {
            *v13 = 1;
            return 0;
        }
        ENSURE(t12 && cfg->min_version <= MT_TLS12, PROTOCOL_VERSION);
        return 0;
    }
    /* a client without the extension speaks 1.2 at most */
    ENSURE(cfg->min_version <= MT_TLS12, PROTOCOL_VERSION);
    return 0;
}

typedef struct client_hello {
    uint16_t version;
    const uint8_t *random;
    mt_rd sid, suites, comps;
    ext_list ext;
    /* from the extensions */
    mt_rd groups, sigalgs, shares, cookie, sigalgs_cert;
    int have_groups, have_sigalgs, have_shares, have_cookie, have_sigalgs_cert;
    mt_rd psk_ids, binders, modes; /* pre_shared_key, psk_key_exchange_modes */
    int have_psk, have_modes;
    int have_early; /* early_data */
} client_hello;

MT_WUR static int parse_client_hello(const uint8_t *body, size_t len, client_hello *ch)
{
    mt_rd r;
    memset(ch, 0, sizeof(*ch));
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

/* The key_share list (RFC 8446 4.2.8): groups once each, each one of supported_groups. */
MT_WUR static int check_shares(const client_hello *ch)
{
    uint16_t seen[MAX_EXTS];
    size_t n = 0;
    for (mt_rd r = ch->shares; mt_rd_left(&r) > 0;) {
        uint16_t g;
        mt_rd k;
        GUARD(mt_rd_u16(&r, &g));
        GUARD(mt_rd_vec(&r, 2, 1, 0xffff, &k));
        ENSURE(n < MAX_EXTS && !mt_hs12_in_list(seen, n, g), ILLEGAL_PARAMETER);
        ENSURE(mt_hs12_has_u16(ch->groups, g), ILLEGAL_PARAMETER);
        seen[n++] = g;
    }
    return 0;
}

/* The client's share for `group`, if it sent one. */
static int find_share(const client_hello *ch, uint16_t group, mt_rd *key)
{
    for (mt_rd r = ch->shares; mt_rd_left(&r) > 0;) {
        uint16_t g;
        if (mt_rd_u16(&r, &g) < 0 || mt_rd_vec(&r, 2, 1, 0xffff, key) < 0) {
            return 0;
        }
        if (g == group) {
            return 1;
        }
    }
    return 0;
}

/* The extensions of a 1.3 ClientHello: names, ALPN, limits into the connection, the lists
 * into ch. */
MT_WUR static int take_extensions(mt_conn *c, client_hello *ch)
{
    for (size_t i = 0; i < ch->ext.n; i++) {
        mt_rd d = ch->ext.data[i];
        switch (ch->ext.type[i]) {
        case EXT_SERVER_NAME:
            GUARD(mt_hs12_take_sni(c, d));
            break;
        case EXT_SUPPORTED_GROUPS:
            GUARD(mt_rd_vec(&d, 2, 2, 0xfffe, &ch->groups));
            GUARD(mt_rd_end(&d));
            ENSURE(mt_rd_left(&ch->groups) % 2 == 0, DECODE);
            ch->have_groups = 1;
            break;
        case EXT_SIGNATURE_ALGORITHMS:
            GUARD(mt_rd_vec(&d, 2, 2, 0xfffe, &ch->sigalgs));
            GUARD(mt_rd_end(&d));
            ENSURE(mt_rd_left(&ch->sigalgs) % 2 == 0, DECODE);
            ch->have_sigalgs = 1;
            break;
        case EXT_SIG_ALGS_CERT:
            /* RFC 8446 4.2.3 */
            GUARD(mt_rd_vec(&d, 2, 2, 0xfffe, &ch->sigalgs_cert));
            GUARD(mt_rd_end(&d));
            ENSURE(mt_rd_left(&ch->sigalgs_cert) % 2 == 0, DECODE);
            ch->have_sigalgs_cert = 1;
            break;
        case EXT_KEY_SHARE:
            GUARD(mt_rd_vec16(&d, &ch->shares));
            GUARD(mt_rd_end(&d));
            ch->have_shares = 1;
            break;
        case EXT_COOKIE:
            GUARD(mt_rd_vec(&d, 2, 1, 0xffff, &ch->cookie));
            GUARD(mt_rd_end(&d));
            ch->have_cookie = 1;
            break;
        case EXT_ALPN:
            GUARD(mt_hs12_choose_alpn(c, d));
            break;
        case EXT_MAX_FRAGMENT_LENGTH:
            GUARD(mt_rd_u8(&d, &c->mfl_code));
            GUARD(mt_rd_end(&d));
            ENSURE(mt_hs12_mfl_bytes(c->mfl_code) != 0, ILLEGAL_PARAMETER);
            break;
        case EXT_RECORD_SIZE_LIMIT:
            /* RFC 8449 4: the limit counts the inner content type under 1.3 */
            GUARD(mt_hs12_read_rsl(d, 1, &c->rsl_send));
            c->client_sent_rsl = 1;
            break;
        case EXT_PRE_SHARED_KEY:
            /* RFC 8446 4.2.11: the last extension */
            ENSURE(i == ch->ext.n - 1, ILLEGAL_PARAMETER);
            GUARD(mt_rd_vec(&d, 2, 7, 0xffff, &ch->psk_ids));
            GUARD(mt_rd_vec(&d, 2, 33, 0xffff, &ch->binders));
            GUARD(mt_rd_end(&d));
            ch->have_psk = 1;
            break;
        case EXT_PSK_KEX_MODES:
            GUARD(mt_rd_vec(&d, 1, 1, 255, &ch->modes));
            GUARD(mt_rd_end(&d));
            ch->have_modes = 1;
            break;
        case EXT_POST_HANDSHAKE_AUTH:
            /* RFC 8446 4.2.6: empty */
            GUARD(mt_rd_end(&d));
            c->pha_offered = 1;
            break;
        case EXT_EARLY_DATA:
            /* RFC 8446 4.2.10: empty in a ClientHello */
            GUARD(mt_rd_end(&d));
            ch->have_early = 1;
            break;
        default:
            break; /* unknown, 1.2-only and GREASE extensions are ignored */
        }
    }
    /* RFC 8446 9.2: without a PSK these are mandatory */
    ENSURE(ch->have_groups && ch->have_shares && ch->have_sigalgs, MISSING_EXTENSION);
    return check_shares(ch);
}

/* 0-RTT (RFC 8446 4.2.10, 8): the early data of a hello whose first PSK was accepted is taken
 * when the config allows it (max_early_data and a replay register), the ticket did, the suite
 * and ALPN are the ticket's, the ticket's age as the client sees it is within the register's
 * window of ours (8.3), and the binder was not seen within it (8.2: a replay). */
static int early_ok(mt_conn *c, const mt_session *s, uint32_t obfuscated_age, const uint8_t *binder,
                    size_t bn)
{
    const mt_config *cfg = c->cfg;
    if (!cfg->max_early_data || !cfg->replay || !s->max_early_data || c->hrr ||
        s->suite != c->suite->id || strcmp(s->alpn, c->alpn) != 0) {
        return 0;
    }
    int64_t now = (int64_t)time(NULL);
    int64_t theirs = (int64_t)(uint32_t)(obfuscated_age - s->age_add); /* ms */
    int64_t ours = (now - s->created) * 1000;
    int64_t window = (int64_t)mt_replay_window(cfg->replay) * 1000;
    if (theirs - ours > window || ours - theirs > window) {
        return 0;
    }
    return mt_replay_check(cfg->replay, binder, bn, now);
}

/* RFC 8446 4.2.11: resume when the first identity is a ticket of ours (or the application's,
 * MT_DECIDE_TICKET) within its lifetime, for this suite's hash and server name, with
 * psk_dhe_ke allowed, and its binder checks (constant time; a wrong binder is decrypt_error).
 * Else a full handshake. Before the hello enters the transcript; MT_HS_AGAIN while asking. */
MT_WUR static int try_psk(mt_conn *c, const client_hello *ch, const uint8_t *raw, size_t len)
{
    uint8_t mode;
    int dhe_ke = 0, ke = 0;
    for (mt_rd m = ch->modes; ch->have_modes && mt_rd_u8(&m, &mode) == 0;) {
        dhe_ke |= mode == 1;
        ke |= mode == 0;
    }
    /* RFC 8446 4.2.9: a PSK without psk_key_exchange_modes is missing_extension */
    ENSURE(!ch->have_psk || ch->have_modes, MISSING_EXTENSION);
    /* psk_ke when both sides allow it, else psk_dhe_ke when the client does */
    ke = ke && c->cfg->psk_ke;
    if (!ch->have_psk || !(dhe_ke || ke) || (!c->cfg->cache && !mt_tk_enabled(c))) {
        return 0;
    }
    mt_rd ids = ch->psk_ids, id, bs = ch->binders, binder;
    uint32_t age;
    const uint8_t *idp, *bp;
    GUARD(mt_rd_vec(&ids, 2, 1, 0xffff, &id));
    GUARD(mt_rd_u32(&ids, &age));
    GUARD(mt_rd_vec(&bs, 1, 32, 255, &binder));
    size_t idn = mt_rd_left(&id), bn = mt_rd_left(&binder);
    GUARD(mt_rd_borrow(&id, idn, &idp));
    GUARD(mt_rd_borrow(&binder, bn, &bp));
    mt_session s;
    int found, rc = mt_tk_find(c, idp, idn, &s, &found);
    if (rc != 0 || !found) {
        return rc; /* an error, MT_HS_AGAIN, or none */
    }
    const mt_suite *ss = mt_suite_by_id(s.suite);
    const struct nettle_hash *h = mt_ks13_suite_hash(c->suite);
    rc = 0;
    /* the same hash and server name as the ticket's session, else 1-RTT (ALPN is negotiated
     * anew and gates only early data, RFC 8446 4.2.10) */
    if (s.version == MT_TLS13 && ss && mt_ks13_suite_hash(ss) == h && strcmp(s.sni, c->sni) == 0) {
        uint8_t want[MT_KS13_MAX_HASH];
        /* the hello up to its binders list: all but the list's length and contents */
        size_t partial = 4 + len - 2 - mt_rd_left(&ch->binders);
        rc = mt_hs13_binder(c, h, s.master, raw, partial, want);
        if (rc == 0 && !(bn == h->digest_size && mt_ct_eq(want, bp, bn))) {
            rc = -MT_E_DECRYPT_ERROR;
        }
        if (rc == 0) {
            c->resumed = 1;
            c->psk_ke = ke;
            memcpy(c->h->psk, s.master, h->digest_size);
            if (c->client_early && early_ok(c, &s, age, bp, bn)) {
                c->early = MT_EARLY_ACCEPTED;
                c->early_max = c->cfg->max_early_data;
            }
        }
        mt_wipe(want, sizeof(want));
    }
    mt_session_wipe(&s);
    return rc;
}

/* The session of our NewSessionTicket (RFC 8446 4.6.1) after the client's Finished: its PSK
 * from resumption_master_secret and the ticket nonce, a random age_add, the names. The ticket
 * itself (hs_ticket.c) seals it, or names it in the cache, or is the application's. */
MT_WUR static int ticket_session(mt_conn *c)
{
    static const uint8_t nonce[1] = {0};
    GUARD(mt_hs_session(&c->h->ticket));
    mt_session *s = c->h->ticket;
    s->version = MT_TLS13;
    s->suite = c->suite->id;
    s->created = mt_tk_now(c);
    s->lifetime = mt_tk_lifetime(c->cfg, 0);
    memcpy(s->sni, c->sni, strlen(c->sni) + 1);
    memcpy(s->alpn, c->alpn, strlen(c->alpn) + 1);
    /* RFC 8446 4.2.10: the ticket allows 0-RTT up to max_early_data_size */
    s->max_early_data = c->cfg->max_early_data;
    GUARD(mt_rng_bytes((uint8_t *)&s->age_add, sizeof(s->age_add)));
    return mt_ks13_resumption_psk(mt_ks13_suite_hash(c->suite), c->res_master, c->hlen, nonce, 1,
                                  s->master);
}

int mt_hs13_server_ticket_done(mt_conn *c)
{
    GUARD(mt_tk_send(c));
    mt_hs13_done(c);
    return 0;
}

/* Whether the leaf of `chain` is signed with a scheme in `list` (RFC 8446 4.4.2.2; a PSS
 * signature matches rsae and pss schemes alike: which one depends on the issuer's key). */
static int leaf_signed_with(const mt_chain *chain, mt_rd list)
{
    uint16_t code;
    mt_sig_alg a;
    if (!chain->leaf) {
        return 0;
    }
    mt_sig_alg want = chain->leaf->sig_alg;
    while (mt_rd_u16(&list, &code) == 0) {
        if (mt_hs12_sigalg_of(code, &a) && a.kind == want.kind && a.hash == want.hash) {
            return 1;
        }
    }
    return 0;
}

/* Suite, certificate and scheme, server preference (RFC 8446 4.1.1). */
MT_WUR static int choose(mt_conn *c, const client_hello *ch)
{
    const mt_config *cfg = c->cfg;
    const mt_suite *suite = NULL;
    for (size_t i = 0; i < cfg->nsuites && !suite; i++) {
        const mt_suite *s = mt_suite_by_id(cfg->suites[i]);
        if (s && s->kx == MT_KX_TLS13 && mt_hs12_has_u16(ch->suites, s->id)) {
            suite = s;
        }
    }
    ENSURE(suite, HANDSHAKE_FAILURE);
    /* RFC 8446 4.1.4: ClientHello2 must still offer the suite of our HelloRetryRequest */
    ENSURE(!c->hrr || suite == c->suite || mt_hs12_has_u16(ch->suites, c->suite->id),
           ILLEGAL_PARAMETER);
    if (!c->hrr) {
        c->suite = suite;
    }
    /* RFC 6066 3: a chain for the name the client asked first; else the first that fits; among
     * them, one signed as the client accepts (RFC 8446 4.4.2.2: signature_algorithms_cert, or
     * signature_algorithms), else any */
    mt_rd cert_algs = ch->have_sigalgs_cert ? ch->sigalgs_cert : ch->sigalgs;
    for (size_t k = 0; k < 4 * cfg->nchains; k++) {
        const mt_chain *chain = cfg->chains[k % cfg->nchains];
        int named = chain->leaf && c->sni[0] && mt_x509_check_host(chain->leaf, c->sni, 1);
        size_t pass = k / cfg->nchains;
        uint16_t scheme;
        if ((pass < 2) == named && (pass % 2 == 1 || leaf_signed_with(chain, cert_algs)) &&
            (scheme = mt_hs13_choose_scheme(cfg, chain->key, ch->sigalgs)) != 0) {
            c->h->chain = chain;
            c->sigalg = scheme;
            return 0;
        }
    }
    return -MT_E_HANDSHAKE_FAILURE;
}

/* ServerHello or HelloRetryRequest (RFC 8446 4.1.3, 4.1.4). */
MT_WUR static int send_server_hello(mt_conn *c, int retry)
{
    mt_wr w;
    mt_wr_init_growable(&w, MT_HS_MAX);
    int rc = 0;
    BAIL(rc, mt_wr_u16(&w, MT_TLS12));
    BAIL(rc, mt_wr_bytes(&w, retry ? mt_hs13_hrr_random : c->srand, 32));
    BAIL(rc, mt_wr_u8(&w, (uint8_t)c->h->sid13_len));
    BAIL(rc, mt_wr_bytes(&w, c->h->sid13, c->h->sid13_len));
    BAIL(rc, mt_wr_u16(&w, c->suite->id));
    BAIL(rc, mt_wr_u8(&w, 0));
    BAIL(rc, mt_wr_open(&w, 2));
    BAIL(rc, mt_wr_u16(&w, EXT_SUPPORTED_VERSIONS));
    BAIL(rc, mt_wr_u16(&w, 2));
    BAIL(rc, mt_wr_u16(&w, MT_TLS13));
    if (retry || !c->psk_ke) {
        /* (psk_ke: no key_share, RFC 8446 4.2.8) */
        BAIL(rc, mt_wr_u16(&w, EXT_KEY_SHARE));
        BAIL(rc, mt_wr_open(&w, 2));
        BAIL(rc, mt_wr_u16(&w, c->h->share_group));
        if (!retry) {
            const uint8_t *pub;
            size_t n;
            mt_hs13_share_pub(c, &pub, &n);
            BAIL(rc, mt_wr_u16(&w, (uint16_t)n));
            BAIL(rc, mt_wr_bytes(&w, pub, n));
        }
        BAIL(rc, mt_wr_close(&w));
    }
    if (!retry && c->resumed) {
        /* RFC 8446 4.2.11: selected_identity, the first */
        BAIL(rc, mt_wr_u16(&w, EXT_PRE_SHARED_KEY));
        BAIL(rc, mt_wr_u16(&w, 2));
        BAIL(rc, mt_wr_u16(&w, 0));
    }
    if (retry) {
        BAIL(rc, mt_wr_u16(&w, EXT_COOKIE));
        BAIL(rc, mt_wr_u16(&w, (uint16_t)(2 + c->h->cookie_len)));
        BAIL(rc, mt_wr_u16(&w, (uint16_t)c->h->cookie_len));
        BAIL(rc, mt_wr_bytes(&w, c->h->cookie, c->h->cookie_len));
    }
    BAIL(rc, mt_wr_close(&w));
    BAIL(rc, mt_wr_finish(&w));
    BAIL(rc, mt_conn_send_hs(c, HT_SERVER_HELLO, w.p, w.len));
out:
    mt_wr_free(&w);
    return rc;
}

/* EncryptedExtensions (RFC 8446 4.3.1): what was negotiated outside the key exchange. */
MT_WUR static int send_encrypted_extensions(mt_conn *c)
{
    mt_wr w;
    mt_wr_init_growable(&w, MT_HS_MAX);
    int rc = 0;
    BAIL(rc, mt_wr_open(&w, 2));
    if (c->client_sent_sni) {
        BAIL(rc, mt_wr_u16(&w, EXT_SERVER_NAME));
        BAIL(rc, mt_wr_u16(&w, 0));
    }
    if (c->alpn[0] && c->client_sent_alpn) {
        size_t n = strlen(c->alpn);
        BAIL(rc, mt_wr_u16(&w, EXT_ALPN));
        BAIL(rc, mt_wr_u16(&w, (uint16_t)(n + 3)));
        BAIL(rc, mt_wr_u16(&w, (uint16_t)(n + 1)));
        BAIL(rc, mt_wr_u8(&w, (uint8_t)n));
        BAIL(rc, mt_wr_bytes(&w, c->alpn, n));
    }
    if (c->mfl_code) {
        BAIL(rc, mt_wr_u16(&w, EXT_MAX_FRAGMENT_LENGTH));
        BAIL(rc, mt_wr_u16(&w, 1));
        BAIL(rc, mt_wr_u8(&w, c->mfl_code));
    }
    if (c->early == MT_EARLY_ACCEPTED) {
        BAIL(rc, mt_wr_u16(&w, EXT_EARLY_DATA));
        BAIL(rc, mt_wr_u16(&w, 0));
    }
    if (c->client_sent_rsl) {
        /* RFC 8449 4: ours, counting the content type byte (2^14 + 1 when none is set) */
        uint16_t ours = c->cfg->record_size_limit;
        BAIL(rc, mt_wr_u16(&w, EXT_RECORD_SIZE_LIMIT));
        BAIL(rc, mt_wr_u16(&w, 2));
        BAIL(rc, mt_wr_u16(&w, (uint16_t)((ours ? ours : MT_REC_MAX_PLAIN) + 1)));
    }
    BAIL(rc, mt_wr_close(&w));
    BAIL(rc, mt_wr_finish(&w));
    BAIL(rc, mt_conn_send_hs(c, HT_ENCRYPTED_EXTENSIONS, w.p, w.len));
out:
    mt_wr_free(&w);
    return rc;
}

/* CertificateRequest (RFC 8446 4.3.2): the context (empty in the handshake), our 1.3 schemes,
 * the CA names. */
MT_WUR static int send_certificate_request(mt_conn *c, const uint8_t *ctx, size_t ctx_len)
{
    const mt_config *cfg = c->cfg;
    mt_wr w;
    mt_wr_init_growable(&w, MT_HS_MAX);
    int rc = 0;
    BAIL(rc, mt_wr_u8(&w, (uint8_t)ctx_len));
    BAIL(rc, mt_wr_bytes(&w, ctx, ctx_len));
    BAIL(rc, mt_wr_open(&w, 2));
    BAIL(rc, mt_wr_u16(&w, EXT_SIGNATURE_ALGORITHMS));
    BAIL(rc, mt_wr_open(&w, 2));
    BAIL(rc, mt_wr_open(&w, 2));
    for (size_t i = 0; i < cfg->nsigalgs; i++) {
        uint16_t a = cfg->sigalgs[i];
        /* the schemes a 1.3 CertificateVerify may use (no PKCS#1 v1.5, no SHA-1) */
        if ((a >= 0x0403 && (a & 0xff) == 3 && a <= 0x0603) || (a >= 0x0804 && a <= 0x080b)) {
            BAIL(rc, mt_wr_u16(&w, a));
        }
    }
    BAIL(rc, mt_wr_close(&w));
    BAIL(rc, mt_wr_close(&w));
    if (cfg->ca_names_len) {
        BAIL(rc, mt_wr_u16(&w, EXT_CERT_AUTHORITIES));
        BAIL(rc, mt_wr_open(&w, 2));
        BAIL(rc, mt_wr_open(&w, 2));
        BAIL(rc, mt_wr_bytes(&w, cfg->ca_names, cfg->ca_names_len));
        BAIL(rc, mt_wr_close(&w));
        BAIL(rc, mt_wr_close(&w));
    }
    BAIL(rc, mt_wr_close(&w));
    BAIL(rc, mt_wr_finish(&w));
    BAIL(rc, mt_conn_send_hs(c, HT_CERTIFICATE_REQUEST, w.p, w.len));
    c->cert_requested = 1;
out:
    mt_wr_free(&w);
    return rc;
}

/* ServerHello through Finished, then the application keys for writing. */
MT_WUR static int send_flight(mt_conn *c, const uint8_t *share, size_t share_len)
{
    uint8_t dhe[MT_KS13_MAX_DHE];
    size_t dn = 0;
    int rc = 0;
    const struct nettle_hash *h = mt_ks13_suite_hash(c->suite);
    if (c->early == MT_EARLY_ACCEPTED) {
        /* client_early_traffic_secret from TH(ClientHello), before the ServerHello enters */
        BAIL(rc, mt_hs13_early_secret(c, h, c->h->psk));
    } else if (c->client_early) {
        /* RFC 8446 4.2.10: rejected: skip what fails under the handshake keys */
        c->early = MT_EARLY_REJECTED;
        c->early_skip = MT_SKIP_TRIAL;
    }
    BAIL(rc, mt_rng_bytes(c->srand, 32));
    if (!c->psk_ke) {
        BAIL(rc, mt_hs13_share_generate(c, c->h->share_group));
        c->group = c->h->share_group;
    }
    BAIL(rc, send_server_hello(c, 0));
    if (!c->psk_ke) {
        /* the peer's share is checked by the derivation, which wipes ours */
        BAIL(rc, mt_hs13_share_derive(c, share, share_len, dhe, &dn));
    }
    if (c->compat && !c->hrr) {
        BAIL(rc, mt_conn_send_ccs(c)); /* RFC 8446 D.4 */
    }
    BAIL(rc, mt_hs13_handshake_secrets(c, c->psk_ke ? NULL : dhe, dn));
    BAIL(rc, mt_hs13_set_wr(c, c->s_hs));
    if (c->early == MT_EARLY_ACCEPTED) {
        /* early data until EndOfEarlyData, under the ticket's suite (the one chosen) */
        BAIL(rc, mt_ks13_set_prot(&c->rd, h, c->c_early, c->hlen, c->suite->aead));
    } else {
        BAIL(rc, mt_hs13_set_rd(c, c->c_hs));
    }
    BAIL(rc, send_encrypted_extensions(c));
    /* RFC 8446 2.2: a resumed handshake authenticates with the PSK, no certificates; with
     * post_handshake_auth configured and offered, the application asks later */
    if (c->cfg->client_auth != MT_CLIENT_AUTH_NONE && !c->resumed &&
        !(c->cfg->post_handshake_auth && c->pha_offered)) {
        BAIL(rc, send_certificate_request(c, NULL, 0));
    }
    if (!c->resumed) {
        BAIL(rc, mt_hs13_send_certificate(c, NULL, 0, c->h->chain));
        BAIL(rc, mt_hs13_send_certificate_verify(c, c->h->chain->key, c->sigalg));
    }
    BAIL(rc, mt_hs13_send_finished(c));
    BAIL(rc, mt_hs13_app_secrets(c));
    BAIL(rc, mt_hs13_set_wr(c, c->s_ap));
    c->hs = c->early == MT_EARLY_ACCEPTED ? MT_HS13_S_WAIT_EOED
            : c->cert_requested           ? MT_HS13_S_WAIT_CERT
                                          : MT_HS13_S_WAIT_FIN;
out:
    mt_wipe(dhe, sizeof(dhe));
    mt_kex_wipe(&c->h->kex);
    mt_hs_dh_drop(c);
    return rc;
}

/* Processed again after a decision (MT_DECIDE_SELECT) like the 1.2 one: nothing changes
 * before the transcript takes the message. */
int mt_hs13_on_client_hello(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *raw)
{
    client_hello ch;
    GUARD(parse_client_hello(body, len, &ch));
    /* RFC 8446 4.1.2: legacy_compression_methods is exactly one null byte */
    uint8_t comp;
    mt_rd cm = ch.comps;
    ENSURE(mt_rd_left(&cm) == 1 && mt_rd_u8(&cm, &comp) == 0 && comp == 0, ILLEGAL_PARAMETER);
    GUARD(take_extensions(c, &ch));
    c->client_early = ch.have_early;
    mt_hs12_limit_records(c);
    if (c->client_sent_rsl) {
        /* our limit counts the content type too: one byte less of plaintext */
        uint16_t ours = c->cfg->record_size_limit;
        c->rsl_recv = ours && ours < MT_REC_MAX_PLAIN ? ours : 0;
    }
    size_t sn = mt_rd_left(&ch.sid);
    GUARD(mt_rd_copy(&ch.sid, c->h->sid13, sn));
    c->h->sid13_len = sn;
    c->compat = sn > 0;
    memcpy(c->crand, ch.random, 32);
    GUARD(choose(c, &ch));
    c->tls13 = 1;
    c->version = MT_TLS13;
    c->h->th_keep = 0;
    mt_wr_free(&c->h->th_raw);
    /* the group: ours first among those the client sent a share for */
    mt_rd share;
    for (size_t i = 0; i < c->cfg->ngroups; i++) {
        uint16_t g = c->cfg->groups[i];
        if (mt_hs13_group_ok(g) && find_share(&ch, g, &share)) {
            int rc = try_psk(c, &ch, raw, len);
            if (rc == MT_HS_AGAIN) {
                /* asked at MT_DECIDE_TICKET: the hello comes again through the 1.2 entry */
                c->tls13 = 0;
                return rc;
            }
            GUARD(rc);
            mt_conn_transcript(c, raw, 4 + len);
            c->h->share_group = g;
            size_t n = mt_rd_left(&share);
            const uint8_t *p;
            GUARD(mt_rd_borrow(&share, n, &p));
            return send_flight(c, p, n);
        }
    }
    /* else one of ours it supports: HelloRetryRequest (RFC 8446 4.1.4); a PSK waits for
     * ClientHello2 */
    mt_conn_transcript(c, raw, 4 + len);
    for (size_t i = 0; i < c->cfg->ngroups; i++) {
        uint16_t g = c->cfg->groups[i];
        if (mt_hs13_group_ok(g) && mt_hs12_has_u16(ch.groups, g)) {
            c->h->share_group = g;
            c->hrr = 1;
            if (c->client_early) {
                /* RFC 8446 4.2.10: a HelloRetryRequest rejects early data */
                c->early = MT_EARLY_REJECTED;
                c->early_skip = MT_SKIP_HRR;
                c->early_max = c->cfg->max_early_data;
            }
            c->h->cookie_len = 32;
            GUARD(mt_rng_bytes(c->h->cookie, 32));
            mt_hs13_th_hrr(c);
            GUARD(send_server_hello(c, 1));
            if (c->compat) {
                GUARD(mt_conn_send_ccs(c)); /* RFC 8446 D.4 */
            }
            c->hs = MT_HS13_S_WAIT_CH2;
            return 0;
        }
    }
    return -MT_E_HANDSHAKE_FAILURE;
}

/* ClientHello2 (RFC 8446 4.1.2): the same hello with one share, of the group we asked, and our
 * cookie. */
MT_WUR static int on_client_hello2(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *raw)
{
    client_hello ch;
    GUARD(parse_client_hello(body, len, &ch));
    uint8_t comp;
    mt_rd cm = ch.comps;
    ENSURE(mt_rd_left(&cm) == 1 && mt_rd_u8(&cm, &comp) == 0 && comp == 0, ILLEGAL_PARAMETER);
    int v13;
    GUARD(mt_hs13_server_version(c, &ch.ext, &v13));
    ENSURE(v13, ILLEGAL_PARAMETER);
    char sni[MT_NAME_MAX];
    memcpy(sni, c->sni, strlen(c->sni) + 1);
    GUARD(take_extensions(c, &ch));
    ENSURE(strcmp(sni, c->sni) == 0, ILLEGAL_PARAMETER);
    /* RFC 8446 4.1.2: early_data is left out of ClientHello2 */
    ENSURE(!ch.have_early, ILLEGAL_PARAMETER);
    c->early_skip = MT_SKIP_NONE;
    c->client_early = 0;
    mt_rd sid = ch.sid;
    const uint8_t *p;
    size_t sn = mt_rd_left(&sid);
    GUARD(mt_rd_borrow(&sid, sn, &p));
    ENSURE(sn == c->h->sid13_len && mt_ct_eq(p, c->h->sid13, sn) &&
               mt_ct_eq(ch.random, c->crand, 32),
           ILLEGAL_PARAMETER);
    ENSURE(ch.have_cookie, MISSING_EXTENSION);
    mt_rd ck = ch.cookie;
    size_t kn = mt_rd_left(&ck);
    GUARD(mt_rd_borrow(&ck, kn, &p));
    ENSURE(kn == c->h->cookie_len && mt_ct_eq(p, c->h->cookie, kn), ILLEGAL_PARAMETER);
    /* exactly one share, for the group we asked */
    mt_rd share, all = ch.shares;
    uint16_t g;
    GUARD(mt_rd_u16(&all, &g));
    GUARD(mt_rd_vec(&all, 2, 1, 0xffff, &share));
    ENSURE(g == c->h->share_group && mt_rd_left(&all) == 0, ILLEGAL_PARAMETER);
    GUARD(choose(c, &ch));
    int rc = try_psk(c, &ch, raw, len);
    if (rc != 0) {
        return rc; /* an error, or MT_HS_AGAIN: this hello comes again */
    }
    mt_conn_transcript(c, raw, 4 + len);
    size_t n = mt_rd_left(&share);
    GUARD(mt_rd_borrow(&share, n, &p));
    return send_flight(c, p, n);
}

MT_WUR static int on_client_certificate(mt_conn *c, const uint8_t *body, size_t len)
{
    GUARD(mt_hs13_take_certificate(c, body, len, NULL, 0));
    if (c->npeer == 0) {
        /* RFC 8446 4.4.2.4: certificate_required when one was required */
        ENSURE(c->cfg->client_auth == MT_CLIENT_AUTH_OPTIONAL, CERTIFICATE_REQUIRED);
        c->hs = MT_HS13_S_WAIT_FIN;
        return 0;
    }
    c->hs = MT_HS13_S_WAIT_CV;
    mt_conn_ask_verify(c);
    return 0;
}

MT_WUR static int on_client_finished(mt_conn *c, const uint8_t *body, size_t len,
                                     const uint8_t *raw)
{
    GUARD(mt_hs13_check_finished(c, body, len, raw));
    /* a certificate the client sent was accepted and proved */
    ENSURE(c->npeer == 0 || (c->chain_ok && c->cv_ok), INTERNAL);
    uint8_t th[MT_KS13_MAX_HASH];
    size_t tl = mt_hs13_th(c, th);
    GUARD(mt_ks13_derive(&c->h->ks, MT_KS13_RES_MASTER, th, tl, c->res_master));
    GUARD(mt_hs13_set_rd(c, c->c_ap));
    GUARD(mt_hs13_th_freeze(c)); /* post-handshake authentication starts from here */
    if (!c->cfg->cache && !mt_tk_enabled(c)) {
        mt_hs13_done(c);
        return 0;
    }
    GUARD(ticket_session(c));
    if (mt_tk_ask(c)) {
        c->hs = MT_HS13_S_SEND_NST;
        return 0;
    }
    return mt_hs13_server_ticket_done(c);
}

int mt_hs13_server_message(mt_conn *c, uint8_t type, const uint8_t *body, size_t len,
                           const uint8_t *raw)
{
    (void)type;
    switch (c->hs) {
    case MT_HS13_S_WAIT_CH2:
        return on_client_hello2(c, body, len, raw);
    case MT_HS13_S_WAIT_CERT:
        return on_client_certificate(c, body, len);
    case MT_HS13_S_WAIT_CV:
        GUARD(mt_hs13_check_certificate_verify(c, body, len, raw));
        c->cv_ok = 1;
        c->hs = MT_HS13_S_WAIT_FIN;
        return 0;
    case MT_HS13_S_WAIT_FIN:
        return on_client_finished(c, body, len, raw);
    case MT_HS13_S_WAIT_EOED:
        /* RFC 8446 4.5: empty; then the handshake keys */
        ENSURE(len == 0, DECODE);
        mt_conn_transcript(c, raw, 4);
        GUARD(mt_hs13_set_rd(c, c->c_hs));
        c->hs = MT_HS13_S_WAIT_FIN;
        return 0;
    default:
        return -MT_E_UNEXPECTED_MESSAGE;
    }
}

/* ---- post-handshake client authentication (RFC 8446 4.6.2) ---- */

int mt_hs13_server_request_auth(mt_conn *c)
{
    uint8_t ctx[16];
    GUARD(mt_rng_bytes(ctx, sizeof(ctx)));
    /* a handshake state for the authentication until its Finished (mt_hs13_server_pha); its
     * transcript: the handshake's through the client Finished, then CertificateRequest */
    GUARD(mt_conn_hs_begin(c));
    GUARD(mt_hs13_th_thaw(c));
    int rc = send_certificate_request(c, ctx, sizeof(ctx));
    c->h->th_frozen = 1;
    GUARD(rc);
    memcpy(c->h->cr_ctx, ctx, sizeof(ctx));
    c->h->cr_ctx_len = sizeof(ctx);
    c->pha = MT_PHA_WAIT_CERT;
    return 0;
}

MT_WUR static int pha_certificate(mt_conn *c, const uint8_t *body, size_t len)
{
    /* RFC 8446 4.4.2: the context of our request */
    GUARD(mt_hs13_take_certificate(c, body, len, c->h->cr_ctx, c->h->cr_ctx_len));
    c->cv_ok = 0;
    if (c->npeer == 0) {
        ENSURE(c->cfg->client_auth != MT_CLIENT_AUTH_REQUIRE, CERTIFICATE_REQUIRED);
        c->pha = MT_PHA_WAIT_FIN;
        return 0;
    }
    c->pha = MT_PHA_WAIT_CV;
    c->chain_ok = 0;
    mt_conn_ask_verify(c);
    return 0;
}

int mt_hs13_server_pha(mt_conn *c, uint8_t type, const uint8_t *body, size_t len,
                       const uint8_t *raw)
{
    static const uint8_t want[] = {0, HT_CERTIFICATE, HT_CERTIFICATE_VERIFY, HT_FINISHED};
    ENSURE(c->server && c->pha != MT_PHA_NONE && type == want[c->pha], UNEXPECTED_MESSAGE);
    int rc;
    c->h->th_frozen = 0;
    switch (c->pha) {
    case MT_PHA_WAIT_CERT:
        mt_conn_transcript(c, raw, 4 + len);
        rc = pha_certificate(c, body, len);
        break;
    case MT_PHA_WAIT_CV:
        rc = mt_hs13_check_certificate_verify(c, body, len, raw);
        c->cv_ok = rc == 0;
        c->pha = MT_PHA_WAIT_FIN;
        break;
    default:
        rc = mt_hs13_check_finished_with(c, c->c_ap, body, len, raw);
        /* a certificate the client sent was accepted and proved */
        if (rc == 0 && !(c->npeer == 0 || (c->chain_ok && c->cv_ok))) {
            rc = -MT_E_INTERNAL;
        }
        c->pha = MT_PHA_NONE;
        c->client_auths += rc == 0;
        break;
    }
    c->h->th_frozen = 1;
    if (c->pha == MT_PHA_NONE) {
        mt_conn_hs_end(c); /* the authentication is over */
    }
    return rc;
}
