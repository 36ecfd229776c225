/*
 * ks13.h -- the TLS 1.3 key schedule (RFC 8446 7) and the transcript hash (RFC 8446 4.4.1).
 *
 * For the author of hs13_client.c / hs13_server.c, the order of calls (RFC 8446 7.1 figure):
 *
 *   mt_ks13_init(&ks, mt_ks13_suite_hash(suite))
 *   mt_ks13_early(&ks, psk, psk_len)            PSK or NULL/0 (no PSK: HashLen zeros)
 *     mt_ks13_binder_key(&ks, resumption, bk)   -> binder = mt_ks13_finished(hash, bk, ...)
 *     mt_ks13_derive(&ks, MT_KS13_C_E_TRAFFIC, TH(ClientHello), ...)      0-RTT only
 *     mt_ks13_derive(&ks, MT_KS13_E_EXP_MASTER, TH(ClientHello), ...)     0-RTT only
 *   mt_ks13_handshake(&ks, dhe, dhe_len)        (EC)DHE shared secret, NULL/0 for psk_ke
 *     mt_ks13_derive(&ks, MT_KS13_C_HS_TRAFFIC / S_HS_TRAFFIC, TH(ClientHello..ServerHello))
 *   mt_ks13_master(&ks)
 *     mt_ks13_derive(&ks, MT_KS13_C_AP_TRAFFIC / S_AP_TRAFFIC / EXP_MASTER,
 *                    TH(ClientHello..server Finished))
 *     mt_ks13_derive(&ks, MT_KS13_RES_MASTER, TH(ClientHello..client Finished))
 *   mt_ks13_wipe(&ks)
 *
 * Each stage step replaces (and wipes) the previous stage secret, so derive what a stage
 * gives before moving on; a call at the wrong stage fails with -MT_E_INVALID_ARG. Traffic
 * secrets are the caller's to keep (for KeyUpdate) and to wipe; mt_ks13_set_prot turns one into
 * record protection (keys and IV via "key"/"iv", RFC 8446 7.3).
 *
 * TH(...) is a transcript hash from an mt_ks13_th, which runs over whole handshake messages
 * (type, length and body; no record headers, no ChangeCipherSpec). The suite, and so the hash,
 * is known only from ServerHello: a client keeps its ClientHello bytes (or runs one mt_ks13_th
 * per hash) until then. After a HelloRetryRequest, call mt_ks13_th_hrr once ClientHello1 has been
 * added and before the HelloRetryRequest is. For a PSK binder (RFC 8446 4.2.11.2) the transcript
 * is the one so far plus the ClientHello up to the binders list: mt_ks13_th_peek gives it
 * without adding the partial message.
 *
 * Lengths: a transcript hash, a stage-derived secret or a traffic secret is always
 * hash->digest_size bytes (32 or 48, at most MT_KS13_MAX_HASH); functions take the length of
 * what they read and fail with -MT_E_INVALID_ARG when it is not that, and write
 * hash->digest_size bytes to `out` unless said otherwise. Only SHA-256 and SHA-384 are accepted.
 * Every intermediate secret is wiped before returning; the Finished check is constant time.
 */
#ifndef MT_KS13_H
#define MT_KS13_H

#include <nettle/nettle-meta.h>

#include "cipher.h"
#include "mt.h"
#include "prf.h"
#include "record.h"
#include "suites.h"

#define MT_KS13_MAX_HASH 48  /* SHA-384 */
#define MT_KS13_MAX_PSK 512  /* external PSKs; resumption PSKs are HashLen */
#define MT_KS13_MAX_DHE 1024 /* ffdhe8192; (EC)DHE secrets are 32..66 bytes */
/* "CLIENT_HANDSHAKE_TRAFFIC_SECRET <64 hex> <96 hex>\n" and its NUL */
#define MT_KS13_KEYLOG_MAX 195

/* Stages of the schedule: which secret mt_ks13.secret holds. */
enum { MT_KS13_NONE = 0, MT_KS13_EARLY, MT_KS13_HANDSHAKE, MT_KS13_MASTER };

typedef struct mt_ks13 {
    const struct nettle_hash *hash;   /* &nettle_sha256 or &nettle_sha384 */
    size_t hlen;                      /* hash->digest_size */
    int stage;                        /* MT_KS13_* */
    uint8_t secret[MT_KS13_MAX_HASH]; /* Early, Handshake or Master Secret */
} mt_ks13;

/* The secrets Derive-Secret gives from a stage secret and a transcript hash (RFC 8446 7.1). */
typedef enum mt_ks13_secret {
    MT_KS13_C_E_TRAFFIC,  /* client_early_traffic_secret, Early Secret, TH(ClientHello) */
    MT_KS13_E_EXP_MASTER, /* early_exporter_master_secret, Early Secret, TH(ClientHello) */
    MT_KS13_C_HS_TRAFFIC, /* client_handshake_traffic_secret, Handshake Secret, TH(CH..SH) */
    MT_KS13_S_HS_TRAFFIC, /* server_handshake_traffic_secret, Handshake Secret, TH(CH..SH) */
    MT_KS13_C_AP_TRAFFIC, /* client_application_traffic_secret_0, Master, TH(CH..server Fin) */
    MT_KS13_S_AP_TRAFFIC, /* server_application_traffic_secret_0, Master, TH(CH..server Fin) */
    MT_KS13_EXP_MASTER,   /* exporter_master_secret, Master Secret, TH(CH..server Finished) */
    MT_KS13_RES_MASTER,   /* resumption_master_secret, Master Secret, TH(CH..client Finished) */
} mt_ks13_secret;

/* The hash of a TLS 1.3 suite (SHA-256 or SHA-384), or NULL for a NULL or non-1.3 suite. */
const struct nettle_hash *mt_ks13_suite_hash(const mt_suite *s);

/* Start an empty schedule for `hash`. Errors: -MT_E_INVALID_ARG (hash not SHA-256/384). */
MT_WUR int mt_ks13_init(mt_ks13 *ks, const struct nettle_hash *hash);

/* Early Secret = HKDF-Extract(0, PSK) (RFC 8446 7.1). psk NULL and psk_len 0 when no PSK is
 * used (HashLen zeros). Errors: -MT_E_INVALID_ARG (stage not NONE, psk_len 0 with a PSK, or
 * over MT_KS13_MAX_PSK). */
MT_WUR int mt_ks13_early(mt_ks13 *ks, const uint8_t *psk, size_t psk_len);

/* binder_key = Derive-Secret(Early Secret, "res binder" or "ext binder", "") (RFC 8446 7.1):
 * `resumption` 1 for a ticket's PSK, 0 for an external PSK. The binder itself is
 * mt_ks13_finished(hash, binder_key, ..., TH(Truncate(ClientHello))) (RFC 8446 4.2.11.2).
 * Errors: -MT_E_INVALID_ARG (stage not EARLY). */
MT_WUR int mt_ks13_binder_key(const mt_ks13 *ks, int resumption, uint8_t *out);

/* Derive-Secret(stage secret, label of `which`, th) (RFC 8446 7.1). Errors: -MT_E_INVALID_ARG
 * (wrong stage for `which`, unknown `which`, th_len not the hash length). */
MT_WUR int mt_ks13_derive(const mt_ks13 *ks, mt_ks13_secret which, const uint8_t *th, size_t th_len,
                          uint8_t *out);

/* Early -> Handshake Secret = HKDF-Extract(Derive-Secret(Early, "derived", ""), (EC)DHE)
 * (RFC 8446 7.1); dhe NULL and dhe_len 0 in psk_ke mode (HashLen zeros). The Early Secret is
 * wiped. Errors: -MT_E_INVALID_ARG (stage not EARLY, dhe_len 0 with a secret or over
 * MT_KS13_MAX_DHE). */
MT_WUR int mt_ks13_handshake(mt_ks13 *ks, const uint8_t *dhe, size_t dhe_len);

/* Handshake -> Master Secret = HKDF-Extract(Derive-Secret(Handshake, "derived", ""), 0)
 * (RFC 8446 7.1). The Handshake Secret is wiped. Errors: -MT_E_INVALID_ARG (stage not
 * HANDSHAKE). */
MT_WUR int mt_ks13_master(mt_ks13 *ks);

/* Wipe the stage secret; ks is back to an uninitialised (NONE) state. */
void mt_ks13_wipe(mt_ks13 *ks);

/* Resumption PSK of a NewSessionTicket: HKDF-Expand-Label(resumption_master_secret,
 * "resumption", ticket_nonce, Hash.length) (RFC 8446 4.6.1). Errors: -MT_E_INVALID_ARG (hash,
 * res_len, nonce over 255 bytes). */
MT_WUR int mt_ks13_resumption_psk(const struct nettle_hash *hash, const uint8_t *res_master,
                                  size_t res_len, const uint8_t *nonce, size_t nonce_len,
                                  uint8_t *out);

/* Traffic key and IV of a traffic secret for `aead` (RFC 8446 7.3): key receives
 * aead->key_len bytes ("key"), iv MT_AEAD_NONCE_LEN bytes ("iv"). The caller wipes them.
 * Errors: -MT_E_INVALID_ARG (hash, secret_len, NULL aead). */
MT_WUR int mt_ks13_traffic_keys(const struct nettle_hash *hash, const uint8_t *secret,
                                size_t secret_len, const mt_aead *aead,
                                uint8_t key[MT_AEAD_MAX_KEY], uint8_t iv[MT_AEAD_NONCE_LEN]);

/* mt_ks13_traffic_keys, then mt_rec_prot_set(p, aead, tls13 = 1, key, iv); key and IV wiped.
 * The sequence number restarts at 0 (RFC 8446 5.3). Errors: as mt_ks13_traffic_keys; p is
 * left unchanged then. */
MT_WUR int mt_ks13_set_prot(mt_rec_prot *p, const struct nettle_hash *hash, const uint8_t *secret,
                            size_t secret_len, const mt_aead *aead);

/* finished_key = HKDF-Expand-Label(base_key, "finished", "", Hash.length) (RFC 8446 4.4.4).
 * base_key is the sender's handshake traffic secret, or a binder_key. Errors:
 * -MT_E_INVALID_ARG (hash, base_len). */
MT_WUR int mt_ks13_finished_key(const struct nettle_hash *hash, const uint8_t *base_key,
                                size_t base_len, uint8_t *out);

/* verify_data = HMAC(finished_key(base_key), th) (RFC 8446 4.4.4); also a PSK binder.
 * Errors: -MT_E_INVALID_ARG (hash, base_len, th_len). */
MT_WUR int mt_ks13_finished(const struct nettle_hash *hash, const uint8_t *base_key,
                            size_t base_len, const uint8_t *th, size_t th_len, uint8_t *out);

/* Check a received verify_data (or binder) of got_len bytes against mt_ks13_finished.
 * CONSTANT TIME in the contents of got. Errors: -MT_E_DECRYPT_ERROR (wrong value or
 * length; RFC 8446 4.4.4, 6.2), -MT_E_INVALID_ARG (hash, base_len, th_len). */
MT_WUR int mt_ks13_finished_check(const struct nettle_hash *hash, const uint8_t *base_key,
                                  size_t base_len, const uint8_t *th, size_t th_len,
                                  const uint8_t *got, size_t got_len);

/* KeyUpdate (RFC 8446 7.2): secret <- HKDF-Expand-Label(secret, "traffic upd", "", Hash.length)
 * in place; the old secret is gone. Errors: -MT_E_INVALID_ARG (hash, len); secret unchanged. */
MT_WUR int mt_ks13_update_traffic(const struct nettle_hash *hash, uint8_t *secret, size_t len);

/* TLS-Exporter(label, context, out_len) = HKDF-Expand-Label(Derive-Secret(exporter_master,
 * label, ""), "exporter", Hash(context), out_len) (RFC 8446 7.5); no context and an empty one
 * are the same in TLS 1.3. `label` is a C string of at most 249 bytes (the "tls13 " prefix
 * makes 255). Use exporter_master_secret, or early_exporter_master_secret for 0-RTT.
 * Errors: -MT_E_INVALID_ARG (hash, master_len, label, out_len over 255 * Hash.length). */
MT_WUR int mt_ks13_export(const struct nettle_hash *hash, const uint8_t *master, size_t master_len,
                          const char *label, const uint8_t *context, size_t ctx_len, uint8_t *out,
                          size_t out_len);

/* SSLKEYLOGFILE line for a TLS 1.3 secret (NSS key log format: "LABEL <client_random hex>
 * <secret hex>\n", NUL-terminated) into buf of at least MT_KS13_KEYLOG_MAX bytes. Labels:
 * CLIENT_EARLY_TRAFFIC_SECRET, EARLY_EXPORTER_SECRET, CLIENT_HANDSHAKE_TRAFFIC_SECRET,
 * SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0,
 * EXPORTER_SECRET. Errors: -MT_E_INVALID_ARG (MT_KS13_RES_MASTER or unknown `which`,
 * secret_len 0 or over MT_KS13_MAX_HASH, small buf). */
MT_WUR int mt_ks13_keylog(char *buf, size_t size, mt_ks13_secret which,
                          const uint8_t client_random[32], const uint8_t *secret,
                          size_t secret_len);

/* Running transcript hash (RFC 8446 4.4.1). */
typedef struct mt_ks13_th {
    const struct nettle_hash *hash;
    mt_hash_ctx ctx;
} mt_ks13_th;

/* Start an empty transcript. Errors: -MT_E_INVALID_ARG (hash not SHA-256/384). */
MT_WUR int mt_ks13_th_init(mt_ks13_th *t, const struct nettle_hash *hash);

/* Add `len` bytes (whole handshake messages, or consecutive parts of them). */
void mt_ks13_th_update(mt_ks13_th *t, const uint8_t *data, size_t len);

/* The hash of everything added so far (hash->digest_size bytes); t is unchanged. */
void mt_ks13_th_current(const mt_ks13_th *t, uint8_t *out);

/* The hash of everything added so far followed by `extra`, without adding it (PSK binders:
 * extra is the ClientHello up to its binders list). */
void mt_ks13_th_peek(const mt_ks13_th *t, const uint8_t *extra, size_t extra_len, uint8_t *out);

/* HelloRetryRequest (RFC 8446 4.4.1): replace the transcript, which must hold exactly
 * ClientHello1, by message_hash = 254 || 00 00 Hash.length || Hash(ClientHello1). */
void mt_ks13_th_hrr(mt_ks13_th *t);

/* Forget the transcript state. */
void mt_ks13_th_wipe(mt_ks13_th *t);

#endif
