/* Unit tests for RSA key transport in keys.c: premaster decryption with random substitution
 * (RFC 5246 7.4.7.1) over hand-built encoded messages, encryption round trips, misuse. */
#include <stdlib.h>

#include <gmp.h>

#include "../asn1.h"
#include "../err.h"
#include "../keys.h"
#include "keys_samples.h"
#include "t.h"

static mt_key *key1024, *key2048;

/* n and e of an RSA key, read from its SubjectPublicKeyInfo. */
static int public_numbers(const mt_key *k, mpz_t n, mpz_t e)
{
    mt_wr w;
    mt_rd r, spki, alg, key;
    const uint8_t *bits, *p;
    size_t nbits, len;
    mt_wr_init_growable(&w, 4096);
    int rc = mt_key_write_spki(k, &w);
    mt_rd_init(&r, w.p, w.len);
    rc = rc == 0 ? mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &spki) : rc;
    rc = rc == 0 ? mt_asn1_expect(&spki, MT_ASN1_SEQUENCE, &alg) : rc;
    rc = rc == 0 ? mt_asn1_bits_bytes(&spki, &bits, &nbits) : rc;
    mt_rd_init(&r, bits, rc == 0 ? nbits : 0);
    rc = rc == 0 ? mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &key) : rc;
    rc = rc == 0 ? mt_asn1_uint(&key, &p, &len) : rc;
    if (rc == 0) {
        mpz_import(n, len, 1, 1, 0, 0, p);
        rc = mt_asn1_uint(&key, &p, &len);
    }
    if (rc == 0) {
        mpz_import(e, len, 1, 1, 0, 0, p);
    }
    mt_wr_free(&w);
    return rc;
}

/* Raw RSA: ct = em^e mod n, em and ct both k bytes. */
static void raw_encrypt(const mt_key *k, const uint8_t *em, uint8_t *ct, size_t klen)
{
    mpz_t n, e, m;
    mpz_inits(n, e, m, NULL);
    CHECK_EQ(public_numbers(k, n, e), 0);
    mpz_import(m, klen, 1, 1, 0, 0, em);
    mpz_powm(m, m, e, n);
    memset(ct, 0, klen);
    size_t len = (mpz_sizeinbase(m, 2) + 7) / 8;
    if (mpz_sgn(m) != 0) {
        mpz_export(ct + klen - len, NULL, 1, 1, 0, 0, m);
    }
    mpz_clears(n, e, m, NULL);
}

/* EM = 00 02 PS 00 M with PS of nonzero bytes, M = `mlen` bytes starting with version. */
static void build_em(uint8_t *em, size_t klen, size_t mlen, uint16_t version)
{
    size_t ps = klen - 3 - mlen;
    em[0] = 0;
    em[1] = 2;
    for (size_t i = 0; i < ps; i++) {
        em[2 + i] = (uint8_t)(0x11 + i % 200);
    }
    em[2 + ps] = 0;
    for (size_t i = 0; i < mlen; i++) {
        em[3 + ps + i] = (uint8_t)(0xa0 + i);
    }
    em[3 + ps] = (uint8_t)(version >> 8);
    em[4 + ps] = (uint8_t)version;
}

/* Decrypt twice; return 1 if both gave `want` (stable), 0 if both differ from it and from
 * each other (random substitution); -1 otherwise. */
static int premaster_twice(const mt_key *k, const uint8_t *ct, size_t len, uint16_t ver,
                           const uint8_t *want)
{
    uint8_t a[MT_PREMASTER_LEN], b[MT_PREMASTER_LEN];
    memset(a, 0x55, sizeof(a));
    memset(b, 0x55, sizeof(b));
    if (mt_key_rsa_decrypt_premaster(k, ct, len, ver, a) != 0 ||
        mt_key_rsa_decrypt_premaster(k, ct, len, ver, b) != 0) {
        return -1;
    }
    if (memcmp(a, want, sizeof(a)) == 0 && memcmp(b, want, sizeof(b)) == 0) {
        return 1;
    }
    if (memcmp(a, b, sizeof(a)) != 0 && memcmp(a, want, sizeof(a)) != 0 &&
        memcmp(b, want, sizeof(b)) != 0) {
        return 0;
    }
    return -1;
}

typedef struct {
    const char *name;
    size_t mlen;      /* message length in EM */
    uint16_t em_ver;  /* version bytes written into M */
    int byte0, byte1; /* >= 0: overwrite EM[0] / EM[1] */
    int kill_sep;     /* 1: make every PS byte and the separator nonzero */
    int zero_in_ps;   /* > 0: put a zero at PS[zero_in_ps - 1] */
    int stable;       /* expected: 1 premaster kept, 0 random substitute */
} em_row;

static const em_row em_rows[] = {
    {"valid", 48, 0x0303, -1, -1, 0, 0, 1},
    {"version differs (0x0301 for 0x0303)", 48, 0x0301, -1, -1, 0, 0, 0},
    {"version high byte differs (0x0203)", 48, 0x0203, -1, -1, 0, 0, 0},
    {"version 0x0000", 48, 0x0000, -1, -1, 0, 0, 0},
    {"EM[0] = 1", 48, 0x0303, 1, -1, 0, 0, 0},
    {"block type 1", 48, 0x0303, -1, 1, 0, 0, 0},
    {"block type 0", 48, 0x0303, -1, 0, 0, 0, 0},
    {"block type 0xff", 48, 0x0303, -1, 0xff, 0, 0, 0},
    {"no separator", 48, 0x0303, -1, -1, 1, 0, 0},
    {"message 47 bytes", 47, 0x0303, -1, -1, 0, 0, 0},
    {"message 49 bytes", 49, 0x0303, -1, -1, 0, 0, 0},
    {"message 0 bytes", 0, 0x0303, -1, -1, 0, 0, 0},
    {"zero in PS (padding shorter than 8)", 48, 0x0303, -1, -1, 0, 3, 0},
    {"zero at PS end (message 49)", 48, 0x0303, -1, -1, 0, -1, 0},
};

static void encoded_message_table(void)
{
    const mt_key *keys[] = {key1024, key2048};
    for (size_t ki = 0; ki < 2; ki++) {
        const mt_key *k = keys[ki];
        size_t klen = mt_key_bits(k) / 8;
        uint8_t em[512], ct[512], want[MT_PREMASTER_LEN];
        for (size_t i = 0; i < sizeof(em_rows) / sizeof(em_rows[0]); i++) {
            const em_row *r = &em_rows[i];
            size_t mlen = r->mlen;
            memset(em, 0, sizeof(em));
            if (mlen >= 2) {
                build_em(em, klen, mlen, r->em_ver);
            } else {
                build_em(em, klen, 2, 0x0303);
                em[klen - 3] = 0x42; /* separator moved: the last byte is the zero */
                em[klen - 1] = 0;
            }
            /* the 48 bytes a correct decryption would give (the tail of EM) */
            memcpy(want, em + klen - MT_PREMASTER_LEN, MT_PREMASTER_LEN);
            if (r->byte0 >= 0) {
                em[0] = (uint8_t)r->byte0;
            }
            if (r->byte1 >= 0) {
                em[1] = (uint8_t)r->byte1;
            }
            if (r->kill_sep) {
                em[klen - mlen - 1] = 0x77;
            }
            if (r->zero_in_ps > 0) {
                em[2 + (size_t)r->zero_in_ps - 1] = 0;
            }
            if (r->zero_in_ps < 0) {
                em[klen - mlen - 2] = 0;
            }
            raw_encrypt(k, em, ct, klen);
            int got = premaster_twice(k, ct, klen, 0x0303, want);
            if (got != r->stable) {
                printf("# %u-bit key, row \"%s\": got %d\n", (unsigned)(klen * 8), r->name, got);
            }
            CHECK_EQ(got, r->stable);
            /* the generic decryption agrees on the 48-byte verdict (padding only: the rows
             * whose only fault is the version decrypt) */
            uint8_t m[MT_PREMASTER_LEN];
            int padding_ok = r->stable || (r->em_ver != 0x0303 && r->byte0 < 0 && r->byte1 < 0);
            CHECK_EQ(mt_key_rsa_decrypt(k, ct, klen, m, sizeof(m)),
                     padding_ok ? 0 : -MT_E_DECRYPT_ERROR);
        }
    }
}

/* Ciphertexts outside [0, n): c = 0, c = 1, c = n-1 decrypt to junk; c = n and c = 2^8k - 1
 * are refused inside nettle: every one gives 48 random bytes. */
static void out_of_range_ciphertexts(void)
{
    const mt_key *k = key2048;
    size_t klen = 256;
    uint8_t ct[256], none[MT_PREMASTER_LEN];
    memset(none, 0, sizeof(none));
    mpz_t n, e;
    mpz_inits(n, e, NULL);
    CHECK_EQ(public_numbers(k, n, e), 0);
    for (int c = 0; c < 5; c++) {
        memset(ct, 0, klen);
        if (c == 1) {
            ct[klen - 1] = 1;
        } else if (c == 2 || c == 3) {
            mpz_sub_ui(e, n, c == 2 ? 1 : 0);
            mpz_export(ct, NULL, 1, 1, 0, 0, e);
        } else if (c == 4) {
            memset(ct, 0xff, klen);
        }
        CHECK_EQ(premaster_twice(k, ct, klen, 0x0303, none), 0);
        /* with an expected version of 0x0000 a failed decryption must not pass for a zero
         * premaster: the padding verdict counts, not only the version bytes */
        CHECK_EQ(premaster_twice(k, ct, klen, 0x0000, none), 0);
        CHECK_EQ(mt_key_rsa_decrypt(k, ct, klen, none, 4), -MT_E_DECRYPT_ERROR);
    }
    mpz_clears(n, e, NULL);
}

static void encrypt_round_trip(void)
{
    const mt_key *keys[] = {key1024, key2048};
    for (size_t ki = 0; ki < 2; ki++) {
        uint8_t pms[MT_PREMASTER_LEN], out[MT_PREMASTER_LEN];
        for (int i = 0; i < 20; i++) {
            for (size_t j = 0; j < sizeof(pms); j++) {
                pms[j] = (uint8_t)(i * 31 + j * 7);
            }
            pms[0] = 3;
            pms[1] = (uint8_t)(i % 4);
            uint16_t ver = (uint16_t)(0x0300 | (i % 4));
            mt_wr w;
            mt_wr_init_growable(&w, 1024);
            CHECK_EQ(mt_key_rsa_encrypt_premaster(keys[ki], pms, &w), 0);
            CHECK_EQ(w.len, mt_key_bits(keys[ki]) / 8);
            CHECK_EQ(premaster_twice(keys[ki], w.p, w.len, ver, pms), 1);
            /* another version expected: random */
            CHECK_EQ(premaster_twice(keys[ki], w.p, w.len, (uint16_t)(ver ^ 1), pms), 0);
            CHECK_EQ(mt_key_rsa_decrypt(keys[ki], w.p, w.len, out, sizeof(out)), 0);
            CHECK(memcmp(out, pms, sizeof(pms)) == 0);
            mt_wr_free(&w);
        }
    }
}

static void misuse(void)
{
    uint8_t ct[257], out[MT_PREMASTER_LEN], pms[MT_PREMASTER_LEN];
    memset(ct, 1, sizeof(ct));
    memset(pms, 3, sizeof(pms));
    /* public lengths: one error, before any private-key work */
    CHECK_EQ(mt_key_rsa_decrypt_premaster(key2048, ct, 255, 0x0303, out), -MT_E_BAD_LENGTH);
    CHECK_EQ(mt_key_rsa_decrypt_premaster(key2048, ct, 257, 0x0303, out), -MT_E_BAD_LENGTH);
    CHECK_EQ(mt_key_rsa_decrypt_premaster(key2048, ct, 0, 0x0303, out), -MT_E_BAD_LENGTH);
    CHECK_EQ(mt_key_rsa_decrypt(key2048, ct, 257, out, 4), -MT_E_DECRYPT_ERROR);
    CHECK_EQ(mt_key_rsa_decrypt(key2048, ct, 256, out, 246), -MT_E_INVALID_ARG);
    /* a public key cannot decrypt but can encrypt */
    mt_key *pub = NULL;
    CHECK_EQ(mt_key_public(key2048, &pub), 0);
    CHECK_EQ(mt_key_rsa_decrypt_premaster(pub, ct, 256, 0x0303, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_key_rsa_decrypt(pub, ct, 256, out, 4), -MT_E_INVALID_ARG);
    mt_wr w;
    mt_wr_init_growable(&w, 1024);
    CHECK_EQ(mt_key_rsa_encrypt_premaster(pub, pms, &w), 0);
    CHECK_EQ(premaster_twice(key2048, w.p, w.len, 0x0303, pms), 1);
    mt_wr_free(&w);
    mt_key_free(pub);
    /* not RSA */
    mt_key *ec = NULL;
    CHECK_EQ(mt_key_load(s_ec256, sizeof(s_ec256), NULL, 0, &ec), 0);
    CHECK_EQ(mt_key_rsa_decrypt_premaster(ec, ct, 32, 0x0303, out), -MT_E_INVALID_ARG);
    mt_wr_init_growable(&w, 1024);
    CHECK_EQ(mt_key_rsa_encrypt_premaster(ec, pms, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
    mt_key_free(ec);
    CHECK_EQ(mt_key_rsa_decrypt_premaster(NULL, ct, 256, 0x0303, out), -MT_E_INVALID_ARG);
    /* a fixed writer too small for the ciphertext */
    uint8_t small[100];
    mt_wr_init_fixed(&w, small, sizeof(small));
    CHECK_EQ(mt_key_rsa_encrypt_premaster(key2048, pms, &w), -MT_E_BUFFER_FULL);
}

int main(void)
{
    if (mt_key_load(s_rsa1, sizeof(s_rsa1), NULL, 0, &key1024) != 0 ||
        mt_key_generate(MT_KEY_RSA, 2048, &key2048) != 0) {
        printf("Bail out! cannot make the test keys\n");
        return 1;
    }
    RUN(encoded_message_table);
    RUN(out_of_range_ciphertexts);
    RUN(encrypt_round_trip);
    RUN(misuse);
    mt_key_free(key1024);
    mt_key_free(key2048);
    return t_done();
}
