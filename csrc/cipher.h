/*
 * cipher.h -- record protection: AEAD algorithms as vtables.
 *
 * Each row wraps one nettle AEAD behind the same interface, with a 12-byte
 * nonce (TLS 1.2's salt || explicit part, TLS 1.3's iv XOR sequence; the
 * record layer builds it) and the tag appended to the ciphertext. open()
 * checks the tag in constant time and, on failure, wipes what it decrypted
 * and returns -MT_E_BAD_RECORD_MAC, the same code and timing for any cause.
 */
#ifndef MT_CIPHER_H
#define MT_CIPHER_H

#include <nettle/aes.h>
#include <nettle/camellia.h>
#include <nettle/ccm.h>
#include <nettle/chacha-poly1305.h>
#include <nettle/gcm.h>
#include <nettle/nettle-meta.h>

#include "mt.h"

#define MT_AEAD_NONCE_LEN 12
#define MT_AEAD_MAX_KEY 32
#define MT_AEAD_MAX_TAG 16

/* Keyed state for any row; opaque to callers. */
typedef union mt_aead_ctx {
    struct gcm_aes128_ctx gcm128;
    struct gcm_aes256_ctx gcm256;
    struct gcm_camellia128_ctx gcmc128;
    struct gcm_camellia256_ctx gcmc256;
    struct ccm_aes128_ctx ccm128;
    struct ccm_aes256_ctx ccm256;
    struct chacha_poly1305_ctx chacha;
} mt_aead_ctx;

typedef struct mt_aead {
    const char *name; /* "AES-128-GCM", ... */
    uint8_t key_len;
    uint8_t tag_len;
    /* TLS 1.2 nonce split (RFC 5288 3, RFC 6655 3, RFC 7905 2): implicit salt from the key
     * block and explicit per-record part carried in the record. */
    uint8_t fixed_iv_len;
    uint8_t record_iv_len;
    /* nettle's streaming AEAD (GCM, ChaCha20-Poly1305), or NULL for CCM (one-shot calls). */
    const struct nettle_aead *stream;
} mt_aead;

extern const mt_aead mt_aead_aes128_gcm, mt_aead_aes256_gcm, mt_aead_chacha20_poly1305,
    mt_aead_aes128_ccm, mt_aead_aes256_ccm, mt_aead_aes128_ccm8, mt_aead_aes256_ccm8,
    mt_aead_camellia128_gcm, mt_aead_camellia256_gcm;

/* The row named `name` (case-sensitive, as in mt_aead.name), or NULL. */
const mt_aead *mt_aead_by_name(const char *name);

/* Bytes of an mt_aead_ctx that row a uses (its member of the union). */
size_t mt_aead_ctx_size(const mt_aead *a);

/* Key ctx for row a (key of a->key_len bytes); ctx holds at least mt_aead_ctx_size(a) bytes. */
void mt_aead_set_key(const mt_aead *a, mt_aead_ctx *ctx, const uint8_t *key);

/* Seal with bounds checks: out_size must hold len + tag_len. Errors: -MT_E_INVALID_ARG. */
MT_WUR int mt_aead_seal(const mt_aead *a, mt_aead_ctx *ctx, const uint8_t *nonce, const uint8_t *ad,
                        size_t adlen, const uint8_t *in, size_t len, uint8_t *out, size_t out_size);

/* Open with bounds checks: *out_len receives len - tag_len. Errors: -MT_E_BAD_RECORD_MAC for
 * a short input or a bad tag (indistinguishable), -MT_E_INVALID_ARG for a small out. */
MT_WUR int mt_aead_open(const mt_aead *a, mt_aead_ctx *ctx, const uint8_t *nonce, const uint8_t *ad,
                        size_t adlen, const uint8_t *in, size_t len, uint8_t *out, size_t out_size,
                        size_t *out_len);

#endif
