/*
 * x509.h -- X.509 certificates: parsing (RFC 5280 4), path building and
 * validation (RFC 5280 6.1), host-name and IP checks (RFC 6125), trust stores.
 *
 * A parsed certificate (mt_x509) owns one copy of its DER; every pointer in it
 * views that copy. Parsing is complete before anything is used: each field and
 * each known extension is decoded and checked for strict DER when the
 * certificate is parsed, so the iterators below (names, general names,
 * extensions, EKU OIDs) cannot fail on a parsed certificate.
 *
 * A trust store (mt_x509_store) keeps anchors as DER, indexed by a hash of the
 * canonical subject name; an anchor is parsed the first time a path needs it.
 */
#ifndef MT_X509_H
#define MT_X509_H

#include "buf.h"
#include "keys.h"
#include "mt.h"

/* keyUsage bits (RFC 5280 4.2.1.3): bit i is named bit i. */
enum {
    MT_KU_DIGITAL_SIGNATURE = 1u << 0,
    MT_KU_NON_REPUDIATION = 1u << 1,
    MT_KU_KEY_ENCIPHERMENT = 1u << 2,
    MT_KU_DATA_ENCIPHERMENT = 1u << 3,
    MT_KU_KEY_AGREEMENT = 1u << 4,
    MT_KU_KEY_CERT_SIGN = 1u << 5,
    MT_KU_CRL_SIGN = 1u << 6,
    MT_KU_ENCIPHER_ONLY = 1u << 7,
    MT_KU_DECIPHER_ONLY = 1u << 8,
};

/* extKeyUsage purposes we know (bits of mt_x509.eku). */
enum {
    MT_EKU_ANY = 1u << 0,
    MT_EKU_SERVER = 1u << 1,
    MT_EKU_CLIENT = 1u << 2,
    MT_EKU_CODE = 1u << 3,
    MT_EKU_EMAIL = 1u << 4,
    MT_EKU_TIME = 1u << 5,
    MT_EKU_OCSP = 1u << 6,
    MT_EKU_OTHER = 1u << 7, /* at least one OID we do not name */
};

/* Extensions we recognise (bits of mt_x509.ext_present / ext_critical). */
enum {
    MT_EXT_BC = 1u << 0,
    MT_EXT_KU = 1u << 1,
    MT_EXT_EKU = 1u << 2,
    MT_EXT_SAN = 1u << 3,
    MT_EXT_NC = 1u << 4,
    MT_EXT_AKI = 1u << 5,
    MT_EXT_SKI = 1u << 6,
    MT_EXT_CP = 1u << 7,
    MT_EXT_PC = 1u << 8,
    MT_EXT_AIA = 1u << 9,
    MT_EXT_IAN = 1u << 10,
    MT_EXT_CRLDP = 1u << 11,
    MT_EXT_PM = 1u << 12,
    MT_EXT_IAP = 1u << 13,
};

/* GeneralName choices (RFC 5280 4.2.1.6): the context tag number. */
enum {
    MT_GN_OTHER = 0,
    MT_GN_EMAIL = 1,
    MT_GN_DNS = 2,
    MT_GN_X400 = 3,
    MT_GN_DIRNAME = 4,
    MT_GN_EDI = 5,
    MT_GN_URI = 6,
    MT_GN_IP = 7,
    MT_GN_RID = 8,
};

/* Purposes for mt_x509_verify (RFC 5280 4.2.1.12 id-kp-serverAuth / clientAuth). */
enum {
    MT_X509_PURPOSE_ANY = 0,
    MT_X509_PURPOSE_SERVER = 1,
    MT_X509_PURPOSE_CLIENT = 2,
};

/* A parsed certificate. Pointers view `der`; lengths are in bytes. */
typedef struct mt_x509 {
    uint8_t *der;
    size_t der_len;
    const uint8_t *tbs; /* raw TBSCertificate TLV, the signed bytes */
    size_t tbs_len;
    int version;           /* 1, 2 or 3 */
    const uint8_t *serial; /* INTEGER contents as encoded (two's complement) */
    size_t serial_len;
    const uint8_t *sig_alg_raw; /* raw AlgorithmIdentifier TLV (outer) */
    size_t sig_alg_raw_len;
    mt_sig_alg sig_alg; /* kind MT_SIG_NONE when the algorithm is unknown */
    const uint8_t *sig; /* signature value */
    size_t sig_len;
    const uint8_t *issuer; /* raw Name TLVs */
    size_t issuer_len;
    const uint8_t *subject;
    size_t subject_len;
    int64_t not_before, not_after;
    const uint8_t *spki; /* raw SubjectPublicKeyInfo TLV */
    size_t spki_len;
    const uint8_t *exts; /* body of the Extensions SEQUENCE (NULL: none) */
    size_t exts_len;
    unsigned ext_present, ext_critical; /* MT_EXT_* */
    int unknown_critical;               /* a critical extension we do not process */
    int is_ca;                          /* basicConstraints cA */
    int pathlen;                        /* pathLenConstraint, -1 when absent */
    unsigned key_usage;                 /* MT_KU_*, meaningful when MT_EXT_KU is present */
    unsigned eku;                       /* MT_EKU_*, meaningful when MT_EXT_EKU is present */
    const uint8_t *eku_body;            /* SEQUENCE OF OID body */
    size_t eku_len;
    const uint8_t *san; /* GeneralNames body */
    size_t san_len;
    const uint8_t *nc_permitted; /* GeneralSubtrees bodies (NULL: absent) */
    size_t nc_permitted_len;
    const uint8_t *nc_excluded;
    size_t nc_excluded_len;
    const uint8_t *ski; /* subjectKeyIdentifier octets */
    size_t ski_len;
    const uint8_t *aki; /* authorityKeyIdentifier keyIdentifier octets (NULL: absent) */
    size_t aki_len;
    int aki_has_issuer; /* authorityCertIssuer or authorityCertSerialNumber present */
    int self_issued;    /* subject and issuer names match (RFC 5280 6.1) */
} mt_x509;

/*
 * Parse one DER certificate (copied). Errors: -MT_E_CERT_PARSE for anything
 * malformed or outside the profile we accept (bad DER, trailing bytes,
 * extensions in a v1/v2 certificate, duplicate extensions, inner and outer
 * signature algorithms that differ, malformed known extensions), -MT_E_NOMEM.
 */
MT_WUR int mt_x509_parse(const uint8_t *der, size_t len, mt_x509 **out);

/* Free a certificate (NULL is fine). */
void mt_x509_free(mt_x509 *c);

/*
 * Parse every certificate of `data`: PEM with one or more "CERTIFICATE"
 * blocks (other labels skipped), or one DER certificate. On success *out is
 * a malloc'd array of *n certificates (n >= 1); free with mt_x509_free_list.
 * Errors: -MT_E_CERT_PARSE, -MT_E_PEM, -MT_E_PEM_NONE (PEM without
 * certificates), -MT_E_NOMEM.
 */
MT_WUR int mt_x509_parse_all(const uint8_t *data, size_t len, mt_x509 ***out, size_t *n);

/* Free a list from mt_x509_parse_all. */
void mt_x509_free_list(mt_x509 **list, size_t n);

/* 1 if the names (raw Name TLVs) match per RFC 5280 7.1: attribute by attribute, string
 * values compared after ASCII case folding and white-space compression. */
int mt_x509_name_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* Append the canonical form of a raw Name TLV (what mt_x509_name_eq compares; trust stores
 * hash it). Errors: -MT_E_ASN1 and the reader's errors, -MT_E_NOMEM. */
MT_WUR int mt_x509_canon_name(const uint8_t *name, size_t len, mt_wr *out);

/* ---- iterators (cannot fail on a parsed certificate's fields) ---- */

/* One attribute of a Name. `short_name` is "CN", "O", ... or NULL when unnamed. */
typedef struct mt_x509_attr {
    const char *short_name;
    const uint8_t *oid; /* OID contents */
    size_t oid_len;
    uint8_t tag; /* string type */
    const uint8_t *value;
    size_t len;
} mt_x509_attr;

typedef struct mt_x509_name_iter {
    mt_rd rdns;
    mt_rd rdn;
} mt_x509_name_iter;

/* Start iterating the attributes of a raw Name TLV. Errors: -MT_E_CERT_PARSE. */
MT_WUR int mt_x509_name_iter_init(mt_x509_name_iter *it, const uint8_t *name, size_t len);

/* Next attribute: returns 1 with *a filled, 0 at the end. Errors: -MT_E_CERT_PARSE. */
MT_WUR int mt_x509_name_next(mt_x509_name_iter *it, mt_x509_attr *a);

/* Append the value of `a` as UTF-8 (BMP, Universal and T61/Latin-1 converted).
 * Errors: -MT_E_CERT_PARSE (bad UCS-2/UCS-4), -MT_E_NOMEM, -MT_E_BUFFER_FULL. */
MT_WUR int mt_x509_attr_utf8(const mt_x509_attr *a, mt_wr *out);

/* Append the one-line form of a Name, "CN=example.com, O=Example" (attributes in encoding
 * order, unnamed types in dotted form). Errors as mt_x509_attr_utf8. */
MT_WUR int mt_x509_name_text(const uint8_t *name, size_t len, mt_wr *out);

/* One GeneralName: `type` is MT_GN_*, `value` its contents (for MT_GN_DIRNAME the raw Name
 * TLV; for MT_GN_OTHER the OtherName body). */
typedef struct mt_x509_gn {
    int type;
    const uint8_t *value;
    size_t len;
} mt_x509_gn;

/* Next GeneralName of a GeneralNames body (start with mt_rd_init over c->san/c->san_len):
 * 1 with *gn, 0 at the end. Errors: -MT_E_CERT_PARSE. */
MT_WUR int mt_x509_gn_next(mt_rd *it, mt_x509_gn *gn);

/* Next GeneralSubtree of a GeneralSubtrees body (the base name only; minimum/maximum are
 * checked to be absent or 0/absent at parse time). */
MT_WUR int mt_x509_subtree_next(mt_rd *it, mt_x509_gn *gn);

/* One extension: OID contents, critical flag, extnValue contents. */
typedef struct mt_x509_ext {
    const uint8_t *oid;
    size_t oid_len;
    int critical;
    const uint8_t *value;
    size_t len;
} mt_x509_ext;

/* Next extension of c->exts (mt_rd_init over c->exts/c->exts_len): 1, or 0 at the end. */
MT_WUR int mt_x509_ext_next(mt_rd *it, mt_x509_ext *e);

/* Next OID of an extKeyUsage body (c->eku_body): 1 with the OID in *oid and *n, 0 at the end. */
MT_WUR int mt_x509_eku_next(mt_rd *it, const uint8_t **oid, size_t *n);

/* Short name of an extension OID ("basicConstraints", ...) or NULL. */
const char *mt_x509_ext_name(const uint8_t *oid, size_t n);

/* Name of a purpose OID ("serverAuth", "anyExtendedKeyUsage", ...) or NULL. */
const char *mt_x509_eku_name(const uint8_t *oid, size_t n);

/* Name of the certificate's signature algorithm ("sha256WithRSAEncryption", "ecdsa-with-SHA256",
 * "rsassaPss", "ED25519", ...), or "unknown". */
const char *mt_x509_sigalg_name(const mt_x509 *c);

/* ---- host names and addresses (RFC 6125) ---- */

/*
 * 1 if the certificate is valid for DNS host name `host` (NUL-terminated): dNSName SANs when
 * the certificate has any, otherwise (only when cn_fallback) the most specific CN. A host that
 * parses as an IP address never matches here (use mt_x509_check_ip). Case-insensitive ASCII;
 * one trailing dot on either side ignored; a wildcard only as the whole left-most label,
 * matching exactly one label, with at least two labels after it, never in an "xn--" label.
 */
int mt_x509_check_host(const mt_x509 *c, const char *host, int cn_fallback);

/* 1 if presented DNS identifier `pattern` (may hold a wildcard) matches `host`, per the rules
 * of mt_x509_check_host. Both are plain strings of the given lengths. */
int mt_x509_host_match(const char *pattern, size_t plen, const char *host, size_t hlen);

/* 1 if the certificate has an iPAddress SAN equal to the address in `ip` (IPv4 dotted or
 * IPv6 text, parsed with inet_pton); 0 otherwise, also when `ip` is not an address. */
int mt_x509_check_ip(const mt_x509 *c, const char *ip);

/* ---- trust store ---- */

typedef struct mt_x509_store mt_x509_store;

/* A new empty store. Errors: -MT_E_NOMEM. */
MT_WUR int mt_x509_store_new(mt_x509_store **out);

/* Free a store and every anchor it parsed (NULL is fine). */
void mt_x509_store_free(mt_x509_store *s);

/* Add one DER certificate (copied; only its outer structure and subject are read now).
 * Errors: -MT_E_CERT_PARSE, -MT_E_NOMEM. */
MT_WUR int mt_x509_store_add_der(mt_x509_store *s, const uint8_t *der, size_t len);

/* Add every CERTIFICATE block of a PEM text (or one DER certificate); *added (may be NULL)
 * gets the count. Errors: -MT_E_PEM, -MT_E_PEM_NONE, -MT_E_CERT_PARSE, -MT_E_NOMEM. */
MT_WUR int mt_x509_store_add(mt_x509_store *s, const uint8_t *data, size_t len, size_t *added);

/* Add the certificates of a file (PEM or DER). Errors as mt_x509_store_add, and
 * -MT_E_INVALID_ARG when the file cannot be read. */
MT_WUR int mt_x509_store_add_file(mt_x509_store *s, const char *path, size_t *added);

/* Number of anchors in the store. */
size_t mt_x509_store_count(const mt_x509_store *s);

/* Path of the system store. */
#define MT_X509_SYSTEM_STORE "/etc/ssl/certs/ca-certificates.crt"

/* ---- path validation ---- */

/* Hard limits on the work one verification may do (hostile input stays cheap). */
#define MT_X509_MAX_PATH 32              /* certificates in one path, anchor included */
#define MT_X509_MAX_SIG_CHECKS 100       /* signature verifications per call */
#define MT_X509_MAX_NC_CHECKS (1u << 20) /* name/constraint comparisons per path */

typedef struct mt_x509_verify_opts {
    int64_t time;       /* validation time, seconds since 1970 */
    int purpose;        /* MT_X509_PURPOSE_* */
    int allow_sha1;     /* accept SHA-1 signatures (MD5 is always refused) */
    int max_depth;      /* non-self-issued intermediates allowed; < 0 means 10 */
    const char *host;   /* DNS name to check (NULL: none) */
    const char *ip;     /* IP address to check (NULL: none) */
    int no_cn_fallback; /* never match host against the subject CN */
    int strict;         /* also enforce RFC 5280 profile rules (see mt_x509_verify) */
} mt_x509_verify_opts;

/*
 * Validate chain[0] (the leaf) using chain[1..n-1] as untrusted intermediates in any order
 * and the anchors of `store`: a path is built from the leaf to any certificate of the store,
 * trying candidate issuers (name match; matching key identifiers first) with backtracking,
 * never reusing a certificate, within MT_X509_MAX_PATH certificates and
 * MT_X509_MAX_SIG_CHECKS signature checks. On each complete path: signatures (MD5 refused,
 * SHA-1 unless allow_sha1), validity of every certificate including the anchor, cA for every
 * issuer (a v1 anchor is accepted as a CA unless strict), pathLenConstraint, keyCertSign when
 * keyUsage is present, extKeyUsage of the leaf and of every issuer for the purpose
 * (anyExtendedKeyUsage accepted), name constraints (DNS, IP, email, URI, directoryName; other
 * forms refused when both constrained and present), unknown critical extensions, RSA keys of
 * fewer than 2048 bits; then the host name or IP on the leaf. `strict` adds: serial numbers
 * positive and at most 20 octets, AKI required (except self-signed) and SKI required on CAs,
 * neither critical, CA basicConstraints critical, non-empty issuer and CA subject, a critical
 * SAN when the subject is empty, keyCertSign only with cA, no nameConstraints in end-entity
 * certificates, policyConstraints critical.
 *
 * Returns 0 when a path is valid. Errors: the -MT_E_CERT_* code of the most relevant failure
 * (from the path that got furthest), with *fail_depth (may be NULL) set to the position of the
 * failing certificate in that path (0 = leaf); -MT_E_NOMEM; -MT_E_INVALID_ARG when n is 0.
 */
MT_WUR int mt_x509_verify(mt_x509 *const *chain, size_t n, mt_x509_store *store,
                          const mt_x509_verify_opts *opts, int *fail_depth);

#endif
