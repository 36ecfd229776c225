/*
 * hs12_int.h -- what the TLS 1.2 handshake files share: message and extension
 * numbers, signature schemes, extension lists, the key schedule and Finished.
 * hs12.c holds the shared parts and the dispatch, hs12_client.c and
 * hs12_server.c the two roles.
 */
#ifndef MT_HS12_INT_H
#define MT_HS12_INT_H

#include "engine_int.h"

enum {
    HT_HELLO_REQUEST = 0,
    HT_CLIENT_HELLO = 1,
    HT_SERVER_HELLO = 2,
    HT_NEW_SESSION_TICKET = 4, /* RFC 5077 3.3, RFC 8446 4.6.1 */
    HT_CERTIFICATE = 11,
    HT_SERVER_KEY_EXCHANGE = 12,
    HT_CERTIFICATE_REQUEST = 13,
    HT_SERVER_HELLO_DONE = 14,
    HT_CERTIFICATE_VERIFY = 15,
    HT_CLIENT_KEY_EXCHANGE = 16,
    HT_FINISHED = 20,
};

enum {
    EXT_SERVER_NAME = 0,
    EXT_MAX_FRAGMENT_LENGTH = 1,
    EXT_SUPPORTED_GROUPS = 10,
    EXT_EC_POINT_FORMATS = 11,
    EXT_SIGNATURE_ALGORITHMS = 13,
    EXT_ALPN = 16,
    EXT_PADDING = 21,
    EXT_ETM = 22,
    EXT_EMS = 23,
    EXT_RECORD_SIZE_LIMIT = 28,
    EXT_SESSION_TICKET = 35,
    EXT_RENEGOTIATION_INFO = 0xff01,
};

/* A message's extensions, parsed once with duplicates refused (RFC 5246 7.4.1.4). */

#define MAX_EXTS 64

typedef struct ext_list {
    uint16_t type[MAX_EXTS];
    mt_rd data[MAX_EXTS];
    size_t n;
} ext_list;

int mt_hs12_sigalg_of(uint16_t code, mt_sig_alg *alg);
int mt_hs12_key_fits(const mt_key *key, uint16_t code);
int mt_hs12_in_list(const uint16_t *list, size_t n, uint16_t v);
int mt_hs12_has_u16(mt_rd r, uint16_t v);
MT_WUR int mt_hs12_cert_spki(const uint8_t *der, size_t len, const uint8_t **spki, size_t *n);
MT_WUR int mt_hs12_derive_keys(mt_conn *c, const uint8_t *pms, size_t pms_len);
MT_WUR int mt_hs12_activate(mt_conn *c, int for_write);
int mt_hs12_offer_etm(const mt_config *cfg);
/* The key block from the master secret and both randoms (RFC 5246 6.3). */
MT_WUR int mt_hs12_key_block(mt_conn *c);
/* Server: put the finished connection's session in the cache (if any). */
void mt_hs12_cache_session(mt_conn *c);
MT_WUR int mt_hs12_finished_data(mt_conn *c, int from_client, uint8_t out[12]);
MT_WUR int mt_hs12_send_finished(mt_conn *c);
MT_WUR int mt_hs12_check_finished(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *raw);
MT_WUR int mt_hs12_parse_exts(mt_rd *r, ext_list *e);
/* A CertificateVerify body (RFC 5246 7.4.8, RFC 8446 4.4.3): scheme and signature, nothing
 * after; *sig points into body. */
MT_WUR int mt_hs12_read_signed(const uint8_t *body, size_t len, uint16_t *scheme,
                               const uint8_t **sig, size_t *sig_len);
/* Send a CertificateVerify of that shape: scheme and the signature sig. */
MT_WUR int mt_hs12_send_signed(mt_conn *c, uint16_t scheme, const mt_wr *sig);
/* The record_size_limit value of an extension body (RFC 8449 4): < 64 is illegal_parameter;
 * *limit is what a TLS 1.2 record may carry under it (at most 2^14), less `minus` bytes. */
MT_WUR int mt_hs12_read_rsl(mt_rd d, size_t minus, size_t *limit);
/* max_fragment_length code 1..4 to bytes (RFC 6066 4), 0 for anything else. */
size_t mt_hs12_mfl_bytes(uint8_t code);
MT_WUR int mt_hs12_take_certificates(mt_conn *c, const uint8_t *body, size_t len);
/* After a Certificate in a renegotiation: the peer's leaf is the one of the earlier handshakes
 * (-MT_E_PEER_CERT_CHANGED otherwise). */
MT_WUR int mt_hs12_check_peer_leaf(const mt_conn *c);

/* client (hs12_client.c) */
MT_WUR int mt_hs12_build_client_hello(mt_conn *c, mt_wr *w);
MT_WUR int mt_hs12_take_server_alpn(mt_conn *c, mt_rd d);
MT_WUR int mt_hs12_on_server_hello(mt_conn *c, const uint8_t *body, size_t len);
MT_WUR int mt_hs12_on_server_certificate(mt_conn *c, const uint8_t *body, size_t len);
MT_WUR int mt_hs12_on_server_key_exchange(mt_conn *c, const uint8_t *body, size_t len);
MT_WUR int mt_hs12_on_certificate_request(mt_conn *c, const uint8_t *body, size_t len);
MT_WUR int mt_hs12_on_server_hello_done(mt_conn *c, size_t len);
/* NewSessionTicket (RFC 5077 3.3): the ticket kept for mt_conn_session. */
MT_WUR int mt_hs12_on_new_session_ticket(mt_conn *c, const uint8_t *body, size_t len);

/* server (hs12_server.c) */
MT_WUR int mt_hs12_take_sni(mt_conn *c, mt_rd d);
MT_WUR int mt_hs12_choose_alpn(mt_conn *c, mt_rd d);
void mt_hs12_limit_records(mt_conn *c);
/* May return MT_HS_AGAIN (a decision holds the message back). */
MT_WUR int mt_hs12_on_client_hello(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *raw);
MT_WUR int mt_hs12_on_client_key_exchange(mt_conn *c, const uint8_t *body, size_t len);

/* client certificates, both roles (hs12_cauth.c) */
MT_WUR int mt_hs12_send_certificate_request(mt_conn *c);
MT_WUR int mt_hs12_on_client_certificate(mt_conn *c, const uint8_t *body, size_t len);
MT_WUR int mt_hs12_on_certificate_verify(mt_conn *c, const uint8_t *body, size_t len);
MT_WUR int mt_hs12_client_auth_done(const mt_conn *c);
MT_WUR int mt_hs12_choose_client_chain(mt_conn *c, mt_rd types, mt_rd algs);
MT_WUR int mt_hs12_send_client_certificate(mt_conn *c);
MT_WUR int mt_hs12_send_certificate_verify(mt_conn *c);

/* TLS 1.3 entry points the 1.2 code calls (hs13*.c) */
/* Client: generate the key share (and legacy session id) when the hello offers 1.3. */
MT_WUR int mt_hs13_client_prepare(mt_conn *c);
/* Client: the PSK binder (RFC 8446 4.2.11.2) into the last bytes of a hello body offering a
 * ticket; nothing otherwise. */
MT_WUR int mt_hs13_client_binder(mt_conn *c, mt_wr *body);
/* After the ClientHello went out: 0-RTT keys when it offers early data (RFC 8446 2.3). */
MT_WUR int mt_hs13_client_early_start(mt_conn *c);
/* Client: supported_versions, key_share (and cookie) at the end of the hello's extensions. */
MT_WUR int mt_hs13_client_hello_exts(mt_conn *c, mt_wr *w);
/* Client, first ServerHello of a hello offering 1.3: MT_HS13_TLS12 when the server chose 1.2
 * (downgrade sentinel checked, 1.3 state dropped), else handled as 1.3. */
#define MT_HS13_TLS12 2
MT_WUR int mt_hs13_client_server_hello(mt_conn *c, const uint8_t *body, size_t len,
                                       const uint8_t *raw);
/* Server: whether this ClientHello negotiates 1.3 (*v13), or protocol_version. */
MT_WUR int mt_hs13_server_version(mt_conn *c, const ext_list *e, int *v13);
MT_WUR int mt_hs13_on_client_hello(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *raw);

#endif
