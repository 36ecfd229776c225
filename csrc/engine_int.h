/*
 * engine_int.h -- the connection struct and the calls between engine.c (buffers,
 * records, alerts) and hs12.c (the TLS 1.2 handshake). Not for other files.
 */
#ifndef MT_ENGINE_INT_H
#define MT_ENGINE_INT_H

#include <nettle/sha2.h>

#include "buf.h"
#include "engine.h"
#include "kex.h"
#include "kex_dh.h"
#include "keys.h"
#include "ks13.h"
#include "record.h"
#include "session.h"
#include "suites.h"

/* Largest handshake message we accept (a certificate chain of a few dozen kB fits easily). */
#define MT_HS_MAX (128 * 1024)
#define MT_MAX_PEER_CERTS 16

/* RFC 5246 6.3: the key block holds two MAC keys, two cipher keys and two IVs. CBC suites need
 * at most 2 x 48 (HMAC-SHA384) + 2 x 32 (AES-256) bytes (explicit IVs: none from the block);
 * AEAD suites 2 x 32 + 2 x 12. */
#define MT_KEY_BLOCK_MAX (2 * MT_CBC_MAX_MAC + 2 * MT_CBC_MAX_KEY)

/* What renegotiation is in flight. */
enum {
    MT_RENEG_NONE = 0,
    MT_RENEG_REQUESTED, /* server: HelloRequest sent, no ClientHello yet */
    MT_RENEG_RUNNING,   /* a new handshake runs */
};

/* Handshake states: what the next message must be. */
enum {
    MT_HS_C_WAIT_SH = 1,
    MT_HS_C_WAIT_CERT,
    MT_HS_C_WAIT_SKE,
    MT_HS_C_WAIT_SHD,
    MT_HS_C_WAIT_CCS,
    MT_HS_C_WAIT_FIN,
    MT_HS_S_WAIT_CH,
    MT_HS_S_WAIT_CKE,
    MT_HS_S_WAIT_CCS,
    MT_HS_S_WAIT_FIN,
    MT_HS_S_WAIT_CERT, /* client Certificate after our CertificateRequest */
    MT_HS_S_WAIT_CV,   /* CertificateVerify after a non-empty client Certificate */
    MT_HS_CONNECTED,
    /* TLS 1.3 (hs13*.c); MT_HS_C_WAIT_SH and MT_HS_CONNECTED are shared */
    MT_HS13_C_WAIT_EE,
    MT_HS13_C_WAIT_CERT_CR, /* Certificate or CertificateRequest */
    MT_HS13_C_WAIT_CERT,
    MT_HS13_C_WAIT_CV,
    MT_HS13_C_WAIT_FIN,
    MT_HS13_S_WAIT_CH2, /* the ClientHello after our HelloRetryRequest */
    MT_HS13_S_WAIT_CERT,
    MT_HS13_S_WAIT_CV,
    MT_HS13_S_WAIT_FIN,
    /* tickets (hs_ticket.c): the client's Finished is checked and our NewSessionTicket waits
     * for MT_DECIDE_NEW_TICKET (1.2: before our ChangeCipherSpec; 1.3: before CONNECTED) */
    MT_HS_S_SEND_NST,
    MT_HS13_S_SEND_NST,
    MT_HS_C_WAIT_NST,    /* client, 1.2: the NewSessionTicket the ServerHello announced */
    MT_HS13_S_WAIT_EOED, /* early data accepted: early records until EndOfEarlyData */
};

/* Server: what a post-handshake client authentication (RFC 8446 4.6.2) waits for. */
enum {
    MT_PHA_NONE = 0,
    MT_PHA_WAIT_CERT,
    MT_PHA_WAIT_CV,
    MT_PHA_WAIT_FIN,
};

/* Server: how early data the client sent is skipped (RFC 8446 4.2.10). */
enum {
    MT_SKIP_NONE = 0,
    MT_SKIP_TRIAL, /* rejected: drop records that fail under the handshake keys */
    MT_SKIP_HRR,   /* HelloRetryRequest sent: drop protected (outer application_data) records */
};

/*
 * What one handshake needs and a connected connection does not (the premaster, the key block,
 * key shares, the key schedule's stage secret, the transcript hashes, the sessions offered or
 * being issued, the hello's pieces during a decision). Allocated when a handshake starts (the
 * first, each 1.2 renegotiation, each 1.3 post-handshake authentication), wiped and freed when
 * it ends (mt_conn_hs_begin / mt_conn_hs_end), so an idle connection does not carry it.
 */
typedef struct mt_hs_state {
    mt_session resume; /* client: the session offered for resumption; server: the one resumed */
    /* Server decisions on the ClientHello (hs12_server.c): the message stays unconsumed in
     * hs_in while the application answers, then is processed again from the start with the
     * answers in hand; it enters the transcript once, when no decision is left. */
    int ch_selected;           /* MT_DECIDE_SELECT answered */
    int ch_session_asked;      /* MT_DECIDE_SESSION answered */
    mt_session *offered;       /* the application's session for the id or ticket (heap), or NULL */
    const uint8_t *hello_alpn; /* during MT_DECIDE_SELECT: the client's ALPN list */
    size_t hello_alpn_len;
    const uint8_t *hello_sid; /* during MT_DECIDE_SESSION: the client's session id */
    size_t hello_sid_len;
    /* Tickets (hs_ticket.c), server: ch_ticket_asked = MT_DECIDE_TICKET answered (its session in
     * `offered`), hello_ticket the ticket during it; `ticket` = the session of the ticket being
     * issued (heap, while it is), its bytes set by the application when nst_set. */
    int ch_ticket_asked, nst_set;
    const uint8_t *hello_ticket;
    size_t hello_ticket_len;
    mt_session *ticket;
    uint8_t saved_crand[32]; /* client: the random of the keys in force while it renegotiates */
    uint8_t *pms;            /* client: premaster between SKE and CKE (heap, MT_DH_MAX_BYTES) */
    size_t pms_len;
    uint8_t key_block[MT_KEY_BLOCK_MAX];
    uint16_t client_version; /* server: ClientHello.client_version (RSA premaster check) */
    const mt_chain *chain;   /* ours for this handshake (server), or the one answering a request */
    mt_key *peer_key;

    /* TLS 1.3: a key share is kept in kex/dh for share_group. */
    uint16_t share_group;
    uint8_t sid13[32]; /* legacy_session_id sent (client) or to echo (server) */
    size_t sid13_len;
    uint8_t cookie[256]; /* HelloRetryRequest cookie: the server's, or the one to echo */
    size_t cookie_len;
    uint8_t cr_ctx[255]; /* certificate_request_context to echo (client) or expect (server) */
    size_t cr_ctx_len;
    mt_ks13 ks;
    int psk_offered;               /* client: our hello offers resume's ticket (pre_shared_key) */
    uint8_t psk[MT_KS13_MAX_HASH]; /* the resumption PSK in use (resumed 1.3) */

    /* The transcript: SHA-256 and SHA-384 both until the suite says which counts. th_frozen:
     * nothing enters it (between the messages of a post-handshake authentication). */
    struct sha256_ctx th256;
    struct sha512_ctx th384;
    int th_frozen;
    /* The transcript bytes themselves while client authentication may need them
     * (CertificateVerify signs the messages, EdDSA whole): th_keep 1 = recording,
     * 0 = not, -1 = outgrew th_raw (CertificateVerify then fails). hs12_cauth.c. */
    mt_wr th_raw;
    int th_keep;
    uint8_t session_hash[64];
    size_t session_hash_len;

    mt_kex_share kex;
    mt_dh_key *dh; /* DHE (RFC 7919 groups, or the server's for a client): heap, or NULL */
} mt_hs_state;

/* TLS 1.3: the transcript through the client Finished under the suite's hash, for
 * post-handshake authentication (RFC 8446 4.6.2); only when it was offered. */
typedef union mt_th_fin {
    struct sha256_ctx s256;
    struct sha512_ctx s384;
} mt_th_fin;

struct mt_conn {
    const mt_config *cfg;
    mt_hs_state *h; /* while a handshake runs, else NULL */
    int server;
    int hs;
    int err;
    int peer_alert;
    int sent_fatal;
    int decision;
    int local_closed, peer_closed;
    int warnings, empty_records;
    int refused_renegotiations; /* no_renegotiation warnings sent (a few, then fatal) */
    /* Renegotiation (RFC 5746). `established`: the first handshake finished; application data
     * flows from then on, through renegotiations (while `hs` runs a new handshake). */
    int established;
    int reneg;                /* MT_RENEG_*: what is in flight */
    unsigned renegotiations;  /* completed */
    int64_t reneg_window;     /* start of the window counting the peer's requests */
    unsigned reneg_in_window; /* the peer's renegotiations started in it */
    uint8_t client_vd[12];    /* verify_data of the last Finished of each side (RFC 5746 3.4) */
    uint8_t server_vd[12];
    uint8_t peer_leaf[32]; /* SHA-256 of the peer's leaf certificate, once it sent one */
    int have_peer_leaf;
    /* flags that must all be set before application data (client) */
    int chain_ok, ske_ok, fin_ok;

    uint16_t rec_version; /* record-layer version we write */
    uint16_t version;     /* negotiated */
    const mt_suite *suite;
    uint16_t group, sigalg;
    int ems, secure_reneg;
    int client_sent_alpn, client_sent_ecpf, client_sent_sni;
    int cert_requested;  /* client: the server sent CertificateRequest */
    int resumed;         /* abbreviated handshake (RFC 5246 7.3) */
    int client_sent_etm; /* server: the ClientHello had encrypt_then_mac */
    int etm;             /* encrypt_then_mac negotiated (RFC 7366; CBC suites only) */
    int cv_ok;           /* server: the client's CertificateVerify checked */
    uint16_t cv_sigalg;  /* client: the scheme of our CertificateVerify */
    /* Record size limits (RFC 6066 4, RFC 8449), plaintext bytes; 0 = none. mfl binds both
     * directions from its negotiation on; rsl_send (the peer's record_size_limit) binds what we
     * send and rsl_recv (ours, once the peer answered it) what we accept, both only under
     * protection. mt_conn_send_limit() combines them for sending. */
    size_t mfl, rsl_send, rsl_recv;
    uint8_t mfl_code;    /* server: the code to echo (0: none) */
    int client_sent_rsl; /* server: the ClientHello had record_size_limit */
    /* Tickets (hs_ticket.c). Server: client_sent_ticket = the ClientHello had session_ticket
     * (RFC 5077 3.2); ticket_ext = we answer it and send NewSessionTicket. Client: ticket_ext =
     * the ServerHello announced a NewSessionTicket (1.2); `ticket` = the session of the last
     * ticket received, or (ticket_resumed) the one a 1.2 connection resumed with, kept for
     * mt_conn_session: encoded (session_codec.h, plain), exact-size on the heap. */
    int client_sent_ticket;
    int ticket_ext;
    uint8_t *ticket;
    size_t ticket_len;
    int ticket_resumed;
    int64_t resume_created; /* the resumed session's creation time (mt_conn_session_state) */
    uint8_t crand[32], srand[32];
    uint8_t sid[32];
    size_t sid_len;
    uint8_t master[48];
    /* the server name and the application protocol: exact-size heap strings, or a static ""
     * (mt_conn_set_name) */
    char *sni;
    char *alpn;

    /* TLS 1.3 (hs13*.c). tls13: 1.3 negotiated (client: from the ServerHello or
     * HelloRetryRequest; server: from the ClientHello); offer13: client, our ClientHello offers
     * 1.3. The transcript is the running th256/th384 pair of the handshake state, read with the
     * suite's hash. Secrets are hlen bytes. */
    int tls13, offer13;
    int hrr;      /* a HelloRetryRequest was sent (server) or received (client) */
    int compat;   /* middlebox compatibility (RFC 8446 D.4): a dummy CCS goes out */
    int peer_fin; /* the peer's Finished checked: CCS records are no longer dropped */
    size_t hlen;
    /* the handshake and first application traffic secrets stay for the key log (mt_conn_keylog
     * is asked after the handshake) */
    uint8_t c_hs[MT_KS13_MAX_HASH], s_hs[MT_KS13_MAX_HASH];
    uint8_t c_ap0[MT_KS13_MAX_HASH], s_ap0[MT_KS13_MAX_HASH];
    uint8_t c_ap[MT_KS13_MAX_HASH], s_ap[MT_KS13_MAX_HASH]; /* current (KeyUpdate) */
    uint8_t exp_master[MT_KS13_MAX_HASH], res_master[MT_KS13_MAX_HASH];
    int ccs13;       /* dummy ChangeCipherSpec records dropped */
    int psk_ke;      /* 1.3 resumed with psk_ke: no key share, zeros for the (EC)DHE input */
    int key_updates; /* KeyUpdates received since the last application data (at most 32) */
    /* Post-handshake authentication (RFC 8446 4.6.2). After the handshake the transcript is
     * kept as it was at the client Finished (th_fin, heap, only when offered): what is sent or
     * received later does not enter it, except the messages of one authentication, hashed in a
     * handshake state started from a copy of th_fin. */
    int pha_offered;       /* client: our hello had post_handshake_auth; server: the client's */
    int pha;               /* server: MT_PHA_* */
    unsigned client_auths; /* server: completed */
    mt_th_fin *th_fin;
    /* 0-RTT (RFC 8446 2.3, 4.2.10). early: MT_EARLY_*. Client: early_max is what may still be
     * written with mt_conn_write_early (while early_open); server: what the client may send. */
    int early;
    int early_open;     /* client: early data may be written now */
    int early_sent;     /* client: our hello had early_data */
    int client_early;   /* server: the ClientHello had early_data */
    int app_early;      /* the plaintext waiting in rin is early data */
    size_t early_bytes; /* written (client) or received (server) */
    size_t early_max;
    int early_skip; /* server: MT_SKIP_* */
    size_t early_skipped;
    uint8_t c_early[MT_KS13_MAX_HASH]; /* client_early_traffic_secret (for the key log too) */
    uint16_t early_suite;              /* client: the suite of the ticket the early data used */

    mt_wr peer_certs;
    size_t npeer;
    uint32_t peer_off[MT_MAX_PEER_CERTS], peer_len[MT_MAX_PEER_CERTS];

    uint8_t *rin; /* heap, rin_cap bytes: as large as the largest record since the last trim */
    size_t rin_cap;
    size_t rin_len;
    size_t rin_hi; /* bytes of rin written since it was allocated (wiped when freed) */
    size_t app_off, app_len;
    mt_wr hs_in;
    size_t hs_off;
    mt_wr out;
    size_t out_sent;
    mt_rec_prot rd, wr;
};

/* Longest server name or ALPN protocol, with its NUL. */
#define MT_NAME_MAX 256

/* Set *name (c->sni or c->alpn) to the n bytes at p (n < MT_NAME_MAX), NUL-terminated, in an
 * exact-size allocation (kept when it already says that); n 0: the static "". Errors:
 * -MT_E_NOMEM (*name unchanged). */
MT_WUR int mt_conn_set_name(char **name, const void *p, size_t n);

/* A zeroed session in *slot (h->offered, h->ticket: allocated when NULL). Errors: -MT_E_NOMEM. */
MT_WUR int mt_hs_session(mt_session **slot);
/* Wipe and free *slot, then NULL (NULL is fine). */
void mt_hs_session_drop(mt_session **slot);

/* c->h->dh (mt_hs_dh) or c->h->pms (mt_hs_pms) allocated, zeroed, when NULL; _drop wipes and
 * frees it. Errors: -MT_E_NOMEM. */
MT_WUR int mt_hs_dh(mt_conn *c);
void mt_hs_dh_drop(mt_conn *c);
MT_WUR int mt_hs_pms(mt_conn *c);
void mt_hs_pms_drop(mt_conn *c);

/* Start the state of a new handshake (any old one is ended first). Errors: -MT_E_NOMEM. */
MT_WUR int mt_conn_hs_begin(mt_conn *c);

/* The handshake is over: wipe and free its state (nothing when there is none). */
void mt_conn_hs_end(mt_conn *c);

/* Client: keep `s` (a session with its suite) as the connection's ticket, replacing the last.
 * `resumed`: it is the ticket this 1.2 connection resumed with, not one the server sent.
 * Errors: -MT_E_NOMEM, -MT_E_INVALID_ARG (no suite). */
MT_WUR int mt_conn_keep_ticket(mt_conn *c, const mt_session *s, int resumed);

/* Bytes of heap this connection holds now: the struct, the handshake state, buffers, the peer's
 * certificates, the ticket kept, the frozen transcript and the expanded record keys (for tests
 * and the idle-memory benchmark). */
size_t mt_conn_memory(const mt_conn *c);

/* Record the first fatal error, queue its alert; returns the sticky error. */
int mt_conn_fail(mt_conn *c, int err);

/* Send one handshake message (adds it to the transcript). */
MT_WUR int mt_conn_send_hs(mt_conn *c, uint8_t type, const uint8_t *body, size_t len);

/* The largest plaintext a record we send now may carry (MT_REC_MAX_PLAIN unless a
 * max_fragment_length or the peer's record_size_limit is in effect). */
size_t mt_conn_send_limit(const mt_conn *c);

/* Send ChangeCipherSpec. */
MT_WUR int mt_conn_send_ccs(mt_conn *c);

/* Add bytes to the running transcript hashes. */
void mt_conn_transcript(mt_conn *c, const uint8_t *p, size_t n);

/* The peer's chain is in: the application judges it (MT_DECIDE_VERIFY) when the configuration
 * verifies peers, else it stands as sent. */
static inline void mt_conn_ask_verify(mt_conn *c)
{
    if (c->cfg->verify_peer) {
        c->decision = MT_DECIDE_VERIFY;
    } else {
        c->chain_ok = 1;
    }
}

/* Hash of the transcript so far under the suite's PRF hash (SHA-256 before a suite is
 * chosen); returns its length. */
size_t mt_conn_transcript_hash(const mt_conn *c, uint8_t *out);

/* The same under `h` (SHA-384, else SHA-256), whatever the suite. */
size_t mt_conn_transcript_hash_under(const mt_conn *c, const struct nettle_hash *h, uint8_t *out);

/* The resumable state once the master secret is final (mt_conn_session without the
 * "connected" check, for the server's cache at its last Finished). */
MT_WUR int mt_conn_session_state(const mt_conn *c, mt_session *out);

/* A handler's answer: a decision is pending and the message must stay in hs_in, to be
 * processed again once the application answered. */
#define MT_HS_AGAIN 1

/* Process every complete handshake message in hs_in, unless a decision is pending. */
MT_WUR int mt_conn_run_handshake(mt_conn *c);

/* hs12.c */
MT_WUR int mt_hs12_client_start(mt_conn *c);
MT_WUR int mt_hs12_server_start(mt_conn *c);
MT_WUR int mt_hs12_message(mt_conn *c, uint8_t type, const uint8_t *body, size_t len,
                           const uint8_t *raw);
MT_WUR int mt_hs12_ccs(mt_conn *c);

/* A new handshake on an established connection (RFC 5746): per-handshake state starts over;
 * the record protection in force, the verify_data and the peer's leaf stay. A server then
 * waits for the ClientHello. Errors: -MT_E_NOMEM. */
MT_WUR int mt_hs12_restart(mt_conn *c);
/* Client: a renegotiating ClientHello. */
MT_WUR int mt_hs12_client_renegotiate(mt_conn *c);

/* hs13*.c: the TLS 1.3 handshake (hs13_int.h) */
MT_WUR int mt_hs13_message(mt_conn *c, uint8_t type, const uint8_t *body, size_t len,
                           const uint8_t *raw);
/* A post-handshake message (NewSessionTicket, KeyUpdate) in hs_in of a connected 1.3 conn. */
MT_WUR int mt_hs13_post_handshake(mt_conn *c);
/* A ChangeCipherSpec record under TLS 1.3 (RFC 8446 5: dropped while allowed). */
MT_WUR int mt_hs13_ccs(mt_conn *c, const uint8_t *p, size_t n);
/* The SSLKEYLOGFILE lines of a 1.3 connection. */
MT_WUR int mt_hs13_keylog(const mt_conn *c, char *buf, size_t size);
MT_WUR int mt_hs13_export(const mt_conn *c, const char *label, const uint8_t *context,
                          size_t ctx_len, uint8_t *out, size_t out_len);
/* Server: queue a post-handshake CertificateRequest (mt_conn_request_client_auth). */
MT_WUR int mt_hs13_server_request_auth(mt_conn *c);
/* KeyUpdate with `request` (0 or 1), then our next sending keys. */
MT_WUR int mt_hs13_send_key_update(mt_conn *c, int request);

/* hs_ticket.c: session tickets, both versions (RFC 5077, RFC 8446 4.6.1) */
/* Server: whether this connection issues and takes tickets (keys or the application's hooks). */
int mt_tk_enabled(const mt_conn *c);
/* The ticket code's clock. */
int64_t mt_tk_now(const mt_conn *c);
/* A ticket's lifetime: `asked` (else the config's, else the default), at most seven days. */
uint32_t mt_tk_lifetime(const mt_config *cfg, uint32_t asked);
/* Server: the session a client's ticket stands for, still within its lifetime: *found 1 (in
 * *s) or 0 (a full handshake). Returns 0, MT_HS_AGAIN while MT_DECIDE_TICKET is asked, or an
 * error. The application's answer first, then the built-in keys, then (1.3 only) the cache. */
MT_WUR int mt_tk_find(mt_conn *c, const uint8_t *p, size_t n, mt_session *s, int *found);
/* Server: c->ticket holds the session to issue a ticket for. 1 = paused at
 * MT_DECIDE_NEW_TICKET (the caller's state must resume in mt_tk_continue), 0 = go on. */
int mt_tk_ask(mt_conn *c);
/* Server: the ticket for c->ticket (the application's, or sealed by the built-in keys, or a
 * random id naming a 1.3 cache entry when `stateful`) appended to w; empty when there is none.
 * *lifetime: its lifetime. */
MT_WUR int mt_tk_make(mt_conn *c, int stateful, mt_wr *w, uint32_t *lifetime);
/* Server: NewSessionTicket for c->ticket (1.3: none when there is no ticket to give); c->ticket
 * is wiped. */
MT_WUR int mt_tk_send(mt_conn *c);
/* After MT_DECIDE_NEW_TICKET: send the ticket and finish what the handshake had left. */
MT_WUR int mt_tk_continue(mt_conn *c);
/* hs12.c / hs13_server.c: the rest of the handshake once the ticket is decided */
MT_WUR int mt_hs12_server_ticket_done(mt_conn *c);
MT_WUR int mt_hs13_server_ticket_done(mt_conn *c);

/* hs12_cauth.c: start recording the transcript bytes when client authentication may follow. */
void mt_hs12_cauth_init(mt_conn *c);

#endif
