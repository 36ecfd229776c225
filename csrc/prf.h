/*
 * prf.h -- HMAC, the TLS pseudo-random functions and the TLS 1.3 HKDF schedule.
 *
 * Hashes are nettle's `const struct nettle_hash *` (&nettle_sha256, ...).
 * All intermediate state is wiped before returning.
 */
#ifndef MT_PRF_H
#define MT_PRF_H

#include <nettle/md5.h>
#include <nettle/nettle-meta.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include "mt.h"

#define MT_HASH_MAX_LEN 64

/* HMAC state for any hash up to SHA-512. */
typedef union mt_hash_ctx {
    struct md5_ctx md5;
    struct sha1_ctx sha1;
    struct sha256_ctx sha256;
    struct sha512_ctx sha512;
} mt_hash_ctx;

typedef struct mt_hmac_ctx {
    const struct nettle_hash *hash;
    mt_hash_ctx outer, inner, state;
} mt_hmac_ctx;

void mt_hmac_init(mt_hmac_ctx *h, const struct nettle_hash *hash, const uint8_t *key,
                  size_t keylen);
void mt_hmac_update(mt_hmac_ctx *h, const uint8_t *data, size_t len);
/* Writes hash->digest_size bytes and resets h for another message under the same key. */
void mt_hmac_digest(mt_hmac_ctx *h, uint8_t *out);
void mt_hmac_wipe(mt_hmac_ctx *h);

/* One-shot HMAC; out receives hash->digest_size bytes. */
void mt_hmac_oneshot(const struct nettle_hash *hash, const uint8_t *key, size_t keylen,
                     const uint8_t *data, size_t len, uint8_t *out);

/*
 * TLS 1.2 PRF (RFC 5246 5): P_hash(secret, label || seed) for out_len bytes, with seed given in
 * two parts (e.g. client_random, server_random). Errors: -MT_E_INVALID_ARG for a NULL hash.
 */
MT_WUR int mt_prf_tls12(const struct nettle_hash *hash, const uint8_t *secret, size_t slen,
                        const char *label, const uint8_t *seed1, size_t s1len, const uint8_t *seed2,
                        size_t s2len, uint8_t *out, size_t out_len);

/* TLS 1.0/1.1 PRF (RFC 2246 5): P_MD5(S1, ...) XOR P_SHA1(S2, ...). */
MT_WUR int mt_prf_tls10(const uint8_t *secret, size_t slen, const char *label, const uint8_t *seed1,
                        size_t s1len, const uint8_t *seed2, size_t s2len, uint8_t *out,
                        size_t out_len);

/* HKDF-Extract (RFC 5869 2.2); prk receives hash->digest_size bytes. salt may be NULL/0. */
void mt_hkdf_extract(const struct nettle_hash *hash, const uint8_t *salt, size_t salt_len,
                     const uint8_t *ikm, size_t ikm_len, uint8_t *prk);

/* HKDF-Expand (RFC 5869 2.3). Errors: -MT_E_INVALID_ARG when out_len > 255 * hash length. */
MT_WUR int mt_hkdf_expand(const struct nettle_hash *hash, const uint8_t *prk, size_t prk_len,
                          const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);

/* HKDF-Expand-Label (RFC 8446 7.1) with the "tls13 " prefix; label and context of at most 255
 * bytes. Errors: -MT_E_INVALID_ARG. */
MT_WUR int mt_hkdf_expand_label(const struct nettle_hash *hash, const uint8_t *secret,
                                const char *label, const uint8_t *context, size_t ctx_len,
                                uint8_t *out, size_t out_len);

#endif
