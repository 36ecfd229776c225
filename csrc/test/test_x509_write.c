/* Unit tests for certificate issuance (x509_write.c): structure, fields, signatures, errors.
 * The certificates are re-parsed here with asn1.h only; openssl's view is in the specs. */
#include <stdint.h>
#include <stdlib.h>

#include "../asn1.h"
#include "../err.h"
#include "../keys.h"
#include "../x509_write.h"
#include "t.h"

/* Keys made once: RSA generation is slow. */
static mt_key *k_rsa, *k_p256, *k_p384, *k_p521, *k_ed25519, *k_ed448;

/* A certificate re-parsed into its fields (views into the DER). */
struct cert {
    const uint8_t *tbs;
    size_t tbs_len;
    int64_t version;
    const uint8_t *serial;
    size_t serial_len;
    const uint8_t *sigalg_in, *sigalg_out; /* raw AlgorithmIdentifiers */
    size_t sigalg_in_len, sigalg_out_len;
    const uint8_t *issuer, *subject, *spki;
    size_t issuer_len, subject_len, spki_len;
    int64_t not_before, not_after;
    mt_rd exts; /* body of the Extensions SEQUENCE */
    const uint8_t *sig;
    size_t sig_len;
};

static int parse_cert(const uint8_t *der, size_t len, struct cert *c)
{
    mt_rd r, cert, tbs, ver, val, outer;
    memset(c, 0, sizeof(*c));
    mt_rd_init(&r, der, len);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &cert));
    GUARD(mt_rd_end(&r));
    GUARD(mt_asn1_raw(&cert, MT_ASN1_SEQUENCE, &c->tbs, &c->tbs_len));
    GUARD(mt_asn1_raw(&cert, MT_ASN1_SEQUENCE, &c->sigalg_out, &c->sigalg_out_len));
    GUARD(mt_asn1_bits_bytes(&cert, &c->sig, &c->sig_len));
    GUARD(mt_rd_end(&cert));
    mt_rd_init(&r, c->tbs, c->tbs_len);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &tbs));
    GUARD(mt_asn1_expect(&tbs, 0xa0, &ver));
    GUARD(mt_asn1_small(&ver, &c->version));
    GUARD(mt_rd_end(&ver));
    GUARD(mt_asn1_uint(&tbs, &c->serial, &c->serial_len));
    GUARD(mt_asn1_raw(&tbs, MT_ASN1_SEQUENCE, &c->sigalg_in, &c->sigalg_in_len));
    GUARD(mt_asn1_raw(&tbs, MT_ASN1_SEQUENCE, &c->issuer, &c->issuer_len));
    GUARD(mt_asn1_expect(&tbs, MT_ASN1_SEQUENCE, &val));
    GUARD(mt_asn1_time(&val, &c->not_before));
    GUARD(mt_asn1_time(&val, &c->not_after));
    GUARD(mt_rd_end(&val));
    GUARD(mt_asn1_raw(&tbs, MT_ASN1_SEQUENCE, &c->subject, &c->subject_len));
    GUARD(mt_asn1_raw(&tbs, MT_ASN1_SEQUENCE, &c->spki, &c->spki_len));
    GUARD(mt_asn1_expect(&tbs, 0xa3, &outer));
    GUARD(mt_asn1_expect(&outer, MT_ASN1_SEQUENCE, &c->exts));
    GUARD(mt_rd_end(&outer));
    return mt_rd_end(&tbs);
}

/* Find extension `oid` (dotted); 1 if found with *crit and *val set, 0 if absent, <0 error. */
static int find_ext(const struct cert *c, const char *oid, int *crit, mt_rd *val)
{
    uint8_t want[64];
    size_t want_len;
    int found = 0;
    mt_rd exts = c->exts;
    GUARD(mt_asn1_oid_parse(oid, want, sizeof(want), &want_len));
    while (mt_rd_left(&exts) > 0) {
        mt_rd ext, b, v;
        const uint8_t *p;
        size_t n;
        int present, cr = 0;
        GUARD(mt_asn1_expect(&exts, MT_ASN1_SEQUENCE, &ext));
        GUARD(mt_asn1_oid(&ext, &p, &n));
        GUARD(mt_asn1_optional(&ext, MT_ASN1_BOOLEAN, &b, &present));
        if (present) {
            cr = 1; /* DER: only TRUE may be written (DEFAULT FALSE) */
            CHECK(mt_rd_left(&b) == 1);
        }
        GUARD(mt_asn1_expect(&ext, MT_ASN1_OCTET_STRING, &v));
        GUARD(mt_rd_end(&ext));
        if (mt_asn1_oid_is(p, n, (const char *)want, want_len)) {
            found++;
            *crit = cr;
            *val = v;
        }
    }
    CHECK(found <= 1); /* RFC 5280 4.2: no extension twice */
    return found;
}

/* The OID of a raw AlgorithmIdentifier as dotted text. */
static void algid_text(const uint8_t *raw, size_t len, char *buf, size_t size)
{
    mt_rd r, seq;
    const uint8_t *p;
    size_t n;
    buf[0] = 0;
    mt_rd_init(&r, raw, len);
    if (mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq) == 0 && mt_asn1_oid(&seq, &p, &n) == 0) {
        CHECK_EQ(mt_asn1_oid_text(p, n, buf, size), 0);
    }
}

static mt_x509w_attr attr(const char *a, const char *v)
{
    mt_x509w_attr x;
    memset(&x, 0, sizeof(x));
    x.attr = a;
    x.attr_len = strlen(a);
    x.value = v;
    x.value_len = strlen(v);
    return x;
}

static mt_x509w_gn gn(int kind, const char *v)
{
    mt_x509w_gn g = {kind, v, strlen(v)};
    return g;
}

static const int64_t NB = 1700000000, NA = 1700000000 + 86400 * 30;

static void base_params(mt_x509w_params *p, const mt_key *k, const mt_x509w_attr *subj, size_t n)
{
    memset(p, 0, sizeof(*p));
    p->subject_key = k;
    p->signing_key = k;
    p->subject = subj;
    p->n_subject = n;
    p->not_before = NB;
    p->not_after = NA;
}

/* Build into a fresh writer; returns rc; *der/len point into w (caller frees w). */
static int build(const mt_x509w_params *p, mt_wr *w)
{
    mt_wr_init_growable(w, MT_X509W_MAX_CERT);
    int rc = mt_x509w_build(p, w);
    if (rc == 0) {
        CHECK_EQ(mt_wr_finish(w), 0);
        CHECK_EQ(mt_asn1_walk(w->p, w->len, MT_ASN1_MAX_DEPTH), 0);
    }
    return rc;
}

static void check_sig(const struct cert *c, const mt_key *signer, mt_sig_alg alg)
{
    CHECK_EQ(mt_key_verify(signer, alg, c->tbs, c->tbs_len, c->sig, c->sig_len), 0);
}

/* Self-signed certificate for each key type: algorithm, fields, signature. */
static void selfsigned_every_key_type(void)
{
    static const struct {
        mt_key **key;
        const char *oid;
        mt_sig_alg alg;
    } rows[] = {
        {&k_rsa, "1.2.840.113549.1.1.11", {MT_SIG_RSA_PKCS1, MT_HASH_SHA256, 0}},
        {&k_p256, "1.2.840.10045.4.3.2", {MT_SIG_ECDSA, MT_HASH_SHA256, 0}},
        {&k_p384, "1.2.840.10045.4.3.3", {MT_SIG_ECDSA, MT_HASH_SHA384, 0}},
        {&k_p521, "1.2.840.10045.4.3.4", {MT_SIG_ECDSA, MT_HASH_SHA512, 0}},
        {&k_ed25519, "1.3.101.112", {MT_SIG_EDDSA, MT_HASH_NONE, 0}},
        {&k_ed448, "1.3.101.113", {MT_SIG_EDDSA, MT_HASH_NONE, 0}},
    };
    mt_x509w_attr subj[] = {attr("CN", "test.example"), attr("O", "moontls")};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        mt_x509w_params p;
        mt_wr w, spki;
        struct cert c;
        char oid[64];
        base_params(&p, *rows[i].key, subj, 2);
        if (build(&p, &w) != 0) {
            printf("# row %zu: build failed\n", i);
            CHECK(0);
            mt_wr_free(&w);
            continue;
        }
        CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
        CHECK_EQ(c.version, 2);
        CHECK(c.serial_len >= 1 && c.serial_len <= 16);
        CHECK(c.sigalg_in_len == c.sigalg_out_len &&
              memcmp(c.sigalg_in, c.sigalg_out, c.sigalg_in_len) == 0);
        algid_text(c.sigalg_in, c.sigalg_in_len, oid, sizeof(oid));
        if (strcmp(oid, rows[i].oid) != 0) {
            printf("# row %zu: algorithm %s, want %s\n", i, oid, rows[i].oid);
            CHECK(0);
        }
        CHECK(c.issuer_len == c.subject_len && memcmp(c.issuer, c.subject, c.subject_len) == 0);
        CHECK_EQ(c.not_before, NB);
        CHECK_EQ(c.not_after, NA);
        mt_wr_init_growable(&spki, 4096);
        CHECK_EQ(mt_key_write_spki(*rows[i].key, &spki), 0);
        CHECK(spki.len == c.spki_len && memcmp(spki.p, c.spki, spki.len) == 0);
        mt_wr_free(&spki);
        check_sig(&c, *rows[i].key, rows[i].alg);
        mt_wr_free(&w);
    }
}

/* Subject Name: one attribute per RDN, in order, with the right string types. */
static void subject_encoding(void)
{
    mt_x509w_attr subj[] = {attr("C", "DE"),
                            attr("ST", "Bayern"),
                            attr("L", "M\xc3\xbcnchen"),
                            attr("O", "Moon"),
                            attr("OU", "QA"),
                            attr("CN", "x"),
                            attr("emailAddress", "a@b.example"),
                            attr("2.5.4.97", "VAT")};
    static const uint8_t want_tags[] = {
        MT_ASN1_PRINTABLE_STRING, MT_ASN1_UTF8_STRING, MT_ASN1_UTF8_STRING, MT_ASN1_UTF8_STRING,
        MT_ASN1_UTF8_STRING,      MT_ASN1_UTF8_STRING, MT_ASN1_IA5_STRING,  MT_ASN1_UTF8_STRING};
    static const char *const want_oids[] = {
        "2.5.4.6", "2.5.4.8", "2.5.4.7", "2.5.4.10", "2.5.4.11", "2.5.4.3", "1.2.840.113549.1.9.1",
        "2.5.4.97"};
    mt_x509w_params p;
    mt_wr w;
    struct cert c;
    base_params(&p, k_p256, subj, 8);
    CHECK_EQ(build(&p, &w), 0);
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    mt_rd r, name;
    mt_rd_init(&r, c.subject, c.subject_len);
    CHECK_EQ(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &name), 0);
    for (size_t i = 0; i < 8; i++) {
        mt_rd set, atv;
        mt_asn1_tlv t;
        const uint8_t *o;
        size_t n;
        char text[64] = "";
        if (mt_asn1_expect(&name, MT_ASN1_SET, &set) != 0 ||
            mt_asn1_expect(&set, MT_ASN1_SEQUENCE, &atv) != 0 || mt_rd_end(&set) != 0 ||
            mt_asn1_oid(&atv, &o, &n) != 0 || mt_asn1_next(&atv, &t) != 0) {
            CHECK(0);
            break;
        }
        CHECK_EQ(mt_asn1_oid_text(o, n, text, sizeof(text)), 0);
        CHECK(strcmp(text, want_oids[i]) == 0);
        CHECK_EQ(t.tag, want_tags[i]);
        CHECK(t.len == subj[i].value_len && memcmp(t.body, subj[i].value, t.len) == 0);
    }
    CHECK_EQ(mt_rd_end(&name), 0);
    mt_wr_free(&w);

    /* forced type, and values a type cannot hold */
    mt_x509w_attr bad[] = {attr("C", "D_")};
    base_params(&p, k_p256, bad, 1);
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
    bad[0] = attr("emailAddress", "\xc3\xbc@x");
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
    bad[0] = attr("nosuch", "x");
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
    bad[0] = attr("CN", "plain");
    bad[0].tag = MT_ASN1_PRINTABLE_STRING;
    CHECK_EQ(build(&p, &w), 0);
    mt_wr_free(&w);
    bad[0].tag = MT_ASN1_BMP_STRING;
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
}

/* Read a BIT STRING of named bits back into the mt_asn1_w_named_bits form. */
static unsigned read_named_bits(mt_rd *v)
{
    const uint8_t *b;
    size_t n;
    unsigned unused, bits = 0;
    if (mt_asn1_bits(v, &b, &n, &unused) != 0) {
        CHECK(0);
        return 0;
    }
    for (size_t i = 0; i < n && i < 2; i++) {
        for (int j = 0; j < 8; j++) {
            if (b[i] & (0x80 >> j)) {
                bits |= 1u << (i * 8 + (size_t)j);
            }
        }
    }
    return bits;
}

/* basicConstraints and keyUsage defaults for CA and leaf, explicit values, omission. */
static void constraints_and_usage(void)
{
    mt_x509w_attr subj[] = {attr("CN", "ca")};
    mt_x509w_params p;
    mt_wr w;
    struct cert c;
    mt_rd v, seq;
    int crit, ca;
    int64_t pl;

    base_params(&p, k_p256, subj, 1);
    p.ca = 1;
    p.has_pathlen = 1;
    p.pathlen = 2;
    CHECK_EQ(build(&p, &w), 0);
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    CHECK_EQ(find_ext(&c, "2.5.29.19", &crit, &v), 1);
    CHECK_EQ(crit, 1);
    CHECK_EQ(mt_asn1_expect(&v, MT_ASN1_SEQUENCE, &seq), 0);
    CHECK_EQ(mt_asn1_bool(&seq, &ca), 0);
    CHECK_EQ(ca, 1);
    CHECK_EQ(mt_asn1_small(&seq, &pl), 0);
    CHECK_EQ(pl, 2);
    CHECK_EQ(mt_rd_end(&seq), 0);
    CHECK_EQ(find_ext(&c, "2.5.29.15", &crit, &v), 1);
    CHECK_EQ(crit, 1);
    CHECK_EQ(read_named_bits(&v), MT_X509W_KU_KEY_CERT_SIGN | MT_X509W_KU_CRL_SIGN);
    mt_wr_free(&w);

    /* leaf: CA FALSE is the DEFAULT and so absent; RSA adds keyEncipherment */
    base_params(&p, k_rsa, subj, 1);
    CHECK_EQ(build(&p, &w), 0);
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    CHECK_EQ(find_ext(&c, "2.5.29.19", &crit, &v), 1);
    CHECK_EQ(mt_asn1_expect(&v, MT_ASN1_SEQUENCE, &seq), 0);
    CHECK_EQ(mt_rd_left(&seq), 0);
    CHECK_EQ(find_ext(&c, "2.5.29.15", &crit, &v), 1);
    CHECK_EQ(read_named_bits(&v), MT_X509W_KU_DIGITAL_SIGNATURE | MT_X509W_KU_KEY_ENCIPHERMENT);
    CHECK_EQ(find_ext(&c, "2.5.29.37", &crit, &v), 0); /* no EKU unless asked */
    mt_wr_free(&w);

    base_params(&p, k_ed25519, subj, 1);
    CHECK_EQ(build(&p, &w), 0);
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    CHECK_EQ(find_ext(&c, "2.5.29.15", &crit, &v), 1);
    CHECK_EQ(read_named_bits(&v), MT_X509W_KU_DIGITAL_SIGNATURE);
    mt_wr_free(&w);

    /* explicit bits; omitted extensions */
    base_params(&p, k_p256, subj, 1);
    p.ca = 1;
    p.key_usage = MT_X509W_KU_DIGITAL_SIGNATURE | MT_X509W_KU_DECIPHER_ONLY;
    CHECK_EQ(build(&p, &w), 0);
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    CHECK_EQ(find_ext(&c, "2.5.29.15", &crit, &v), 1);
    CHECK_EQ(read_named_bits(&v), MT_X509W_KU_DIGITAL_SIGNATURE | MT_X509W_KU_DECIPHER_ONLY);
    CHECK_EQ(find_ext(&c, "2.5.29.19", &crit, &v), 1);
    CHECK_EQ(mt_asn1_expect(&v, MT_ASN1_SEQUENCE, &seq), 0);
    CHECK_EQ(mt_asn1_bool(&seq, &ca), 0);
    CHECK_EQ(mt_rd_left(&seq), 0); /* no pathLen */
    mt_wr_free(&w);

    p.key_usage = MT_X509W_KU_OMIT;
    p.no_basic_constraints = 1;
    p.no_ski = 1;
    p.no_aki = 1;
    CHECK_EQ(build(&p, &w), 0);
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    CHECK_EQ(mt_rd_left(&c.exts), 0);
    mt_wr_free(&w);

    /* pathLen on a leaf, or negative, is refused; pathLen 0 is written */
    base_params(&p, k_p256, subj, 1);
    p.has_pathlen = 1;
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
    p.ca = 1;
    p.pathlen = -1;
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
    p.pathlen = 0;
    CHECK_EQ(build(&p, &w), 0);
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    CHECK_EQ(find_ext(&c, "2.5.29.19", &crit, &v), 1);
    CHECK_EQ(mt_asn1_expect(&v, MT_ASN1_SEQUENCE, &seq), 0);
    CHECK_EQ(mt_asn1_bool(&seq, &ca), 0);
    CHECK_EQ(mt_asn1_small(&seq, &pl), 0);
    CHECK_EQ(pl, 0);
    mt_wr_free(&w);
}

/* subjectAltName entries in order with their context tags and IP bytes; EKU OIDs. */
static void san_and_eku(void)
{
    mt_x509w_attr subj[] = {attr("CN", "san")};
    mt_x509w_gn san[] = {gn(MT_X509W_GN_DNS, "a.example"), gn(MT_X509W_GN_IP, "192.0.2.7"),
                         gn(MT_X509W_GN_IP, "2001:db8::1"), gn(MT_X509W_GN_EMAIL, "x@y.example"),
                         gn(MT_X509W_GN_URI, "https://u.example/")};
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    const char *eku[] = {"serverAuth", "clientAuth", "1.2.3.4"};
    mt_x509w_params p;
    mt_wr w;
    struct cert c;
    mt_rd v, seq;
    mt_asn1_tlv t;
    int crit;

    base_params(&p, k_p256, subj, 1);
    p.san = san;
    p.n_san = 5;
    p.eku = eku;
    p.n_eku = 3;
    CHECK_EQ(build(&p, &w), 0);
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    CHECK_EQ(find_ext(&c, "2.5.29.17", &crit, &v), 1);
    CHECK_EQ(crit, 0);
    CHECK_EQ(mt_asn1_expect(&v, MT_ASN1_SEQUENCE, &seq), 0);
    CHECK_EQ(mt_asn1_next(&seq, &t), 0);
    CHECK(t.tag == 0x82 && t.len == 9 && memcmp(t.body, "a.example", 9) == 0);
    CHECK_EQ(mt_asn1_next(&seq, &t), 0);
    CHECK(t.tag == 0x87 && t.len == 4 && memcmp(t.body, "\xc0\x00\x02\x07", 4) == 0);
    CHECK_EQ(mt_asn1_next(&seq, &t), 0);
    CHECK(t.tag == 0x87 && t.len == 16 && memcmp(t.body, v6, 16) == 0);
    CHECK_EQ(mt_asn1_next(&seq, &t), 0);
    CHECK(t.tag == 0x81 && t.len == 11);
    CHECK_EQ(mt_asn1_next(&seq, &t), 0);
    CHECK(t.tag == 0x86 && t.len == 18);
    CHECK_EQ(mt_rd_end(&seq), 0);

    CHECK_EQ(find_ext(&c, "2.5.29.37", &crit, &v), 1);
    CHECK_EQ(crit, 0);
    CHECK_EQ(mt_asn1_expect(&v, MT_ASN1_SEQUENCE, &seq), 0);
    static const char *const want[] = {"1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "1.2.3.4"};
    for (int i = 0; i < 3; i++) {
        const uint8_t *o;
        size_t n;
        char text[64] = "";
        CHECK_EQ(mt_asn1_oid(&seq, &o, &n), 0);
        CHECK_EQ(mt_asn1_oid_text(o, n, text, sizeof(text)), 0);
        CHECK(strcmp(text, want[i]) == 0);
    }
    CHECK_EQ(mt_rd_end(&seq), 0);
    mt_wr_free(&w);

    /* empty subject: SAN becomes critical; no subject and no SAN is refused */
    base_params(&p, k_p256, NULL, 0);
    p.san = san;
    p.n_san = 1;
    CHECK_EQ(build(&p, &w), 0);
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    CHECK_EQ(find_ext(&c, "2.5.29.17", &crit, &v), 1);
    CHECK_EQ(crit, 1);
    mt_wr_free(&w);
    p.n_san = 0;
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);

    /* bad IP text, bad EKU name */
    base_params(&p, k_p256, subj, 1);
    mt_x509w_gn bad = gn(MT_X509W_GN_IP, "300.1.1.1");
    p.san = &bad;
    p.n_san = 1;
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
    const char *bad_eku[] = {"serverauth"};
    base_params(&p, k_p256, subj, 1);
    p.eku = bad_eku;
    p.n_eku = 1;
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
}

static void ip_parsing(void)
{
    uint8_t b[32];
    size_t n;
    CHECK_EQ(mt_x509w_parse_ip("10.1.2.3", 8, 0, b, &n), 0);
    CHECK(n == 4 && memcmp(b, "\x0a\x01\x02\x03", 4) == 0);
    CHECK_EQ(mt_x509w_parse_ip("10.0.0.0/8", 10, 1, b, &n), 0);
    CHECK(n == 8 && memcmp(b, "\x0a\x00\x00\x00\xff\x00\x00\x00", 8) == 0);
    CHECK_EQ(mt_x509w_parse_ip("192.168.0.0/20", 14, 1, b, &n), 0);
    CHECK(n == 8 && memcmp(b + 4, "\xff\xff\xf0\x00", 4) == 0);
    CHECK_EQ(mt_x509w_parse_ip("0.0.0.0/0", 9, 1, b, &n), 0);
    CHECK(n == 8 && memcmp(b + 4, "\0\0\0\0", 4) == 0);
    CHECK_EQ(mt_x509w_parse_ip("::1", 3, 0, b, &n), 0);
    CHECK(n == 16 && b[15] == 1 && b[0] == 0);
    CHECK_EQ(mt_x509w_parse_ip("2001:db8::/33", 13, 1, b, &n), 0);
    CHECK(n == 32 && b[16 + 3] == 0xff && b[16 + 4] == 0x80 && b[16 + 5] == 0);
    static const char *const bad[] = {
        "",          "1.2.3",      "1.2.3.4.5", "256.0.0.1", "10.0.0.0/33",
        "10.0.0.0/", "10.0.0.0/x", "::/129",    "gg::1",     "1.2.3.4 "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int subnet = strchr(bad[i], '/') != NULL;
        CHECK_EQ(mt_x509w_parse_ip(bad[i], strlen(bad[i]), subnet, b, &n), -MT_E_INVALID_ARG);
    }
    /* a prefix where none is wanted and the reverse */
    CHECK_EQ(mt_x509w_parse_ip("10.0.0.0/8", 10, 0, b, &n), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_x509w_parse_ip("10.0.0.0", 8, 1, b, &n), -MT_E_INVALID_ARG);
    /* length is honoured: the text need not be terminated */
    CHECK_EQ(mt_x509w_parse_ip("10.0.0.1XYZ", 8, 0, b, &n), 0);
}

/* Name constraints: [0] permitted and [1] excluded subtrees, IP with mask; extra extensions. */
static void name_constraints_and_extra(void)
{
    mt_x509w_attr subj[] = {attr("CN", "nc ca")};
    mt_x509w_gn perm[] = {gn(MT_X509W_GN_DNS, "example.com"), gn(MT_X509W_GN_IP, "10.0.0.0/8")};
    mt_x509w_gn excl[] = {gn(MT_X509W_GN_DNS, "bad.example.com")};
    mt_x509w_ext extra[] = {{"1.2.3.4.5", 9, 1, (const uint8_t *)"\x05\x00", 2}};
    mt_x509w_params p;
    mt_wr w;
    struct cert c;
    mt_rd v, seq, trees, tree;
    mt_asn1_tlv t;
    int crit;

    base_params(&p, k_p256, subj, 1);
    p.ca = 1;
    p.nc_permitted = perm;
    p.n_nc_permitted = 2;
    p.nc_excluded = excl;
    p.n_nc_excluded = 1;
    p.extra = extra;
    p.n_extra = 1;
    CHECK_EQ(build(&p, &w), 0);
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    CHECK_EQ(find_ext(&c, "2.5.29.30", &crit, &v), 1);
    CHECK_EQ(crit, 1);
    CHECK_EQ(mt_asn1_expect(&v, MT_ASN1_SEQUENCE, &seq), 0);
    CHECK_EQ(mt_asn1_expect(&seq, 0xa0, &trees), 0);
    CHECK_EQ(mt_asn1_expect(&trees, MT_ASN1_SEQUENCE, &tree), 0);
    CHECK_EQ(mt_asn1_next(&tree, &t), 0);
    CHECK(t.tag == 0x82 && t.len == 11);
    CHECK_EQ(mt_rd_end(&tree), 0);
    CHECK_EQ(mt_asn1_expect(&trees, MT_ASN1_SEQUENCE, &tree), 0);
    CHECK_EQ(mt_asn1_next(&tree, &t), 0);
    CHECK(t.tag == 0x87 && t.len == 8 && memcmp(t.body, "\x0a\0\0\0\xff\0\0\0", 8) == 0);
    CHECK_EQ(mt_rd_end(&trees), 0);
    CHECK_EQ(mt_asn1_expect(&seq, 0xa1, &trees), 0);
    CHECK_EQ(mt_asn1_expect(&trees, MT_ASN1_SEQUENCE, &tree), 0);
    CHECK_EQ(mt_rd_end(&trees), 0);
    CHECK_EQ(mt_rd_end(&seq), 0);

    CHECK_EQ(find_ext(&c, "1.2.3.4.5", &crit, &v), 1);
    CHECK_EQ(crit, 1);
    CHECK_EQ(mt_asn1_null(&v), 0);
    CHECK_EQ(mt_rd_end(&v), 0);
    mt_wr_free(&w);

    /* a single-host IP in name constraints needs a prefix */
    mt_x509w_gn host = gn(MT_X509W_GN_IP, "10.0.0.1");
    p.nc_permitted = &host;
    p.n_nc_permitted = 1;
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
}

/* A CA-signed leaf: issuer copied from the CA, AKI = CA's SKI, signature by the CA key. */
static void ca_signed(void)
{
    mt_x509w_attr ca_subj[] = {attr("C", "XX"), attr("O", "Test CA"), attr("CN", "Root")};
    mt_x509w_attr leaf_subj[] = {attr("CN", "leaf.example")};
    mt_x509w_params p;
    mt_wr caw, w;
    struct cert ca, c;
    mt_rd v, v2, seq;
    mt_asn1_tlv t;
    int crit;
    mt_x509w_ca info;

    base_params(&p, k_rsa, ca_subj, 3);
    p.ca = 1;
    CHECK_EQ(build(&p, &caw), 0);
    CHECK_EQ(parse_cert(caw.p, caw.len, &ca), 0);
    CHECK_EQ(mt_x509w_ca_info(caw.p, caw.len, &info), 0);
    CHECK(info.subject_len == ca.subject_len &&
          memcmp(info.subject, ca.subject, ca.subject_len) == 0);
    CHECK(info.spki_len == ca.spki_len && memcmp(info.spki, ca.spki, ca.spki_len) == 0);
    CHECK_EQ(info.ski_len, 20);

    /* the self-signed CA's AKI is its own SKI */
    CHECK_EQ(find_ext(&ca, "2.5.29.14", &crit, &v), 1);
    CHECK_EQ(find_ext(&ca, "2.5.29.35", &crit, &v2), 1);

    base_params(&p, k_p256, leaf_subj, 1);
    p.signing_key = k_rsa;
    p.ca_der = caw.p;
    p.ca_der_len = caw.len;
    p.hash = MT_HASH_SHA384;
    CHECK_EQ(build(&p, &w), 0);
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    CHECK(c.issuer_len == ca.subject_len && memcmp(c.issuer, ca.subject, c.issuer_len) == 0);
    CHECK(!(c.subject_len == ca.subject_len && memcmp(c.subject, ca.subject, c.subject_len) == 0));
    check_sig(&c, k_rsa, (mt_sig_alg){MT_SIG_RSA_PKCS1, MT_HASH_SHA384, 0});
    CHECK_EQ(find_ext(&c, "2.5.29.35", &crit, &v), 1);
    CHECK_EQ(mt_asn1_expect(&v, MT_ASN1_SEQUENCE, &seq), 0);
    CHECK_EQ(mt_asn1_next(&seq, &t), 0);
    CHECK(t.tag == 0x80 && t.len == info.ski_len && memcmp(t.body, info.ski, t.len) == 0);
    /* the leaf's own SKI differs from the CA's */
    CHECK_EQ(find_ext(&c, "2.5.29.14", &crit, &v), 1);
    CHECK_EQ(mt_asn1_next(&v, &t), 0);
    CHECK(t.len == 20 && memcmp(t.body, info.ski, 20) != 0);
    mt_wr_free(&w);

    /* PSS over the same CA */
    p.hash = MT_HASH_SHA256;
    p.sig_variant = MT_X509W_SIG_PSS;
    CHECK_EQ(build(&p, &w), 0);
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    char oid[64];
    algid_text(c.sigalg_in, c.sigalg_in_len, oid, sizeof(oid));
    CHECK(strcmp(oid, "1.2.840.113549.1.1.10") == 0);
    check_sig(&c, k_rsa, (mt_sig_alg){MT_SIG_RSA_PSS, MT_HASH_SHA256, 32});
    mt_wr_free(&w);

    /* a signing key that is not the CA certificate's key is refused, unless asked for */
    p.sig_variant = 0;
    p.signing_key = k_p384;
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
    p.skip_ca_key_check = 1;
    CHECK_EQ(build(&p, &w), 0);
    mt_wr_free(&w);

    /* a truncated, extended or damaged CA certificate */
    for (size_t n = 0; n < caw.len; n++) {
        CHECK_EQ(mt_x509w_ca_info(caw.p, n, &info), -MT_E_CERT_PARSE);
        CHECK(info.subject == NULL && info.spki == NULL);
    }
    uint8_t *copy = malloc(caw.len + 1);
    if (copy != NULL) {
        memcpy(copy, caw.p, caw.len);
        copy[caw.len] = 0;
        CHECK_EQ(mt_x509w_ca_info(copy, caw.len + 1, &info), -MT_E_CERT_PARSE);
        /* the tag and length bytes of Certificate, tbsCertificate and version [0]:
         * 30 82 LL LL 30 82 LL LL a0 03 (the version's contents are not read) */
        CHECK(copy[0] == 0x30 && copy[4] == 0x30 && copy[8] == 0xa0);
        for (size_t i = 0; i < 10; i++) {
            uint8_t saved = copy[i];
            copy[i] ^= 0x40;
            CHECK_EQ(mt_x509w_ca_info(copy, caw.len, &info), -MT_E_CERT_PARSE);
            copy[i] = saved;
        }
        CHECK_EQ(mt_x509w_ca_info(copy, caw.len, &info), 0);
        copy[0] = MT_ASN1_SET; /* not a SEQUENCE */
        CHECK_EQ(mt_x509w_ca_info(copy, caw.len, &info), -MT_E_CERT_PARSE);
        free(copy);
    }
    p.skip_ca_key_check = 0;
    p.signing_key = k_rsa;
    p.ca_der_len = caw.len - 1;
    CHECK_EQ(build(&p, &w), -MT_E_CERT_PARSE);
    mt_wr_free(&w);
    mt_wr_free(&caw);
}

static void parameter_errors(void)
{
    mt_x509w_attr subj[] = {attr("CN", "e")};
    mt_x509w_params p;
    mt_wr w;
    mt_key *pub = NULL;
    uint8_t serial[21] = {0};

    base_params(&p, k_p256, subj, 1);
    p.not_after = p.not_before - 1;
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);

    base_params(&p, k_p256, subj, 1);
    p.subject_key = NULL;
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);

    CHECK_EQ(mt_key_public(k_p256, &pub), 0);
    base_params(&p, pub, subj, 1);
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG); /* cannot sign with a public key */
    mt_wr_free(&w);
    p.signing_key = k_p256; /* a public subject key is fine */
    CHECK_EQ(build(&p, &w), 0);
    mt_wr_free(&w);
    mt_key_free(pub);

    /* self-signed by some other key */
    base_params(&p, k_p256, subj, 1);
    p.signing_key = k_p384;
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);

    /* serials: given, zero, too long */
    base_params(&p, k_p256, subj, 1);
    serial[20] = 0x42;
    p.serial = serial + 20;
    p.serial_len = 1;
    CHECK_EQ(build(&p, &w), 0);
    struct cert c;
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    CHECK(c.serial_len == 1 && c.serial[0] == 0x42);
    mt_wr_free(&w);
    p.serial = serial;
    p.serial_len = 20;
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG); /* zero */
    mt_wr_free(&w);
    p.serial_len = 21;
    CHECK_EQ(build(&p, &w), -MT_E_INVALID_ARG);
    mt_wr_free(&w);

    /* hashes and variants the key cannot use */
    base_params(&p, k_ed25519, subj, 1);
    p.hash = MT_HASH_SHA256;
    CHECK_EQ(build(&p, &w), -MT_E_SIG_UNSUPPORTED);
    mt_wr_free(&w);
    base_params(&p, k_p256, subj, 1);
    p.sig_variant = MT_X509W_SIG_PSS;
    CHECK_EQ(build(&p, &w), -MT_E_SIG_UNSUPPORTED);
    mt_wr_free(&w);
    base_params(&p, k_p256, subj, 1);
    p.hash = MT_HASH_SHA1;
    CHECK_EQ(build(&p, &w), 0); /* ecdsa-with-SHA1 for negative tests */
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    char oid[64];
    algid_text(c.sigalg_in, c.sigalg_in_len, oid, sizeof(oid));
    CHECK(strcmp(oid, "1.2.840.10045.4.1") == 0);
    mt_wr_free(&w);
}

/* Random serials: 16 bytes with the top bit clear, different each time. */
static void random_serials(void)
{
    mt_x509w_attr subj[] = {attr("CN", "s")};
    mt_x509w_params p;
    mt_wr w1, w2;
    struct cert c1, c2;
    base_params(&p, k_ed25519, subj, 1);
    CHECK_EQ(build(&p, &w1), 0);
    CHECK_EQ(build(&p, &w2), 0);
    CHECK_EQ(parse_cert(w1.p, w1.len, &c1), 0);
    CHECK_EQ(parse_cert(w2.p, w2.len, &c2), 0);
    CHECK_EQ(c1.serial_len, 16);
    CHECK_EQ(c2.serial_len, 16);
    CHECK(!(c1.serial[0] & 0x80));
    CHECK(memcmp(c1.serial, c2.serial, 16) != 0);
    mt_wr_free(&w1);
    mt_wr_free(&w2);
}

/* Validity: UTCTime before 2050, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
static void validity_encoding(void)
{
    mt_x509w_attr subj[] = {attr("CN", "t")};
    mt_x509w_params p;
    mt_wr w;
    struct cert c;
    base_params(&p, k_p256, subj, 1);
    p.not_before = mt_asn1_epoch(2049, 12, 31, 23, 59, 59);
    p.not_after = mt_asn1_epoch(2050, 1, 1, 0, 0, 0);
    CHECK_EQ(build(&p, &w), 0);
    CHECK_EQ(parse_cert(w.p, w.len, &c), 0);
    CHECK_EQ(c.not_before, p.not_before);
    CHECK_EQ(c.not_after, p.not_after);
    mt_rd r, tbs, val;
    mt_asn1_tlv t;
    mt_rd_init(&r, c.tbs, c.tbs_len);
    CHECK_EQ(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &tbs), 0);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(mt_asn1_next(&tbs, &t), 0);
    }
    CHECK_EQ(mt_asn1_expect(&tbs, MT_ASN1_SEQUENCE, &val), 0);
    CHECK_EQ(mt_asn1_next(&val, &t), 0);
    CHECK_EQ(t.tag, MT_ASN1_UTC_TIME);
    CHECK_EQ(mt_asn1_next(&val, &t), 0);
    CHECK_EQ(t.tag, MT_ASN1_GENERALIZED_TIME);
    mt_wr_free(&w);
}

static int gen(mt_key_type t, unsigned bits, mt_key **k)
{
    int rc = mt_key_generate(t, bits, k);
    if (rc < 0) {
        printf("# key generation failed: %s\n", mt_err_name(rc));
    }
    return rc;
}

int main(void)
{
    if (gen(MT_KEY_RSA, 2048, &k_rsa) < 0 || gen(MT_KEY_EC_P256, 0, &k_p256) < 0 ||
        gen(MT_KEY_EC_P384, 0, &k_p384) < 0 || gen(MT_KEY_EC_P521, 0, &k_p521) < 0 ||
        gen(MT_KEY_ED25519, 0, &k_ed25519) < 0 || gen(MT_KEY_ED448, 0, &k_ed448) < 0) {
        printf("not ok 1 - key generation\n1..1\n");
        return 1;
    }
    RUN(selfsigned_every_key_type);
    RUN(subject_encoding);
    RUN(constraints_and_usage);
    RUN(san_and_eku);
    RUN(ip_parsing);
    RUN(name_constraints_and_extra);
    RUN(ca_signed);
    RUN(parameter_errors);
    RUN(random_serials);
    RUN(validity_encoding);
    mt_key_free(k_rsa);
    mt_key_free(k_p256);
    mt_key_free(k_p384);
    mt_key_free(k_p521);
    mt_key_free(k_ed25519);
    mt_key_free(k_ed448);
    return t_done();
}
