/* Unit tests for the wipe and constant-time helpers (ct.c). */
#include <stdint.h>

#include "../ct.h"
#include "t.h"

static void eq_detects_every_position(void)
{
    uint8_t a[64], b[64];
    for (int i = 0; i < 64; i++) {
        a[i] = b[i] = (uint8_t)(i * 7);
    }
    CHECK_EQ(mt_ct_eq(a, b, 64), 1);
    CHECK_EQ(mt_ct_eq(a, b, 0), 1);
    for (int i = 0; i < 64; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1 << bit);
            if (mt_ct_eq(a, b, 64) != 0) {
                printf("# difference at byte %d bit %d missed\n", i, bit);
                CHECK(0);
            }
            b[i] ^= (uint8_t)(1 << bit);
        }
    }
    CHECK_EQ(mt_ct_eq(a, b, 64), 1);
}

static void is_zero(void)
{
    uint8_t z[33] = {0};
    CHECK_EQ(mt_ct_is_zero(z, sizeof(z)), 1);
    CHECK_EQ(mt_ct_is_zero(z, 0), 1);
    for (size_t i = 0; i < sizeof(z); i++) {
        for (int v = 1; v < 256; v <<= 1) {
            z[i] = (uint8_t)v;
            CHECK_EQ(mt_ct_is_zero(z, sizeof(z)), 0);
        }
        z[i] = 0xff;
        CHECK_EQ(mt_ct_is_zero(z, sizeof(z)), 0);
        z[i] = 0;
    }
}

static void copy_if_and_select(void)
{
    uint8_t dst[5] = {1, 2, 3, 4, 5};
    const uint8_t src[5] = {9, 9, 9, 9, 9};
    mt_ct_copy_if(0, dst, src, 5);
    CHECK(dst[0] == 1 && dst[4] == 5);
    mt_ct_copy_if(1, dst, src, 5);
    CHECK(dst[0] == 9 && dst[4] == 9);
    const uint8_t a[3] = {0x00, 0xff, 0x5a}, b[3] = {0xff, 0x00, 0xa5};
    uint8_t out[3];
    mt_ct_select(1, out, a, b, 3);
    CHECK(memcmp(out, a, 3) == 0);
    mt_ct_select(0, out, a, b, 3);
    CHECK(memcmp(out, b, 3) == 0);
}

static void masks(void)
{
    static const uint32_t v[] = {0,           1,           2,           0x7fffffff,
                                 0x80000000u, 0x80000001u, 0xfffffffeu, 0xffffffffu};
    size_t n = sizeof(v) / sizeof(v[0]);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(mt_ct_mask_nonzero(v[i]), v[i] ? 0xffffffffu : 0);
        for (size_t j = 0; j < n; j++) {
            CHECK_EQ(mt_ct_mask_eq(v[i], v[j]), v[i] == v[j] ? 0xffffffffu : 0);
            CHECK_EQ(mt_ct_mask_lt(v[i], v[j]), v[i] < v[j] ? 0xffffffffu : 0);
        }
    }
}

static void wipe(void)
{
    uint8_t s[40];
    memset(s, 0xaa, sizeof(s));
    mt_wipe(s + 4, 32);
    CHECK(s[3] == 0xaa && s[36] == 0xaa);
    CHECK_EQ(mt_ct_is_zero(s + 4, 32), 1);
    mt_wipe(NULL, 10); /* allowed */
}

int main(void)
{
    RUN(eq_detects_every_position);
    RUN(is_zero);
    RUN(copy_if_and_select);
    RUN(masks);
    RUN(wipe);
    return t_done();
}
