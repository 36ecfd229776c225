/*
 * IMPLEMENTATION NOTES
 *
 * Buffers (all bounded):
 *   rin     one incoming record: header, then fragment. After decryption a
 *           record of application data stays in rin (app_off/app_len) until
 *           the application has read it; no more input is taken meanwhile,
 *           which is the read-side backpressure. A record that arrives whole
 *           in the caller's buffer is opened from there straight into rin
 *           (no copy first); only split records are gathered in rin.
 *   hs_in   handshake bytes received and not yet processed (messages may span
 *           records and records may hold several messages); hs_off is the read
 *           position. Capped at MT_HS_MAX.
 *   out     whole records ready to send; out_sent counts what the transport
 *           took. mt_conn_write refuses plaintext once more than OUT_HIGH bytes
 *           wait (write-side backpressure).
 *
 * Memory: rin is allocated at the first record and grows to the largest record
 * seen (handshake records are small, so a handshake never takes MT_REC_MAX),
 * `out` and `hs_in` grow as needed; mt_conn_trim frees all three when they
 * hold nothing and parks the expanded cipher keys (record.h). What only a
 * handshake needs (premaster, key block, key shares, key schedule, transcript
 * hashes, sessions offered or issued) is in `h` (mt_hs_state), allocated when
 * a handshake starts (the first, a renegotiation, a 1.3 post-handshake
 * authentication) and wiped and freed when it ends, so an idle connection
 * keeps only this struct (the record keys, the traffic, exporter and
 * resumption secrets, the key log's secrets, the renegotiation state), the
 * peer's certificates, the ticket a client got (encoded, exact size) and, when
 * post-handshake authentication was offered, the frozen transcript hash.
 *
 * State: `hs` is the handshake state; the table in hs12.c says which message
 * each state expects. `err` is sticky. A decision (verify the peer chain)
 * stops handshake processing with the rest of hs_in kept; mt_conn_decide
 * resumes it.
 *
 * Application data flows only when the handshake reached CONNECTED, which the
 * handshake code sets only after the peer's Finished verified, and (client)
 * after the chain verdict and the ServerKeyExchange signature (STYLE.md, rustls
 * implvulns). `established` remembers that, so data keeps flowing both ways
 * while a renegotiation (RFC 5746) runs a new handshake in `hs` under the
 * current keys: each direction switches at its ChangeCipherSpec, and records
 * between the peer's ChangeCipherSpec and its Finished must be handshake ones.
 *
 * Renegotiation. In CONNECTED, a HelloRequest (client) or ClientHello (server)
 * is a request: answered with a new handshake when allowed (peer_may_renegotiate),
 * else with a no_renegotiation warning. `reneg` says what is in flight; a
 * no_renegotiation warning answering our own request ends it: a client's
 * ClientHello the server never processed leaves nothing behind but the client
 * random, which is put back.
 */
#include "engine.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ct.h"
#include "engine_int.h"
#include "err.h"
#include "prf.h"
#include "session_codec.h"

#define OUT_HIGH (4 * MT_REC_MAX)

static void rin_free(mt_conn *c);
static void free_name(char **name);

static char no_name[1]; /* "": sni and alpn before they are set */
static void drop_ticket(mt_conn *c);

void mt_config_defaults(mt_config *cfg)
{
    static const uint16_t groups[] = {MT_GROUP_X25519,
                                      MT_GROUP_SECP256R1,
                                      MT_GROUP_SECP384R1,
                                      MT_GROUP_X448,
                                      MT_GROUP_SECP521R1,
                                      256,
                                      257}; /* + ffdhe2048, ffdhe3072 (RFC 7919) */
    static const uint16_t sigalgs[] = {0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805,
                                       0x0806, 0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601};
    memset(cfg, 0, sizeof(*cfg));
    cfg->min_version = MT_TLS12;
    cfg->max_version = MT_TLS13;
    for (size_t i = 0; mt_suites_default[i] && cfg->nsuites < MT_MAX_LIST; i++) {
        cfg->suites[cfg->nsuites++] = mt_suites_default[i];
    }
    memcpy(cfg->groups, groups, sizeof(groups));
    cfg->ngroups = sizeof(groups) / sizeof(groups[0]);
    memcpy(cfg->sigalgs, sigalgs, sizeof(sigalgs));
    cfg->nsigalgs = sizeof(sigalgs) / sizeof(sigalgs[0]);
}

int mt_conn_new(const mt_config *cfg, int server, const char *server_name, mt_conn **out)
{
    *out = NULL;
    ENSURE(cfg != NULL, INVALID_ARG);
    ENSURE(!server_name || strlen(server_name) < MT_NAME_MAX, INVALID_ARG);
    /* RFC 6066 4: codes 1..4; RFC 8449 4: limits of 64..2^14 (TLS 1.2) */
    ENSURE(cfg->max_fragment_length <= 4, INVALID_ARG);
    ENSURE(cfg->min_version >= MT_TLS12 && cfg->min_version <= cfg->max_version &&
               cfg->max_version <= MT_TLS13,
           INVALID_ARG);
    ENSURE(cfg->record_size_limit == 0 ||
               (cfg->record_size_limit >= 64 && cfg->record_size_limit <= MT_REC_MAX_PLAIN),
           INVALID_ARG);
    mt_conn *c = calloc(1, sizeof(*c));
    ENSURE(c != NULL, NOMEM);
    c->cfg = cfg;
    c->server = server;
    c->sni = c->alpn = no_name;
    c->peer_alert = -1;
    mt_wr_init_growable(&c->hs_in, MT_HS_MAX);
    mt_wr_init_growable(&c->out, OUT_HIGH + 2 * MT_HS_MAX);
    mt_wr_init_growable(&c->peer_certs, MT_HS_MAX);
    if (mt_conn_hs_begin(c) < 0) {
        mt_conn_free(c);
        return -MT_E_NOMEM;
    }
    mt_hs12_cauth_init(c);
    /* RFC 6066 3: literal IPv4 and IPv6 addresses are not permitted in server_name */
    uint8_t addr[16];
    int rc = 0;
    if (server_name && inet_pton(AF_INET, server_name, addr) != 1 &&
        inet_pton(AF_INET6, server_name, addr) != 1) {
        rc = mt_conn_set_name(&c->sni, server_name, strlen(server_name));
    }
    if (rc == 0) {
        rc = server ? mt_hs12_server_start(c) : mt_hs12_client_start(c);
    }
    if (rc < 0) {
        mt_conn_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void mt_conn_free(mt_conn *c)
{
    if (!c) {
        return;
    }
    rin_free(c);
    mt_wr_free(&c->hs_in);
    mt_wr_free(&c->out);
    mt_wr_free(&c->peer_certs);
    mt_rec_prot_clear(&c->rd);
    mt_rec_prot_clear(&c->wr);
    mt_conn_hs_end(c);
    drop_ticket(c);
    free_name(&c->sni);
    free_name(&c->alpn);
    if (c->th_fin) {
        mt_wipe(c->th_fin, sizeof(*c->th_fin));
        free(c->th_fin);
    }
    mt_wipe(c, sizeof(*c));
    free(c);
}

static void free_name(char **name)
{
    if (*name && *name != no_name) {
        mt_wipe(*name, strlen(*name));
        free(*name);
    }
    *name = no_name;
}

int mt_conn_set_name(char **name, const void *p, size_t n)
{
    ENSURE(n < MT_NAME_MAX, INTERNAL);
    if (strlen(*name) == n && (n == 0 || memcmp(*name, p, n) == 0)) {
        return 0; /* the same (a renegotiation): pointers given out stay good */
    }
    char *s = no_name;
    if (n > 0) {
        s = malloc(n + 1);
        ENSURE(s != NULL, NOMEM);
        memcpy(s, p, n);
        s[n] = '\0';
    }
    free_name(name);
    *name = s;
    return 0;
}

static void drop_ticket(mt_conn *c)
{
    if (c->ticket) {
        mt_wipe(c->ticket, c->ticket_len);
        free(c->ticket);
    }
    c->ticket = NULL;
    c->ticket_len = 0;
}

int mt_hs_session(mt_session **slot)
{
    if (!*slot) {
        *slot = malloc(sizeof(**slot));
        ENSURE(*slot != NULL, NOMEM);
    }
    memset(*slot, 0, sizeof(**slot));
    return 0;
}

void mt_hs_session_drop(mt_session **slot)
{
    if (*slot) {
        mt_session_wipe(*slot);
        free(*slot);
    }
    *slot = NULL;
}

int mt_hs_dh(mt_conn *c)
{
    if (!c->h->dh) {
        c->h->dh = calloc(1, sizeof(*c->h->dh));
        ENSURE(c->h->dh != NULL, NOMEM);
    }
    return 0;
}

void mt_hs_dh_drop(mt_conn *c)
{
    if (c->h->dh) {
        mt_dh_wipe(c->h->dh);
        mt_wipe(c->h->dh, sizeof(*c->h->dh));
        free(c->h->dh);
    }
    c->h->dh = NULL;
}

int mt_hs_pms(mt_conn *c)
{
    if (!c->h->pms) {
        c->h->pms = calloc(1, MT_DH_MAX_BYTES);
        ENSURE(c->h->pms != NULL, NOMEM);
    }
    return 0;
}

void mt_hs_pms_drop(mt_conn *c)
{
    if (c->h->pms) {
        mt_wipe(c->h->pms, MT_DH_MAX_BYTES);
        free(c->h->pms);
    }
    c->h->pms = NULL;
    c->h->pms_len = 0;
}

int mt_conn_hs_begin(mt_conn *c)
{
    mt_conn_hs_end(c);
    mt_hs_state *h = calloc(1, sizeof(*h));
    ENSURE(h != NULL, NOMEM);
    sha256_init(&h->th256);
    sha384_init(&h->th384);
    mt_wr_init_growable(&h->th_raw, 0);
    c->h = h;
    return 0;
}

void mt_conn_hs_end(mt_conn *c)
{
    mt_hs_state *h = c->h;
    if (!h) {
        return;
    }
    mt_wr_free(&h->th_raw);
    mt_kex_wipe(&h->kex);
    mt_hs_dh_drop(c);
    mt_hs_pms_drop(c);
    mt_key_free(h->peer_key);
    mt_ks13_wipe(&h->ks);
    mt_session_wipe(&h->resume);
    mt_hs_session_drop(&h->offered);
    mt_hs_session_drop(&h->ticket);
    mt_wipe(h, sizeof(*h));
    free(h);
    c->h = NULL;
}

int mt_conn_keep_ticket(mt_conn *c, const mt_session *s, int resumed)
{
    mt_wr w;
    mt_wr_init_growable(&w, 2 * MT_HS_MAX);
    int rc = mt_session_encode(s, NULL, NULL, &w);
    uint8_t *p = rc == 0 ? malloc(w.len) : NULL;
    if (rc == 0 && !p) {
        rc = -MT_E_NOMEM;
    }
    if (rc == 0) {
        memcpy(p, w.p, w.len);
        drop_ticket(c);
        c->ticket = p;
        c->ticket_len = w.len;
        c->ticket_resumed = resumed;
    }
    mt_wr_free(&w); /* wiped */
    return rc;
}

/* The heap a record protection holds: expanded AEAD keys (none while parked) or a CBC state. */
static size_t prot_memory(const mt_rec_prot *p)
{
    return (p->ctx ? mt_aead_ctx_size(p->aead) : 0) + (p->cbc_st ? sizeof(*p->cbc_st) : 0);
}

size_t mt_conn_memory(const mt_conn *c)
{
    size_t n = sizeof(*c) + c->rin_cap + c->hs_in.cap + c->out.cap + c->peer_certs.cap;
    if (c->h) {
        n += sizeof(*c->h) + c->h->th_raw.cap;
    }
    n += c->ticket_len;
    n += (c->sni != no_name ? strlen(c->sni) + 1 : 0) +
         (c->alpn != no_name ? strlen(c->alpn) + 1 : 0);
    n += c->th_fin ? sizeof(*c->th_fin) : 0;
    return n + prot_memory(&c->rd) + prot_memory(&c->wr);
}

int mt_conn_fail(mt_conn *c, int err)
{
    if (c->err) {
        return c->err;
    }
    c->err = err < 0 ? err : -MT_E_INTERNAL;
    c->decision = MT_DECIDE_NONE;
    /* RFC 5246 7.2.2: a session ended by a fatal alert must not be resumed */
    if (c->server && c->cfg->cache && c->sid_len) {
        mt_cache_remove(c->cfg->cache, c->sid, c->sid_len);
    }
    int alert = mt_err_alert(c->err);
    if (alert != MT_ALERT_NONE && c->peer_alert < 0 && !c->sent_fatal) {
        uint8_t a[2] = {2, (uint8_t)alert};
        c->sent_fatal = 1;
        /* best effort: the error is what matters if even the alert cannot be queued */
        if (mt_rec_seal(&c->wr, MT_CT_ALERT, c->rec_version, a, 2, &c->out) < 0) {
            mt_wr_reset(&c->out);
            c->out_sent = 0;
        }
    }
    return c->err;
}

size_t mt_conn_send_limit(const mt_conn *c)
{
    size_t lim = MT_REC_MAX_PLAIN;
    /* RFC 6066 4: fragment everything, handshake messages included, once negotiated */
    if (c->mfl && c->mfl < lim) {
        lim = c->mfl;
    }
    /* RFC 8449 4: the peer's limit binds protected records only */
    if (c->rsl_send && c->rsl_send < lim && mt_rec_protected(&c->wr)) {
        lim = c->rsl_send;
    }
    return lim;
}

int mt_conn_send_hs(mt_conn *c, uint8_t type, const uint8_t *body, size_t len)
{
    uint8_t hdr[4] = {type, (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    ENSURE(len <= 0xffffff, INTERNAL);
    mt_conn_transcript(c, hdr, 4);
    mt_conn_transcript(c, body, len);
    /* Handshake messages may share records; here each message fills its own records, the
     * first with the header. */
    size_t lim = mt_conn_send_limit(c);
    uint8_t first[MT_REC_MAX_PLAIN];
    size_t n = len + 4 < lim ? len + 4 : lim;
    memcpy(first, hdr, 4);
    if (n > 4) { /* body may be NULL for an empty message (ServerHelloDone) */
        memcpy(first + 4, body, n - 4);
    }
    GUARD(mt_rec_seal(&c->wr, MT_CT_HANDSHAKE, c->rec_version, first, n, &c->out));
    for (size_t done = n - 4; done < len;) {
        size_t k = len - done < lim ? len - done : lim;
        GUARD(mt_rec_seal(&c->wr, MT_CT_HANDSHAKE, c->rec_version, body + done, k, &c->out));
        done += k;
    }
    return 0;
}

int mt_conn_send_ccs(mt_conn *c)
{
    static const uint8_t one = 1;
    return mt_rec_seal(&c->wr, MT_CT_CHANGE_CIPHER_SPEC, c->rec_version, &one, 1, &c->out);
}

void mt_conn_transcript(mt_conn *c, const uint8_t *p, size_t n)
{
    if (!c->h || c->h->th_frozen) {
        return; /* after the handshake, or between the messages of a post-handshake auth */
    }
    sha256_update(&c->h->th256, n, p);
    sha384_update(&c->h->th384, n, p);
    if (c->h->th_keep == 1 && mt_wr_bytes(&c->h->th_raw, p, n) < 0) {
        c->h->th_keep = -1;
    }
}

size_t mt_conn_transcript_hash(const mt_conn *c, uint8_t *out)
{
    return mt_conn_transcript_hash_under(c, c->suite ? c->suite->prf : NULL, out);
}

size_t mt_conn_transcript_hash_under(const mt_conn *c, const struct nettle_hash *h, uint8_t *out)
{
    if (h == &nettle_sha384) {
        struct sha512_ctx t = c->h->th384;
        sha384_digest(&t, SHA384_DIGEST_SIZE, out);
        return SHA384_DIGEST_SIZE;
    }
    struct sha256_ctx t = c->h->th256;
    sha256_digest(&t, SHA256_DIGEST_SIZE, out);
    return SHA256_DIGEST_SIZE;
}

int mt_conn_status(const mt_conn *c)
{
    int st = 0;
    if (c->out.len > c->out_sent) {
        st |= MT_ST_HAS_OUTPUT;
    }
    if (c->err) {
        return st | MT_ST_CLOSED;
    }
    if (c->app_len > 0) {
        st |= MT_ST_READABLE;
    }
    if (c->decision) {
        st |= MT_ST_DECISION;
    }
    if (c->reneg || c->pha) {
        st |= MT_ST_HANDSHAKING;
    }
    if (c->app_len > 0 && c->app_early) {
        st |= MT_ST_EARLY_DATA;
    }
    if (c->established) {
        st |= MT_ST_CONNECTED;
        if (!c->local_closed && c->out.len - c->out_sent < OUT_HIGH) {
            st |= MT_ST_WRITABLE;
        }
    }
    if (c->peer_closed) {
        st |= MT_ST_PEER_CLOSED;
    } else if (!c->decision && c->app_len == 0) {
        st |= MT_ST_WANT_INPUT;
    }
    if (c->peer_closed && c->local_closed) {
        st |= MT_ST_CLOSED;
    }
    return st;
}

int mt_conn_error(const mt_conn *c)
{
    return c->err;
}

int mt_conn_peer_alert(const mt_conn *c)
{
    return c->peer_alert;
}

/* RFC 5746 4.2 / RFC 5246 7.2.2: the peer refused the renegotiation we asked for. */
static void renegotiation_refused(mt_conn *c)
{
    if (c->reneg == MT_RENEG_REQUESTED) {
        c->reneg = MT_RENEG_NONE;
    } else if (c->reneg == MT_RENEG_RUNNING && !c->server && c->hs == MT_HS_C_WAIT_SH) {
        /* the server never took our ClientHello: the keys in force are those of the client
         * random we replaced */
        memcpy(c->crand, c->h->saved_crand, sizeof(c->crand));
        c->chain_ok = c->ske_ok = c->fin_ok = 1;
        c->hs = MT_HS_CONNECTED;
        c->reneg = MT_RENEG_NONE;
        mt_conn_hs_end(c);
    }
}

MT_WUR static int on_alert(mt_conn *c, const uint8_t *p, size_t n)
{
    /* RFC 5246 7.2 / RFC 8446 6: an alert is two bytes; fragmented alerts are refused. */
    ENSURE(n == 2, DECODE);
    if (p[1] == MT_ALERT_CLOSE_NOTIFY) {
        c->peer_closed = 1;
        return 0;
    }
    /* RFC 8446 6: under 1.3 every alert but close_notify and user_canceled is fatal, whatever
     * its level */
    if (c->tls13 && p[1] != MT_ALERT_USER_CANCELED) {
        c->peer_alert = p[1];
        c->sent_fatal = 1;
        return -MT_E_PEER_ALERT;
    }
    if (p[0] == 1 && p[1] == MT_ALERT_NO_RENEGOTIATION) {
        renegotiation_refused(c);
    }
    if (p[0] == 1) {
        /* TLS 1.2 warnings other than close_notify are ignored, at most four in a row
         * (BoringSSL's limit) so a peer cannot keep us busy with them. */
        ENSURE(++c->warnings <= 4, UNEXPECTED_MESSAGE);
        return 0;
    }
    c->peer_alert = p[1];
    c->sent_fatal = 1; /* never answer a fatal alert */
    return -MT_E_PEER_ALERT;
}

/* Whether the connection may renegotiate at all: allowed by the config, secure renegotiation
 * negotiated (RFC 5746 4.2, 4.4: never the legacy kind), and verify_data that identifies this
 * connection (RFC 7627 5.4: not after resuming a session without extended master secret). */
static int renegotiation_error(const mt_conn *c)
{
    if (c->cfg->no_renegotiation) {
        return -MT_E_RENEGOTIATION_DISABLED;
    }
    if (!c->secure_reneg || (c->resumed && !c->ems)) {
        return -MT_E_RENEGOTIATION_UNSAFE;
    }
    return 0;
}

/* A request from the peer: allowed, and within MT_RENEG_PEER_MAX per MT_RENEG_WINDOW seconds
 * (a full handshake costs us signatures and key exchanges; a ClientHello answering our own
 * HelloRequest does not count). */
static int peer_may_renegotiate(mt_conn *c)
{
    if (renegotiation_error(c) < 0 || c->local_closed) {
        return 0;
    }
    if (c->reneg == MT_RENEG_REQUESTED) {
        return 1;
    }
    int64_t now = (int64_t)time(NULL);
    if (now < c->reneg_window || now - c->reneg_window >= MT_RENEG_WINDOW) {
        c->reneg_window = now;
        c->reneg_in_window = 0;
    }
    if (c->reneg_in_window >= MT_RENEG_PEER_MAX) {
        return 0;
    }
    c->reneg_in_window++;
    return 1;
}

/*
 * After the handshake, a HelloRequest (to a client) or a ClientHello (to a server) asks for
 * renegotiation: a new handshake when allowed, else (RFC 5246 7.4.1.1 / 7.2.2) a
 * no_renegotiation warning and the connection carries on. Anything else is unexpected.
 */
MT_WUR static int on_renegotiation_request(mt_conn *c)
{
    static const uint8_t warn[2] = {1, MT_ALERT_NO_RENEGOTIATION};
    while (c->hs == MT_HS_CONNECTED) {
        mt_rd r;
        uint8_t type;
        uint32_t len;
        mt_rd_init(&r, c->hs_in.p + c->hs_off, c->hs_in.len - c->hs_off);
        if (mt_rd_u8(&r, &type) < 0 || mt_rd_u24(&r, &len) < 0) {
            break;
        }
        ENSURE(len <= MT_HS_MAX - 4, HANDSHAKE_FAILURE);
        if (mt_rd_skip(&r, len) < 0) {
            break;
        }
        ENSURE(c->server ? type == 1 : (type == 0 && len == 0), UNEXPECTED_MESSAGE);
        if (peer_may_renegotiate(c)) {
            if (c->server) {
                GUARD(mt_hs12_restart(c)); /* the ClientHello stays in hs_in for the handshake */
            } else {
                c->hs_off += 4; /* RFC 5246 7.4.1.1: HelloRequest is not hashed */
                GUARD(mt_hs12_client_renegotiate(c));
            }
            break;
        }
        ENSURE(++c->refused_renegotiations <= 4, NO_RENEGOTIATION);
        c->hs_off += 4 + len;
        GUARD(mt_rec_seal(&c->wr, MT_CT_ALERT, c->rec_version, warn, 2, &c->out));
    }
    /* still CONNECTED: no whole message is left for the handshake */
    return mt_conn_run_handshake(c);
}

int mt_conn_renegotiate(mt_conn *c)
{
    ENSURE(c->established && !c->err, INVALID_ARG);
    ENSURE(!c->local_closed && !c->peer_closed, CLOSED);
    ENSURE(c->reneg == MT_RENEG_NONE, RENEGOTIATION_PENDING);
    ENSURE(!c->tls13, RENEGOTIATION_TLS13);
    GUARD(renegotiation_error(c));
    if (!c->server) {
        int rc = mt_hs12_client_renegotiate(c);
        return rc < 0 ? mt_conn_fail(c, rc) : 0;
    }
    /* RFC 5246 7.4.1.1: HelloRequest, empty and outside the transcript */
    static const uint8_t hello_request[4] = {0, 0, 0, 0};
    int rc = mt_rec_seal(&c->wr, MT_CT_HANDSHAKE, c->rec_version, hello_request, 4, &c->out);
    if (rc < 0) {
        return mt_conn_fail(c, rc);
    }
    c->reneg = MT_RENEG_REQUESTED;
    return 0;
}

MT_WUR static int on_handshake_bytes(mt_conn *c, const uint8_t *p, size_t n)
{
    /* RFC 5246 6.2.1: no zero-length handshake fragments. */
    ENSURE(n > 0, DECODE);
    GUARD(mt_wr_bytes(&c->hs_in, p, n));
    if (c->hs == MT_HS_CONNECTED) {
        return c->tls13 ? mt_hs13_post_handshake(c) : on_renegotiation_request(c);
    }
    return mt_conn_run_handshake(c);
}

int mt_conn_run_handshake(mt_conn *c)
{
    if (c->tls13 && c->hs == MT_HS_CONNECTED) {
        return mt_hs13_post_handshake(c); /* after a decision on a post-handshake chain */
    }
    while (!c->decision && !c->err) {
        mt_rd r;
        uint8_t type;
        uint32_t len;
        mt_rd_init(&r, c->hs_in.p + c->hs_off, c->hs_in.len - c->hs_off);
        if (mt_rd_u8(&r, &type) < 0 || mt_rd_u24(&r, &len) < 0) {
            break;
        }
        ENSURE(len <= MT_HS_MAX - 4, HANDSHAKE_FAILURE);
        const uint8_t *body;
        if (mt_rd_borrow(&r, len, &body) < 0) {
            break;
        }
        const uint8_t *raw = c->hs_in.p + c->hs_off;
        c->hs_off += 4 + len;
        int rc = c->tls13 ? mt_hs13_message(c, type, body, len, raw)
                          : mt_hs12_message(c, type, body, len, raw);
        GUARD(rc);
        if (rc == MT_HS_AGAIN) {
            c->hs_off -= 4 + len; /* kept for when the decision is answered */
            break;
        }
    }
    if (c->hs_off == c->hs_in.len) {
        mt_wr_reset(&c->hs_in);
        c->hs_off = 0;
    }
    return 0;
}

/* Server: the client's early data we do not take (RFC 8446 4.2.10): after a HelloRetryRequest
 * every protected record before ClientHello2, else (rejected) records that fail under the
 * handshake keys, up to the early data limit (or 16384 bytes without one). 1 when the record
 * was skipped, 2 when it opened under the handshake keys (the end of skipping: *type, *off and
 * *n say what it holds), 0 when it is not for skipping. */
MT_WUR static int skip_early(mt_conn *c, uint8_t *type, uint16_t version, const uint8_t *in,
                             size_t len, uint8_t *frag, size_t *off, size_t *n)
{
    if (*type != MT_CT_APPLICATION_DATA) {
        return 0;
    }
    size_t limit = c->cfg->max_early_data ? c->cfg->max_early_data : MT_REC_MAX_PLAIN;
    size_t over = c->suite && c->suite->aead ? c->suite->aead->tag_len + 1u : 17u;
    if (c->early_skip == MT_SKIP_TRIAL) {
        /* a failure leaves the keys as they were */
        int rc = mt_rec_open_from(&c->rd, type, version, in, len, frag, off, n);
        if (rc == 0) {
            c->early_skip = MT_SKIP_NONE; /* the client's handshake keys: the real thing */
            return 2;
        }
        if (rc != -MT_E_BAD_RECORD_MAC) {
            return rc;
        }
        /* RFC 8446 4.2.10: past the limit, what fails is what it says */
        c->early_skipped += len > over ? len - over : 0;
        ENSURE(c->early_skipped <= limit, BAD_RECORD_MAC);
        return 1;
    }
    ENSURE(!mt_rec_protected(&c->rd), UNEXPECTED_MESSAGE);
    c->early_skipped += len > over ? len - over : 0;
    ENSURE(c->early_skipped <= limit, UNEXPECTED_MESSAGE);
    return 1;
}

/* Server: a record of early data (RFC 8446 4.2.10), flagged for the application. */
MT_WUR static int on_early_data(mt_conn *c, size_t off, size_t n)
{
    /* more than max_early_data_size is unexpected_message */
    c->early_bytes += n;
    ENSURE(c->early_bytes <= c->early_max, UNEXPECTED_MESSAGE);
    if (n == 0) {
        ENSURE(++c->empty_records <= 32, UNEXPECTED_MESSAGE);
        return 0;
    }
    c->empty_records = 0;
    c->app_early = 1;
    c->app_off = MT_REC_HEADER + off;
    c->app_len = n;
    return 0;
}

/* One record's fragment (`in`: in rin after its header, or still in the caller's buffer),
 * opened into rin after the header. */
MT_WUR static int on_record(mt_conn *c, uint8_t type, uint16_t version, const uint8_t *in,
                            size_t len)
{
    size_t off, n;
    int opened = 0;
    uint8_t *frag = c->rin + MT_REC_HEADER;
    if (c->rin_hi < MT_REC_HEADER + len) {
        c->rin_hi = MT_REC_HEADER + len;
    }
    if (c->early_skip) {
        int skipped = skip_early(c, &type, version, in, len, frag, &off, &n);
        if (skipped < 0 || skipped == 1) {
            return skipped < 0 ? skipped : 0;
        }
        opened = skipped == 2;
    }
    if (type == MT_CT_CHANGE_CIPHER_SPEC && c->tls13) {
        return mt_hs13_ccs(c, in, len); /* never protected under 1.3 (RFC 8446 5) */
    }
    if (type == MT_CT_ALERT && c->tls13 && !c->established && len == 2) {
        /* a peer that failed before its keys changed alerts in the clear; a protected record
         * is never this short (tag and inner type) */
        return on_alert(c, in, len);
    }
    if (!opened) {
        GUARD(mt_rec_open_from(&c->rd, &type, version, in, len, frag, &off, &n));
    }
    /* RFC 6066 4 / RFC 8449 4: a record over the limit we announced is record_overflow (ours
     * under record_size_limit counts for protected records only) */
    ENSURE(!c->mfl || n <= c->mfl, RECORD_OVERFLOW);
    ENSURE(!c->rsl_recv || !mt_rec_protected(&c->rd) || n <= c->rsl_recv, RECORD_OVERFLOW);
    if (type != MT_CT_ALERT && n > 0) {
        c->warnings = 0; /* "in a row": a refused renegotiation now and then is no flood */
    }
    switch (type) {
    case MT_CT_ALERT:
        return on_alert(c, frag + off, n);
    case MT_CT_HANDSHAKE:
        return on_handshake_bytes(c, frag + off, n);
    case MT_CT_CHANGE_CIPHER_SPEC:
        /* RFC 5246 7.1: one byte of value 1, at a message boundary. */
        ENSURE(n == 1 && frag[off] == 1, DECODE);
        ENSURE(c->hs_off == c->hs_in.len, UNEXPECTED_MESSAGE);
        return mt_hs12_ccs(c);
    case MT_CT_APPLICATION_DATA:
        if (c->hs == MT_HS13_S_WAIT_EOED) {
            return on_early_data(c, off, n);
        }
        /* RFC 5246 7.4.9: after the peer's ChangeCipherSpec its Finished comes first; RFC 8446
         * 4.6.2: nothing between the messages answering a CertificateRequest */
        ENSURE(c->established && c->hs != MT_HS_C_WAIT_FIN && c->hs != MT_HS_S_WAIT_FIN &&
                   !c->peer_closed && c->pha < MT_PHA_WAIT_CV,
               UNEXPECTED_MESSAGE);
        if (n == 0) {
            ENSURE(++c->empty_records <= 32, UNEXPECTED_MESSAGE);
            return 0;
        }
        c->empty_records = 0;
        c->key_updates = 0;
        c->app_early = 0;
        c->app_off = MT_REC_HEADER + off;
        c->app_len = n;
        return 0;
    default:
        return -MT_E_UNEXPECTED_MESSAGE;
    }
}

/* The protection whose length limit a record header must respect: while early data is skipped
 * after a HelloRetryRequest, protected records come in although nothing protects ours yet. */
static const mt_rec_prot *header_prot(const mt_conn *c)
{
    static const mt_rec_prot early13 = {.aead = &mt_aead_aes128_gcm, .tls13 = 1};
    return c->early_skip == MT_SKIP_HRR ? &early13 : &c->rd;
}

/* rin with room for `need` bytes (a record's header and fragment), keeping its rin_len. */
MT_WUR static int rin_room(mt_conn *c, size_t need)
{
    if (need <= c->rin_cap) {
        return 0;
    }
    size_t cap = need < 512 ? 512 : need; /* a whole small record, or exactly this one */
    uint8_t *p = malloc(cap);
    ENSURE(p != NULL, NOMEM);
    if (c->rin) {
        memcpy(p, c->rin, c->rin_len);
        mt_wipe(c->rin, c->rin_hi);
        free(c->rin);
    }
    c->rin = p;
    c->rin_cap = cap;
    return 0;
}

static void rin_free(mt_conn *c)
{
    if (c->rin) {
        mt_wipe(c->rin, c->rin_hi);
        free(c->rin);
    }
    c->rin = NULL;
    c->rin_cap = c->rin_hi = 0;
}

int mt_conn_feed(mt_conn *c, const uint8_t *data, size_t len, size_t *used)
{
    *used = 0;
    if (c->err) {
        return c->err;
    }
    while (!c->decision && c->app_len == 0 && !c->peer_closed) {
        size_t need = MT_REC_HEADER;
        uint8_t type = 0;
        uint16_t version = 0;
        size_t flen = 0;
        int rc;
        if (c->rin_len == 0 && len - *used >= MT_REC_HEADER) {
            rc = mt_rec_header(data + *used, header_prot(c), &type, &version, &flen);
            if (rc < 0) {
                return mt_conn_fail(c, rc);
            }
            if (len - *used - MT_REC_HEADER >= flen) {
                /* the whole record is in data: opened from there, no copy first */
                const uint8_t *in = data + *used + MT_REC_HEADER;
                *used += MT_REC_HEADER + flen;
                rc = rin_room(c, MT_REC_HEADER + flen);
                rc = rc < 0 ? rc : on_record(c, type, version, in, flen);
                if (rc < 0) {
                    return mt_conn_fail(c, rc);
                }
                continue;
            }
        }
        if (c->rin_len >= MT_REC_HEADER) {
            rc = mt_rec_header(c->rin, header_prot(c), &type, &version, &flen);
            if (rc < 0) {
                return mt_conn_fail(c, rc);
            }
            need += flen;
        }
        if (c->rin_len < need) {
            size_t k = need - c->rin_len < len - *used ? need - c->rin_len : len - *used;
            if (k == 0) {
                break;
            }
            rc = rin_room(c, need);
            if (rc < 0) {
                return mt_conn_fail(c, rc);
            }
            memcpy(c->rin + c->rin_len, data + *used, k);
            c->rin_len += k;
            *used += k;
            if (c->rin_hi < c->rin_len) {
                c->rin_hi = c->rin_len;
            }
            continue;
        }
        c->rin_len = 0;
        rc = on_record(c, type, version, c->rin + MT_REC_HEADER, flen);
        if (rc < 0) {
            return mt_conn_fail(c, rc);
        }
    }
    return c->err;
}

const uint8_t *mt_conn_out(const mt_conn *c, size_t *len)
{
    *len = c->out.len - c->out_sent;
    return *len ? c->out.p + c->out_sent : NULL;
}

void mt_conn_out_done(mt_conn *c, size_t n)
{
    size_t left = c->out.len - c->out_sent;
    c->out_sent += n < left ? n : left;
    if (c->out_sent == c->out.len) {
        mt_wr_rewind(&c->out); /* whole records only: nothing there is secret */
        c->out_sent = 0;
    }
}

int mt_conn_peek(const mt_conn *c, const uint8_t **p, size_t *n)
{
    *p = NULL;
    *n = 0;
    if (c->app_len > 0) {
        *p = c->rin + c->app_off;
        *n = c->app_len;
        return 0;
    }
    if (c->err) {
        return c->err;
    }
    return c->peer_closed ? -MT_E_CLOSED : -MT_E_WANT_READ;
}

void mt_conn_consume(mt_conn *c, size_t k)
{
    k = k < c->app_len ? k : c->app_len;
    c->app_off += k;
    c->app_len -= k;
}

int mt_conn_read(mt_conn *c, uint8_t *buf, size_t cap, size_t *n)
{
    const uint8_t *p;
    size_t avail;
    *n = 0;
    GUARD(mt_conn_peek(c, &p, &avail));
    size_t k = cap < avail ? cap : avail;
    memcpy(buf, p, k);
    mt_conn_consume(c, k);
    *n = k;
    return 0;
}

void mt_conn_trim(mt_conn *c)
{
    if (c->rin_len == 0 && c->app_len == 0) {
        rin_free(c);
    }
    if (c->out.len == c->out_sent) {
        mt_wr_free(&c->out);
        c->out_sent = 0;
    }
    if (c->hs_in.len == 0) {
        mt_wr_free(&c->hs_in);
        c->hs_off = 0;
    }
    mt_rec_prot_park(&c->rd);
    mt_rec_prot_park(&c->wr);
}

int mt_conn_write(mt_conn *c, const uint8_t *data, size_t len, size_t *n)
{
    *n = 0;
    if (c->err) {
        return c->err;
    }
    ENSURE(!c->local_closed, CLOSED);
    ENSURE(c->established, WANT_WRITE);
    size_t lim = mt_conn_send_limit(c);
    uint64_t rekey =
        c->cfg->key_update_records ? c->cfg->key_update_records : MT_KEY_UPDATE_RECORDS;
    while (*n < len && c->out.len - c->out_sent < OUT_HIGH) {
        size_t k = len - *n < lim ? len - *n : lim;
        int rc = 0;
        if (c->tls13 && c->hs == MT_HS_CONNECTED && c->wr.seq >= rekey) {
            /* RFC 8446 5.5: new keys before the key has sealed too much */
            rc = mt_hs13_send_key_update(c, 0);
        }
        if (rc == 0) {
            rc = mt_rec_seal(&c->wr, MT_CT_APPLICATION_DATA, c->rec_version, data + *n, k, &c->out);
        }
        if (rc < 0) {
            return mt_conn_fail(c, rc);
        }
        *n += k;
    }
    return *n == 0 && len > 0 ? -MT_E_WANT_WRITE : 0;
}

int mt_conn_close(mt_conn *c)
{
    if (c->local_closed || c->err) {
        return c->err;
    }
    static const uint8_t a[2] = {1, MT_ALERT_CLOSE_NOTIFY};
    c->local_closed = 1;
    int rc = mt_rec_seal(&c->wr, MT_CT_ALERT, c->rec_version, a, 2, &c->out);
    return rc < 0 ? mt_conn_fail(c, rc) : 0;
}

int mt_conn_key_update(mt_conn *c, int request)
{
    ENSURE(!c->err && c->tls13 && c->hs == MT_HS_CONNECTED, INVALID_ARG);
    ENSURE(!c->local_closed, CLOSED);
    int rc = mt_hs13_send_key_update(c, request);
    return rc < 0 ? mt_conn_fail(c, rc) : 0;
}

int mt_conn_request_client_auth(mt_conn *c)
{
    ENSURE(!c->err && c->server && c->tls13 && c->hs == MT_HS_CONNECTED, INVALID_ARG);
    ENSURE(!c->local_closed, CLOSED);
    ENSURE(c->pha_offered, PHA_NOT_OFFERED);
    ENSURE(c->pha == MT_PHA_NONE, AUTH_PENDING);
    int rc = mt_hs13_server_request_auth(c);
    return rc < 0 ? mt_conn_fail(c, rc) : 0;
}

int mt_conn_write_early(mt_conn *c, const uint8_t *data, size_t len, size_t *n)
{
    *n = 0;
    if (c->err) {
        return c->err;
    }
    ENSURE(!c->server && c->early_open && c->early_bytes < c->early_max, EARLY_DATA_UNAVAILABLE);
    size_t room = c->early_max - c->early_bytes, lim = mt_conn_send_limit(c);
    while (*n < len && *n < room && c->out.len - c->out_sent < OUT_HIGH) {
        size_t k = len - *n < lim ? len - *n : lim;
        k = k < room - *n ? k : room - *n;
        int rc = mt_rec_seal(&c->wr, MT_CT_APPLICATION_DATA, c->rec_version, data + *n, k, &c->out);
        if (rc < 0) {
            return mt_conn_fail(c, rc);
        }
        *n += k;
    }
    c->early_bytes += *n;
    return *n == 0 && len > 0 ? -MT_E_WANT_WRITE : 0;
}

int mt_conn_decision(const mt_conn *c)
{
    return c->decision;
}

int mt_conn_decide(mt_conn *c, int verdict)
{
    if (c->err) {
        return c->err;
    }
    ENSURE(c->decision != MT_DECIDE_NONE, INVALID_ARG);
    int decision = c->decision;
    c->decision = MT_DECIDE_NONE;
    if (verdict < 0) {
        return mt_conn_fail(c, verdict);
    }
    switch (decision) {
    case MT_DECIDE_VERIFY:
        c->chain_ok = 1;
        break;
    case MT_DECIDE_SELECT:
        c->h->ch_selected = 1;
        break;
    case MT_DECIDE_TICKET:
        c->h->ch_ticket_asked = 1;
        break;
    case MT_DECIDE_NEW_TICKET:
        break;
    default:
        c->h->ch_session_asked = 1;
        break;
    }
    if (c->h) {
        c->h->hello_alpn = c->h->hello_sid = c->h->hello_ticket = NULL;
        c->h->hello_alpn_len = c->h->hello_sid_len = c->h->hello_ticket_len = 0;
    }
    /* a ticket to issue: what the handshake left for after it */
    int rc = decision == MT_DECIDE_NEW_TICKET ? mt_tk_continue(c) : 0;
    if (rc == 0) {
        rc = mt_conn_run_handshake(c);
    }
    return rc < 0 ? mt_conn_fail(c, rc) : 0;
}

int mt_conn_hello(const mt_conn *c, const char **sni, const uint8_t **alpn, size_t *alpn_len)
{
    ENSURE(c->decision == MT_DECIDE_SELECT, INVALID_ARG);
    *sni = c->sni;
    *alpn = c->h->hello_alpn;
    *alpn_len = c->h->hello_alpn_len;
    return 0;
}

int mt_conn_set_config(mt_conn *c, const mt_config *cfg)
{
    ENSURE(c->decision == MT_DECIDE_SELECT && cfg, INVALID_ARG);
    c->cfg = cfg;
    /* nothing entered the transcript yet: record it (or not) as the new policy says */
    mt_wr_free(&c->h->th_raw);
    mt_hs12_cauth_init(c);
    return 0;
}

size_t mt_conn_session_id(const mt_conn *c, const uint8_t **id)
{
    if (c->decision == MT_DECIDE_SESSION) {
        *id = c->h->hello_sid;
        return c->h->hello_sid_len;
    }
    *id = c->sid;
    return c->hs == MT_HS_CONNECTED ? c->sid_len : 0;
}

int mt_conn_offer_session(mt_conn *c, const mt_session *s)
{
    ENSURE(c->decision == MT_DECIDE_SESSION || c->decision == MT_DECIDE_TICKET, INVALID_ARG);
    ENSURE(c->decision == MT_DECIDE_TICKET || (s->sid_len == c->h->hello_sid_len &&
                                               memcmp(s->sid, c->h->hello_sid, s->sid_len) == 0),
           INVALID_ARG);
    GUARD(mt_hs_session(&c->h->offered));
    *c->h->offered = *s;
    return 0;
}

size_t mt_conn_peer_chain(const mt_conn *c, size_t i, const uint8_t **der, size_t *len)
{
    if (i < c->npeer) {
        *der = c->peer_certs.p + c->peer_off[i];
        *len = c->peer_len[i];
    }
    return c->npeer;
}

void mt_conn_get_info(const mt_conn *c, mt_conn_info *info)
{
    memset(info, 0, sizeof(*info));
    info->version = c->version;
    info->suite = c->suite ? c->suite->id : 0;
    info->group = c->group;
    info->sigalg = c->sigalg;
    info->ems = c->ems;
    info->resumed = c->resumed;
    info->etm = c->etm;
    info->max_fragment = (unsigned)c->mfl;
    info->send_limit = (unsigned)c->rsl_send;
    info->recv_limit = (unsigned)c->rsl_recv;
    info->renegotiations = c->renegotiations;
    info->secure_renegotiation = c->secure_reneg;
    info->post_handshake_auth = c->pha_offered;
    info->client_auths = c->client_auths;
    info->early_data = c->early;
    info->early_bytes = c->early_bytes;
    info->alpn = c->alpn;
    info->sni = c->sni;
}

int mt_conn_resume(mt_conn *c, const mt_session *s)
{
    ENSURE(!c->server && !c->established && c->hs == MT_HS_C_WAIT_SH && c->out_sent == 0 &&
               !c->err && c->h,
           INVALID_ARG);
    /* a 1.2 session by its id, a 1.3 one by its ticket */
    ENSURE(s->version == MT_TLS13
               ? s->ticket_len > 0 && s->ticket_len <= sizeof(s->ticket)
               : (s->sid_len > 0 || s->ticket_len > 0) && s->sid_len <= sizeof(s->sid) &&
                     s->ticket_len <= sizeof(s->ticket),
           INVALID_ARG);
    /* nothing left yet: start over with a ClientHello that offers the session */
    mt_wr_reset(&c->out);
    sha256_init(&c->h->th256);
    sha384_init(&c->h->th384);
    c->h->resume = *s;
    return mt_hs12_client_start(c);
}

int mt_conn_session(const mt_conn *c, mt_session *out)
{
    ENSURE(c->hs == MT_HS_CONNECTED, INVALID_ARG);
    /* the ticket the server sent last (not the one a 1.2 connection resumed with) */
    int received = c->ticket && !c->ticket_resumed;
    if (c->tls13) {
        /* RFC 8446 4.6.1: a 1.3 session is the server's last NewSessionTicket */
        ENSURE(!c->server && received, INVALID_ARG);
        return mt_session_decode(c->ticket, c->ticket_len, NULL, out);
    }
    /* 1.2: resumable by the server's session id, or (client) by a ticket (RFC 5077) */
    int ticket = !c->server && (received || (c->resumed && c->ticket && c->ticket_resumed));
    ENSURE(c->sid_len > 0 || ticket, INVALID_ARG);
    GUARD(mt_conn_session_state(c, out));
    if (ticket) {
        /* the newest ticket: one received now, else the one this connection resumed with */
        mt_session t;
        int rc = mt_session_decode(c->ticket, c->ticket_len, NULL, &t);
        if (rc == 0) {
            memcpy(out->ticket, t.ticket, t.ticket_len);
            out->ticket_len = t.ticket_len;
            out->lifetime = t.lifetime;
        }
        mt_session_wipe(&t);
        if (rc < 0) {
            mt_session_wipe(out);
        }
        return rc;
    }
    return 0;
}

int mt_conn_session_state(const mt_conn *c, mt_session *out)
{
    ENSURE(c->suite, INVALID_ARG);
    memset(out, 0, sizeof(*out));
    out->version = c->version;
    out->suite = c->suite->id;
    out->sid_len = (uint8_t)c->sid_len;
    memcpy(out->sid, c->sid, c->sid_len);
    out->ems = (uint8_t)c->ems;
    memcpy(out->master, c->master, sizeof(out->master));
    out->created = c->resumed ? c->resume_created : (int64_t)time(NULL);
    memcpy(out->sni, c->sni, strlen(c->sni) + 1);
    memcpy(out->alpn, c->alpn, strlen(c->alpn) + 1);
    return 0;
}

int mt_conn_keylog(const mt_conn *c, char *buf, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    if (c->tls13) {
        ENSURE(c->hs == MT_HS_CONNECTED, INVALID_ARG);
        return mt_hs13_keylog(c, buf, size);
    }
    ENSURE(c->hs == MT_HS_CONNECTED || c->hs == MT_HS_C_WAIT_CCS || c->hs == MT_HS_S_WAIT_CCS ||
               c->hs == MT_HS_C_WAIT_FIN || c->hs == MT_HS_S_WAIT_FIN,
           INVALID_ARG);
    ENSURE(size >= 14 + 64 + 1 + 96 + 2, INVALID_ARG);
    /* NSS key log format: CLIENT_RANDOM <client_random> <master_secret> */
    size_t n = 0;
    memcpy(buf, "CLIENT_RANDOM ", 14);
    n = 14;
    for (size_t i = 0; i < 32; i++) {
        buf[n++] = hex[c->crand[i] >> 4];
        buf[n++] = hex[c->crand[i] & 15];
    }
    buf[n++] = ' ';
    for (size_t i = 0; i < 48; i++) {
        buf[n++] = hex[c->master[i] >> 4];
        buf[n++] = hex[c->master[i] & 15];
    }
    buf[n++] = '\n';
    buf[n] = '\0';
    return 0;
}

int mt_conn_export(const mt_conn *c, const char *label, const uint8_t *context, size_t ctx_len,
                   int use_context, uint8_t *out, size_t out_len)
{
    ENSURE(c->hs == MT_HS_CONNECTED && c->suite, INVALID_ARG);
    ENSURE(ctx_len <= 0xffff, INVALID_ARG);
    if (c->tls13) {
        /* RFC 8446 7.5: no context and an empty one are the same */
        return mt_hs13_export(c, label, context, use_context ? ctx_len : 0, out, out_len);
    }
    /* RFC 5705 4: seed = client_random || server_random [|| context_length || context]. */
    mt_wr seed;
    mt_wr_init_growable(&seed, 64 + 2 + 0xffff);
    int rc = mt_wr_bytes(&seed, c->crand, 32);
    if (rc == 0) {
        rc = mt_wr_bytes(&seed, c->srand, 32);
    }
    if (rc == 0 && use_context) {
        rc = mt_wr_u16(&seed, (uint16_t)ctx_len);
        if (rc == 0) {
            rc = mt_wr_bytes(&seed, context, ctx_len);
        }
    }
    if (rc == 0) {
        rc = mt_prf_tls12(c->suite->prf, c->master, sizeof(c->master), label, seed.p, seed.len,
                          NULL, 0, out, out_len);
    }
    mt_wr_free(&seed);
    return rc;
}
