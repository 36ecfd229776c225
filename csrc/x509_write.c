/*
 * x509_write.c -- certificate issuance (see x509_write.h).
 *
 * IMPLEMENTATION NOTES
 * - Every OID is kept as dotted text in a table and encoded with
 *   mt_asn1_oid_parse() when written, so no hand-encoded OID bytes exist here.
 * - The TBSCertificate is built in its own growable writer, signed, and then
 *   wrapped: Certificate ::= SEQUENCE { tbs, signatureAlgorithm, signature }.
 *   The same AlgorithmIdentifier is written inside and outside the TBS
 *   (RFC 5280 4.1.1.2 requires them to be identical).
 * - DER DEFAULT values are omitted: critical FALSE, cA FALSE, PSS defaults.
 */
#include <arpa/inet.h>
#include <nettle/sha1.h>
#include <stdlib.h>
#include <string.h>

#include "asn1.h"
#include "err.h"
#include "keys.h"
#include "rng.h"
#include "x509_write.h"

#define OID_MAX 64
#define SERIAL_RANDOM_LEN 16

/* ---- tables ---- */

struct attr_row {
    const char *name;
    const char *oid;
    uint8_t tag; /* default string type */
};

static const struct attr_row attr_rows[] = {
    {"CN", "2.5.4.3", MT_ASN1_UTF8_STRING},
    {"SN", "2.5.4.4", MT_ASN1_UTF8_STRING},
    {"serialNumber", "2.5.4.5", MT_ASN1_PRINTABLE_STRING},
    {"C", "2.5.4.6", MT_ASN1_PRINTABLE_STRING},
    {"L", "2.5.4.7", MT_ASN1_UTF8_STRING},
    {"ST", "2.5.4.8", MT_ASN1_UTF8_STRING},
    {"street", "2.5.4.9", MT_ASN1_UTF8_STRING},
    {"O", "2.5.4.10", MT_ASN1_UTF8_STRING},
    {"OU", "2.5.4.11", MT_ASN1_UTF8_STRING},
    {"title", "2.5.4.12", MT_ASN1_UTF8_STRING},
    {"postalCode", "2.5.4.17", MT_ASN1_UTF8_STRING},
    {"GN", "2.5.4.42", MT_ASN1_UTF8_STRING},
    {"pseudonym", "2.5.4.65", MT_ASN1_UTF8_STRING},
    {"emailAddress", "1.2.840.113549.1.9.1", MT_ASN1_IA5_STRING},
    {"DC", "0.9.2342.19200300.100.1.25", MT_ASN1_IA5_STRING},
    {"UID", "0.9.2342.19200300.100.1.1", MT_ASN1_UTF8_STRING},
};

struct name_oid {
    const char *name;
    const char *oid;
};

/* RFC 5280 4.2.1.12 */
static const struct name_oid eku_rows[] = {
    {"serverAuth", "1.3.6.1.5.5.7.3.1"},    {"clientAuth", "1.3.6.1.5.5.7.3.2"},
    {"codeSigning", "1.3.6.1.5.5.7.3.3"},   {"emailProtection", "1.3.6.1.5.5.7.3.4"},
    {"timeStamping", "1.3.6.1.5.5.7.3.8"},  {"OCSPSigning", "1.3.6.1.5.5.7.3.9"},
    {"anyExtendedKeyUsage", "2.5.29.37.0"},
};

/* Certificate extension OIDs (RFC 5280 4.2.1). */
#define OID_SKI "2.5.29.14"
#define OID_KU "2.5.29.15"
#define OID_SAN "2.5.29.17"
#define OID_BC "2.5.29.19"
#define OID_NC "2.5.29.30"
#define OID_AKI "2.5.29.35"
#define OID_EKU "2.5.29.37"

/* Signature algorithms: one row per (scheme, hash[, key type]). RFC 3279, 4055, 5758, 8410. */
struct sigalg_row {
    uint8_t kind;     /* mt_sig_kind */
    uint8_t hash;     /* mt_hash_id */
    uint8_t key_type; /* mt_key_type, or MT_KEY_NONE for any key of the scheme */
    uint8_t null_params;
    const char *oid;
};

static const struct sigalg_row sigalg_rows[] = {
    {MT_SIG_RSA_PKCS1, MT_HASH_MD5, MT_KEY_NONE, 1, "1.2.840.113549.1.1.4"},
    {MT_SIG_RSA_PKCS1, MT_HASH_SHA1, MT_KEY_NONE, 1, "1.2.840.113549.1.1.5"},
    {MT_SIG_RSA_PKCS1, MT_HASH_SHA224, MT_KEY_NONE, 1, "1.2.840.113549.1.1.14"},
    {MT_SIG_RSA_PKCS1, MT_HASH_SHA256, MT_KEY_NONE, 1, "1.2.840.113549.1.1.11"},
    {MT_SIG_RSA_PKCS1, MT_HASH_SHA384, MT_KEY_NONE, 1, "1.2.840.113549.1.1.12"},
    {MT_SIG_RSA_PKCS1, MT_HASH_SHA512, MT_KEY_NONE, 1, "1.2.840.113549.1.1.13"},
    {MT_SIG_ECDSA, MT_HASH_SHA1, MT_KEY_NONE, 0, "1.2.840.10045.4.1"},
    {MT_SIG_ECDSA, MT_HASH_SHA224, MT_KEY_NONE, 0, "1.2.840.10045.4.3.1"},
    {MT_SIG_ECDSA, MT_HASH_SHA256, MT_KEY_NONE, 0, "1.2.840.10045.4.3.2"},
    {MT_SIG_ECDSA, MT_HASH_SHA384, MT_KEY_NONE, 0, "1.2.840.10045.4.3.3"},
    {MT_SIG_ECDSA, MT_HASH_SHA512, MT_KEY_NONE, 0, "1.2.840.10045.4.3.4"},
    {MT_SIG_EDDSA, MT_HASH_NONE, MT_KEY_ED25519, 0, "1.3.101.112"},
    {MT_SIG_EDDSA, MT_HASH_NONE, MT_KEY_ED448, 0, "1.3.101.113"},
    {MT_SIG_DSA, MT_HASH_SHA1, MT_KEY_NONE, 0, "1.2.840.10040.4.3"},
    {MT_SIG_DSA, MT_HASH_SHA224, MT_KEY_NONE, 0, "2.16.840.1.101.3.4.3.1"},
    {MT_SIG_DSA, MT_HASH_SHA256, MT_KEY_NONE, 0, "2.16.840.1.101.3.4.3.2"},
};

#define OID_RSA_PSS "1.2.840.113549.1.1.10"
#define OID_MGF1 "1.2.840.113549.1.1.8"

/* Hash AlgorithmIdentifiers inside RSASSA-PSS-params (RFC 4055 2.1). */
static const struct hash_oid_row {
    uint8_t hash;
    const char *oid;
} hash_oid_rows[] = {
    {MT_HASH_SHA1, "1.3.14.3.2.26"},
    {MT_HASH_SHA224, "2.16.840.1.101.3.4.2.4"},
    {MT_HASH_SHA256, "2.16.840.1.101.3.4.2.1"},
    {MT_HASH_SHA384, "2.16.840.1.101.3.4.2.2"},
    {MT_HASH_SHA512, "2.16.840.1.101.3.4.2.3"},
};

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

static int name_is(const char *name, const char *s, size_t len)
{
    return strlen(name) == len && memcmp(name, s, len) == 0;
}

const char *mt_x509w_attr_oid(const char *name, size_t len)
{
    for (size_t i = 0; i < N_ROWS(attr_rows); i++) {
        if (name_is(attr_rows[i].name, name, len)) {
            return attr_rows[i].oid;
        }
    }
    return NULL;
}

const char *mt_x509w_eku_oid(const char *name, size_t len)
{
    for (size_t i = 0; i < N_ROWS(eku_rows); i++) {
        if (name_is(eku_rows[i].name, name, len)) {
            return eku_rows[i].oid;
        }
    }
    return NULL;
}

/* ---- small writers ---- */

/* OID from dotted text of `len` bytes (copied so it need not be terminated). */
MT_WUR static int w_oid_text(mt_wr *w, const char *text, size_t len)
{
    char tmp[OID_MAX + 1];
    uint8_t enc[OID_MAX];
    size_t n;
    ENSURE(len > 0 && len <= OID_MAX, INVALID_ARG);
    memcpy(tmp, text, len);
    tmp[len] = 0;
    int rc = mt_asn1_oid_parse(tmp, enc, sizeof(enc), &n);
    ENSURE(rc == 0, INVALID_ARG);
    return mt_asn1_w_oid(w, (const char *)enc, n);
}

MT_WUR static int w_oid(mt_wr *w, const char *text)
{
    return w_oid_text(w, text, strlen(text));
}

/* 1 if the bytes are all 7-bit (IA5String). */
static int is_ia5(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] >= 0x80) {
            return 0;
        }
    }
    return 1;
}

/* 1 if the bytes fit PrintableString (X.680 41.4). */
static int is_printable(const char *s, size_t n)
{
    static const char extra[] = " '()+,-./:=?";
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 (c != 0 && strchr(extra, c) != NULL);
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

/* Name ::= SEQUENCE OF RelativeDistinguishedName, one attribute per RDN, in the given order. */
MT_WUR static int w_name(mt_wr *w, const mt_x509w_attr *attrs, size_t n)
{
    mt_asn1_mark seq, set, atv;
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &seq));
    for (size_t i = 0; i < n; i++) {
        const mt_x509w_attr *a = &attrs[i];
        const char *oid = NULL;
        size_t oid_len = a->attr_len;
        uint8_t tag = MT_ASN1_UTF8_STRING;
        ENSURE(a->attr != NULL && (a->value != NULL || a->value_len == 0), INVALID_ARG);
        for (size_t j = 0; j < N_ROWS(attr_rows); j++) {
            if (name_is(attr_rows[j].name, a->attr, a->attr_len)) {
                oid = attr_rows[j].oid;
                oid_len = strlen(oid);
                tag = attr_rows[j].tag;
            }
        }
        if (oid == NULL) {
            ENSURE(a->attr_len > 0 && a->attr[0] >= '0' && a->attr[0] <= '2', INVALID_ARG);
            oid = a->attr;
        }
        if (a->tag != 0) {
            tag = a->tag;
        }
        switch (tag) {
        case MT_ASN1_UTF8_STRING:
            break;
        case MT_ASN1_PRINTABLE_STRING:
            ENSURE(is_printable(a->value, a->value_len), INVALID_ARG);
            break;
        case MT_ASN1_IA5_STRING:
            ENSURE(is_ia5(a->value, a->value_len), INVALID_ARG);
            break;
        default:
            return -MT_E_INVALID_ARG;
        }
        GUARD(mt_asn1_open(w, MT_ASN1_SET, &set));
        GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &atv));
        GUARD(w_oid_text(w, oid, oid_len));
        GUARD(mt_asn1_w_tlv(w, tag, a->value, a->value_len));
        GUARD(mt_asn1_close(w, &atv));
        GUARD(mt_asn1_close(w, &set));
    }
    return mt_asn1_close(w, &seq);
}

int mt_x509w_parse_ip(const char *text, size_t len, int subnet, uint8_t out[32], size_t *n)
{
    char tmp[64];
    long prefix = -1;
    ENSURE(text != NULL && len > 0 && len < sizeof(tmp), INVALID_ARG);
    memcpy(tmp, text, len);
    tmp[len] = 0;
    char *slash = strchr(tmp, '/');
    ENSURE((slash != NULL) == (subnet != 0), INVALID_ARG);
    if (slash != NULL) {
        char *end;
        *slash = 0;
        ENSURE(slash[1] >= '0' && slash[1] <= '9', INVALID_ARG);
        prefix = strtol(slash + 1, &end, 10);
        ENSURE(*end == 0, INVALID_ARG);
    }
    size_t width;
    if (inet_pton(AF_INET, tmp, out) == 1) {
        width = 4;
    } else if (inet_pton(AF_INET6, tmp, out) == 1) {
        width = 16;
    } else {
        return -MT_E_INVALID_ARG;
    }
    *n = width;
    if (subnet) {
        ENSURE(prefix >= 0 && prefix <= (long)(width * 8), INVALID_ARG);
        for (size_t i = 0; i < width; i++) {
            long bits = prefix - (long)(i * 8);
            uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
            out[width + i] = m;
        }
        *n = 2 * width;
    }
    return 0;
}

/* One GeneralName (RFC 5280 4.2.1.6); `subnet` selects the name-constraints IP form. */
MT_WUR static int w_general_name(mt_wr *w, const mt_x509w_gn *g, int subnet)
{
    uint8_t ip[32];
    size_t n;
    ENSURE(g->value != NULL || g->len == 0, INVALID_ARG);
    switch (g->kind) {
    case MT_X509W_GN_EMAIL:
        ENSURE(is_ia5(g->value, g->len), INVALID_ARG);
        return mt_asn1_w_tlv(w, MT_ASN1_CONTEXT | 1, g->value, g->len);
    case MT_X509W_GN_DNS:
        ENSURE(is_ia5(g->value, g->len), INVALID_ARG);
        return mt_asn1_w_tlv(w, MT_ASN1_CONTEXT | 2, g->value, g->len);
    case MT_X509W_GN_URI:
        ENSURE(is_ia5(g->value, g->len), INVALID_ARG);
        return mt_asn1_w_tlv(w, MT_ASN1_CONTEXT | 6, g->value, g->len);
    case MT_X509W_GN_IP:
        GUARD(mt_x509w_parse_ip(g->value, g->len, subnet, ip, &n));
        return mt_asn1_w_tlv(w, MT_ASN1_CONTEXT | 7, ip, n);
    default:
        return -MT_E_INVALID_ARG;
    }
}

/* Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue OCTET STRING }: opens the
 * extnValue; ext_end() closes both. */
MT_WUR static int ext_begin(mt_wr *w, const char *oid, size_t oid_len, int critical,
                            mt_asn1_mark m[2])
{
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &m[0]));
    GUARD(w_oid_text(w, oid, oid_len));
    if (critical) {
        GUARD(mt_asn1_w_bool(w, 1));
    }
    return mt_asn1_open(w, MT_ASN1_OCTET_STRING, &m[1]);
}

MT_WUR static int ext_end(mt_wr *w, mt_asn1_mark m[2])
{
    GUARD(mt_asn1_close(w, &m[1]));
    return mt_asn1_close(w, &m[0]);
}

MT_WUR static int w_basic_constraints(mt_wr *w, const mt_x509w_params *p)
{
    mt_asn1_mark m[2], seq;
    /* RFC 5280 4.2.1.9: conforming CAs mark it critical in CA certificates. */
    GUARD(ext_begin(w, OID_BC, strlen(OID_BC), 1, m));
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &seq));
    if (p->ca) {
        GUARD(mt_asn1_w_bool(w, 1));
        if (p->has_pathlen) {
            GUARD(mt_asn1_w_small(w, (uint64_t)p->pathlen));
        }
    }
    GUARD(mt_asn1_close(w, &seq));
    return ext_end(w, m);
}

MT_WUR static int w_key_usage(mt_wr *w, const mt_x509w_params *p)
{
    mt_asn1_mark m[2];
    unsigned ku = p->key_usage;
    if (ku == 0) {
        if (p->ca) {
            ku = MT_X509W_KU_KEY_CERT_SIGN | MT_X509W_KU_CRL_SIGN;
        } else {
            ku = MT_X509W_KU_DIGITAL_SIGNATURE;
            if (mt_key_type_of(p->subject_key) == MT_KEY_RSA) {
                ku |= MT_X509W_KU_KEY_ENCIPHERMENT;
            }
        }
    }
    /* RFC 5280 4.2.1.3: at least one bit set; critical. */
    GUARD(ext_begin(w, OID_KU, strlen(OID_KU), 1, m));
    GUARD(mt_asn1_w_named_bits(w, ku));
    return ext_end(w, m);
}

MT_WUR static int w_eku(mt_wr *w, const mt_x509w_params *p)
{
    mt_asn1_mark m[2], seq;
    GUARD(ext_begin(w, OID_EKU, strlen(OID_EKU), 0, m));
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &seq));
    for (size_t i = 0; i < p->n_eku; i++) {
        ENSURE(p->eku[i] != NULL, INVALID_ARG);
        const char *oid = mt_x509w_eku_oid(p->eku[i], strlen(p->eku[i]));
        if (oid == NULL) {
            ENSURE(p->eku[i][0] >= '0' && p->eku[i][0] <= '2', INVALID_ARG);
            oid = p->eku[i];
        }
        GUARD(w_oid(w, oid));
    }
    GUARD(mt_asn1_close(w, &seq));
    return ext_end(w, m);
}

MT_WUR static int w_san(mt_wr *w, const mt_x509w_params *p)
{
    mt_asn1_mark m[2], seq;
    GUARD(ext_begin(w, OID_SAN, strlen(OID_SAN), p->n_subject == 0, m));
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &seq));
    for (size_t i = 0; i < p->n_san; i++) {
        GUARD(w_general_name(w, &p->san[i], 0));
    }
    GUARD(mt_asn1_close(w, &seq));
    return ext_end(w, m);
}

/* GeneralSubtrees under context tag [tagno], each subtree with base only (minimum 0). */
MT_WUR static int w_subtrees(mt_wr *w, int tagno, const mt_x509w_gn *g, size_t n)
{
    mt_asn1_mark trees, tree;
    if (n == 0) {
        return 0;
    }
    GUARD(mt_asn1_open(w, (uint8_t)(MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | tagno), &trees));
    for (size_t i = 0; i < n; i++) {
        GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &tree));
        GUARD(w_general_name(w, &g[i], 1));
        GUARD(mt_asn1_close(w, &tree));
    }
    return mt_asn1_close(w, &trees);
}

MT_WUR static int w_name_constraints(mt_wr *w, const mt_x509w_params *p)
{
    mt_asn1_mark m[2], seq;
    /* RFC 5280 4.2.1.10: conforming CAs MUST mark this extension as critical. */
    GUARD(ext_begin(w, OID_NC, strlen(OID_NC), 1, m));
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &seq));
    GUARD(w_subtrees(w, 0, p->nc_permitted, p->n_nc_permitted));
    GUARD(w_subtrees(w, 1, p->nc_excluded, p->n_nc_excluded));
    GUARD(mt_asn1_close(w, &seq));
    return ext_end(w, m);
}

MT_WUR static int w_ski(mt_wr *w, const uint8_t *ski, size_t n)
{
    mt_asn1_mark m[2];
    GUARD(ext_begin(w, OID_SKI, strlen(OID_SKI), 0, m));
    GUARD(mt_asn1_w_tlv(w, MT_ASN1_OCTET_STRING, ski, n));
    return ext_end(w, m);
}

MT_WUR static int w_aki(mt_wr *w, const uint8_t *keyid, size_t n)
{
    mt_asn1_mark m[2], seq;
    GUARD(ext_begin(w, OID_AKI, strlen(OID_AKI), 0, m));
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_asn1_w_tlv(w, MT_ASN1_CONTEXT | 0, keyid, n));
    GUARD(mt_asn1_close(w, &seq));
    return ext_end(w, m);
}

/* ---- signature algorithm ---- */

struct sig_choice {
    mt_sig_alg alg;
    const struct sigalg_row *row; /* NULL for PSS */
};

static int default_hash(mt_key_type t)
{
    switch (t) {
    case MT_KEY_RSA:
    case MT_KEY_EC_P256:
    case MT_KEY_DSA:
        return MT_HASH_SHA256;
    case MT_KEY_EC_P384:
        return MT_HASH_SHA384;
    case MT_KEY_EC_P521:
        return MT_HASH_SHA512;
    case MT_KEY_ED25519:
    case MT_KEY_ED448:
    default:
        return MT_HASH_NONE;
    }
}

static int sig_kind(mt_key_type t, int variant)
{
    switch (t) {
    case MT_KEY_RSA:
        return variant == MT_X509W_SIG_PSS ? MT_SIG_RSA_PSS : MT_SIG_RSA_PKCS1;
    case MT_KEY_EC_P256:
    case MT_KEY_EC_P384:
    case MT_KEY_EC_P521:
        return MT_SIG_ECDSA;
    case MT_KEY_ED25519:
    case MT_KEY_ED448:
        return MT_SIG_EDDSA;
    case MT_KEY_DSA:
        return MT_SIG_DSA;
    default:
        return MT_SIG_NONE;
    }
}

MT_WUR static int choose_sig(const mt_key *k, int hash, int variant, struct sig_choice *c)
{
    mt_key_type t = mt_key_type_of(k);
    /* an id-RSASSA-PSS key signs with PSS only (RFC 4055 1.2) */
    int kind = mt_key_is_rsa_pss(k) ? MT_SIG_RSA_PSS : sig_kind(t, variant);
    ENSURE(kind != MT_SIG_NONE, SIG_UNSUPPORTED);
    ENSURE(variant == MT_X509W_SIG_DEFAULT || kind == MT_SIG_RSA_PSS, SIG_UNSUPPORTED);
    if (hash == MT_HASH_NONE) {
        hash = default_hash(t);
    }
    memset(c, 0, sizeof(*c));
    c->alg.kind = (uint8_t)kind;
    c->alg.hash = (uint8_t)hash;
    if (kind == MT_SIG_RSA_PSS) {
        int known = 0;
        for (size_t i = 0; i < N_ROWS(hash_oid_rows); i++) {
            known |= hash_oid_rows[i].hash == hash;
        }
        ENSURE(known, SIG_UNSUPPORTED);
        c->alg.salt_len = (uint16_t)mt_hash_len(hash);
    } else {
        for (size_t i = 0; i < N_ROWS(sigalg_rows) && c->row == NULL; i++) {
            const struct sigalg_row *r = &sigalg_rows[i];
            if (r->kind == kind && r->hash == hash &&
                (r->key_type == MT_KEY_NONE || r->key_type == t)) {
                c->row = r;
            }
        }
        ENSURE(c->row != NULL, SIG_UNSUPPORTED);
    }
    ENSURE(mt_key_supports(k, c->alg), SIG_UNSUPPORTED);
    return 0;
}

/* AlgorithmIdentifier { hash OID, NULL } for RSASSA-PSS-params. */
MT_WUR static int w_hash_algid(mt_wr *w, int hash)
{
    mt_asn1_mark seq;
    const char *oid = NULL;
    for (size_t i = 0; i < N_ROWS(hash_oid_rows); i++) {
        if (hash_oid_rows[i].hash == hash) {
            oid = hash_oid_rows[i].oid;
        }
    }
    ENSURE(oid != NULL, SIG_UNSUPPORTED);
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &seq));
    GUARD(w_oid(w, oid));
    GUARD(mt_asn1_w_null(w));
    return mt_asn1_close(w, &seq);
}

/* RFC 4055 3.1: RSASSA-PSS-params; SHA-1, MGF1-SHA-1 and salt 20 are DEFAULTs left out. */
MT_WUR static int w_pss_params(mt_wr *w, const struct sig_choice *c)
{
    mt_asn1_mark seq, m0, m1, mgf, m2;
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &seq));
    if (c->alg.hash != MT_HASH_SHA1) {
        GUARD(mt_asn1_open(w, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 0, &m0));
        GUARD(w_hash_algid(w, c->alg.hash));
        GUARD(mt_asn1_close(w, &m0));
        GUARD(mt_asn1_open(w, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 1, &m1));
        GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &mgf));
        GUARD(w_oid(w, OID_MGF1));
        GUARD(w_hash_algid(w, c->alg.hash));
        GUARD(mt_asn1_close(w, &mgf));
        GUARD(mt_asn1_close(w, &m1));
    }
    if (c->alg.salt_len != 20) {
        GUARD(mt_asn1_open(w, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 2, &m2));
        GUARD(mt_asn1_w_small(w, c->alg.salt_len));
        GUARD(mt_asn1_close(w, &m2));
    }
    return mt_asn1_close(w, &seq);
}

MT_WUR static int w_sig_algid(mt_wr *w, const struct sig_choice *c)
{
    mt_asn1_mark seq;
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &seq));
    if (c->row == NULL) {
        GUARD(w_oid(w, OID_RSA_PSS));
        GUARD(w_pss_params(w, c));
    } else {
        GUARD(w_oid(w, c->row->oid));
        if (c->row->null_params) {
            GUARD(mt_asn1_w_null(w));
        }
    }
    return mt_asn1_close(w, &seq);
}

/* ---- reading what issuance needs ---- */

/* Key identifier method 1 of RFC 5280 4.2.1.2: SHA-1 of the subjectPublicKey BIT STRING
 * value (without tag, length and unused-bits octet). */
MT_WUR static int spki_keyid(const uint8_t *spki, size_t len, uint8_t id[SHA1_DIGEST_SIZE])
{
    mt_rd r, seq, alg;
    const uint8_t *bits;
    size_t n;
    struct sha1_ctx h;
    mt_rd_init(&r, spki, len);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq));
    GUARD(mt_rd_end(&r));
    GUARD(mt_asn1_expect(&seq, MT_ASN1_SEQUENCE, &alg));
    GUARD(mt_asn1_bits_bytes(&seq, &bits, &n));
    GUARD(mt_rd_end(&seq));
    sha1_init(&h);
    sha1_update(&h, n, bits);
    sha1_digest(&h, SHA1_DIGEST_SIZE, id);
    return 0;
}

/* Find the subjectKeyIdentifier in an Extensions body. */
MT_WUR static int find_ski(mt_rd *exts, mt_x509w_ca *info)
{
    uint8_t ski_oid[OID_MAX];
    size_t ski_oid_len;
    GUARD(mt_asn1_oid_parse(OID_SKI, ski_oid, sizeof(ski_oid), &ski_oid_len));
    while (mt_rd_left(exts) > 0) {
        mt_rd ext, val, keyid;
        const uint8_t *oid;
        size_t oid_len;
        int present;
        mt_rd crit;
        GUARD(mt_asn1_expect(exts, MT_ASN1_SEQUENCE, &ext));
        GUARD(mt_asn1_oid(&ext, &oid, &oid_len));
        GUARD(mt_asn1_optional(&ext, MT_ASN1_BOOLEAN, &crit, &present));
        GUARD(mt_asn1_expect(&ext, MT_ASN1_OCTET_STRING, &val));
        GUARD(mt_rd_end(&ext));
        if (mt_asn1_oid_is(oid, oid_len, (const char *)ski_oid, ski_oid_len)) {
            GUARD(mt_asn1_expect(&val, MT_ASN1_OCTET_STRING, &keyid));
            GUARD(mt_rd_end(&val));
            info->ski_len = mt_rd_left(&keyid);
            GUARD(mt_rd_borrow(&keyid, info->ski_len, &info->ski));
        }
    }
    return 0;
}

MT_WUR static int ca_info(const uint8_t *der, size_t len, mt_x509w_ca *info)
{
    mt_rd r, cert, tbs, skip, exts_outer, exts;
    mt_asn1_tlv t;
    int present;
    memset(info, 0, sizeof(*info));
    mt_rd_init(&r, der, len);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &cert));
    GUARD(mt_rd_end(&r));
    GUARD(mt_asn1_expect(&cert, MT_ASN1_SEQUENCE, &tbs));
    GUARD(mt_asn1_optional(&tbs, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 0, &skip, &present));
    GUARD(mt_asn1_next(&tbs, &t)); /* serialNumber */
    ENSURE(t.tag == MT_ASN1_INTEGER, CERT_PARSE);
    GUARD(mt_asn1_expect(&tbs, MT_ASN1_SEQUENCE, &skip)); /* signature */
    GUARD(mt_asn1_expect(&tbs, MT_ASN1_SEQUENCE, &skip)); /* issuer */
    GUARD(mt_asn1_expect(&tbs, MT_ASN1_SEQUENCE, &skip)); /* validity */
    GUARD(mt_asn1_raw(&tbs, MT_ASN1_SEQUENCE, &info->subject, &info->subject_len));
    GUARD(mt_asn1_raw(&tbs, MT_ASN1_SEQUENCE, &info->spki, &info->spki_len));
    GUARD(mt_asn1_optional(&tbs, MT_ASN1_CONTEXT | 1, &skip, &present));
    GUARD(mt_asn1_optional(&tbs, MT_ASN1_CONTEXT | 2, &skip, &present));
    GUARD(mt_asn1_optional(&tbs, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 3, &exts_outer, &present));
    if (present) {
        GUARD(mt_asn1_expect(&exts_outer, MT_ASN1_SEQUENCE, &exts));
        GUARD(mt_rd_end(&exts_outer));
        GUARD(find_ski(&exts, info));
    }
    return mt_rd_end(&tbs);
}

int mt_x509w_ca_info(const uint8_t *der, size_t len, mt_x509w_ca *info)
{
    ENSURE(der != NULL && info != NULL, INVALID_ARG);
    int rc = ca_info(der, len, info);
    if (rc < 0 && rc != -MT_E_NOMEM) {
        memset(info, 0, sizeof(*info));
        return -MT_E_CERT_PARSE;
    }
    return rc;
}

/* ---- the certificate ---- */

/* Everything the TBS needs besides the parameters. */
struct tbs_ctx {
    const mt_x509w_params *p;
    const struct sig_choice *sig;
    const uint8_t *issuer; /* raw Name, or NULL: the subject */
    size_t issuer_len;
    const uint8_t *spki;
    size_t spki_len;
    uint8_t ski[SHA1_DIGEST_SIZE];
    const uint8_t *aki; /* issuer's key identifier, or NULL */
    size_t aki_len;
};

MT_WUR static int w_serial(mt_wr *w, const mt_x509w_params *p)
{
    uint8_t serial[SERIAL_RANDOM_LEN];
    if (p->serial != NULL) {
        return mt_asn1_w_uint(w, p->serial, p->serial_len);
    }
    /* RFC 5280 4.1.2.2: positive, unique; 16 random bytes, top bit clear, never zero. */
    do {
        GUARD(mt_rng_bytes(serial, sizeof(serial)));
        serial[0] &= 0x7f;
    } while (serial[0] == 0);
    return mt_asn1_w_uint(w, serial, sizeof(serial));
}

MT_WUR static int w_extensions(mt_wr *w, const struct tbs_ctx *c)
{
    const mt_x509w_params *p = c->p;
    mt_asn1_mark outer, seq, m[2];
    GUARD(mt_asn1_open(w, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 3, &outer));
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &seq));
    if (!p->no_basic_constraints) {
        GUARD(w_basic_constraints(w, p));
    }
    if (p->key_usage != MT_X509W_KU_OMIT) {
        GUARD(w_key_usage(w, p));
    }
    if (p->n_eku > 0) {
        GUARD(w_eku(w, p));
    }
    if (p->n_san > 0) {
        GUARD(w_san(w, p));
    }
    if (p->n_nc_permitted > 0 || p->n_nc_excluded > 0) {
        GUARD(w_name_constraints(w, p));
    }
    if (!p->no_ski) {
        GUARD(w_ski(w, c->ski, sizeof(c->ski)));
    }
    if (!p->no_aki && c->aki != NULL) {
        GUARD(w_aki(w, c->aki, c->aki_len));
    }
    for (size_t i = 0; i < p->n_extra; i++) {
        const mt_x509w_ext *e = &p->extra[i];
        ENSURE(e->oid != NULL && (e->value != NULL || e->value_len == 0), INVALID_ARG);
        GUARD(ext_begin(w, e->oid, e->oid_len, e->critical, m));
        GUARD(mt_wr_bytes(w, e->value, e->value_len));
        GUARD(ext_end(w, m));
    }
    GUARD(mt_asn1_close(w, &seq));
    return mt_asn1_close(w, &outer);
}

MT_WUR static int w_tbs(mt_wr *w, const struct tbs_ctx *c)
{
    const mt_x509w_params *p = c->p;
    mt_asn1_mark tbs, ver, val;
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &tbs));
    GUARD(mt_asn1_open(w, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 0, &ver));
    GUARD(mt_asn1_w_small(w, 2)); /* v3 */
    GUARD(mt_asn1_close(w, &ver));
    GUARD(w_serial(w, p));
    GUARD(w_sig_algid(w, c->sig));
    if (c->issuer != NULL) {
        GUARD(mt_wr_bytes(w, c->issuer, c->issuer_len));
    } else {
        GUARD(w_name(w, p->subject, p->n_subject));
    }
    GUARD(mt_asn1_open(w, MT_ASN1_SEQUENCE, &val));
    GUARD(mt_asn1_w_time(w, p->not_before));
    GUARD(mt_asn1_w_time(w, p->not_after));
    GUARD(mt_asn1_close(w, &val));
    GUARD(w_name(w, p->subject, p->n_subject));
    GUARD(mt_wr_bytes(w, c->spki, c->spki_len));
    GUARD(w_extensions(w, c));
    return mt_asn1_close(w, &tbs);
}

MT_WUR static int check_params(const mt_x509w_params *p)
{
    ENSURE(p != NULL && p->subject_key != NULL && p->signing_key != NULL, INVALID_ARG);
    ENSURE(mt_key_is_private(p->signing_key), INVALID_ARG);
    ENSURE(p->not_before <= p->not_after, INVALID_ARG);
    ENSURE(p->subject != NULL || p->n_subject == 0, INVALID_ARG);
    ENSURE(p->eku != NULL || p->n_eku == 0, INVALID_ARG);
    ENSURE(p->san != NULL || p->n_san == 0, INVALID_ARG);
    ENSURE(p->nc_permitted != NULL || p->n_nc_permitted == 0, INVALID_ARG);
    ENSURE(p->nc_excluded != NULL || p->n_nc_excluded == 0, INVALID_ARG);
    ENSURE(p->extra != NULL || p->n_extra == 0, INVALID_ARG);
    ENSURE(!p->has_pathlen || (p->ca && p->pathlen >= 0), INVALID_ARG);
    /* RFC 5280 4.1.2.6: an empty subject needs a subjectAltName. */
    ENSURE(p->n_subject > 0 || p->n_san > 0, INVALID_ARG);
    if (p->serial != NULL) {
        int nonzero = 0;
        ENSURE(p->serial_len > 0 && p->serial_len <= MT_X509W_MAX_SERIAL, INVALID_ARG);
        for (size_t i = 0; i < p->serial_len; i++) {
            nonzero |= p->serial[i] != 0;
        }
        ENSURE(nonzero, INVALID_ARG);
    }
    return 0;
}

/* Fill the issuer fields of `c` from the CA certificate and check the signing key is its key. */
MT_WUR static int use_ca(const mt_x509w_params *p, struct tbs_ctx *c, mt_x509w_ca *ca, mt_wr *tmp)
{
    GUARD(mt_x509w_ca_info(p->ca_der, p->ca_der_len, ca));
    c->issuer = ca->subject;
    c->issuer_len = ca->subject_len;
    c->aki = ca->ski;
    c->aki_len = ca->ski_len;
    if (!p->skip_ca_key_check) {
        GUARD(mt_key_write_spki(p->signing_key, tmp));
        ENSURE(tmp->len == ca->spki_len && memcmp(tmp->p, ca->spki, tmp->len) == 0, INVALID_ARG);
    }
    return 0;
}

/* A self-signed certificate is signed by the subject's own key. */
MT_WUR static int check_self_signed(const mt_x509w_params *p)
{
    ENSURE(p->skip_ca_key_check || mt_key_public_eq(p->subject_key, p->signing_key), INVALID_ARG);
    return 0;
}

int mt_x509w_build(const mt_x509w_params *p, mt_wr *out)
{
    struct sig_choice sig;
    struct tbs_ctx c;
    mt_x509w_ca ca;
    mt_wr spki, tbs, sigw, tmp;
    mt_asn1_mark cert;
    int rc;

    GUARD(check_params(p));
    mt_wr_init_growable(&spki, MT_X509W_MAX_CERT);
    mt_wr_init_growable(&tbs, MT_X509W_MAX_CERT);
    mt_wr_init_growable(&sigw, MT_X509W_MAX_CERT);
    mt_wr_init_growable(&tmp, MT_X509W_MAX_CERT);
    memset(&c, 0, sizeof(c));
    c.p = p;
    c.sig = &sig;

    BAIL(rc, choose_sig(p->signing_key, p->hash, p->sig_variant, &sig));
    BAIL(rc, mt_key_write_spki(p->subject_key, &spki));
    c.spki = spki.p;
    c.spki_len = spki.len;
    BAIL(rc, spki_keyid(c.spki, c.spki_len, c.ski));
    if (p->ca_der != NULL) {
        BAIL(rc, use_ca(p, &c, &ca, &tmp));
    } else {
        BAIL(rc, check_self_signed(p));
        /* Self-signed: the authority key is our own. */
        c.aki = c.ski;
        c.aki_len = sizeof(c.ski);
    }
    BAIL(rc, w_tbs(&tbs, &c));
    BAIL(rc, mt_wr_finish(&tbs));
    BAIL(rc, mt_key_sign(p->signing_key, sig.alg, tbs.p, tbs.len, &sigw));
    BAIL(rc, mt_wr_finish(&sigw));

    BAIL(rc, mt_asn1_open(out, MT_ASN1_SEQUENCE, &cert));
    BAIL(rc, mt_wr_bytes(out, tbs.p, tbs.len));
    BAIL(rc, w_sig_algid(out, &sig));
    BAIL(rc, mt_asn1_w_bits(out, sigw.p, sigw.len));
    BAIL(rc, mt_asn1_close(out, &cert));
out:
    mt_wr_free(&spki);
    mt_wr_free(&tbs);
    mt_wr_free(&sigw);
    mt_wr_free(&tmp);
    return rc;
}
