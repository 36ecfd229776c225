/* Unit tests for kex_dh.c: the RFC 7919 groups, agreement, secret forms, peer checks,
 * server-chosen group validation and a known answer computed by OpenSSL. */
#include <stdlib.h>
#include <time.h>

#include <gmp.h>

#include "../buf.h"
#include "../err.h"
#include "../kex_dh.h"
#include "dh_vectors.h"
#include "t.h"

static const uint16_t all_groups[] = {MT_GROUP_FFDHE2048, MT_GROUP_FFDHE3072, MT_GROUP_FFDHE4096,
                                      MT_GROUP_FFDHE6144, MT_GROUP_FFDHE8192};
#define NG (sizeof(all_groups) / sizeof(all_groups[0]))

/* Hex to bytes; returns the length. */
static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n && i < cap; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* Big-endian bytes of x, exactly len long. */
static void to_bytes(const mpz_t x, uint8_t *out, size_t len)
{
    memset(out, 0, len);
    size_t n = (mpz_sizeinbase(x, 2) + 7) / 8;
    if (mpz_sgn(x) != 0 && n <= len) {
        mpz_export(out + len - n, NULL, 1, 1, 0, 0, x);
    }
}

static void group_table(void)
{
    static const char *names[] = {"ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192"};
    static const unsigned exps[] = {225, 275, 325, 375, 400};
    for (size_t i = 0; i < NG; i++) {
        CHECK(mt_dh_supported(all_groups[i]));
        CHECK(strcmp(mt_dh_group_name(all_groups[i]), names[i]) == 0);
        CHECK_EQ(mt_dh_exponent_bits(all_groups[i]), exps[i]);
    }
    CHECK(!mt_dh_supported(29) && !mt_dh_supported(255) && !mt_dh_supported(261));
    CHECK(mt_dh_group_name(261) == NULL);
    uint8_t p[MT_DH_MAX_BYTES];
    size_t n;
    CHECK_EQ(mt_dh_group_prime(23, p, &n), -MT_E_INVALID_ARG);
}

/* The transcribed moduli are what RFC 7919 says they are: 64 one bits at both ends and safe
 * primes (p and (p-1)/2 pass GMP's primality test). */
static void moduli_are_safe_primes(void)
{
    for (size_t i = 0; i < NG; i++) {
        uint8_t p[MT_DH_MAX_BYTES];
        size_t n = 0;
        CHECK_EQ(mt_dh_group_prime(all_groups[i], p, &n), 0);
        CHECK_EQ(n, 256 + 128 * (i == 1) + 256 * (i >= 2) + 256 * (i >= 3) + 256 * (i >= 4));
        static const uint8_t ones[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        CHECK(memcmp(p, ones, 8) == 0 && memcmp(p + n - 8, ones, 8) == 0);
        mpz_t x;
        mpz_init(x);
        mpz_import(x, n, 1, 1, 0, 0, p);
        CHECK(mpz_probab_prime_p(x, 2) != 0);
        mpz_sub_ui(x, x, 1);
        mpz_tdiv_q_2exp(x, x, 1);
        CHECK(mpz_probab_prime_p(x, 2) != 0);
        mpz_clear(x);
    }
}

static void both_sides_agree_every_group(void)
{
    for (size_t i = 0; i < NG; i++) {
        mt_dh_key a, b;
        static uint8_t za[MT_DH_MAX_BYTES], zb[MT_DH_MAX_BYTES], s[MT_DH_MAX_BYTES];
        size_t na = 0, nb = 0, ns = 0;
        CHECK_EQ(mt_dh_generate(&a, all_groups[i]), 0);
        CHECK_EQ(mt_dh_generate(&b, all_groups[i]), 0);
        CHECK_EQ(a.pub_len, a.p_len);
        CHECK_EQ(a.group, all_groups[i]);
        /* RFC 7919 5.2: an m-bit exponent, top bit set */
        CHECK_EQ(mpz_sizeinbase(a.x, 2), mt_dh_exponent_bits(all_groups[i]));
        CHECK(memcmp(a.pub, b.pub, a.pub_len) != 0);
        CHECK_EQ(mt_dh_derive(&a, b.pub, b.pub_len, MT_DH_PADDED, za, &na), 0);
        CHECK_EQ(mt_dh_derive(&b, a.pub, a.pub_len, MT_DH_PADDED, zb, &nb), 0);
        CHECK_EQ(na, a.p_len);
        CHECK(na == nb && memcmp(za, zb, na) == 0);
        CHECK_EQ(mt_dh_derive(&a, b.pub, b.pub_len, MT_DH_STRIPPED, s, &ns), 0);
        CHECK(ns <= na && ns > 0 && s[0] != 0 && memcmp(s, za + (na - ns), ns) == 0);
        mt_dh_wipe(&a);
        mt_dh_wipe(&b);
    }
}

/* g = 2 is a valid peer value and 2^x is our own public value: checks both forms and the peer
 * encodings each accepts. */
static void forms_with_peer_two(void)
{
    mt_dh_key k;
    uint8_t two[MT_DH_MAX_BYTES], z[MT_DH_MAX_BYTES];
    size_t n;
    CHECK_EQ(mt_dh_generate(&k, MT_GROUP_FFDHE3072), 0);
    memset(two, 0, k.p_len);
    two[k.p_len - 1] = 2;
    CHECK_EQ(mt_dh_derive(&k, two, k.p_len, MT_DH_PADDED, z, &n), 0);
    CHECK(n == k.p_len && memcmp(z, k.pub, n) == 0);
    /* TLS 1.2 form: a short (stripped) peer value is fine, and the padded one too */
    CHECK_EQ(mt_dh_derive(&k, two + k.p_len - 1, 1, MT_DH_STRIPPED, z, &n), 0);
    size_t lead = 0;
    while (k.pub[lead] == 0) {
        lead++;
    }
    CHECK(n == k.p_len - lead && memcmp(z, k.pub + lead, n) == 0);
    CHECK_EQ(mt_dh_derive(&k, two, k.p_len, MT_DH_STRIPPED, z, &n), 0);
    CHECK_EQ(n, k.p_len - lead);
    /* TLS 1.3 form: the share must be exactly the size of p */
    CHECK_EQ(mt_dh_derive(&k, two + k.p_len - 1, 1, MT_DH_PADDED, z, &n), -MT_E_ILLEGAL_PARAMETER);
    CHECK_EQ(n, 0);
    CHECK_EQ(mt_dh_derive(&k, two, k.p_len, (mt_dh_form)7, z, &n), -MT_E_INVALID_ARG);
    mt_dh_wipe(&k);
}

/* A secret with a leading zero byte: padded keeps it, stripped drops it (RFC 8446 7.4.1 vs
 * RFC 5246 8.1.2). About one in 256 exchanges has one; search up to 5000. */
static void leading_zero_secret(void)
{
    mt_dh_key a, b;
    uint8_t zp[MT_DH_MAX_BYTES], zs[MT_DH_MAX_BYTES];
    size_t np = 0, ns = 0;
    int found = 0;
    CHECK_EQ(mt_dh_generate(&a, MT_GROUP_FFDHE2048), 0);
    for (int i = 0; i < 5000 && !found; i++) {
        CHECK_EQ(mt_dh_generate(&b, MT_GROUP_FFDHE2048), 0);
        CHECK_EQ(mt_dh_derive(&a, b.pub, b.pub_len, MT_DH_PADDED, zp, &np), 0);
        if (zp[0] == 0) {
            found = 1;
            CHECK_EQ(mt_dh_derive(&a, b.pub, b.pub_len, MT_DH_STRIPPED, zs, &ns), 0);
            CHECK(ns < np && zs[0] != 0 && memcmp(zs, zp + (np - ns), ns) == 0);
            CHECK_EQ(np, 256);
        }
        mt_dh_wipe(&b);
    }
    CHECK(found);
    mt_dh_wipe(&a);
}

static void known_answer_openssl(void)
{
    static uint8_t x[64], ya[256], yb[256], z[256], out[MT_DH_MAX_BYTES];
    size_t xn = unhex(kat2048_xa, x, sizeof(x));
    CHECK_EQ(unhex(kat2048_ya, ya, sizeof(ya)), 256);
    CHECK_EQ(unhex(kat2048_yb, yb, sizeof(yb)), 256);
    CHECK_EQ(unhex(kat2048_z, z, sizeof(z)), 256);
    mt_dh_key k;
    size_t n = 0;
    CHECK_EQ(mt_dh_set_private(&k, MT_GROUP_FFDHE2048, x, xn), 0);
    CHECK(k.pub_len == 256 && memcmp(k.pub, ya, 256) == 0);
    CHECK_EQ(mt_dh_derive(&k, yb, 256, MT_DH_PADDED, out, &n), 0);
    CHECK(n == 256 && memcmp(out, z, 256) == 0);
    mt_dh_wipe(&k);
    /* hand-checked relations: x = 2 gives 4, x = 11 gives 2048 */
    uint8_t e = 2;
    CHECK_EQ(mt_dh_set_private(&k, MT_GROUP_FFDHE4096, &e, 1), 0);
    CHECK(k.pub[k.pub_len - 1] == 4 && k.pub[0] == 0 && k.pub[k.pub_len - 2] == 0);
    mt_dh_wipe(&k);
    e = 11;
    CHECK_EQ(mt_dh_set_private(&k, MT_GROUP_FFDHE4096, &e, 1), 0);
    CHECK(k.pub[k.pub_len - 1] == 0 && k.pub[k.pub_len - 2] == 8 && k.pub[k.pub_len - 3] == 0);
    mt_dh_wipe(&k);
    e = 1; /* outside 1 < x < p-1 */
    CHECK_EQ(mt_dh_set_private(&k, MT_GROUP_FFDHE2048, &e, 1), -MT_E_INVALID_ARG);
    mt_dh_wipe(&k);
    CHECK_EQ(mt_dh_set_private(&k, 23, &e, 1), -MT_E_INVALID_ARG);
    mt_dh_wipe(&k);
}

/* Every class of bad peer value, RFC 7919 5.1 / RFC 8446 4.2.8.1. */
static void invalid_peer_values(void)
{
    for (size_t gi = 0; gi < NG; gi += 4) { /* ffdhe2048 and ffdhe8192 */
        mt_dh_key k;
        CHECK_EQ(mt_dh_generate(&k, all_groups[gi]), 0);
        size_t pl = k.p_len;
        static uint8_t v[MT_DH_MAX_BYTES + 1], z[MT_DH_MAX_BYTES];
        size_t n;
        mpz_t y;
        mpz_init(y);
        /* {value relative to p, expected}: 0, 1, p-1, p, p+1 and 2^bits-1 fail; 2, p-2 pass */
        struct {
            int base_p; /* 1: p + off, 0: off */
            long off;
            int ok;
        } rows[] = {{0, 0, 0}, {0, 1, 0}, {1, -1, 0}, {1, 0, 0},
                    {1, 1, 0}, {0, 2, 1}, {1, -2, 1}, {0, 3, 1}};
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
            if (rows[i].base_p) {
                mpz_set(y, k.p);
            } else {
                mpz_set_ui(y, 0);
            }
            if (rows[i].off < 0) {
                mpz_sub_ui(y, y, (unsigned long)-rows[i].off);
            } else {
                mpz_add_ui(y, y, (unsigned long)rows[i].off);
            }
            to_bytes(y, v, pl);
            int want = rows[i].ok ? 0 : -MT_E_ILLEGAL_PARAMETER;
            CHECK_EQ(mt_dh_check_public(&k, v, pl, 1), want);
            CHECK_EQ(mt_dh_check_public(&k, v, pl, 0), want);
            CHECK_EQ(mt_dh_derive(&k, v, pl, MT_DH_PADDED, z, &n), want);
            CHECK_EQ(mt_dh_derive(&k, v, pl, MT_DH_STRIPPED, z, &n), want);
            if (!rows[i].ok) {
                CHECK_EQ(n, 0);
            }
        }
        memset(v, 0xff, pl);
        CHECK_EQ(mt_dh_check_public(&k, v, pl, 0), -MT_E_ILLEGAL_PARAMETER);
        /* lengths: empty, longer than p (even with a zero lead), short for TLS 1.3 */
        CHECK_EQ(mt_dh_check_public(&k, v, 0, 0), -MT_E_ILLEGAL_PARAMETER);
        CHECK_EQ(mt_dh_check_public(&k, NULL, 0, 0), -MT_E_ILLEGAL_PARAMETER);
        memset(v, 0, pl + 1);
        v[pl] = 5;
        CHECK_EQ(mt_dh_check_public(&k, v, pl + 1, 0), -MT_E_ILLEGAL_PARAMETER);
        CHECK_EQ(mt_dh_check_public(&k, v + 1, pl, 1), 0);
        CHECK_EQ(mt_dh_check_public(&k, v + 2, pl - 1, 1), -MT_E_ILLEGAL_PARAMETER);
        CHECK_EQ(mt_dh_check_public(&k, v + 2, pl - 1, 0), 0);
        mpz_clear(y);
        mt_dh_wipe(&k);
        /* a wiped key refuses everything */
        CHECK_EQ(mt_dh_check_public(&k, v + 1, pl, 1), -MT_E_INVALID_ARG);
        CHECK_EQ(mt_dh_derive(&k, v + 1, pl, MT_DH_PADDED, z, &n), -MT_E_INVALID_ARG);
    }
}

/* ---- server-chosen groups ---- */

/* In a row's g or ys: the value p itself. */
#define REL_P (-0x7fff)

typedef struct {
    const char *name;
    const char *p_hex;   /* NULL: the named group below */
    uint16_t p_group;    /* FFDHE group whose p is used when p_hex is NULL */
    long p_adjust;       /* added to p (to make it even, composite, ...) */
    int p_lead_zero;     /* prepend a 0x00 byte to the encoding of p */
    long g;              /* >= 0: g; < 0: p + g */
    long ys;             /* >= 0: Ys; < 0: p + ys */
    unsigned min_bits;   /* policy */
    int check_prime;     /* policy */
    int want;            /* expected result */
    uint16_t want_named; /* NamedGroup recognised */
} params_row;

static const params_row params_rows[] = {
    {"ffdhe2048", NULL, MT_GROUP_FFDHE2048, 0, 0, 2, 12345, 0, 0, 0, MT_GROUP_FFDHE2048},
    {"ffdhe3072 +prime check", NULL, MT_GROUP_FFDHE3072, 0, 0, 2, -2, 0, 1, 0, MT_GROUP_FFDHE3072},
    {"ffdhe8192", NULL, MT_GROUP_FFDHE8192, 0, 0, 2, 7, 0, 0, 0, MT_GROUP_FFDHE8192},
    {"ffdhe2048 p with a zero lead", NULL, MT_GROUP_FFDHE2048, 0, 1, 2, 9, 0, 0, 0,
     MT_GROUP_FFDHE2048},
    {"ffdhe2048 p, g = 5: custom", NULL, MT_GROUP_FFDHE2048, 0, 0, 5, 9, 0, 1, 0, 0},
    {"custom 2048-bit prime", prime2048, 0, 0, 0, 2, 9, 0, 0, 0, 0},
    {"custom 2048-bit prime +prime check", prime2048, 0, 0, 0, 3, 9, 0, 1, 0, 0},
    {"custom 3072-bit prime +prime check", prime3072, 0, 0, 0, 2, -5, 0, 1, 0, 0},
    {"composite p, no prime check", composite2048, 0, 0, 0, 2, 9, 0, 0, 0, 0},
    {"composite p +prime check", composite2048, 0, 0, 0, 2, 9, 0, 1, -MT_E_ILLEGAL_PARAMETER, 0},
    {"ffdhe2048 p - 2 (composite) +prime check", NULL, MT_GROUP_FFDHE2048, -2, 0, 2, 9, 0, 1,
     -MT_E_ILLEGAL_PARAMETER, 0},
    {"1024-bit prime", prime1024, 0, 0, 0, 2, 9, 0, 0, -MT_E_INSUFFICIENT_SECURITY, 0},
    {"1024-bit prime, floor lowered", prime1024, 0, 0, 0, 2, 9, 1024, 1, 0, 0},
    {"2048-bit prime, floor 3072", prime2048, 0, 0, 0, 2, 9, 3072, 0, -MT_E_INSUFFICIENT_SECURITY,
     0},
    {"even p", NULL, MT_GROUP_FFDHE2048, -1, 0, 2, 9, 0, 0, -MT_E_ILLEGAL_PARAMETER, 0},
    {"g = 0", NULL, MT_GROUP_FFDHE2048, 0, 0, 0, 9, 0, 0, -MT_E_ILLEGAL_PARAMETER, 0},
    {"g = 1", NULL, MT_GROUP_FFDHE2048, 0, 0, 1, 9, 0, 0, -MT_E_ILLEGAL_PARAMETER, 0},
    {"g = p-1", NULL, MT_GROUP_FFDHE2048, 0, 0, -1, 9, 0, 0, -MT_E_ILLEGAL_PARAMETER, 0},
    {"g = p", NULL, MT_GROUP_FFDHE2048, 0, 0, REL_P, 9, 0, 0, -MT_E_ILLEGAL_PARAMETER, 0},
    {"Ys = p", NULL, MT_GROUP_FFDHE2048, 0, 0, 2, REL_P, 0, 0, -MT_E_ILLEGAL_PARAMETER, 0},
    {"g = p-2", NULL, MT_GROUP_FFDHE2048, 0, 0, -2, 9, 0, 0, 0, 0},
    {"Ys = 0", NULL, MT_GROUP_FFDHE2048, 0, 0, 2, 0, 0, 0, -MT_E_ILLEGAL_PARAMETER, 0},
    {"Ys = 1", NULL, MT_GROUP_FFDHE2048, 0, 0, 2, 1, 0, 0, -MT_E_ILLEGAL_PARAMETER, 0},
    {"Ys = p-1", NULL, MT_GROUP_FFDHE2048, 0, 0, 2, -1, 0, 0, -MT_E_ILLEGAL_PARAMETER, 0},
    {"Ys = p-1 custom", prime2048, 0, 0, 0, 2, -1, 0, 0, -MT_E_ILLEGAL_PARAMETER, 0},
    {"Ys = 2", NULL, MT_GROUP_FFDHE2048, 0, 0, 2, 2, 0, 0, 0, MT_GROUP_FFDHE2048},
};

/* Encode x (n bytes, optionally with a zero lead) into buf; returns the length. */
static size_t enc(const mpz_t x, int lead, uint8_t *buf)
{
    size_t n = mpz_sgn(x) == 0 ? 1 : (mpz_sizeinbase(x, 2) + 7) / 8;
    buf[0] = 0;
    to_bytes(x, buf + lead, n);
    return n + (size_t)lead;
}

static void value_rel(mpz_t out, const mpz_t p, long v)
{
    if (v == REL_P) {
        mpz_set(out, p); /* g = p */
    } else if (v >= 0) {
        mpz_set_ui(out, (unsigned long)v);
    } else {
        mpz_sub_ui(out, p, (unsigned long)-v);
    }
}

static void custom_group_table(void)
{
    static uint8_t pb[MT_DH_MAX_BYTES + 2], gb[MT_DH_MAX_BYTES + 2], yb[MT_DH_MAX_BYTES + 2];
    for (size_t i = 0; i < sizeof(params_rows) / sizeof(params_rows[0]); i++) {
        const params_row *r = &params_rows[i];
        mpz_t p, x;
        mpz_init(p);
        mpz_init(x);
        if (r->p_hex) {
            mpz_set_str(p, r->p_hex, 16);
        } else {
            size_t n;
            CHECK_EQ(mt_dh_group_prime(r->p_group, pb, &n), 0);
            mpz_import(p, n, 1, 1, 0, 0, pb);
        }
        if (r->p_adjust < 0) {
            mpz_sub_ui(p, p, (unsigned long)-r->p_adjust);
        }
        mt_dh_params prm;
        prm.p = pb;
        prm.p_len = enc(p, r->p_lead_zero, pb);
        value_rel(x, p, r->g);
        prm.g = gb;
        prm.g_len = enc(x, 0, gb);
        value_rel(x, p, r->ys);
        prm.ys = yb;
        prm.ys_len = enc(x, 0, yb);
        mt_dh_policy pol = {r->min_bits, r->check_prime};
        uint16_t named = 999;
        int want = r->want;
        int rc = mt_dh_check_params(&prm, &pol, &named);
        if (rc != want || named != r->want_named) {
            printf("# row \"%s\": %s, named %u\n", r->name, mt_err_name(rc), named);
        }
        CHECK_EQ(rc, want);
        CHECK_EQ(named, rc == 0 ? r->want_named : 0);
        mpz_clear(p);
        mpz_clear(x);
    }
    CHECK_EQ(mt_dh_check_params(NULL, NULL, NULL), -MT_E_INVALID_ARG);
}

/* p above 8192 bits is refused before any arithmetic on it. */
static void oversized_p(void)
{
    static uint8_t p[MT_DH_MAX_BYTES + 1];
    uint8_t g = 2, y = 9;
    memset(p, 0xff, sizeof(p));
    mt_dh_params prm = {p, &g, &y, sizeof(p), 1, 1};
    CHECK_EQ(mt_dh_check_params(&prm, NULL, NULL), -MT_E_ILLEGAL_PARAMETER);
    mt_dh_key k;
    CHECK_EQ(mt_dh_generate_custom(&k, p, sizeof(p), &g, 1), -MT_E_INVALID_ARG);
    mt_dh_wipe(&k);
}

/* Server writes ServerDHParams, client reads, validates and answers; both agree. */
static void server_params_round_trip(void)
{
    static uint8_t msg[3 * MT_DH_MAX_BYTES + 16];
    static uint8_t zs[MT_DH_MAX_BYTES], zc[MT_DH_MAX_BYTES];
    static uint8_t pbytes[MT_DH_MAX_BYTES];
    size_t plen = unhex(prime2048, pbytes, sizeof(pbytes));
    for (int custom = 0; custom < 2; custom++) {
        mt_dh_key srv, cli;
        uint8_t g = 2;
        if (custom) {
            CHECK_EQ(mt_dh_generate_custom(&srv, pbytes, plen, &g, 1), 0);
            CHECK_EQ(srv.group, 0);
            CHECK_EQ(mpz_sizeinbase(srv.x, 2), 225);
        } else {
            CHECK_EQ(mt_dh_generate(&srv, MT_GROUP_FFDHE4096), 0);
        }
        mt_wr w;
        mt_wr_init_fixed(&w, msg, sizeof(msg));
        CHECK_EQ(mt_dh_params_write(&srv, &w), 0);
        size_t len = w.len;
        mt_rd r;
        mt_dh_params prm;
        mt_rd_init(&r, msg, len);
        CHECK_EQ(mt_dh_params_read(&r, &prm), 0);
        CHECK_EQ(mt_rd_end(&r), 0);
        uint16_t named = 1;
        mt_dh_policy pol = {0, 1};
        CHECK_EQ(mt_dh_check_params(&prm, &pol, &named), 0);
        CHECK_EQ(named, custom ? 0 : MT_GROUP_FFDHE4096);
        CHECK_EQ(mt_dh_generate_custom(&cli, prm.p, prm.p_len, prm.g, prm.g_len), 0);
        CHECK_EQ(cli.group, named);
        size_t ns = 0, nc = 0;
        CHECK_EQ(mt_dh_derive(&srv, cli.pub, cli.pub_len, MT_DH_STRIPPED, zs, &ns), 0);
        CHECK_EQ(mt_dh_derive(&cli, prm.ys, prm.ys_len, MT_DH_STRIPPED, zc, &nc), 0);
        CHECK(ns == nc && ns > 0 && memcmp(zs, zc, ns) == 0);
        /* truncation at every offset fails, never reads past the end */
        for (size_t cut = 0; cut < len; cut++) {
            mt_rd_init(&r, msg, cut);
            CHECK(mt_dh_params_read(&r, &prm) < 0);
        }
        mt_dh_wipe(&srv);
        mt_dh_wipe(&cli);
    }
    /* zero-length vectors are refused */
    static const uint8_t empty_g[] = {0, 1, 0x17, 0, 0, 0, 1, 2};
    mt_rd r;
    mt_dh_params prm;
    mt_rd_init(&r, empty_g, sizeof(empty_g));
    CHECK_EQ(mt_dh_params_read(&r, &prm), -MT_E_BAD_LENGTH);
}

static void wipe_is_idempotent(void)
{
    mt_dh_key k;
    CHECK_EQ(mt_dh_generate(&k, MT_GROUP_FFDHE2048), 0);
    mt_dh_wipe(&k);
    static const mt_dh_key zero;
    CHECK(memcmp(&k, &zero, sizeof(k)) == 0);
    mt_dh_wipe(&k);
    mt_dh_wipe(NULL);
    CHECK_EQ(mt_dh_generate(&k, 23), -MT_E_INVALID_ARG);
    mt_dh_wipe(&k);
    CHECK(memcmp(&k, &zero, sizeof(k)) == 0);
}

/* Diagnostics for the report: what a per-handshake primality check of p costs. */
static void primality_cost(void)
{
    const char *ps[] = {prime2048, prime3072, NULL, NULL};
    const uint16_t gs[] = {0, 0, MT_GROUP_FFDHE4096, MT_GROUP_FFDHE8192};
    const char *names[] = {"2048", "3072", "4096", "8192"};
    for (size_t i = 0; i < 4; i++) {
        mpz_t p;
        mpz_init(p);
        if (ps[i]) {
            mpz_set_str(p, ps[i], 16);
        } else {
            static uint8_t b[MT_DH_MAX_BYTES];
            size_t n = 0;
            CHECK_EQ(mt_dh_group_prime(gs[i], b, &n), 0);
            mpz_import(p, n, 1, 1, 0, 0, b);
        }
        clock_t t0 = clock();
        int reps = 2;
        int prime = 1;
        for (int j = 0; j < reps; j++) {
            prime = prime && mpz_probab_prime_p(p, 25) != 0;
        }
        double ms = 1000.0 * (double)(clock() - t0) / CLOCKS_PER_SEC / reps;
        printf("# mpz_probab_prime_p(p, 25), %s-bit p: %.1f ms\n", names[i], ms);
        CHECK(prime);
        mpz_clear(p);
    }
}

int main(void)
{
    RUN(group_table);
    RUN(moduli_are_safe_primes);
    RUN(both_sides_agree_every_group);
    RUN(forms_with_peer_two);
    RUN(leading_zero_secret);
    RUN(known_answer_openssl);
    RUN(invalid_peer_values);
    RUN(custom_group_table);
    RUN(oversized_p);
    RUN(server_params_round_trip);
    RUN(wipe_is_idempotent);
    RUN(primality_cost);
    return t_done();
}
