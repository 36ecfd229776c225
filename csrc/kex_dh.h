/*
 * kex_dh.h -- finite-field Diffie-Hellman: the RFC 7919 FFDHE groups (TLS 1.3
 * key shares, TLS 1.2 DHE with negotiated groups) and server-chosen groups for
 * TLS 1.2 DHE (ServerDHParams, RFC 5246 7.4.3).
 *
 * Why not inside kex.h: mt_kex_share keeps its public value in a fixed
 * 133-byte array and its secret in MT_KEX_MAX_SECRET (66) bytes, which callers
 * size buffers by; an ffdhe8192 value is 1024 bytes. Folding FFDHE into
 * mt_kex_* would grow every ECDHE share and every caller's buffer eightfold, so
 * FFDHE has its own mt_dh_* calls and kex.h is unchanged. A caller that walks a
 * NamedGroup list asks mt_kex_supported(g) || mt_dh_supported(g).
 *
 * Private exponents are short (RFC 7919 5.2): an m-bit random number with the
 * top bit set, m from the group's row in RFC 7919 Appendix A (225, 275, 325,
 * 375, 400 bits, each above twice the group's estimated strength). For a
 * server-chosen p the exponent size is that of the named group of the same or
 * next smaller size (225 bits below 3072).
 *
 * CONSTANT TIME: g^x mod p and Y^x mod p use GMP's mpz_powm_sec, whose memory
 * access pattern and timing depend only on the operand sizes. The exponent
 * always has exactly m bits (top bit set), so its size reveals nothing. The
 * shared secret is copied out with mpz_export; in the TLS 1.2 form the number
 * of leading zero bytes stripped (public in the protocol, RFC 5246 8.1.2) shows
 * in the output length. Secrets in mpz variables are wiped before they are
 * freed; GMP's own temporary space inside mpz_powm_sec is not (GMP offers no
 * hook), which is the same exposure nettle's RSA code has.
 * Validation of peer values and parameters works on public data and is not
 * constant time.
 */
#ifndef MT_KEX_DH_H
#define MT_KEX_DH_H

#include <gmp.h>

#include "buf.h"
#include "mt.h"

/* IANA TLS NamedGroup values of the RFC 7919 groups (RFC 8446 4.2.7). */
enum {
    MT_GROUP_FFDHE2048 = 256,
    MT_GROUP_FFDHE3072 = 257,
    MT_GROUP_FFDHE4096 = 258,
    MT_GROUP_FFDHE6144 = 259,
    MT_GROUP_FFDHE8192 = 260,
};

/* Largest modulus handled, in bytes (ffdhe8192); also the cap on server-chosen p. */
#define MT_DH_MAX_BYTES 1024

/* Default floor on the size of a server-chosen p (RFC 7919 1, weak DH / Logjam). */
#define MT_DH_MIN_BITS_DEFAULT 2048

/* Output form of the shared secret. */
typedef enum mt_dh_form {
    MT_DH_PADDED = 0,   /* RFC 8446 7.4.1: left-padded with zeros to the size of p */
    MT_DH_STRIPPED = 1, /* RFC 5246 8.1.2: leading zero bytes stripped */
} mt_dh_form;

/* An ephemeral key: group parameters, private exponent and public value. */
typedef struct mt_dh_key {
    uint16_t group; /* NamedGroup, or 0 for a server-chosen group */
    int live;       /* 1 while p, g, x are initialised (mt_dh_wipe clears them) */
    int ready;      /* 1 once x and the public value are set */
    size_t p_len;   /* bytes in p */
    mpz_t p, g, x;
    uint8_t pub[MT_DH_MAX_BYTES]; /* Y = g^x mod p, left-padded to p_len bytes */
    size_t pub_len;               /* == p_len */
} mt_dh_key;

/* ServerDHParams as received (RFC 5246 7.4.3): borrowed views into the message. */
typedef struct mt_dh_params {
    const uint8_t *p, *g, *ys;
    size_t p_len, g_len, ys_len;
} mt_dh_params;

/* What a client accepts from a server-chosen group. */
typedef struct mt_dh_policy {
    unsigned min_bits; /* smallest p in bits; 0 means MT_DH_MIN_BITS_DEFAULT */
    int check_prime;   /* 1: run a probabilistic primality test on p (custom groups only) */
} mt_dh_policy;

/* 1 if `group` is one of the FFDHE NamedGroups 256..260, else 0. */
int mt_dh_supported(uint16_t group);

/* Name of `group` ("ffdhe2048", ...) or NULL. */
const char *mt_dh_group_name(uint16_t group);

/* Size in bits of the private exponent used with `group` (225..400), or 0 if unknown. */
unsigned mt_dh_exponent_bits(uint16_t group);

/* Copy the big-endian bytes of the modulus of `group` into out (MT_DH_MAX_BYTES); *len receives
 * its size. The generator of every FFDHE group is 2. Errors: -MT_E_INVALID_ARG. */
MT_WUR int mt_dh_group_prime(uint16_t group, uint8_t *out, size_t *len);

/* Generate an ephemeral key for FFDHE `group` (private exponent from mt_rng).
 * Errors: -MT_E_INVALID_ARG (unknown group), -MT_E_RANDOM. Call mt_dh_wipe() whatever the
 * result. */
MT_WUR int mt_dh_generate(mt_dh_key *k, uint16_t group);

/* Generate an ephemeral key with server-chosen parameters p, g (big-endian), which the caller
 * has validated with mt_dh_check_params. A (p, g) equal to an FFDHE group is treated as that
 * group (k->group is set). Errors: -MT_E_INVALID_ARG (p even, of 512 bits or fewer, above
 * MT_DH_MAX_BYTES, or g out
 * of range), -MT_E_RANDOM. Call mt_dh_wipe() whatever the result. */
MT_WUR int mt_dh_generate_custom(mt_dh_key *k, const uint8_t *p, size_t p_len, const uint8_t *g,
                                 size_t g_len);

/* Load a known private exponent (big-endian, 1 < x < p-1) for FFDHE `group` and compute its
 * public value: for known-answer tests, not for live keys. Errors: -MT_E_INVALID_ARG.
 * Call mt_dh_wipe() whatever the result. */
MT_WUR int mt_dh_set_private(mt_dh_key *k, uint16_t group, const uint8_t *x, size_t len);

/*
 * Check a peer's public value (big-endian) against key k's group, RFC 7919 5.1 and RFC 8446
 * 4.2.8.1: 1 < Y < p-1. With `exact_len` the encoding must be exactly p_len bytes (a TLS 1.3
 * key share); without, 1..p_len bytes with leading zeros allowed (TLS 1.2 dh_Yc / dh_Ys).
 * Errors: -MT_E_ILLEGAL_PARAMETER, -MT_E_INVALID_ARG (k not ready).
 */
MT_WUR int mt_dh_check_public(const mt_dh_key *k, const uint8_t *y, size_t len, int exact_len);

/*
 * Shared secret Z = peer^x mod p; the peer value is checked first as by mt_dh_check_public
 * (with exact_len for MT_DH_PADDED). `form` MT_DH_PADDED (TLS 1.3: the
 * peer value must be exactly p_len bytes, Z is p_len bytes) or MT_DH_STRIPPED (TLS 1.2: any
 * length up to p_len, Z without leading zero bytes). out holds MT_DH_MAX_BYTES; *out_len gets
 * the length. Errors: -MT_E_ILLEGAL_PARAMETER (peer value), -MT_E_INVALID_ARG.
 */
MT_WUR int mt_dh_derive(const mt_dh_key *k, const uint8_t *peer, size_t peer_len, mt_dh_form form,
                        uint8_t *out, size_t *out_len);

/* Forget the key: private exponent wiped, everything cleared. Safe on a zeroed or wiped key. */
void mt_dh_wipe(mt_dh_key *k);

/* Parse ServerDHParams { opaque dh_p<1..2^16-1>; opaque dh_g<1..2^16-1>;
 * opaque dh_Ys<1..2^16-1>; } from r (RFC 5246 7.4.3); the views borrow r's bytes. Nothing is
 * validated here beyond the encoding. Errors: -MT_E_TRUNCATED, -MT_E_BAD_LENGTH. */
MT_WUR int mt_dh_params_read(mt_rd *r, mt_dh_params *out);

/* Append key k's ServerDHParams (p, g, Ys, minimal encodings of p and g) to w. */
MT_WUR int mt_dh_params_write(const mt_dh_key *k, mt_wr *w);

/*
 * Client-side validation of server-chosen parameters (TLS 1.2 DHE): p odd, at least
 * pol->min_bits and at most MT_DH_MAX_BYTES*8 bits, 1 < g < p-1, 1 < Ys < p-1, and, if
 * pol->check_prime and (p, g) is not an FFDHE group, p probably prime (mpz_probab_prime_p
 * with 25 rounds: BPSW plus one Miller-Rabin round). pol may be NULL (defaults, no primality
 * test). *named (may be NULL) receives the NamedGroup when (p, g) is an RFC 7919 group, else 0.
 * Errors: -MT_E_INSUFFICIENT_SECURITY (p too small), -MT_E_ILLEGAL_PARAMETER (anything else).
 */
MT_WUR int mt_dh_check_params(const mt_dh_params *prm, const mt_dh_policy *pol, uint16_t *named);

#endif
