#include "prf.h"

#include <nettle/hmac.h>
#include <string.h>

#include "buf.h"
#include "ct.h"
#include "err.h"

void mt_hmac_init(mt_hmac_ctx *h, const struct nettle_hash *hash, const uint8_t *key, size_t keylen)
{
    h->hash = hash;
    hmac_set_key(&h->outer, &h->inner, &h->state, hash, keylen, key);
}

void mt_hmac_update(mt_hmac_ctx *h, const uint8_t *data, size_t len)
{
    hmac_update(&h->state, h->hash, len, data);
}

void mt_hmac_digest(mt_hmac_ctx *h, uint8_t *out)
{
    hmac_digest(&h->outer, &h->inner, &h->state, h->hash, h->hash->digest_size, out);
}

void mt_hmac_wipe(mt_hmac_ctx *h)
{
    mt_wipe(h, sizeof(*h));
}

void mt_hmac_oneshot(const struct nettle_hash *hash, const uint8_t *key, size_t keylen,
                     const uint8_t *data, size_t len, uint8_t *out)
{
    mt_hmac_ctx h;
    mt_hmac_init(&h, hash, key, keylen);
    mt_hmac_update(&h, data, len);
    mt_hmac_digest(&h, out);
    mt_hmac_wipe(&h);
}

/* P_hash (RFC 5246 5): A(i) = HMAC(secret, A(i-1)), output HMAC(secret, A(i) || seed); XORed
 * into out so TLS 1.0's two halves can share it. */
static void p_hash_xor(const struct nettle_hash *hash, const uint8_t *secret, size_t slen,
                       const char *label, const uint8_t *s1, size_t s1len, const uint8_t *s2,
                       size_t s2len, uint8_t *out, size_t out_len)
{
    mt_hmac_ctx h;
    uint8_t a[MT_HASH_MAX_LEN], block[MT_HASH_MAX_LEN];
    size_t dlen = hash->digest_size;
    size_t llen = strlen(label);
    mt_hmac_init(&h, hash, secret, slen);
    /* A(1) = HMAC(secret, label || seed) */
    mt_hmac_update(&h, (const uint8_t *)label, llen);
    mt_hmac_update(&h, s1, s1len);
    mt_hmac_update(&h, s2, s2len);
    mt_hmac_digest(&h, a);
    for (size_t done = 0; done < out_len;) {
        mt_hmac_update(&h, a, dlen);
        mt_hmac_update(&h, (const uint8_t *)label, llen);
        mt_hmac_update(&h, s1, s1len);
        mt_hmac_update(&h, s2, s2len);
        mt_hmac_digest(&h, block);
        size_t take = out_len - done < dlen ? out_len - done : dlen;
        for (size_t i = 0; i < take; i++) {
            out[done + i] ^= block[i];
        }
        done += take;
        mt_hmac_update(&h, a, dlen);
        mt_hmac_digest(&h, a);
    }
    mt_hmac_wipe(&h);
    mt_wipe(a, sizeof(a));
    mt_wipe(block, sizeof(block));
}

int mt_prf_tls12(const struct nettle_hash *hash, const uint8_t *secret, size_t slen,
                 const char *label, const uint8_t *seed1, size_t s1len, const uint8_t *seed2,
                 size_t s2len, uint8_t *out, size_t out_len)
{
    ENSURE(hash != NULL && hash->digest_size <= MT_HASH_MAX_LEN, INVALID_ARG);
    memset(out, 0, out_len);
    p_hash_xor(hash, secret, slen, label, seed1, s1len, seed2, s2len, out, out_len);
    return 0;
}

int mt_prf_tls10(const uint8_t *secret, size_t slen, const char *label, const uint8_t *seed1,
                 size_t s1len, const uint8_t *seed2, size_t s2len, uint8_t *out, size_t out_len)
{
    /* RFC 2246 5: S1 and S2 are the two halves of the secret, sharing a middle byte when its
     * length is odd. */
    size_t half = (slen + 1) / 2;
    memset(out, 0, out_len);
    p_hash_xor(&nettle_md5, secret, half, label, seed1, s1len, seed2, s2len, out, out_len);
    p_hash_xor(&nettle_sha1, secret + (slen - half), half, label, seed1, s1len, seed2, s2len, out,
               out_len);
    return 0;
}

void mt_hkdf_extract(const struct nettle_hash *hash, const uint8_t *salt, size_t salt_len,
                     const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
{
    static const uint8_t zeros[MT_HASH_MAX_LEN] = {0};
    /* RFC 5869 2.2: an absent salt is HashLen zeros. */
    if (salt == NULL || salt_len == 0) {
        salt = zeros;
        salt_len = hash->digest_size;
    }
    mt_hmac_oneshot(hash, salt, salt_len, ikm, ikm_len, prk);
}

int mt_hkdf_expand(const struct nettle_hash *hash, const uint8_t *prk, size_t prk_len,
                   const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    size_t dlen = hash->digest_size;
    ENSURE(out_len <= 255 * dlen, INVALID_ARG);
    mt_hmac_ctx h;
    uint8_t t[MT_HASH_MAX_LEN];
    size_t tlen = 0;
    mt_hmac_init(&h, hash, prk, prk_len);
    for (size_t done = 0, i = 1; done < out_len; i++) {
        uint8_t counter = (uint8_t)i;
        mt_hmac_update(&h, t, tlen);
        mt_hmac_update(&h, info, info_len);
        mt_hmac_update(&h, &counter, 1);
        mt_hmac_digest(&h, t);
        tlen = dlen;
        size_t take = out_len - done < dlen ? out_len - done : dlen;
        memcpy(out + done, t, take);
        done += take;
    }
    mt_hmac_wipe(&h);
    mt_wipe(t, sizeof(t));
    return 0;
}

int mt_hkdf_expand_label(const struct nettle_hash *hash, const uint8_t *secret, const char *label,
                         const uint8_t *context, size_t ctx_len, uint8_t *out, size_t out_len)
{
    /* RFC 8446 7.1: HkdfLabel = uint16 length, opaque label<7..255> = "tls13 " + Label,
     * opaque context<0..255>. */
    uint8_t info[2 + 1 + 255 + 1 + 255];
    mt_wr w;
    mt_wr_init_fixed(&w, info, sizeof(info));
    ENSURE(out_len <= 0xffff, INVALID_ARG);
    GUARD(mt_wr_u16(&w, (uint16_t)out_len));
    GUARD(mt_wr_open(&w, 1));
    GUARD(mt_wr_bytes(&w, "tls13 ", 6));
    GUARD(mt_wr_bytes(&w, label, strlen(label)));
    GUARD(mt_wr_close(&w));
    GUARD(mt_wr_open(&w, 1));
    GUARD(mt_wr_bytes(&w, context, ctx_len));
    GUARD(mt_wr_close(&w));
    return mt_hkdf_expand(hash, secret, hash->digest_size, info, w.len, out, out_len);
}
