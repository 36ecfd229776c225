/*
 * engine.h -- the sans-IO TLS engine (BearSSL's engine, rustls' Connection).
 *
 * Four channels: record bytes in (mt_conn_feed), record bytes out
 * (mt_conn_out / mt_conn_out_done), plaintext in (mt_conn_read) and plaintext
 * out (mt_conn_write). mt_conn_status() is the state word saying which
 * channel can move and whether the engine waits for a decision from the
 * application (verify this chain, ...). The engine never blocks, never does
 * I/O and never calls back into the application: a decision is a pause that
 * mt_conn_decide() resumes.
 *
 * Errors are sticky: the first fatal error is kept, a fatal alert is queued
 * for the peer (when the error calls for one), and every later call returns
 * it.
 */
#ifndef MT_ENGINE_H
#define MT_ENGINE_H

#include "keys.h"
#include "mt.h"
#include "session.h"

/* A certificate chain (leaf first, DER) with the private key of its leaf. */
typedef struct mt_chain {
    uint8_t **der;
    size_t *der_len;
    size_t n;
    mt_key *key;
    const struct mt_x509 *leaf; /* parsed leaf, for choosing a chain by SNI (may be NULL) */
} mt_chain;

#define MT_MAX_CHAINS 8
#define MT_MAX_LIST 64

/* Records sealed under one TLS 1.3 write key before a KeyUpdate (mt_config.key_update_records). */
#define MT_KEY_UPDATE_RECORDS (1u << 24)

/* Policy shared by connections; owned by the application, must outlive its connections. */
typedef struct mt_config {
    uint16_t min_version, max_version;
    uint16_t suites[MT_MAX_LIST]; /* preference order */
    size_t nsuites;
    uint16_t groups[MT_MAX_LIST];
    size_t ngroups;
    uint16_t sigalgs[MT_MAX_LIST]; /* SignatureScheme values, preference order */
    size_t nsigalgs;
    /* Client: signature_algorithms_cert to send (RFC 8446 4.2.3: the schemes accepted in
     * certificates, when they differ from sigalgs); none by default: sigalgs then applies to
     * certificates too. A server prefers chains whose leaf is signed with a scheme the client
     * listed (in this extension, else in signature_algorithms). */
    uint16_t sigalgs_cert[MT_MAX_LIST];
    size_t nsigalgs_cert;
    /* Server: the certificates to serve. Client: the certificates offered when the server sends
     * CertificateRequest (the first whose key fits a signature scheme and certificate type the
     * server asked for; none fitting: an empty Certificate). */
    const mt_chain *chains[MT_MAX_CHAINS];
    size_t nchains;
    uint8_t alpn[512]; /* ALPN protocol_name_list body (u8-prefixed names), in preference order */
    size_t alpn_len;
    int verify_peer; /* pause at MT_DECIDE_VERIFY with the peer's chain (a server: only when the
                        client sent a non-empty Certificate) */
    mt_cache *cache; /* server: session-ID cache, or NULL for no resumption */
    unsigned dh_min_bits; /* client: smallest DHE prime a server may choose (0: 2048) */
    int no_etm;      /* 1: neither offer nor accept encrypt_then_mac (RFC 7366) for CBC suites */
    int client_auth; /* server: MT_CLIENT_AUTH_*; anything but NONE sends CertificateRequest */
    /* Server: the certificate_authorities of CertificateRequest (RFC 5246 7.4.4): DER Names,
     * each with a two-byte length prefix, as they go on the wire; may be empty. */
    const uint8_t *ca_names;
    size_t ca_names_len;
    /* Client: max_fragment_length to request (RFC 6066 4), code 1..4 for 2^9..2^12 bytes;
     * 0 requests none. A server always accepts a valid request. */
    uint8_t max_fragment_length;
    /* record_size_limit (RFC 8449): the largest record plaintext we are willing to receive,
     * 64..16384; 0 = not configured (a client then does not send the extension; a server
     * still answers a client's with 16384). */
    uint16_t record_size_limit;
    /* Server decision points (see MT_DECIDE_*): pause after the ClientHello to let the
     * application choose the configuration for its SNI/ALPN, and to look a session id up
     * itself instead of (or besides) the built-in cache. */
    int decide_select;
    int decide_session;
    /* 1: refuse renegotiation both ways (a peer's request gets a no_renegotiation warning,
     * mt_conn_renegotiate fails). 0 (default): secure renegotiation (RFC 5746) is allowed with a
     * peer that supports it; insecure renegotiation never happens. */
    int no_renegotiation;
    /* Session tickets (RFC 5077 for TLS 1.2, RFC 8446 4.6.1 for 1.3). Server: the keys that
     * seal and open them (ticket.h; NULL: no stateless tickets, and a 1.3 server with a cache
     * issues stateful ones naming cache entries); the application owns them. */
    struct mt_tickets *tickets;
    /* Server: how long a ticket we issue stays good, seconds (0: MT_TICKET_LIFETIME_DEFAULT;
     * at most MT_TICKET_LIFETIME_MAX, RFC 8446 4.6.1). */
    uint32_t ticket_lifetime;
    /* Client: 1 = do not ask for TLS 1.2 tickets (no session_ticket extension). */
    int no_tickets;
    /* Server: pause at MT_DECIDE_TICKET for a ticket the client offers and at
     * MT_DECIDE_NEW_TICKET before issuing one (the application's own tickets). */
    int decide_ticket;
    /* The clock of the ticket code, Unix seconds (NULL: time()); for tests. */
    int64_t (*clock)(void);
    /* TLS 1.3 post-handshake client authentication (RFC 8446 4.2.6, 4.6.2). Client: offer the
     * post_handshake_auth extension (a later CertificateRequest is answered with the first chain
     * that fits, or an empty Certificate). Server: when the client offered it, send no
     * CertificateRequest in the handshake even if client_auth asks for one: the application asks
     * later with mt_conn_request_client_auth (1.2 connections and clients that did not offer it
     * are asked in the handshake as before). */
    /* TLS 1.3 resumption without (EC)DHE (psk_ke, RFC 8446 4.2.9). Client: offer it beside
     * psk_dhe_ke. Server: choose it when the client offers it (else psk_dhe_ke). It saves the
     * key exchange; the resumed connection then has no forward secrecy of its own: whoever
     * holds the ticket's key (or the session) can read it. Off by default. */
    int psk_ke;
    int post_handshake_auth;
    /* 0-RTT (RFC 8446 2.3, 4.2.10, 8). Server: the max_early_data_size announced in
     * NewSessionTicket and accepted from resuming clients (0: no 0-RTT; early data a client
     * sends anyway is skipped); early data is accepted only with `replay` set. Client: the most
     * early data mt_conn_write_early takes (0: none is sent). */
    uint32_t max_early_data;
    /* TLS 1.3: after this many records under one write key we send a KeyUpdate before the next
     * (RFC 8446 5.5: AES-GCM may seal at most 2^24.5 full-size records per key). 0:
     * MT_KEY_UPDATE_RECORDS. */
    uint64_t key_update_records;
    struct mt_replay *replay; /* server: the anti-replay register for 0-RTT (replay.h) */
} mt_config;

#define MT_TICKET_LIFETIME_DEFAULT 7200
#define MT_TICKET_LIFETIME_MAX 604800

/* Client certificates (server side). OPTIONAL accepts an empty Certificate; REQUIRE answers it
 * with handshake_failure (RFC 5246 7.4.6). A non-empty chain is the application's decision
 * (verify_peer) and its CertificateVerify is always checked. */
enum {
    MT_CLIENT_AUTH_NONE = 0,
    MT_CLIENT_AUTH_OPTIONAL = 1,
    MT_CLIENT_AUTH_REQUIRE = 2,
};

/* Fill cfg with the secure defaults (TLS 1.2 and 1.3, AEAD suites with (EC)DHE, X25519 first). */
void mt_config_defaults(mt_config *cfg);

typedef struct mt_conn mt_conn;

/* A new connection in the client or server role. Errors: -MT_E_NOMEM, -MT_E_INVALID_ARG.
 * `server_name` (client, may be NULL) is sent as SNI. */
MT_WUR int mt_conn_new(const mt_config *cfg, int server, const char *server_name, mt_conn **out);

/* Wipe all secrets and free. NULL is fine. */
void mt_conn_free(mt_conn *c);

/* State word bits. */
enum {
    MT_ST_WANT_INPUT = 1 << 0,  /* feed record bytes */
    MT_ST_HAS_OUTPUT = 1 << 1,  /* mt_conn_out has bytes to send */
    MT_ST_READABLE = 1 << 2,    /* plaintext waits in mt_conn_read */
    MT_ST_WRITABLE = 1 << 3,    /* mt_conn_write accepts plaintext */
    MT_ST_DECISION = 1 << 4,    /* waiting for mt_conn_decide */
    MT_ST_CONNECTED = 1 << 5,   /* handshake done */
    MT_ST_PEER_CLOSED = 1 << 6, /* close_notify received */
    MT_ST_CLOSED = 1 << 7,      /* closed or failed: nothing more moves but output */
    /* A renegotiation is in flight (set with CONNECTED: application data keeps flowing both
     * ways meanwhile): from mt_conn_renegotiate, or from the peer's HelloRequest / ClientHello,
     * until the new handshake's last Finished, or until the peer refuses with no_renegotiation.
     * A server's HelloRequest that the client silently ignores leaves it set. */
    MT_ST_HANDSHAKING = 1 << 8,
    /* The plaintext waiting in mt_conn_read is early data (0-RTT, server): it may be a replay
     * (RFC 8446 8, RFC 8470), the peer is not authenticated yet. Early and later data never
     * share a read: check the bit before each mt_conn_read. */
    MT_ST_EARLY_DATA = 1 << 9,
};

int mt_conn_status(const mt_conn *c);

/* The sticky error (0 if none). */
int mt_conn_error(const mt_conn *c);

/* When the error came from a peer's alert: its description, else -1. */
int mt_conn_peer_alert(const mt_conn *c);

/* Feed received bytes; *used tells how many were taken (fewer while plaintext waits to be
 * read). Errors: the sticky error. */
MT_WUR int mt_conn_feed(mt_conn *c, const uint8_t *data, size_t len, size_t *used);

/* Bytes to send now, or NULL and *len = 0. */
const uint8_t *mt_conn_out(const mt_conn *c, size_t *len);

/* Mark n bytes of mt_conn_out as sent. */
void mt_conn_out_done(mt_conn *c, size_t n);

/* Copy up to `cap` bytes of received plaintext. Returns -MT_E_WANT_READ when none waits,
 * -MT_E_CLOSED after the peer's close_notify, else the sticky error or 0. */
MT_WUR int mt_conn_read(mt_conn *c, uint8_t *buf, size_t cap, size_t *n);

/* Received plaintext without a copy: *p points at the bytes waiting (valid until the next call
 * on c), *n counts them; mt_conn_consume(c, k) then drops the first k. Same returns as
 * mt_conn_read. */
MT_WUR int mt_conn_peek(const mt_conn *c, const uint8_t **p, size_t *n);
void mt_conn_consume(mt_conn *c, size_t k);

/* Release what an idle connection does not need: the record input buffer when it holds no
 * partial record or unread plaintext, the output buffer once sent, empty handshake buffers,
 * and the expanded cipher keys (made again at the next record). For a connection waiting on
 * its peer; costs a key setup per direction at the next record. */
void mt_conn_trim(mt_conn *c);

/* Queue plaintext; *n tells how much was taken (backpressure: less when output is full).
 * Returns -MT_E_WANT_WRITE when nothing could be taken. */
MT_WUR int mt_conn_write(mt_conn *c, const uint8_t *data, size_t len, size_t *n);

/* Queue close_notify; later writes fail with -MT_E_CLOSED. */
MT_WUR int mt_conn_close(mt_conn *c);

/*
 * Start a secure renegotiation (RFC 5746) of a connected TLS 1.2 connection: a server queues a
 * HelloRequest, a client a new ClientHello carrying its last verify_data. The new handshake is
 * always a full one (neither side resumes a session in a renegotiation) and runs under the
 * current keys; the peer's certificate must stay byte-identical (triple handshake, RFC 7627 6.1)
 * and a chain verdict (MT_DECIDE_VERIFY) may be asked again. MT_ST_HANDSHAKING says it runs;
 * mt_conn_info.renegotiations counts those completed; a peer's refusal clears the bit without
 * counting. Errors: -MT_E_INVALID_ARG (not connected, or failed), -MT_E_CLOSED (close_notify
 * sent or received), -MT_E_RENEGOTIATION_PENDING (one is in flight),
 * -MT_E_RENEGOTIATION_DISABLED (config no_renegotiation), -MT_E_RENEGOTIATION_UNSAFE (the peer
 * did not announce RFC 5746, or the connection resumed a session without extended master
 * secret: RFC 7627 5.4).
 *
 * A peer's request is answered when the config allows it and the connection is secure as
 * above; the peer may start at most MT_RENEG_PEER_MAX renegotiations per MT_RENEG_WINDOW
 * seconds. Otherwise it gets a no_renegotiation warning and the connection goes on; the fifth
 * refusal ends it with -MT_E_NO_RENEGOTIATION.
 */
#define MT_RENEG_PEER_MAX 10
#define MT_RENEG_WINDOW 60
MT_WUR int mt_conn_renegotiate(mt_conn *c);

/* TLS 1.3 KeyUpdate (RFC 8446 4.6.3): our sending keys move on; `request` 1 asks the peer to
 * update its own too. Errors: -MT_E_INVALID_ARG (not a connected 1.3 connection),
 * -MT_E_CLOSED (close_notify sent). */
MT_WUR int mt_conn_key_update(mt_conn *c, int request);

/* Server, TLS 1.3: post-handshake client authentication (RFC 8446 4.6.2): queue a
 * CertificateRequest with a fresh certificate_request_context. MT_ST_HANDSHAKING is set until the
 * client's Certificate [CertificateVerify] Finished arrived and checked; a non-empty chain goes
 * through MT_DECIDE_VERIFY like one in the handshake (verify_peer), and then is what
 * mt_conn_peer_chain gives. An empty Certificate ends it with -MT_E_CERTIFICATE_REQUIRED when the
 * config's client_auth is MT_CLIENT_AUTH_REQUIRE, else it is accepted (no chain). Application
 * data keeps flowing both ways meanwhile. Errors: -MT_E_INVALID_ARG (not a connected 1.3 server
 * connection), -MT_E_CLOSED (close_notify sent), -MT_E_PHA_NOT_OFFERED (the client did not send
 * post_handshake_auth), -MT_E_AUTH_PENDING (a request is in flight). */
MT_WUR int mt_conn_request_client_auth(mt_conn *c);

/* Client, TLS 1.3 0-RTT: queue early data (RFC 8446 2.3) under the client_early_traffic_secret,
 * right after a ClientHello that offers a session allowing it (mt_conn_resume with a ticket that
 * carried early_data, and the config's max_early_data). Possible only until the ServerHello is
 * read; takes at most what is left of min(config max_early_data, the ticket's limit) (*n says
 * how much). Whether the server took it shows in mt_conn_info.early_data once connected; early
 * data the server rejected is lost: the application sends it again if it wants.
 * Errors: -MT_E_EARLY_DATA_UNAVAILABLE (no early data offered, or too late), the sticky error. */
MT_WUR int mt_conn_write_early(mt_conn *c, const uint8_t *data, size_t len, size_t *n);

/* Decisions the engine may wait for. */
enum {
    MT_DECIDE_NONE = 0,
    MT_DECIDE_VERIFY = 1,     /* verify the peer chain: mt_conn_peer_chain */
    MT_DECIDE_SELECT = 2,     /* server: choose the configuration for mt_conn_hello's SNI/ALPN
                                 (mt_conn_set_config), or keep it */
    MT_DECIDE_SESSION = 3,    /* server: look up mt_conn_session_id's session
                                 (mt_conn_offer_session), or offer none */
    MT_DECIDE_TICKET = 4,     /* server: the session of mt_conn_ticket's ticket
                                 (mt_conn_offer_session), or none: the built-in keys (and, under
                                 1.3, the cache) are tried next */
    MT_DECIDE_NEW_TICKET = 5, /* server: a ticket for mt_conn_ticket_session's session
                                 (mt_conn_set_ticket), or none: the built-in keys seal one */
};

int mt_conn_decision(const mt_conn *c);

/* Answer the pending decision: 0 to accept (go on), or a negative error to fail the handshake
 * with (-MT_E_UNRECOGNIZED_NAME at MT_DECIDE_SELECT sends unrecognized_name, say). */
MT_WUR int mt_conn_decide(mt_conn *c, int verdict);

/* Server, at MT_DECIDE_SELECT: the name the client asked for ("" if none) and the body of its
 * ALPN extension (the u8-prefixed protocol names; NULL and 0 if it sent none). Both point into
 * engine memory valid until the decision is answered. Errors: -MT_E_INVALID_ARG elsewhere. */
MT_WUR int mt_conn_hello(const mt_conn *c, const char **sni, const uint8_t **alpn,
                         size_t *alpn_len);

/* Server, at MT_DECIDE_SELECT: go on with another configuration (its certificates, suites,
 * ALPN, client authentication, session cache...); it must outlive the connection. Errors:
 * -MT_E_INVALID_ARG elsewhere. */
MT_WUR int mt_conn_set_config(mt_conn *c, const mt_config *cfg);

/* The session id: at MT_DECIDE_SESSION the one the client offers, after a handshake the
 * connection's (server: empty when sessions are not kept). Returns its length (0..32). */
size_t mt_conn_session_id(const mt_conn *c, const uint8_t **id);

/* Server, at MT_DECIDE_SESSION: the session stored under that id, to resume if this hello
 * allows it (same suite, EMS state and SNI; else a full handshake). At MT_DECIDE_TICKET: the
 * session the ticket stands for (any id). Copied. Errors: -MT_E_INVALID_ARG elsewhere or when
 * the session's id differs (MT_DECIDE_SESSION). */
MT_WUR int mt_conn_offer_session(mt_conn *c, const mt_session *s);

/* Server, at MT_DECIDE_TICKET: the ticket the client offers (TLS 1.2 session_ticket, or the
 * first TLS 1.3 PSK identity), in engine memory valid until the decision is answered. Returns
 * its length; 0 elsewhere. */
size_t mt_conn_ticket(const mt_conn *c, const uint8_t **ticket);

/* Server, at MT_DECIDE_NEW_TICKET: the session the new ticket stands for (TLS 1.3: master
 * holds the ticket's PSK, with its age_add and lifetime). Errors: -MT_E_INVALID_ARG elsewhere. */
MT_WUR int mt_conn_ticket_session(const mt_conn *c, mt_session *out);

/* Server, at MT_DECIDE_NEW_TICKET: send this ticket (1..MT_TICKET_MAX bytes), good for
 * `lifetime` seconds (0: the config's; capped at MT_TICKET_LIFETIME_MAX). Errors:
 * -MT_E_INVALID_ARG elsewhere or for a bad length. */
MT_WUR int mt_conn_set_ticket(mt_conn *c, const uint8_t *ticket, size_t len, uint32_t lifetime);

/* The peer's certificate chain as received (leaf first). Returns the count; *der and *len
 * point into engine memory valid until the next call that feeds input. */
size_t mt_conn_peer_chain(const mt_conn *c, size_t i, const uint8_t **der, size_t *len);

/* Client: offer session s for resumption. Call before taking any output (the ClientHello is
 * rebuilt). Errors: -MT_E_INVALID_ARG (server, or output already taken). */
MT_WUR int mt_conn_resume(mt_conn *c, const mt_session *s);

/* The session of a connected connection, for a later mt_conn_resume. Under TLS 1.3 (client
 * only) the last NewSessionTicket the server sent, which may come after the handshake.
 * Errors: -MT_E_INVALID_ARG before the handshake ends or when the server gave no session id
 * (1.3: no ticket yet). */
MT_WUR int mt_conn_session(const mt_conn *c, mt_session *out);

/* SSLKEYLOGFILE lines for this connection (NSS key log format), NUL-terminated, into buf of
 * at least MT_CONN_KEYLOG_MAX bytes: TLS 1.2 one "CLIENT_RANDOM <hex> <hex>\n"; TLS 1.3 five
 * lines, CLIENT_/SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_/SERVER_TRAFFIC_SECRET_0 and
 * EXPORTER_SECRET, after CLIENT_EARLY_TRAFFIC_SECRET when early data was accepted. Errors:
 * -MT_E_INVALID_ARG before the secrets exist (1.3: before the handshake ends) or with a smaller
 * buf. */
#define MT_CONN_KEYLOG_MAX 1200
MT_WUR int mt_conn_keylog(const mt_conn *c, char *buf, size_t size);

/* Negotiated parameters (after the handshake). */
typedef struct mt_conn_info {
    uint16_t version;
    uint16_t suite;
    uint16_t group;
    uint16_t sigalg;
    int ems;
    int etm; /* encrypt_then_mac in use (CBC suites) */
    int resumed;
    unsigned max_fragment;    /* negotiated max_fragment_length in bytes, 0 if none */
    unsigned send_limit;      /* record_size_limit the peer announced (0 if none) */
    unsigned recv_limit;      /* our record_size_limit, in effect (0 if not negotiated) */
    unsigned renegotiations;  /* renegotiations completed on this connection */
    int secure_renegotiation; /* the peer supports RFC 5746 */
    int post_handshake_auth;  /* 1.3: the client offered post_handshake_auth (both sides) */
    unsigned client_auths;    /* server: post-handshake client authentications completed */
    int early_data;           /* MT_EARLY_*: what became of 0-RTT */
    size_t early_bytes;       /* early data bytes sent (client) or received (server) */
    const char *alpn;         /* NUL-terminated, "" if none */
    const char *sni;          /* server: name the client asked for, "" if none */
} mt_conn_info;

/* mt_conn_info.early_data */
enum {
    MT_EARLY_NONE = 0,     /* not offered */
    MT_EARLY_OFFERED = 1,  /* offered, no answer yet */
    MT_EARLY_ACCEPTED = 2, /* the server took the early data */
    MT_EARLY_REJECTED = 3, /* the server refused it (a client's early data is lost) */
};

void mt_conn_get_info(const mt_conn *c, mt_conn_info *info);

/* RFC 5705 keying material exporter. Errors: -MT_E_INVALID_ARG before the handshake ends. */
MT_WUR int mt_conn_export(const mt_conn *c, const char *label, const uint8_t *context,
                          size_t ctx_len, int use_context, uint8_t *out, size_t out_len);

#endif
