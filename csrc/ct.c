#include "ct.h"

#include <nettle/memops.h>
#include <string.h>

void mt_wipe(void *p, size_t n)
{
    if (p && n) {
        /* glibc's explicit_bzero is documented not to be optimised away. */
        explicit_bzero(p, n);
    }
}

int mt_ct_eq(const void *a, const void *b, size_t n)
{
    if (n == 0) {
        return 1;
    }
    return memeql_sec(a, b, n) ? 1 : 0;
}

int mt_ct_is_zero(const void *p, size_t n)
{
    const volatile uint8_t *b = p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= b[i];
    }
    return (int)(1 & ((uint32_t)(acc - 1) >> 8));
}

void mt_ct_copy_if(int cond, void *dst, const void *src, size_t n)
{
    if (n) {
        cnd_memcpy(cond, dst, src, n);
    }
}

void mt_ct_select(int cond, void *out, const void *a, const void *b, size_t n)
{
    uint8_t mask = (uint8_t)(0 - (uint8_t)(cond & 1));
    const uint8_t *pa = a;
    const uint8_t *pb = b;
    uint8_t *po = out;
    for (size_t i = 0; i < n; i++) {
        po[i] = (uint8_t)((pa[i] & mask) | (pb[i] & (uint8_t)~mask));
    }
}

uint32_t mt_ct_mask_nonzero(uint32_t x)
{
    /* (x | -x) has its top bit set exactly when x != 0. */
    return (uint32_t)0 - ((x | ((uint32_t)0 - x)) >> 31);
}

uint32_t mt_ct_mask_eq(uint32_t x, uint32_t y)
{
    return ~mt_ct_mask_nonzero(x ^ y);
}

uint32_t mt_ct_mask_lt(uint32_t x, uint32_t y)
{
    /* Borrow of x - y, computed without a branch (Hacker's Delight 2-12). */
    uint32_t borrow = ((~x & y) | ((~x | y) & (x - y))) >> 31;
    return (uint32_t)0 - borrow;
}
