/*
 * IMPLEMENTATION NOTES
 *
 * The schedule (RFC 8446 7.1) is three HKDF-Extract steps chained by Derive-Secret(.,
 * "derived", ""): Early Secret from the PSK, Handshake Secret from the (EC)DHE secret, Master
 * Secret from zeros. mt_ks13 holds only the current one; every other secret is derived from it
 * by a row of `rows` (label, stage it needs, key log label) and handed to the caller.
 *
 * Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label,
 * Transcript-Hash(Messages), Hash.length): callers pass the transcript hash, not messages, so
 * the engine hashes each message once (mt_ks13_th). An empty transcript ("") is the hash of
 * the empty string.
 *
 * Nettle's digest() resets the context it finishes, so the transcript is read from a copy of
 * its context (a plain struct), which is then wiped.
 */
#include "ks13.h"

#include <string.h>

#include "ct.h"
#include "err.h"

static const struct {
    const char *label;  /* Derive-Secret label, without "tls13 " */
    int stage;          /* the stage secret it comes from */
    const char *keylog; /* NSS key log label, or NULL */
} rows[] = {
    [MT_KS13_C_E_TRAFFIC] = {"c e traffic", MT_KS13_EARLY, "CLIENT_EARLY_TRAFFIC_SECRET"},
    [MT_KS13_E_EXP_MASTER] = {"e exp master", MT_KS13_EARLY, "EARLY_EXPORTER_SECRET"},
    [MT_KS13_C_HS_TRAFFIC] = {"c hs traffic", MT_KS13_HANDSHAKE, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"},
    [MT_KS13_S_HS_TRAFFIC] = {"s hs traffic", MT_KS13_HANDSHAKE, "SERVER_HANDSHAKE_TRAFFIC_SECRET"},
    [MT_KS13_C_AP_TRAFFIC] = {"c ap traffic", MT_KS13_MASTER, "CLIENT_TRAFFIC_SECRET_0"},
    [MT_KS13_S_AP_TRAFFIC] = {"s ap traffic", MT_KS13_MASTER, "SERVER_TRAFFIC_SECRET_0"},
    [MT_KS13_EXP_MASTER] = {"exp master", MT_KS13_MASTER, "EXPORTER_SECRET"},
    [MT_KS13_RES_MASTER] = {"res master", MT_KS13_MASTER, NULL},
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* RFC 8446 B.4: every TLS 1.3 suite hashes with SHA-256 or SHA-384. */
static int hash_ok(const struct nettle_hash *hash)
{
    return hash == &nettle_sha256 || hash == &nettle_sha384;
}

/* hash is usable and `len` is its output length. */
static int sized(const struct nettle_hash *hash, size_t len)
{
    return hash_ok(hash) && len == hash->digest_size;
}

/* Hash(transcript so far || extra); t->ctx is untouched (digest runs on a copy). */
static void digest_copy(const mt_ks13_th *t, const uint8_t *extra, size_t extra_len, uint8_t *out)
{
    mt_hash_ctx c = t->ctx;
    if (extra_len > 0) {
        t->hash->update(&c, extra_len, extra);
    }
    t->hash->digest(&c, t->hash->digest_size, out);
    mt_wipe(&c, sizeof(c));
}

/* Transcript-Hash("") */
static void empty_hash(const struct nettle_hash *hash, uint8_t *out)
{
    mt_ks13_th t;
    t.hash = hash;
    hash->init(&t.ctx);
    digest_copy(&t, NULL, 0, out);
}

/* Derive-Secret(secret, label, "") */
MT_WUR static int derive_empty(const struct nettle_hash *hash, const uint8_t *secret,
                               const char *label, uint8_t *out)
{
    uint8_t eh[MT_KS13_MAX_HASH];
    empty_hash(hash, eh);
    return mt_hkdf_expand_label(hash, secret, label, eh, hash->digest_size, out, hash->digest_size);
}

const struct nettle_hash *mt_ks13_suite_hash(const mt_suite *s)
{
    if (s == NULL || s->kx != MT_KX_TLS13 || !hash_ok(s->prf)) {
        return NULL;
    }
    return s->prf;
}

int mt_ks13_init(mt_ks13 *ks, const struct nettle_hash *hash)
{
    mt_wipe(ks, sizeof(*ks));
    ENSURE(hash_ok(hash), INVALID_ARG);
    ks->hash = hash;
    ks->hlen = hash->digest_size;
    ks->stage = MT_KS13_NONE;
    return 0;
}

int mt_ks13_early(mt_ks13 *ks, const uint8_t *psk, size_t psk_len)
{
    static const uint8_t zeros[MT_KS13_MAX_HASH] = {0};
    ENSURE(ks->hash != NULL && ks->stage == MT_KS13_NONE, INVALID_ARG);
    ENSURE(psk != NULL ? psk_len > 0 && psk_len <= MT_KS13_MAX_PSK : psk_len == 0, INVALID_ARG);
    /* RFC 8446 7.1: without a PSK the input is Hash.length zeros; the salt is 0 as well. */
    if (psk == NULL) {
        psk = zeros;
        psk_len = ks->hlen;
    }
    mt_hkdf_extract(ks->hash, NULL, 0, psk, psk_len, ks->secret);
    ks->stage = MT_KS13_EARLY;
    return 0;
}

int mt_ks13_binder_key(const mt_ks13 *ks, int resumption, uint8_t *out)
{
    ENSURE(ks->hash != NULL && ks->stage == MT_KS13_EARLY, INVALID_ARG);
    /* RFC 8446 7.1: "res binder" for resumption PSKs, "ext binder" for external ones, so a
     * binder made for one kind never validates as the other. */
    return derive_empty(ks->hash, ks->secret, resumption ? "res binder" : "ext binder", out);
}

int mt_ks13_derive(const mt_ks13 *ks, mt_ks13_secret which, const uint8_t *th, size_t th_len,
                   uint8_t *out)
{
    ENSURE((size_t)which < NROWS, INVALID_ARG);
    ENSURE(ks->hash != NULL && ks->stage == rows[which].stage, INVALID_ARG);
    ENSURE(th != NULL && th_len == ks->hlen, INVALID_ARG);
    return mt_hkdf_expand_label(ks->hash, ks->secret, rows[which].label, th, th_len, out, ks->hlen);
}

/* secret <- HKDF-Extract(Derive-Secret(secret, "derived", ""), ikm) */
MT_WUR static int next_stage(mt_ks13 *ks, const uint8_t *ikm, size_t ikm_len)
{
    uint8_t salt[MT_KS13_MAX_HASH];
    int rc = derive_empty(ks->hash, ks->secret, "derived", salt);
    if (rc == 0) {
        mt_hkdf_extract(ks->hash, salt, ks->hlen, ikm, ikm_len, ks->secret);
        ks->stage++;
    }
    mt_wipe(salt, sizeof(salt));
    return rc;
}

int mt_ks13_handshake(mt_ks13 *ks, const uint8_t *dhe, size_t dhe_len)
{
    static const uint8_t zeros[MT_KS13_MAX_HASH] = {0};
    ENSURE(ks->hash != NULL && ks->stage == MT_KS13_EARLY, INVALID_ARG);
    ENSURE(dhe != NULL ? dhe_len > 0 && dhe_len <= MT_KS13_MAX_DHE : dhe_len == 0, INVALID_ARG);
    /* RFC 8446 7.1: psk_ke has no (EC)DHE input; Hash.length zeros stand in. */
    if (dhe == NULL) {
        dhe = zeros;
        dhe_len = ks->hlen;
    }
    return next_stage(ks, dhe, dhe_len);
}

int mt_ks13_master(mt_ks13 *ks)
{
    static const uint8_t zeros[MT_KS13_MAX_HASH] = {0};
    ENSURE(ks->hash != NULL && ks->stage == MT_KS13_HANDSHAKE, INVALID_ARG);
    return next_stage(ks, zeros, ks->hlen);
}

void mt_ks13_wipe(mt_ks13 *ks)
{
    mt_wipe(ks, sizeof(*ks));
}

int mt_ks13_resumption_psk(const struct nettle_hash *hash, const uint8_t *res_master,
                           size_t res_len, const uint8_t *nonce, size_t nonce_len, uint8_t *out)
{
    ENSURE(sized(hash, res_len) && nonce_len <= 255, INVALID_ARG);
    /* RFC 8446 4.6.1: the nonce makes each ticket of a connection a different PSK. */
    return mt_hkdf_expand_label(hash, res_master, "resumption", nonce, nonce_len, out,
                                hash->digest_size);
}

int mt_ks13_traffic_keys(const struct nettle_hash *hash, const uint8_t *secret, size_t secret_len,
                         const mt_aead *aead, uint8_t key[MT_AEAD_MAX_KEY],
                         uint8_t iv[MT_AEAD_NONCE_LEN])
{
    ENSURE(sized(hash, secret_len) && aead != NULL, INVALID_ARG);
    /* RFC 8446 7.3: key = HKDF-Expand-Label(Secret, "key", "", key_length),
     * iv = HKDF-Expand-Label(Secret, "iv", "", iv_length); every suite's nonce is 12 bytes. */
    int rc = mt_hkdf_expand_label(hash, secret, "key", NULL, 0, key, aead->key_len);
    if (rc == 0) {
        rc = mt_hkdf_expand_label(hash, secret, "iv", NULL, 0, iv, MT_AEAD_NONCE_LEN);
    }
    if (rc < 0) {
        mt_wipe(key, aead->key_len);
        mt_wipe(iv, MT_AEAD_NONCE_LEN);
    }
    return rc;
}

int mt_ks13_set_prot(mt_rec_prot *p, const struct nettle_hash *hash, const uint8_t *secret,
                     size_t secret_len, const mt_aead *aead)
{
    uint8_t key[MT_AEAD_MAX_KEY], iv[MT_AEAD_NONCE_LEN];
    int rc = mt_ks13_traffic_keys(hash, secret, secret_len, aead, key, iv);
    if (rc == 0) {
        mt_rec_prot_set(p, aead, 1, key, iv);
    }
    mt_wipe(key, sizeof(key));
    mt_wipe(iv, sizeof(iv));
    return rc;
}

int mt_ks13_finished_key(const struct nettle_hash *hash, const uint8_t *base_key, size_t base_len,
                         uint8_t *out)
{
    ENSURE(sized(hash, base_len), INVALID_ARG);
    return mt_hkdf_expand_label(hash, base_key, "finished", NULL, 0, out, hash->digest_size);
}

int mt_ks13_finished(const struct nettle_hash *hash, const uint8_t *base_key, size_t base_len,
                     const uint8_t *th, size_t th_len, uint8_t *out)
{
    uint8_t fk[MT_KS13_MAX_HASH];
    ENSURE(sized(hash, th_len) && th != NULL, INVALID_ARG);
    GUARD(mt_ks13_finished_key(hash, base_key, base_len, fk));
    /* RFC 8446 4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(...)). */
    mt_hmac_oneshot(hash, fk, hash->digest_size, th, th_len, out);
    mt_wipe(fk, sizeof(fk));
    return 0;
}

int mt_ks13_finished_check(const struct nettle_hash *hash, const uint8_t *base_key, size_t base_len,
                           const uint8_t *th, size_t th_len, const uint8_t *got, size_t got_len)
{
    uint8_t want[MT_KS13_MAX_HASH];
    GUARD(mt_ks13_finished(hash, base_key, base_len, th, th_len, want));
    /* RFC 8446 4.4.4: verify_data is Hash.length bytes; a wrong one is decrypt_error. The
     * length is public (the message header gave it), the contents are compared in constant
     * time. */
    int ok = got_len == hash->digest_size && mt_ct_eq(want, got, hash->digest_size);
    mt_wipe(want, sizeof(want));
    ENSURE(ok, DECRYPT_ERROR);
    return 0;
}

int mt_ks13_update_traffic(const struct nettle_hash *hash, uint8_t *secret, size_t len)
{
    uint8_t next[MT_KS13_MAX_HASH];
    ENSURE(sized(hash, len), INVALID_ARG);
    /* RFC 8446 7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(
     * application_traffic_secret_N, "traffic upd", "", Hash.length). */
    int rc = mt_hkdf_expand_label(hash, secret, "traffic upd", NULL, 0, next, len);
    if (rc == 0) {
        memcpy(secret, next, len);
    }
    mt_wipe(next, sizeof(next));
    return rc;
}

int mt_ks13_export(const struct nettle_hash *hash, const uint8_t *master, size_t master_len,
                   const char *label, const uint8_t *context, size_t ctx_len, uint8_t *out,
                   size_t out_len)
{
    ENSURE(sized(hash, master_len) && label != NULL, INVALID_ARG);
    ENSURE(context != NULL || ctx_len == 0, INVALID_ARG);
    /* RFC 8446 7.1: the label with "tls13 " must fit opaque label<7..255>. */
    ENSURE(strlen(label) <= 255 - 6, INVALID_ARG);
    ENSURE(out_len <= 255 * hash->digest_size, INVALID_ARG);
    uint8_t secret[MT_KS13_MAX_HASH], ch[MT_KS13_MAX_HASH];
    mt_ks13_th t;
    t.hash = hash;
    hash->init(&t.ctx);
    digest_copy(&t, context, ctx_len, ch);
    int rc = derive_empty(hash, master, label, secret);
    if (rc == 0) {
        rc = mt_hkdf_expand_label(hash, secret, "exporter", ch, hash->digest_size, out, out_len);
    }
    mt_wipe(secret, sizeof(secret));
    return rc;
}

/* Append the lowercase hex of n bytes at buf + *at. */
static void put_hex(char *buf, size_t *at, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        buf[(*at)++] = hex[p[i] >> 4];
        buf[(*at)++] = hex[p[i] & 15];
    }
}

int mt_ks13_keylog(char *buf, size_t size, mt_ks13_secret which, const uint8_t client_random[32],
                   const uint8_t *secret, size_t secret_len)
{
    ENSURE((size_t)which < NROWS && rows[which].keylog != NULL, INVALID_ARG);
    ENSURE(secret_len > 0 && secret_len <= MT_KS13_MAX_HASH, INVALID_ARG);
    const char *label = rows[which].keylog;
    size_t llen = strlen(label);
    ENSURE(size >= llen + 1 + 64 + 1 + 2 * secret_len + 2, INVALID_ARG);
    size_t at = llen;
    memcpy(buf, label, llen);
    buf[at++] = ' ';
    put_hex(buf, &at, client_random, 32);
    buf[at++] = ' ';
    put_hex(buf, &at, secret, secret_len);
    buf[at++] = '\n';
    buf[at] = '\0';
    return 0;
}

int mt_ks13_th_init(mt_ks13_th *t, const struct nettle_hash *hash)
{
    mt_wipe(t, sizeof(*t));
    ENSURE(hash_ok(hash), INVALID_ARG);
    t->hash = hash;
    hash->init(&t->ctx);
    return 0;
}

void mt_ks13_th_update(mt_ks13_th *t, const uint8_t *data, size_t len)
{
    if (len > 0) {
        t->hash->update(&t->ctx, len, data);
    }
}

void mt_ks13_th_current(const mt_ks13_th *t, uint8_t *out)
{
    digest_copy(t, NULL, 0, out);
}

void mt_ks13_th_peek(const mt_ks13_th *t, const uint8_t *extra, size_t extra_len, uint8_t *out)
{
    digest_copy(t, extra, extra_len, out);
}

void mt_ks13_th_hrr(mt_ks13_th *t)
{
    /* RFC 8446 4.4.1: message_hash = handshake type 254, uint24 length Hash.length,
     * Hash(ClientHello1). */
    uint8_t msg[4 + MT_KS13_MAX_HASH];
    size_t hlen = t->hash->digest_size;
    msg[0] = 254;
    msg[1] = 0;
    msg[2] = 0;
    msg[3] = (uint8_t)hlen;
    t->hash->digest(&t->ctx, hlen, msg + 4); /* resets ctx to the empty transcript */
    t->hash->update(&t->ctx, 4 + hlen, msg);
}

void mt_ks13_th_wipe(mt_ks13_th *t)
{
    mt_wipe(t, sizeof(*t));
}
