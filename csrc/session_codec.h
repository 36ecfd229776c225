/*
 * session_codec.h -- a session as an opaque, versioned string (for a cache in another
 * process or machine), plain or sealed with a 32-byte key.
 *
 * Plain (format 1):  "MTS" 0x01 | body | first 8 bytes of SHA-256("MTS" 0x01 | body)
 * Sealed (format 2): "MTS" 0x02 | nonce[12] | AES-256-GCM(body) | tag[16]
 *                    (additional data: the 4-byte header)
 * body: u16 version | u16 suite | u8 ems | i64 created (big-endian) | opaque sid<0..32> |
 *       opaque master<48> (length byte 48) | opaque sni<0..255> | opaque alpn<0..255>
 * The checksum of format 1 catches damage, not tampering: a plain encoding holds the master
 * secret in the clear and must be stored as such; a shared store should get sealed ones.
 */
#ifndef MT_SESSION_CODEC_H
#define MT_SESSION_CODEC_H

#include "buf.h"
#include "session.h"

#define MT_SESSION_KEY_LEN 32

/* The body alone (also what a session ticket seals): at most this many bytes. */
#define MT_SESSION_BODY_MAX (2 + 2 + 1 + 8 + 33 + 49 + 256 + 256)
MT_WUR int mt_session_body_write(const mt_session *s, mt_wr *w);
/* Errors: -MT_E_DECODE, -MT_E_TRUNCATED, -MT_E_TRAILING. *s is not wiped on error. */
MT_WUR int mt_session_body_read(const uint8_t *p, size_t len, mt_session *s);

/* Append s's encoding to out; key NULL for the plain form, else 32 bytes to seal with.
 * Errors: -MT_E_INVALID_ARG (an empty session: no suite), -MT_E_RANDOM, from out. */
MT_WUR int mt_session_encode(const mt_session *s, const uint8_t *key, mt_wr *out);

/* Decode p[0..len) into *s (wiped first). key as for encode: a sealed string needs it, a
 * plain one must not be given one. Errors: -MT_E_SESSION_FORMAT (not a moontls session, or
 * a format this version does not know), -MT_E_SESSION_DAMAGED (checksum or tag mismatch:
 * damaged, or sealed with another key), -MT_E_SESSION_KEY (sealed, and no key given; or a
 * key for a plain one), -MT_E_DECODE / -MT_E_TRUNCATED / -MT_E_TRAILING (malformed body). */
MT_WUR int mt_session_decode(const uint8_t *p, size_t len, const uint8_t *key, mt_session *s);

#endif
