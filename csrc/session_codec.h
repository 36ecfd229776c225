/*
 * session_codec.h -- a session as an opaque, versioned string (for a cache in another
 * process or machine), plain or sealed with a 32-byte key.
 *
 * Plain (format 3):  "MTS" 0x03 | content | first 8 bytes of SHA-256("MTS" 0x03 | content)
 * Sealed (format 4): "MTS" 0x04 | nonce[12] | AES-256-GCM(content) | tag[16]
 *                    (additional data: the 4-byte header)
 * content: body | extra
 * body: u16 version | u16 suite | u8 ems | i64 created (big-endian) | opaque sid<0..32> |
 *       opaque master<48> (length byte 48) | opaque sni<0..255> | opaque alpn<0..255>
 * extra: u8 verified | u32 lifetime | u32 age_add | u32 max_early_data |
 *        opaque ticket<0..MT_TICKET_MAX> |
 *        opaque chain<0..MT_SESSION_CHAIN_MAX> (each certificate opaque<1..2^24-1>, leaf
 *        first, as in a TLS 1.2 Certificate message)
 * (Formats 1 and 2, without extra, came before; they and any other give SESSION_FORMAT.)
 * The checksum of format 3 catches damage, not tampering: a plain encoding holds the master
 * secret in the clear and must be stored as such; a shared store should get sealed ones.
 */
#ifndef MT_SESSION_CODEC_H
#define MT_SESSION_CODEC_H

#include "buf.h"
#include "session.h"

#define MT_SESSION_KEY_LEN 32

/* The body alone: at most this many bytes. */
#define MT_SESSION_BODY_MAX (2 + 2 + 1 + 8 + 33 + 49 + 256 + 256)

/* The session's own fields, body | extra without verdict or chain (what a ticket seals): at
 * most this many bytes. Errors as mt_session_encode; reading: -MT_E_DECODE, -MT_E_TRUNCATED,
 * -MT_E_TRAILING, and *s is not wiped on error. */
#define MT_SESSION_FIELDS_MAX (MT_SESSION_BODY_MAX + 1 + 4 + 4 + 4 + 2 + MT_TICKET_MAX + 3)
MT_WUR int mt_session_fields_write(const mt_session *s, mt_wr *w);
MT_WUR int mt_session_fields_read(const uint8_t *p, size_t len, mt_session *s);

/* Most bytes of peer chain an encoding keeps (a longer chain is left out: verified stays). */
#define MT_SESSION_CHAIN_MAX 65536

/* What an encoding keeps beside the session: the verdict on the peer's chain and the chain. */
enum { MT_VERIFIED_NONE = 0, MT_VERIFIED_OK = 1, MT_VERIFIED_FAILED = 2 };
typedef struct mt_session_extra {
    uint8_t verified;     /* MT_VERIFIED_*: FAILED when the chain was accepted unverified */
    const uint8_t *chain; /* the certificates, each with a 3-byte length, leaf first */
    size_t chain_len;     /* 0: none */
} mt_session_extra;

/* Append s's encoding to out; key NULL for the plain form, else 32 bytes to seal with;
 * x may be NULL (no verdict, no chain). Errors: -MT_E_INVALID_ARG (an empty session: no
 * suite; a chain over MT_SESSION_CHAIN_MAX or not a list of 3-byte-length entries),
 * -MT_E_RANDOM, from out. */
MT_WUR int mt_session_encode(const mt_session *s, const mt_session_extra *x, const uint8_t *key,
                             mt_wr *out);

/* Decode p[0..len) into *s (wiped first). key as for encode: a sealed string needs it, a
 * plain one must not be given one. Errors: -MT_E_SESSION_FORMAT (not a moontls session, or
 * a format this version does not know), -MT_E_SESSION_DAMAGED (checksum or tag mismatch:
 * damaged, or sealed with another key), -MT_E_SESSION_KEY (sealed, and no key given; or a
 * key for a plain one), -MT_E_DECODE / -MT_E_TRUNCATED / -MT_E_TRAILING (malformed body). */
MT_WUR int mt_session_decode(const uint8_t *p, size_t len, const uint8_t *key, mt_session *s);

/* mt_session_decode that also gives the verdict and appends the chain (each certificate with
 * its 3-byte length) to chain (a growable writer the caller frees). */
MT_WUR int mt_session_decode_extra(const uint8_t *p, size_t len, const uint8_t *key, mt_session *s,
                                   uint8_t *verified, mt_wr *chain);

#endif
