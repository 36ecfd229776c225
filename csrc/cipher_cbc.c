/*
 * cipher_cbc.c -- CBC record protection (TLS 1.0-1.2, SSL 3.0, encrypt-then-MAC).
 *
 * IMPLEMENTATION NOTES
 *
 * Threat (Lucky 13, CVE-2013-0169; Vaudenay's padding oracle). With
 * MAC-then-encrypt the receiver decrypts first, then must find the padding
 * and the MAC inside the plaintext. If anything it does takes a time or
 * touches memory that depends on padding_length (or on whether the padding
 * is valid), an attacker who flips ciphertext bits learns plaintext bytes.
 * The two classic leaks are an early return on bad padding and an HMAC
 * whose number of hash compression calls depends on the MAC'd length
 * L = n - mac_len - 1 - padding_length (n = decrypted body length, public).
 *
 * Secret values in open_mte: padding_length `pad`, the validity mask `good`,
 * L, and everything derived from them. Public: n, mac_len, block sizes,
 * version, and the bounds [minlen, maxlen] that L lies in whatever the
 * padding is: maxlen = n - mac_len - 1, minlen = n - mac_len - 256 for TLS
 * (padding_length <= 255), n - mac_len - block_len for SSL 3.0 (padding
 * shorter than a block), clamped at 0.
 *
 * 1. Padding check (pad_check): reads the last min(n, 256) bytes, every time,
 *    and folds "byte is inside the padding and differs from pad" into one
 *    mask with arithmetic (mt_ct_mask_*), never a branch. If the padding is
 *    bad, pad is replaced by 0 (pad & good), so L stays in [minlen, maxlen]
 *    and the MAC is still computed, over n - mac_len - 1 bytes: as in
 *    RFC 5246 6.2.3.2's advice, but made exact by step 2.
 *
 * 2. MAC over a secret length with a fixed amount of hash work (mac_ct).
 *    The inner hash input is  prefix || hdr || data[0..L)  where prefix is
 *    the HMAC key^ipad block (already absorbed in st->inner) or nothing
 *    (SSL 3.0, whose key || pad_1 goes into hdr), and hdr holds seq, type,
 *    version and the 16-bit length L (SSL 3.0: no version). Everything up
 *    to the last block boundary at or before hdr_len + minlen is public in
 *    length and goes through the hash's ordinary _update. The rest, a
 *    "window" of at most 256 + mac_len + block bytes, is hashed by building
 *    each block by hand: byte p of the window is data if p < e (e = secret
 *    end of message in the window), 0x80 if p == e, zero otherwise, and the
 *    last 8 bytes of block f = (e + lenfield) / block carry the message bit
 *    length (Merkle-Damgard padding; lenfield = 8, or 16 for SHA-384 whose
 *    top 8 length bytes are zero anyway). Every block of the window up to
 *    the largest possible f is fed to _update as one full block (one
 *    compression each, since the context's buffer is empty), and after
 *    each, mt_ct_copy_if keeps a copy of the context when the block index
 *    equals f. The kept context's chaining state IS the inner digest; it is
 *    serialized big-endian from the `state` words of nettle's public context
 *    structs (sha1_ctx, sha256_ctx, sha512_ctx). The outer hash has public
 *    length and uses the ordinary API. So the number and lengths of hash
 *    calls depend only on n (test_cbc checks this through mt_cbc_hash_hook),
 *    and every memory access is at a public index. Divisions by the block
 *    size are shifts.
 *
 * 3. Received MAC at a secret offset (extract_mac, the "rotate" technique):
 *    scan every position j in [minlen, maxlen + mac_len), keeping bytes with
 *    L <= j < L + mac_len into rot[(j - minlen) mod mac_len] with a mask
 *    (the index is public: a counter), and record the rotation
 *    (L - minlen) mod mac_len the same way. Then undo the rotation with a
 *    mac_len x mac_len masked selection; no secret index touches memory.
 *
 * 4. good &= MAC equality (mt_ct_eq, nettle's memeql_sec). The only branch
 *    on a secret is the final verdict; every failure wipes the body and
 *    returns -MT_E_BAD_RECORD_MAC, the same code as the public length
 *    checks, which may fail early because they depend only on public data.
 *
 * Encrypt-then-MAC (RFC 7366) needs none of this: the MAC covers the
 * ciphertext and is checked (mt_ct_eq) before anything is decrypted; the
 * padding is then checked by the same pad_check, with the same error code.
 *
 * Not covered: nettle's software AES and Camellia use lookup tables (cache
 * timing on the key and data is nettle's concern and the CPU's AES-NI);
 * the pointer arithmetic of the constant-time core is index arithmetic on
 * our own decrypted buffer (out[j]), which the record layer's buf.c reader
 * cannot express without secret-dependent bounds checks: this is the
 * unavoidable exception to STYLE.md's rule. Wire data is split with mt_rd
 * and records are built with mt_wr.
 *
 * State changes: seal and open compute the next chained IV into a local and
 * commit it only on success, so a failed call leaves the state unchanged.
 */
#include "cipher_cbc.h"

#include <nettle/cbc.h>
#include <nettle/hmac.h>
#include <string.h>

#include "buf.h"
#include "ct.h"
#include "err.h"
#include "rng.h"

/* RFC 5246 A.5, RFC 5932 3, RFC 3268 3: the CBC rows. */
const mt_cbc_cipher mt_cbc_aes128 = {"AES-128-CBC", 16, 16, &nettle_aes128};
const mt_cbc_cipher mt_cbc_aes256 = {"AES-256-CBC", 32, 16, &nettle_aes256};
const mt_cbc_cipher mt_cbc_camellia128 = {"CAMELLIA-128-CBC", 16, 16, &nettle_camellia128};
const mt_cbc_cipher mt_cbc_camellia256 = {"CAMELLIA-256-CBC", 32, 16, &nettle_camellia256};

/* RFC 5246 6.2.3.1 (HMAC), RFC 6101 5.2.3.1 (SSL 3.0 MAC: pad_1/pad_2 of 40 bytes for SHA). */
const mt_cbc_mac mt_cbc_hmac_sha1 = {"HMAC-SHA1", 20, 0, 0, MT_CBC_SHA1, &nettle_sha1};
const mt_cbc_mac mt_cbc_hmac_sha256 = {"HMAC-SHA256", 32, 0, 0, MT_CBC_SHA256, &nettle_sha256};
const mt_cbc_mac mt_cbc_hmac_sha384 = {"HMAC-SHA384", 48, 0, 0, MT_CBC_SHA384, &nettle_sha384};
const mt_cbc_mac mt_cbc_ssl3_sha1 = {"SSL3-SHA1", 20, 1, 40, MT_CBC_SHA1, &nettle_sha1};

static const mt_cbc_cipher *const ciphers[] = {&mt_cbc_aes128, &mt_cbc_aes256, &mt_cbc_camellia128,
                                               &mt_cbc_camellia256};
static const mt_cbc_mac *const macs[] = {&mt_cbc_hmac_sha1, &mt_cbc_hmac_sha256,
                                         &mt_cbc_hmac_sha384, &mt_cbc_ssl3_sha1};

void (*mt_cbc_hash_hook)(size_t len) = NULL;

/* Longest MAC header: SSL 3.0 key (20) || pad_1 (40) || seq (8) || type (1) || length (2). */
#define HDR_MAX (MT_CBC_MAX_MAC + 48 + 13)
#define HASH_BLOCK_MAX 128

const mt_cbc_cipher *mt_cbc_cipher_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
        if (strcmp(ciphers[i]->name, name) == 0) {
            return ciphers[i];
        }
    }
    return NULL;
}

const mt_cbc_mac *mt_cbc_mac_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
        if (strcmp(macs[i]->name, name) == 0) {
            return macs[i];
        }
    }
    return NULL;
}

int mt_cbc_init(mt_cbc_state *st, const mt_cbc_cipher *cipher, const mt_cbc_mac *mac, int dir,
                const uint8_t *enc_key, const uint8_t *mac_key, const uint8_t *iv)
{
    ENSURE(st != NULL && cipher != NULL && mac != NULL, INVALID_ARG);
    ENSURE(enc_key != NULL && mac_key != NULL, INVALID_ARG);
    ENSURE(dir == MT_CBC_SEAL || dir == MT_CBC_OPEN, INVALID_ARG);
    mt_cbc_wipe(st);
    st->cipher = cipher;
    st->mac = mac;
    if (dir == MT_CBC_SEAL) {
        cipher->meta->set_encrypt_key(&st->ctx, enc_key);
        st->flags |= MT_CBC_F_ENCRYPT;
    } else {
        cipher->meta->set_decrypt_key(&st->ctx, enc_key);
    }
    mt_hash_ctx scratch;
    hmac_set_key(&st->outer, &st->inner, &scratch, mac->hash, mac->mac_len, mac_key);
    mt_wipe(&scratch, sizeof(scratch));
    memcpy(st->mac_key, mac_key, mac->mac_len);
    if (iv != NULL) {
        memcpy(st->iv, iv, cipher->block_len);
        st->flags |= MT_CBC_F_IV;
    }
    st->flags |= MT_CBC_F_KEYED;
    return 0;
}

void mt_cbc_wipe(mt_cbc_state *st)
{
    mt_wipe(st, st ? sizeof(*st) : 0);
}

/* RFC 4346 6.2.3.2: TLS 1.1 and later carry an explicit per-record IV. */
static size_t iv_len(const mt_cbc_state *st, uint16_t version)
{
    return version >= MT_CBC_TLS11 ? st->cipher->block_len : 0;
}

size_t mt_cbc_sealed_len(const mt_cbc_state *st, uint16_t version, int etm, size_t len)
{
    if (st == NULL || st->cipher == NULL || version < MT_CBC_SSL30 || version > MT_CBC_TLS12 ||
        len > MT_CBC_MAX_PLAINTEXT) {
        return 0;
    }
    size_t bs = st->cipher->block_len;
    size_t maclen = st->mac->mac_len;
    size_t body = etm ? len + 1 : len + maclen + 1;
    body = (body + bs - 1) / bs * bs;
    return iv_len(st, version) + body + (etm ? maclen : 0);
}

/* The state fits the call: keyed for this direction, version and MAC agree. */
static int check_use(const mt_cbc_state *st, uint16_t version, int etm, unsigned dir_flag)
{
    ENSURE(st != NULL && (st->flags & MT_CBC_F_KEYED), INVALID_ARG);
    ENSURE((st->flags & MT_CBC_F_ENCRYPT) == dir_flag, INVALID_ARG);
    switch (version) {
    case MT_CBC_SSL30:
        /* RFC 6101 5.2.3.1: SSL 3.0 has its own MAC; RFC 7366 is a TLS extension. */
        ENSURE(st->mac->ssl3 && !etm, INVALID_ARG);
        ENSURE(st->flags & MT_CBC_F_IV, INVALID_ARG);
        break;
    case MT_CBC_TLS10:
        /* RFC 2246 6.2.3.2: the IV is chained from the key block. */
        ENSURE(!st->mac->ssl3 && (st->flags & MT_CBC_F_IV), INVALID_ARG);
        break;
    case MT_CBC_TLS11:
    case MT_CBC_TLS12:
        ENSURE(!st->mac->ssl3, INVALID_ARG);
        break;
    default:
        return -MT_E_INVALID_ARG;
    }
    return 0;
}

static void h_update(const mt_cbc_mac *m, mt_hash_ctx *c, size_t len, const uint8_t *p)
{
    if (mt_cbc_hash_hook != NULL) {
        mt_cbc_hash_hook(len);
    }
    m->hash->update(c, len, p);
}

/*
 * RFC 5246 6.2.3.1: the MAC covers seq_num || type || version || length (13 bytes);
 * RFC 6101 5.2.3.1: SSL 3.0's covers MAC_write_secret || pad_1 || seq_num || type ||
 * length. Writes the header to h and returns its length. `length` may be secret:
 * it is written with shifts only.
 */
static size_t mac_header(const mt_cbc_state *st, uint8_t *h, uint64_t seq, uint8_t type,
                         uint16_t version, uint32_t length)
{
    const mt_cbc_mac *m = st->mac;
    size_t k = 0;
    if (m->ssl3) {
        for (size_t i = 0; i < m->mac_len; i++) {
            h[k++] = st->mac_key[i];
        }
        for (size_t i = 0; i < m->ssl3_pad; i++) {
            h[k++] = 0x36;
        }
    }
    for (int i = 7; i >= 0; i--) {
        h[k++] = (uint8_t)(seq >> (8 * i));
    }
    h[k++] = type;
    if (!m->ssl3) {
        h[k++] = (uint8_t)(version >> 8);
        h[k++] = (uint8_t)version;
    }
    h[k++] = (uint8_t)(length >> 8);
    h[k++] = (uint8_t)length;
    return k;
}

/* Finish a MAC from the inner digest (public length): HMAC's outer hash, or SSL 3.0's
 * hash(MAC_write_secret || pad_2 || inner). */
static void mac_outer(const mt_cbc_state *st, const uint8_t *inner, uint8_t *out)
{
    const mt_cbc_mac *m = st->mac;
    mt_hash_ctx c;
    if (m->ssl3) {
        uint8_t pad2[48];
        memset(pad2, 0x5c, sizeof(pad2));
        m->hash->init(&c);
        h_update(m, &c, m->mac_len, st->mac_key);
        h_update(m, &c, m->ssl3_pad, pad2);
    } else {
        c = st->outer;
    }
    h_update(m, &c, m->mac_len, inner);
    m->hash->digest(&c, m->mac_len, out);
    mt_wipe(&c, sizeof(c));
}

/* The record MAC over hdr || a || b, all of public length (seal, and EtM open). */
static void mac_public(const mt_cbc_state *st, const uint8_t *hdr, size_t hlen, const uint8_t *a,
                       size_t alen, const uint8_t *b, size_t blen, uint8_t *out)
{
    const mt_cbc_mac *m = st->mac;
    mt_hash_ctx c;
    uint8_t inner[MT_CBC_MAX_MAC];
    if (m->ssl3) {
        m->hash->init(&c);
    } else {
        c = st->inner;
    }
    h_update(m, &c, hlen, hdr);
    h_update(m, &c, alen, a);
    h_update(m, &c, blen, b);
    m->hash->digest(&c, m->mac_len, inner);
    mac_outer(st, inner, out);
    mt_wipe(&c, sizeof(c));
    mt_wipe(inner, sizeof(inner));
}

/* The chaining state of a hash context as a digest (big-endian words, truncated for
 * SHA-384). Only valid when the context holds a finished, padded message. */
static void state_digest(const mt_cbc_mac *m, const mt_hash_ctx *c, uint8_t *out)
{
    switch (m->kind) {
    case MT_CBC_SHA1:
    case MT_CBC_SHA256: {
        const uint32_t *s = m->kind == MT_CBC_SHA1 ? c->sha1.state : c->sha256.state;
        for (size_t i = 0; i < (size_t)m->mac_len / 4; i++) {
            for (size_t j = 0; j < 4; j++) {
                out[4 * i + j] = (uint8_t)(s[i] >> (24 - 8 * j));
            }
        }
        break;
    }
    case MT_CBC_SHA384:
        for (size_t i = 0; i < (size_t)m->mac_len / 8; i++) {
            for (size_t j = 0; j < 8; j++) {
                out[8 * i + j] = (uint8_t)(c->sha512.state[i] >> (56 - 8 * j));
            }
        }
        break;
    default:
        break;
    }
}

/*
 * CONSTANT TIME in `len`: the record MAC over header || data[0..len) where len is
 * secret and lies in [minlen, maxlen] (public). See IMPLEMENTATION NOTES, step 2.
 */
static void mac_ct(const mt_cbc_state *st, uint64_t seq, uint8_t type, uint16_t version,
                   const uint8_t *data, uint32_t len, size_t minlen, size_t maxlen, uint8_t *out)
{
    const mt_cbc_mac *m = st->mac;
    const size_t bsz = m->hash->block_size;        /* 64 or 128 */
    const unsigned shift = bsz == 128 ? 7 : 6;     /* bsz == 1 << shift */
    const uint32_t lenfield = bsz == 128 ? 16 : 8; /* bytes of the Merkle-Damgard length */
    uint8_t hdr[HDR_MAX], blk[HASH_BLOCK_MAX], inner[MT_CBC_MAX_MAC];
    mt_hash_ctx c, fin;
    uint64_t absorbed;

    size_t hlen = mac_header(st, hdr, seq, type, version, len);
    if (m->ssl3) {
        m->hash->init(&c);
        absorbed = 0;
    } else {
        c = st->inner; /* has absorbed key ^ ipad: one block */
        absorbed = bsz;
    }
    /* Public part: message bytes [0, fed), fed a block multiple <= hlen + minlen. */
    size_t pub = hlen + minlen;
    size_t fed = pub - (pub & (bsz - 1));
    if (fed <= hlen) {
        h_update(m, &c, fed, hdr);
    } else {
        h_update(m, &c, hlen, hdr);
        h_update(m, &c, fed - hlen, data);
    }
    /* Window: message bytes [fed, hlen + maxlen); the message ends secretly at e. */
    size_t w = hlen + maxlen - fed;
    uint32_t e = (uint32_t)(hlen + (size_t)len - fed); /* >= 0: fed <= hlen + minlen */
    uint64_t bits = ((uint64_t)absorbed + fed + e) * 8;
    uint32_t f = (e + lenfield) >> shift;
    size_t nblocks = ((w + lenfield) >> shift) + 1;
    memset(&fin, 0, sizeof(fin));
    for (size_t i = 0; i < nblocks; i++) {
        uint32_t last = mt_ct_mask_eq((uint32_t)i, f);
        for (size_t k = 0; k < bsz; k++) {
            size_t p = i * bsz + k;
            size_t q = fed + p;
            uint8_t b = 0;
            if (p < w) { /* public bound */
                b = q < hlen ? hdr[q] : data[q - hlen];
            }
            b &= (uint8_t)mt_ct_mask_lt((uint32_t)p, e);
            b |= (uint8_t)(0x80 & mt_ct_mask_eq((uint32_t)p, e));
            if (k >= bsz - 8) {
                b |= (uint8_t)((uint8_t)(bits >> (8 * (bsz - 1 - k))) & last);
            }
            blk[k] = b;
        }
        h_update(m, &c, bsz, blk);
        mt_ct_copy_if((int)(last & 1), &fin, &c, sizeof(c));
    }
    state_digest(m, &fin, inner);
    mac_outer(st, inner, out);
    mt_wipe(hdr, sizeof(hdr));
    mt_wipe(blk, sizeof(blk));
    mt_wipe(inner, sizeof(inner));
    mt_wipe(&c, sizeof(c));
    mt_wipe(&fin, sizeof(fin));
}

/*
 * CONSTANT TIME in `at`: copy the maclen bytes of p at the secret offset `at`, which
 * lies in [lo, hi - maclen], to mac. See IMPLEMENTATION NOTES, step 3.
 */
static void extract_mac(const uint8_t *p, size_t lo, size_t hi, uint32_t at, size_t maclen,
                        uint8_t *mac)
{
    uint8_t rot[MT_CBC_MAX_MAC];
    uint32_t r = 0;
    size_t c = 0; /* (j - lo) mod maclen: public */
    memset(rot, 0, sizeof(rot));
    for (size_t j = lo; j < hi; j++) {
        uint32_t in =
            ~mt_ct_mask_lt((uint32_t)j, at) & mt_ct_mask_lt((uint32_t)j, at + (uint32_t)maclen);
        rot[c] |= (uint8_t)(p[j] & in);
        r |= (uint32_t)c & mt_ct_mask_eq((uint32_t)j, at);
        c = c + 1 == maclen ? 0 : c + 1;
    }
    for (size_t k = 0; k < maclen; k++) {
        uint32_t idx = (uint32_t)k + r;
        idx -= (uint32_t)maclen & ~mt_ct_mask_lt(idx, (uint32_t)maclen);
        uint8_t b = 0;
        for (size_t i = 0; i < maclen; i++) {
            b |= (uint8_t)(rot[i] & mt_ct_mask_eq((uint32_t)i, idx));
        }
        mac[k] = b;
    }
    mt_wipe(rot, sizeof(rot));
}

/*
 * CONSTANT TIME in the contents of p: all-ones when the n-byte decrypted body p ends
 * in valid padding leaving room for maclen MAC bytes, else 0. *pad receives
 * padding_length when valid, 0 otherwise.
 */
static uint32_t pad_check(const uint8_t *p, size_t n, size_t maclen, size_t bs, int ssl3,
                          uint32_t *pad)
{
    uint32_t v = p[n - 1];
    /* RFC 5246 6.2.3.2: padding_length + 1 + mac_length bytes must fit in the body. */
    uint32_t good = mt_ct_mask_lt(v + (uint32_t)maclen, (uint32_t)n);
    if (ssl3) {
        /* RFC 6101 5.2.3.2: "The length of the padding must be less than the cipher's
         * block length"; its bytes are arbitrary and not checked. */
        good &= mt_ct_mask_lt(v, (uint32_t)bs);
    } else {
        /* RFC 5246 6.2.3.2: "Each uint8 in the padding data vector MUST be filled with
         * the padding length value"; the receiver MUST check it. */
        size_t scan = n < 256 ? n : 256;
        for (size_t i = 1; i < scan; i++) {
            uint32_t inside = mt_ct_mask_lt((uint32_t)i, v + 1);
            good &= ~(inside & mt_ct_mask_nonzero(p[n - 1 - i] ^ v));
        }
    }
    *pad = v & good;
    return good;
}

/* Zero out[from..n): the MAC and padding after a successful open. */
static void wipe_tail(uint8_t *out, size_t from, size_t n)
{
    for (size_t i = from; i < n; i++) {
        out[i] = 0;
    }
}

static int open_mte(const mt_cbc_state *st, uint16_t version, uint64_t seq, uint8_t type,
                    const uint8_t *in, size_t len, uint8_t *out, size_t out_size, size_t *out_len,
                    uint8_t *next_iv)
{
    const size_t bs = st->cipher->block_len;
    const size_t maclen = st->mac->mac_len;
    const size_t ivlen = iv_len(st, version);
    /* RFC 5246 6.2.3.2: [IV] || whole blocks holding at least MAC and padding_length.
     * Public facts only, so an early return leaks nothing. */
    ENSURE(len >= ivlen && (len - ivlen) % bs == 0 && len - ivlen >= maclen + 1, BAD_RECORD_MAC);
    const size_t n = len - ivlen;
    ENSURE(out_size >= n, INVALID_ARG);

    mt_rd r;
    const uint8_t *ivp, *body;
    mt_rd_init(&r, in, len);
    GUARD(mt_rd_borrow(&r, ivlen, &ivp));
    GUARD(mt_rd_borrow(&r, n, &body));
    GUARD(mt_rd_end(&r));
    uint8_t iv[MT_CBC_MAX_BLOCK];
    memcpy(iv, ivlen ? ivp : st->iv, bs);
    cbc_decrypt(&st->ctx, st->cipher->meta->decrypt, bs, iv, n, out, body);
    memcpy(next_iv, iv, bs); /* the last ciphertext block */

    /* From here on: CONSTANT TIME (IMPLEMENTATION NOTES). */
    const int ssl3 = st->mac->ssl3;
    const size_t span = ssl3 ? bs : 256; /* padding_length + 1 is at most this */
    const size_t maxlen = n - maclen - 1;
    const size_t minlen = n >= maclen + span ? n - maclen - span : 0;
    uint32_t pad;
    uint32_t good = pad_check(out, n, maclen, bs, ssl3, &pad);
    uint32_t l = (uint32_t)maxlen - pad;
    uint8_t want[MT_CBC_MAX_MAC], got[MT_CBC_MAX_MAC];
    mac_ct(st, seq, type, version, out, l, minlen, maxlen, want);
    extract_mac(out, minlen, maxlen + maclen, l, maclen, got);
    good &= (uint32_t)0 - (uint32_t)mt_ct_eq(want, got, maclen);
    mt_wipe(want, sizeof(want));
    mt_wipe(got, sizeof(got));
    if (!good) {
        mt_wipe(out, n);
        return -MT_E_BAD_RECORD_MAC;
    }
    /* Authenticated: l is public now. RFC 5246 6.2.1: TLSPlaintext.length <= 2^14. */
    if (l > MT_CBC_MAX_PLAINTEXT) {
        mt_wipe(out, n);
        return -MT_E_RECORD_OVERFLOW;
    }
    wipe_tail(out, l, n);
    *out_len = l;
    return 0;
}

static int open_etm(const mt_cbc_state *st, uint16_t version, uint64_t seq, uint8_t type,
                    const uint8_t *in, size_t len, uint8_t *out, size_t out_size, size_t *out_len,
                    uint8_t *next_iv)
{
    const size_t bs = st->cipher->block_len;
    const size_t maclen = st->mac->mac_len;
    const size_t ivlen = iv_len(st, version);
    /* RFC 7366 3: [IV] || ENC(content || padding || padding_length) || MAC. */
    ENSURE(len >= ivlen + maclen + bs && (len - ivlen - maclen) % bs == 0, BAD_RECORD_MAC);
    const size_t n = len - ivlen - maclen;
    ENSURE(out_size >= n, INVALID_ARG);

    mt_rd r;
    const uint8_t *ivp, *body, *tag;
    mt_rd_init(&r, in, len);
    GUARD(mt_rd_borrow(&r, ivlen, &ivp));
    GUARD(mt_rd_borrow(&r, n, &body));
    GUARD(mt_rd_borrow(&r, maclen, &tag));
    GUARD(mt_rd_end(&r));
    /* RFC 7366 3: the MAC covers the header with the length of IV || ciphertext, then IV
     * and ciphertext; it is checked before anything is decrypted. */
    uint8_t hdr[HDR_MAX], want[MT_CBC_MAX_MAC];
    size_t hlen = mac_header(st, hdr, seq, type, version, (uint32_t)(ivlen + n));
    mac_public(st, hdr, hlen, ivp, ivlen, body, n, want);
    int mac_ok = mt_ct_eq(want, tag, maclen);
    mt_wipe(want, sizeof(want));
    ENSURE(mac_ok, BAD_RECORD_MAC);

    uint8_t iv[MT_CBC_MAX_BLOCK];
    memcpy(iv, ivlen ? ivp : st->iv, bs);
    cbc_decrypt(&st->ctx, st->cipher->meta->decrypt, bs, iv, n, out, body);
    memcpy(next_iv, iv, bs);
    uint32_t pad;
    /* RFC 5246 6.2.3.2 padding rules still apply; same code as a bad MAC. */
    if (!pad_check(out, n, 0, bs, 0, &pad)) {
        mt_wipe(out, n);
        return -MT_E_BAD_RECORD_MAC;
    }
    size_t l = n - 1 - pad;
    if (l > MT_CBC_MAX_PLAINTEXT) {
        mt_wipe(out, n);
        return -MT_E_RECORD_OVERFLOW;
    }
    wipe_tail(out, l, n);
    *out_len = l;
    return 0;
}

int mt_cbc_open(mt_cbc_state *st, uint16_t version, uint64_t seq, uint8_t type, int etm,
                const uint8_t *in, size_t len, uint8_t *out, size_t out_size, size_t *out_len)
{
    ENSURE(out_len != NULL, INVALID_ARG);
    *out_len = 0;
    GUARD(check_use(st, version, etm, 0));
    ENSURE(in != NULL && out != NULL, INVALID_ARG);
    /* RFC 5246 6.2.3: "The length (in bytes) of the following TLSCiphertext.fragment.
     * The length MUST NOT exceed 2^14 + 2048." */
    ENSURE(len <= MT_CBC_MAX_CIPHERTEXT, RECORD_OVERFLOW);
    uint8_t next_iv[MT_CBC_MAX_BLOCK];
    int rc = etm ? open_etm(st, version, seq, type, in, len, out, out_size, out_len, next_iv)
                 : open_mte(st, version, seq, type, in, len, out, out_size, out_len, next_iv);
    if (rc == 0 && iv_len(st, version) == 0) {
        memcpy(st->iv, next_iv, st->cipher->block_len);
    }
    return rc;
}

/* Write padding and padding_length so that `used` + pad fills a body of n bytes.
 * TLS (RFC 5246 6.2.3.2): every byte equals padding_length. SSL 3.0 (RFC 6101
 * 5.2.3.2): arbitrary (random) bytes, then padding_length. */
static int write_padding(mt_wr *w, size_t n, int ssl3)
{
    size_t padlen = n - w->len - 1;
    uint8_t *p;
    GUARD(mt_wr_reserve(w, padlen + 1, &p));
    if (ssl3) {
        GUARD(mt_rng_bytes(p, padlen));
    } else {
        memset(p, (int)padlen, padlen);
    }
    p[padlen] = (uint8_t)padlen;
    return 0;
}

static int seal_record(mt_cbc_state *st, uint16_t version, uint64_t seq, uint8_t type, int etm,
                       const uint8_t *in, size_t len, uint8_t *out, size_t out_size,
                       size_t *out_len)
{
    const size_t bs = st->cipher->block_len;
    const size_t maclen = st->mac->mac_len;
    const size_t ivlen = iv_len(st, version);
    const size_t total = mt_cbc_sealed_len(st, version, etm, len);
    const size_t n = total - ivlen - (etm ? maclen : 0);
    ENSURE(out_size >= total, INVALID_ARG);

    uint8_t iv[MT_CBC_MAX_BLOCK], hdr[HDR_MAX], mac[MT_CBC_MAX_MAC];
    uint8_t *ivp, *body;
    mt_wr w, bw;
    mt_wr_init_fixed(&w, out, out_size);
    GUARD(mt_wr_reserve(&w, ivlen, &ivp));
    if (ivlen) {
        /* RFC 5246 6.2.3.2: "The IV SHOULD be chosen at random, and MUST be unpredictable." */
        GUARD(mt_rng_bytes(ivp, ivlen));
        memcpy(iv, ivp, bs);
    } else {
        memcpy(iv, st->iv, bs);
    }
    GUARD(mt_wr_reserve(&w, n, &body));
    mt_wr_init_fixed(&bw, body, n);
    GUARD(mt_wr_bytes(&bw, in, len));
    if (!etm) {
        /* RFC 5246 6.2.3.1: MAC over the plaintext, encrypted with it. */
        size_t hlen = mac_header(st, hdr, seq, type, version, (uint32_t)len);
        mac_public(st, hdr, hlen, in, len, NULL, 0, mac);
        GUARD(mt_wr_bytes(&bw, mac, maclen));
    }
    GUARD(write_padding(&bw, n, st->mac->ssl3));
    GUARD(mt_wr_finish(&bw));
    cbc_encrypt(&st->ctx, st->cipher->meta->encrypt, bs, iv, n, body, body);
    if (etm) {
        /* RFC 7366 3: MAC over header (length of IV || ciphertext), IV and ciphertext. */
        size_t hlen = mac_header(st, hdr, seq, type, version, (uint32_t)(ivlen + n));
        mac_public(st, hdr, hlen, ivp, ivlen, body, n, mac);
        GUARD(mt_wr_bytes(&w, mac, maclen));
    }
    GUARD(mt_wr_finish(&w));
    if (ivlen == 0) {
        memcpy(st->iv, iv, bs); /* RFC 2246 6.2.3.2: next IV = last ciphertext block */
    }
    mt_wipe(mac, sizeof(mac));
    *out_len = w.len;
    return 0;
}

int mt_cbc_seal(mt_cbc_state *st, uint16_t version, uint64_t seq, uint8_t type, int etm,
                const uint8_t *in, size_t len, uint8_t *out, size_t out_size, size_t *out_len)
{
    ENSURE(out_len != NULL, INVALID_ARG);
    *out_len = 0;
    GUARD(check_use(st, version, etm, MT_CBC_F_ENCRYPT));
    ENSURE((in != NULL || len == 0) && out != NULL, INVALID_ARG);
    /* RFC 5246 6.2.1: a fragment holds at most 2^14 bytes. */
    ENSURE(len <= MT_CBC_MAX_PLAINTEXT, INVALID_ARG);
    int rc = seal_record(st, version, seq, type, etm, in, len, out, out_size, out_len);
    size_t total = mt_cbc_sealed_len(st, version, etm, len);
    if (rc < 0 && out_size >= total) {
        mt_wipe(out, total); /* a half-built record may hold plaintext */
    }
    return rc;
}
