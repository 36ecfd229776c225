/* Sessions as opaque, versioned strings: see session_codec.h for the format. */
#include <nettle/gcm.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "err.h"
#include "rng.h"
#include "session_codec.h"
#include "suites.h"

enum { FORMAT_PLAIN = 3, FORMAT_SEALED = 4 };
#define HEADER_LEN 4
#define CHECK_LEN 8
#define NONCE_LEN 12
#define TAG_LEN 16
#define CONTENT_MAX (MT_SESSION_FIELDS_MAX + MT_SESSION_CHAIN_MAX)

static void header(uint8_t h[HEADER_LEN], uint8_t format)
{
    h[0] = 'M';
    h[1] = 'T';
    h[2] = 'S';
    h[3] = format;
}

MT_WUR static int body_write(const mt_session *s, mt_wr *w)
{
    size_t sni = strnlen(s->sni, sizeof(s->sni)), alpn = strnlen(s->alpn, sizeof(s->alpn));
    ENSURE(s->suite != 0 && s->sid_len <= 32 && sni < sizeof(s->sni) && alpn < sizeof(s->alpn),
           INVALID_ARG);
    GUARD(mt_wr_u16(w, s->version));
    GUARD(mt_wr_u16(w, s->suite));
    GUARD(mt_wr_u8(w, s->ems));
    uint64_t t = (uint64_t)s->created;
    GUARD(mt_wr_u32(w, (uint32_t)(t >> 32)));
    GUARD(mt_wr_u32(w, (uint32_t)t));
    GUARD(mt_wr_u8(w, s->sid_len));
    GUARD(mt_wr_bytes(w, s->sid, s->sid_len));
    GUARD(mt_wr_u8(w, sizeof(s->master)));
    GUARD(mt_wr_bytes(w, s->master, sizeof(s->master)));
    GUARD(mt_wr_u8(w, (uint8_t)sni));
    GUARD(mt_wr_bytes(w, s->sni, sni));
    GUARD(mt_wr_u8(w, (uint8_t)alpn));
    GUARD(mt_wr_bytes(w, s->alpn, alpn));
    return mt_wr_finish(w);
}

/* A name field: no NUL inside (the struct keeps it NUL-terminated). */
MT_WUR static int read_name(mt_rd *r, char *out)
{
    mt_rd v;
    GUARD(mt_rd_vec8(r, &v));
    size_t n = mt_rd_left(&v);
    GUARD(mt_rd_copy(&v, out, n));
    ENSURE(memchr(out, 0, n) == NULL, DECODE);
    out[n] = '\0';
    return 0;
}

/* The body's fields, leaving r after them. */
MT_WUR static int body_fields(mt_rd *r, mt_session *s)
{
    mt_rd v;
    uint32_t hi, lo;
    GUARD(mt_rd_u16(r, &s->version));
    GUARD(mt_rd_u16(r, &s->suite));
    GUARD(mt_rd_u8(r, &s->ems));
    GUARD(mt_rd_u32(r, &hi));
    GUARD(mt_rd_u32(r, &lo));
    s->created = (int64_t)((uint64_t)hi << 32 | lo);
    ENSURE((s->version == MT_TLS12 || s->version == MT_TLS13) && s->ems <= 1, DECODE);
    ENSURE(mt_suite_by_id(s->suite) != NULL, DECODE);
    GUARD(mt_rd_vec(r, 1, 0, 32, &v));
    s->sid_len = (uint8_t)mt_rd_left(&v);
    GUARD(mt_rd_copy(&v, s->sid, s->sid_len));
    GUARD(mt_rd_vec(r, 1, sizeof(s->master), sizeof(s->master), &v));
    GUARD(mt_rd_copy(&v, s->master, sizeof(s->master)));
    GUARD(read_name(r, s->sni));
    return read_name(r, s->alpn);
}

/* A chain: entries of opaque<1..2^24-1>, nothing left over. */
MT_WUR static int check_chain(const uint8_t *p, size_t len)
{
    mt_rd r, v;
    mt_rd_init(&r, p, len);
    while (mt_rd_left(&r)) {
        GUARD(mt_rd_vec(&r, 3, 1, 0xffffff, &v));
    }
    return 0;
}

/* body | extra, into w */
MT_WUR static int content_write(const mt_session *s, const mt_session_extra *x, mt_wr *w)
{
    static const mt_session_extra none = {0, NULL, 0};
    if (!x) {
        x = &none;
    }
    ENSURE(x->verified <= MT_VERIFIED_FAILED && s->ticket_len <= sizeof(s->ticket), INVALID_ARG);
    ENSURE(x->chain_len <= MT_SESSION_CHAIN_MAX && (x->chain || !x->chain_len), INVALID_ARG);
    if (x->chain_len) {
        ENSURE(check_chain(x->chain, x->chain_len) == 0, INVALID_ARG);
    }
    GUARD(body_write(s, w));
    GUARD(mt_wr_u8(w, x->verified));
    GUARD(mt_wr_u32(w, s->lifetime));
    GUARD(mt_wr_u32(w, s->age_add));
    GUARD(mt_wr_u32(w, s->max_early_data));
    GUARD(mt_wr_u16(w, s->ticket_len));
    GUARD(mt_wr_bytes(w, s->ticket, s->ticket_len));
    GUARD(mt_wr_u24(w, (uint32_t)x->chain_len));
    GUARD(mt_wr_bytes(w, x->chain, x->chain_len));
    return mt_wr_finish(w);
}

MT_WUR static int content_read(const uint8_t *p, size_t len, mt_session *s, uint8_t *verified,
                               mt_wr *chain)
{
    mt_rd r, v;
    uint8_t vf;
    mt_rd_init(&r, p, len);
    GUARD(body_fields(&r, s));
    GUARD(mt_rd_u8(&r, &vf));
    ENSURE(vf <= MT_VERIFIED_FAILED, DECODE);
    GUARD(mt_rd_u32(&r, &s->lifetime));
    GUARD(mt_rd_u32(&r, &s->age_add));
    GUARD(mt_rd_u32(&r, &s->max_early_data));
    GUARD(mt_rd_vec(&r, 2, 0, MT_TICKET_MAX, &v));
    s->ticket_len = (uint16_t)mt_rd_left(&v);
    GUARD(mt_rd_copy(&v, s->ticket, s->ticket_len));
    GUARD(mt_rd_vec(&r, 3, 0, MT_SESSION_CHAIN_MAX, &v));
    size_t n = mt_rd_left(&v);
    ENSURE(check_chain(v.p + v.off, n) == 0, DECODE);
    GUARD(mt_rd_end(&r));
    if (verified) {
        *verified = vf;
    }
    if (chain) {
        GUARD(mt_wr_bytes(chain, v.p + v.off, n));
    }
    return 0;
}

int mt_session_fields_write(const mt_session *s, mt_wr *w)
{
    return content_write(s, NULL, w);
}

int mt_session_fields_read(const uint8_t *p, size_t len, mt_session *s)
{
    return content_read(p, len, s, NULL, NULL);
}

int mt_session_encode(const mt_session *s, const mt_session_extra *x, const uint8_t *key,
                      mt_wr *out)
{
    uint8_t h[HEADER_LEN];
    mt_wr content;
    mt_wr_init_growable(&content, CONTENT_MAX);
    int rc = content_write(s, x, &content);
    if (rc == 0 && !key) {
        uint8_t sum[SHA256_DIGEST_SIZE];
        struct sha256_ctx hc;
        header(h, FORMAT_PLAIN);
        sha256_init(&hc);
        sha256_update(&hc, HEADER_LEN, h);
        sha256_update(&hc, content.len, content.p);
        sha256_digest(&hc, sizeof(sum), sum);
        BAIL(rc, mt_wr_bytes(out, h, HEADER_LEN));
        BAIL(rc, mt_wr_bytes(out, content.p, content.len));
        BAIL(rc, mt_wr_bytes(out, sum, CHECK_LEN));
    } else if (rc == 0) {
        uint8_t nonce[NONCE_LEN], *ct;
        struct gcm_aes256_ctx g;
        header(h, FORMAT_SEALED);
        BAIL(rc, mt_rng_bytes(nonce, sizeof(nonce)));
        BAIL(rc, mt_wr_bytes(out, h, HEADER_LEN));
        BAIL(rc, mt_wr_bytes(out, nonce, NONCE_LEN));
        BAIL(rc, mt_wr_reserve(out, content.len + TAG_LEN, &ct));
        gcm_aes256_set_key(&g, key);
        gcm_aes256_set_iv(&g, NONCE_LEN, nonce);
        gcm_aes256_update(&g, HEADER_LEN, h);
        gcm_aes256_encrypt(&g, content.len, ct, content.p);
        gcm_aes256_digest(&g, TAG_LEN, ct + content.len);
        mt_wipe(&g, sizeof(g));
    }
out:
    mt_wr_free(&content); /* wiped */
    return rc;
}

int mt_session_decode_extra(const uint8_t *p, size_t len, const uint8_t *key, mt_session *s,
                            uint8_t *verified, mt_wr *chain)
{
    mt_session_wipe(s);
    if (verified) {
        *verified = MT_VERIFIED_NONE;
    }
    ENSURE(len >= HEADER_LEN && memcmp(p, "MTS", 3) == 0, SESSION_FORMAT);
    ENSURE(p[3] == FORMAT_PLAIN || p[3] == FORMAT_SEALED, SESSION_FORMAT);
    ENSURE((p[3] == FORMAT_SEALED) == (key != NULL), SESSION_KEY);
    int rc;
    if (p[3] == FORMAT_PLAIN) {
        uint8_t sum[SHA256_DIGEST_SIZE];
        struct sha256_ctx hc;
        ENSURE(len >= HEADER_LEN + CHECK_LEN, TRUNCATED);
        size_t n = len - CHECK_LEN;
        sha256_init(&hc);
        sha256_update(&hc, n, p);
        sha256_digest(&hc, sizeof(sum), sum);
        ENSURE(mt_ct_eq(sum, p + n, CHECK_LEN), SESSION_DAMAGED);
        rc = content_read(p + HEADER_LEN, n - HEADER_LEN, s, verified, chain);
    } else {
        uint8_t tag[TAG_LEN], *pt;
        struct gcm_aes256_ctx g;
        ENSURE(len >= HEADER_LEN + NONCE_LEN + TAG_LEN, TRUNCATED);
        size_t n = len - HEADER_LEN - NONCE_LEN - TAG_LEN;
        ENSURE(n <= CONTENT_MAX, SESSION_DAMAGED);
        pt = malloc(n ? n : 1);
        ENSURE(pt != NULL, NOMEM);
        gcm_aes256_set_key(&g, key);
        gcm_aes256_set_iv(&g, NONCE_LEN, p + HEADER_LEN);
        gcm_aes256_update(&g, HEADER_LEN, p);
        gcm_aes256_decrypt(&g, n, pt, p + HEADER_LEN + NONCE_LEN);
        gcm_aes256_digest(&g, TAG_LEN, tag);
        mt_wipe(&g, sizeof(g));
        if (!mt_ct_eq(tag, p + len - TAG_LEN, TAG_LEN)) {
            rc = -MT_E_SESSION_DAMAGED;
        } else {
            rc = content_read(pt, n, s, verified, chain);
        }
        mt_wipe(pt, n);
        free(pt);
    }
    if (rc < 0) {
        mt_session_wipe(s);
        if (verified) {
            *verified = MT_VERIFIED_NONE;
        }
    }
    return rc;
}

int mt_session_decode(const uint8_t *p, size_t len, const uint8_t *key, mt_session *s)
{
    return mt_session_decode_extra(p, len, key, s, NULL, NULL);
}
