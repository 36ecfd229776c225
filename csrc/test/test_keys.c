/* Unit tests for keys.c: every format, every signature algorithm, and hostile input. */
#include <stdint.h>
#include <stdlib.h>

#include <nettle/nettle-meta.h>

#include "../asn1.h"
#include "../err.h"
#include "../keys.h"
#include "../pem.h"
#include "keys_samples.h"
#include "t.h"

typedef struct {
    const char *name;
    const uint8_t *der;
    size_t len;
    mt_key_type type;
    unsigned bits;
    int priv;
} sample;

static const sample samples[] = {
    {"rsa pkcs1", s_rsa1, sizeof(s_rsa1), MT_KEY_RSA, 1024, 1},
    {"rsa public pkcs1", s_rsapub1, sizeof(s_rsapub1), MT_KEY_RSA, 1024, 0},
    {"ec sec1", s_ec256, sizeof(s_ec256), MT_KEY_EC_P256, 256, 1},
    {"ec spki", s_ec256pub, sizeof(s_ec256pub), MT_KEY_EC_P256, 256, 0},
    {"ed448 pkcs8", s_ed448, sizeof(s_ed448), MT_KEY_ED448, 448, 1},
    {"ed25519 pkcs8", s_ed25519, sizeof(s_ed25519), MT_KEY_ED25519, 255, 1},
    {"dsa openssl", s_dsa1024, sizeof(s_dsa1024), MT_KEY_DSA, 1024, 1},
    {"dsa pkcs8", s_dsa8, sizeof(s_dsa8), MT_KEY_DSA, 1024, 1},
    {"ec p384 pkcs8", s_ec384p8, sizeof(s_ec384p8), MT_KEY_EC_P384, 384, 1},
};

#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

/* Load from an exact-size heap copy, so ASan sees any read past the end. */
static int load_copy(const uint8_t *p, size_t n, const char *pw, mt_key **k)
{
    uint8_t *c = malloc(n ? n : 1);
    if (n) {
        memcpy(c, p, n);
    }
    int rc = mt_key_load(c, n, pw, pw ? strlen(pw) : 0, k);
    free(c);
    return rc;
}

static void loads_every_sample(void)
{
    for (size_t i = 0; i < NSAMPLES; i++) {
        const sample *s = &samples[i];
        mt_key *k = NULL;
        int rc = load_copy(s->der, s->len, NULL, &k);
        if (rc != 0) {
            printf("# %s: %s\n", s->name, mt_err_name(rc));
        }
        CHECK_EQ(rc, 0);
        CHECK_EQ(mt_key_type_of(k), s->type);
        CHECK_EQ(mt_key_bits(k), s->bits);
        CHECK_EQ(mt_key_is_private(k), s->priv);
        mt_key_free(k);
    }
}

static void pem_and_pkcs8_round_trip(void)
{
    for (size_t i = 0; i < NSAMPLES; i++) {
        const sample *s = &samples[i];
        mt_key *k = NULL, *k2 = NULL, *pub = NULL;
        if (load_copy(s->der, s->len, NULL, &k) != 0) {
            CHECK(0);
            continue;
        }
        mt_wr der, pem;
        mt_wr_init_growable(&der, 1 << 16);
        mt_wr_init_growable(&pem, 1 << 16);
        const char *label = s->priv ? "PRIVATE KEY" : "PUBLIC KEY";
        CHECK_EQ(s->priv ? mt_key_write_pkcs8(k, &der) : mt_key_write_spki(k, &der), 0);
        CHECK_EQ(mt_pem_write(&pem, "EC PARAMETERS", (const uint8_t *)"\x06\x01\x00", 3), 0);
        CHECK_EQ(mt_pem_write(&pem, label, der.p, der.len), 0);
        CHECK_EQ(load_copy(pem.p, pem.len, NULL, &k2), 0);
        CHECK(mt_key_public_eq(k, k2));
        CHECK_EQ(mt_key_is_private(k2), s->priv);
        /* the public half loads from its SPKI and equals the original */
        CHECK_EQ(mt_key_public(k, &pub), 0);
        CHECK(mt_key_public_eq(pub, k));
        CHECK_EQ(mt_key_is_private(pub), 0);
        CHECK_EQ(mt_key_write_pkcs8(pub, &der), -MT_E_INVALID_ARG);
        mt_wr_free(&der);
        mt_wr_free(&pem);
        mt_key_free(k);
        mt_key_free(k2);
        mt_key_free(pub);
    }
}

static void encrypted_pkcs8(void)
{
    mt_key *k = NULL, *plain = NULL;
    CHECK_EQ(load_copy(s_ecenc, sizeof(s_ecenc), "pw", &k), 0);
    CHECK_EQ(load_copy(s_ec256, sizeof(s_ec256), NULL, &plain), 0);
    CHECK(mt_key_public_eq(k, plain));
    CHECK_EQ(mt_key_is_private(k), 1);
    mt_key_free(k);
    mt_key_free(plain);
    k = NULL;
    CHECK_EQ(load_copy(s_ecenc, sizeof(s_ecenc), NULL, &k), -MT_E_PASSWORD_NEEDED);
    CHECK_EQ(load_copy(s_ecenc, sizeof(s_ecenc), "pW", &k), -MT_E_BAD_PASSWORD);
    CHECK_EQ(load_copy(s_ecenc, sizeof(s_ecenc), "", &k), -MT_E_BAD_PASSWORD);
    CHECK(k == NULL);
    /* a flipped ciphertext byte in the last block breaks the padding or the inner DER */
    uint8_t bad[sizeof(s_ecenc)];
    memcpy(bad, s_ecenc, sizeof(bad));
    bad[sizeof(bad) - 20] ^= 0x40;
    CHECK_EQ(load_copy(bad, sizeof(bad), "pw", &k), -MT_E_BAD_PASSWORD);
}

static void generate_and_write(void)
{
    static const mt_key_type types[] = {MT_KEY_EC_P256, MT_KEY_EC_P384, MT_KEY_EC_P521,
                                        MT_KEY_ED25519, MT_KEY_ED448};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        mt_key *k = NULL, *k2 = NULL, *other = NULL;
        CHECK_EQ(mt_key_generate(types[i], 0, &k), 0);
        CHECK_EQ(mt_key_generate(types[i], 0, &other), 0);
        CHECK(!mt_key_public_eq(k, other));
        mt_wr w;
        mt_wr_init_growable(&w, 1 << 16);
        CHECK_EQ(mt_key_write_pkcs8(k, &w), 0);
        CHECK_EQ(mt_key_load(w.p, w.len, NULL, 0, &k2), 0);
        CHECK(mt_key_public_eq(k, k2));
        CHECK_EQ(mt_key_type_of(k2), types[i]);
        mt_wr_free(&w);
        mt_key_free(k);
        mt_key_free(k2);
        mt_key_free(other);
    }
    mt_key *k = NULL;
    CHECK_EQ(mt_key_generate(MT_KEY_RSA, 1024, &k), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_key_generate(MT_KEY_RSA, 8192, &k), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_key_generate(MT_KEY_DSA, 0, &k), -MT_E_KEY_UNSUPPORTED);
    CHECK_EQ(mt_key_generate(MT_KEY_NONE, 0, &k), -MT_E_INVALID_ARG);
    CHECK(k == NULL);
}

/* Sign and verify every algorithm a key supports; wrong message, wrong key, corrupted
 * signature and the digest variants. */
static void sign_verify_one(mt_key *k, mt_key *other, mt_sig_alg alg)
{
    static const uint8_t msg[] = "moontls test message";
    mt_wr sig;
    mt_wr_init_growable(&sig, 1 << 16);
    CHECK(mt_key_supports(k, alg));
    CHECK_EQ(mt_key_sign(k, alg, msg, sizeof(msg), &sig), 0);
    CHECK_EQ(mt_key_verify(k, alg, msg, sizeof(msg), sig.p, sig.len), 0);
    CHECK_EQ(mt_key_verify(k, alg, msg, sizeof(msg) - 1, sig.p, sig.len), -MT_E_SIGNATURE);
    if (other) {
        CHECK_EQ(mt_key_verify(other, alg, msg, sizeof(msg), sig.p, sig.len), -MT_E_SIGNATURE);
    }
    CHECK_EQ(mt_key_verify(k, alg, msg, sizeof(msg), sig.p, sig.len - 1), -MT_E_SIGNATURE);
    sig.p[sig.len / 2] ^= 0x10;
    CHECK_EQ(mt_key_verify(k, alg, msg, sizeof(msg), sig.p, sig.len), -MT_E_SIGNATURE);
    if (alg.kind != MT_SIG_EDDSA) {
        uint8_t digest[64];
        const struct nettle_hash *h = mt_hash_nettle(alg.hash);
        size_t n = mt_hash_len(alg.hash);
        union {
            uint64_t align;
            uint8_t b[512];
        } ctx;
        CHECK(h != NULL && h->context_size <= sizeof(ctx));
        h->init(&ctx);
        h->update(&ctx, sizeof(msg), msg);
        h->digest(&ctx, n, digest);
        mt_wr_reset(&sig);
        CHECK_EQ(mt_key_sign_digest(k, alg, digest, n, &sig), 0);
        CHECK_EQ(mt_key_verify(k, alg, msg, sizeof(msg), sig.p, sig.len), 0);
        CHECK_EQ(mt_key_verify_digest(k, alg, digest, n, sig.p, sig.len), 0);
        CHECK_EQ(mt_key_verify_digest(k, alg, digest, n - 1, sig.p, sig.len), -MT_E_INVALID_ARG);
        digest[0] ^= 1;
        CHECK_EQ(mt_key_verify_digest(k, alg, digest, n, sig.p, sig.len), -MT_E_SIGNATURE);
    }
    mt_key *pub = NULL;
    CHECK_EQ(mt_key_public(k, &pub), 0);
    mt_wr_reset(&sig);
    CHECK_EQ(mt_key_sign(pub, alg, msg, sizeof(msg), &sig), -MT_E_INVALID_ARG);
    mt_key_free(pub);
    mt_wr_free(&sig);
}

static void sign_verify_all_algorithms(void)
{
    mt_key *rsa = NULL, *rsa2 = NULL, *dsa = NULL, *ec[3] = {NULL}, *ed[2] = {NULL};
    CHECK_EQ(mt_key_generate(MT_KEY_RSA, 2048, &rsa), 0);
    CHECK_EQ(mt_key_bits(rsa), 2048);
    CHECK_EQ(load_copy(s_rsa1, sizeof(s_rsa1), NULL, &rsa2), 0);
    CHECK_EQ(load_copy(s_dsa1024, sizeof(s_dsa1024), NULL, &dsa), 0);
    CHECK_EQ(mt_key_generate(MT_KEY_EC_P256, 0, &ec[0]), 0);
    CHECK_EQ(mt_key_generate(MT_KEY_EC_P384, 0, &ec[1]), 0);
    CHECK_EQ(mt_key_generate(MT_KEY_EC_P521, 0, &ec[2]), 0);
    CHECK_EQ(mt_key_generate(MT_KEY_ED25519, 0, &ed[0]), 0);
    CHECK_EQ(mt_key_generate(MT_KEY_ED448, 0, &ed[1]), 0);
    for (int h = MT_HASH_SHA1; h <= MT_HASH_SHA512; h++) {
        sign_verify_one(rsa, rsa2, (mt_sig_alg){MT_SIG_RSA_PKCS1, (uint8_t)h, 0});
        for (int i = 0; i < 3; i++) {
            sign_verify_one(ec[i], ec[(i + 1) % 3], (mt_sig_alg){MT_SIG_ECDSA, (uint8_t)h, 0});
        }
        if (h >= MT_HASH_SHA256) {
            uint16_t salt = (uint16_t)mt_hash_len(h);
            sign_verify_one(rsa, rsa2, (mt_sig_alg){MT_SIG_RSA_PSS, (uint8_t)h, salt});
            sign_verify_one(rsa, rsa2, (mt_sig_alg){MT_SIG_RSA_PSS, (uint8_t)h, 0});
        }
        if (h <= MT_HASH_SHA256) {
            sign_verify_one(dsa, NULL, (mt_sig_alg){MT_SIG_DSA, (uint8_t)h, 0});
        }
    }
    sign_verify_one(ed[0], NULL, (mt_sig_alg){MT_SIG_EDDSA, MT_HASH_NONE, 0});
    sign_verify_one(ed[1], NULL, (mt_sig_alg){MT_SIG_EDDSA, MT_HASH_NONE, 0});

    /* refusals: MD5, hashes or kinds that do not fit the key, PSS salt of another length */
    mt_wr sig;
    mt_wr_init_growable(&sig, 1 << 16);
    static const uint8_t m[] = "x";
    CHECK_EQ(mt_key_sign(rsa, (mt_sig_alg){MT_SIG_RSA_PKCS1, MT_HASH_MD5, 0}, m, 1, &sig),
             -MT_E_SIG_UNSUPPORTED);
    CHECK_EQ(mt_key_sign(ec[0], (mt_sig_alg){MT_SIG_ECDSA, MT_HASH_MD5, 0}, m, 1, &sig),
             -MT_E_SIG_UNSUPPORTED);
    CHECK_EQ(mt_key_sign(rsa, (mt_sig_alg){MT_SIG_RSA_PSS, MT_HASH_SHA1, 20}, m, 1, &sig),
             -MT_E_SIG_UNSUPPORTED);
    CHECK_EQ(mt_key_sign(dsa, (mt_sig_alg){MT_SIG_DSA, MT_HASH_SHA384, 0}, m, 1, &sig),
             -MT_E_SIG_UNSUPPORTED);
    CHECK_EQ(mt_key_sign(ed[0], (mt_sig_alg){MT_SIG_EDDSA, MT_HASH_SHA256, 0}, m, 1, &sig),
             -MT_E_SIG_UNSUPPORTED);
    CHECK_EQ(mt_key_sign(ec[0], (mt_sig_alg){MT_SIG_RSA_PKCS1, MT_HASH_SHA256, 0}, m, 1, &sig),
             -MT_E_SIG_UNSUPPORTED);
    CHECK_EQ(mt_key_sign(rsa, (mt_sig_alg){MT_SIG_RSA_PSS, MT_HASH_SHA256, 32}, m, 1, &sig), 0);
    CHECK_EQ(
        mt_key_verify(rsa, (mt_sig_alg){MT_SIG_RSA_PSS, MT_HASH_SHA256, 20}, m, 1, sig.p, sig.len),
        -MT_E_SIGNATURE);
    CHECK_EQ(mt_hash_from_name("md5"), MT_HASH_MD5);
    CHECK_EQ(mt_hash_from_name("sha384"), MT_HASH_SHA384);
    CHECK_EQ(mt_hash_from_name("sha3-256"), MT_HASH_NONE);
    CHECK_EQ(mt_hash_len(MT_HASH_SHA224), 28);
    mt_wr_free(&sig);
    mt_key_free(rsa);
    mt_key_free(rsa2);
    mt_key_free(dsa);
    for (int i = 0; i < 3; i++) {
        mt_key_free(ec[i]);
    }
    mt_key_free(ed[0]);
    mt_key_free(ed[1]);
}

/* ECDSA signatures must be strict DER: a BER long-form length or a padded INTEGER fails. */
static void ecdsa_strict_der(void)
{
    mt_key *k = NULL;
    CHECK_EQ(mt_key_generate(MT_KEY_EC_P256, 0, &k), 0);
    mt_sig_alg alg = {MT_SIG_ECDSA, MT_HASH_SHA256, 0};
    uint8_t buf[160], ber[170];
    mt_wr sig;
    mt_wr_init_fixed(&sig, buf, sizeof(buf));
    CHECK_EQ(mt_key_sign(k, alg, (const uint8_t *)"m", 1, &sig), 0);
    CHECK(sig.len < 128 && buf[0] == 0x30 && buf[1] == sig.len - 2);
    /* 30 81 LL ...: long form for a short length */
    ber[0] = 0x30;
    ber[1] = 0x81;
    memcpy(ber + 2, buf + 1, sig.len - 1);
    CHECK_EQ(mt_key_verify(k, alg, (const uint8_t *)"m", 1, ber, sig.len + 1), -MT_E_SIGNATURE);
    /* trailing byte */
    buf[sig.len] = 0;
    CHECK_EQ(mt_key_verify(k, alg, (const uint8_t *)"m", 1, buf, sig.len + 1), -MT_E_SIGNATURE);
    CHECK_EQ(mt_key_verify(k, alg, (const uint8_t *)"m", 1, buf, sig.len), 0);
    mt_key_free(k);
}

/* Truncation at every offset, a length past the end, a non-minimal length and trailing
 * bytes: each a clean error. */
static void hostile_der(void)
{
    for (size_t i = 0; i < NSAMPLES; i++) {
        const sample *s = &samples[i];
        mt_key *k = NULL;
        for (size_t n = 0; n < s->len; n++) {
            int rc = load_copy(s->der, n, NULL, &k);
            if (rc >= 0) {
                printf("# %s truncated to %zu loaded\n", s->name, n);
            }
            CHECK(rc < 0);
            CHECK(k == NULL);
        }
        uint8_t *p = malloc(s->len + 2);
        /* trailing byte */
        memcpy(p, s->der, s->len);
        p[s->len] = 0;
        CHECK_EQ(load_copy(p, s->len + 1, NULL, &k), -MT_E_ASN1);
        /* outer length one past the end: the header is 30 81 LL or 30 82 HH LL */
        size_t at = p[1] == 0x81 ? 2 : p[1] == 0x82 ? 3 : 1;
        p[at]++;
        CHECK_EQ(load_copy(p, s->len, NULL, &k), -MT_E_ASN1);
        p[at]--;
        /* non-minimal: the same length in one more byte (30 LL -> 30 81 LL,
         * 30 81 LL -> 30 82 00 LL, 30 82 HH LL -> 30 83 00 HH LL) */
        uint8_t *q = malloc(s->len + 1);
        size_t qn = s->len + 1;
        int short_form = p[1] < 0x80;
        q[0] = 0x30;
        q[1] = (uint8_t)(short_form ? 0x81 : p[1] + 1);
        q[2] = short_form ? p[1] : 0;
        memcpy(q + 3, p + 2, s->len - 2);
        CHECK_EQ(load_copy(q, qn, NULL, &k), -MT_E_ASN1);
        /* every single-bit flip: no crash, no leak, and never the same key loaded silently */
        for (size_t j = 0; j < s->len; j++) {
            memcpy(p, s->der, s->len);
            p[j] ^= 0x01;
            if (load_copy(p, s->len, NULL, &k) == 0) {
                mt_key_free(k);
                k = NULL;
            }
        }
        free(p);
        free(q);
        CHECK(k == NULL);
    }
    mt_key *k = NULL;
    CHECK_EQ(mt_key_load(NULL, 0, NULL, 0, &k), -MT_E_ASN1);
    CHECK_EQ(mt_key_from_spki(s_ec256, sizeof(s_ec256), &k), -MT_E_ASN1);
    static const char pem[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    CHECK_EQ(mt_key_load((const uint8_t *)pem, sizeof(pem) - 1, NULL, 0, &k), -MT_E_PEM_NONE);
}

/* Consistency checks: a changed public point, prime or scalar is refused as key_invalid. */
static void inconsistent_keys(void)
{
    mt_key *k = NULL;
    uint8_t ec[sizeof(s_ec256)];
    memcpy(ec, s_ec256, sizeof(ec));
    ec[sizeof(ec) - 1] ^= 0x01; /* last byte of the public point's y */
    int rc = load_copy(ec, sizeof(ec), NULL, &k);
    CHECK(rc == -MT_E_KEY_INVALID);
    memcpy(ec, s_ec256, sizeof(ec));
    ec[10] ^= 0x01; /* inside the private scalar: the stored point no longer matches */
    CHECK_EQ(load_copy(ec, sizeof(ec), NULL, &k), -MT_E_KEY_INVALID);
    uint8_t rsa[sizeof(s_rsa1)];
    memcpy(rsa, s_rsa1, sizeof(rsa));
    rsa[sizeof(rsa) - 1] ^= 0x02; /* coefficient qInv */
    CHECK_EQ(load_copy(rsa, sizeof(rsa), NULL, &k), -MT_E_KEY_INVALID);
    memcpy(rsa, s_rsa1, sizeof(rsa));
    rsa[20] ^= 0x02; /* the modulus: p*q != n */
    CHECK_EQ(load_copy(rsa, sizeof(rsa), NULL, &k), -MT_E_KEY_INVALID);
    uint8_t dsa[sizeof(s_dsa1024)];
    memcpy(dsa, s_dsa1024, sizeof(dsa));
    dsa[sizeof(dsa) - 1] ^= 0x01; /* x: y != g^x */
    CHECK_EQ(load_copy(dsa, sizeof(dsa), NULL, &k), -MT_E_KEY_INVALID);
    CHECK(k == NULL);
}

/* RFC 8410 10.3 / RFC 5958: a v2 OneAsymmetricKey carries the public key in [1]; it must
 * match the private key, and v1 may not carry one. Built from s_ed25519 (a v1 key). */
static int ed25519_v2(int version, int corrupt, mt_key **k)
{
    mt_key *base = NULL;
    int rc = mt_key_load(s_ed25519, sizeof(s_ed25519), NULL, 0, &base);
    if (rc < 0) {
        return rc;
    }
    mt_wr spki, w;
    mt_wr_init_growable(&spki, 1024);
    mt_wr_init_growable(&w, 1024);
    mt_rd r, seq, alg;
    const uint8_t *priv, *pub;
    size_t privlen, publen;
    mt_asn1_mark m, b;
    /* the private key OCTET STRING and the public key bytes, read back with asn1.h */
    mt_rd_init(&r, s_ed25519, sizeof(s_ed25519));
    rc = mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq);
    int64_t v;
    rc = rc < 0 ? rc : mt_asn1_small(&seq, &v);
    rc = rc < 0 ? rc : mt_asn1_expect(&seq, MT_ASN1_SEQUENCE, &alg);
    rc = rc < 0 ? rc : mt_asn1_raw(&seq, MT_ASN1_OCTET_STRING, &priv, &privlen);
    rc = rc < 0 ? rc : mt_key_write_spki(base, &spki);
    mt_rd_init(&r, spki.p, spki.len);
    rc = rc < 0 ? rc : mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq);
    rc = rc < 0 ? rc : mt_asn1_expect(&seq, MT_ASN1_SEQUENCE, &alg);
    rc = rc < 0 ? rc : mt_asn1_bits_bytes(&seq, &pub, &publen);
    uint8_t pk[32];
    if (rc == 0 && publen == sizeof(pk)) {
        memcpy(pk, pub, sizeof(pk));
        pk[0] ^= (uint8_t)corrupt;
    }
    rc = rc < 0 ? rc : mt_asn1_open(&w, MT_ASN1_SEQUENCE, &m);
    rc = rc < 0 ? rc : mt_asn1_w_small(&w, (uint64_t)version);
    rc = rc < 0 ? rc : mt_asn1_open(&w, MT_ASN1_SEQUENCE, &b);
    rc = rc < 0 ? rc : mt_asn1_w_oid(&w, "\x2b\x65\x70", 3);
    rc = rc < 0 ? rc : mt_asn1_close(&w, &b);
    rc = rc < 0 ? rc : mt_wr_bytes(&w, priv, privlen);
    rc = rc < 0 ? rc : mt_asn1_open(&w, MT_ASN1_CONTEXT | 1, &b);
    rc = rc < 0 ? rc : mt_wr_u8(&w, 0);
    rc = rc < 0 ? rc : mt_wr_bytes(&w, pk, sizeof(pk));
    rc = rc < 0 ? rc : mt_asn1_close(&w, &b);
    rc = rc < 0 ? rc : mt_asn1_close(&w, &m);
    rc = rc < 0 ? rc : mt_key_load(w.p, w.len, NULL, 0, k);
    if (rc == 0 && !mt_key_public_eq(*k, base)) {
        rc = -MT_E_INTERNAL;
    }
    mt_key_free(base);
    mt_wr_free(&spki);
    mt_wr_free(&w);
    return rc;
}

static void eddsa_v2_public_key(void)
{
    mt_key *k = NULL;
    CHECK_EQ(ed25519_v2(1, 0, &k), 0);
    CHECK_EQ(mt_key_is_private(k), 1);
    mt_key_free(k);
    k = NULL;
    CHECK_EQ(ed25519_v2(1, 0x01, &k), -MT_E_KEY_INVALID);
    CHECK_EQ(ed25519_v2(0, 0, &k), -MT_E_KEY_INVALID);
    CHECK_EQ(ed25519_v2(2, 0, &k), -MT_E_KEY_UNSUPPORTED);
    CHECK(k == NULL);
}

int main(void)
{
    RUN(loads_every_sample);
    RUN(pem_and_pkcs8_round_trip);
    RUN(encrypted_pkcs8);
    RUN(generate_and_write);
    RUN(sign_verify_all_algorithms);
    RUN(ecdsa_strict_der);
    RUN(hostile_der);
    RUN(inconsistent_keys);
    RUN(eddsa_v2_public_key);
    return t_done();
}
