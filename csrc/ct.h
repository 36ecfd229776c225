/*
 * ct.h -- secure wipe and constant-time helpers.
 *
 * CONSTANT TIME: every function here except mt_wipe runs in time that depends
 * only on its length arguments, never on the contents of the buffers or on
 * the secret condition. Use these, not memcmp or `if`, wherever a secret or
 * an attacker-controlled MAC/padding is compared or selected.
 */
#ifndef MT_CT_H
#define MT_CT_H

#include "mt.h"

/* Overwrite `n` bytes at `p` with zeros in a way the compiler cannot remove. p may be NULL. */
void mt_wipe(void *p, size_t n);

/* 1 if the `n` bytes at a and b are equal, else 0. Constant time. */
int mt_ct_eq(const void *a, const void *b, size_t n);

/* 1 if all `n` bytes at p are zero, else 0. Constant time. */
int mt_ct_is_zero(const void *p, size_t n);

/* Copy `n` bytes from src to dst if cond is 1, do nothing if 0 (cond must be 0 or 1). Constant
 * time. */
void mt_ct_copy_if(int cond, void *dst, const void *src, size_t n);

/* For each byte: out = cond ? a : b, with cond 0 or 1. Constant time. out may alias a or b. */
void mt_ct_select(int cond, void *out, const void *a, const void *b, size_t n);

/* All-ones mask if x == y, else 0. Constant time. */
uint32_t mt_ct_mask_eq(uint32_t x, uint32_t y);

/* All-ones mask if x < y, else 0 (unsigned). Constant time. */
uint32_t mt_ct_mask_lt(uint32_t x, uint32_t y);

/* All-ones mask if x is nonzero, else 0. Constant time. */
uint32_t mt_ct_mask_nonzero(uint32_t x);

#endif
