/*
 * suites.h -- one table row per cipher suite (STYLE.md "tables, not code").
 *
 * A row says everything the engine needs to run the suite: IANA id and name,
 * key exchange, authentication, record protection, PRF hash and the protocol
 * versions it is defined for. Preference orders are separate arrays.
 */
#ifndef MT_SUITES_H
#define MT_SUITES_H

#include <nettle/nettle-meta.h>

#include "cipher.h"
#include "cipher_cbc.h"
#include "mt.h"

/* Protocol versions as on the wire. */
enum {
    MT_SSL3 = 0x0300,
    MT_TLS10 = 0x0301,
    MT_TLS11 = 0x0302,
    MT_TLS12 = 0x0303,
    MT_TLS13 = 0x0304,
};

typedef enum mt_kx {
    MT_KX_ECDHE = 1,
    MT_KX_DHE,
    MT_KX_RSA,
    MT_KX_TLS13, /* key exchange negotiated by key_share, not the suite */
} mt_kx;

typedef enum mt_auth {
    MT_AUTH_ECDSA = 1, /* ECDSA and EdDSA certificates (RFC 8422 5.1.2) */
    MT_AUTH_RSA,
    MT_AUTH_TLS13, /* any: signature_algorithms decides */
} mt_auth;

/*
 * Record protection is either an AEAD (`aead` set, `cbc` and `mac` NULL) or a
 * block cipher in CBC mode with a record MAC (`cbc` and `mac` set, `aead`
 * NULL; RFC 5246 6.2.3.2, RFC 7366). Exactly one of the two is present.
 */
typedef struct mt_suite {
    uint16_t id;
    const char *name; /* IANA name */
    uint8_t kx;       /* mt_kx */
    uint8_t auth;     /* mt_auth */
    const mt_aead *aead;
    const struct nettle_hash *prf; /* PRF / HKDF / transcript hash */
    uint16_t min_version, max_version;
    const mt_cbc_cipher *cbc; /* CBC suites: the block cipher */
    const mt_cbc_mac *mac;    /* CBC suites: the record MAC (HMAC) */
} mt_suite;

/* The row for IANA id, or NULL. */
const mt_suite *mt_suite_by_id(uint16_t id);

/* The row whose IANA name (or OpenSSL-style alias) is `name`, or NULL. */
const mt_suite *mt_suite_by_name(const char *name);

/* 1 if the suite may be used at `version`. */
int mt_suite_allows(const mt_suite *s, uint16_t version);

/* Default preference order (AEAD with forward secrecy first, TLS 1.3 rows first),
 * terminated by 0; RSA key transport and CBC suites are left out (opt-in). */
extern const uint16_t mt_suites_default[];

/* Every suite this build implements, terminated by 0. */
extern const uint16_t mt_suites_all[];

/* Special values in a ClientHello's cipher_suites (RFC 5746 3.3, RFC 7507 6). */
#define MT_SCSV_RENEGOTIATION 0x00ff
#define MT_SCSV_FALLBACK 0x5600

#endif
