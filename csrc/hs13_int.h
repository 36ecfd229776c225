/*
 * hs13_int.h -- what the TLS 1.3 handshake files share (RFC 8446 4): message and extension
 * numbers, signature schemes, the key share, the key schedule steps, Certificate,
 * CertificateVerify and Finished. hs13.c holds the shared parts, the dispatch and the
 * post-handshake messages; hs13_client.c and hs13_server.c the two roles.
 */
#ifndef MT_HS13_INT_H
#define MT_HS13_INT_H

#include "hs12_int.h"

enum {
    HT_END_OF_EARLY_DATA = 5,
    HT_ENCRYPTED_EXTENSIONS = 8,
    HT_KEY_UPDATE = 24,
    HT_MESSAGE_HASH = 254,
};

enum {
    EXT_PRE_SHARED_KEY = 41,
    EXT_EARLY_DATA = 42,
    EXT_SUPPORTED_VERSIONS = 43,
    EXT_COOKIE = 44,
    EXT_PSK_KEX_MODES = 45,
    EXT_CERT_AUTHORITIES = 47,
    EXT_POST_HANDSHAKE_AUTH = 49,
    EXT_SIG_ALGS_CERT = 50,
    EXT_KEY_SHARE = 51,
};

/* RFC 8446 4.1.3: the random of a HelloRetryRequest, SHA-256("HelloRetryRequest"). */
extern const uint8_t mt_hs13_hrr_random[32];

/* 1 if `code` may sign a TLS 1.3 CertificateVerify (RFC 8446 4.2.3: no PKCS#1 v1.5, no SHA-1)
 * and `key` makes it (ECDSA schemes bound to their curve). */
int mt_hs13_key_fits(const mt_key *key, uint16_t code);
/* Our first scheme (preference order) that the peer listed and `key` makes; 0 if none. */
uint16_t mt_hs13_choose_scheme(const mt_config *cfg, const mt_key *key, mt_rd theirs);
/* 1 for a group we can make a key share of (ECDHE or FFDHE). */
int mt_hs13_group_ok(uint16_t group);

/* The ephemeral share in c->kex / c->dh. */
MT_WUR int mt_hs13_share_generate(mt_conn *c, uint16_t group);
void mt_hs13_share_pub(const mt_conn *c, const uint8_t **pub, size_t *len);
/* The (EC)DHE secret with the peer's share (RFC 8446 7.4), wiping our private key.
 * Errors: -MT_E_ILLEGAL_PARAMETER (bad share). */
MT_WUR int mt_hs13_share_derive(mt_conn *c, const uint8_t *peer, size_t n, uint8_t *out,
                                size_t *out_len);
void mt_hs13_share_wipe(mt_conn *c);

/* The transcript hash under the suite's hash; returns its length. */
size_t mt_hs13_th(const mt_conn *c, uint8_t *out);
/* RFC 8446 4.4.1: the transcript (ClientHello1) becomes message_hash(ClientHello1). */
void mt_hs13_th_hrr(mt_conn *c);

/* 0-RTT: the Early Secret of `psk` under `h` into ks, and client_early_traffic_secret from
 * the transcript so far (TH(ClientHello), RFC 8446 7.1) into c_early. */
MT_WUR int mt_hs13_early_secret(mt_conn *c, const struct nettle_hash *h, const uint8_t *psk);
/* After the client Finished entered the transcript: keep it (th_fin, the suite's hash only,
 * when post-handshake authentication was offered) and let nothing else enter. thaw: start one
 * authentication's transcript in a new handshake state (c->h) on top of it. Errors:
 * -MT_E_NOMEM (freeze), -MT_E_INTERNAL (thaw without a frozen transcript or handshake state). */
MT_WUR int mt_hs13_th_freeze(mt_conn *c);
MT_WUR int mt_hs13_th_thaw(mt_conn *c);

/* Handshake Secret from the (EC)DHE secret; c_hs, s_hs from TH(CH..SH). The Early Secret is
 * the one already in ks when resuming with the PSK it was made of (0-RTT). */
MT_WUR int mt_hs13_handshake_secrets(mt_conn *c, const uint8_t *dhe, size_t n);
/* The PSK binder of a ClientHello (RFC 8446 4.2.11.2) for `psk` under `h`: over the
 * transcript so far and `partial`, the hello (with its header) up to its binders list. */
MT_WUR int mt_hs13_binder(const mt_conn *c, const struct nettle_hash *h, const uint8_t *psk,
                          const uint8_t *partial, size_t n, uint8_t *out);
/* Master Secret; c_ap, s_ap, exporter from TH(CH..server Finished). */
MT_WUR int mt_hs13_app_secrets(mt_conn *c);
/* Switch reading (after checking that no handshake bytes of the old keys are left: RFC 8446
 * 5.1, unexpected_message) or writing to a traffic secret. */
MT_WUR int mt_hs13_set_rd(mt_conn *c, const uint8_t *secret);
MT_WUR int mt_hs13_set_wr(mt_conn *c, const uint8_t *secret);

MT_WUR int mt_hs13_send_finished(mt_conn *c);
/* Finished with the finished_key of `base` (a traffic secret: post-handshake authentication
 * uses the client_application_traffic_secret, RFC 8446 4.4). */
MT_WUR int mt_hs13_send_finished_with(mt_conn *c, const uint8_t *base);
MT_WUR int mt_hs13_check_finished_with(mt_conn *c, const uint8_t *base, const uint8_t *body,
                                       size_t len, const uint8_t *raw);
/* Check the peer's Finished (decrypt_error), then add it to the transcript. */
MT_WUR int mt_hs13_check_finished(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *raw);
/* Certificate (RFC 8446 4.4.2) with `ctx` and `chain` (NULL: an empty list). */
MT_WUR int mt_hs13_send_certificate(mt_conn *c, const uint8_t *ctx, size_t ctx_len,
                                    const mt_chain *chain);
/* Parse a Certificate into peer_certs and, when non-empty, peer_key; the context must be
 * `ctx`. */
MT_WUR int mt_hs13_take_certificate(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *ctx,
                                    size_t ctx_len);
MT_WUR int mt_hs13_send_certificate_verify(mt_conn *c, const mt_key *key, uint16_t scheme);
/* Check the peer's CertificateVerify against peer_key, then add it to the transcript. */
MT_WUR int mt_hs13_check_certificate_verify(mt_conn *c, const uint8_t *body, size_t len,
                                            const uint8_t *raw);
/* Handshake over: application data flows. */
void mt_hs13_done(mt_conn *c);

/* Post-handshake authentication (RFC 8446 4.6.2). Client: a CertificateRequest, answered at
 * once (Certificate [CertificateVerify] Finished). Server: the client's answer, one message. */
MT_WUR int mt_hs13_client_pha(mt_conn *c, const uint8_t *body, size_t len, const uint8_t *raw);
MT_WUR int mt_hs13_server_pha(mt_conn *c, uint8_t type, const uint8_t *body, size_t len,
                              const uint8_t *raw);

/* roles */
MT_WUR int mt_hs13_client_message(mt_conn *c, uint8_t type, const uint8_t *body, size_t len,
                                  const uint8_t *raw);
MT_WUR int mt_hs13_server_message(mt_conn *c, uint8_t type, const uint8_t *body, size_t len,
                                  const uint8_t *raw);

#endif
