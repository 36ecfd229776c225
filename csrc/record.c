/*
 * IMPLEMENTATION NOTES
 *
 * Nonces: TLS 1.2 GCM/CCM (RFC 5288 3, RFC 6655 3) use salt(4) || explicit(8),
 * and the explicit part we send is the sequence number, so a nonce never
 * repeats under one key. ChaCha20-Poly1305 (RFC 7905 2) and TLS 1.3 (RFC
 * 8446 5.3) XOR the big-endian sequence number into the right end of a 12-byte
 * IV and carry nothing in the record.
 *
 * Additional data: TLS 1.2 (RFC 5246 6.2.3.3) seq(8) || type || version ||
 * plaintext length; TLS 1.3 (RFC 8446 5.2) the record header itself.
 *
 * CBC (RFC 5246 6.2.3.2, RFC 7366): cipher_cbc.c builds and checks the
 * fragment (explicit random IV, MAC, padding; MAC-then-encrypt opened in
 * constant time); this file adds the header, the limits and the sequence
 * number. mt_cbc_open must not decrypt in place, so a CBC fragment is opened
 * into a stack buffer and the plaintext copied to the output (back over the
 * fragment when opening in place: it is shorter), and the buffer wiped. The MAC input uses the
 * header's version, which must be the negotiated one: TLS 1.0's chained IV is never set up here.
 *
 * Sequence numbers must not wrap (RFC 5246 6.1, RFC 8446 5.3): sealing or
 * opening with seq 2^64-1 fails, and the connection must rekey or close long
 * before; the engine enforces the lower AEAD limits.
 */
#include "record.h"

#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "err.h"

void mt_rec_prot_set(mt_rec_prot *p, const mt_aead *a, int tls13, const uint8_t *key,
                     const uint8_t *iv)
{
    mt_rec_prot_clear(p);
    p->aead = a;
    p->tls13 = tls13;
    memcpy(p->key, key, a->key_len);
    memcpy(p->iv, iv, tls13 ? MT_AEAD_NONCE_LEN : a->fixed_iv_len);
}

int mt_rec_prot_set_cbc(mt_rec_prot *p, const mt_cbc_cipher *cipher, const mt_cbc_mac *mac, int dir,
                        int etm, uint16_t version, const uint8_t *enc_key, const uint8_t *mac_key)
{
    mt_rec_prot_clear(p);
    /* RFC 4346 6.2.3.2: from TLS 1.1 on every record carries its own IV. */
    ENSURE(version == MT_CBC_TLS11 || version == MT_CBC_TLS12, INVALID_ARG);
    mt_cbc_state *st = calloc(1, sizeof(*st));
    ENSURE(st != NULL, NOMEM);
    int rc = mt_cbc_init(st, cipher, mac, dir, enc_key, mac_key, NULL);
    if (rc < 0) {
        mt_cbc_wipe(st);
        free(st);
        return rc;
    }
    p->cbc_st = st;
    p->etm = etm ? 1 : 0;
    p->version = version;
    return 0;
}

int mt_rec_protected(const mt_rec_prot *p)
{
    return p->aead != NULL || p->cbc_st != NULL;
}

void mt_rec_prot_park(mt_rec_prot *p)
{
    if (p->ctx) {
        mt_wipe(p->ctx, mt_aead_ctx_size(p->aead));
        free(p->ctx);
        p->ctx = NULL;
    }
}

void mt_rec_prot_clear(mt_rec_prot *p)
{
    mt_rec_prot_park(p);
    if (p->cbc_st) {
        mt_cbc_wipe(p->cbc_st);
        free(p->cbc_st);
    }
    mt_wipe(p, sizeof(*p));
}

/* The AEAD's keyed state, made from the key when parked. */
MT_WUR static int keyed(mt_rec_prot *p)
{
    if (!p->ctx) {
        p->ctx = malloc(mt_aead_ctx_size(p->aead));
        ENSURE(p->ctx != NULL, NOMEM);
        mt_aead_set_key(p->aead, p->ctx, p->key);
    }
    return 0;
}

size_t mt_rec_overhead(const mt_rec_prot *p)
{
    if (p->cbc_st) {
        /* explicit IV, MAC and at most one block of padding (we pad minimally) */
        const mt_cbc_state *st = p->cbc_st;
        return MT_REC_HEADER + 2u * st->cipher->block_len + st->mac->mac_len;
    }
    if (!p->aead) {
        return MT_REC_HEADER;
    }
    return MT_REC_HEADER + p->aead->tag_len + (p->tls13 ? 1 : p->aead->record_iv_len);
}

static void put_u64(uint8_t *b, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        b[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

/* The per-record nonce: explicit (salt || seq) or implicit (iv XOR seq). */
static void make_nonce(const mt_rec_prot *p, uint8_t nonce[MT_AEAD_NONCE_LEN])
{
    uint8_t seq[8];
    put_u64(seq, p->seq);
    if (!p->tls13 && p->aead->record_iv_len == 8) {
        memcpy(nonce, p->iv, 4);
        memcpy(nonce + 4, seq, 8);
        return;
    }
    memcpy(nonce, p->iv, MT_AEAD_NONCE_LEN);
    for (int i = 0; i < 8; i++) {
        nonce[4 + i] ^= seq[i];
    }
}

/* TLS 1.2 additional data (RFC 5246 6.2.3.3). */
static void ad12(const mt_rec_prot *p, uint8_t type, uint16_t version, size_t len, uint8_t ad[13])
{
    put_u64(ad, p->seq);
    ad[8] = type;
    ad[9] = (uint8_t)(version >> 8);
    ad[10] = (uint8_t)version;
    ad[11] = (uint8_t)(len >> 8);
    ad[12] = (uint8_t)len;
}

MT_WUR static int seal_plain(uint8_t type, uint16_t version, const uint8_t *in, size_t len,
                             mt_wr *out)
{
    GUARD(mt_wr_u8(out, type));
    GUARD(mt_wr_u16(out, version));
    GUARD(mt_wr_u16(out, (uint16_t)len));
    return mt_wr_bytes(out, in, len);
}

MT_WUR static int seal_cbc(mt_rec_prot *p, uint8_t type, const uint8_t *in, size_t len, mt_wr *out)
{
    size_t frag = mt_cbc_sealed_len(p->cbc_st, p->version, p->etm, len), got;
    size_t start = out->len;
    uint8_t *body;
    ENSURE(frag > 0, INTERNAL);
    GUARD(mt_wr_u8(out, type));
    GUARD(mt_wr_u16(out, p->version));
    GUARD(mt_wr_u16(out, (uint16_t)frag));
    GUARD(mt_wr_reserve(out, frag, &body));
    int rc = mt_cbc_seal(p->cbc_st, p->version, p->seq, type, p->etm, in, len, body, frag, &got);
    if (rc == 0 && got != frag) {
        rc = -MT_E_INTERNAL;
    }
    if (rc < 0) {
        mt_wr_truncate(out, start); /* no half record stays queued */
        return rc;
    }
    p->seq++;
    return 0;
}

int mt_rec_seal(mt_rec_prot *p, uint8_t type, uint16_t version, const uint8_t *in, size_t len,
                mt_wr *out)
{
    ENSURE(len <= MT_REC_MAX_PLAIN, INVALID_ARG);
    if (p->cbc_st) {
        ENSURE(p->seq != UINT64_MAX && version == p->version, INTERNAL);
        return seal_cbc(p, type, in, len, out);
    }
    if (!p->aead) {
        return seal_plain(type, version, in, len, out);
    }
    ENSURE(p->seq != UINT64_MAX, INTERNAL);
    GUARD(keyed(p));
    const mt_aead *a = p->aead;
    uint8_t nonce[MT_AEAD_NONCE_LEN], ad[13];
    make_nonce(p, nonce);
    size_t explicit_len = p->tls13 ? 0 : a->record_iv_len;
    size_t inner = len + (p->tls13 ? 1 : 0);
    size_t frag = explicit_len + inner + a->tag_len;
    size_t start = out->len;
    uint8_t *body;
    /* RFC 8446 5.1: protected 1.3 records say application_data and 0x0303 outside. */
    GUARD(mt_wr_u8(out, p->tls13 ? MT_CT_APPLICATION_DATA : type));
    GUARD(mt_wr_u16(out, p->tls13 ? 0x0303 : version));
    GUARD(mt_wr_u16(out, (uint16_t)frag));
    GUARD(mt_wr_reserve(out, frag, &body));
    if (p->tls13) {
        /* RFC 8446 5.2: TLSInnerPlaintext = content || type (no padding added). */
        if (len) {
            memcpy(body, in, len); /* in may be NULL for an empty record */
        }
        body[len] = type;
        int rc =
            mt_aead_seal(a, p->ctx, nonce, out->p + start, MT_REC_HEADER, body, inner, body, frag);
        GUARD(rc);
    } else {
        memcpy(body, nonce + 4, explicit_len);
        ad12(p, type, version, len, ad);
        GUARD(mt_aead_seal(a, p->ctx, nonce, ad, sizeof(ad), in, len, body + explicit_len,
                           frag - explicit_len));
    }
    p->seq++;
    return 0;
}

int mt_rec_header(const uint8_t hdr[MT_REC_HEADER], const mt_rec_prot *p, uint8_t *type,
                  uint16_t *version, size_t *len)
{
    mt_rd r;
    uint16_t l;
    mt_rd_init(&r, hdr, MT_REC_HEADER);
    GUARD(mt_rd_u8(&r, type));
    GUARD(mt_rd_u16(&r, version));
    GUARD(mt_rd_u16(&r, &l));
    /* RFC 5246 6.2.1 / RFC 8446 5: unknown content types are fatal. */
    ENSURE(*type >= MT_CT_CHANGE_CIPHER_SPEC && *type <= MT_CT_APPLICATION_DATA,
           UNEXPECTED_MESSAGE);
    ENSURE((*version >> 8) == 3, PROTOCOL_VERSION);
    size_t limit = !mt_rec_protected(p) ? MT_REC_MAX_PLAIN
                   : p->tls13           ? MT_REC_MAX_CIPHER13
                                        : MT_REC_MAX_CIPHER12;
    /* RFC 5246 6.2.1-6.2.3 / RFC 8446 5.2: record_overflow for anything longer. */
    ENSURE(l <= limit, RECORD_OVERFLOW);
    *len = l;
    return 0;
}

MT_WUR static int open_cbc(mt_rec_prot *p, uint8_t type, uint16_t version, const uint8_t *in,
                           size_t len, uint8_t *out, size_t *n)
{
    /* RFC 5246 6.2.1 / E.1: once negotiated, every record carries the negotiated version. */
    ENSURE(version == p->version, PROTOCOL_VERSION);
    uint8_t plain[MT_CBC_MAX_CIPHERTEXT];
    size_t got = 0;
    int rc =
        mt_cbc_open(p->cbc_st, version, p->seq, type, p->etm, in, len, plain, sizeof(plain), &got);
    if (rc == 0) {
        memcpy(out, plain, got);
        *n = got;
    }
    mt_wipe(plain, got);
    return rc;
}

int mt_rec_open(mt_rec_prot *p, uint8_t *type, uint16_t version, uint8_t *frag, size_t len,
                size_t *off, size_t *n)
{
    return mt_rec_open_from(p, type, version, frag, len, frag, off, n);
}

int mt_rec_open_from(mt_rec_prot *p, uint8_t *type, uint16_t version, const uint8_t *in, size_t len,
                     uint8_t *out, size_t *off, size_t *n)
{
    *off = 0;
    *n = 0;
    if (p->cbc_st) {
        ENSURE(p->seq != UINT64_MAX, INTERNAL);
        GUARD(open_cbc(p, *type, version, in, len, out, n));
        p->seq++;
        return 0;
    }
    if (!p->aead) {
        if (out != in) {
            memcpy(out, in, len);
        }
        *n = len;
        return 0;
    }
    ENSURE(p->seq != UINT64_MAX, INTERNAL);
    GUARD(keyed(p));
    const mt_aead *a = p->aead;
    uint8_t nonce[MT_AEAD_NONCE_LEN];
    size_t got;
    if (p->tls13) {
        uint8_t hdr[MT_REC_HEADER] = {*type, (uint8_t)(version >> 8), (uint8_t)version,
                                      (uint8_t)(len >> 8), (uint8_t)len};
        make_nonce(p, nonce);
        GUARD(mt_aead_open(a, p->ctx, nonce, hdr, sizeof(hdr), in, len, out, len, &got));
        /* RFC 8446 5.4: strip zero padding; the last non-zero byte is the real type. */
        while (got > 0 && out[got - 1] == 0) {
            got--;
        }
        ENSURE(got > 0, UNEXPECTED_MESSAGE);
        got--;
        *type = out[got];
        ENSURE(got <= MT_REC_MAX_PLAIN, RECORD_OVERFLOW);
        *n = got;
    } else {
        size_t explicit_len = a->record_iv_len;
        ENSURE(len >= explicit_len + a->tag_len, BAD_RECORD_MAC);
        make_nonce(p, nonce);
        if (explicit_len) {
            memcpy(nonce + 4, in, explicit_len);
        }
        uint8_t ad[13];
        ad12(p, *type, version, len - explicit_len - a->tag_len, ad);
        GUARD(mt_aead_open(a, p->ctx, nonce, ad, sizeof(ad), in + explicit_len, len - explicit_len,
                           out + explicit_len, len - explicit_len, &got));
        ENSURE(got <= MT_REC_MAX_PLAIN, RECORD_OVERFLOW);
        *off = explicit_len;
        *n = got;
    }
    p->seq++;
    return 0;
}
