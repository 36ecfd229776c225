#include "cipher.h"

#include <string.h>

#include "ct.h"
#include "err.h"

/* RFC 5288 3 / RFC 6655 3: 4-byte salt + 8-byte explicit nonce. RFC 7905 2: the whole
 * 12-byte nonce is implicit (iv XOR sequence number). */
const mt_aead mt_aead_aes128_gcm = {"AES-128-GCM", 16, 16, 4, 8, &nettle_gcm_aes128};
const mt_aead mt_aead_aes256_gcm = {"AES-256-GCM", 32, 16, 4, 8, &nettle_gcm_aes256};
const mt_aead mt_aead_camellia128_gcm = {"CAMELLIA-128-GCM", 16, 16, 4, 8, &nettle_gcm_camellia128};
const mt_aead mt_aead_camellia256_gcm = {"CAMELLIA-256-GCM", 32, 16, 4, 8, &nettle_gcm_camellia256};
const mt_aead mt_aead_chacha20_poly1305 = {"CHACHA20-POLY1305",    32, 16, 12, 0,
                                           &nettle_chacha_poly1305};
const mt_aead mt_aead_aes128_ccm = {"AES-128-CCM", 16, 16, 4, 8, NULL};
const mt_aead mt_aead_aes256_ccm = {"AES-256-CCM", 32, 16, 4, 8, NULL};
const mt_aead mt_aead_aes128_ccm8 = {"AES-128-CCM8", 16, 8, 4, 8, NULL};
const mt_aead mt_aead_aes256_ccm8 = {"AES-256-CCM8", 32, 8, 4, 8, NULL};

static const mt_aead *const all[] = {
    &mt_aead_aes128_gcm,  &mt_aead_aes256_gcm,      &mt_aead_chacha20_poly1305,
    &mt_aead_aes128_ccm,  &mt_aead_aes256_ccm,      &mt_aead_aes128_ccm8,
    &mt_aead_aes256_ccm8, &mt_aead_camellia128_gcm, &mt_aead_camellia256_gcm,
};

const mt_aead *mt_aead_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcmp(all[i]->name, name) == 0) {
            return all[i];
        }
    }
    return NULL;
}

size_t mt_aead_ctx_size(const mt_aead *a)
{
    if (a->stream) {
        return a->stream->context_size;
    }
    return a->key_len == 16 ? sizeof(struct ccm_aes128_ctx) : sizeof(struct ccm_aes256_ctx);
}

void mt_aead_set_key(const mt_aead *a, mt_aead_ctx *ctx, const uint8_t *key)
{
    if (a->stream) {
        a->stream->set_encrypt_key(ctx, key);
    } else if (a->key_len == 16) {
        ccm_aes128_set_key(&ctx->ccm128, key);
    } else {
        ccm_aes256_set_key(&ctx->ccm256, key);
    }
}

int mt_aead_seal(const mt_aead *a, mt_aead_ctx *ctx, const uint8_t *nonce, const uint8_t *ad,
                 size_t adlen, const uint8_t *in, size_t len, uint8_t *out, size_t out_size)
{
    ENSURE(len <= SIZE_MAX - a->tag_len && out_size >= len + a->tag_len, INVALID_ARG);
    if (a->stream) {
        a->stream->set_nonce(ctx, nonce);
        a->stream->update(ctx, adlen, ad);
        a->stream->encrypt(ctx, len, out, in);
        a->stream->digest(ctx, a->tag_len, out + len);
    } else if (a->key_len == 16) {
        ccm_aes128_encrypt_message(&ctx->ccm128, MT_AEAD_NONCE_LEN, nonce, adlen, ad, a->tag_len,
                                   len + a->tag_len, out, in);
    } else {
        ccm_aes256_encrypt_message(&ctx->ccm256, MT_AEAD_NONCE_LEN, nonce, adlen, ad, a->tag_len,
                                   len + a->tag_len, out, in);
    }
    return 0;
}

int mt_aead_open(const mt_aead *a, mt_aead_ctx *ctx, const uint8_t *nonce, const uint8_t *ad,
                 size_t adlen, const uint8_t *in, size_t len, uint8_t *out, size_t out_size,
                 size_t *out_len)
{
    *out_len = 0;
    ENSURE(len >= a->tag_len, BAD_RECORD_MAC);
    size_t n = len - a->tag_len;
    ENSURE(out_size >= n, INVALID_ARG);
    int ok;
    if (a->stream) {
        uint8_t tag[MT_AEAD_MAX_TAG];
        a->stream->set_nonce(ctx, nonce);
        a->stream->update(ctx, adlen, ad);
        a->stream->decrypt(ctx, n, out, in);
        a->stream->digest(ctx, a->tag_len, tag);
        ok = mt_ct_eq(tag, in + n, a->tag_len);
    } else if (a->key_len == 16) {
        /* nettle compares the CCM tag with memeql_sec */
        ok = ccm_aes128_decrypt_message(&ctx->ccm128, MT_AEAD_NONCE_LEN, nonce, adlen, ad,
                                        a->tag_len, n, out, in);
    } else {
        ok = ccm_aes256_decrypt_message(&ctx->ccm256, MT_AEAD_NONCE_LEN, nonce, adlen, ad,
                                        a->tag_len, n, out, in);
    }
    if (!ok) {
        /* nothing unauthenticated escapes; one code for every cause */
        mt_wipe(out, n);
        return -MT_E_BAD_RECORD_MAC;
    }
    *out_len = n;
    return 0;
}
