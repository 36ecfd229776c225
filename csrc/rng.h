/*
 * rng.h -- the process-wide random generator.
 *
 * A fast-key-erasure DRBG on nettle's ChaCha20: each request keys ChaCha20
 * with the current 32-byte key, takes the first 32 bytes of keystream as the
 * next key and hands out the rest, so a later compromise of the state reveals
 * nothing already produced. The key is seeded from getrandom(), mixed with
 * fresh kernel entropy (SHA-256) every MT_RNG_RESEED_BYTES, and reseeded in a
 * forked child before it produces anything, so parent and child never share
 * output (detected both by a pthread_atfork handler and by a pid check, which
 * also catches a raw clone()). Thread-safe.
 */
#ifndef MT_RNG_H
#define MT_RNG_H

#include "mt.h"

/* Reseed after this much output even without a fork. */
#define MT_RNG_RESEED_BYTES ((uint64_t)1 << 30)

/* Fill `n` bytes with random data. Errors: -MT_E_RANDOM if the kernel gives no entropy. */
MT_WUR int mt_rng_bytes(void *out, size_t n);

/* Mix fresh kernel entropy into the state now. Errors: -MT_E_RANDOM. */
MT_WUR int mt_rng_reseed(void);

/* Number of times the generator has been seeded or reseeded in this process (for tests). */
uint64_t mt_rng_reseed_count(void);

/*
 * nettle_random_func adapter for hogweed calls (key generation, blinding).
 * Aborts the process if the kernel gives no entropy, since nettle's interface
 * cannot report a failure and continuing with no randomness would be worse.
 */
void mt_rng_nettle(void *ctx, size_t n, uint8_t *dst);

#endif
