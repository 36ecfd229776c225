/*
 * keys.h -- public and private keys: loading, generation, writing, signing.
 *
 * Formats read (DER or PEM, detected): RSA PKCS#1 (RSAPrivateKey,
 * RSAPublicKey), EC SEC1 (ECPrivateKey, named curves P-256/P-384/P-521),
 * DSA (OpenSSL's DSAPrivateKey), PKCS#8 PrivateKeyInfo / OneAsymmetricKey for
 * every type incl. Ed25519/Ed448 (RFC 8410), encrypted PKCS#8 (PBES2 with
 * PBKDF2-HMAC-SHA1/SHA-2 and AES-CBC) given a password, and
 * SubjectPublicKeyInfo for every type. Written: PKCS#8 and SPKI DER (PEM via
 * pem.h).
 *
 * Signing uses nettle's side-channel-silent calls (rsa_*_sign_tr with
 * blinding from mt_rng, ECDSA/EdDSA/DSA in constant-time ecc code); private
 * key material is wiped by mt_key_free().
 */
#ifndef MT_KEYS_H
#define MT_KEYS_H

#include "buf.h"
#include "mt.h"

typedef enum mt_key_type {
    MT_KEY_NONE = 0,
    MT_KEY_RSA,
    MT_KEY_EC_P256,
    MT_KEY_EC_P384,
    MT_KEY_EC_P521,
    MT_KEY_ED25519,
    MT_KEY_ED448,
    MT_KEY_DSA,
} mt_key_type;

typedef enum mt_hash_id {
    MT_HASH_NONE = 0, /* EdDSA: the scheme hashes internally */
    MT_HASH_MD5,      /* recognised so it can be refused */
    MT_HASH_SHA1,
    MT_HASH_SHA224,
    MT_HASH_SHA256,
    MT_HASH_SHA384,
    MT_HASH_SHA512,
} mt_hash_id;

typedef enum mt_sig_kind {
    MT_SIG_NONE = 0,
    MT_SIG_RSA_PKCS1, /* RSASSA-PKCS1-v1_5 */
    MT_SIG_RSA_PSS,   /* RSASSA-PSS, MGF1 with the same hash */
    MT_SIG_ECDSA,     /* DER Ecdsa-Sig-Value */
    MT_SIG_EDDSA,     /* Ed25519 / Ed448 (pure) */
    MT_SIG_DSA,       /* DER Dss-Sig-Value */
} mt_sig_kind;

/* A signature algorithm: kind, hash and, for PSS, the salt length in bytes. */
typedef struct mt_sig_alg {
    uint8_t kind;      /* mt_sig_kind */
    uint8_t hash;      /* mt_hash_id */
    uint16_t salt_len; /* PSS only; signing normally uses the hash length */
} mt_sig_alg;

typedef struct mt_key mt_key;

/* nettle's description of hash `id` (NULL for MT_HASH_NONE or unknown). */
const struct nettle_hash *mt_hash_nettle(int id);

/* Digest length of hash `id` in bytes (0 if none). */
size_t mt_hash_len(int id);

/* Hash id from its name ("md5", "sha1", "sha224", "sha256", "sha384", "sha512"), or
 * MT_HASH_NONE. */
int mt_hash_from_name(const char *name);

/*
 * Load a private or public key from PEM or DER. `password` (may be NULL) decrypts an
 * encrypted PKCS#8 key. For PEM the first block with a key label is used (PRIVATE KEY,
 * ENCRYPTED PRIVATE KEY, PUBLIC KEY, RSA/EC/DSA PRIVATE KEY, RSA PUBLIC KEY); others such as
 * EC PARAMETERS are skipped. RSA keys may be id-RSASSA-PSS ones (RFC 4055: PSS signatures
 * only, restricted by their parameters; see mt_key_is_rsa_pss). Not supported: multi-prime RSA,
 * compressed EC points, curves other than P-256/384/521, PSS parameters with SHA-1 or SHA-224.
 * Errors: -MT_E_ASN1/-MT_E_PEM (malformed), -MT_E_KEY_UNSUPPORTED, -MT_E_KEY_INVALID,
 * -MT_E_PASSWORD_NEEDED, -MT_E_BAD_PASSWORD, -MT_E_NOMEM.
 */
MT_WUR int mt_key_load(const uint8_t *data, size_t len, const char *password, size_t pwlen,
                       mt_key **out);

/* Public key from a DER SubjectPublicKeyInfo (as found in certificates). Points are checked
 * to lie on their curve. Errors as mt_key_load. */
MT_WUR int mt_key_from_spki(const uint8_t *der, size_t len, mt_key **out);

/* Generate a key: RSA with `bits` in [2048, 4096] (e = 65537); EC and EdDSA ignore bits.
 * Errors: -MT_E_INVALID_ARG, -MT_E_KEY_UNSUPPORTED, -MT_E_NOMEM, -MT_E_RANDOM. */
MT_WUR int mt_key_generate(mt_key_type type, unsigned bits, mt_key **out);

/* Wipe and free (NULL is fine). */
void mt_key_free(mt_key *k);

mt_key_type mt_key_type_of(const mt_key *k);

/* Short name of a key type: "rsa", "ec-p256", "ec-p384", "ec-p521", "ed25519", "ed448", "dsa"
 * ("none" for anything else). */
const char *mt_key_type_name(mt_key_type t);
int mt_key_is_private(const mt_key *k);

/* Size in bits: RSA/DSA modulus, curve size (255 for Ed25519, 448 for Ed448). */
unsigned mt_key_bits(const mt_key *k);

/* A new key holding only the public half of k. */
MT_WUR int mt_key_public(const mt_key *k, mt_key **out);

/* 1 if a and b have the same public key, else 0. */
int mt_key_public_eq(const mt_key *a, const mt_key *b);

/* Append the DER SubjectPublicKeyInfo of k to out. */
MT_WUR int mt_key_write_spki(const mt_key *k, mt_wr *out);

/* Append the DER PKCS#8 PrivateKeyInfo of k to out. Errors: -MT_E_INVALID_ARG if public. */
MT_WUR int mt_key_write_pkcs8(const mt_key *k, mt_wr *out);

/* 1 for an id-RSASSA-PSS key (type MT_KEY_RSA, RFC 4055 1.2): it makes and checks PSS
 * signatures only (TLS: the rsa_pss_pss_* schemes, RFC 8446 4.2.3) and never encrypts. */
int mt_key_is_rsa_pss(const mt_key *k);

/* Make an RSA key an unrestricted id-RSASSA-PSS one (key generation: OpenSSL's
 * `genpkey -algorithm RSA-PSS`). Errors: -MT_E_INVALID_ARG (not RSA). */
MT_WUR int mt_key_set_rsa_pss(mt_key *k);

/* 1 if the key can make or check signatures of `alg` (kind and hash fit the key type). */
int mt_key_supports(const mt_key *k, mt_sig_alg alg);

/* Sign msg; the signature is appended to sig. Errors: -MT_E_INVALID_ARG (public key),
 * -MT_E_SIG_UNSUPPORTED, -MT_E_NOMEM, -MT_E_RANDOM. */
MT_WUR int mt_key_sign(const mt_key *k, mt_sig_alg alg, const uint8_t *msg, size_t len, mt_wr *sig);

/* Verify sig over msg. Errors: -MT_E_SIGNATURE (bad signature, including malformed
 * encodings), -MT_E_SIG_UNSUPPORTED. */
MT_WUR int mt_key_verify(const mt_key *k, mt_sig_alg alg, const uint8_t *msg, size_t len,
                         const uint8_t *sig, size_t siglen);

/* As mt_key_sign / mt_key_verify for a precomputed digest (not EdDSA), for TLS 1.2's running
 * transcript hash. digest_len must be the hash length of alg.hash. */
MT_WUR int mt_key_sign_digest(const mt_key *k, mt_sig_alg alg, const uint8_t *digest,
                              size_t digest_len, mt_wr *sig);
MT_WUR int mt_key_verify_digest(const mt_key *k, mt_sig_alg alg, const uint8_t *digest,
                                size_t digest_len, const uint8_t *sig, size_t siglen);

/* ---- RSA key transport (TLS 1.2 RSA key exchange, RFC 5246 7.4.7.1) ---- */

#define MT_PREMASTER_LEN 48

/*
 * Server side: decrypt an EncryptedPreMasterSecret (the bytes inside its length prefix) with
 * RSA private key k. Always writes 48 bytes to out and returns 0 once the ciphertext is the
 * modulus length: the premaster secret when the RSAES-PKCS1-v1_5 padding is valid, the
 * message is exactly 48 bytes and its first two bytes equal `client_version` (the version
 * the ClientHello offered), otherwise 48 random bytes. The handshake then fails at Finished,
 * indistinguishably from a wrong premaster secret (RFC 5246 7.4.7.1, Bleichenbacher 1998,
 * Klima-Pokorny-Rosa 2003 for the version check).
 * Errors (public facts only, before any private-key operation): -MT_E_INVALID_ARG (not an RSA
 * private key), -MT_E_BAD_LENGTH (ciphertext length differs from the modulus length),
 * -MT_E_RANDOM. On error out is unspecified.
 *
 * CONSTANT TIME: the 48 random bytes are drawn before decrypting. nettle's rsa_sec_decrypt
 * (blinded CRT root, checked against the public key, side-channel-silent unpadding) writes
 * the message into a buffer only under a mask and returns its verdict as 0/1 without
 * branching on the padding. The verdict and the two version bytes are combined with
 * mt_ct_mask_eq, and mt_ct_copy_if selects the decrypted or the random bytes, so no branch,
 * early return, memory access or error code depends on the padding, the message length or
 * the version. The only early exits depend on the ciphertext length and on c >= n inside
 * nettle, both visible to an attacker anyway.
 */
MT_WUR int mt_key_rsa_decrypt_premaster(const mt_key *k, const uint8_t *ct, size_t len,
                                        uint16_t client_version, uint8_t out[MT_PREMASTER_LEN]);

/* Client side: RSAES-PKCS1-v1_5-encrypt the 48-byte premaster secret (client_version || 46
 * random bytes, made by the caller) to RSA key k (public or private) and append the modulus-
 * length ciphertext to out (without the TLS length prefix). Padding from mt_rng.
 * Errors: -MT_E_INVALID_ARG (not RSA), -MT_E_BUFFER_FULL, -MT_E_NOMEM. */
MT_WUR int mt_key_rsa_encrypt_premaster(const mt_key *k, const uint8_t premaster[MT_PREMASTER_LEN],
                                        mt_wr *out);

/*
 * Decrypt an RSAES-PKCS1-v1_5 ciphertext whose message must be exactly `msg_len` bytes into
 * msg, with rsa_sec_decrypt. Unlike mt_key_rsa_decrypt_premaster this says whether it worked,
 * so it is for tests and non-TLS uses only: it must not answer a network peer.
 * Errors: -MT_E_INVALID_ARG (not an RSA private key, msg_len > modulus length - 11),
 * -MT_E_DECRYPT_ERROR (wrong ciphertext length, c >= n, bad padding or other length).
 */
MT_WUR int mt_key_rsa_decrypt(const mt_key *k, const uint8_t *ct, size_t len, uint8_t *msg,
                              size_t msg_len);

#endif
