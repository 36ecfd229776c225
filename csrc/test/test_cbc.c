/* Unit tests for CBC record protection (cipher_cbc.c).
 *
 * Records are checked against an independent construction written here with
 * nettle directly (hmac_sha*_*, sha1_*, cbc_encrypt), so seal and open cannot
 * agree on a wrong format. Known answers: the valid AES-CBC vectors of
 * Wycheproof (cbc_vectors.h, generated once by tools/wycheproof-cbc-to-c.py)
 * and the Camellia vectors of RFC 3713 Appendix A. */
#include <nettle/cbc.h>
#include <nettle/hmac.h>
#include <nettle/sha1.h>
#include <stdint.h>
#include <stdlib.h>

#include "../cipher_cbc.h"
#include "../err.h"
#include "cbc_vectors.h"
#include "t.h"

#define BIG 20000

static uint8_t EK[32], MK[48], IV0[16], XIV[16];
static uint8_t DATA[BIG], BODY[BIG], REC[BIG], OUT[BIG], REC2[BIG];

typedef struct cfg {
    uint16_t version;
    const mt_cbc_mac *mac;
    int etm;
} cfg;

static const mt_cbc_cipher *const CIPHERS[] = {&mt_cbc_aes128, &mt_cbc_aes256, &mt_cbc_camellia128,
                                               &mt_cbc_camellia256};
#define NCIPHERS 4

static cfg CFGS[32];
static size_t NCFGS;

static void init_data(void)
{
    for (size_t i = 0; i < sizeof(EK); i++) {
        EK[i] = (uint8_t)(3 * i + 1);
    }
    for (size_t i = 0; i < sizeof(MK); i++) {
        MK[i] = (uint8_t)(0x40 + i);
    }
    for (size_t i = 0; i < 16; i++) {
        IV0[i] = (uint8_t)(0xa0 + i);
        XIV[i] = (uint8_t)(0x10 * i + 7);
    }
    for (size_t i = 0; i < BIG; i++) {
        DATA[i] = (uint8_t)(i * 131 + (i >> 8));
    }
    /* every version x MAC x etm the API accepts: TLS x HMAC rows, SSL 3.0 x SSL3-SHA1 */
    static const mt_cbc_mac *const hmacs[] = {&mt_cbc_hmac_sha1, &mt_cbc_hmac_sha256,
                                              &mt_cbc_hmac_sha384};
    for (uint16_t v = MT_CBC_TLS10; v <= MT_CBC_TLS12; v++) {
        for (size_t m = 0; m < 3; m++) {
            for (int etm = 0; etm < 2; etm++) {
                CFGS[NCFGS++] = (cfg){v, hmacs[m], etm};
            }
        }
    }
    CFGS[NCFGS++] = (cfg){MT_CBC_SSL30, &mt_cbc_ssl3_sha1, 0};
}

static int explicit_iv(const cfg *g)
{
    return g->version >= MT_CBC_TLS11;
}

static void pair(const mt_cbc_cipher *c, const cfg *g, mt_cbc_state *s, mt_cbc_state *o)
{
    const uint8_t *iv = explicit_iv(g) ? NULL : IV0;
    CHECK_EQ(mt_cbc_init(s, c, g->mac, MT_CBC_SEAL, EK, MK, iv), 0);
    CHECK_EQ(mt_cbc_init(o, c, g->mac, MT_CBC_OPEN, EK, MK, iv), 0);
}

static void describe(const mt_cbc_cipher *c, const cfg *g, size_t len)
{
    printf("# %s %s version %04x etm %d len %zu\n", c->name, g->mac->name, g->version, g->etm, len);
}

/* Reference MAC over hdr(seq, type, version, length) || a || b, written from the RFCs. */
static void ref_mac(const mt_cbc_mac *m, uint64_t seq, uint8_t type, uint16_t version,
                    const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, size_t length,
                    uint8_t *out)
{
    uint8_t hdr[13];
    size_t h = 0;
    for (int i = 7; i >= 0; i--) {
        hdr[h++] = (uint8_t)(seq >> (8 * i));
    }
    hdr[h++] = type;
    if (m != &mt_cbc_ssl3_sha1) {
        hdr[h++] = (uint8_t)(version >> 8);
        hdr[h++] = (uint8_t)version;
    }
    hdr[h++] = (uint8_t)(length >> 8);
    hdr[h++] = (uint8_t)length;
    if (m == &mt_cbc_ssl3_sha1) {
        /* RFC 6101 5.2.3.1 */
        uint8_t pad1[40], pad2[40], inner[20];
        memset(pad1, 0x36, 40);
        memset(pad2, 0x5c, 40);
        struct sha1_ctx s;
        sha1_init(&s);
        sha1_update(&s, 20, MK);
        sha1_update(&s, 40, pad1);
        sha1_update(&s, h, hdr);
        sha1_update(&s, alen, a);
        sha1_update(&s, blen, b);
        sha1_digest(&s, 20, inner);
        sha1_init(&s);
        sha1_update(&s, 20, MK);
        sha1_update(&s, 40, pad2);
        sha1_update(&s, 20, inner);
        sha1_digest(&s, 20, out);
    } else if (m == &mt_cbc_hmac_sha1) {
        struct hmac_sha1_ctx x;
        hmac_sha1_set_key(&x, 20, MK);
        hmac_sha1_update(&x, h, hdr);
        hmac_sha1_update(&x, alen, a);
        hmac_sha1_update(&x, blen, b);
        hmac_sha1_digest(&x, 20, out);
    } else if (m == &mt_cbc_hmac_sha256) {
        struct hmac_sha256_ctx x;
        hmac_sha256_set_key(&x, 32, MK);
        hmac_sha256_update(&x, h, hdr);
        hmac_sha256_update(&x, alen, a);
        hmac_sha256_update(&x, blen, b);
        hmac_sha256_digest(&x, 32, out);
    } else {
        struct hmac_sha512_ctx x;
        hmac_sha384_set_key(&x, 48, MK);
        hmac_sha384_update(&x, h, hdr);
        hmac_sha384_update(&x, alen, a);
        hmac_sha384_update(&x, blen, b);
        hmac_sha384_digest(&x, 48, out);
    }
}

/* MtE body: data || MAC || padlen+1 bytes of padlen. Returns its length. */
static size_t mte_body(const cfg *g, uint64_t seq, uint8_t type, size_t len, size_t padlen)
{
    size_t ml = g->mac->mac_len;
    memcpy(BODY, DATA, len);
    ref_mac(g->mac, seq, type, g->version, DATA, len, NULL, 0, len, BODY + len);
    memset(BODY + len + ml, (int)padlen, padlen + 1);
    return len + ml + padlen + 1;
}

/* A record around BODY[0..n) (whole blocks): [XIV] || E(body) [|| EtM MAC]. */
static size_t build(const mt_cbc_cipher *c, const cfg *g, uint64_t seq, uint8_t type, size_t n,
                    uint8_t *rec)
{
    size_t ivlen = explicit_iv(g) ? 16 : 0;
    uint8_t iv[16];
    memcpy(iv, ivlen ? XIV : IV0, 16);
    memcpy(rec, iv, ivlen);
    mt_cbc_cipher_ctx ctx;
    c->meta->set_encrypt_key(&ctx, EK);
    cbc_encrypt(&ctx, c->meta->encrypt, 16, iv, n, rec + ivlen, BODY);
    if (!g->etm) {
        return ivlen + n;
    }
    ref_mac(g->mac, seq, type, g->version, rec, ivlen, rec + ivlen, n, ivlen + n, rec + ivlen + n);
    return ivlen + n + g->mac->mac_len;
}

/* Open `rec` with a fresh opening state; returns the code and checks failures wipe. */
static int open_fresh(const mt_cbc_cipher *c, const cfg *g, uint64_t seq, uint8_t type,
                      const uint8_t *rec, size_t rlen, size_t *out_len)
{
    mt_cbc_state s, o;
    pair(c, g, &s, &o);
    memset(OUT, 0xaa, rlen);
    int rc = mt_cbc_open(&o, g->version, seq, type, g->etm, rec, rlen, OUT, sizeof(OUT), out_len);
    if (rc < 0) {
        CHECK_EQ(*out_len, 0);
        /* whatever was decrypted is wiped: no 0xaa filler was overwritten with plaintext */
        for (size_t i = 0; i < rlen; i++) {
            if (OUT[i] != 0 && OUT[i] != 0xaa) {
                printf("# byte %zu not wiped after failure\n", i);
                CHECK(0);
                break;
            }
        }
    }
    mt_cbc_wipe(&s);
    mt_cbc_wipe(&o);
    return rc;
}

static void round_trip_one(const mt_cbc_cipher *c, const cfg *g, mt_cbc_state *s, mt_cbc_state *o,
                           size_t len, int *bad)
{
    size_t rlen = 0, olen = 0;
    uint64_t seq = 0x0102030405060708ull + len;
    size_t want = mt_cbc_sealed_len(s, g->version, g->etm, len);
    int rc = mt_cbc_seal(s, g->version, seq, 23, g->etm, DATA, len, REC, sizeof(REC), &rlen);
    int rc2 =
        rc ? rc : mt_cbc_open(o, g->version, seq, 23, g->etm, REC, rlen, OUT, sizeof(OUT), &olen);
    if (rc != 0 || rc2 != 0 || rlen != want || olen != len || memcmp(OUT, DATA, len) != 0 ||
        memcmp(s->iv, o->iv, 16) != 0) {
        if (!*bad) {
            describe(c, g, len);
            printf("# seal %d open %d rlen %zu want %zu olen %zu\n", rc, rc2, rlen, want, olen);
        }
        *bad = 1;
    }
}

/* Every cipher x MAC x version x EtM, plaintext lengths 0..300 and 2^14, with the chained
 * IV (TLS 1.0, SSL 3.0) carried from record to record. */
static void round_trips(void)
{
    int bad = 0;
    size_t n = 0;
    for (size_t ci = 0; ci < NCIPHERS; ci++) {
        for (size_t gi = 0; gi < NCFGS; gi++) {
            mt_cbc_state s, o;
            pair(CIPHERS[ci], &CFGS[gi], &s, &o);
            for (size_t len = 0; len <= 300; len++) {
                round_trip_one(CIPHERS[ci], &CFGS[gi], &s, &o, len, &bad);
                n++;
            }
            round_trip_one(CIPHERS[ci], &CFGS[gi], &s, &o, MT_CBC_MAX_PLAINTEXT, &bad);
            n++;
        }
    }
    CHECK(!bad);
    CHECK_EQ(n, NCIPHERS * 19 * 302);
}

/* seal's output matches the independent construction: decrypt it here, check data, MAC,
 * minimal padding (TLS: bytes = padding_length; SSL 3.0: only the length byte), IV. */
static void seal_format(void)
{
    for (size_t ci = 0; ci < NCIPHERS; ci++) {
        const mt_cbc_cipher *c = CIPHERS[ci];
        for (size_t gi = 0; gi < NCFGS; gi++) {
            const cfg *g = &CFGS[gi];
            size_t ml = g->mac->mac_len, ivlen = explicit_iv(g) ? 16 : 0;
            mt_cbc_state s, o;
            pair(c, g, &s, &o);
            for (size_t len = 0; len < 70; len++) {
                size_t rlen;
                uint64_t seq = 1000 + len;
                uint8_t iv[16], mac[48];
                memcpy(iv, ivlen ? REC : s.iv, 16);
                CHECK_EQ(mt_cbc_seal(&s, g->version, seq, 22, g->etm, DATA, len, REC, sizeof(REC),
                                     &rlen),
                         0);
                size_t n = rlen - ivlen - (g->etm ? ml : 0);
                if (ivlen == 0) {
                    /* RFC 2246 6.2.3.2: the next IV is the last ciphertext block */
                    CHECK(memcmp(s.iv, REC + n - 16, 16) == 0);
                } else {
                    memcpy(iv, REC, 16);
                }
                mt_cbc_cipher_ctx ctx;
                c->meta->set_decrypt_key(&ctx, EK);
                cbc_decrypt(&ctx, c->meta->decrypt, 16, iv, n, BODY, REC + ivlen);
                CHECK(n % 16 == 0);
                CHECK(memcmp(BODY, DATA, len) == 0);
                size_t pad = BODY[n - 1];
                if (g->etm) {
                    ref_mac(g->mac, seq, 22, g->version, REC, ivlen, REC + ivlen, n, ivlen + n,
                            mac);
                    CHECK(memcmp(REC + ivlen + n, mac, ml) == 0);
                    CHECK_EQ(len + pad + 1, n);
                } else {
                    ref_mac(g->mac, seq, 22, g->version, DATA, len, NULL, 0, len, mac);
                    CHECK(memcmp(BODY + len, mac, ml) == 0);
                    CHECK_EQ(len + ml + pad + 1, n);
                }
                CHECK(pad < 16); /* minimal */
                if (g->version != MT_CBC_SSL30) {
                    for (size_t i = 0; i <= pad; i++) {
                        CHECK_EQ(BODY[n - 1 - i], pad);
                    }
                }
            }
            mt_cbc_wipe(&s);
            mt_cbc_wipe(&o);
        }
    }
}

/* TLS 1.1+ IVs are fresh per record; SSL 3.0 padding bytes are random. */
static void seal_randomness(void)
{
    mt_cbc_state s, o;
    cfg g = {MT_CBC_TLS12, &mt_cbc_hmac_sha1, 0};
    pair(&mt_cbc_aes128, &g, &s, &o);
    size_t r1, r2;
    CHECK_EQ(mt_cbc_seal(&s, g.version, 1, 23, 0, DATA, 10, REC, sizeof(REC), &r1), 0);
    CHECK_EQ(mt_cbc_seal(&s, g.version, 1, 23, 0, DATA, 10, REC2, sizeof(REC2), &r2), 0);
    CHECK_EQ(r1, r2);
    CHECK(memcmp(REC, REC2, 16) != 0);
    /* SSL 3.0, 0 data bytes: body = MAC (20) + 12 bytes: 11 random bytes + length 11 */
    cfg g3 = {MT_CBC_SSL30, &mt_cbc_ssl3_sha1, 0};
    pair(&mt_cbc_aes128, &g3, &s, &o);
    int differ = 0;
    for (int k = 0; k < 4; k++) {
        uint8_t iv[16];
        memcpy(iv, s.iv, 16);
        CHECK_EQ(mt_cbc_seal(&s, g3.version, 5, 23, 0, DATA, 0, REC, sizeof(REC), &r1), 0);
        CHECK_EQ(r1, 32);
        mt_cbc_cipher_ctx ctx;
        mt_cbc_aes128.meta->set_decrypt_key(&ctx, EK);
        cbc_decrypt(&ctx, mt_cbc_aes128.meta->decrypt, 16, iv, 32, BODY, REC);
        CHECK_EQ(BODY[31], 11);
        for (int i = 20; i < 31; i++) {
            differ |= BODY[i] != 11;
        }
    }
    CHECK(differ);
    mt_cbc_wipe(&s);
    mt_cbc_wipe(&o);
}

/* open accepts records built independently with every legal padding length, not only
 * the minimal padding seal writes: TLS 0..255, SSL 3.0 0..block-1 with random bytes. */
static void open_every_padding(void)
{
    for (size_t ci = 0; ci < NCIPHERS; ci += 3) {
        const mt_cbc_cipher *c = CIPHERS[ci];
        for (size_t gi = 0; gi < NCFGS; gi++) {
            const cfg *g = &CFGS[gi];
            size_t ml = g->mac->mac_len;
            int accepted = 0;
            for (size_t len = 0; len < 40; len += 13) {
                size_t maxpad = g->version == MT_CBC_SSL30 ? 15 : 255;
                for (size_t pad = 0; pad <= maxpad; pad++) {
                    size_t n, olen;
                    if (g->etm) {
                        if ((len + pad + 1) % 16) {
                            continue;
                        }
                        memcpy(BODY, DATA, len);
                        memset(BODY + len, (int)pad, pad + 1);
                        n = len + pad + 1;
                    } else {
                        if ((len + ml + pad + 1) % 16) {
                            continue;
                        }
                        n = mte_body(g, 77, 23, len, pad);
                        if (g->version == MT_CBC_SSL30) {
                            for (size_t i = 0; i < pad; i++) {
                                BODY[len + ml + i] = (uint8_t)rand();
                            }
                        }
                    }
                    size_t rlen = build(c, g, 77, 23, n, REC);
                    int rc = open_fresh(c, g, 77, 23, REC, rlen, &olen);
                    if (rc != 0 || olen != len || memcmp(OUT, DATA, len) != 0) {
                        describe(c, g, len);
                        printf("# padding %zu: rc %d olen %zu\n", pad, rc, olen);
                        CHECK(0);
                    }
                    accepted++;
                }
            }
            CHECK(accepted >= 3);
        }
    }
}

/* Flip bits in every byte of a sealed record: always bad_record_mac, nothing leaks,
 * and the state still opens the genuine record afterwards (failures change nothing). */
static void tamper_every_byte(void)
{
    static const size_t lens[] = {0, 17, 100};
    static const uint8_t flips[] = {0x01, 0x80};
    for (size_t ci = 0; ci < NCIPHERS; ci++) {
        const mt_cbc_cipher *c = CIPHERS[ci];
        for (size_t gi = 0; gi < NCFGS; gi++) {
            const cfg *g = &CFGS[gi];
            for (size_t li = 0; li < 3; li++) {
                mt_cbc_state s, o;
                pair(c, g, &s, &o);
                size_t rlen, olen;
                CHECK_EQ(mt_cbc_seal(&s, g->version, 9, 23, g->etm, DATA, lens[li], REC,
                                     sizeof(REC), &rlen),
                         0);
                for (size_t i = 0; i < rlen; i++) {
                    for (size_t f = 0; f < 2; f++) {
                        memcpy(REC2, REC, rlen);
                        REC2[i] ^= flips[f];
                        memset(OUT, 0xaa, rlen);
                        int rc = mt_cbc_open(&o, g->version, 9, 23, g->etm, REC2, rlen, OUT,
                                             sizeof(OUT), &olen);
                        if (rc != -MT_E_BAD_RECORD_MAC || olen != 0 ||
                            memchr(OUT, DATA[1], lens[li] > 2 ? lens[li] : 0) != NULL) {
                            describe(c, g, lens[li]);
                            printf("# byte %zu ^ %02x: rc %d\n", i, flips[f], rc);
                            CHECK(0);
                        }
                    }
                }
                /* wrong sequence number, type or version: the MAC covers them */
                CHECK_EQ(
                    mt_cbc_open(&o, g->version, 10, 23, g->etm, REC, rlen, OUT, sizeof(OUT), &olen),
                    -MT_E_BAD_RECORD_MAC);
                CHECK_EQ(
                    mt_cbc_open(&o, g->version, 9, 22, g->etm, REC, rlen, OUT, sizeof(OUT), &olen),
                    -MT_E_BAD_RECORD_MAC);
                if (g->version == MT_CBC_TLS11 || g->version == MT_CBC_TLS12) {
                    uint16_t other = g->version == MT_CBC_TLS11 ? MT_CBC_TLS12 : MT_CBC_TLS11;
                    CHECK_EQ(
                        mt_cbc_open(&o, other, 9, 23, g->etm, REC, rlen, OUT, sizeof(OUT), &olen),
                        -MT_E_BAD_RECORD_MAC);
                }
                CHECK_EQ(
                    mt_cbc_open(&o, g->version, 9, 23, g->etm, REC, rlen, OUT, sizeof(OUT), &olen),
                    0);
                CHECK_EQ(olen, lens[li]);
                mt_cbc_wipe(&s);
                mt_cbc_wipe(&o);
            }
        }
    }
}

/* Every prefix of a record, and the record with a byte appended, fail with one code. */
static void truncation_every_length(void)
{
    for (size_t ci = 0; ci < NCIPHERS; ci++) {
        const mt_cbc_cipher *c = CIPHERS[ci];
        for (size_t gi = 0; gi < NCFGS; gi++) {
            const cfg *g = &CFGS[gi];
            mt_cbc_state s, o;
            pair(c, g, &s, &o);
            size_t rlen, olen;
            CHECK_EQ(mt_cbc_seal(&s, g->version, 3, 23, g->etm, DATA, 50, REC, sizeof(REC), &rlen),
                     0);
            REC[rlen] = 0;
            for (size_t k = 0; k <= rlen + 1; k++) {
                if (k == rlen) {
                    continue;
                }
                int rc =
                    mt_cbc_open(&o, g->version, 3, 23, g->etm, REC, k, OUT, sizeof(OUT), &olen);
                if (rc != -MT_E_BAD_RECORD_MAC || olen != 0) {
                    describe(c, g, 50);
                    printf("# truncated to %zu: rc %d\n", k, rc);
                    CHECK(0);
                }
            }
            CHECK_EQ(mt_cbc_open(&o, g->version, 3, 23, g->etm, REC, rlen, OUT, sizeof(OUT), &olen),
                     0);
            mt_cbc_wipe(&s);
            mt_cbc_wipe(&o);
        }
    }
}

/* MtE bodies with a correct MAC and broken padding of every kind. */
static void bad_padding_mte(void)
{
    for (size_t ci = 0; ci < NCIPHERS; ci += 3) {
        const mt_cbc_cipher *c = CIPHERS[ci];
        for (size_t gi = 0; gi < NCFGS; gi++) {
            const cfg *g = &CFGS[gi];
            if (g->etm) {
                continue;
            }
            size_t ml = g->mac->mac_len, olen;
            int ssl3 = g->version == MT_CBC_SSL30;
            int cases = 0;
            /* wrong value at every position of the padding (TLS checks every byte) */
            for (size_t len = 0; len < 48 && !ssl3; len++) {
                size_t pad = (32 - (len + ml + 1) % 16) % 16 + 16; /* 16..31 */
                for (size_t j = 0; j < pad; j++) {
                    size_t n = mte_body(g, 5, 23, len, pad);
                    BODY[len + ml + j] ^= (uint8_t)(1u << (j % 8));
                    size_t rlen = build(c, g, 5, 23, n, REC);
                    CHECK_EQ(open_fresh(c, g, 5, 23, REC, rlen, &olen), -MT_E_BAD_RECORD_MAC);
                    cases++;
                }
            }
            /* padding_length past the data: pad + 1 + mac_len > n, for every such value */
            for (size_t n = 32; n <= 96; n += 16) {
                if (n < ml + 1) {
                    continue;
                }
                for (size_t pad = n - ml; pad < 256; pad++) {
                    memset(BODY, (int)pad, n);
                    size_t rlen = build(c, g, 5, 23, n, REC);
                    CHECK_EQ(open_fresh(c, g, 5, 23, REC, rlen, &olen), -MT_E_BAD_RECORD_MAC);
                    cases++;
                }
            }
            /* SSL 3.0: padding of a block or more is refused (RFC 6101 5.2.3.2), while the
             * same record is fine under TLS rules; a correct MAC over the data. */
            for (size_t pad = 16; pad < 64 && ssl3; pad++) {
                for (size_t len = 0; len < 16; len++) {
                    if ((len + ml + pad + 1) % 16) {
                        continue;
                    }
                    size_t n = mte_body(g, 5, 23, len, pad);
                    size_t rlen = build(c, g, 5, 23, n, REC);
                    CHECK_EQ(open_fresh(c, g, 5, 23, REC, rlen, &olen), -MT_E_BAD_RECORD_MAC);
                    cases++;
                    cfg t = {MT_CBC_TLS10, &mt_cbc_hmac_sha1, 0};
                    n = mte_body(&t, 5, 23, len, pad);
                    rlen = build(c, &t, 5, 23, n, REC);
                    CHECK_EQ(open_fresh(c, &t, 5, 23, REC, rlen, &olen), 0);
                    CHECK_EQ(olen, len);
                }
            }
            /* valid padding, MAC over other data (or a MAC-sized gap in the wrong place) */
            for (size_t len = 1; len < 40; len++) {
                size_t pad = (16 - (len + ml + 1) % 16) % 16;
                size_t n = mte_body(g, 5, 23, len, pad);
                BODY[0] ^= 1;
                size_t rlen = build(c, g, 5, 23, n, REC);
                CHECK_EQ(open_fresh(c, g, 5, 23, REC, rlen, &olen), -MT_E_BAD_RECORD_MAC);
                /* padding one longer than sent: MAC is then read at the wrong offset */
                n = mte_body(g, 5, 23, len, pad);
                BODY[n - 1] = (uint8_t)(pad + 16);
                memset(BODY + n - pad - 17, (int)(pad + 16), pad + 17);
                rlen = build(c, g, 5, 23, n, REC);
                CHECK_EQ(open_fresh(c, g, 5, 23, REC, rlen, &olen), -MT_E_BAD_RECORD_MAC);
                cases += 2;
            }
            CHECK(cases > 50);
        }
    }
}

/* EtM: a correct MAC over ciphertext whose padding is bad still gives bad_record_mac. */
static void bad_padding_etm(void)
{
    for (size_t gi = 0; gi < NCFGS; gi++) {
        const cfg *g = &CFGS[gi];
        if (!g->etm) {
            continue;
        }
        size_t olen;
        for (size_t len = 0; len < 40; len++) {
            size_t pad = (32 - (len + 1) % 16) % 16 + 16;
            for (size_t j = 0; j <= pad; j++) {
                memcpy(BODY, DATA, len);
                memset(BODY + len, (int)pad, pad + 1);
                if (j < pad) {
                    BODY[len + j] ^= 0x40; /* wrong padding byte */
                } else {
                    BODY[len + j] = (uint8_t)(len + pad + 1); /* length past the data */
                }
                size_t rlen = build(&mt_cbc_aes128, g, 8, 23, len + pad + 1, REC);
                CHECK_EQ(open_fresh(&mt_cbc_aes128, g, 8, 23, REC, rlen, &olen),
                         -MT_E_BAD_RECORD_MAC);
            }
        }
    }
}

/* Length limits, buffer sizes and misuse. */
static void limits_and_misuse(void)
{
    mt_cbc_state s, o;
    size_t rlen = 0, olen = 0;
    cfg g = {MT_CBC_TLS12, &mt_cbc_hmac_sha256, 0};
    pair(&mt_cbc_aes256, &g, &s, &o);
    size_t want = mt_cbc_sealed_len(&s, MT_CBC_TLS12, 0, 100);
    CHECK_EQ(want, 16 + 144);
    CHECK_EQ(mt_cbc_sealed_len(&s, MT_CBC_TLS12, 1, 100), 16 + 112 + 32);
    CHECK_EQ(mt_cbc_sealed_len(&s, 0x0304, 0, 100), 0);
    CHECK_EQ(mt_cbc_seal(&s, MT_CBC_TLS12, 1, 23, 0, DATA, 100, REC, want - 1, &rlen),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_cbc_seal(&s, MT_CBC_TLS12, 1, 23, 0, DATA, MT_CBC_MAX_PLAINTEXT + 1, REC,
                         sizeof(REC), &rlen),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_cbc_seal(&s, MT_CBC_TLS12, 1, 23, 0, DATA, 100, REC, want, &rlen), 0);
    CHECK_EQ(rlen, want);
    /* out must hold the decrypted body (rlen - IV) */
    CHECK_EQ(mt_cbc_open(&o, MT_CBC_TLS12, 1, 23, 0, REC, rlen, OUT, rlen - 17, &olen),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_cbc_open(&o, MT_CBC_TLS12, 1, 23, 0, REC, rlen, OUT, rlen - 16, &olen), 0);
    CHECK_EQ(olen, 100);
    /* RFC 5246 6.2.3: ciphertext over 2^14 + 2048 */
    CHECK_EQ(mt_cbc_open(&o, MT_CBC_TLS12, 1, 23, 0, REC, MT_CBC_MAX_CIPHERTEXT + 1, OUT,
                         sizeof(OUT), &olen),
             -MT_E_RECORD_OVERFLOW);
    /* wrong direction, version, MAC kind, missing chained IV */
    CHECK_EQ(mt_cbc_seal(&o, MT_CBC_TLS12, 1, 23, 0, DATA, 1, REC, sizeof(REC), &rlen),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_cbc_open(&s, MT_CBC_TLS12, 1, 23, 0, REC, 64, OUT, sizeof(OUT), &olen),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_cbc_seal(&s, 0x0304, 1, 23, 0, DATA, 1, REC, sizeof(REC), &rlen),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_cbc_seal(&s, 0x0200, 1, 23, 0, DATA, 1, REC, sizeof(REC), &rlen),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_cbc_seal(&s, MT_CBC_TLS10, 1, 23, 0, DATA, 1, REC, sizeof(REC), &rlen),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_cbc_seal(&s, MT_CBC_SSL30, 1, 23, 0, DATA, 1, REC, sizeof(REC), &rlen),
             -MT_E_INVALID_ARG);
    mt_cbc_state s3;
    CHECK_EQ(mt_cbc_init(&s3, &mt_cbc_aes128, &mt_cbc_ssl3_sha1, MT_CBC_SEAL, EK, MK, IV0), 0);
    CHECK_EQ(mt_cbc_seal(&s3, MT_CBC_SSL30, 1, 23, 1, DATA, 1, REC, sizeof(REC), &rlen),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_cbc_seal(&s3, MT_CBC_TLS10, 1, 23, 0, DATA, 1, REC, sizeof(REC), &rlen),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_cbc_seal(&s3, MT_CBC_SSL30, 1, 23, 0, DATA, 1, REC, sizeof(REC), &rlen), 0);
    CHECK_EQ(mt_cbc_init(&s3, NULL, &mt_cbc_ssl3_sha1, MT_CBC_SEAL, EK, MK, IV0),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_cbc_init(&s3, &mt_cbc_aes128, &mt_cbc_ssl3_sha1, 7, EK, MK, IV0),
             -MT_E_INVALID_ARG);
    mt_cbc_wipe(&s3);
    CHECK_EQ(mt_cbc_seal(&s3, MT_CBC_SSL30, 1, 23, 0, DATA, 1, REC, sizeof(REC), &rlen),
             -MT_E_INVALID_ARG);
    CHECK(mt_cbc_cipher_by_name("CAMELLIA-256-CBC") == &mt_cbc_camellia256);
    CHECK(mt_cbc_mac_by_name("HMAC-SHA384") == &mt_cbc_hmac_sha384);
    CHECK(mt_cbc_cipher_by_name("AES-192-CBC") == NULL);
    mt_cbc_wipe(&s);
    mt_cbc_wipe(&o);
}

/* The largest records: 2^14 plaintext bytes with long padding are accepted; an
 * authenticated plaintext of 2^14 + 1 bytes is record_overflow (RFC 5246 6.2.1). */
static void largest_records(void)
{
    for (size_t gi = 0; gi < NCFGS; gi++) {
        const cfg *g = &CFGS[gi];
        size_t ml = g->etm ? 0 : g->mac->mac_len, olen;
        for (size_t len = MT_CBC_MAX_PLAINTEXT; len <= MT_CBC_MAX_PLAINTEXT + 1; len++) {
            size_t maxpad = g->version == MT_CBC_SSL30 ? 15 : 255;
            size_t pad = maxpad - (len + ml + maxpad + 1) % 16;
            size_t n;
            if (g->etm) {
                memcpy(BODY, DATA, len);
                memset(BODY + len, (int)pad, pad + 1);
                n = len + pad + 1;
            } else {
                n = mte_body(g, 4, 23, len, pad);
            }
            CHECK_EQ(n % 16, 0);
            size_t rlen = build(&mt_cbc_camellia128, g, 4, 23, n, REC);
            CHECK(rlen <= MT_CBC_MAX_CIPHERTEXT);
            int rc = open_fresh(&mt_cbc_camellia128, g, 4, 23, REC, rlen, &olen);
            if (len == MT_CBC_MAX_PLAINTEXT) {
                CHECK_EQ(rc, 0);
                CHECK_EQ(olen, len);
                CHECK(memcmp(OUT, DATA, len) == 0);
            } else {
                CHECK_EQ(rc, -MT_E_RECORD_OVERFLOW);
            }
        }
    }
}

/* Wycheproof AES-CBC-PKCS5 (valid vectors): the states' key schedules in both directions. */
static void known_answers_aes(void)
{
    size_t n = sizeof(cbc_vectors) / sizeof(cbc_vectors[0]);
    CHECK_EQ(n, 48);
    for (size_t i = 0; i < n; i++) {
        const cbc_vector *v = &cbc_vectors[i];
        const mt_cbc_cipher *c = v->key_len == 16 ? &mt_cbc_aes128 : &mt_cbc_aes256;
        mt_cbc_state s, o;
        CHECK_EQ(mt_cbc_init(&s, c, &mt_cbc_hmac_sha1, MT_CBC_SEAL, v->key, MK, NULL), 0);
        CHECK_EQ(mt_cbc_init(&o, c, &mt_cbc_hmac_sha1, MT_CBC_OPEN, v->key, MK, NULL), 0);
        uint8_t pt[96], ct[96], iv[16];
        size_t padn = 16 - v->msg_len % 16; /* PKCS#5 */
        memcpy(pt, v->msg, v->msg_len);
        memset(pt + v->msg_len, (int)padn, padn);
        CHECK_EQ(v->msg_len + padn, v->ct_len);
        memcpy(iv, v->iv, 16);
        cbc_encrypt(&s.ctx, c->meta->encrypt, 16, iv, v->ct_len, ct, pt);
        if (memcmp(ct, v->ct, v->ct_len) != 0) {
            printf("# tcId %d encrypt\n", v->tc_id);
            CHECK(0);
        }
        memcpy(iv, v->iv, 16);
        cbc_decrypt(&o.ctx, c->meta->decrypt, 16, iv, v->ct_len, pt, v->ct);
        if (memcmp(pt, v->msg, v->msg_len) != 0) {
            printf("# tcId %d decrypt\n", v->tc_id);
            CHECK(0);
        }
        mt_cbc_wipe(&s);
        mt_cbc_wipe(&o);
    }
}

/* RFC 3713 Appendix A: Camellia-128 and -256, one block (CBC with a zero IV). */
static void known_answers_camellia(void)
{
    static const uint8_t key[32] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                    0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
                                    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    static const uint8_t ct128[16] = {0x67, 0x67, 0x31, 0x38, 0x54, 0x96, 0x69, 0x73,
                                      0x08, 0x57, 0x06, 0x56, 0x48, 0xea, 0xbe, 0x43};
    static const uint8_t ct256[16] = {0x9a, 0xcc, 0x23, 0x7d, 0xff, 0x16, 0xd7, 0x6c,
                                      0x20, 0xef, 0x7c, 0x91, 0x9e, 0x3a, 0x75, 0x09};
    const mt_cbc_cipher *rows[2] = {&mt_cbc_camellia128, &mt_cbc_camellia256};
    const uint8_t *cts[2] = {ct128, ct256};
    for (int k = 0; k < 2; k++) {
        mt_cbc_state s, o;
        uint8_t iv[16] = {0}, out[16], back[16];
        CHECK_EQ(mt_cbc_init(&s, rows[k], &mt_cbc_hmac_sha1, MT_CBC_SEAL, key, MK, NULL), 0);
        CHECK_EQ(mt_cbc_init(&o, rows[k], &mt_cbc_hmac_sha1, MT_CBC_OPEN, key, MK, NULL), 0);
        cbc_encrypt(&s.ctx, rows[k]->meta->encrypt, 16, iv, 16, out, key);
        CHECK(memcmp(out, cts[k], 16) == 0);
        memset(iv, 0, 16);
        cbc_decrypt(&o.ctx, rows[k]->meta->decrypt, 16, iv, 16, back, out);
        CHECK(memcmp(back, key, 16) == 0);
        mt_cbc_wipe(&s);
        mt_cbc_wipe(&o);
    }
}

static size_t TRACE[512], NTRACE;

static void trace_hook(size_t len)
{
    if (NTRACE < 512) {
        TRACE[NTRACE] = len;
    }
    NTRACE++;
}

/* Hash work of an MtE open for BODY[0..n) (hash update lengths, in order). */
static int traced_open(const mt_cbc_cipher *c, const cfg *g, size_t n, size_t *trace,
                       size_t *ntrace)
{
    size_t rlen = build(c, g, 6, 23, n, REC), olen;
    mt_cbc_state s, o;
    pair(c, g, &s, &o);
    NTRACE = 0;
    mt_cbc_hash_hook = trace_hook;
    int rc = mt_cbc_open(&o, g->version, 6, 23, 0, REC, rlen, OUT, sizeof(OUT), &olen);
    mt_cbc_hash_hook = NULL;
    *ntrace = NTRACE;
    memcpy(trace, TRACE, sizeof(TRACE));
    mt_cbc_wipe(&s);
    mt_cbc_wipe(&o);
    return rc;
}

/* Lucky 13: for one ciphertext length, records with the shortest and the longest valid
 * padding, with a bad padding byte, with padding_length past the data (or, SSL 3.0, a
 * block or more) and with a bad MAC all make the same hash calls with the same lengths. */
static void hash_work_independent_of_padding(void)
{
    static size_t ref[512], got[512];
    static const size_t sizes[] = {64, 320};
    int compared = 0;
    for (size_t gi = 0; gi < NCFGS; gi++) {
        const cfg *g = &CFGS[gi];
        if (g->etm) {
            continue;
        }
        int ssl3 = g->version == MT_CBC_SSL30;
        size_t ml = g->mac->mac_len, nref, ngot;
        for (size_t si = 0; si < 2; si++) {
            size_t n = sizes[si];
            size_t maxpad = ssl3 ? 15 : 255;
            size_t bigpad = n - ml - 1 < maxpad ? n - ml - 1 : maxpad, smallpad = 0;
            while ((ml + bigpad + 1) % 16) {
                bigpad--;
            }
            while ((ml + smallpad + 1) % 16) {
                smallpad++;
            }
            /* SSL 3.0 padding is shorter than a block: one valid length per n */
            CHECK(bigpad > smallpad || ssl3 || (n == 64 && ml == 48));
            mte_body(g, 6, 23, n - ml - smallpad - 1, smallpad);
            CHECK_EQ(traced_open(&mt_cbc_aes128, g, n, ref, &nref), 0);
            CHECK(nref >= 3 && nref <= 512); /* header, window block(s), outer */
            for (int variant = 0; variant < 4; variant++) {
                mte_body(g, 6, 23, n - ml - bigpad - 1, bigpad); /* valid, longest padding */
                if (variant == 1) {
                    BODY[n - 2] ^= 1; /* bad padding byte (SSL 3.0: arbitrary, accepted) */
                } else if (variant == 2) {
                    memset(BODY, 0, n);
                    BODY[n - 1] = (uint8_t)(ssl3 ? 200 : 255); /* too long, or bytes wrong */
                } else if (variant == 3) {
                    BODY[0] ^= 1; /* bad MAC */
                }
                int ok = variant == 0 || (variant == 1 && ssl3);
                int rc = traced_open(&mt_cbc_aes128, g, n, got, &ngot);
                CHECK_EQ(rc, ok ? 0 : -MT_E_BAD_RECORD_MAC);
                if (ngot != nref || memcmp(got, ref, sizeof(ref)) != 0) {
                    printf("# %s version %04x n %zu variant %d: hash calls differ (%zu calls, want "
                           "%zu)\n",
                           g->mac->name, g->version, n, variant, ngot, nref);
                    CHECK(0);
                }
                compared++;
            }
        }
    }
    CHECK_EQ(compared, 10 * 2 * 4);
}

int main(void)
{
    init_data();
    RUN(round_trips);
    RUN(seal_format);
    RUN(seal_randomness);
    RUN(open_every_padding);
    RUN(tamper_every_byte);
    RUN(truncation_every_length);
    RUN(bad_padding_mte);
    RUN(bad_padding_etm);
    RUN(limits_and_misuse);
    RUN(largest_records);
    RUN(known_answers_aes);
    RUN(known_answers_camellia);
    RUN(hash_work_independent_of_padding);
    return t_done();
}
