/*
 * record.h -- TLS record framing and record protection: AEAD (RFC 5246 6.2,
 * RFC 5288 3, RFC 7905 2, RFC 8446 5) and CBC with a MAC (RFC 5246 6.2.3.2,
 * RFC 7366 encrypt-then-MAC).
 *
 * One mt_rec_prot per direction holds the negotiated protection with its keys
 * and the 64-bit sequence number: either an AEAD (key and implicit IV) or a
 * CBC state of cipher_cbc.h (cipher and MAC keys). With neither set, records
 * pass in the clear (the initial state). mt_rec_seal appends one whole record
 * (header + fragment) to a writer; mt_rec_open authenticates and decrypts one
 * record's fragment in place (mt_rec_open_from: into another buffer).
 *
 * Memory: an AEAD's keyed state (nettle's GCM tables are 4 KiB) lives on the
 * heap, made from the raw key at the first seal or open and released by
 * mt_rec_prot_park while the connection idles; a CBC state lives on the heap
 * from mt_rec_prot_set_cbc on. An mt_rec_prot must start zeroed (or cleared);
 * mt_rec_prot_clear releases what it holds.
 */
#ifndef MT_RECORD_H
#define MT_RECORD_H

#include "buf.h"
#include "cipher.h"
#include "cipher_cbc.h"
#include "mt.h"

enum {
    MT_CT_CHANGE_CIPHER_SPEC = 20,
    MT_CT_ALERT = 21,
    MT_CT_HANDSHAKE = 22,
    MT_CT_APPLICATION_DATA = 23,
};

#define MT_REC_HEADER 5
#define MT_REC_MAX_PLAIN 16384
/* RFC 5246 6.2.3: TLSCiphertext.length <= 2^14 + 2048; RFC 8446 5.2: 2^14 + 256. */
#define MT_REC_MAX_CIPHER12 (16384 + 2048)
#define MT_REC_MAX_CIPHER13 (16384 + 256)
#define MT_REC_MAX (MT_REC_HEADER + MT_REC_MAX_CIPHER12)

typedef struct mt_rec_prot {
    const mt_aead *aead; /* AEAD protection, or NULL */
    int tls13;
    uint8_t key[MT_AEAD_MAX_KEY]; /* AEAD: the key ctx is made from */
    uint8_t iv[MT_AEAD_NONCE_LEN];
    mt_aead_ctx *ctx;     /* AEAD: keyed state (heap, mt_aead_ctx_size bytes), NULL parked */
    mt_cbc_state *cbc_st; /* CBC protection (heap; aead is NULL), or NULL */
    int etm;              /* CBC: encrypt-then-MAC (RFC 7366) */
    uint16_t version;     /* CBC: the only record version accepted and written */
    uint64_t seq;
} mt_rec_prot;

/* Start protecting with `a`: key of a->key_len bytes, iv of a->fixed_iv_len bytes (TLS 1.2) or
 * 12 bytes (TLS 1.3). The sequence number restarts at 0. What p held before is released; the
 * key is expanded at the first seal or open. */
void mt_rec_prot_set(mt_rec_prot *p, const mt_aead *a, int tls13, const uint8_t *key,
                     const uint8_t *iv);

/*
 * Start protecting with CBC: `cipher` and `mac` rows, `dir` MT_CBC_SEAL (write) or MT_CBC_OPEN
 * (read), `enc_key` of cipher->key_len and `mac_key` of mac->mac_len bytes, `etm` nonzero for
 * encrypt-then-MAC. `version` is the negotiated version, TLS 1.1 or 1.2 (explicit IVs only; no
 * chained IV). The sequence number restarts at 0.
 * Errors: -MT_E_INVALID_ARG (NULL rows or keys, another version), -MT_E_NOMEM; p is then
 * unprotected.
 */
MT_WUR int mt_rec_prot_set_cbc(mt_rec_prot *p, const mt_cbc_cipher *cipher, const mt_cbc_mac *mac,
                               int dir, int etm, uint16_t version, const uint8_t *enc_key,
                               const uint8_t *mac_key);

/* 1 when p protects records (AEAD or CBC), 0 in the initial clear state. */
int mt_rec_protected(const mt_rec_prot *p);

/* Back to no protection, keys wiped and released, sequence number 0. */
void mt_rec_prot_clear(mt_rec_prot *p);

/* Release an AEAD's keyed state (wiped) while the connection idles; the next seal or open
 * makes it again from the key. No-op for CBC and clear protection. */
void mt_rec_prot_park(mt_rec_prot *p);

/* Bytes a record adds to its plaintext under p (header included), at most. */
size_t mt_rec_overhead(const mt_rec_prot *p);

/*
 * Protect `len` (<= 2^14) bytes of content `type` and append the record to out. Under TLS 1.3
 * protection the outer type is application_data and the real type goes inside.
 * Errors: -MT_E_INVALID_ARG (too long), -MT_E_BUFFER_FULL/-MT_E_NOMEM from out,
 * -MT_E_INTERNAL when the sequence number would wrap, -MT_E_RANDOM (CBC: no IV), -MT_E_NOMEM
 * (no memory for the keyed state).
 */
MT_WUR int mt_rec_seal(mt_rec_prot *p, uint8_t type, uint16_t version, const uint8_t *in,
                       size_t len, mt_wr *out);

/*
 * Parse a record header. *len is the fragment length. Errors: -MT_E_RECORD_OVERFLOW when the
 * length exceeds the limit for protected or plain records, -MT_E_DECODE for an unknown
 * content type, -MT_E_PROTOCOL_VERSION when the version's major byte is not 3.
 */
MT_WUR int mt_rec_header(const uint8_t hdr[MT_REC_HEADER], const mt_rec_prot *p, uint8_t *type,
                         uint16_t *version, size_t *len);

/*
 * Authenticate and decrypt a fragment in place. `type` is the header's type on input and the
 * real content type on output (TLS 1.3 inner type). The plaintext is frag[*off .. *off+*n).
 * Errors: -MT_E_BAD_RECORD_MAC (any authentication failure; CBC: also bad padding or a length
 * that is not whole blocks, indistinguishable and in constant time), -MT_E_RECORD_OVERFLOW
 * (plaintext over 2^14), -MT_E_UNEXPECTED_MESSAGE (TLS 1.3 record of only padding),
 * -MT_E_PROTOCOL_VERSION (CBC: a record version other than the negotiated one), -MT_E_NOMEM
 * (no memory for the keyed state).
 */
MT_WUR int mt_rec_open(mt_rec_prot *p, uint8_t *type, uint16_t version, uint8_t *frag, size_t len,
                       size_t *off, size_t *n);

/* mt_rec_open reading the fragment from `in` and writing the plaintext to out[*off .. *off+*n)
 * (out holds at least len bytes; in == out is mt_rec_open), so a record still in the caller's
 * buffer needs no copy first. Same errors; on failure nothing unauthenticated is left in out. */
MT_WUR int mt_rec_open_from(mt_rec_prot *p, uint8_t *type, uint16_t version, const uint8_t *in,
                            size_t len, uint8_t *out, size_t *off, size_t *n);

#endif
