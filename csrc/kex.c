#include "kex.h"

#include <gmp.h>
#include <nettle/curve25519.h>
#include <nettle/curve448.h>
#include <nettle/ecc-curve.h>
#include <string.h>

#include "ct.h"
#include "err.h"
#include "rng.h"

static const struct ecc_curve *nist_curve(uint16_t group)
{
    switch (group) {
    case MT_GROUP_SECP256R1:
        return nettle_get_secp_256r1();
    case MT_GROUP_SECP384R1:
        return nettle_get_secp_384r1();
    case MT_GROUP_SECP521R1:
        return nettle_get_secp_521r1();
    default:
        return NULL;
    }
}

int mt_kex_supported(uint16_t group)
{
    return group == MT_GROUP_X25519 || group == MT_GROUP_X448 || nist_curve(group) != NULL;
}

const char *mt_kex_group_name(uint16_t group)
{
    switch (group) {
    case MT_GROUP_SECP256R1:
        return "secp256r1";
    case MT_GROUP_SECP384R1:
        return "secp384r1";
    case MT_GROUP_SECP521R1:
        return "secp521r1";
    case MT_GROUP_X25519:
        return "x25519";
    case MT_GROUP_X448:
        return "x448";
    default:
        return NULL;
    }
}

/* Big-endian bytes of a little-endian limb array (a field element below p), without GMP. */
static void limbs_to_be(const mp_limb_t *limbs, size_t nlimbs, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        size_t byte = len - 1 - i; /* significance of out[i] */
        size_t limb = byte / sizeof(mp_limb_t);
        out[i] = limb < nlimbs ? (uint8_t)(limbs[limb] >> (8 * (byte % sizeof(mp_limb_t)))) : 0;
    }
}

static size_t coord_len(const struct ecc_curve *c)
{
    return (ecc_bit_size(c) + 7) / 8;
}

/* The public point of s->scalar as RFC 8446 4.2.8.2 UncompressedPointRepresentation. */
static void nist_public(mt_kex_share *s, const struct ecc_curve *c)
{
    struct ecc_point pub;
    ecc_point_init(&pub, c);
    ecc_point_mul_g(&pub, &s->scalar);
    size_t cl = coord_len(c);
    size_t nl = (size_t)ecc_size(c);
    s->pub[0] = 0x04;
    limbs_to_be(pub.p, nl, s->pub + 1, cl);
    limbs_to_be(pub.p + nl, nl, s->pub + 1 + cl, cl);
    s->pub_len = 1 + 2 * cl;
    ecc_point_clear(&pub);
}

int mt_kex_generate(mt_kex_share *s, uint16_t group)
{
    memset(s, 0, sizeof(*s));
    s->group = group;
    if (group == MT_GROUP_X25519 || group == MT_GROUP_X448) {
        uint8_t priv[CURVE448_SIZE];
        size_t n = group == MT_GROUP_X25519 ? CURVE25519_SIZE : CURVE448_SIZE;
        GUARD(mt_rng_bytes(priv, n));
        int rc = mt_kex_set_private(s, group, priv, n);
        mt_wipe(priv, sizeof(priv));
        return rc;
    }
    const struct ecc_curve *c = nist_curve(group);
    ENSURE(c != NULL, INVALID_ARG);
    ecc_scalar_init(&s->scalar, c);
    s->has_scalar = 1;
    ecc_scalar_random(&s->scalar, NULL, mt_rng_nettle);
    nist_public(s, c);
    return 0;
}

int mt_kex_set_private(mt_kex_share *s, uint16_t group, const uint8_t *priv, size_t len)
{
    memset(s, 0, sizeof(*s));
    s->group = group;
    if (group == MT_GROUP_X25519 || group == MT_GROUP_X448) {
        size_t n = group == MT_GROUP_X25519 ? CURVE25519_SIZE : CURVE448_SIZE;
        ENSURE(len == n, INVALID_ARG);
        memcpy(s->raw, priv, n);
        if (group == MT_GROUP_X25519) {
            curve25519_mul_g(s->pub, s->raw);
        } else {
            curve448_mul_g(s->pub, s->raw);
        }
        s->pub_len = n;
        return 0;
    }
    const struct ecc_curve *c = nist_curve(group);
    ENSURE(c != NULL, INVALID_ARG);
    ecc_scalar_init(&s->scalar, c);
    s->has_scalar = 1;
    mpz_t z;
    mpz_init(z);
    mpz_import(z, len, 1, 1, 0, 0, priv);
    int ok = ecc_scalar_set(&s->scalar, z);
    mpz_clear(z);
    ENSURE(ok, INVALID_ARG);
    nist_public(s, c);
    return 0;
}

MT_WUR static int derive_x(const mt_kex_share *s, const uint8_t *peer, size_t peer_len,
                           uint8_t *out, size_t *out_len)
{
    size_t n = s->group == MT_GROUP_X25519 ? CURVE25519_SIZE : CURVE448_SIZE;
    ENSURE(peer_len == n, ILLEGAL_PARAMETER);
    if (s->group == MT_GROUP_X25519) {
        curve25519_mul(out, s->raw, peer);
    } else {
        curve448_mul(out, s->raw, peer);
    }
    /* RFC 7748 6.1 / RFC 8446 7.4.2: a low-order peer value gives all zeros; refuse it. */
    if (mt_ct_is_zero(out, n)) {
        mt_wipe(out, n);
        return -MT_E_ILLEGAL_PARAMETER;
    }
    *out_len = n;
    return 0;
}

MT_WUR static int derive_nist(const mt_kex_share *s, const uint8_t *peer, size_t peer_len,
                              uint8_t *out, size_t *out_len)
{
    const struct ecc_curve *c = nist_curve(s->group);
    size_t cl = coord_len(c);
    /* RFC 8422 5.4.1 / RFC 8446 4.2.8.2: only the uncompressed form is accepted. */
    ENSURE(peer_len == 1 + 2 * cl && peer[0] == 0x04, ILLEGAL_PARAMETER);
    mpz_t x, y;
    mpz_init(x);
    mpz_init(y);
    /* the peer's point is public: GMP may see it */
    mpz_import(x, cl, 1, 1, 0, 0, peer + 1);
    mpz_import(y, cl, 1, 1, 0, 0, peer + 1 + cl);
    struct ecc_point p, r;
    ecc_point_init(&p, c);
    /* ecc_point_set refuses coordinates >= p and points off the curve */
    int ok = ecc_point_set(&p, x, y);
    mpz_clear(x);
    mpz_clear(y);
    if (!ok) {
        ecc_point_clear(&p);
        return -MT_E_ILLEGAL_PARAMETER;
    }
    ecc_point_init(&r, c);
    ecc_point_mul(&r, &s->scalar, &p);
    size_t nl = (size_t)ecc_size(c);
    limbs_to_be(r.p, nl, out, cl);
    mt_wipe(r.p, 2 * nl * sizeof(mp_limb_t));
    ecc_point_clear(&r);
    ecc_point_clear(&p);
    *out_len = cl;
    return 0;
}

int mt_kex_derive(const mt_kex_share *s, const uint8_t *peer, size_t peer_len, uint8_t *out,
                  size_t *out_len)
{
    *out_len = 0;
    if (s->group == MT_GROUP_X25519 || s->group == MT_GROUP_X448) {
        ENSURE(s->pub_len > 0, INVALID_ARG);
        return derive_x(s, peer, peer_len, out, out_len);
    }
    ENSURE(s->has_scalar, INVALID_ARG);
    return derive_nist(s, peer, peer_len, out, out_len);
}

void mt_kex_wipe(mt_kex_share *s)
{
    if (s->has_scalar) {
        mt_wipe(s->scalar.p, (size_t)ecc_size(s->scalar.ecc) * sizeof(mp_limb_t));
        ecc_scalar_clear(&s->scalar);
    }
    mt_wipe(s, sizeof(*s));
}
