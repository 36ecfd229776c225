/* The TLS 1.2 handshake, server role (RFC 5246 7.3, RFC 8422). */
#include <string.h>
#include <time.h>

#include "asn1.h"
#include "ct.h"
#include "err.h"
#include "hs12_int.h"
#include "kex_dh.h"
#include "prf.h"
#include "rng.h"
#include "ticket.h"
#include "x509.h"

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
int mt_hs12_take_sni(mt_conn *c, mt_rd d)
{
    mt_rd list, name;
    uint8_t type;
    GUARD(mt_rd_vec(&d, 2, 1, 0xffff, &list));
    GUARD(mt_rd_end(&d));
    GUARD(mt_rd_u8(&list, &type));
    GUARD(mt_rd_vec(&list, 2, 1, 255, &name));
    ENSURE(type == 0, ILLEGAL_PARAMETER);
    c->client_sent_sni = 1;
    size_t n = mt_rd_left(&name);
    const uint8_t *p;
    GUARD(mt_rd_borrow(&name, n, &p));
    /* RFC 6066 3: a DNS name in ASCII without the trailing dot; no NULs or controls */
    for (size_t i = 0; i < n; i++) {
        ENSURE(p[i] > 0x20 && p[i] < 0x7f, ILLEGAL_PARAMETER);
    }
    return mt_conn_set_name(&c->sni, p, n);
}

/* ALPN (RFC 7301 3.2): the first of our protocols the client offers. */
int mt_hs12_choose_alpn(mt_conn *c, mt_rd d)
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
                return mt_conn_set_name(&c->alpn, op, on);
            }
        }
    }
    return -MT_E_NO_APPLICATION_PROTOCOL;
}

/* The record limits the ClientHello asked for, in force from our ServerHello on. */
void mt_hs12_limit_records(mt_conn *c)
{
    if (c->client_sent_rsl) {
        /* RFC 8449 5: with both, record_size_limit wins and max_fragment_length is ignored */
        c->mfl_code = 0;
        uint16_t ours = c->cfg->record_size_limit;
        c->rsl_recv = ours && ours < MT_REC_MAX_PLAIN ? ours : 0;
    }
    c->mfl = mt_hs12_mfl_bytes(c->mfl_code);
}

/* The FFDHE group for a DHE suite (RFC 7919 4): one of ours the client lists; with no FFDHE
 * group in its list at all (a legacy client), our first; none if it lists only others. */
static uint16_t choose_dh_group(const mt_config *cfg, mt_rd groups, int have_groups)
{
    int client_lists_ffdhe = 0;
    for (uint16_t g = 256; g <= 260; g++) {
        client_lists_ffdhe |= have_groups && mt_hs12_has_u16(groups, g);
    }
    for (size_t i = 0; i < cfg->ngroups; i++) {
        if (mt_dh_supported(cfg->groups[i]) &&
            (!client_lists_ffdhe || mt_hs12_has_u16(groups, cfg->groups[i]))) {
            return cfg->groups[i];
        }
    }
    return 0;
}

/* Whether a chain's key can authenticate suite s, and with which signature scheme (0 for RSA
 * key transport, which signs nothing). */
static int chain_fits(const mt_suite *s, const mt_chain *chain, mt_rd sigalgs, const mt_config *cfg,
                      uint16_t *scheme)
{
    mt_key_type t = mt_key_type_of(chain->key);
    if ((s->auth == MT_AUTH_RSA) != (t == MT_KEY_RSA)) {
        return 0;
    }
    if (s->kx == MT_KX_RSA) {
        /* RFC 4055 1.2: an id-RSASSA-PSS key does not decrypt */
        *scheme = 0;
        return !mt_key_is_rsa_pss(chain->key);
    }
    for (size_t j = 0; j < cfg->nsigalgs; j++) {
        if (mt_hs12_has_u16(sigalgs, cfg->sigalgs[j]) &&
            mt_hs12_key_fits(chain->key, cfg->sigalgs[j])) {
            *scheme = cfg->sigalgs[j];
            return 1;
        }
    }
    return 0;
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
    uint16_t dh_group = choose_dh_group(cfg, groups, have_groups);
    for (size_t i = 0; i < cfg->nsuites; i++) {
        const mt_suite *s = mt_suite_by_id(cfg->suites[i]);
        if (!s || !mt_suite_allows(s, MT_TLS12) || !mt_hs12_has_u16(ch->suites, s->id) ||
            (s->kx == MT_KX_ECDHE && !group) || (s->kx == MT_KX_DHE && !dh_group) ||
            s->kx == MT_KX_TLS13) {
            continue;
        }
        /* RFC 6066 3: prefer a chain for the name the client asked; else the first that fits */
        for (size_t k = 0; k < 2 * cfg->nchains; k++) {
            const mt_chain *chain = cfg->chains[k % cfg->nchains];
            int named = chain->leaf && c->sni[0] && mt_x509_check_host(chain->leaf, c->sni, 1);
            uint16_t scheme;
            if ((k < cfg->nchains) == named && chain_fits(s, chain, sigalgs, cfg, &scheme)) {
                c->suite = s;
                c->h->chain = chain;
                c->sigalg = scheme;
                c->group = s->kx == MT_KX_ECDHE ? group : s->kx == MT_KX_DHE ? dh_group : 0;
                return 0;
            }
        }
    }
    return -MT_E_HANDSHAKE_FAILURE;
}

/* ServerKeyExchange (RFC 5246 7.4.3, RFC 8422 5.4): our share, signed with the randoms. */
MT_WUR static int send_server_key_exchange(mt_conn *c)
{
    mt_wr w, sig;
    mt_wr_init_growable(&w, MT_HS_MAX);
    mt_wr_init_growable(&sig, 1024);
    int rc = 0;
    BAIL(rc, mt_wr_bytes(&w, c->crand, 32));
    BAIL(rc, mt_wr_bytes(&w, c->srand, 32));
    if (c->suite->kx == MT_KX_DHE) {
        BAIL(rc, mt_hs_dh(c));
        BAIL(rc, mt_dh_generate(c->h->dh, c->group));
        BAIL(rc, mt_dh_params_write(c->h->dh, &w));
    } else {
        BAIL(rc, mt_kex_generate(&c->h->kex, c->group));
        BAIL(rc, mt_wr_u8(&w, 3));
        BAIL(rc, mt_wr_u16(&w, c->group));
        BAIL(rc, mt_wr_u8(&w, (uint8_t)c->h->kex.pub_len));
        BAIL(rc, mt_wr_bytes(&w, c->h->kex.pub, c->h->kex.pub_len));
    }
    mt_sig_alg alg;
    mt_hs12_sigalg_of(c->sigalg, &alg);
    BAIL(rc, mt_key_sign(c->h->chain->key, alg, w.p, w.len, &sig));
    BAIL(rc, mt_wr_u16(&w, c->sigalg));
    BAIL(rc, mt_wr_u16(&w, (uint16_t)sig.len));
    BAIL(rc, mt_wr_bytes(&w, sig.p, sig.len));
    BAIL(rc, mt_wr_finish(&w));
    /* the 64 random bytes were only for the signature */
    BAIL(rc, mt_conn_send_hs(c, HT_SERVER_KEY_EXCHANGE, w.p + 64, w.len - 64));
out:
    mt_wr_free(&w);
    mt_wr_free(&sig);
    return rc;
}

/* ServerHello (RFC 5246 7.4.1.3) with the extensions this connection negotiated. */
MT_WUR static int send_server_hello(mt_conn *c)
{
    mt_wr w;
    mt_wr_init_growable(&w, MT_HS_MAX);
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
        /* RFC 5746 3.6, 3.7: empty on the first handshake, both verify_data values after */
        size_t n = c->established ? sizeof(c->client_vd) + sizeof(c->server_vd) : 0;
        BAIL(rc, mt_wr_u16(&w, EXT_RENEGOTIATION_INFO));
        BAIL(rc, mt_wr_u16(&w, (uint16_t)(1 + n)));
        BAIL(rc, mt_wr_u8(&w, (uint8_t)n));
        BAIL(rc, mt_wr_bytes(&w, c->client_vd, n ? sizeof(c->client_vd) : 0));
        BAIL(rc, mt_wr_bytes(&w, c->server_vd, n ? sizeof(c->server_vd) : 0));
    }
    if (c->ems) {
        static const uint8_t ems[] = {0x00, EXT_EMS, 0x00, 0x00};
        BAIL(rc, mt_wr_bytes(&w, ems, sizeof(ems)));
    }
    if (c->etm) {
        static const uint8_t etm[] = {0x00, EXT_ETM, 0x00, 0x00};
        BAIL(rc, mt_wr_bytes(&w, etm, sizeof(etm)));
    }
    if (c->client_sent_ecpf) {
        static const uint8_t ecpf[] = {0x00, EXT_EC_POINT_FORMATS, 0x00, 0x02, 0x01, 0x00};
        BAIL(rc, mt_wr_bytes(&w, ecpf, sizeof(ecpf)));
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
        /* RFC 6066 4: the accepted request, echoed */
        BAIL(rc, mt_wr_u16(&w, EXT_MAX_FRAGMENT_LENGTH));
        BAIL(rc, mt_wr_u16(&w, 1));
        BAIL(rc, mt_wr_u8(&w, c->mfl_code));
    }
    if (c->client_sent_rsl) {
        /* RFC 8449 4: our own limit in answer (2^14, TLS 1.2's largest, when none is set) */
        uint16_t ours = c->cfg->record_size_limit;
        BAIL(rc, mt_wr_u16(&w, EXT_RECORD_SIZE_LIMIT));
        BAIL(rc, mt_wr_u16(&w, 2));
        BAIL(rc, mt_wr_u16(&w, ours ? ours : MT_REC_MAX_PLAIN));
    }
    /* RFC 6066 3: an empty server_name acknowledges the name, never on resumption (nor
     * unasked: a renegotiating client may leave the name out) */
    if (c->client_sent_sni && !c->resumed) {
        static const uint8_t sn[] = {0x00, 0x00, 0x00, 0x00};
        BAIL(rc, mt_wr_bytes(&w, sn, sizeof(sn)));
    }
    if (c->ticket_ext) {
        /* RFC 5077 3.2: empty; a NewSessionTicket follows */
        static const uint8_t st[] = {0x00, EXT_SESSION_TICKET, 0x00, 0x00};
        BAIL(rc, mt_wr_bytes(&w, st, sizeof(st)));
    }
    BAIL(rc, mt_wr_close(&w));
    BAIL(rc, mt_wr_finish(&w));
    BAIL(rc, mt_conn_send_hs(c, HT_SERVER_HELLO, w.p, w.len));
out:
    mt_wr_free(&w);
    return rc;
}

MT_WUR static int send_server_flight(mt_conn *c)
{
    mt_wr w;
    mt_wr_init_growable(&w, MT_HS_MAX);
    int rc = 0;
    BAIL(rc, send_server_hello(c));
    /* Certificate */
    BAIL(rc, mt_wr_open(&w, 3));
    for (size_t i = 0; i < c->h->chain->n; i++) {
        BAIL(rc, mt_wr_open(&w, 3));
        BAIL(rc, mt_wr_bytes(&w, c->h->chain->der[i], c->h->chain->der_len[i]));
        BAIL(rc, mt_wr_close(&w));
    }
    BAIL(rc, mt_wr_close(&w));
    BAIL(rc, mt_wr_finish(&w));
    BAIL(rc, mt_conn_send_hs(c, HT_CERTIFICATE, w.p, w.len));
    /* RFC 5246 7.4.3: RSA key transport sends no ServerKeyExchange */
    if (c->suite->kx != MT_KX_RSA) {
        BAIL(rc, send_server_key_exchange(c));
    }
    BAIL(rc, mt_hs12_send_certificate_request(c));
    /* ServerHelloDone */
    BAIL(rc, mt_conn_send_hs(c, HT_SERVER_HELLO_DONE, NULL, 0));
out:
    mt_wr_free(&w);
    return rc;
}

/* RFC 5246 F.1.4: sessions live at most a day (the application's store may keep them longer) */
#define SESSION_MAX_AGE 86400

/* The session a ticket (RFC 5077 3.4: then never the session id) or else the client's session
 * id names: the application's answer at MT_DECIDE_TICKET / MT_DECIDE_SESSION, else the built-in
 * keys or cache: *found 1 or 0; *from_ticket says which. 0, or MT_HS_AGAIN: asking. */
MT_WUR static int find_session(mt_conn *c, mt_rd sid, mt_rd ticket, mt_session *s, int *found,
                               int *from_ticket)
{
    size_t n = mt_rd_left(&sid), tn = mt_rd_left(&ticket);
    const uint8_t *p, *tp;
    int64_t now = (int64_t)time(NULL);
    *from_ticket = *found = 0;
    if (tn > 0 && mt_tk_enabled(c)) {
        GUARD(mt_rd_borrow(&ticket, tn, &tp));
        *from_ticket = 1;
        return mt_tk_find(c, tp, tn, s, found);
    }
    if (n == 0) {
        return 0;
    }
    GUARD(mt_rd_borrow(&sid, n, &p));
    if (c->cfg->decide_session && !c->h->ch_session_asked) {
        c->h->hello_sid = p;
        c->h->hello_sid_len = n;
        c->decision = MT_DECIDE_SESSION;
        return MT_HS_AGAIN;
    }
    if (c->h->offered) {
        *s = *c->h->offered;
        mt_hs_session_drop(&c->h->offered);
        *found = s->created <= now && now - s->created < SESSION_MAX_AGE;
        return 0;
    }
    *found = c->cfg->cache && mt_cache_get(c->cfg->cache, p, n, now, s);
    return 0;
}

/* Whether the client's ticket or session id names a session this hello may resume.
 * MT_HS_AGAIN: asking the application. */
MT_WUR static int try_resume(mt_conn *c, const client_hello *ch, mt_rd ticket, int *resuming)
{
    mt_session s;
    int found, from_ticket;
    *resuming = 0;
    /* a renegotiation is always a full handshake (new keys, new session; simpler) */
    if (c->established) {
        return 0;
    }
    memset(&s, 0, sizeof(s));
    int rc = find_session(c, ch->sid, ticket, &s, &found, &from_ticket);
    if (rc != 0 || !found) {
        mt_session_wipe(&s);
        return rc; /* an error, MT_HS_AGAIN, or none */
    }
    const mt_suite *suite = mt_suite_by_id(s.suite);
    int ok = suite && s.version == MT_TLS12 && mt_hs12_has_u16(ch->suites, s.suite) &&
             mt_hs12_in_list(c->cfg->suites, c->cfg->nsuites, s.suite) &&
             /* RFC 7627 5.3: resume only with the same EMS state (else a full handshake) */
             s.ems == c->ems &&
             /* RFC 6066 3: never resume a session made for another server name */
             strcmp(s.sni, c->sni) == 0 &&
             /* nor one whose protocol (ALPN) differs from this hello's choice */
             strcmp(s.alpn, c->alpn) == 0;
    if (ok) {
        mt_rd sid = ch->sid;
        size_t n = mt_rd_left(&sid);
        c->suite = suite;
        memcpy(c->master, s.master, sizeof(c->master));
        /* RFC 5246 7.4.1.3, RFC 5077 3.4: the session id exactly as the client sent it, its
         * own length (0..32) and bytes: nothing of ours beyond them (Ticketbleed) */
        GUARD(mt_rd_copy(&sid, c->sid, n));
        c->sid_len = n;
        c->h->resume = s;
        /* RFC 5077 3.3: a ticket sealed under a key that no longer seals is renewed */
        const mt_tickets *t = c->cfg->tickets;
        mt_rd tk = ticket;
        const uint8_t *name;
        c->ticket_ext = from_ticket && t && t->n > 0 && !c->cfg->decide_ticket &&
                        mt_rd_borrow(&tk, MT_TICKET_NAME_LEN, &name) == 0 &&
                        memcmp(name, t->keys[0].name, MT_TICKET_NAME_LEN) != 0;
    }
    mt_session_wipe(&s);
    *resuming = ok;
    return 0;
}

/* For MT_DECIDE_SELECT: the server name and the client's ALPN list (its names checked). */
MT_WUR static int hello_names(mt_conn *c, const client_hello *ch)
{
    for (size_t i = 0; i < ch->ext.n; i++) {
        mt_rd d = ch->ext.data[i], list;
        if (ch->ext.type[i] == EXT_SERVER_NAME) {
            GUARD(mt_hs12_take_sni(c, d));
        } else if (ch->ext.type[i] == EXT_ALPN) {
            GUARD(mt_rd_vec(&d, 2, 2, 0xffff, &list));
            GUARD(mt_rd_end(&d));
            for (mt_rd chk = list; mt_rd_left(&chk) > 0;) {
                mt_rd name;
                GUARD(mt_rd_vec(&chk, 1, 1, 255, &name));
            }
            c->h->hello_alpn_len = mt_rd_left(&list);
            GUARD(mt_rd_borrow(&list, c->h->hello_alpn_len, &c->h->hello_alpn));
        }
    }
    return 0;
}

/* Abbreviated handshake (RFC 5246 7.3): ServerHello, ChangeCipherSpec, Finished. */
MT_WUR static int resume(mt_conn *c)
{
    c->resumed = 1;
    c->resume_created = c->h->resume.created;
    /* RFC 7366 3.1: the extension is negotiated again on resumption */
    c->etm = c->client_sent_etm && c->suite->cbc != NULL && !c->cfg->no_etm;
    GUARD(send_server_hello(c));
    if (c->ticket_ext) {
        /* RFC 5077 3.3: the renewed ticket, after the ServerHello; the session keeps its age */
        GUARD(mt_hs_session(&c->h->ticket));
        *c->h->ticket = c->h->resume;
        c->h->ticket->sid_len = 0;
        c->h->ticket->lifetime = 0;
        GUARD(mt_tk_send(c));
    }
    GUARD(mt_hs12_key_block(c));
    GUARD(mt_hs12_send_finished(c));
    c->hs = MT_HS_S_WAIT_CCS;
    return 0;
}

/* renegotiation_info in a ClientHello (RFC 5746 3.6, 3.7): empty on the first handshake, the
 * client's last verify_data in a renegotiation. */
MT_WUR static int take_renegotiation_info(mt_conn *c, mt_rd d)
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
    ENSURE(n == sizeof(c->client_vd), BAD_RENEGOTIATION_INFO);
    GUARD(mt_rd_borrow(&inner, n, &p));
    ENSURE(mt_ct_eq(p, c->client_vd, n), BAD_RENEGOTIATION_INFO);
    return 0;
}

/* What a renegotiating ClientHello must keep (RFC 5746 3.7 and the connection's identity):
 * renegotiation_info present, no SCSV, the server name and application protocol unchanged. */
MT_WUR static int check_renegotiation(const mt_conn *c, const client_hello *ch, int saw_ri,
                                      const char *sni, const char *alpn)
{
    ENSURE(saw_ri && !mt_hs12_has_u16(ch->suites, MT_SCSV_RENEGOTIATION), BAD_RENEGOTIATION_INFO);
    ENSURE(strcmp(sni, c->sni) == 0, ILLEGAL_PARAMETER);
    ENSURE(!c->client_sent_alpn || strcmp(alpn, c->alpn) == 0, ILLEGAL_PARAMETER);
    return 0;
}

/* Processed again from the start after each decision (MT_HS_AGAIN), so everything before
 * the transcript update depends only on the message, the configuration and the answers. */
int mt_hs12_on_client_hello(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *raw)
{
    client_hello ch;
    char sni[MT_NAME_MAX], alpn[MT_NAME_MAX];
    int saw_ri = 0;
    GUARD(parse_client_hello(body, len, &ch));
    memcpy(sni, c->sni, strlen(c->sni) + 1);
    memcpy(alpn, c->alpn, strlen(c->alpn) + 1);
    /* RFC 7507 3: a fallback SCSV from a client that offers less than our best version means
     * someone made its first attempt fail: refuse the downgrade */
    ENSURE(!(mt_hs12_has_u16(ch.suites, MT_SCSV_FALLBACK) && ch.version < c->cfg->max_version),
           INAPPROPRIATE_FALLBACK);
    /* RFC 5246 E.1: a client offering less than 1.2 gets protocol_version */
    ENSURE(ch.version >= MT_TLS12, PROTOCOL_VERSION);
    /* RFC 5246 7.4.1.2: null compression must be offered */
    uint8_t comp;
    int has_null = 0;
    for (mt_rd r = ch.comps; mt_rd_u8(&r, &comp) == 0;) {
        has_null |= comp == 0;
    }
    ENSURE(has_null, ILLEGAL_PARAMETER);
    if (c->cfg->decide_select && !c->h->ch_selected) {
        GUARD(hello_names(c, &ch));
        c->decision = MT_DECIDE_SELECT;
        return MT_HS_AGAIN;
    }
    int v13;
    GUARD(mt_hs13_server_version(c, &ch.ext, &v13));
    if (v13) {
        return mt_hs13_on_client_hello(c, body, len, raw);
    }
    /* RFC 5746 3.6: the SCSV counts as an empty renegotiation_info */
    if (!c->established) {
        c->secure_reneg = mt_hs12_has_u16(ch.suites, MT_SCSV_RENEGOTIATION);
    }
    mt_rd groups, sigalgs, d, ticket;
    int have_groups = 0;
    mt_rd_init(&sigalgs, NULL, 0);
    mt_rd_init(&groups, NULL, 0);
    mt_rd_init(&ticket, NULL, 0);
    c->client_sent_ticket = c->ticket_ext = 0;
    for (size_t i = 0; i < ch.ext.n; i++) {
        d = ch.ext.data[i];
        switch (ch.ext.type[i]) {
        case EXT_SERVER_NAME:
            GUARD(mt_hs12_take_sni(c, d));
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
            GUARD(mt_hs12_choose_alpn(c, d));
            break;
        case EXT_EMS:
            GUARD(mt_rd_end(&d));
            c->ems = 1;
            break;
        case EXT_ETM:
            /* RFC 7366 2: extension_data is empty */
            GUARD(mt_rd_end(&d));
            c->client_sent_etm = 1;
            break;
        case EXT_RENEGOTIATION_INFO:
            GUARD(take_renegotiation_info(c, d));
            saw_ri = 1;
            break;
        case EXT_MAX_FRAGMENT_LENGTH:
            /* RFC 6066 4: one byte, a code of 1..4, else illegal_parameter */
            GUARD(mt_rd_u8(&d, &c->mfl_code));
            GUARD(mt_rd_end(&d));
            ENSURE(mt_hs12_mfl_bytes(c->mfl_code) != 0, ILLEGAL_PARAMETER);
            break;
        case EXT_RECORD_SIZE_LIMIT:
            /* RFC 8449 4: under TLS 1.3 the value counts the inner content type; a client that
             * may speak 1.3 cannot know the version yet and counts it (GnuTLS 3.7 announces
             * 513 and takes 512 under 1.2), so one byte less is what surely fits */
            GUARD(mt_hs12_read_rsl(d, 1, &c->rsl_send));
            c->client_sent_rsl = 1;
            break;
        case EXT_SESSION_TICKET:
            /* RFC 5077 3.2: empty (asks for a ticket) or a ticket to resume */
            c->client_sent_ticket = 1;
            ticket = d;
            break;
        case EXT_PADDING:
            break; /* RFC 7685 3: the server must not check the content; ignored */
        default:
            break; /* RFC 5246 7.4.1.4: unknown extensions are ignored (GREASE too) */
        }
    }
    if (c->established) {
        GUARD(check_renegotiation(c, &ch, saw_ri, sni, alpn));
    }
    mt_hs12_limit_records(c);
    memcpy(c->crand, ch.random, 32);
    c->h->client_version = ch.version;
    GUARD(mt_rng_bytes(c->srand, 32));
    if (c->cfg->max_version >= MT_TLS13) {
        /* RFC 8446 4.1.3: a server able to speak 1.3 negotiating 1.2 says so in its random */
        memcpy(c->srand + 24, "DOWNGRD\x01", 8);
    }
    c->version = MT_TLS12;
    int resuming, rc = try_resume(c, &ch, ticket, &resuming);
    if (rc != 0) {
        return rc; /* an error, or MT_HS_AGAIN */
    }
    mt_conn_transcript(c, raw, 4 + len);
    if (resuming) {
        return resume(c);
    }
    GUARD(negotiate(c, &ch, groups, have_groups, sigalgs));
    /* RFC 7366 3: encrypt_then_mac only for a CBC suite, never echoed for AEAD */
    c->etm = c->client_sent_etm && c->suite->cbc != NULL && !c->cfg->no_etm;
    /* RFC 5246 7.4.1.3: an empty session id says the session will not be cached */
    c->sid_len = c->cfg->cache || c->cfg->decide_session ? 32 : 0;
    GUARD(mt_rng_bytes(c->sid, c->sid_len));
    /* RFC 5077 3.2: a client that asked (or offered one we did not take) gets a ticket, in a
     * renegotiation too (peers keep the extension's state across it) */
    c->ticket_ext = c->client_sent_ticket && mt_tk_enabled(c);
    GUARD(send_server_flight(c));
    c->hs = c->cert_requested ? MT_HS_S_WAIT_CERT : MT_HS_S_WAIT_CKE;
    return 0;
}

int mt_hs12_on_client_key_exchange(mt_conn *c, const uint8_t *body, size_t len)
{
    mt_rd r, share;
    const uint8_t *p;
    uint8_t pms[MT_DH_MAX_BYTES];
    size_t pms_len = 0;
    int rc;
    mt_rd_init(&r, body, len);
    /* RFC 8422 5.7: ECPoint<1..255>; RFC 5246 7.4.7.1-2: opaque<1..2^16-1> */
    GUARD(mt_rd_vec(&r, c->suite->kx == MT_KX_ECDHE ? 1 : 2, 1, 0xffff, &share));
    GUARD(mt_rd_end(&r));
    size_t n = mt_rd_left(&share);
    GUARD(mt_rd_borrow(&share, n, &p));
    switch (c->suite->kx) {
    case MT_KX_ECDHE:
        rc = mt_kex_derive(&c->h->kex, p, n, pms, &pms_len);
        break;
    case MT_KX_DHE:
        rc =
            c->h->dh ? mt_dh_derive(c->h->dh, p, n, MT_DH_STRIPPED, pms, &pms_len) : -MT_E_INTERNAL;
        break;
    case MT_KX_RSA:
        /* RFC 5246 7.4.7.1: no error may depend on the padding or the version; a bad
         * premaster is replaced by random bytes and fails at Finished. Only the public
         * length can fail here. */
        rc = mt_key_rsa_decrypt_premaster(c->h->chain->key, p, n, c->h->client_version, pms);
        rc = rc == -MT_E_BAD_LENGTH ? -MT_E_DECODE : rc;
        pms_len = MT_PREMASTER_LEN;
        break;
    default:
        rc = -MT_E_INTERNAL;
        break;
    }
    mt_kex_wipe(&c->h->kex);
    mt_hs_dh_drop(c);
    if (rc == 0) {
        c->h->session_hash_len = mt_conn_transcript_hash(c, c->h->session_hash);
        rc = mt_hs12_derive_keys(c, pms, pms_len);
    }
    mt_wipe(pms, sizeof(pms));
    GUARD(rc);
    /* RFC 5246 7.4.8: CertificateVerify follows a non-empty client Certificate */
    c->hs = c->h->peer_key ? MT_HS_S_WAIT_CV : MT_HS_S_WAIT_CCS;
    return 0;
}
