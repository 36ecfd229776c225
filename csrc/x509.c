/*
 * x509.c -- certificate parsing (RFC 5280 4), names (RFC 5280 7.1) and host-name
 * matching (RFC 6125 6.4). Path validation and trust stores: x509_verify.c.
 *
 * IMPLEMENTATION NOTES
 * - One owner: mt_x509_parse copies the DER once; every pointer in mt_x509
 *   views that copy, so the struct is freed with one free() of `der` and one
 *   of the struct.
 * - Full recognition first: parse() walks the whole certificate with the
 *   strict DER reader of asn1.c and decodes each known extension; whatever
 *   the iterators later re-read (names, GeneralNames, subtrees, extensions,
 *   EKU OIDs) was already decoded once, so they cannot fail afterwards. Any
 *   failure inside parse() becomes -MT_E_CERT_PARSE (except -MT_E_NOMEM).
 * - Profile choices: serial numbers of up to 64 octets and negative or zero
 *   serials are accepted here and refused by the strict validator (limbo's
 *   pedantic cases); extensions are refused in v1/v2 certificates; an explicit
 *   critical=FALSE is tolerated (common in older CAs' certificates).
 * - Strings from certificates are copied into bounded stack buffers before
 *   any text processing (host names are at most 253 octets; longer values
 *   never match).
 */
#include "x509.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "asn1.h"
#include "err.h"
#include "pem.h"

/* OID contents (DER bodies) of the algorithms and extensions we know. */
#define OID_RSA_MD5 "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x04"
#define OID_RSA_SHA1 "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05"
#define OID_RSA_SHA224 "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0e"
#define OID_RSA_SHA256 "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b"
#define OID_RSA_SHA384 "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c"
#define OID_RSA_SHA512 "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d"
#define OID_RSA_PSS "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a"
#define OID_MGF1 "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x08"
#define OID_ECDSA_SHA1 "\x2a\x86\x48\xce\x3d\x04\x01"
#define OID_ECDSA_SHA224 "\x2a\x86\x48\xce\x3d\x04\x03\x01"
#define OID_ECDSA_SHA256 "\x2a\x86\x48\xce\x3d\x04\x03\x02"
#define OID_ECDSA_SHA384 "\x2a\x86\x48\xce\x3d\x04\x03\x03"
#define OID_ECDSA_SHA512 "\x2a\x86\x48\xce\x3d\x04\x03\x04"
#define OID_ED25519 "\x2b\x65\x70"
#define OID_ED448 "\x2b\x65\x71"
#define OID_DSA_SHA1 "\x2a\x86\x48\xce\x38\x04\x03"
#define OID_DSA_SHA224 "\x60\x86\x48\x01\x65\x03\x04\x03\x01"
#define OID_DSA_SHA256 "\x60\x86\x48\x01\x65\x03\x04\x03\x02"
#define OID_SHA1 "\x2b\x0e\x03\x02\x1a"
#define OID_SHA224 "\x60\x86\x48\x01\x65\x03\x04\x02\x04"
#define OID_SHA256 "\x60\x86\x48\x01\x65\x03\x04\x02\x01"
#define OID_SHA384 "\x60\x86\x48\x01\x65\x03\x04\x02\x02"
#define OID_SHA512 "\x60\x86\x48\x01\x65\x03\x04\x02\x03"
#define OID_AT_CN "\x55\x04\x03"

/* ---- tables ---- */

struct alg_row {
    const char *oid;
    size_t oid_len;
    const char *name;
    uint8_t kind, hash;
    uint8_t null_ok; /* parameters may be NULL (RSA PKCS#1) */
};

#define ALG(oid, name, kind, hash, null_ok)                                                        \
    {                                                                                              \
        oid, sizeof(oid) - 1, name, kind, hash, null_ok                                            \
    }
static const struct alg_row algs[] = {
    ALG(OID_RSA_MD5, "md5WithRSAEncryption", MT_SIG_RSA_PKCS1, MT_HASH_MD5, 1),
    ALG(OID_RSA_SHA1, "sha1WithRSAEncryption", MT_SIG_RSA_PKCS1, MT_HASH_SHA1, 1),
    ALG(OID_RSA_SHA224, "sha224WithRSAEncryption", MT_SIG_RSA_PKCS1, MT_HASH_SHA224, 1),
    ALG(OID_RSA_SHA256, "sha256WithRSAEncryption", MT_SIG_RSA_PKCS1, MT_HASH_SHA256, 1),
    ALG(OID_RSA_SHA384, "sha384WithRSAEncryption", MT_SIG_RSA_PKCS1, MT_HASH_SHA384, 1),
    ALG(OID_RSA_SHA512, "sha512WithRSAEncryption", MT_SIG_RSA_PKCS1, MT_HASH_SHA512, 1),
    ALG(OID_RSA_PSS, "rsassaPss", MT_SIG_RSA_PSS, MT_HASH_SHA1, 0),
    ALG(OID_ECDSA_SHA1, "ecdsa-with-SHA1", MT_SIG_ECDSA, MT_HASH_SHA1, 0),
    ALG(OID_ECDSA_SHA224, "ecdsa-with-SHA224", MT_SIG_ECDSA, MT_HASH_SHA224, 0),
    ALG(OID_ECDSA_SHA256, "ecdsa-with-SHA256", MT_SIG_ECDSA, MT_HASH_SHA256, 0),
    ALG(OID_ECDSA_SHA384, "ecdsa-with-SHA384", MT_SIG_ECDSA, MT_HASH_SHA384, 0),
    ALG(OID_ECDSA_SHA512, "ecdsa-with-SHA512", MT_SIG_ECDSA, MT_HASH_SHA512, 0),
    ALG(OID_ED25519, "ED25519", MT_SIG_EDDSA, MT_HASH_NONE, 0),
    ALG(OID_ED448, "ED448", MT_SIG_EDDSA, MT_HASH_NONE, 0),
    ALG(OID_DSA_SHA1, "dsaWithSHA1", MT_SIG_DSA, MT_HASH_SHA1, 0),
    ALG(OID_DSA_SHA224, "dsa_with_SHA224", MT_SIG_DSA, MT_HASH_SHA224, 0),
    ALG(OID_DSA_SHA256, "dsa_with_SHA256", MT_SIG_DSA, MT_HASH_SHA256, 0),
};

struct hash_row {
    const char *oid;
    size_t oid_len;
    uint8_t hash;
};

#define HASH(oid, hash)                                                                            \
    {                                                                                              \
        oid, sizeof(oid) - 1, hash                                                                 \
    }
static const struct hash_row hashes[] = {
    HASH(OID_SHA1, MT_HASH_SHA1),     HASH(OID_SHA224, MT_HASH_SHA224),
    HASH(OID_SHA256, MT_HASH_SHA256), HASH(OID_SHA384, MT_HASH_SHA384),
    HASH(OID_SHA512, MT_HASH_SHA512),
};

struct ext_row {
    const char *oid;
    size_t oid_len;
    const char *name;
    unsigned bit;
    int handled; /* 1: we act on it (or it is informational), so critical is fine */
};

#define EXT(oid, name, bit, handled)                                                               \
    {                                                                                              \
        oid, sizeof(oid) - 1, name, bit, handled                                                   \
    }
static const struct ext_row exts[] = {
    EXT("\x55\x1d\x13", "basicConstraints", MT_EXT_BC, 1),
    EXT("\x55\x1d\x0f", "keyUsage", MT_EXT_KU, 1),
    EXT("\x55\x1d\x25", "extendedKeyUsage", MT_EXT_EKU, 1),
    EXT("\x55\x1d\x11", "subjectAltName", MT_EXT_SAN, 1),
    EXT("\x55\x1d\x1e", "nameConstraints", MT_EXT_NC, 1),
    EXT("\x55\x1d\x23", "authorityKeyIdentifier", MT_EXT_AKI, 1),
    EXT("\x55\x1d\x0e", "subjectKeyIdentifier", MT_EXT_SKI, 1),
    EXT("\x55\x1d\x20", "certificatePolicies", MT_EXT_CP, 1),
    EXT("\x55\x1d\x24", "policyConstraints", MT_EXT_PC, 1),
    EXT("\x2b\x06\x01\x05\x05\x07\x01\x01", "authorityInfoAccess", MT_EXT_AIA, 0),
    EXT("\x55\x1d\x12", "issuerAltName", MT_EXT_IAN, 1),
    EXT("\x55\x1d\x1f", "crlDistributionPoints", MT_EXT_CRLDP, 1),
    EXT("\x55\x1d\x21", "policyMappings", MT_EXT_PM, 1),
    EXT("\x55\x1d\x36", "inhibitAnyPolicy", MT_EXT_IAP, 1),
};

struct eku_row {
    const char *oid;
    size_t oid_len;
    const char *name;
    unsigned bit;
};

#define EKU(oid, name, bit)                                                                        \
    {                                                                                              \
        oid, sizeof(oid) - 1, name, bit                                                            \
    }
static const struct eku_row ekus[] = {
    EKU("\x55\x1d\x25\x00", "anyExtendedKeyUsage", MT_EKU_ANY),
    EKU("\x2b\x06\x01\x05\x05\x07\x03\x01", "serverAuth", MT_EKU_SERVER),
    EKU("\x2b\x06\x01\x05\x05\x07\x03\x02", "clientAuth", MT_EKU_CLIENT),
    EKU("\x2b\x06\x01\x05\x05\x07\x03\x03", "codeSigning", MT_EKU_CODE),
    EKU("\x2b\x06\x01\x05\x05\x07\x03\x04", "emailProtection", MT_EKU_EMAIL),
    EKU("\x2b\x06\x01\x05\x05\x07\x03\x08", "timeStamping", MT_EKU_TIME),
    EKU("\x2b\x06\x01\x05\x05\x07\x03\x09", "OCSPSigning", MT_EKU_OCSP),
};

struct attr_row {
    const char *oid;
    size_t oid_len;
    const char *name;
};

#define ATTR(oid, name)                                                                            \
    {                                                                                              \
        oid, sizeof(oid) - 1, name                                                                 \
    }
static const struct attr_row attrs[] = {
    ATTR(OID_AT_CN, "CN"),
    ATTR("\x55\x04\x04", "SN"),
    ATTR("\x55\x04\x05", "serialNumber"),
    ATTR("\x55\x04\x06", "C"),
    ATTR("\x55\x04\x07", "L"),
    ATTR("\x55\x04\x08", "ST"),
    ATTR("\x55\x04\x09", "street"),
    ATTR("\x55\x04\x0a", "O"),
    ATTR("\x55\x04\x0b", "OU"),
    ATTR("\x55\x04\x0c", "title"),
    ATTR("\x55\x04\x2a", "GN"),
    ATTR("\x55\x04\x2b", "initials"),
    ATTR("\x55\x04\x2c", "generationQualifier"),
    ATTR("\x55\x04\x2e", "dnQualifier"),
    ATTR("\x55\x04\x41", "pseudonym"),
    ATTR("\x55\x04\x61", "organizationIdentifier"),
    ATTR("\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01", "emailAddress"),
    ATTR("\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", "DC"),
    ATTR("\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01", "UID"),
};

/* ---- small helpers ---- */

static int is_string_tag(uint8_t tag)
{
    switch (tag) {
    case MT_ASN1_UTF8_STRING:
    case MT_ASN1_PRINTABLE_STRING:
    case MT_ASN1_T61_STRING:
    case MT_ASN1_IA5_STRING:
    case MT_ASN1_VISIBLE_STRING:
    case MT_ASN1_UNIVERSAL_STRING:
    case MT_ASN1_BMP_STRING:
    case 0x12: /* NumericString */
        return 1;
    default:
        return 0;
    }
}

/* Every byte of p/n below 0x80 (IA5String, RFC 5280 4.2.1.6). */
static int is_ascii(const uint8_t *p, size_t n)
{
    mt_rd r;
    uint8_t b;
    mt_rd_init(&r, p, n);
    while (mt_rd_u8(&r, &b) == 0) {
        if (b >= 0x80) {
            return 0;
        }
    }
    return 1;
}

/* Append code point cp as UTF-8. */
static int put_utf8(mt_wr *w, uint32_t cp)
{
    ENSURE(cp < 0x110000 && (cp < 0xd800 || cp > 0xdfff), CERT_PARSE);
    if (cp < 0x80) {
        return mt_wr_u8(w, (uint8_t)cp);
    }
    if (cp < 0x800) {
        GUARD(mt_wr_u8(w, (uint8_t)(0xc0 | (cp >> 6))));
        return mt_wr_u8(w, (uint8_t)(0x80 | (cp & 0x3f)));
    }
    if (cp < 0x10000) {
        GUARD(mt_wr_u8(w, (uint8_t)(0xe0 | (cp >> 12))));
        GUARD(mt_wr_u8(w, (uint8_t)(0x80 | ((cp >> 6) & 0x3f))));
        return mt_wr_u8(w, (uint8_t)(0x80 | (cp & 0x3f)));
    }
    GUARD(mt_wr_u8(w, (uint8_t)(0xf0 | (cp >> 18))));
    GUARD(mt_wr_u8(w, (uint8_t)(0x80 | ((cp >> 12) & 0x3f))));
    GUARD(mt_wr_u8(w, (uint8_t)(0x80 | ((cp >> 6) & 0x3f))));
    return mt_wr_u8(w, (uint8_t)(0x80 | (cp & 0x3f)));
}

int mt_x509_attr_utf8(const mt_x509_attr *a, mt_wr *out)
{
    mt_rd r;
    mt_rd_init(&r, a->value, a->len);
    switch (a->tag) {
    case MT_ASN1_BMP_STRING:
        ENSURE(a->len % 2 == 0, CERT_PARSE);
        while (mt_rd_left(&r) > 0) {
            uint16_t u;
            GUARD(mt_rd_u16(&r, &u));
            GUARD(put_utf8(out, u));
        }
        return 0;
    case MT_ASN1_UNIVERSAL_STRING:
        ENSURE(a->len % 4 == 0, CERT_PARSE);
        while (mt_rd_left(&r) > 0) {
            uint32_t u;
            GUARD(mt_rd_u32(&r, &u));
            GUARD(put_utf8(out, u));
        }
        return 0;
    case MT_ASN1_T61_STRING:
        /* Treated as Latin-1, as most software does. */
        while (mt_rd_left(&r) > 0) {
            uint8_t b;
            GUARD(mt_rd_u8(&r, &b));
            GUARD(put_utf8(out, b));
        }
        return 0;
    default:
        return mt_wr_bytes(out, a->value, a->len);
    }
}

/* ---- names ---- */

int mt_x509_name_iter_init(mt_x509_name_iter *it, const uint8_t *name, size_t len)
{
    mt_rd r;
    mt_rd_init(&r, name, len);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &it->rdns));
    GUARD(mt_rd_end(&r));
    mt_rd_init(&it->rdn, NULL, 0);
    return 0;
}

int mt_x509_name_next(mt_x509_name_iter *it, mt_x509_attr *a)
{
    mt_rd ava;
    mt_asn1_tlv v;
    if (mt_rd_left(&it->rdn) == 0) {
        if (mt_rd_left(&it->rdns) == 0) {
            return 0;
        }
        GUARD(mt_asn1_expect(&it->rdns, MT_ASN1_SET, &it->rdn));
        /* RFC 5280 4.1.2.4: RelativeDistinguishedName is SET SIZE (1..MAX). */
        ENSURE(mt_rd_left(&it->rdn) > 0, CERT_PARSE);
    }
    GUARD(mt_asn1_expect(&it->rdn, MT_ASN1_SEQUENCE, &ava));
    GUARD(mt_asn1_oid(&ava, &a->oid, &a->oid_len));
    GUARD(mt_asn1_next(&ava, &v));
    GUARD(mt_rd_end(&ava));
    a->tag = v.tag;
    a->value = v.body;
    a->len = v.len;
    a->short_name = NULL;
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
        if (mt_asn1_oid_is(a->oid, a->oid_len, attrs[i].oid, attrs[i].oid_len)) {
            a->short_name = attrs[i].name;
        }
    }
    return 1;
}

/* Walk a Name once: every attribute well formed, string values decodable. */
static int check_name(const uint8_t *name, size_t len)
{
    mt_x509_name_iter it;
    mt_x509_attr a;
    int rc;
    GUARD(mt_x509_name_iter_init(&it, name, len));
    while ((rc = mt_x509_name_next(&it, &a)) == 1) {
        if (a.tag == MT_ASN1_BMP_STRING) {
            ENSURE(a.len % 2 == 0, CERT_PARSE);
        } else if (a.tag == MT_ASN1_UNIVERSAL_STRING) {
            ENSURE(a.len % 4 == 0, CERT_PARSE);
        }
    }
    return rc;
}

int mt_x509_name_text(const uint8_t *name, size_t len, mt_wr *out)
{
    mt_x509_name_iter it;
    mt_x509_attr a;
    int rc, first = 1;
    GUARD(mt_x509_name_iter_init(&it, name, len));
    while ((rc = mt_x509_name_next(&it, &a)) == 1) {
        if (!first) {
            GUARD(mt_wr_bytes(out, ", ", 2));
        }
        first = 0;
        if (a.short_name) {
            GUARD(mt_wr_bytes(out, a.short_name, strlen(a.short_name)));
        } else {
            char buf[128];
            GUARD(mt_asn1_oid_text(a.oid, a.oid_len, buf, sizeof(buf)));
            GUARD(mt_wr_bytes(out, buf, strlen(buf)));
        }
        GUARD(mt_wr_u8(out, '='));
        if (is_string_tag(a.tag)) {
            GUARD(mt_x509_attr_utf8(&a, out));
        } else {
            GUARD(mt_wr_bytes(out, "#<binary>", 9));
        }
    }
    return rc;
}

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Append the canonical form of one attribute value (RFC 5280 7.1 / RFC 4518 in short):
 * for text strings the UTF-8 value, ASCII-lower-cased, outer spaces removed and inner runs
 * of spaces collapsed to one; other types keep tag and bytes. */
static int canon_value(const mt_x509_attr *a, mt_wr *out)
{
    if (!is_string_tag(a->tag)) {
        GUARD(mt_wr_u8(out, a->tag));
        GUARD(mt_wr_u32(out, (uint32_t)a->len));
        return mt_wr_bytes(out, a->value, a->len);
    }
    mt_wr u;
    mt_wr_init_growable(&u, 1u << 20);
    int rc = mt_x509_attr_utf8(a, &u);
    if (rc == 0) {
        mt_rd r;
        uint8_t c;
        int pending_space = 0, any = 0;
        GUARD(mt_wr_u8(out, 's'));
        mt_rd_init(&r, u.p, u.len);
        while (rc == 0 && mt_rd_u8(&r, &c) == 0) {
            if (c == ' ') {
                pending_space = any;
                continue;
            }
            if (pending_space) {
                rc = mt_wr_u8(out, ' ');
            }
            pending_space = 0;
            any = 1;
            if (rc == 0) {
                rc = mt_wr_u8(out, lower(c));
            }
        }
        if (rc == 0) {
            rc = mt_wr_u8(out, 0);
        }
    }
    mt_wr_free(&u);
    return rc;
}

/* Canonical form of one RDN (a SET body) into out. */
static int canon_rdn(mt_rd *rdn, mt_wr *out)
{
    while (mt_rd_left(rdn) > 0) {
        mt_rd ava;
        mt_asn1_tlv v;
        mt_x509_attr a;
        GUARD(mt_asn1_expect(rdn, MT_ASN1_SEQUENCE, &ava));
        GUARD(mt_asn1_oid(&ava, &a.oid, &a.oid_len));
        GUARD(mt_asn1_next(&ava, &v));
        a.tag = v.tag;
        a.value = v.body;
        a.len = v.len;
        GUARD(mt_wr_u8(out, (uint8_t)a.oid_len));
        GUARD(mt_wr_bytes(out, a.oid, a.oid_len));
        GUARD(canon_value(&a, out));
    }
    return mt_wr_u8(out, '/');
}

int mt_x509_canon_name(const uint8_t *name, size_t len, mt_wr *out)
{
    mt_rd r, rdns, rdn;
    mt_rd_init(&r, name, len);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &rdns));
    while (mt_rd_left(&rdns) > 0) {
        GUARD(mt_asn1_expect(&rdns, MT_ASN1_SET, &rdn));
        GUARD(canon_rdn(&rdn, out));
    }
    return 0;
}

int mt_x509_name_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen == blen && memcmp(a, b, alen) == 0) {
        return 1;
    }
    mt_wr ca, cb;
    mt_wr_init_growable(&ca, 1u << 20);
    mt_wr_init_growable(&cb, 1u << 20);
    int eq = mt_x509_canon_name(a, alen, &ca) == 0 && mt_x509_canon_name(b, blen, &cb) == 0 &&
             ca.len == cb.len && memcmp(ca.p, cb.p, ca.len) == 0;
    mt_wr_free(&ca);
    mt_wr_free(&cb);
    return eq;
}

/* ---- algorithm identifiers ---- */

/* A hash AlgorithmIdentifier (parameters NULL or absent). */
static int parse_hash_alg(mt_rd *r, uint8_t *hash)
{
    mt_rd seq;
    const uint8_t *oid;
    size_t n;
    GUARD(mt_asn1_expect(r, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_asn1_oid(&seq, &oid, &n));
    if (mt_rd_left(&seq) > 0) {
        GUARD(mt_asn1_null(&seq));
    }
    GUARD(mt_rd_end(&seq));
    *hash = MT_HASH_NONE;
    for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
        if (mt_asn1_oid_is(oid, n, hashes[i].oid, hashes[i].oid_len)) {
            *hash = hashes[i].hash;
        }
    }
    return 0;
}

/* RFC 4055 3.1: RSASSA-PSS-params; defaults SHA-1, MGF1-SHA-1, salt 20, trailer 1. We can
 * check only MGF1 with the message hash and trailer 1: anything else leaves kind NONE. */
static int parse_pss(mt_rd *params, mt_sig_alg *alg)
{
    mt_rd seq, f;
    int present;
    uint8_t hash = MT_HASH_SHA1, mgf_hash = MT_HASH_SHA1;
    int64_t salt = 20, trailer = 1;
    GUARD(mt_asn1_expect(params, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 0, &f, &present));
    if (present) {
        GUARD(parse_hash_alg(&f, &hash));
        GUARD(mt_rd_end(&f));
    }
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 1, &f, &present));
    if (present) {
        mt_rd mgf;
        const uint8_t *oid;
        size_t n;
        GUARD(mt_asn1_expect(&f, MT_ASN1_SEQUENCE, &mgf));
        GUARD(mt_asn1_oid(&mgf, &oid, &n));
        ENSURE(MT_OID_IS(oid, n, OID_MGF1), CERT_PARSE);
        GUARD(parse_hash_alg(&mgf, &mgf_hash));
        GUARD(mt_rd_end(&mgf));
        GUARD(mt_rd_end(&f));
    }
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 2, &f, &present));
    if (present) {
        GUARD(mt_asn1_small(&f, &salt));
        GUARD(mt_rd_end(&f));
    }
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 3, &f, &present));
    if (present) {
        GUARD(mt_asn1_small(&f, &trailer));
        GUARD(mt_rd_end(&f));
    }
    GUARD(mt_rd_end(&seq));
    if (hash != MT_HASH_NONE && hash == mgf_hash && trailer == 1 && salt <= 0xffff) {
        alg->kind = MT_SIG_RSA_PSS;
        alg->hash = hash;
        alg->salt_len = (uint16_t)salt;
    }
    return 0;
}

static int parse_sig_alg(mt_rd *r, const uint8_t **raw, size_t *raw_len, mt_sig_alg *alg, int *row)
{
    mt_rd seq, all;
    const uint8_t *oid;
    size_t n;
    GUARD(mt_asn1_raw(r, MT_ASN1_SEQUENCE, raw, raw_len));
    mt_rd_init(&all, *raw, *raw_len);
    GUARD(mt_asn1_expect(&all, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_asn1_oid(&seq, &oid, &n));
    memset(alg, 0, sizeof(*alg));
    *row = -1;
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        if (mt_asn1_oid_is(oid, n, algs[i].oid, algs[i].oid_len)) {
            *row = (int)i;
        }
    }
    if (*row < 0) {
        return 0; /* unknown: the certificate parses, its signature cannot be checked */
    }
    const struct alg_row *a = &algs[*row];
    if (a->kind == MT_SIG_RSA_PSS) {
        return parse_pss(&seq, alg);
    }
    if (mt_rd_left(&seq) > 0) {
        /* RFC 4055 5 / RFC 5758 3.2 / RFC 8410 3: NULL for RSA only, absent otherwise. */
        ENSURE(a->null_ok, CERT_PARSE);
        GUARD(mt_asn1_null(&seq));
    }
    GUARD(mt_rd_end(&seq));
    alg->kind = a->kind;
    alg->hash = a->hash;
    return 0;
}

/* ---- GeneralNames ---- */

int mt_x509_gn_next(mt_rd *it, mt_x509_gn *gn)
{
    mt_asn1_tlv t;
    if (mt_rd_left(it) == 0) {
        return 0;
    }
    GUARD(mt_asn1_next(it, &t));
    ENSURE((t.tag & 0xc0) == MT_ASN1_CONTEXT, CERT_PARSE);
    gn->type = t.tag & 0x1f;
    gn->value = t.body;
    gn->len = t.len;
    switch (gn->type) {
    case MT_GN_EMAIL:
    case MT_GN_DNS:
    case MT_GN_URI:
        /* RFC 5280 4.2.1.6: IA5String, primitive, 7-bit. */
        ENSURE(t.tag == (MT_ASN1_CONTEXT | gn->type), CERT_PARSE);
        ENSURE(is_ascii(t.body, t.len), CERT_PARSE);
        return 1;
    case MT_GN_IP:
        ENSURE(t.tag == (MT_ASN1_CONTEXT | MT_GN_IP), CERT_PARSE);
        return 1;
    case MT_GN_RID: {
        char buf[160];
        int rc = mt_asn1_oid_text(t.body, t.len, buf, sizeof(buf));
        ENSURE(t.tag == (MT_ASN1_CONTEXT | MT_GN_RID), CERT_PARSE);
        ENSURE(rc == 0 || rc == -MT_E_BUFFER_FULL, CERT_PARSE);
        return 1;
    }
    case MT_GN_DIRNAME: {
        mt_rd body;
        const uint8_t *raw;
        size_t raw_len;
        ENSURE(t.tag == (MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 4), CERT_PARSE);
        mt_rd_init(&body, t.body, t.len);
        GUARD(mt_asn1_raw(&body, MT_ASN1_SEQUENCE, &raw, &raw_len));
        GUARD(mt_rd_end(&body));
        GUARD(check_name(raw, raw_len));
        gn->value = raw;
        gn->len = raw_len;
        return 1;
    }
    case MT_GN_OTHER: {
        mt_rd body, val;
        const uint8_t *oid;
        size_t n;
        ENSURE(t.tag == (MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 0), CERT_PARSE);
        mt_rd_init(&body, t.body, t.len);
        GUARD(mt_asn1_oid(&body, &oid, &n));
        GUARD(mt_asn1_expect(&body, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 0, &val));
        GUARD(mt_rd_end(&body));
        return 1;
    }
    case MT_GN_X400:
    case MT_GN_EDI:
        ENSURE(t.tag & MT_ASN1_CONSTRUCTED, CERT_PARSE);
        return 1;
    default:
        return -MT_E_CERT_PARSE;
    }
}

int mt_x509_subtree_next(mt_rd *it, mt_x509_gn *gn)
{
    mt_rd st;
    int rc;
    if (mt_rd_left(it) == 0) {
        return 0;
    }
    GUARD(mt_asn1_expect(it, MT_ASN1_SEQUENCE, &st));
    rc = mt_x509_gn_next(&st, gn);
    GUARD(rc);
    ENSURE(rc == 1, CERT_PARSE);
    /* RFC 5280 4.2.1.10: minimum MUST be zero (DER: absent) and maximum MUST be absent. */
    GUARD(mt_rd_end(&st));
    return 1;
}

/* RFC 5280 4.2.1.6: an IP SAN holds 4 or 16 octets. */
static int check_general_names(const uint8_t *p, size_t n, int subtrees)
{
    mt_rd it;
    mt_x509_gn gn;
    int rc;
    mt_rd_init(&it, p, n);
    /* GeneralNames and GeneralSubtrees are SEQUENCE SIZE (1..MAX). */
    ENSURE(n > 0, CERT_PARSE);
    while ((rc = subtrees ? mt_x509_subtree_next(&it, &gn) : mt_x509_gn_next(&it, &gn)) == 1) {
        if (gn.type == MT_GN_IP) {
            ENSURE(subtrees ? (gn.len == 8 || gn.len == 32) : (gn.len == 4 || gn.len == 16),
                   CERT_PARSE);
        }
    }
    return rc;
}

/* ---- extensions ---- */

int mt_x509_ext_next(mt_rd *it, mt_x509_ext *e)
{
    mt_rd ext, val;
    uint8_t tag;
    if (mt_rd_left(it) == 0) {
        return 0;
    }
    GUARD(mt_asn1_expect(it, MT_ASN1_SEQUENCE, &ext));
    GUARD(mt_asn1_oid(&ext, &e->oid, &e->oid_len));
    e->critical = 0;
    if (mt_asn1_peek(&ext, &tag) == 0 && tag == MT_ASN1_BOOLEAN) {
        GUARD(mt_asn1_bool(&ext, &e->critical));
    }
    GUARD(mt_asn1_expect(&ext, MT_ASN1_OCTET_STRING, &val));
    GUARD(mt_rd_borrow(&val, mt_rd_left(&val), &e->value));
    e->len = val.len;
    GUARD(mt_rd_end(&ext));
    return 1;
}

int mt_x509_eku_next(mt_rd *it, const uint8_t **oid, size_t *n)
{
    if (mt_rd_left(it) == 0) {
        return 0;
    }
    GUARD(mt_asn1_oid(it, oid, n));
    return 1;
}

const char *mt_x509_ext_name(const uint8_t *oid, size_t n)
{
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        if (mt_asn1_oid_is(oid, n, exts[i].oid, exts[i].oid_len)) {
            return exts[i].name;
        }
    }
    return NULL;
}

const char *mt_x509_eku_name(const uint8_t *oid, size_t n)
{
    for (size_t i = 0; i < sizeof(ekus) / sizeof(ekus[0]); i++) {
        if (mt_asn1_oid_is(oid, n, ekus[i].oid, ekus[i].oid_len)) {
            return ekus[i].name;
        }
    }
    return NULL;
}

/* The value of an extension must be exactly one TLV with `tag`; *body reads its contents. */
static int ext_value(const mt_x509_ext *e, uint8_t tag, mt_rd *body)
{
    mt_rd r;
    mt_rd_init(&r, e->value, e->len);
    GUARD(mt_asn1_expect(&r, tag, body));
    return mt_rd_end(&r);
}

static int parse_bc(mt_x509 *c, const mt_x509_ext *e)
{
    mt_rd seq;
    uint8_t tag;
    GUARD(ext_value(e, MT_ASN1_SEQUENCE, &seq));
    if (mt_asn1_peek(&seq, &tag) == 0 && tag == MT_ASN1_BOOLEAN) {
        GUARD(mt_asn1_bool(&seq, &c->is_ca));
    }
    if (mt_rd_left(&seq) > 0) {
        int64_t v;
        GUARD(mt_asn1_small(&seq, &v));
        c->pathlen = v > 255 ? 255 : (int)v;
    }
    return mt_rd_end(&seq);
}

static int parse_ku(mt_x509 *c, const mt_x509_ext *e)
{
    mt_rd r, bits;
    const uint8_t *p;
    size_t n;
    unsigned unused, i = 0;
    uint8_t b;
    mt_rd_init(&r, e->value, e->len);
    GUARD(mt_asn1_bits(&r, &p, &n, &unused));
    GUARD(mt_rd_end(&r));
    mt_rd_init(&bits, p, n);
    c->key_usage = 0;
    while (mt_rd_u8(&bits, &b) == 0) {
        for (int k = 7; k >= 0; k--, i++) {
            if (((b >> k) & 1) && i < 16) {
                c->key_usage |= 1u << i;
            }
        }
    }
    /* RFC 5280 4.2.1.3: when the extension appears, at least one bit MUST be set. */
    ENSURE(c->key_usage != 0, CERT_PARSE);
    return 0;
}

static int parse_eku(mt_x509 *c, const mt_x509_ext *e)
{
    mt_rd seq, it;
    const uint8_t *oid;
    size_t n;
    int rc;
    GUARD(ext_value(e, MT_ASN1_SEQUENCE, &seq));
    /* RFC 5280 4.2.1.12: KeyPurposeId SEQUENCE SIZE (1..MAX). */
    ENSURE(mt_rd_left(&seq) > 0, CERT_PARSE);
    GUARD(mt_rd_borrow(&seq, mt_rd_left(&seq), &c->eku_body));
    c->eku_len = seq.len;
    mt_rd_init(&it, c->eku_body, c->eku_len);
    c->eku = 0;
    while ((rc = mt_x509_eku_next(&it, &oid, &n)) == 1) {
        unsigned bit = MT_EKU_OTHER;
        for (size_t i = 0; i < sizeof(ekus) / sizeof(ekus[0]); i++) {
            if (mt_asn1_oid_is(oid, n, ekus[i].oid, ekus[i].oid_len)) {
                bit = ekus[i].bit;
            }
        }
        c->eku |= bit;
    }
    return rc;
}

static int parse_san(mt_x509 *c, const mt_x509_ext *e)
{
    mt_rd seq;
    GUARD(ext_value(e, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_rd_borrow(&seq, mt_rd_left(&seq), &c->san));
    c->san_len = seq.len;
    return check_general_names(c->san, c->san_len, 0);
}

/* RFC 5280 4.2.1.10 forms we can check: a DNS constraint is a host name (no wildcard, no
 * leading dot), an email constraint a mailbox, a host or ".domain", an IP constraint an
 * address and a contiguous mask. Malformed constraints make the certificate malformed. */
static int check_dns_text(const uint8_t *p, size_t n, int allow_leading_dot)
{
    mt_rd r;
    uint8_t ch, prev = '.';
    mt_rd_init(&r, p, n);
    if (n == 0) {
        return 0;
    }
    if (allow_leading_dot && n > 1 && mt_rd_u8(&r, &ch) == 0 && ch != '.') {
        mt_rd_init(&r, p, n);
    }
    while (mt_rd_u8(&r, &ch) == 0) {
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '-' || ch == '.';
        ENSURE(ok, CERT_PARSE);
        ENSURE(!(ch == '.' && prev == '.'), CERT_PARSE);
        prev = ch;
    }
    ENSURE(prev != '.', CERT_PARSE);
    return 0;
}

static int check_ip_constraint(const uint8_t *p, size_t n)
{
    mt_rd r;
    uint8_t b;
    int seen_zero = 0;
    mt_rd_init(&r, p, n);
    GUARD(mt_rd_skip(&r, n / 2));
    while (mt_rd_u8(&r, &b) == 0) {
        for (int k = 7; k >= 0; k--) {
            int bit = (b >> k) & 1;
            ENSURE(!(bit && seen_zero), CERT_PARSE);
            seen_zero |= !bit;
        }
    }
    return 0;
}

static int check_email_constraint(const uint8_t *p, size_t n)
{
    mt_rd r;
    uint8_t ch;
    size_t at = 0, ats = 0, i = 0;
    mt_rd_init(&r, p, n);
    while (mt_rd_u8(&r, &ch) == 0) {
        if (ch == '@') {
            ats++;
            at = i;
        }
        i++;
    }
    ENSURE(ats <= 1, CERT_PARSE);
    if (ats == 1) {
        ENSURE(at > 0 && at + 1 < n, CERT_PARSE);
        const uint8_t *domain;
        mt_rd_init(&r, p, n);
        GUARD(mt_rd_skip(&r, at + 1));
        GUARD(mt_rd_borrow(&r, n - at - 1, &domain));
        return check_dns_text(domain, n - at - 1, 0);
    }
    return check_dns_text(p, n, 1);
}

static int check_subtrees(const uint8_t *p, size_t n)
{
    mt_rd it;
    mt_x509_gn gn;
    int rc;
    GUARD(check_general_names(p, n, 1));
    mt_rd_init(&it, p, n);
    while ((rc = mt_x509_subtree_next(&it, &gn)) == 1) {
        switch (gn.type) {
        case MT_GN_DNS:
            GUARD(check_dns_text(gn.value, gn.len, 0));
            break;
        case MT_GN_IP:
            GUARD(check_ip_constraint(gn.value, gn.len));
            break;
        case MT_GN_EMAIL:
            GUARD(check_email_constraint(gn.value, gn.len));
            break;
        case MT_GN_URI:
            GUARD(check_dns_text(gn.value, gn.len, 1));
            break;
        default:
            break;
        }
    }
    return rc;
}

static int parse_nc(mt_x509 *c, const mt_x509_ext *e)
{
    mt_rd seq, sub;
    int present;
    GUARD(ext_value(e, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 0, &sub, &present));
    if (present) {
        GUARD(mt_rd_borrow(&sub, mt_rd_left(&sub), &c->nc_permitted));
        c->nc_permitted_len = sub.len;
        GUARD(check_subtrees(c->nc_permitted, c->nc_permitted_len));
    }
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 1, &sub, &present));
    if (present) {
        GUARD(mt_rd_borrow(&sub, mt_rd_left(&sub), &c->nc_excluded));
        c->nc_excluded_len = sub.len;
        GUARD(check_subtrees(c->nc_excluded, c->nc_excluded_len));
    }
    /* RFC 5280 4.2.1.10: either permittedSubtrees or excludedSubtrees MUST be present. */
    ENSURE(c->nc_permitted || c->nc_excluded, CERT_PARSE);
    return mt_rd_end(&seq);
}

static int parse_aki(mt_x509 *c, const mt_x509_ext *e)
{
    mt_rd seq, f;
    int present;
    GUARD(ext_value(e, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | 0, &f, &present));
    if (present) {
        GUARD(mt_rd_borrow(&f, mt_rd_left(&f), &c->aki));
        c->aki_len = f.len;
    }
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 1, &f, &present));
    if (present) {
        GUARD(check_general_names(f.p, f.len, 0));
        c->aki_has_issuer = 1;
    }
    GUARD(mt_asn1_optional(&seq, MT_ASN1_CONTEXT | 2, &f, &present));
    if (present) {
        c->aki_has_issuer = 1;
    }
    return mt_rd_end(&seq);
}

static int parse_ski(mt_x509 *c, const mt_x509_ext *e)
{
    mt_rd os;
    GUARD(ext_value(e, MT_ASN1_OCTET_STRING, &os));
    GUARD(mt_rd_borrow(&os, mt_rd_left(&os), &c->ski));
    c->ski_len = os.len;
    return 0;
}

/* A SEQUENCE SIZE (1..MAX) OF SEQUENCE { OID, ... } (certificatePolicies, AIA). */
static int parse_seq_of_oid_seq(const mt_x509_ext *e)
{
    mt_rd seq, item;
    const uint8_t *oid;
    size_t n;
    GUARD(ext_value(e, MT_ASN1_SEQUENCE, &seq));
    ENSURE(mt_rd_left(&seq) > 0, CERT_PARSE);
    while (mt_rd_left(&seq) > 0) {
        GUARD(mt_asn1_expect(&seq, MT_ASN1_SEQUENCE, &item));
        GUARD(mt_asn1_oid(&item, &oid, &n));
    }
    return mt_asn1_walk(e->value, e->len, MT_ASN1_MAX_DEPTH);
}

static int parse_aia(const mt_x509_ext *e)
{
    mt_rd seq, item;
    const uint8_t *oid;
    size_t n;
    mt_x509_gn gn;
    GUARD(ext_value(e, MT_ASN1_SEQUENCE, &seq));
    /* RFC 5280 4.2.2.1: SEQUENCE SIZE (1..MAX) OF AccessDescription. */
    ENSURE(mt_rd_left(&seq) > 0, CERT_PARSE);
    while (mt_rd_left(&seq) > 0) {
        GUARD(mt_asn1_expect(&seq, MT_ASN1_SEQUENCE, &item));
        GUARD(mt_asn1_oid(&item, &oid, &n));
        int rc = mt_x509_gn_next(&item, &gn);
        GUARD(rc);
        ENSURE(rc == 1, CERT_PARSE);
        GUARD(mt_rd_end(&item));
    }
    return 0;
}

static int parse_one_ext(mt_x509 *c, const mt_x509_ext *e)
{
    int row = -1;
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        if (mt_asn1_oid_is(e->oid, e->oid_len, exts[i].oid, exts[i].oid_len)) {
            row = (int)i;
        }
    }
    if (row < 0) {
        /* RFC 5280 4.2: a certificate-using system MUST reject the certificate if it
         * encounters a critical extension it does not recognize. */
        c->unknown_critical |= e->critical;
        return 0;
    }
    unsigned bit = exts[row].bit;
    c->ext_present |= bit;
    if (e->critical) {
        c->ext_critical |= bit;
        c->unknown_critical |= !exts[row].handled;
    }
    switch (bit) {
    case MT_EXT_BC:
        return parse_bc(c, e);
    case MT_EXT_KU:
        return parse_ku(c, e);
    case MT_EXT_EKU:
        return parse_eku(c, e);
    case MT_EXT_SAN:
        return parse_san(c, e);
    case MT_EXT_NC:
        return parse_nc(c, e);
    case MT_EXT_AKI:
        return parse_aki(c, e);
    case MT_EXT_SKI:
        return parse_ski(c, e);
    case MT_EXT_CP:
        return parse_seq_of_oid_seq(e);
    case MT_EXT_AIA:
        return parse_aia(e);
    case MT_EXT_IAN: {
        mt_rd seq;
        GUARD(ext_value(e, MT_ASN1_SEQUENCE, &seq));
        return check_general_names(seq.p, seq.len, 0);
    }
    default:
        return mt_asn1_walk(e->value, e->len, MT_ASN1_MAX_DEPTH);
    }
}

static int parse_extensions(mt_x509 *c, mt_rd *tbs)
{
    mt_rd wrap, seq, it, it2;
    mt_x509_ext e, e2;
    int present, rc;
    GUARD(mt_asn1_optional(tbs, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 3, &wrap, &present));
    if (!present) {
        return 0;
    }
    /* RFC 5280 4.1.2.9: extensions appear only in version 3 certificates. */
    ENSURE(c->version == 3, CERT_PARSE);
    GUARD(mt_asn1_expect(&wrap, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_rd_end(&wrap));
    /* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension */
    ENSURE(mt_rd_left(&seq) > 0, CERT_PARSE);
    GUARD(mt_rd_borrow(&seq, mt_rd_left(&seq), &c->exts));
    c->exts_len = seq.len;
    mt_rd_init(&it, c->exts, c->exts_len);
    while ((rc = mt_x509_ext_next(&it, &e)) == 1) {
        /* RFC 5280 4.2: a certificate MUST NOT include more than one instance of an
         * extension. Bounded: the extensions fit in the certificate. */
        mt_rd_init(&it2, c->exts, c->exts_len);
        int seen = 0;
        while (mt_x509_ext_next(&it2, &e2) == 1) {
            seen += e2.oid_len == e.oid_len && memcmp(e2.oid, e.oid, e.oid_len) == 0;
        }
        ENSURE(seen == 1, CERT_PARSE);
        GUARD(parse_one_ext(c, &e));
    }
    return rc;
}

/* ---- the certificate ---- */

static int parse_validity(mt_x509 *c, mt_rd *tbs)
{
    mt_rd v;
    GUARD(mt_asn1_expect(tbs, MT_ASN1_SEQUENCE, &v));
    GUARD(mt_asn1_time(&v, &c->not_before));
    GUARD(mt_asn1_time(&v, &c->not_after));
    return mt_rd_end(&v);
}

static int parse_tbs(mt_x509 *c, mt_rd *tbs, const uint8_t **inner_alg, size_t *inner_len)
{
    mt_rd f;
    int present, row;
    mt_sig_alg alg;
    GUARD(mt_asn1_optional(tbs, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 0, &f, &present));
    c->version = 1;
    if (present) {
        int64_t v;
        GUARD(mt_asn1_small(&f, &v));
        GUARD(mt_rd_end(&f));
        /* DER: the DEFAULT v1 is never encoded. */
        ENSURE(v == 1 || v == 2, CERT_PARSE);
        c->version = (int)v + 1;
    }
    GUARD(mt_asn1_integer(tbs, &c->serial, &c->serial_len));
    ENSURE(c->serial_len <= 64, CERT_PARSE);
    GUARD(parse_sig_alg(tbs, inner_alg, inner_len, &alg, &row));
    GUARD(mt_asn1_raw(tbs, MT_ASN1_SEQUENCE, &c->issuer, &c->issuer_len));
    GUARD(check_name(c->issuer, c->issuer_len));
    GUARD(parse_validity(c, tbs));
    GUARD(mt_asn1_raw(tbs, MT_ASN1_SEQUENCE, &c->subject, &c->subject_len));
    GUARD(check_name(c->subject, c->subject_len));
    GUARD(mt_asn1_raw(tbs, MT_ASN1_SEQUENCE, &c->spki, &c->spki_len));
    GUARD(mt_asn1_walk(c->spki, c->spki_len, MT_ASN1_MAX_DEPTH));
    /* issuerUniqueID [1] and subjectUniqueID [2]: v2 or v3 only (RFC 5280 4.1.2.8). */
    for (uint8_t tag = MT_ASN1_CONTEXT | 1; tag <= (MT_ASN1_CONTEXT | 2); tag++) {
        GUARD(mt_asn1_optional(tbs, tag, &f, &present));
        ENSURE(!present || c->version >= 2, CERT_PARSE);
    }
    GUARD(parse_extensions(c, tbs));
    return mt_rd_end(tbs);
}

static int parse_cert(mt_x509 *c)
{
    mt_rd r, cert, tbs, tbs_all;
    const uint8_t *inner;
    size_t inner_len;
    int row;
    mt_rd_init(&r, c->der, c->der_len);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &cert));
    GUARD(mt_rd_end(&r));
    GUARD(mt_asn1_raw(&cert, MT_ASN1_SEQUENCE, &c->tbs, &c->tbs_len));
    mt_rd_init(&tbs_all, c->tbs, c->tbs_len);
    GUARD(mt_asn1_expect(&tbs_all, MT_ASN1_SEQUENCE, &tbs));
    c->pathlen = -1;
    GUARD(parse_tbs(c, &tbs, &inner, &inner_len));
    GUARD(parse_sig_alg(&cert, &c->sig_alg_raw, &c->sig_alg_raw_len, &c->sig_alg, &row));
    /* RFC 5280 4.1.1.2: signatureAlgorithm MUST equal the signature field of the TBS. */
    ENSURE(inner_len == c->sig_alg_raw_len && memcmp(inner, c->sig_alg_raw, inner_len) == 0,
           CERT_PARSE);
    GUARD(mt_asn1_bits_bytes(&cert, &c->sig, &c->sig_len));
    GUARD(mt_rd_end(&cert));
    c->self_issued = mt_x509_name_eq(c->subject, c->subject_len, c->issuer, c->issuer_len);
    return 0;
}

int mt_x509_parse(const uint8_t *der, size_t len, mt_x509 **out)
{
    *out = NULL;
    ENSURE(len > 0, CERT_PARSE);
    mt_x509 *c = calloc(1, sizeof(*c));
    ENSURE(c, NOMEM);
    c->der = malloc(len);
    if (!c->der) {
        free(c);
        return -MT_E_NOMEM;
    }
    memcpy(c->der, der, len);
    c->der_len = len;
    int rc = parse_cert(c);
    if (rc < 0) {
        mt_x509_free(c);
        return rc == -MT_E_NOMEM ? rc : -MT_E_CERT_PARSE;
    }
    *out = c;
    return 0;
}

void mt_x509_free(mt_x509 *c)
{
    if (c) {
        free(c->der);
        free(c);
    }
}

void mt_x509_free_list(mt_x509 **list, size_t n)
{
    if (list) {
        for (size_t i = 0; i < n; i++) {
            mt_x509_free(list[i]);
        }
        free(list);
    }
}

static int list_push(mt_x509 ***list, size_t *n, size_t *cap, mt_x509 *c)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        mt_x509 **p = realloc(*list, ncap * sizeof(*p));
        ENSURE(p, NOMEM);
        *list = p;
        *cap = ncap;
    }
    (*list)[(*n)++] = c;
    return 0;
}

static int parse_all_pem(const uint8_t *data, size_t len, mt_x509 ***list, size_t *n)
{
    mt_rd text;
    mt_wr der;
    char label[MT_PEM_MAX_LABEL + 1];
    size_t cap = 0;
    int rc;
    mt_rd_init(&text, data, len);
    mt_wr_init_growable(&der, 1u << 24);
    while ((rc = mt_pem_next(&text, label, &der)) == 1) {
        if (strcmp(label, "CERTIFICATE") == 0) {
            mt_x509 *c;
            rc = mt_x509_parse(der.p, der.len, &c);
            if (rc == 0) {
                rc = list_push(list, n, &cap, c);
                if (rc < 0) {
                    mt_x509_free(c);
                }
            }
            if (rc < 0) {
                break;
            }
        }
        mt_wr_reset(&der);
    }
    mt_wr_free(&der);
    if (rc == 0 && *n == 0) {
        rc = -MT_E_PEM_NONE;
    }
    return rc;
}

int mt_x509_parse_all(const uint8_t *data, size_t len, mt_x509 ***out, size_t *n)
{
    mt_x509 **list = NULL;
    size_t count = 0;
    int rc;
    *out = NULL;
    *n = 0;
    if (mt_pem_is_pem(data, len)) {
        rc = parse_all_pem(data, len, &list, &count);
    } else {
        mt_x509 *c;
        size_t cap = 0;
        rc = mt_x509_parse(data, len, &c);
        if (rc == 0) {
            rc = list_push(&list, &count, &cap, c);
            if (rc < 0) {
                mt_x509_free(c);
            }
        }
    }
    if (rc < 0) {
        mt_x509_free_list(list, count);
        return rc;
    }
    *out = list;
    *n = count;
    return 0;
}

const char *mt_x509_sigalg_name(const mt_x509 *c)
{
    mt_rd r, seq;
    const uint8_t *oid;
    size_t n;
    mt_rd_init(&r, c->sig_alg_raw, c->sig_alg_raw_len);
    if (mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq) < 0 || mt_asn1_oid(&seq, &oid, &n) < 0) {
        return "unknown";
    }
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        if (mt_asn1_oid_is(oid, n, algs[i].oid, algs[i].oid_len)) {
            return algs[i].name;
        }
    }
    return "unknown";
}

/* ---- host names (RFC 6125 6.4) ---- */

#define HOST_MAX 255

/* Copy a host name, dropping one trailing dot and lower-casing; 0 if unusable. */
static size_t host_norm(const char *in, size_t n, char *out)
{
    if (n > 0 && in[n - 1] == '.') {
        n--;
    }
    if (n == 0 || n > HOST_MAX - 1) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = (char)lower((uint8_t)in[i]);
    }
    out[n] = 0;
    return n;
}

/* A name of LDH labels (letters, digits, hyphens), none empty or over 63 octets; the first
 * label may be "*" when `wild`. Returns the number of labels, 0 if invalid. */
static int ldh_labels(const char *s, size_t n, int wild)
{
    int labels = 1;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '.') {
            if (len == 0) {
                return 0;
            }
            labels++;
            len = 0;
            continue;
        }
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                 (wild && ch == '*' && i == 0 && n > 1 && s[1] == '.');
        if (!ok || ++len > 63) {
            return 0;
        }
    }
    return len == 0 ? 0 : labels;
}

int mt_x509_host_match(const char *pattern, size_t plen, const char *host, size_t hlen)
{
    char p[HOST_MAX], h[HOST_MAX];
    size_t pn = host_norm(pattern, plen, p), hn = host_norm(host, hlen, h);
    if (pn == 0 || hn == 0 || ldh_labels(h, hn, 0) == 0) {
        return 0;
    }
    int plabels = ldh_labels(p, pn, 1);
    if (plabels == 0) {
        return 0;
    }
    if (p[0] != '*') {
        return pn == hn && memcmp(p, h, pn) == 0;
    }
    /* RFC 6125 6.4.3: the wildcard is the whole left-most label and matches exactly one
     * label. We also refuse "*.tld"-style patterns: at least two labels must follow. */
    if (plabels < 3) {
        return 0;
    }
    const char *dot = memchr(h, '.', hn);
    if (!dot || dot == h) {
        return 0;
    }
    size_t rest = hn - (size_t)(dot - h);
    return rest == pn - 1 && memcmp(dot, p + 1, rest) == 0;
}

static int parse_ip(const char *text, uint8_t addr[16], size_t *n)
{
    if (inet_pton(AF_INET, text, addr) == 1) {
        *n = 4;
        return 1;
    }
    if (inet_pton(AF_INET6, text, addr) == 1) {
        *n = 16;
        return 1;
    }
    return 0;
}

int mt_x509_check_ip(const mt_x509 *c, const char *ip)
{
    uint8_t addr[16];
    size_t n;
    mt_rd it;
    mt_x509_gn gn;
    if (!parse_ip(ip, addr, &n)) {
        return 0;
    }
    mt_rd_init(&it, c->san, c->san_len);
    while (mt_x509_gn_next(&it, &gn) == 1) {
        if (gn.type == MT_GN_IP && gn.len == n && memcmp(gn.value, addr, n) == 0) {
            return 1;
        }
    }
    return 0;
}

int mt_x509_check_host(const mt_x509 *c, const char *host, int cn_fallback)
{
    uint8_t addr[16];
    size_t an, hlen = strlen(host);
    mt_rd it;
    mt_x509_gn gn;
    int has_dns = 0;
    /* RFC 6125 6.2.1 / RFC 5280 4.2.1.6: an IP reference identity matches iPAddress only. */
    if (parse_ip(host, addr, &an)) {
        return 0;
    }
    mt_rd_init(&it, c->san, c->san_len);
    while (mt_x509_gn_next(&it, &gn) == 1) {
        if (gn.type == MT_GN_DNS) {
            has_dns = 1;
            if (mt_x509_host_match((const char *)gn.value, gn.len, host, hlen)) {
                return 1;
            }
        }
    }
    /* RFC 6125 6.4.4: the CN only when there is no DNS-ID; the most specific (last) CN. */
    if (has_dns || !cn_fallback) {
        return 0;
    }
    mt_x509_name_iter ni;
    mt_x509_attr a, last;
    int found = 0;
    if (mt_x509_name_iter_init(&ni, c->subject, c->subject_len) < 0) {
        return 0;
    }
    while (mt_x509_name_next(&ni, &a) == 1) {
        if (a.short_name && strcmp(a.short_name, "CN") == 0) {
            last = a;
            found = 1;
        }
    }
    if (!found || !is_string_tag(last.tag) || last.tag == MT_ASN1_BMP_STRING ||
        last.tag == MT_ASN1_UNIVERSAL_STRING || !is_ascii(last.value, last.len)) {
        return 0;
    }
    return mt_x509_host_match((const char *)last.value, last.len, host, hlen);
}
