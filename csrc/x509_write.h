/*
 * x509_write.h -- certificate issuance: DER X.509 v3 certificates, self-signed
 * or signed by a CA, enough to run a private test CA (RFC 5280).
 *
 * The caller fills an mt_x509w_params (zero it first: every zero field means
 * "the usual default") and calls mt_x509w_build(). Text fields are borrowed
 * (pointer + length, no NUL needed) and only read during the call.
 *
 * What is written, in order: version v3, serial, signature algorithm, issuer,
 * validity, subject, SubjectPublicKeyInfo, then the extensions
 * basicConstraints, keyUsage, extKeyUsage, subjectAltName, nameConstraints,
 * subjectKeyIdentifier, authorityKeyIdentifier, and the caller's extra ones.
 * The issuer name is copied byte for byte from the CA certificate's subject
 * (RFC 5280 4.1.2.4 matching is then trivially exact), or is the subject when
 * self-signed.
 *
 * The CA certificate is read only as far as issuance needs it (subject, SKI,
 * SPKI) by mt_x509w_ca_info(); full parsing and validation live in x509.c.
 */
#ifndef MT_X509_WRITE_H
#define MT_X509_WRITE_H

#include "buf.h"
#include "keys.h"
#include "mt.h"

/* Limits: far more than any test CA needs, small enough to bound the output. */
#define MT_X509W_MAX_SERIAL 20 /* RFC 5280 4.1.2.2: at most 20 octets */
#define MT_X509W_MAX_CERT (64u << 10)

/* One name attribute: `attr` is a short name ("CN", "O", "OU", "C", "ST", "L",
 * "emailAddress", "serialNumber", "DC", "street", "title", "GN", "SN",
 * "pseudonym", "postalCode") or a dotted OID; `tag` is the string type
 * (MT_ASN1_UTF8_STRING, MT_ASN1_PRINTABLE_STRING, MT_ASN1_IA5_STRING) or 0 for
 * the default: PrintableString for C and serialNumber, IA5String for
 * emailAddress and DC, UTF8String otherwise (RFC 5280 4.1.2.6, appendix A). */
typedef struct mt_x509w_attr {
    const char *attr;
    size_t attr_len;
    const char *value;
    size_t value_len;
    uint8_t tag;
} mt_x509w_attr;

/* GeneralName kinds written by this module. */
typedef enum mt_x509w_gn_kind {
    MT_X509W_GN_DNS = 1, /* dNSName, IA5 text */
    MT_X509W_GN_IP,      /* iPAddress from text: "192.0.2.1", "2001:db8::1"; in name
                            constraints a subnet "192.0.2.0/24", "2001:db8::/32" */
    MT_X509W_GN_EMAIL,   /* rfc822Name, IA5 text */
    MT_X509W_GN_URI,     /* uniformResourceIdentifier, IA5 text */
} mt_x509w_gn_kind;

typedef struct mt_x509w_gn {
    int kind; /* mt_x509w_gn_kind */
    const char *value;
    size_t len;
} mt_x509w_gn;

/* An extension given as DER: `oid` is dotted text, `value` the extnValue contents. */
typedef struct mt_x509w_ext {
    const char *oid;
    size_t oid_len;
    int critical;
    const uint8_t *value;
    size_t value_len;
} mt_x509w_ext;

/* keyUsage bits (RFC 5280 4.2.1.3): bit i is named bit i. */
enum {
    MT_X509W_KU_DIGITAL_SIGNATURE = 1u << 0,
    MT_X509W_KU_NON_REPUDIATION = 1u << 1,
    MT_X509W_KU_KEY_ENCIPHERMENT = 1u << 2,
    MT_X509W_KU_DATA_ENCIPHERMENT = 1u << 3,
    MT_X509W_KU_KEY_AGREEMENT = 1u << 4,
    MT_X509W_KU_KEY_CERT_SIGN = 1u << 5,
    MT_X509W_KU_CRL_SIGN = 1u << 6,
    MT_X509W_KU_ENCIPHER_ONLY = 1u << 7,
    MT_X509W_KU_DECIPHER_ONLY = 1u << 8,
    MT_X509W_KU_OMIT = 1u << 15, /* write no keyUsage extension at all */
};

/* Signature algorithm variants; the key type chooses the family. */
enum {
    MT_X509W_SIG_DEFAULT = 0, /* RSA: PKCS#1 v1.5; ECDSA, EdDSA: their only scheme */
    MT_X509W_SIG_PSS, /* RSA only: RSASSA-PSS, MGF1 with the same hash, salt = hash length */
};

typedef struct mt_x509w_params {
    /* Subject public key (private or public half); required. */
    const mt_key *subject_key;
    /* Signing key: the CA's private key, or the subject's own for a self-signed certificate. */
    const mt_key *signing_key;
    /* The CA certificate (DER), or NULL for self-signed. */
    const uint8_t *ca_der;
    size_t ca_der_len;
    /* Nonzero: do not check that signing_key is the CA certificate's key (negative tests). */
    int skip_ca_key_check;

    const mt_x509w_attr *subject;
    size_t n_subject;

    /* Serial magnitude (big-endian, 1..20 bytes, not all zero), or NULL for 16 random bytes
     * with the top bit cleared. */
    const uint8_t *serial;
    size_t serial_len;

    int64_t not_before, not_after; /* seconds since 1970, UTC; not_before <= not_after */

    /* basicConstraints (critical): ca nonzero makes a CA; has_pathlen sets its
     * pathLenConstraint to pathlen (>= 0, CA only). no_basic_constraints omits the extension. */
    int ca;
    int has_pathlen;
    int pathlen;
    int no_basic_constraints;

    /* keyUsage (critical): MT_X509W_KU_* bits; 0 for the default (CA: keyCertSign|cRLSign;
     * leaf: digitalSignature, plus keyEncipherment for RSA), MT_X509W_KU_OMIT for none. */
    unsigned key_usage;

    /* extKeyUsage (not critical): names "serverAuth", "clientAuth", "codeSigning",
     * "emailProtection", "timeStamping", "OCSPSigning", "anyExtendedKeyUsage" or dotted
     * OIDs, as NUL-terminated strings. None: no extension. */
    const char *const *eku;
    size_t n_eku;

    /* subjectAltName; critical when the subject is empty (RFC 5280 4.2.1.6). */
    const mt_x509w_gn *san;
    size_t n_san;

    /* nameConstraints (critical, RFC 5280 4.2.1.10): permitted and excluded subtrees. */
    const mt_x509w_gn *nc_permitted;
    size_t n_nc_permitted;
    const mt_x509w_gn *nc_excluded;
    size_t n_nc_excluded;

    /* Nonzero omits subjectKeyIdentifier / authorityKeyIdentifier. */
    int no_ski;
    int no_aki;

    /* Signature: hash (mt_hash_id; MT_HASH_NONE picks the default: SHA-256 for RSA, the
     * curve's hash for ECDSA, none for EdDSA) and MT_X509W_SIG_* variant. */
    int hash;
    int sig_variant;

    /* Further extensions, written after the standard ones, in order. */
    const mt_x509w_ext *extra;
    size_t n_extra;
} mt_x509w_params;

/* What issuance needs from a CA certificate, borrowed from its DER. */
typedef struct mt_x509w_ca {
    const uint8_t *subject; /* raw Name (tag and length included) */
    size_t subject_len;
    const uint8_t *spki; /* raw SubjectPublicKeyInfo */
    size_t spki_len;
    const uint8_t *ski; /* subjectKeyIdentifier contents, or NULL when absent */
    size_t ski_len;
} mt_x509w_ca;

/*
 * Read the subject, SPKI and subjectKeyIdentifier of a DER certificate, walking
 * tbsCertificate with asn1.h. Only the structure up to these fields is checked.
 * Errors: -MT_E_CERT_PARSE (not a certificate), -MT_E_ASN1, -MT_E_TRUNCATED.
 */
MT_WUR int mt_x509w_ca_info(const uint8_t *der, size_t len, mt_x509w_ca *info);

/*
 * Build and sign the certificate `p` describes; append its DER to `out`.
 * Errors: -MT_E_INVALID_ARG (missing key, public signing key, bad validity, bad serial,
 * unknown attribute or EKU name, bad IP text, pathlen without ca, signing key not the CA
 * certificate's), -MT_E_SIG_UNSUPPORTED (hash or variant not possible with the signing key),
 * -MT_E_CERT_PARSE (CA certificate), -MT_E_NOMEM, -MT_E_RANDOM, -MT_E_BUFFER_FULL.
 */
MT_WUR int mt_x509w_build(const mt_x509w_params *p, mt_wr *out);

/* Dotted OID text of a name attribute's short name ("CN" -> "2.5.4.3"), or NULL. */
const char *mt_x509w_attr_oid(const char *name, size_t len);

/* Dotted OID text of an extended key usage name ("serverAuth" -> "1.3.6.1.5.5.7.3.1"),
 * or NULL. */
const char *mt_x509w_eku_oid(const char *name, size_t len);

/* Parse an IPv4 or IPv6 address, or with `subnet` nonzero an address/prefix ("10.0.0.0/8"),
 * into iPAddress bytes: 4 or 16 bytes, followed by a 4- or 16-byte mask for a subnet.
 * Errors: -MT_E_INVALID_ARG. */
MT_WUR int mt_x509w_parse_ip(const char *text, size_t len, int subnet, uint8_t out[32], size_t *n);

#endif
