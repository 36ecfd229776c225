/*
 * keys.c -- RSA, ECDSA, EdDSA and DSA keys on nettle/hogweed.
 *
 * IMPLEMENTATION NOTES
 * - Every structure is parsed with asn1.h into nettle's own key structs; a
 *   key is only handed out after its consistency checks (RSA: p*q == n, CRT
 *   parameters in range and a blinded test root; EC: scalar in [1, q-1],
 *   points on the curve and the stored public point equal to d*G; EdDSA: the
 *   stored public key equal to the derived one; DSA: y == g^x mod p).
 * - Format detection for DER looks at the tags of the outer SEQUENCE's
 *   elements (classify()); the chosen parser then reads the whole input
 *   strictly, ending every SEQUENCE with mt_rd_end().
 * - Secrets live in nettle structs (mpz limbs, ecc_scalar limbs) and in
 *   ed_priv; key_free() overwrites all of them before releasing them.
 *   Temporary byte copies of secrets are wiped where they are made.
 * - Loading-time checks on RSA/DSA private values use variable-time GMP
 *   arithmetic (products, comparisons, range checks): nettle has no
 *   side-channel-silent function for them and they run once per load.
 *   Signing only uses nettle's _tr / ecc code, and DSA's y == g^x uses
 *   mpz_powm_sec.
 */
#include <stdlib.h>
#include <string.h>

#include <gmp.h>
#include <nettle/aes.h>
#include <nettle/bignum.h>
#include <nettle/cbc.h>
#include <nettle/dsa.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <nettle/eddsa.h>
#include <nettle/hmac.h>
#include <nettle/md5.h>
#include <nettle/nettle-meta.h>
#include <nettle/pbkdf2.h>
#include <nettle/rsa.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include "asn1.h"
#include "ct.h"
#include "err.h"
#include "keys.h"
#include "pem.h"
#include "rng.h"

/* Contents bytes of the OIDs we read and write. */
#define OID_RSA "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"        /* 1.2.840.113549.1.1.1 */
#define OID_RSA_PSS "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a"    /* 1.2.840.113549.1.1.10 */
#define OID_MGF1 "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x08"       /* 1.2.840.113549.1.1.8 */
#define OID_EC "\x2a\x86\x48\xce\x3d\x02\x01"                 /* 1.2.840.10045.2.1 */
#define OID_P256 "\x2a\x86\x48\xce\x3d\x03\x01\x07"           /* 1.2.840.10045.3.1.7 */
#define OID_P384 "\x2b\x81\x04\x00\x22"                       /* 1.3.132.0.34 */
#define OID_P521 "\x2b\x81\x04\x00\x23"                       /* 1.3.132.0.35 */
#define OID_ED25519 "\x2b\x65\x70"                            /* 1.3.101.112 */
#define OID_ED448 "\x2b\x65\x71"                              /* 1.3.101.113 */
#define OID_DSA "\x2a\x86\x48\xce\x38\x04\x01"                /* 1.2.840.10040.4.1 */
#define OID_PBES2 "\x2a\x86\x48\x86\xf7\x0d\x01\x05\x0d"      /* 1.2.840.113549.1.5.13 */
#define OID_PBKDF2 "\x2a\x86\x48\x86\xf7\x0d\x01\x05\x0c"     /* 1.2.840.113549.1.5.12 */
#define OID_HMAC_SHA1 "\x2a\x86\x48\x86\xf7\x0d\x02\x07"      /* 1.2.840.113549.2.7 */
#define OID_HMAC_SHA224 "\x2a\x86\x48\x86\xf7\x0d\x02\x08"    /* 1.2.840.113549.2.8 */
#define OID_HMAC_SHA256 "\x2a\x86\x48\x86\xf7\x0d\x02\x09"    /* 1.2.840.113549.2.9 */
#define OID_HMAC_SHA384 "\x2a\x86\x48\x86\xf7\x0d\x02\x0a"    /* 1.2.840.113549.2.10 */
#define OID_HMAC_SHA512 "\x2a\x86\x48\x86\xf7\x0d\x02\x0b"    /* 1.2.840.113549.2.11 */
#define OID_AES128_CBC "\x60\x86\x48\x01\x65\x03\x04\x01\x02" /* 2.16.840.1.101.3.4.1.2 */
#define OID_AES192_CBC "\x60\x86\x48\x01\x65\x03\x04\x01\x16" /* 2.16.840.1.101.3.4.1.22 */
#define OID_AES256_CBC "\x60\x86\x48\x01\x65\x03\x04\x01\x2a" /* 2.16.840.1.101.3.4.1.42 */
#define OID_MD5 "\x2a\x86\x48\x86\xf7\x0d\x02\x05"            /* 1.2.840.113549.2.5 */
#define OID_SHA1 "\x2b\x0e\x03\x02\x1a"                       /* 1.3.14.3.2.26 */
#define OID_SHA224 "\x60\x86\x48\x01\x65\x03\x04\x02\x04"     /* 2.16.840.1.101.3.4.2.4 */
#define OID_SHA256 "\x60\x86\x48\x01\x65\x03\x04\x02\x01"     /* 2.16.840.1.101.3.4.2.1 */
#define OID_SHA384 "\x60\x86\x48\x01\x65\x03\x04\x02\x02"     /* 2.16.840.1.101.3.4.2.2 */
#define OID_SHA512 "\x60\x86\x48\x01\x65\x03\x04\x02\x03"     /* 2.16.840.1.101.3.4.2.3 */

#define OID_ROW(oid) oid, sizeof(oid) - 1

/* Limits: RSA moduli and DSA primes we accept when loading, and input sizes. */
#define RSA_MIN_BITS 1024
#define RSA_MAX_BITS 16384
#define INT_MAX_BYTES (RSA_MAX_BITS / 8)
#define DSA_MIN_BITS 1024
#define DSA_MAX_BITS 3072
#define INPUT_MAX (1u << 20)
#define PBKDF2_MAX_ITER 10000000
#define MAX_DIGEST 64
#define ED_MAX 57
#define PSS_PARAMS_MAX 96 /* RSASSA-PSS-params with SHA-512: 52 bytes */

struct mt_key {
    mt_key_type type;
    int priv;
    unsigned bits;
    struct rsa_public_key rsa_pub;
    struct rsa_private_key rsa_priv;
    const struct ecc_curve *curve;
    struct ecc_point ec_pub;
    struct ecc_scalar ec_priv;
    uint8_t ed_pub[ED_MAX];
    uint8_t ed_priv[ED_MAX];
    struct dsa_params dsa;
    mpz_t dsa_y, dsa_x;
    /* RSA: an id-RSASSA-PSS key (RFC 4055 1.2, RFC 8446 4.2.3 rsa_pss_pss_*): PSS signatures
     * only, with pss_hash (MGF1 the same) and a salt of at least pss_salt bytes when its
     * parameters say so (pss_hash 0: any); the parameters kept as they were, for writing */
    int pss;
    int pss_hash;
    unsigned pss_salt;
    uint8_t pss_params[PSS_PARAMS_MAX];
    size_t pss_params_len;
};

/* ---- tables ---- */

typedef struct {
    mt_key_type type;
    const char *oid;
    size_t oid_len;
    const struct ecc_curve *(*get)(void);
    size_t bytes;
    unsigned bits;
    const char *order; /* group order q in hex (SEC 2), for ecdsa_doubling_case() */
} curve_row;

static const curve_row curves[] = {
    {MT_KEY_EC_P256, OID_ROW(OID_P256), nettle_get_secp_256r1, 32, 256,
     "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"},
    {MT_KEY_EC_P384, OID_ROW(OID_P384), nettle_get_secp_384r1, 48, 384,
     "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf"
     "581a0db248b0a77aecec196accc52973"},
    {MT_KEY_EC_P521, OID_ROW(OID_P521), nettle_get_secp_521r1, 66, 521,
     "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "fa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409"},
};

typedef struct {
    mt_key_type type;
    const char *oid;
    size_t oid_len;
    size_t key_len;
    size_t sig_len;
    unsigned bits;
} ed_row;

static const ed_row eds[] = {
    {MT_KEY_ED25519, OID_ROW(OID_ED25519), ED25519_KEY_SIZE, ED25519_SIGNATURE_SIZE, 255},
    {MT_KEY_ED448, OID_ROW(OID_ED448), ED448_KEY_SIZE, ED448_SIGNATURE_SIZE, 448},
};

typedef struct {
    int id;
    const char *name;
    const struct nettle_hash *hash;
    const char *oid;
    size_t oid_len;
} hash_row;

static const hash_row hashes[] = {
    {MT_HASH_MD5, "md5", &nettle_md5, OID_ROW(OID_MD5)},
    {MT_HASH_SHA1, "sha1", &nettle_sha1, OID_ROW(OID_SHA1)},
    {MT_HASH_SHA224, "sha224", &nettle_sha224, OID_ROW(OID_SHA224)},
    {MT_HASH_SHA256, "sha256", &nettle_sha256, OID_ROW(OID_SHA256)},
    {MT_HASH_SHA384, "sha384", &nettle_sha384, OID_ROW(OID_SHA384)},
    {MT_HASH_SHA512, "sha512", &nettle_sha512, OID_ROW(OID_SHA512)},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const curve_row *curve_by_type(mt_key_type t)
{
    for (size_t i = 0; i < COUNT(curves); i++) {
        if (curves[i].type == t) {
            return &curves[i];
        }
    }
    return NULL;
}

static const curve_row *curve_by_oid(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < COUNT(curves); i++) {
        if (mt_asn1_oid_is(p, n, curves[i].oid, curves[i].oid_len)) {
            return &curves[i];
        }
    }
    return NULL;
}

static const ed_row *ed_by_type(mt_key_type t)
{
    for (size_t i = 0; i < COUNT(eds); i++) {
        if (eds[i].type == t) {
            return &eds[i];
        }
    }
    return NULL;
}

static const hash_row *hash_row_of(int id)
{
    for (size_t i = 0; i < COUNT(hashes); i++) {
        if (hashes[i].id == id) {
            return &hashes[i];
        }
    }
    return NULL;
}

const struct nettle_hash *mt_hash_nettle(int id)
{
    const hash_row *h = hash_row_of(id);
    return h ? h->hash : NULL;
}

size_t mt_hash_len(int id)
{
    const hash_row *h = hash_row_of(id);
    return h ? h->hash->digest_size : 0;
}

int mt_hash_from_name(const char *name)
{
    for (size_t i = 0; name && i < COUNT(hashes); i++) {
        if (strcmp(name, hashes[i].name) == 0) {
            return hashes[i].id;
        }
    }
    return MT_HASH_NONE;
}

const char *mt_key_type_name(mt_key_type t)
{
    switch (t) {
    case MT_KEY_RSA:
        return "rsa";
    case MT_KEY_EC_P256:
        return "ec-p256";
    case MT_KEY_EC_P384:
        return "ec-p384";
    case MT_KEY_EC_P521:
        return "ec-p521";
    case MT_KEY_ED25519:
        return "ed25519";
    case MT_KEY_ED448:
        return "ed448";
    case MT_KEY_DSA:
        return "dsa";
    case MT_KEY_NONE:
    default:
        return "none";
    }
}

/* ---- life cycle ---- */

/* Overwrite the limbs of x (secret) before it is cleared. */
static void mpz_wipe(mpz_t x)
{
    size_t n = mpz_size(x);
    if (n > 0) {
        mp_limb_t *l = mpz_limbs_write(x, n);
        mt_wipe(l, n * sizeof(*l));
        mpz_limbs_finish(x, 0);
    }
}

static mt_key *key_new(mt_key_type type)
{
    mt_key *k = calloc(1, sizeof(*k));
    if (!k) {
        return NULL;
    }
    k->type = type;
    const curve_row *c = curve_by_type(type);
    switch (type) {
    case MT_KEY_RSA:
        rsa_public_key_init(&k->rsa_pub);
        rsa_private_key_init(&k->rsa_priv);
        break;
    case MT_KEY_EC_P256:
    case MT_KEY_EC_P384:
    case MT_KEY_EC_P521:
        k->curve = c->get();
        k->bits = c->bits;
        ecc_point_init(&k->ec_pub, k->curve);
        ecc_scalar_init(&k->ec_priv, k->curve);
        break;
    case MT_KEY_DSA:
        dsa_params_init(&k->dsa);
        mpz_init(k->dsa_y);
        mpz_init(k->dsa_x);
        break;
    case MT_KEY_ED25519:
    case MT_KEY_ED448:
        k->bits = ed_by_type(type)->bits;
        break;
    case MT_KEY_NONE:
    default:
        break;
    }
    return k;
}

void mt_key_free(mt_key *k)
{
    if (!k) {
        return;
    }
    switch (k->type) {
    case MT_KEY_RSA:
        mpz_wipe(k->rsa_priv.d);
        mpz_wipe(k->rsa_priv.p);
        mpz_wipe(k->rsa_priv.q);
        mpz_wipe(k->rsa_priv.a);
        mpz_wipe(k->rsa_priv.b);
        mpz_wipe(k->rsa_priv.c);
        rsa_private_key_clear(&k->rsa_priv);
        rsa_public_key_clear(&k->rsa_pub);
        break;
    case MT_KEY_EC_P256:
    case MT_KEY_EC_P384:
    case MT_KEY_EC_P521:
        mt_wipe(k->ec_priv.p, ecc_size(k->curve) * sizeof(mp_limb_t));
        ecc_scalar_clear(&k->ec_priv);
        ecc_point_clear(&k->ec_pub);
        break;
    case MT_KEY_DSA:
        mpz_wipe(k->dsa_x);
        mpz_clear(k->dsa_x);
        mpz_clear(k->dsa_y);
        dsa_params_clear(&k->dsa);
        break;
    case MT_KEY_ED25519:
    case MT_KEY_ED448:
    case MT_KEY_NONE:
    default:
        break;
    }
    mt_wipe(k, sizeof(*k));
    free(k);
}

mt_key_type mt_key_type_of(const mt_key *k)
{
    return k ? k->type : MT_KEY_NONE;
}

int mt_key_is_private(const mt_key *k)
{
    return k ? k->priv : 0;
}

unsigned mt_key_bits(const mt_key *k)
{
    return k ? k->bits : 0;
}

/* ---- small DER helpers ---- */

/* Non-negative INTEGER into x (at most INT_MAX_BYTES). */
static MT_WUR int rd_mpz(mt_rd *r, mpz_t x)
{
    const uint8_t *p;
    size_t n;
    GUARD(mt_asn1_uint(r, &p, &n));
    ENSURE(n <= INT_MAX_BYTES, KEY_UNSUPPORTED);
    nettle_mpz_set_str_256_u(x, n, p);
    return 0;
}

/* SEQUENCE { version INTEGER (0), INTEGER x count } with nothing after (RSAPrivateKey,
 * OpenSSL's DSAPrivateKey): the integers into out[]. Other versions: -MT_E_KEY_UNSUPPORTED. */
static MT_WUR int rd_v0_integers(const uint8_t *p, size_t n, mpz_ptr *out, size_t count)
{
    mt_rd r, seq;
    int64_t version;
    mt_rd_init(&r, p, n);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_rd_end(&r));
    GUARD(mt_asn1_small(&seq, &version));
    /* RFC 8017 A.1.2: version 1 (multi-prime RSA) is not supported */
    ENSURE(version == 0, KEY_UNSUPPORTED);
    for (size_t i = 0; i < count; i++) {
        GUARD(rd_mpz(&seq, out[i]));
    }
    return mt_rd_end(&seq);
}

/* INTEGER from x (wiping the temporary copy: x may be secret). */
static MT_WUR int w_mpz(mt_wr *w, const mpz_t x)
{
    uint8_t buf[INT_MAX_BYTES + 1];
    size_t n = nettle_mpz_sizeinbase_256_u(x);
    ENSURE(n <= sizeof(buf), INTERNAL);
    nettle_mpz_get_str_256(n, buf, x);
    int rc = mt_asn1_w_uint(w, buf, n);
    mt_wipe(buf, n);
    return rc;
}

/* Algorithm parameters that must be NULL or absent (RSA). */
static MT_WUR int null_params(mt_rd *alg)
{
    if (mt_rd_left(alg) > 0) {
        GUARD(mt_asn1_null(alg));
    }
    return mt_rd_end(alg);
}

/* Parameters that must be a named curve OID. */
static MT_WUR int curve_params(mt_rd *alg, const curve_row **c)
{
    const uint8_t *oid;
    size_t n;
    GUARD(mt_asn1_oid(alg, &oid, &n));
    GUARD(mt_rd_end(alg));
    *c = curve_by_oid(oid, n);
    ENSURE(*c, KEY_UNSUPPORTED);
    return 0;
}

/* Turn decoding failures of a key structure into the "malformed DER" code. */
static int der_error(int rc)
{
    if (rc == -MT_E_TRUNCATED || rc == -MT_E_TRAILING || rc == -MT_E_BAD_LENGTH ||
        rc == -MT_E_ASN1_DEPTH) {
        return -MT_E_ASN1;
    }
    return rc;
}

/* ---- RSA ---- */

static MT_WUR int rsa_check_public(mt_key *k)
{
    struct rsa_public_key *pub = &k->rsa_pub;
    size_t bits = mpz_sizeinbase(pub->n, 2);
    ENSURE(bits >= RSA_MIN_BITS && bits <= RSA_MAX_BITS, KEY_UNSUPPORTED);
    ENSURE(mpz_odd_p(pub->n) && mpz_odd_p(pub->e), KEY_INVALID);
    ENSURE(mpz_cmp_ui(pub->e, 3) >= 0 && mpz_cmp(pub->e, pub->n) < 0, KEY_INVALID);
    ENSURE(rsa_public_key_prepare(pub), KEY_INVALID);
    k->bits = (unsigned)bits;
    return 0;
}

/* The CRT values must be in the ranges nettle's constant-time code relies on, and the key
 * must produce a root that the public key checks (rsa_compute_root_tr verifies it). */
static MT_WUR int rsa_check_private(mt_key *k)
{
    struct rsa_private_key *sk = &k->rsa_priv;
    GUARD(rsa_check_public(k));
    ENSURE(mpz_cmp_ui(sk->p, 1) > 0 && mpz_cmp_ui(sk->q, 1) > 0, KEY_INVALID);
    ENSURE(mpz_odd_p(sk->p) && mpz_odd_p(sk->q), KEY_INVALID);
    ENSURE(mpz_sgn(sk->a) > 0 && mpz_cmp(sk->a, sk->p) < 0, KEY_INVALID);
    ENSURE(mpz_sgn(sk->b) > 0 && mpz_cmp(sk->b, sk->q) < 0, KEY_INVALID);
    ENSURE(mpz_sgn(sk->c) > 0 && mpz_cmp(sk->c, sk->p) < 0, KEY_INVALID);
    ENSURE(mpz_cmp(sk->d, k->rsa_pub.n) < 0, KEY_INVALID);
    mpz_t t, m;
    mpz_init(t);
    mpz_init_set_ui(m, 0x6d6f6f6e);
    mpz_mul(t, sk->p, sk->q);
    int ok = mpz_cmp(t, k->rsa_pub.n) == 0 && rsa_private_key_prepare(sk) &&
             sk->size == k->rsa_pub.size &&
             rsa_compute_root_tr(&k->rsa_pub, sk, NULL, mt_rng_nettle, t, m);
    mpz_wipe(t);
    mpz_clear(t);
    mpz_clear(m);
    ENSURE(ok, KEY_INVALID);
    k->priv = 1;
    return 0;
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
static MT_WUR int rsa_parse_public(mt_key *k, const uint8_t *p, size_t n)
{
    mt_rd r, seq;
    mt_rd_init(&r, p, n);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_rd_end(&r));
    GUARD(rd_mpz(&seq, k->rsa_pub.n));
    GUARD(rd_mpz(&seq, k->rsa_pub.e));
    GUARD(mt_rd_end(&seq));
    return rsa_check_public(k);
}

/* RFC 8017 A.1.2 RSAPrivateKey; version 1 (multi-prime) is not supported. */
static MT_WUR int rsa_parse_private(mt_key *k, const uint8_t *p, size_t n)
{
    mpz_ptr ints[] = {k->rsa_pub.n,  k->rsa_pub.e,  k->rsa_priv.d, k->rsa_priv.p,
                      k->rsa_priv.q, k->rsa_priv.a, k->rsa_priv.b, k->rsa_priv.c};
    GUARD(rd_v0_integers(p, n, ints, sizeof(ints) / sizeof(ints[0])));
    return rsa_check_private(k);
}

static MT_WUR int rsa_write_private(const mt_key *k, mt_wr *w)
{
    mt_asn1_mark m;
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &m));
    GUARD(mt_asn1_w_small(w, 0));
    GUARD(w_mpz(w, k->rsa_pub.n));
    GUARD(w_mpz(w, k->rsa_pub.e));
    GUARD(w_mpz(w, k->rsa_priv.d));
    GUARD(w_mpz(w, k->rsa_priv.p));
    GUARD(w_mpz(w, k->rsa_priv.q));
    GUARD(w_mpz(w, k->rsa_priv.a));
    GUARD(w_mpz(w, k->rsa_priv.b));
    GUARD(w_mpz(w, k->rsa_priv.c));
    return mt_asn1_close(w, &m);
}

static MT_WUR int rsa_write_public(const mt_key *k, mt_wr *w)
{
    mt_asn1_mark m;
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &m));
    GUARD(w_mpz(w, k->rsa_pub.n));
    GUARD(w_mpz(w, k->rsa_pub.e));
    return mt_asn1_close(w, &m);
}

/* ---- EC ---- */

/* Uncompressed point 04 || X || Y (SEC1 2.3.4); compressed points are not supported. */
static MT_WUR int ec_point_read(const curve_row *c, const uint8_t *p, size_t n,
                                struct ecc_point *pt)
{
    mt_rd r;
    uint8_t form;
    const uint8_t *x, *y;
    mt_rd_init(&r, p, n);
    GUARD(mt_rd_u8(&r, &form));
    ENSURE(form == 0x04, KEY_UNSUPPORTED);
    ENSURE(mt_rd_left(&r) == 2 * c->bytes, KEY_INVALID);
    GUARD(mt_rd_borrow(&r, c->bytes, &x));
    GUARD(mt_rd_borrow(&r, c->bytes, &y));
    mpz_t mx, my;
    nettle_mpz_init_set_str_256_u(mx, c->bytes, x);
    nettle_mpz_init_set_str_256_u(my, c->bytes, y);
    int ok = ecc_point_set(pt, mx, my);
    mpz_clear(mx);
    mpz_clear(my);
    ENSURE(ok, KEY_INVALID);
    return 0;
}

/* The uncompressed encoding of the key's public point into out[1 + 2 * bytes]. */
static void ec_point_bytes(const mt_key *k, uint8_t *out)
{
    const curve_row *c = curve_by_type(k->type);
    mpz_t x, y;
    mpz_init(x);
    mpz_init(y);
    ecc_point_get(&k->ec_pub, x, y);
    out[0] = 0x04;
    nettle_mpz_get_str_256(c->bytes, out + 1, x);
    nettle_mpz_get_str_256(c->bytes, out + 1 + c->bytes, y);
    mpz_clear(x);
    mpz_clear(y);
}

/* Set the private scalar from big-endian bytes and derive the public point. */
static MT_WUR int ec_set_private(mt_key *k, const uint8_t *p, size_t n)
{
    const curve_row *c = curve_by_type(k->type);
    ENSURE(n > 0 && n <= c->bytes, KEY_INVALID);
    mpz_t d;
    nettle_mpz_init_set_str_256_u(d, n, p);
    int ok = ecc_scalar_set(&k->ec_priv, d);
    mpz_wipe(d);
    mpz_clear(d);
    /* RFC 5915 3: privateKey is in [1, n-1]; ecc_scalar_set refuses anything else. */
    ENSURE(ok, KEY_INVALID);
    ecc_point_mul_g(&k->ec_pub, &k->ec_priv);
    k->priv = 1;
    return 0;
}

/* The stored public point (if any) must be the one derived from the scalar. */
static MT_WUR int ec_check_public(const mt_key *k, const uint8_t *p, size_t n)
{
    const curve_row *c = curve_by_type(k->type);
    uint8_t mine[1 + 2 * 66];
    size_t len = 1 + 2 * c->bytes;
    ENSURE(n == len, KEY_INVALID);
    ec_point_bytes(k, mine);
    ENSURE(mt_ct_eq(mine, p, len), KEY_INVALID);
    return 0;
}

/*
 * RFC 5915 3: ECPrivateKey ::= SEQUENCE { version INTEGER {ecPrivkeyVer1(1)},
 *   privateKey OCTET STRING, parameters [0] ECParameters OPTIONAL,
 *   publicKey [1] BIT STRING OPTIONAL }
 * `c` is the curve from PKCS#8's AlgorithmIdentifier, or NULL for a bare SEC1 key (then
 * parameters are required).
 */
static MT_WUR int ec_parse_private(const curve_row *c, const uint8_t *p, size_t n, mt_key **out)
{
    mt_rd r, seq, params, pubw;
    int64_t version;
    const uint8_t *d, *pub = NULL;
    size_t dlen, publen = 0;
    int has_params, has_pub;
    mt_rd_init(&r, p, n);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_rd_end(&r));
    GUARD(mt_asn1_small(&seq, &version));
    ENSURE(version == 1, KEY_UNSUPPORTED);
    mt_rd dr;
    GUARD(mt_asn1_expect(&seq, MT_ASN1_OCTET_STRING, &dr));
    dlen = mt_rd_left(&dr);
    GUARD(mt_rd_borrow(&dr, dlen, &d));
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 0, &params, &has_params));
    if (has_params) {
        const curve_row *named;
        GUARD(curve_params(&params, &named));
        ENSURE(c == NULL || c == named, KEY_INVALID);
        c = named;
    }
    ENSURE(c, KEY_UNSUPPORTED);
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 1, &pubw, &has_pub));
    if (has_pub) {
        GUARD(mt_asn1_bits_bytes(&pubw, &pub, &publen));
        GUARD(mt_rd_end(&pubw));
    }
    GUARD(mt_rd_end(&seq));
    mt_key *k = key_new(c->type);
    ENSURE(k, NOMEM);
    int rc;
    BAIL(rc, ec_set_private(k, d, dlen));
    if (has_pub) {
        BAIL(rc, ec_check_public(k, pub, publen));
    }
    *out = k;
    return 0;
out:
    mt_key_free(k);
    return rc;
}

/* ECPrivateKey as written inside PKCS#8: parameters omitted (they are in the
 * AlgorithmIdentifier), public key included. */
static MT_WUR int ec_write_private(const mt_key *k, mt_wr *w)
{
    const curve_row *c = curve_by_type(k->type);
    uint8_t d[66], pt[1 + 2 * 66];
    mt_asn1_mark m, e;
    mpz_t z;
    mpz_init(z);
    ecc_scalar_get(&k->ec_priv, z);
    nettle_mpz_get_str_256(c->bytes, d, z);
    mpz_wipe(z);
    mpz_clear(z);
    ec_point_bytes(k, pt);
    int rc = mt_asn1_open(w, MT_ASN1_SEQUENCE, &m);
    rc = rc < 0 ? rc : mt_asn1_w_small(w, 1);
    rc = rc < 0 ? rc : mt_asn1_w_tlv(w, MT_ASN1_OCTET_STRING, d, c->bytes);
    rc = rc < 0 ? rc : mt_asn1_open(w, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 1, &e);
    rc = rc < 0 ? rc : mt_asn1_w_bits(w, pt, 1 + 2 * c->bytes);
    rc = rc < 0 ? rc : mt_asn1_close(w, &e);
    rc = rc < 0 ? rc : mt_asn1_close(w, &m);
    mt_wipe(d, sizeof(d));
    return rc;
}

/* ---- EdDSA ---- */

static void ed_derive(mt_key *k)
{
    if (k->type == MT_KEY_ED25519) {
        ed25519_sha512_public_key(k->ed_pub, k->ed_priv);
    } else {
        ed448_shake256_public_key(k->ed_pub, k->ed_priv);
    }
}

/* RFC 8410 7: privateKey is an OCTET STRING wrapping CurvePrivateKey ::= OCTET STRING. */
static MT_WUR int ed_parse_private(const ed_row *e, const uint8_t *p, size_t n, const uint8_t *pub,
                                   size_t publen, mt_key **out)
{
    mt_rd r, inner;
    mt_rd_init(&r, p, n);
    GUARD(mt_asn1_expect(&r, MT_ASN1_OCTET_STRING, &inner));
    GUARD(mt_rd_end(&r));
    ENSURE(mt_rd_left(&inner) == e->key_len, KEY_INVALID);
    mt_key *k = key_new(e->type);
    ENSURE(k, NOMEM);
    int rc;
    BAIL(rc, mt_rd_copy(&inner, k->ed_priv, e->key_len));
    ed_derive(k);
    k->priv = 1;
    if (pub) {
        rc = -MT_E_KEY_INVALID;
        if (publen != e->key_len || !mt_ct_eq(pub, k->ed_pub, e->key_len)) {
            goto out;
        }
    }
    *out = k;
    return 0;
out:
    mt_key_free(k);
    return rc;
}

/* ---- DSA ---- */

/* Dss-Parms ::= SEQUENCE { p INTEGER, q INTEGER, g INTEGER } (RFC 3279 2.3.2) */
static MT_WUR int dsa_parse_params(mt_rd *r, mt_key *k)
{
    mt_rd seq;
    GUARD(mt_asn1_expect(r, MT_ASN1_SEQUENCE, &seq));
    GUARD(rd_mpz(&seq, k->dsa.p));
    GUARD(rd_mpz(&seq, k->dsa.q));
    GUARD(rd_mpz(&seq, k->dsa.g));
    return mt_rd_end(&seq);
}

/* FIPS 186-4 sizes, q | p-1, 1 < g < p with g^q = 1, 1 < y < p with y^q = 1 (public data). */
static MT_WUR int dsa_check_public(mt_key *k)
{
    struct dsa_params *d = &k->dsa;
    size_t pbits = mpz_sizeinbase(d->p, 2), qbits = mpz_sizeinbase(d->q, 2);
    ENSURE(pbits >= DSA_MIN_BITS && pbits <= DSA_MAX_BITS, KEY_UNSUPPORTED);
    ENSURE(qbits == 160 || qbits == 224 || qbits == 256, KEY_UNSUPPORTED);
    ENSURE(mpz_odd_p(d->p) && mpz_odd_p(d->q), KEY_INVALID);
    ENSURE(mpz_cmp_ui(d->g, 1) > 0 && mpz_cmp(d->g, d->p) < 0, KEY_INVALID);
    ENSURE(mpz_cmp_ui(k->dsa_y, 1) > 0 && mpz_cmp(k->dsa_y, d->p) < 0, KEY_INVALID);
    mpz_t t;
    mpz_init(t);
    mpz_sub_ui(t, d->p, 1);
    int ok = mpz_divisible_p(t, d->q);
    mpz_powm(t, d->g, d->q, d->p);
    ok = ok && mpz_cmp_ui(t, 1) == 0;
    mpz_powm(t, k->dsa_y, d->q, d->p);
    ok = ok && mpz_cmp_ui(t, 1) == 0;
    mpz_clear(t);
    ENSURE(ok, KEY_INVALID);
    k->bits = (unsigned)pbits;
    return 0;
}

/* 0 < x < q and y == g^x mod p (mpz_powm_sec: x is secret; it needs an odd modulus and a
 * positive exponent, so those are checked first). With `derive`, y is computed instead. */
static MT_WUR int dsa_check_private(mt_key *k, int derive)
{
    size_t pbits = mpz_sizeinbase(k->dsa.p, 2);
    ENSURE(pbits >= DSA_MIN_BITS && pbits <= DSA_MAX_BITS, KEY_UNSUPPORTED);
    ENSURE(mpz_odd_p(k->dsa.p), KEY_INVALID);
    ENSURE(mpz_sgn(k->dsa_x) > 0 && mpz_cmp(k->dsa_x, k->dsa.q) < 0, KEY_INVALID);
    mpz_t t;
    mpz_init(t);
    mpz_powm_sec(t, k->dsa.g, k->dsa_x, k->dsa.p);
    if (derive) {
        mpz_set(k->dsa_y, t);
    }
    int ok = mpz_cmp(t, k->dsa_y) == 0;
    mpz_clear(t);
    ENSURE(ok, KEY_INVALID);
    GUARD(dsa_check_public(k));
    k->priv = 1;
    return 0;
}

/* OpenSSL's DSAPrivateKey ::= SEQUENCE { version 0, p, q, g, y, x } */
static MT_WUR int dsa_parse_openssl(mt_key *k, const uint8_t *p, size_t n)
{
    mpz_ptr ints[] = {k->dsa.p, k->dsa.q, k->dsa.g, k->dsa_y, k->dsa_x};
    GUARD(rd_v0_integers(p, n, ints, sizeof(ints) / sizeof(ints[0])));
    return dsa_check_private(k, 0);
}

static MT_WUR int dsa_write_params(const mt_key *k, mt_wr *w)
{
    mt_asn1_mark m;
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &m));
    GUARD(w_mpz(w, k->dsa.p));
    GUARD(w_mpz(w, k->dsa.q));
    GUARD(w_mpz(w, k->dsa.g));
    return mt_asn1_close(w, &m);
}

/* ---- PKCS#8 ---- */

/* RFC 8410 7 / RFC 5958 2: privateKeyAlgorithm for EdDSA has no parameters. */
static MT_WUR int pkcs8_ed(const ed_row *e, mt_rd *alg, const uint8_t *p, size_t n,
                           const uint8_t *pub, size_t publen, mt_key **out)
{
    GUARD(mt_rd_end(alg));
    return ed_parse_private(e, p, n, pub, publen, out);
}

static MT_WUR int pkcs8_dsa(mt_rd *alg, const uint8_t *p, size_t n, mt_key **out)
{
    mt_key *k = key_new(MT_KEY_DSA);
    ENSURE(k, NOMEM);
    mt_rd r;
    int rc;
    BAIL(rc, dsa_parse_params(alg, k));
    BAIL(rc, mt_rd_end(alg));
    mt_rd_init(&r, p, n);
    BAIL(rc, rd_mpz(&r, k->dsa_x));
    BAIL(rc, mt_rd_end(&r));
    /* PKCS#8 DSA keys carry no y: derive it. */
    BAIL(rc, dsa_check_private(k, 1));
    *out = k;
    return 0;
out:
    mt_key_free(k);
    return rc;
}

/* A hash AlgorithmIdentifier of SHA-256/384/512 (parameters NULL or absent). */
static MT_WUR int pss_hash_alg(mt_rd *r, int *hash)
{
    mt_rd a;
    const uint8_t *oid;
    size_t n;
    GUARD(mt_asn1_expect(r, MT_ASN1_SEQUENCE, &a));
    GUARD(mt_asn1_oid(&a, &oid, &n));
    GUARD(null_params(&a));
    for (size_t i = 0; i < COUNT(hashes); i++) {
        if (mt_asn1_oid_is(oid, n, hashes[i].oid, hashes[i].oid_len)) {
            *hash = hashes[i].id;
            /* TLS signs with SHA-256 or better (RFC 8446 4.2.3) */
            ENSURE(*hash >= MT_HASH_SHA256 && *hash <= MT_HASH_SHA512, KEY_UNSUPPORTED);
            return 0;
        }
    }
    return -MT_E_KEY_UNSUPPORTED;
}

/* RFC 4055 3.1: the AlgorithmIdentifier parameters of an id-RSASSA-PSS key: absent (any PSS
 * signature), or RSASSA-PSS-params { [0] hash, [1] MGF1 with the same hash, [2] salt length,
 * [3] trailer 1 }, restricting its signatures. The SHA-1 defaults are refused (TLS has no
 * SHA-1 PSS). */
static MT_WUR int pss_params(mt_rd *alg, mt_key *k)
{
    k->pss = 1;
    size_t n = mt_rd_left(alg);
    if (n == 0) {
        return 0;
    }
    ENSURE(n <= PSS_PARAMS_MAX, KEY_UNSUPPORTED);
    const uint8_t *raw;
    mt_rd copy = *alg;
    GUARD(mt_rd_borrow(&copy, n, &raw));
    mt_rd seq, f, mgf;
    int64_t v = 20, trailer = 1;
    int have, mgf_hash = 0;
    GUARD(mt_asn1_expect(alg, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_rd_end(alg));
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 0, &f, &have));
    ENSURE(have, KEY_UNSUPPORTED);
    GUARD(pss_hash_alg(&f, &k->pss_hash));
    GUARD(mt_rd_end(&f));
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 1, &f, &have));
    ENSURE(have, KEY_UNSUPPORTED);
    const uint8_t *oid;
    size_t on;
    GUARD(mt_asn1_expect(&f, MT_ASN1_SEQUENCE, &mgf));
    GUARD(mt_rd_end(&f));
    GUARD(mt_asn1_oid(&mgf, &oid, &on));
    ENSURE(MT_OID_IS(oid, on, OID_MGF1), KEY_UNSUPPORTED);
    GUARD(pss_hash_alg(&mgf, &mgf_hash));
    GUARD(mt_rd_end(&mgf));
    ENSURE(mgf_hash == k->pss_hash, KEY_UNSUPPORTED);
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 2, &f, &have));
    if (have) {
        GUARD(mt_asn1_small(&f, &v));
        GUARD(mt_rd_end(&f));
    }
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 3, &f, &have));
    if (have) {
        GUARD(mt_asn1_small(&f, &trailer));
        GUARD(mt_rd_end(&f));
    }
    GUARD(mt_rd_end(&seq));
    ENSURE(v >= 0 && v <= 512 && trailer == 1, KEY_UNSUPPORTED);
    k->pss_salt = (unsigned)v;
    memcpy(k->pss_params, raw, n);
    k->pss_params_len = n;
    return 0;
}

static MT_WUR int pkcs8_rsa_pss(mt_rd *alg, const uint8_t *p, size_t n, mt_key **out)
{
    mt_key *k = key_new(MT_KEY_RSA);
    ENSURE(k, NOMEM);
    int rc = pss_params(alg, k);
    if (rc == 0) {
        rc = rsa_parse_private(k, p, n);
    }
    if (rc < 0) {
        mt_key_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

static MT_WUR int pkcs8_rsa(mt_rd *alg, const uint8_t *p, size_t n, mt_key **out)
{
    GUARD(null_params(alg));
    mt_key *k = key_new(MT_KEY_RSA);
    ENSURE(k, NOMEM);
    int rc = rsa_parse_private(k, p, n);
    if (rc < 0) {
        mt_key_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

/*
 * RFC 5958 2: OneAsymmetricKey ::= SEQUENCE { version (v1(0) | v2(1)),
 *   privateKeyAlgorithm AlgorithmIdentifier, privateKey OCTET STRING,
 *   attributes [0] IMPLICIT Attributes OPTIONAL,
 *   [[2: publicKey [1] IMPLICIT BIT STRING OPTIONAL ]] }
 */
static MT_WUR int pkcs8_parse(const uint8_t *der, size_t len, mt_key **out)
{
    mt_rd r, seq, alg, pk, attrs, pubr;
    int64_t version;
    const uint8_t *oid, *priv, *pub = NULL;
    size_t oidlen, privlen, publen = 0;
    int has_attrs, has_pub;
    mt_rd_init(&r, der, len);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_rd_end(&r));
    GUARD(mt_asn1_small(&seq, &version));
    ENSURE(version == 0 || version == 1, KEY_UNSUPPORTED);
    GUARD(mt_asn1_expect(&seq, MT_ASN1_SEQUENCE, &alg));
    GUARD(mt_asn1_oid(&alg, &oid, &oidlen));
    GUARD(mt_asn1_expect(&seq, MT_ASN1_OCTET_STRING, &pk));
    privlen = mt_rd_left(&pk);
    GUARD(mt_rd_borrow(&pk, privlen, &priv));
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 0, &attrs, &has_attrs));
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | 1, &pubr, &has_pub));
    GUARD(mt_rd_end(&seq));
    if (has_pub) {
        uint8_t unused;
        /* RFC 5958 2: publicKey only in v2 */
        ENSURE(version == 1, KEY_INVALID);
        GUARD(mt_rd_u8(&pubr, &unused));
        ENSURE(unused == 0, ASN1);
        publen = mt_rd_left(&pubr);
        GUARD(mt_rd_borrow(&pubr, publen, &pub));
    }
    if (MT_OID_IS(oid, oidlen, OID_RSA)) {
        return pkcs8_rsa(&alg, priv, privlen, out);
    }
    if (MT_OID_IS(oid, oidlen, OID_RSA_PSS)) {
        return pkcs8_rsa_pss(&alg, priv, privlen, out);
    }
    if (MT_OID_IS(oid, oidlen, OID_EC)) {
        const curve_row *c;
        GUARD(curve_params(&alg, &c));
        GUARD(ec_parse_private(c, priv, privlen, out));
        if (pub) {
            int rc = ec_check_public(*out, pub, publen);
            if (rc < 0) {
                mt_key_free(*out);
                *out = NULL;
                return rc;
            }
        }
        return 0;
    }
    for (size_t i = 0; i < COUNT(eds); i++) {
        if (mt_asn1_oid_is(oid, oidlen, eds[i].oid, eds[i].oid_len)) {
            return pkcs8_ed(&eds[i], &alg, priv, privlen, pub, publen, out);
        }
    }
    if (MT_OID_IS(oid, oidlen, OID_DSA)) {
        return pkcs8_dsa(&alg, priv, privlen, out);
    }
    return -MT_E_KEY_UNSUPPORTED;
}

/* ---- encrypted PKCS#8 (RFC 5958 3, RFC 8018 A.2 / A.4 PBES2 with PBKDF2) ---- */

typedef void pbkdf2_fn(size_t key_length, const uint8_t *key, unsigned iterations,
                       size_t salt_length, const uint8_t *salt, size_t length, uint8_t *dst);

static void pbkdf2_hmac_sha224_(size_t key_length, const uint8_t *key, unsigned iterations,
                                size_t salt_length, const uint8_t *salt, size_t length,
                                uint8_t *dst)
{
    struct hmac_sha224_ctx ctx;
    hmac_sha224_set_key(&ctx, key_length, key);
    PBKDF2(&ctx, hmac_sha224_update, hmac_sha224_digest, SHA224_DIGEST_SIZE, iterations,
           salt_length, salt, length, dst);
    mt_wipe(&ctx, sizeof(ctx));
}

static const struct {
    const char *oid;
    size_t oid_len;
    pbkdf2_fn *fn;
} prfs[] = {
    {OID_ROW(OID_HMAC_SHA1), pbkdf2_hmac_sha1},     {OID_ROW(OID_HMAC_SHA224), pbkdf2_hmac_sha224_},
    {OID_ROW(OID_HMAC_SHA256), pbkdf2_hmac_sha256}, {OID_ROW(OID_HMAC_SHA384), pbkdf2_hmac_sha384},
    {OID_ROW(OID_HMAC_SHA512), pbkdf2_hmac_sha512},
};

static const struct {
    const char *oid;
    size_t oid_len;
    const struct nettle_cipher *cipher;
} ciphers[] = {
    {OID_ROW(OID_AES128_CBC), &nettle_aes128},
    {OID_ROW(OID_AES192_CBC), &nettle_aes192},
    {OID_ROW(OID_AES256_CBC), &nettle_aes256},
};

typedef struct {
    const uint8_t *salt;
    size_t salt_len;
    unsigned iter;
    pbkdf2_fn *prf;
    const struct nettle_cipher *cipher;
    uint8_t iv[AES_BLOCK_SIZE];
    const uint8_t *data;
    size_t data_len;
} pbes2;

/* PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER,
 *   keyLength INTEGER OPTIONAL, prf AlgorithmIdentifier DEFAULT hmacWithSHA1 } */
static MT_WUR int pbkdf2_params(mt_rd *r, pbes2 *pb)
{
    mt_rd seq, salt, prf;
    int64_t iter, keylen = -1;
    uint8_t tag;
    GUARD(mt_asn1_expect(r, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_rd_end(r));
    GUARD(mt_asn1_expect(&seq, MT_ASN1_OCTET_STRING, &salt));
    pb->salt_len = mt_rd_left(&salt);
    GUARD(mt_rd_borrow(&salt, pb->salt_len, &pb->salt));
    GUARD(mt_asn1_small(&seq, &iter));
    ENSURE(iter >= 1 && iter <= PBKDF2_MAX_ITER, KEY_UNSUPPORTED);
    pb->iter = (unsigned)iter;
    if (mt_asn1_peek(&seq, &tag) == 0 && tag == MT_ASN1_INTEGER) {
        GUARD(mt_asn1_small(&seq, &keylen));
    }
    pb->prf = pbkdf2_hmac_sha1;
    int present;
    GUARD(mt_asn1_optional(&seq, MT_ASN1_SEQUENCE, &prf, &present));
    GUARD(mt_rd_end(&seq));
    if (present) {
        const uint8_t *oid;
        size_t n;
        GUARD(mt_asn1_oid(&prf, &oid, &n));
        GUARD(null_params(&prf));
        pb->prf = NULL;
        for (size_t i = 0; i < COUNT(prfs); i++) {
            if (mt_asn1_oid_is(oid, n, prfs[i].oid, prfs[i].oid_len)) {
                pb->prf = prfs[i].fn;
            }
        }
        ENSURE(pb->prf, KEY_UNSUPPORTED);
    }
    /* keyLength, when given, is checked against the cipher by the caller. */
    return keylen < 0 ? 0 : (int)keylen;
}

/* PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier {{PBKDF2}},
 *   encryptionScheme AlgorithmIdentifier {{aes*-CBC with a 16-byte IV}} } */
static MT_WUR int pbes2_params(mt_rd *r, pbes2 *pb)
{
    mt_rd seq, kdf, enc, iv;
    const uint8_t *oid;
    size_t n;
    GUARD(mt_asn1_expect(r, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_rd_end(r));
    GUARD(mt_asn1_expect(&seq, MT_ASN1_SEQUENCE, &kdf));
    GUARD(mt_asn1_expect(&seq, MT_ASN1_SEQUENCE, &enc));
    GUARD(mt_rd_end(&seq));
    GUARD(mt_asn1_oid(&kdf, &oid, &n));
    ENSURE(MT_OID_IS(oid, n, OID_PBKDF2), KEY_UNSUPPORTED);
    int keylen = pbkdf2_params(&kdf, pb);
    GUARD(keylen);
    GUARD(mt_asn1_oid(&enc, &oid, &n));
    pb->cipher = NULL;
    for (size_t i = 0; i < COUNT(ciphers); i++) {
        if (mt_asn1_oid_is(oid, n, ciphers[i].oid, ciphers[i].oid_len)) {
            pb->cipher = ciphers[i].cipher;
        }
    }
    ENSURE(pb->cipher, KEY_UNSUPPORTED);
    ENSURE(keylen == 0 || (size_t)keylen == pb->cipher->key_size, KEY_INVALID);
    GUARD(mt_asn1_expect(&enc, MT_ASN1_OCTET_STRING, &iv));
    GUARD(mt_rd_end(&enc));
    ENSURE(mt_rd_left(&iv) == AES_BLOCK_SIZE, KEY_INVALID);
    return mt_rd_copy(&iv, pb->iv, AES_BLOCK_SIZE);
}

/* EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING } */
static MT_WUR int pbes2_parse(const uint8_t *der, size_t len, pbes2 *pb)
{
    mt_rd r, seq, alg, data;
    const uint8_t *oid;
    size_t n;
    mt_rd_init(&r, der, len);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_rd_end(&r));
    GUARD(mt_asn1_expect(&seq, MT_ASN1_SEQUENCE, &alg));
    GUARD(mt_asn1_expect(&seq, MT_ASN1_OCTET_STRING, &data));
    GUARD(mt_rd_end(&seq));
    GUARD(mt_asn1_oid(&alg, &oid, &n));
    ENSURE(MT_OID_IS(oid, n, OID_PBES2), KEY_UNSUPPORTED);
    GUARD(pbes2_params(&alg, pb));
    pb->data_len = mt_rd_left(&data);
    ENSURE(pb->data_len > 0 && pb->data_len % AES_BLOCK_SIZE == 0, KEY_INVALID);
    return mt_rd_borrow(&data, pb->data_len, &pb->data);
}

/* 1 if the last block ends in valid PKCS#7 padding; *len becomes the unpadded length.
 * Constant time in the padding bytes. */
static int unpad(const uint8_t *p, size_t n, size_t *len)
{
    uint8_t last[AES_BLOCK_SIZE];
    mt_rd r;
    mt_rd_init(&r, p, n);
    if (mt_rd_skip(&r, n - AES_BLOCK_SIZE) < 0 || mt_rd_copy(&r, last, AES_BLOCK_SIZE) < 0) {
        return 0;
    }
    uint32_t pad = last[AES_BLOCK_SIZE - 1];
    uint32_t bad = mt_ct_mask_eq(pad, 0) | ~mt_ct_mask_lt(pad, AES_BLOCK_SIZE + 1);
    for (uint32_t i = 0; i < AES_BLOCK_SIZE; i++) {
        uint32_t in_pad = ~mt_ct_mask_lt(i, AES_BLOCK_SIZE - pad);
        bad |= in_pad & ~mt_ct_mask_eq(last[i], pad);
    }
    mt_wipe(last, sizeof(last));
    *len = n - (pad & 0xff & ~bad);
    return bad == 0;
}

static MT_WUR int pkcs8_decrypt(const uint8_t *der, size_t len, const char *password, size_t pwlen,
                                mt_key **out)
{
    pbes2 pb;
    GUARD(pbes2_parse(der, len, &pb));
    ENSURE(password, PASSWORD_NEEDED);
    uint8_t key[32];
    union {
        struct aes128_ctx a128;
        struct aes192_ctx a192;
        struct aes256_ctx a256;
    } ctx;
    uint8_t *plain = malloc(pb.data_len);
    ENSURE(plain, NOMEM);
    pb.prf(pwlen, (const uint8_t *)password, pb.iter, pb.salt_len, pb.salt, pb.cipher->key_size,
           key);
    pb.cipher->set_decrypt_key(&ctx, key);
    cbc_decrypt(&ctx, pb.cipher->decrypt, AES_BLOCK_SIZE, pb.iv, pb.data_len, plain, pb.data);
    mt_wipe(&ctx, sizeof(ctx));
    mt_wipe(key, sizeof(key));
    size_t plen = 0;
    int rc = -MT_E_BAD_PASSWORD;
    /* A wrong password shows as bad padding or as garbage that is not DER. */
    if (unpad(plain, pb.data_len, &plen) && mt_asn1_walk(plain, plen, MT_ASN1_MAX_DEPTH) == 0) {
        rc = pkcs8_parse(plain, plen, out);
    }
    mt_wipe(plain, pb.data_len);
    free(plain);
    return rc;
}

/* ---- SubjectPublicKeyInfo ---- */

static MT_WUR int spki_ec(mt_rd *alg, const uint8_t *p, size_t n, mt_key **out)
{
    const curve_row *c;
    GUARD(curve_params(alg, &c));
    mt_key *k = key_new(c->type);
    ENSURE(k, NOMEM);
    int rc = ec_point_read(c, p, n, &k->ec_pub);
    if (rc < 0) {
        mt_key_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

static MT_WUR int spki_ed(const ed_row *e, mt_rd *alg, const uint8_t *p, size_t n, mt_key **out)
{
    GUARD(mt_rd_end(alg));
    ENSURE(n == e->key_len, KEY_INVALID);
    mt_key *k = key_new(e->type);
    ENSURE(k, NOMEM);
    memcpy(k->ed_pub, p, n);
    *out = k;
    return 0;
}

static MT_WUR int spki_rsa_dsa(int rsa, mt_rd *alg, const uint8_t *p, size_t n, mt_key **out)
{
    mt_key *k = key_new(rsa ? MT_KEY_RSA : MT_KEY_DSA);
    ENSURE(k, NOMEM);
    int rc;
    if (rsa) {
        BAIL(rc, rsa == 2 ? pss_params(alg, k) : null_params(alg));
        BAIL(rc, rsa_parse_public(k, p, n));
    } else {
        mt_rd r;
        BAIL(rc, dsa_parse_params(alg, k));
        BAIL(rc, mt_rd_end(alg));
        mt_rd_init(&r, p, n);
        BAIL(rc, rd_mpz(&r, k->dsa_y));
        BAIL(rc, mt_rd_end(&r));
        BAIL(rc, dsa_check_public(k));
    }
    *out = k;
    return 0;
out:
    mt_key_free(k);
    return rc;
}

/* RFC 5280 4.1: SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
 *   subjectPublicKey BIT STRING } */
static MT_WUR int spki_parse(const uint8_t *der, size_t len, mt_key **out)
{
    mt_rd r, seq, alg;
    const uint8_t *oid, *key;
    size_t oidlen, keylen;
    mt_rd_init(&r, der, len);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_rd_end(&r));
    GUARD(mt_asn1_expect(&seq, MT_ASN1_SEQUENCE, &alg));
    GUARD(mt_asn1_bits_bytes(&seq, &key, &keylen));
    GUARD(mt_rd_end(&seq));
    GUARD(mt_asn1_oid(&alg, &oid, &oidlen));
    if (MT_OID_IS(oid, oidlen, OID_RSA)) {
        return spki_rsa_dsa(1, &alg, key, keylen, out);
    }
    if (MT_OID_IS(oid, oidlen, OID_RSA_PSS)) {
        return spki_rsa_dsa(2, &alg, key, keylen, out); /* RFC 4055 1.2 */
    }
    if (MT_OID_IS(oid, oidlen, OID_DSA)) {
        return spki_rsa_dsa(0, &alg, key, keylen, out);
    }
    if (MT_OID_IS(oid, oidlen, OID_EC)) {
        return spki_ec(&alg, key, keylen, out);
    }
    for (size_t i = 0; i < COUNT(eds); i++) {
        if (mt_asn1_oid_is(oid, oidlen, eds[i].oid, eds[i].oid_len)) {
            return spki_ed(&eds[i], &alg, key, keylen, out);
        }
    }
    return -MT_E_KEY_UNSUPPORTED;
}

/* ---- loading ---- */

typedef enum {
    FMT_PKCS8,
    FMT_ENCRYPTED,
    FMT_SPKI,
    FMT_RSA_PRIVATE,
    FMT_RSA_PUBLIC,
    FMT_SEC1,
    FMT_DSA_PRIVATE,
} key_format;

/* Guess the format of bare DER from the tags of the outer SEQUENCE's elements. */
static MT_WUR int classify(const uint8_t *der, size_t len, key_format *fmt)
{
    mt_rd r, seq;
    uint8_t tags[3] = {0, 0, 0};
    size_t count = 0, ints = 0;
    mt_rd_init(&r, der, len);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_rd_end(&r));
    while (mt_rd_left(&seq) > 0) {
        mt_asn1_tlv t;
        GUARD(mt_asn1_next(&seq, &t));
        if (count < COUNT(tags)) {
            tags[count] = t.tag;
        }
        count++;
        ints += t.tag == MT_ASN1_INTEGER;
    }
    if (tags[0] == MT_ASN1_SEQUENCE && tags[1] == MT_ASN1_BIT_STRING) {
        *fmt = FMT_SPKI;
    } else if (tags[0] == MT_ASN1_SEQUENCE && tags[1] == MT_ASN1_OCTET_STRING) {
        *fmt = FMT_ENCRYPTED;
    } else if (tags[0] == MT_ASN1_INTEGER && tags[1] == MT_ASN1_SEQUENCE) {
        *fmt = FMT_PKCS8;
    } else if (tags[0] == MT_ASN1_INTEGER && tags[1] == MT_ASN1_OCTET_STRING) {
        *fmt = FMT_SEC1;
    } else if (count == 2 && ints == 2) {
        *fmt = FMT_RSA_PUBLIC;
    } else if (count == 9 && ints == 9) {
        *fmt = FMT_RSA_PRIVATE;
    } else if (count == 6 && ints == 6) {
        *fmt = FMT_DSA_PRIVATE;
    } else {
        return -MT_E_KEY_UNSUPPORTED;
    }
    return 0;
}

/* Parse a plain structure of format `fmt` into a fresh key. */
static MT_WUR int parse_simple(key_format fmt, const uint8_t *der, size_t len, mt_key **out)
{
    mt_key_type type = fmt == FMT_DSA_PRIVATE ? MT_KEY_DSA : MT_KEY_RSA;
    mt_key *k = key_new(type);
    ENSURE(k, NOMEM);
    int rc;
    switch (fmt) {
    case FMT_RSA_PRIVATE:
        rc = rsa_parse_private(k, der, len);
        break;
    case FMT_RSA_PUBLIC:
        rc = rsa_parse_public(k, der, len);
        break;
    case FMT_DSA_PRIVATE:
        rc = dsa_parse_openssl(k, der, len);
        break;
    default:
        rc = -MT_E_INTERNAL;
        break;
    }
    if (rc < 0) {
        mt_key_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

static MT_WUR int load_der(key_format fmt, const uint8_t *der, size_t len, const char *password,
                           size_t pwlen, mt_key **out)
{
    switch (fmt) {
    case FMT_PKCS8:
        return pkcs8_parse(der, len, out);
    case FMT_ENCRYPTED:
        return pkcs8_decrypt(der, len, password, pwlen, out);
    case FMT_SPKI:
        return spki_parse(der, len, out);
    case FMT_SEC1:
        return ec_parse_private(NULL, der, len, out);
    case FMT_RSA_PRIVATE:
    case FMT_RSA_PUBLIC:
    case FMT_DSA_PRIVATE:
        return parse_simple(fmt, der, len, out);
    default:
        return -MT_E_INTERNAL;
    }
}

static const struct {
    const char *label;
    key_format fmt;
} pem_labels[] = {
    {"PRIVATE KEY", FMT_PKCS8},
    {"ENCRYPTED PRIVATE KEY", FMT_ENCRYPTED},
    {"PUBLIC KEY", FMT_SPKI},
    {"RSA PRIVATE KEY", FMT_RSA_PRIVATE},
    {"RSA PUBLIC KEY", FMT_RSA_PUBLIC},
    {"EC PRIVATE KEY", FMT_SEC1},
    {"DSA PRIVATE KEY", FMT_DSA_PRIVATE},
};

/* The first PEM block with a key label, decoded into der. */
static MT_WUR int pem_find(const uint8_t *data, size_t len, mt_wr *der, key_format *fmt)
{
    mt_rd text;
    char label[MT_PEM_MAX_LABEL + 1];
    mt_rd_init(&text, data, len);
    for (;;) {
        mt_wr_reset(der);
        int found = mt_pem_next(&text, label, der);
        GUARD(found);
        ENSURE(found, PEM_NONE);
        for (size_t i = 0; i < COUNT(pem_labels); i++) {
            if (strcmp(label, pem_labels[i].label) == 0) {
                *fmt = pem_labels[i].fmt;
                return 0;
            }
        }
    }
}

int mt_key_load(const uint8_t *data, size_t len, const char *password, size_t pwlen, mt_key **out)
{
    ENSURE(out && (data || len == 0), INVALID_ARG);
    *out = NULL;
    ENSURE(len <= INPUT_MAX, KEY_UNSUPPORTED);
    key_format fmt;
    if (!mt_pem_is_pem(data, len)) {
        GUARD(der_error(classify(data, len, &fmt)));
        return der_error(load_der(fmt, data, len, password, pwlen, out));
    }
    mt_wr der;
    mt_wr_init_growable(&der, INPUT_MAX);
    int rc;
    BAIL(rc, pem_find(data, len, &der, &fmt));
    BAIL(rc, mt_wr_finish(&der));
    rc = der_error(load_der(fmt, der.p, der.len, password, pwlen, out));
out:
    mt_wr_free(&der);
    return rc;
}

int mt_key_from_spki(const uint8_t *der, size_t len, mt_key **out)
{
    ENSURE(out && (der || len == 0), INVALID_ARG);
    *out = NULL;
    return der_error(spki_parse(der, len, out));
}

/* ---- generation ---- */

static MT_WUR int generate_rsa(unsigned bits, mt_key **out)
{
    ENSURE(bits >= 2048 && bits <= 4096, INVALID_ARG);
    mt_key *k = key_new(MT_KEY_RSA);
    ENSURE(k, NOMEM);
    mpz_set_ui(k->rsa_pub.e, 65537);
    if (!rsa_generate_keypair(&k->rsa_pub, &k->rsa_priv, NULL, mt_rng_nettle, NULL, NULL, bits,
                              0)) {
        mt_key_free(k);
        return -MT_E_INTERNAL;
    }
    k->bits = (unsigned)mpz_sizeinbase(k->rsa_pub.n, 2);
    k->priv = 1;
    *out = k;
    return 0;
}

int mt_key_generate(mt_key_type type, unsigned bits, mt_key **out)
{
    ENSURE(out, INVALID_ARG);
    *out = NULL;
    mt_key *k;
    switch (type) {
    case MT_KEY_RSA:
        return generate_rsa(bits, out);
    case MT_KEY_EC_P256:
    case MT_KEY_EC_P384:
    case MT_KEY_EC_P521:
        k = key_new(type);
        ENSURE(k, NOMEM);
        ecdsa_generate_keypair(&k->ec_pub, &k->ec_priv, NULL, mt_rng_nettle);
        break;
    case MT_KEY_ED25519:
    case MT_KEY_ED448:
        k = key_new(type);
        ENSURE(k, NOMEM);
        mt_rng_nettle(NULL, ed_by_type(type)->key_len, k->ed_priv);
        ed_derive(k);
        break;
    case MT_KEY_DSA:
        return -MT_E_KEY_UNSUPPORTED;
    case MT_KEY_NONE:
    default:
        return -MT_E_INVALID_ARG;
    }
    k->priv = 1;
    *out = k;
    return 0;
}

/* ---- writing ---- */

/* AlgorithmIdentifier of the key type (SPKI and PKCS#8 use the same one). */
static MT_WUR int write_alg(const mt_key *k, mt_wr *w)
{
    mt_asn1_mark m;
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &m));
    const curve_row *c = curve_by_type(k->type);
    const ed_row *e = ed_by_type(k->type);
    if (k->type == MT_KEY_RSA && k->pss) {
        GUARD(MT_ASN1_W_OID(w, OID_RSA_PSS));
        GUARD(mt_wr_bytes(w, k->pss_params, k->pss_params_len)); /* RFC 4055 3.1, or none */
    } else if (k->type == MT_KEY_RSA) {
        GUARD(MT_ASN1_W_OID(w, OID_RSA));
        GUARD(mt_asn1_w_null(w));
    } else if (c) {
        GUARD(MT_ASN1_W_OID(w, OID_EC));
        GUARD(mt_asn1_w_oid(w, c->oid, c->oid_len));
    } else if (e) {
        GUARD(mt_asn1_w_oid(w, e->oid, e->oid_len));
    } else if (k->type == MT_KEY_DSA) {
        GUARD(MT_ASN1_W_OID(w, OID_DSA));
        GUARD(dsa_write_params(k, w));
    } else {
        return -MT_E_INVALID_ARG;
    }
    return mt_asn1_close(w, &m);
}

/* The subjectPublicKey bytes (the BIT STRING contents after the unused-bits octet). */
static MT_WUR int write_public_bits(const mt_key *k, mt_wr *w)
{
    const curve_row *c = curve_by_type(k->type);
    const ed_row *e = ed_by_type(k->type);
    if (k->type == MT_KEY_RSA) {
        return rsa_write_public(k, w);
    }
    if (c) {
        uint8_t pt[1 + 2 * 66];
        ec_point_bytes(k, pt);
        return mt_wr_bytes(w, pt, 1 + 2 * c->bytes);
    }
    if (e) {
        return mt_wr_bytes(w, k->ed_pub, e->key_len);
    }
    if (k->type == MT_KEY_DSA) {
        return w_mpz(w, k->dsa_y);
    }
    return -MT_E_INVALID_ARG;
}

int mt_key_write_spki(const mt_key *k, mt_wr *out)
{
    ENSURE(k && out, INVALID_ARG);
    mt_asn1_mark m, b;
    GUARD(mt_asn1_open(out, MT_ASN1_SEQUENCE, &m));
    GUARD(write_alg(k, out));
    GUARD(mt_asn1_open(out, MT_ASN1_BIT_STRING, &b));
    GUARD(mt_wr_u8(out, 0));
    GUARD(write_public_bits(k, out));
    GUARD(mt_asn1_close(out, &b));
    return mt_asn1_close(out, &m);
}

/* The privateKey OCTET STRING contents of PKCS#8. */
static MT_WUR int write_private_body(const mt_key *k, mt_wr *w)
{
    const ed_row *e = ed_by_type(k->type);
    if (k->type == MT_KEY_RSA) {
        return rsa_write_private(k, w);
    }
    if (curve_by_type(k->type)) {
        return ec_write_private(k, w);
    }
    if (e) {
        return mt_asn1_w_tlv(w, MT_ASN1_OCTET_STRING, k->ed_priv, e->key_len);
    }
    if (k->type == MT_KEY_DSA) {
        return w_mpz(w, k->dsa_x);
    }
    return -MT_E_INVALID_ARG;
}

int mt_key_write_pkcs8(const mt_key *k, mt_wr *out)
{
    ENSURE(k && out && k->priv, INVALID_ARG);
    mt_asn1_mark m, o;
    GUARD(mt_asn1_open(out, MT_ASN1_SEQUENCE, &m));
    GUARD(mt_asn1_w_small(out, 0));
    GUARD(write_alg(k, out));
    GUARD(mt_asn1_open(out, MT_ASN1_OCTET_STRING, &o));
    GUARD(write_private_body(k, out));
    GUARD(mt_asn1_close(out, &o));
    return mt_asn1_close(out, &m);
}

int mt_key_public(const mt_key *k, mt_key **out)
{
    ENSURE(k && out, INVALID_ARG);
    *out = NULL;
    mt_wr w;
    mt_wr_init_growable(&w, INPUT_MAX);
    int rc;
    BAIL(rc, mt_key_write_spki(k, &w));
    BAIL(rc, mt_wr_finish(&w));
    rc = mt_key_from_spki(w.p, w.len, out);
out:
    mt_wr_free(&w);
    return rc;
}

int mt_key_public_eq(const mt_key *a, const mt_key *b)
{
    if (!a || !b || a->type != b->type) {
        return 0;
    }
    mt_wr wa, wb;
    mt_wr_init_growable(&wa, INPUT_MAX);
    mt_wr_init_growable(&wb, INPUT_MAX);
    int eq = mt_key_write_spki(a, &wa) == 0 && mt_key_write_spki(b, &wb) == 0 &&
             mt_wr_finish(&wa) == 0 && mt_wr_finish(&wb) == 0 && wa.len == wb.len &&
             mt_ct_eq(wa.p, wb.p, wa.len);
    mt_wr_free(&wa);
    mt_wr_free(&wb);
    return eq;
}

/* ---- signatures ---- */

int mt_key_supports(const mt_key *k, mt_sig_alg alg)
{
    if (!k) {
        return 0;
    }
    int h = alg.hash;
    int sha = h >= MT_HASH_SHA1 && h <= MT_HASH_SHA512;
    switch (k->type) {
    case MT_KEY_RSA:
        if (k->pss) {
            /* RFC 4055 3.1: only PSS, as the parameters restrict it */
            return alg.kind == MT_SIG_RSA_PSS && h >= MT_HASH_SHA256 && h <= MT_HASH_SHA512 &&
                   (!k->pss_hash || h == k->pss_hash) && alg.salt_len >= k->pss_salt;
        }
        return (alg.kind == MT_SIG_RSA_PKCS1 && sha) ||
               (alg.kind == MT_SIG_RSA_PSS && h >= MT_HASH_SHA256 && h <= MT_HASH_SHA512);
    case MT_KEY_EC_P256:
    case MT_KEY_EC_P384:
    case MT_KEY_EC_P521:
        return alg.kind == MT_SIG_ECDSA && sha;
    case MT_KEY_ED25519:
    case MT_KEY_ED448:
        return alg.kind == MT_SIG_EDDSA && h == MT_HASH_NONE;
    case MT_KEY_DSA:
        return alg.kind == MT_SIG_DSA && h >= MT_HASH_SHA1 && h <= MT_HASH_SHA256;
    case MT_KEY_NONE:
    default:
        return 0;
    }
}

/* RFC 8017 9.2: DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier (parameters
 * NULL), digest OCTET STRING }, into w. */
static MT_WUR int digest_info(int hash, const uint8_t *digest, size_t n, mt_wr *w)
{
    const hash_row *h = hash_row_of(hash);
    ENSURE(h, SIG_UNSUPPORTED);
    mt_asn1_mark m, a;
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &m));
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &a));
    GUARD(mt_asn1_w_oid(w, h->oid, h->oid_len));
    GUARD(mt_asn1_w_null(w));
    GUARD(mt_asn1_close(w, &a));
    GUARD(mt_asn1_w_tlv(w, MT_ASN1_OCTET_STRING, digest, n));
    GUARD(mt_asn1_close(w, &m));
    return mt_wr_finish(w);
}

typedef int pss_sign_fn(const struct rsa_public_key *, const struct rsa_private_key *, void *,
                        nettle_random_func *, size_t, const uint8_t *, const uint8_t *, mpz_t);
typedef int pss_verify_fn(const struct rsa_public_key *, size_t, const uint8_t *, const mpz_t);

static MT_WUR int pss_fns(int hash, pss_sign_fn **sign, pss_verify_fn **verify)
{
    switch (hash) {
    case MT_HASH_SHA256:
        *sign = rsa_pss_sha256_sign_digest_tr;
        *verify = rsa_pss_sha256_verify_digest;
        return 0;
    case MT_HASH_SHA384:
        *sign = rsa_pss_sha384_sign_digest_tr;
        *verify = rsa_pss_sha384_verify_digest;
        return 0;
    case MT_HASH_SHA512:
        *sign = rsa_pss_sha512_sign_digest_tr;
        *verify = rsa_pss_sha512_verify_digest;
        return 0;
    default:
        return -MT_E_SIG_UNSUPPORTED;
    }
}

static MT_WUR int rsa_sign(const mt_key *k, mt_sig_alg alg, const uint8_t *digest, size_t n,
                           mt_wr *sig)
{
    mpz_t s;
    int ok;
    pss_sign_fn *sign;
    pss_verify_fn *verify;
    uint8_t salt[RSA_MAX_BITS / 8], buf[128];
    mt_wr info;
    mt_wr_init_fixed(&info, buf, sizeof(buf));
    if (alg.kind == MT_SIG_RSA_PSS) {
        ENSURE(alg.salt_len <= k->rsa_pub.size, SIG_UNSUPPORTED);
        GUARD(pss_fns(alg.hash, &sign, &verify));
        GUARD(mt_rng_bytes(salt, alg.salt_len));
    } else {
        GUARD(digest_info(alg.hash, digest, n, &info));
    }
    mpz_init(s);
    if (alg.kind == MT_SIG_RSA_PSS) {
        ok = sign(&k->rsa_pub, &k->rsa_priv, NULL, mt_rng_nettle, alg.salt_len, salt, digest, s);
    } else {
        ok = rsa_pkcs1_sign_tr(&k->rsa_pub, &k->rsa_priv, NULL, mt_rng_nettle, info.len, buf, s);
    }
    uint8_t *p;
    int rc = ok ? mt_wr_reserve(sig, k->rsa_pub.size, &p) : -MT_E_SIG_UNSUPPORTED;
    if (rc == 0) {
        nettle_mpz_get_str_256(k->rsa_pub.size, p, s);
    }
    mpz_clear(s);
    return rc;
}

static MT_WUR int rsa_verify(const mt_key *k, mt_sig_alg alg, const uint8_t *digest, size_t n,
                             const uint8_t *sig, size_t siglen)
{
    /* RFC 8017 8.2.2 / 8.1.2 step 1: the signature is exactly k octets. */
    ENSURE(siglen == k->rsa_pub.size, SIGNATURE);
    mpz_t s;
    int ok;
    nettle_mpz_init_set_str_256_u(s, siglen, sig);
    if (alg.kind == MT_SIG_RSA_PSS) {
        pss_sign_fn *sign;
        pss_verify_fn *verify;
        ok = pss_fns(alg.hash, &sign, &verify) == 0 && verify(&k->rsa_pub, alg.salt_len, digest, s);
    } else {
        uint8_t buf[128];
        mt_wr info;
        mt_wr_init_fixed(&info, buf, sizeof(buf));
        ok = digest_info(alg.hash, digest, n, &info) == 0 &&
             rsa_pkcs1_verify(&k->rsa_pub, info.len, buf, s);
    }
    mpz_clear(s);
    ENSURE(ok, SIGNATURE);
    return 0;
}

/* Dss-Sig-Value / Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } */
static MT_WUR int write_rs(const struct dsa_signature *rs, mt_wr *w)
{
    mt_asn1_mark m;
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &m));
    GUARD(w_mpz(w, rs->r));
    GUARD(w_mpz(w, rs->s));
    return mt_asn1_close(w, &m);
}

/* Strict DER: minimal non-negative INTEGERs, no trailing bytes anywhere. */
static MT_WUR int read_rs(const uint8_t *sig, size_t n, size_t max, struct dsa_signature *rs)
{
    mt_rd r, seq;
    const uint8_t *p;
    size_t len;
    mt_rd_init(&r, sig, n);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_rd_end(&r));
    GUARD(mt_asn1_uint(&seq, &p, &len));
    ENSURE(len <= max, SIGNATURE);
    nettle_mpz_set_str_256_u(rs->r, len, p);
    GUARD(mt_asn1_uint(&seq, &p, &len));
    ENSURE(len <= max, SIGNATURE);
    nettle_mpz_set_str_256_u(rs->s, len, p);
    return mt_rd_end(&seq);
}

static MT_WUR int dsa_like_sign(const mt_key *k, const uint8_t *digest, size_t n, mt_wr *sig)
{
    struct dsa_signature rs;
    dsa_signature_init(&rs);
    int ok = 1;
    if (k->type == MT_KEY_DSA) {
        ok = dsa_sign(&k->dsa, k->dsa_x, NULL, mt_rng_nettle, n, digest, &rs);
    } else {
        ecdsa_sign(&k->ec_priv, NULL, mt_rng_nettle, n, digest, &rs);
    }
    int rc = ok ? write_rs(&rs, sig) : -MT_E_INTERNAL;
    dsa_signature_clear(&rs);
    return rc;
}

/* 1 if points a and b are equal. */
static int point_eq(const struct ecc_point *a, const struct ecc_point *b)
{
    mpz_t xa, ya, xb, yb;
    mpz_inits(xa, ya, xb, yb, NULL);
    ecc_point_get(a, xa, ya);
    ecc_point_get(b, xb, yb);
    int eq = mpz_cmp(xa, xb) == 0 && mpz_cmp(ya, yb) == 0;
    mpz_clears(xa, ya, xb, yb, NULL);
    return eq;
}

/*
 * nettle's ecc_ecdsa_verify adds u1*G and u2*Q with a formula that gives garbage when the
 * two points are equal (its source says so), so it rejects the valid signatures of
 * Wycheproof's "point duplication" vectors. After nettle has rejected a signature, this
 * checks that one case with nettle's scalar multiplications (SEC 1 4.1.4, public data only):
 * if u1*G == u2*Q, then R = (2*u1)*G and the signature is valid when R.x mod q == r.
 */
static int ecdsa_doubling_case(const mt_key *k, const uint8_t *digest, size_t n,
                               const struct dsa_signature *rs)
{
    const curve_row *c = curve_by_type(k->type);
    mpz_t q, e, w, u1, u2, y;
    struct ecc_scalar s1, s2;
    struct ecc_point p1, p2;
    int ok = 0;
    mpz_inits(q, e, w, u1, u2, y, NULL);
    ecc_scalar_init(&s1, k->curve);
    ecc_scalar_init(&s2, k->curve);
    ecc_point_init(&p1, k->curve);
    ecc_point_init(&p2, k->curve);
    mpz_set_str(q, c->order, 16);
    nettle_mpz_set_str_256_u(e, n, digest);
    if (8 * n > c->bits) {
        mpz_tdiv_q_2exp(e, e, 8 * n - c->bits); /* SEC 1 4.1.3 step 5: leftmost bits */
    }
    if (mpz_sgn(rs->r) > 0 && mpz_cmp(rs->r, q) < 0 && mpz_invert(w, rs->s, q)) {
        mpz_mul(u1, e, w);
        mpz_mod(u1, u1, q);
        mpz_mul(u2, rs->r, w);
        mpz_mod(u2, u2, q);
        if (ecc_scalar_set(&s1, u1) && ecc_scalar_set(&s2, u2)) {
            ecc_point_mul_g(&p1, &s1);
            ecc_point_mul(&p2, &s2, &k->ec_pub);
            if (point_eq(&p1, &p2)) {
                mpz_mul_2exp(u1, u1, 1);
                mpz_mod(u1, u1, q);
                ok = ecc_scalar_set(&s1, u1);
                ecc_point_mul_g(&p1, &s1);
                ecc_point_get(&p1, e, y);
                mpz_mod(e, e, q);
                ok = ok && mpz_cmp(e, rs->r) == 0;
            }
        }
    }
    ecc_point_clear(&p1);
    ecc_point_clear(&p2);
    ecc_scalar_clear(&s1);
    ecc_scalar_clear(&s2);
    mpz_clears(q, e, w, u1, u2, y, NULL);
    return ok;
}

static MT_WUR int dsa_like_verify(const mt_key *k, const uint8_t *digest, size_t n,
                                  const uint8_t *sig, size_t siglen)
{
    struct dsa_signature rs;
    dsa_signature_init(&rs);
    size_t max = k->type == MT_KEY_DSA ? 32 : curve_by_type(k->type)->bytes;
    int ok = read_rs(sig, siglen, max, &rs) == 0;
    if (ok && k->type == MT_KEY_DSA) {
        ok = dsa_verify(&k->dsa, k->dsa_y, n, digest, &rs);
    } else if (ok) {
        ok = ecdsa_verify(&k->ec_pub, n, digest, &rs) || ecdsa_doubling_case(k, digest, n, &rs);
    }
    dsa_signature_clear(&rs);
    ENSURE(ok, SIGNATURE);
    return 0;
}

int mt_key_sign_digest(const mt_key *k, mt_sig_alg alg, const uint8_t *digest, size_t digest_len,
                       mt_wr *sig)
{
    ENSURE(k && sig && digest, INVALID_ARG);
    ENSURE(mt_key_supports(k, alg) && alg.kind != MT_SIG_EDDSA, SIG_UNSUPPORTED);
    ENSURE(k->priv, INVALID_ARG);
    ENSURE(digest_len == mt_hash_len(alg.hash), INVALID_ARG);
    if (k->type == MT_KEY_RSA) {
        return rsa_sign(k, alg, digest, digest_len, sig);
    }
    return dsa_like_sign(k, digest, digest_len, sig);
}

int mt_key_verify_digest(const mt_key *k, mt_sig_alg alg, const uint8_t *digest, size_t digest_len,
                         const uint8_t *sig, size_t siglen)
{
    ENSURE(k && digest && (sig || siglen == 0), INVALID_ARG);
    ENSURE(mt_key_supports(k, alg) && alg.kind != MT_SIG_EDDSA, SIG_UNSUPPORTED);
    ENSURE(digest_len == mt_hash_len(alg.hash), INVALID_ARG);
    if (k->type == MT_KEY_RSA) {
        return rsa_verify(k, alg, digest, digest_len, sig, siglen);
    }
    return dsa_like_verify(k, digest, digest_len, sig, siglen);
}

/* Digest of msg with hash `id` into out (mt_hash_len(id) bytes). */
static MT_WUR int hash_msg(int id, const uint8_t *msg, size_t len, uint8_t out[MAX_DIGEST])
{
    const struct nettle_hash *h = mt_hash_nettle(id);
    ENSURE(h, SIG_UNSUPPORTED);
    union {
        struct md5_ctx md5;
        struct sha1_ctx sha1;
        struct sha256_ctx sha256;
        struct sha512_ctx sha512;
    } ctx;
    ENSURE(h->context_size <= sizeof(ctx), INTERNAL);
    h->init(&ctx);
    h->update(&ctx, len, msg);
    h->digest(&ctx, h->digest_size, out);
    mt_wipe(&ctx, sizeof(ctx));
    return 0;
}

int mt_key_sign(const mt_key *k, mt_sig_alg alg, const uint8_t *msg, size_t len, mt_wr *sig)
{
    ENSURE(k && sig && (msg || len == 0), INVALID_ARG);
    ENSURE(mt_key_supports(k, alg), SIG_UNSUPPORTED);
    ENSURE(k->priv, INVALID_ARG);
    if (alg.kind == MT_SIG_EDDSA) {
        const ed_row *e = ed_by_type(k->type);
        uint8_t *p;
        GUARD(mt_wr_reserve(sig, e->sig_len, &p));
        if (k->type == MT_KEY_ED25519) {
            ed25519_sha512_sign(k->ed_pub, k->ed_priv, len, msg, p);
        } else {
            ed448_shake256_sign(k->ed_pub, k->ed_priv, len, msg, p);
        }
        return 0;
    }
    uint8_t digest[MAX_DIGEST];
    GUARD(hash_msg(alg.hash, msg, len, digest));
    return mt_key_sign_digest(k, alg, digest, mt_hash_len(alg.hash), sig);
}

/* RFC 8032 5.2.7: S must be below L < 2^446, so the last octet of an Ed448 signature is zero.
 * nettle ignores that octet (Wycheproof ed448 tcId 76), so it is checked here. */
static MT_WUR int ed448_s_top(const mt_key *k, const uint8_t *sig, size_t siglen)
{
    if (k->type != MT_KEY_ED448) {
        return 0;
    }
    mt_rd r;
    uint8_t top;
    mt_rd_init(&r, sig, siglen);
    GUARD(mt_rd_skip(&r, siglen - 1));
    GUARD(mt_rd_u8(&r, &top));
    ENSURE(top == 0, SIGNATURE);
    return 0;
}

int mt_key_verify(const mt_key *k, mt_sig_alg alg, const uint8_t *msg, size_t len,
                  const uint8_t *sig, size_t siglen)
{
    ENSURE(k && (msg || len == 0) && (sig || siglen == 0), INVALID_ARG);
    ENSURE(mt_key_supports(k, alg), SIG_UNSUPPORTED);
    if (alg.kind == MT_SIG_EDDSA) {
        const ed_row *e = ed_by_type(k->type);
        int ok;
        ENSURE(siglen == e->sig_len, SIGNATURE);
        GUARD(ed448_s_top(k, sig, siglen));
        if (k->type == MT_KEY_ED25519) {
            ok = ed25519_sha512_verify(k->ed_pub, len, msg, sig);
        } else {
            ok = ed448_shake256_verify(k->ed_pub, len, msg, sig);
        }
        ENSURE(ok, SIGNATURE);
        return 0;
    }
    uint8_t digest[MAX_DIGEST];
    GUARD(hash_msg(alg.hash, msg, len, digest));
    return mt_key_verify_digest(k, alg, digest, mt_hash_len(alg.hash), sig, siglen);
}

/* ---- RSA key transport ---- */

/* RFC 4055 1.2: an id-RSASSA-PSS key never encrypts. */
static int is_rsa_private(const mt_key *k)
{
    return k && k->type == MT_KEY_RSA && k->priv && !k->pss;
}

int mt_key_is_rsa_pss(const mt_key *k)
{
    return k && k->type == MT_KEY_RSA && k->pss;
}

int mt_key_set_rsa_pss(mt_key *k)
{
    ENSURE(k && k->type == MT_KEY_RSA, INVALID_ARG);
    k->pss = 1;
    k->pss_hash = 0;
    k->pss_salt = 0;
    k->pss_params_len = 0;
    return 0;
}

int mt_key_rsa_decrypt_premaster(const mt_key *k, const uint8_t *ct, size_t len,
                                 uint16_t client_version, uint8_t out[MT_PREMASTER_LEN])
{
    ENSURE(is_rsa_private(k) && ct && out, INVALID_ARG);
    /* RFC 8017 7.2.2 step 1: the ciphertext is exactly k octets; its length is public. */
    ENSURE(len == k->rsa_pub.size, BAD_LENGTH);
    uint8_t rnd[MT_PREMASTER_LEN], pms[MT_PREMASTER_LEN];
    /* RFC 5246 7.4.7.1 step 1: the random substitute exists before decryption starts. */
    GUARD(mt_rng_bytes(rnd, sizeof(rnd)));
    memset(pms, 0, sizeof(pms));
    mpz_t c;
    nettle_mpz_init_set_str_256_u(c, len, ct);
    int ok = rsa_sec_decrypt(&k->rsa_pub, &k->rsa_priv, NULL, mt_rng_nettle, sizeof(pms), pms, c);
    mpz_clear(c);
    /* RFC 5246 7.4.7.1 steps 2-4: keep the message only if the padding was right and it
     * starts with ClientHello.client_version; decide with masks, not branches. */
    uint32_t good = mt_ct_mask_eq((uint32_t)ok, 1) &
                    mt_ct_mask_eq(pms[0], (uint32_t)(client_version >> 8)) &
                    mt_ct_mask_eq(pms[1], (uint32_t)(client_version & 0xff));
    memcpy(out, rnd, sizeof(rnd));
    mt_ct_copy_if((int)(good & 1), out, pms, sizeof(pms));
    mt_wipe(rnd, sizeof(rnd));
    mt_wipe(pms, sizeof(pms));
    return 0;
}

int mt_key_rsa_encrypt_premaster(const mt_key *k, const uint8_t premaster[MT_PREMASTER_LEN],
                                 mt_wr *out)
{
    ENSURE(k && k->type == MT_KEY_RSA && !k->pss && premaster && out, INVALID_ARG);
    mpz_t c;
    uint8_t *p;
    mpz_init(c);
    int ok = rsa_encrypt(&k->rsa_pub, NULL, mt_rng_nettle, MT_PREMASTER_LEN, premaster, c);
    int rc = ok ? mt_wr_reserve(out, k->rsa_pub.size, &p) : -MT_E_INTERNAL;
    if (rc == 0) {
        nettle_mpz_get_str_256(k->rsa_pub.size, p, c);
    }
    mpz_clear(c);
    return rc;
}

int mt_key_rsa_decrypt(const mt_key *k, const uint8_t *ct, size_t len, uint8_t *msg, size_t msg_len)
{
    ENSURE(is_rsa_private(k) && (ct || len == 0) && (msg || msg_len == 0), INVALID_ARG);
    ENSURE(msg_len + 11 <= k->rsa_pub.size, INVALID_ARG);
    ENSURE(len == k->rsa_pub.size, DECRYPT_ERROR);
    uint8_t dummy;
    mpz_t c;
    nettle_mpz_init_set_str_256_u(c, len, ct);
    int ok = rsa_sec_decrypt(&k->rsa_pub, &k->rsa_priv, NULL, mt_rng_nettle, msg_len,
                             msg_len ? msg : &dummy, c);
    mpz_clear(c);
    ENSURE(ok, DECRYPT_ERROR);
    return 0;
}
