/*
 * cipher_cbc.h -- CBC record protection for TLS 1.0-1.2 and SSL 3.0.
 *
 * Two small tables: block ciphers (AES-128/256, Camellia-128/256 in CBC mode)
 * and record MACs (HMAC-SHA1/SHA256/SHA384, and the SSL 3.0 MAC with SHA-1 of
 * RFC 6101 5.2.3.1 for SSL 3.0 opt-in). A suite picks one row of each; an
 * mt_cbc_state holds the keys of one direction (write or read).
 *
 * Record layouts (RFC 5246 6.2.3.2, RFC 4346 6.2.3.2, RFC 2246 6.2.3.2,
 * RFC 6101 5.2.3.2, RFC 7366 3), with n the block length:
 *   MAC-then-encrypt: [IV] || E(fragment || MAC || padding || padding_length)
 *   encrypt-then-MAC: [IV] || E(fragment || padding || padding_length) || MAC
 * The explicit IV is present from TLS 1.1 (0x0302) on; TLS 1.0 and SSL 3.0
 * chain the IV: the last ciphertext block of one record is the IV of the next,
 * kept in the state.
 *
 * CONSTANT TIME: mt_cbc_open with MAC-then-encrypt runs in time that depends
 * only on public values (record length, version, rows), never on the padding
 * value or on where the MAC sits in the decrypted record (Lucky 13,
 * CVE-2013-0169). See IMPLEMENTATION NOTES in cipher_cbc.c. Every failure to
 * authenticate or unpad is -MT_E_BAD_RECORD_MAC, with the output wiped.
 *
 * The state is plain memory with no pointers into itself: a copy is a valid
 * independent state. A state whose seal or open failed is unchanged.
 */
#ifndef MT_CIPHER_CBC_H
#define MT_CIPHER_CBC_H

#include <nettle/aes.h>
#include <nettle/camellia.h>
#include <nettle/nettle-meta.h>

#include "mt.h"
#include "prf.h"

/* Protocol versions as on the wire. */
#define MT_CBC_SSL30 0x0300
#define MT_CBC_TLS10 0x0301
#define MT_CBC_TLS11 0x0302
#define MT_CBC_TLS12 0x0303

#define MT_CBC_MAX_BLOCK 16
#define MT_CBC_MAX_KEY 32
#define MT_CBC_MAX_MAC 48
/* RFC 5246 6.2.1: TLSPlaintext.length <= 2^14. */
#define MT_CBC_MAX_PLAINTEXT 16384
/* RFC 5246 6.2.3: TLSCiphertext.length <= 2^14 + 2048. */
#define MT_CBC_MAX_CIPHERTEXT (16384 + 2048)

/* A block cipher used in CBC mode. */
typedef struct mt_cbc_cipher {
    const char *name; /* "AES-128-CBC", ... */
    uint8_t key_len;
    uint8_t block_len;
    const struct nettle_cipher *meta;
} mt_cbc_cipher;

extern const mt_cbc_cipher mt_cbc_aes128, mt_cbc_aes256, mt_cbc_camellia128, mt_cbc_camellia256;

/* Hash behind a record MAC (selects how the constant-time path reads the hash state). */
enum mt_cbc_hash { MT_CBC_SHA1 = 1, MT_CBC_SHA256, MT_CBC_SHA384 };

/* A record MAC: HMAC (TLS) or the SSL 3.0 MAC. Key length = MAC length. */
typedef struct mt_cbc_mac {
    const char *name; /* "HMAC-SHA1", ..., "SSL3-SHA1" */
    uint8_t mac_len;
    uint8_t ssl3;     /* 1: RFC 6101 5.2.3.1 construction, valid only with version 0x0300 */
    uint8_t ssl3_pad; /* SSL 3.0 pad_1/pad_2 length (40 for SHA-1) */
    uint8_t kind;     /* enum mt_cbc_hash */
    const struct nettle_hash *hash;
} mt_cbc_mac;

extern const mt_cbc_mac mt_cbc_hmac_sha1, mt_cbc_hmac_sha256, mt_cbc_hmac_sha384, mt_cbc_ssl3_sha1;

/* The cipher or MAC row named `name` (case-sensitive), or NULL. */
const mt_cbc_cipher *mt_cbc_cipher_by_name(const char *name);
const mt_cbc_mac *mt_cbc_mac_by_name(const char *name);

typedef union mt_cbc_cipher_ctx {
    struct aes128_ctx aes128;
    struct aes256_ctx aes256;
    struct camellia128_ctx camellia128;
    struct camellia256_ctx camellia256;
} mt_cbc_cipher_ctx;

/* Flags of mt_cbc_state. */
#define MT_CBC_F_KEYED 1u   /* mt_cbc_init succeeded */
#define MT_CBC_F_ENCRYPT 2u /* write direction (seal); otherwise read (open) */
#define MT_CBC_F_IV 4u      /* a chained IV was given: TLS 1.0 / SSL 3.0 records allowed */

/* Keys and chained IV of one direction. Wipe with mt_cbc_wipe. */
typedef struct mt_cbc_state {
    const mt_cbc_cipher *cipher;
    const mt_cbc_mac *mac;
    unsigned flags;
    mt_cbc_cipher_ctx ctx;           /* encryption or decryption key schedule */
    mt_hash_ctx inner, outer;        /* HMAC: hash states after key^ipad, key^opad */
    uint8_t mac_key[MT_CBC_MAX_MAC]; /* SSL 3.0 MAC: the raw MAC_write_secret */
    uint8_t iv[MT_CBC_MAX_BLOCK];    /* TLS 1.0 / SSL 3.0: the next record's IV */
} mt_cbc_state;

/* Direction for mt_cbc_init. */
enum mt_cbc_dir { MT_CBC_OPEN = 0, MT_CBC_SEAL = 1 };

/*
 * Key `st` for one direction. `enc_key` has cipher->key_len bytes, `mac_key`
 * mac->mac_len bytes (RFC 5246 6.3 key block order is the caller's business).
 * `iv` (cipher->block_len bytes) is the TLS 1.0 / SSL 3.0 IV from the key
 * block, or NULL when only TLS 1.1+ records will be protected.
 * Errors: -MT_E_INVALID_ARG for a NULL row, key or state, or an unknown dir.
 */
MT_WUR int mt_cbc_init(mt_cbc_state *st, const mt_cbc_cipher *cipher, const mt_cbc_mac *mac,
                       int dir, const uint8_t *enc_key, const uint8_t *mac_key, const uint8_t *iv);

/* Wipe every key, IV and flag of `st` (NULL is allowed); it must be re-keyed to be used. */
void mt_cbc_wipe(mt_cbc_state *st);

/*
 * Length of the TLSCiphertext fragment that mt_cbc_seal produces for a `len`-byte
 * plaintext (minimal padding), or 0 if `version` is not 0x0300-0x0303.
 */
size_t mt_cbc_sealed_len(const mt_cbc_state *st, uint16_t version, int etm, size_t len);

/*
 * Protect one record. `version` is the record's ProtocolVersion (0x0300 SSL 3.0,
 * 0x0301 TLS 1.0, 0x0302 / 0x0303 TLS 1.1 / 1.2), `seq` the 64-bit sequence
 * number, `type` the ContentType, `in` the plaintext fragment of `len` <= 2^14
 * bytes, `etm` nonzero when encrypt_then_mac (RFC 7366) was negotiated.
 * Writes the fragment to `out` (capacity `out_size`, at least
 * mt_cbc_sealed_len; must not overlap in) and its length to `*out_len`. TLS 1.1+ draws a fresh
 * random IV; TLS 1.0 / SSL 3.0 use and advance the chained IV. TLS pads
 * minimally with bytes equal to padding_length; SSL 3.0 pads minimally with
 * random bytes.
 * Errors: -MT_E_INVALID_ARG (state not keyed for sealing, unknown version, SSL 3.0
 * with an HMAC row or with etm, TLS with the SSL 3.0 MAC, TLS 1.0 / SSL 3.0
 * without a chained IV, len > 2^14, out too small), -MT_E_RANDOM.
 */
MT_WUR int mt_cbc_seal(mt_cbc_state *st, uint16_t version, uint64_t seq, uint8_t type, int etm,
                       const uint8_t *in, size_t len, uint8_t *out, size_t out_size,
                       size_t *out_len);

/*
 * Authenticate and decrypt one record fragment `in` of `len` bytes (the
 * TLSCiphertext fragment, header excluded); arguments as for mt_cbc_seal.
 * `out` (capacity `out_size`) must hold the whole decrypted body: len minus
 * the explicit IV (and minus the MAC with etm); MT_CBC_MAX_CIPHERTEXT is
 * always enough; out must not overlap in. On success the plaintext is
 * out[0..*out_len) and the rest of the decrypted body (MAC, padding) is zeroed.
 * MAC-then-encrypt is constant time (see top).
 * Errors: -MT_E_BAD_RECORD_MAC for every authentication failure: bad MAC, bad
 * padding, a length that is not a whole number of blocks or too short to hold
 * IV, MAC and padding (out is wiped, *out_len is 0); -MT_E_RECORD_OVERFLOW
 * when len > 2^14 + 2048 or the authenticated plaintext exceeds 2^14;
 * -MT_E_INVALID_ARG as for mt_cbc_seal (state not keyed for opening, out too small).
 */
MT_WUR int mt_cbc_open(mt_cbc_state *st, uint16_t version, uint64_t seq, uint8_t type, int etm,
                       const uint8_t *in, size_t len, uint8_t *out, size_t out_size,
                       size_t *out_len);

/*
 * Tests only: when non-NULL, called with the length of every hash update the
 * record MAC code makes (inner, outer, SSL 3.0 and constant-time block
 * updates alike), so a test can show that the hash work of open() does not
 * depend on padding. Not thread-safe; leave NULL in production.
 */
extern void (*mt_cbc_hash_hook)(size_t len);

#endif
