/*
 * kex.h -- ephemeral (EC)DH key shares for ECDHE (RFC 8422, RFC 7748, RFC 8446 4.2.8).
 *
 * A share holds one group's private key and its public encoding: X25519 and
 * X448 as the 32/56-byte u-coordinate, P-256/P-384/P-521 as an uncompressed
 * point 0x04 || X || Y. The peer's public value is validated before use:
 * length and form, coordinates in range and on the curve (nettle's
 * ecc_point_set), and for X25519/X448 an all-zero shared secret is refused
 * (RFC 7748 6.1). The NIST private scalar stays in nettle's limb form and the
 * shared X coordinate is read from limbs, so GMP never handles a secret.
 */
#ifndef MT_KEX_H
#define MT_KEX_H

#include <nettle/ecc.h>

#include "mt.h"

/* IANA TLS NamedGroup values (RFC 8446 4.2.7). */
enum {
    MT_GROUP_SECP256R1 = 23,
    MT_GROUP_SECP384R1 = 24,
    MT_GROUP_SECP521R1 = 25,
    MT_GROUP_X25519 = 29,
    MT_GROUP_X448 = 30,
};

#define MT_KEX_MAX_PUB 133   /* P-521 uncompressed */
#define MT_KEX_MAX_SECRET 66 /* P-521 X coordinate */

typedef struct mt_kex_share {
    uint16_t group;
    uint8_t pub[MT_KEX_MAX_PUB];
    size_t pub_len;
    uint8_t raw[56];          /* X25519/X448 private scalar */
    struct ecc_scalar scalar; /* NIST curves */
    int has_scalar;
} mt_kex_share;

/* 1 if `group` is an ECDHE group this build supports, else 0. */
int mt_kex_supported(uint16_t group);

/* Name of `group` ("x25519", "secp256r1", ...) or NULL. */
const char *mt_kex_group_name(uint16_t group);

/* Generate a key share for `group`. Errors: -MT_E_INVALID_ARG (unsupported group),
 * -MT_E_RANDOM. Call mt_kex_wipe() when done, whatever the result. */
MT_WUR int mt_kex_generate(mt_kex_share *s, uint16_t group);

/* Load a known private key (big-endian scalar for NIST curves, RFC 7748 bytes for X25519/X448)
 * and compute its public value: for known-answer tests. The NIST scalar passes through GMP,
 * so this is not for live keys. Errors: -MT_E_INVALID_ARG (group, length or range). */
MT_WUR int mt_kex_set_private(mt_kex_share *s, uint16_t group, const uint8_t *priv, size_t len);

/* Derive the shared secret with the peer's public value. out must hold MT_KEX_MAX_SECRET
 * bytes; *out_len receives the secret length (32, 56, 32, 48 or 66).
 * Errors: -MT_E_ILLEGAL_PARAMETER (bad length, form or point; zero X25519/X448 result),
 * -MT_E_INVALID_ARG (no share). */
MT_WUR int mt_kex_derive(const mt_kex_share *s, const uint8_t *peer, size_t peer_len, uint8_t *out,
                         size_t *out_len);

/* Forget the private key (wiped) and the public value. */
void mt_kex_wipe(mt_kex_share *s);

#endif
