/*
 * kex_dh.c -- finite-field Diffie-Hellman on GMP (RFC 7919 groups, TLS 1.2 custom groups).
 *
 * IMPLEMENTATION NOTES
 * - Secrets: the private exponent x and the shared value Z live in mpz variables only for
 *   mpz_powm_sec; both are wiped limb by limb (mpz_limbs_modify + mt_wipe) before clearing.
 *   The random bytes x is made from are wiped where they are made.
 * - Public data (p, g, peer values) goes through ordinary, variable-time GMP calls.
 * - The group moduli below are RFC 7919 Appendix A, checked once against OpenSSL 3.0's
 *   built-in ffdhe groups; the tests check they are safe primes.
 */
#include "kex_dh.h"

#include <nettle/bignum.h>
#include <string.h>

#include "ct.h"
#include "err.h"
#include "rng.h"

/* RFC 7919 Appendix A: p of each group, big-endian hex. */
static const char ffdhe2048_p[] = "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695"
                                  "a9e13641146433fbcc939dce249b3ef9"
                                  "7d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0"
                                  "856365553ded1af3b557135e7f57c935"
                                  "984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797a"
                                  "bc0ab182b324fb61d108a94bb2c8e3fb"
                                  "b96adab760d7f4681d4f42a3de394df4ae56ede76372bb190b07a7c8ee0a6d70"
                                  "9e02fce1cdf7e2ecc03404cd28342f61"
                                  "9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005"
                                  "c58ef1837d1683b2c6f34a26c1b2effa"
                                  "886b423861285c97ffffffffffffffff";

static const char ffdhe3072_p[] = "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695"
                                  "a9e13641146433fbcc939dce249b3ef9"
                                  "7d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0"
                                  "856365553ded1af3b557135e7f57c935"
                                  "984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797a"
                                  "bc0ab182b324fb61d108a94bb2c8e3fb"
                                  "b96adab760d7f4681d4f42a3de394df4ae56ede76372bb190b07a7c8ee0a6d70"
                                  "9e02fce1cdf7e2ecc03404cd28342f61"
                                  "9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005"
                                  "c58ef1837d1683b2c6f34a26c1b2effa"
                                  "886b4238611fcfdcde355b3b6519035bbc34f4def99c023861b46fc9d6e6c907"
                                  "7ad91d2691f7f7ee598cb0fac186d91c"
                                  "aefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff"
                                  "5cae82ab9c9df69ee86d2bc522363a0d"
                                  "abc521979b0deada1dbf9a42d5c4484e0abcd06bfa53ddef3c1b20ee3fd59d7c"
                                  "25e41d2b66c62e37ffffffffffffffff";

static const char ffdhe4096_p[] =
    "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fbcc939dce249b3e"
    "f9"
    "7d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c9"
    "35"
    "984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797abc0ab182b324fb61d108a94bb2c8e3"
    "fb"
    "b96adab760d7f4681d4f42a3de394df4ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f"
    "61"
    "9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2ef"
    "fa"
    "886b4238611fcfdcde355b3b6519035bbc34f4def99c023861b46fc9d6e6c9077ad91d2691f7f7ee598cb0fac186d9"
    "1c"
    "aefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff5cae82ab9c9df69ee86d2bc522363a"
    "0d"
    "abc521979b0deada1dbf9a42d5c4484e0abcd06bfa53ddef3c1b20ee3fd59d7c25e41d2b669e1ef16e6f52c3164df4"
    "fb"
    "7930e9e4e58857b6ac7d5f42d69f6d187763cf1d5503400487f55ba57e31cc7a7135c886efb4318aed6a1e012d9e68"
    "32"
    "a907600a918130c46dc778f971ad0038092999a333cb8b7a1a1db93d7140003c2a4ecea9f98d0acc0a8291cdcec97d"
    "cf"
    "8ec9b55a7f88a46b4db5a851f44182e1c68a007e5e655f6affffffffffffffff";

static const char ffdhe6144_p[] = "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695"
                                  "a9e13641146433fbcc939dce249b3ef9"
                                  "7d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0"
                                  "856365553ded1af3b557135e7f57c935"
                                  "984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797a"
                                  "bc0ab182b324fb61d108a94bb2c8e3fb"
                                  "b96adab760d7f4681d4f42a3de394df4ae56ede76372bb190b07a7c8ee0a6d70"
                                  "9e02fce1cdf7e2ecc03404cd28342f61"
                                  "9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005"
                                  "c58ef1837d1683b2c6f34a26c1b2effa"
                                  "886b4238611fcfdcde355b3b6519035bbc34f4def99c023861b46fc9d6e6c907"
                                  "7ad91d2691f7f7ee598cb0fac186d91c"
                                  "aefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff"
                                  "5cae82ab9c9df69ee86d2bc522363a0d"
                                  "abc521979b0deada1dbf9a42d5c4484e0abcd06bfa53ddef3c1b20ee3fd59d7c"
                                  "25e41d2b669e1ef16e6f52c3164df4fb"
                                  "7930e9e4e58857b6ac7d5f42d69f6d187763cf1d5503400487f55ba57e31cc7a"
                                  "7135c886efb4318aed6a1e012d9e6832"
                                  "a907600a918130c46dc778f971ad0038092999a333cb8b7a1a1db93d7140003c"
                                  "2a4ecea9f98d0acc0a8291cdcec97dcf"
                                  "8ec9b55a7f88a46b4db5a851f44182e1c68a007e5e0dd9020bfd64b645036c7a"
                                  "4e677d2c38532a3a23ba4442caf53ea6"
                                  "3bb454329b7624c8917bdd64b1c0fd4cb38e8c334c701c3acdad0657fccfec71"
                                  "9b1f5c3e4e46041f388147fb4cfdb477"
                                  "a52471f7a9a96910b855322edb6340d8a00ef092350511e30abec1fff9e3a26e"
                                  "7fb29f8c183023c3587e38da0077d9b4"
                                  "763e4e4b94b2bbc194c6651e77caf992eeaac0232a281bf6b3a739c122611682"
                                  "0ae8db5847a67cbef9c9091b462d538c"
                                  "d72b03746ae77f5e62292c311562a846505dc82db854338ae49f5235c95b9117"
                                  "8ccf2dd5cacef403ec9d1810c6272b04"
                                  "5b3b71f9dc6b80d63fdd4a8e9adb1e6962a69526d43161c1a41d570d7938dad4"
                                  "a40e329cd0e40e65ffffffffffffffff";

static const char ffdhe8192_p[] = "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695"
                                  "a9e13641146433fbcc939dce249b3ef9"
                                  "7d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0"
                                  "856365553ded1af3b557135e7f57c935"
                                  "984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797a"
                                  "bc0ab182b324fb61d108a94bb2c8e3fb"
                                  "b96adab760d7f4681d4f42a3de394df4ae56ede76372bb190b07a7c8ee0a6d70"
                                  "9e02fce1cdf7e2ecc03404cd28342f61"
                                  "9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005"
                                  "c58ef1837d1683b2c6f34a26c1b2effa"
                                  "886b4238611fcfdcde355b3b6519035bbc34f4def99c023861b46fc9d6e6c907"
                                  "7ad91d2691f7f7ee598cb0fac186d91c"
                                  "aefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff"
                                  "5cae82ab9c9df69ee86d2bc522363a0d"
                                  "abc521979b0deada1dbf9a42d5c4484e0abcd06bfa53ddef3c1b20ee3fd59d7c"
                                  "25e41d2b669e1ef16e6f52c3164df4fb"
                                  "7930e9e4e58857b6ac7d5f42d69f6d187763cf1d5503400487f55ba57e31cc7a"
                                  "7135c886efb4318aed6a1e012d9e6832"
                                  "a907600a918130c46dc778f971ad0038092999a333cb8b7a1a1db93d7140003c"
                                  "2a4ecea9f98d0acc0a8291cdcec97dcf"
                                  "8ec9b55a7f88a46b4db5a851f44182e1c68a007e5e0dd9020bfd64b645036c7a"
                                  "4e677d2c38532a3a23ba4442caf53ea6"
                                  "3bb454329b7624c8917bdd64b1c0fd4cb38e8c334c701c3acdad0657fccfec71"
                                  "9b1f5c3e4e46041f388147fb4cfdb477"
                                  "a52471f7a9a96910b855322edb6340d8a00ef092350511e30abec1fff9e3a26e"
                                  "7fb29f8c183023c3587e38da0077d9b4"
                                  "763e4e4b94b2bbc194c6651e77caf992eeaac0232a281bf6b3a739c122611682"
                                  "0ae8db5847a67cbef9c9091b462d538c"
                                  "d72b03746ae77f5e62292c311562a846505dc82db854338ae49f5235c95b9117"
                                  "8ccf2dd5cacef403ec9d1810c6272b04"
                                  "5b3b71f9dc6b80d63fdd4a8e9adb1e6962a69526d43161c1a41d570d7938dad4"
                                  "a40e329ccff46aaa36ad004cf600c838"
                                  "1e425a31d951ae64fdb23fcec9509d43687feb69edd1cc5e0b8cc3bdf64b10ef"
                                  "86b63142a3ab8829555b2f747c932665"
                                  "cb2c0f1cc01bd70229388839d2af05e454504ac78b7582822846c0ba35c35f5c"
                                  "59160cc046fd8251541fc68c9c86b022"
                                  "bb7099876a460e7451a8a93109703fee1c217e6c3826e52c51aa691e0e423cfc"
                                  "99e9e31650c1217b624816cdad9a95f9"
                                  "d5b8019488d9c0a0a1fe3075a577e23183f81d4a3f2fa4571efc8ce0ba8a4fe8"
                                  "b6855dfe72b0a66eded2fbabfbe58a30"
                                  "fafabe1c5d71a87e2f741ef8c1fe86fea6bbfde530677f0d97d11d49f7a8443d"
                                  "0822e506a9f4614e011e2a94838ff88c"
                                  "d68c8bb7c5c6424cffffffffffffffff";

typedef struct {
    uint16_t id;
    const char *name;
    const char *p_hex;
    unsigned bits;
    unsigned exp_bits; /* RFC 7919 Appendix A: "a secret key of at least N bits" */
} group_row;

static const group_row groups[] = {
    {MT_GROUP_FFDHE2048, "ffdhe2048", ffdhe2048_p, 2048, 225},
    {MT_GROUP_FFDHE3072, "ffdhe3072", ffdhe3072_p, 3072, 275},
    {MT_GROUP_FFDHE4096, "ffdhe4096", ffdhe4096_p, 4096, 325},
    {MT_GROUP_FFDHE6144, "ffdhe6144", ffdhe6144_p, 6144, 375},
    {MT_GROUP_FFDHE8192, "ffdhe8192", ffdhe8192_p, 8192, 400},
};

#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

/* mpz_probab_prime_p rounds: GMP 6.2 runs BPSW, then reps - 24 Miller-Rabin rounds. */
#define PRIME_REPS 25

static const group_row *group_by_id(uint16_t id)
{
    for (size_t i = 0; i < NGROUPS; i++) {
        if (groups[i].id == id) {
            return &groups[i];
        }
    }
    return NULL;
}

/* The named group with modulus p and generator g, or NULL. */
static const group_row *group_by_params(const mpz_t p, const mpz_t g)
{
    const group_row *found = NULL;
    if (mpz_cmp_ui(g, 2) != 0) {
        return NULL;
    }
    mpz_t q;
    mpz_init(q);
    for (size_t i = 0; i < NGROUPS && !found; i++) {
        if (mpz_sizeinbase(p, 2) == groups[i].bits) {
            mpz_set_str(q, groups[i].p_hex, 16);
            found = mpz_cmp(p, q) == 0 ? &groups[i] : NULL;
        }
    }
    mpz_clear(q);
    return found;
}

int mt_dh_supported(uint16_t group)
{
    return group_by_id(group) != NULL;
}

const char *mt_dh_group_name(uint16_t group)
{
    const group_row *r = group_by_id(group);
    return r ? r->name : NULL;
}

unsigned mt_dh_exponent_bits(uint16_t group)
{
    const group_row *r = group_by_id(group);
    return r ? r->exp_bits : 0;
}

int mt_dh_group_prime(uint16_t group, uint8_t *out, size_t *len)
{
    const group_row *r = group_by_id(group);
    ENSURE(r != NULL && out && len, INVALID_ARG);
    mpz_t p;
    mpz_init_set_str(p, r->p_hex, 16);
    *len = r->bits / 8;
    nettle_mpz_get_str_256(*len, out, p);
    mpz_clear(p);
    return 0;
}

/* Overwrite the limbs of x (secret) and set it to zero; x stays usable. */
static void mpz_wipe(mpz_t x)
{
    size_t n = mpz_size(x);
    if (n > 0) {
        mp_limb_t *l = mpz_limbs_modify(x, (mp_size_t)n);
        mt_wipe(l, n * sizeof(*l));
        mpz_limbs_finish(x, 0);
    }
}

static void key_init(mt_dh_key *k)
{
    memset(k, 0, sizeof(*k));
    mpz_init(k->p);
    mpz_init(k->g);
    mpz_init(k->x);
    k->live = 1;
}

/* Exponent size for a server-chosen p: the row of the same or next smaller named group. */
static unsigned custom_exp_bits(size_t pbits)
{
    unsigned m = groups[0].exp_bits;
    for (size_t i = 0; i < NGROUPS; i++) {
        if (pbits >= groups[i].bits) {
            m = groups[i].exp_bits;
        }
    }
    return m;
}

/* Y = g^x mod p into k->pub, left-padded to p_len bytes; marks the key ready. */
static void compute_public(mt_dh_key *k)
{
    mpz_t y;
    mpz_init(y);
    mpz_powm_sec(y, k->g, k->x, k->p);
    k->pub_len = k->p_len;
    nettle_mpz_get_str_256(k->pub_len, k->pub, y);
    mpz_clear(y);
    k->ready = 1;
}

/* x = a random `bits`-bit number with its top bit set (RFC 7919 5.2), then the public value. */
static MT_WUR int random_exponent(mt_dh_key *k, unsigned bits)
{
    uint8_t buf[64];
    size_t n = (bits + 7) / 8;
    ENSURE(n <= sizeof(buf), INTERNAL);
    GUARD(mt_rng_bytes(buf, n));
    unsigned top = (bits - 1) % 8; /* position of the top bit in buf[0] */
    buf[0] = (uint8_t)((buf[0] & ((1u << top) - 1)) | (1u << top));
    mpz_import(k->x, n, 1, 1, 0, 0, buf);
    mt_wipe(buf, sizeof(buf));
    compute_public(k);
    return 0;
}

int mt_dh_generate(mt_dh_key *k, uint16_t group)
{
    key_init(k);
    const group_row *r = group_by_id(group);
    ENSURE(r != NULL, INVALID_ARG);
    k->group = group;
    mpz_set_str(k->p, r->p_hex, 16);
    mpz_set_ui(k->g, 2);
    k->p_len = r->bits / 8;
    return random_exponent(k, r->exp_bits);
}

int mt_dh_generate_custom(mt_dh_key *k, const uint8_t *p, size_t p_len, const uint8_t *g,
                          size_t g_len)
{
    key_init(k);
    ENSURE(p && g, INVALID_ARG);
    nettle_mpz_set_str_256_u(k->p, p_len, p);
    nettle_mpz_set_str_256_u(k->g, g_len, g);
    k->p_len = nettle_mpz_sizeinbase_256_u(k->p);
    ENSURE(mpz_odd_p(k->p) && k->p_len <= MT_DH_MAX_BYTES && mpz_sizeinbase(k->p, 2) > 512,
           INVALID_ARG);
    mpz_t pm1;
    mpz_init(pm1);
    mpz_sub_ui(pm1, k->p, 1);
    int g_ok = mpz_cmp_ui(k->g, 1) > 0 && mpz_cmp(k->g, pm1) < 0;
    mpz_clear(pm1);
    ENSURE(g_ok, INVALID_ARG);
    const group_row *r = group_by_params(k->p, k->g);
    k->group = r ? r->id : 0;
    return random_exponent(k, r ? r->exp_bits : custom_exp_bits(mpz_sizeinbase(k->p, 2)));
}

int mt_dh_set_private(mt_dh_key *k, uint16_t group, const uint8_t *x, size_t len)
{
    key_init(k);
    const group_row *r = group_by_id(group);
    ENSURE(r != NULL && x && len > 0 && len <= MT_DH_MAX_BYTES, INVALID_ARG);
    k->group = group;
    mpz_set_str(k->p, r->p_hex, 16);
    mpz_set_ui(k->g, 2);
    k->p_len = r->bits / 8;
    nettle_mpz_set_str_256_u(k->x, len, x);
    mpz_t pm1;
    mpz_init(pm1);
    mpz_sub_ui(pm1, k->p, 1);
    int ok = mpz_cmp_ui(k->x, 1) > 0 && mpz_cmp(k->x, pm1) < 0;
    mpz_clear(pm1);
    ENSURE(ok, INVALID_ARG);
    compute_public(k);
    return 0;
}

/* 1 if 1 < y < p-1 (RFC 7919 5.1), else 0. */
static int in_range(const mpz_t y, const mpz_t p)
{
    mpz_t pm1;
    mpz_init(pm1);
    mpz_sub_ui(pm1, p, 1);
    int ok = mpz_cmp_ui(y, 1) > 0 && mpz_cmp(y, pm1) < 0;
    mpz_clear(pm1);
    return ok;
}

/* Read a peer value into y (initialised) and check it; see mt_dh_check_public. */
static MT_WUR int peer_value(const mt_dh_key *k, const uint8_t *v, size_t len, int exact_len,
                             mpz_t y)
{
    ENSURE(k->ready, INVALID_ARG);
    /* RFC 8446 4.2.8.1: a TLS 1.3 share is Y left-padded to the size of p. */
    ENSURE(v && len > 0 && len <= k->p_len && (!exact_len || len == k->p_len), ILLEGAL_PARAMETER);
    nettle_mpz_set_str_256_u(y, len, v);
    /* RFC 7919 5.1 / RFC 8446 4.2.8.1: 1 < Y < p-1 keeps out the subgroup {1, p-1} and 0. */
    ENSURE(in_range(y, k->p), ILLEGAL_PARAMETER);
    return 0;
}

int mt_dh_check_public(const mt_dh_key *k, const uint8_t *y, size_t len, int exact_len)
{
    ENSURE(k, INVALID_ARG);
    mpz_t v;
    mpz_init(v);
    int rc = peer_value(k, y, len, exact_len, v);
    mpz_clear(v);
    return rc;
}

int mt_dh_derive(const mt_dh_key *k, const uint8_t *peer, size_t peer_len, mt_dh_form form,
                 uint8_t *out, size_t *out_len)
{
    ENSURE(k && out && out_len, INVALID_ARG);
    *out_len = 0;
    ENSURE(form == MT_DH_PADDED || form == MT_DH_STRIPPED, INVALID_ARG);
    mpz_t y, z;
    mpz_init(y);
    int rc = peer_value(k, peer, peer_len, form == MT_DH_PADDED, y);
    if (rc < 0) {
        mpz_clear(y);
        return rc;
    }
    mpz_init(z);
    mpz_powm_sec(z, y, k->x, k->p);
    /* RFC 5246 8.1.2 strips leading zero bytes of Z; RFC 8446 7.4.1 keeps p's size. */
    size_t n = form == MT_DH_PADDED ? k->p_len : nettle_mpz_sizeinbase_256_u(z);
    nettle_mpz_get_str_256(n, out, z);
    *out_len = n;
    mpz_wipe(z);
    mpz_clear(z);
    mpz_clear(y);
    return 0;
}

void mt_dh_wipe(mt_dh_key *k)
{
    if (!k) {
        return;
    }
    if (k->live) {
        mpz_wipe(k->x);
        mpz_clear(k->x);
        mpz_clear(k->g);
        mpz_clear(k->p);
    }
    mt_wipe(k, sizeof(*k));
}

int mt_dh_params_read(mt_rd *r, mt_dh_params *out)
{
    mt_rd v;
    GUARD(mt_rd_vec(r, 2, 1, 0xffff, &v));
    out->p_len = mt_rd_left(&v);
    GUARD(mt_rd_borrow(&v, out->p_len, &out->p));
    GUARD(mt_rd_vec(r, 2, 1, 0xffff, &v));
    out->g_len = mt_rd_left(&v);
    GUARD(mt_rd_borrow(&v, out->g_len, &out->g));
    GUARD(mt_rd_vec(r, 2, 1, 0xffff, &v));
    out->ys_len = mt_rd_left(&v);
    return mt_rd_borrow(&v, out->ys_len, &out->ys);
}

/* Append mpz x (public) as a minimal opaque<1..2^16-1>. */
static MT_WUR int w_mpz16(mt_wr *w, const mpz_t x)
{
    uint8_t *p;
    size_t n = nettle_mpz_sizeinbase_256_u(x);
    GUARD(mt_wr_open(w, 2));
    GUARD(mt_wr_reserve(w, n, &p));
    nettle_mpz_get_str_256(n, p, x);
    return mt_wr_close(w);
}

int mt_dh_params_write(const mt_dh_key *k, mt_wr *w)
{
    ENSURE(k && k->ready && w, INVALID_ARG);
    GUARD(w_mpz16(w, k->p));
    GUARD(w_mpz16(w, k->g));
    GUARD(mt_wr_open(w, 2));
    GUARD(mt_wr_bytes(w, k->pub, k->pub_len));
    return mt_wr_close(w);
}

/* The checks of mt_dh_check_params on p, g, ys already read into mpz form. */
static MT_WUR int check_values(const mpz_t p, const mpz_t g, const mpz_t ys,
                               const mt_dh_policy *pol, uint16_t *named)
{
    unsigned min_bits = pol && pol->min_bits ? pol->min_bits : MT_DH_MIN_BITS_DEFAULT;
    size_t bits = mpz_sizeinbase(p, 2);
    ENSURE(bits <= 8 * MT_DH_MAX_BYTES, ILLEGAL_PARAMETER);
    /* RFC 7919 1 (Logjam): refuse groups too small to be safe, as insufficient_security. */
    ENSURE(bits >= min_bits, INSUFFICIENT_SECURITY);
    /* an even p is never prime and mpz_powm_sec requires an odd modulus */
    ENSURE(mpz_odd_p(p), ILLEGAL_PARAMETER);
    ENSURE(in_range(g, p), ILLEGAL_PARAMETER);
    /* RFC 7919 5.1: 1 < Ys < p-1 */
    ENSURE(in_range(ys, p), ILLEGAL_PARAMETER);
    const group_row *r = group_by_params(p, g);
    if (named) {
        *named = r ? r->id : 0;
    }
    /* RFC 7919 5.1: an unknown group needs more than the range check; primality of p is the
     * part that is affordable per handshake (p is public, so variable time is fine). */
    if (!r && pol && pol->check_prime) {
        ENSURE(mpz_probab_prime_p(p, PRIME_REPS) != 0, ILLEGAL_PARAMETER);
    }
    return 0;
}

int mt_dh_check_params(const mt_dh_params *prm, const mt_dh_policy *pol, uint16_t *named)
{
    if (named) {
        *named = 0;
    }
    ENSURE(prm && prm->p && prm->g && prm->ys, INVALID_ARG);
    ENSURE(prm->p_len <= 0xffff && prm->g_len <= 0xffff && prm->ys_len <= 0xffff,
           ILLEGAL_PARAMETER);
    mpz_t p, g, ys;
    mpz_init(p);
    mpz_init(g);
    mpz_init(ys);
    nettle_mpz_set_str_256_u(p, prm->p_len, prm->p);
    nettle_mpz_set_str_256_u(g, prm->g_len, prm->g);
    nettle_mpz_set_str_256_u(ys, prm->ys_len, prm->ys);
    int rc = check_values(p, g, ys, pol, named);
    mpz_clear(p);
    mpz_clear(g);
    mpz_clear(ys);
    return rc;
}
