/* Unit tests for the bounds-checked reader and writer (buf.c). */
#include <stdint.h>
#include <stdlib.h>

#include "../buf.h"
#include "../err.h"
#include "t.h"

/*
 * A composite message with every reader operation and nested vectors:
 *   u8 u16 u24 u32 vec8{3 bytes} vec16{ vec8{2 bytes} u16 } vec24{4 bytes}
 * Offsets of the length fields are recorded so tests can corrupt them.
 */
struct sample {
    uint8_t b[64];
    size_t len;
    size_t vec8_at, vec16_at, inner8_at, vec24_at;
};

static void build_sample(struct sample *s)
{
    mt_wr w;
    mt_wr_init_fixed(&w, s->b, sizeof(s->b));
    int rc = 0;
    rc |= mt_wr_u8(&w, 0x01);
    rc |= mt_wr_u16(&w, 0x0203);
    rc |= mt_wr_u24(&w, 0x040506);
    rc |= mt_wr_u32(&w, 0x0708090a);
    s->vec8_at = w.len;
    rc |= mt_wr_open(&w, 1);
    rc |= mt_wr_bytes(&w, "abc", 3);
    rc |= mt_wr_close(&w);
    s->vec16_at = w.len;
    rc |= mt_wr_open(&w, 2);
    s->inner8_at = w.len;
    rc |= mt_wr_open(&w, 1);
    rc |= mt_wr_bytes(&w, "xy", 2);
    rc |= mt_wr_close(&w);
    rc |= mt_wr_u16(&w, 0xbeef);
    rc |= mt_wr_close(&w);
    s->vec24_at = w.len;
    rc |= mt_wr_open(&w, 3);
    rc |= mt_wr_bytes(&w, "WXYZ", 4);
    rc |= mt_wr_close(&w);
    rc |= mt_wr_finish(&w);
    CHECK_EQ(rc, 0);
    s->len = w.len;
}

/* Parses the sample with full recognition; returns 0 or the first error. */
static int parse_sample(const uint8_t *p, size_t len)
{
    mt_rd r, v8, v16, in8, v24;
    uint8_t a;
    uint16_t b, e;
    uint32_t c, d;
    const uint8_t *s;
    mt_rd_init(&r, p, len);
    GUARD(mt_rd_u8(&r, &a));
    GUARD(mt_rd_u16(&r, &b));
    GUARD(mt_rd_u24(&r, &c));
    GUARD(mt_rd_u32(&r, &d));
    GUARD(mt_rd_vec8(&r, &v8));
    GUARD(mt_rd_borrow(&v8, 3, &s));
    GUARD(mt_rd_end(&v8));
    GUARD(mt_rd_vec16(&r, &v16));
    GUARD(mt_rd_vec8(&v16, &in8));
    GUARD(mt_rd_skip(&in8, mt_rd_left(&in8)));
    GUARD(mt_rd_end(&in8));
    GUARD(mt_rd_u16(&v16, &e));
    GUARD(mt_rd_end(&v16));
    GUARD(mt_rd_vec24(&r, &v24));
    uint8_t four[4];
    GUARD(mt_rd_copy(&v24, four, 4));
    GUARD(mt_rd_end(&v24));
    GUARD(mt_rd_end(&r));
    if (a != 1 || b != 0x0203 || c != 0x040506 || d != 0x0708090a || e != 0xbeef ||
        memcmp(four, "WXYZ", 4) != 0 || memcmp(s, "abc", 3) != 0) {
        return -MT_E_DECODE;
    }
    return 0;
}

static void integers_round_trip(void)
{
    uint8_t buf[16];
    mt_wr w;
    mt_wr_init_fixed(&w, buf, sizeof(buf));
    CHECK_EQ(mt_wr_u8(&w, 0xfe), 0);
    CHECK_EQ(mt_wr_u16(&w, 0xfedc), 0);
    CHECK_EQ(mt_wr_u24(&w, 0xfedcba), 0);
    CHECK_EQ(mt_wr_u32(&w, 0xfedcba98), 0);
    CHECK_EQ(w.len, 10);
    static const uint8_t want[] = {0xfe, 0xfe, 0xdc, 0xfe, 0xdc, 0xba, 0xfe, 0xdc, 0xba, 0x98};
    CHECK(memcmp(buf, want, sizeof(want)) == 0);
    mt_rd r;
    uint8_t a;
    uint16_t b;
    uint32_t c, d;
    mt_rd_init(&r, buf, w.len);
    CHECK_EQ(mt_rd_u8(&r, &a), 0);
    CHECK_EQ(mt_rd_u16(&r, &b), 0);
    CHECK_EQ(mt_rd_u24(&r, &c), 0);
    CHECK_EQ(mt_rd_u32(&r, &d), 0);
    CHECK_EQ(a, 0xfe);
    CHECK_EQ(b, 0xfedc);
    CHECK_EQ(c, 0xfedcba);
    CHECK_EQ(d, 0xfedcba98u);
    CHECK_EQ(mt_rd_end(&r), 0);
}

static void sample_parses(void)
{
    struct sample s;
    build_sample(&s);
    CHECK_EQ(s.len, 1 + 2 + 3 + 4 + (1 + 3) + (2 + 1 + 2 + 2) + (3 + 4));
    CHECK_EQ(parse_sample(s.b, s.len), 0);
}

static void truncation_at_every_offset(void)
{
    struct sample s;
    build_sample(&s);
    for (size_t n = 0; n < s.len; n++) {
        /* A heap copy of exactly n bytes, so ASan catches any read past it. */
        uint8_t *p = malloc(n ? n : 1);
        memcpy(p, s.b, n);
        int rc = parse_sample(n ? p : NULL, n);
        if (rc != -MT_E_TRUNCATED) {
            printf("# truncated at %zu: rc %d (%s)\n", n, rc, mt_err_name(rc));
        }
        CHECK_EQ(rc, -MT_E_TRUNCATED);
        free(p);
    }
}

static void trailing_bytes(void)
{
    struct sample s;
    build_sample(&s);
    s.b[s.len] = 0;
    CHECK_EQ(parse_sample(s.b, s.len + 1), -MT_E_TRAILING);
}

static void each_length_field_corrupted(void)
{
    struct sample s;
    build_sample(&s);
    size_t at[] = {s.vec8_at, s.vec16_at, s.inner8_at, s.vec24_at};
    int width[] = {1, 2, 1, 3};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        /* one more than the body, one less, and the largest value the field holds */
        for (int how = 0; how < 3; how++) {
            struct sample c = s;
            size_t pos = at[i] + (size_t)width[i] - 1;
            if (how == 0) {
                c.b[pos]++;
            } else if (how == 1) {
                c.b[pos]--;
            } else {
                memset(c.b + at[i], 0xff, (size_t)width[i]);
            }
            uint8_t *p = malloc(c.len);
            memcpy(p, c.b, c.len);
            int rc = parse_sample(p, c.len);
            free(p);
            if (rc == 0) {
                printf("# length field %zu corruption %d accepted\n", i, how);
            }
            CHECK(rc == -MT_E_TRUNCATED || rc == -MT_E_TRAILING);
        }
    }
}

static void nested_vector_overruns_parent(void)
{
    /* vec16 of length 3 holding a vec8 that claims 5 bytes: the bytes after the
     * parent exist in memory but must not be reachable from the child. */
    static const uint8_t m[] = {0x00, 0x03, 0x05, 'a', 'b', 'c', 'd', 'e', 'f'};
    mt_rd r, outer, inner;
    mt_rd_init(&r, m, sizeof(m));
    CHECK_EQ(mt_rd_vec16(&r, &outer), 0);
    CHECK_EQ(mt_rd_left(&outer), 3);
    CHECK_EQ(mt_rd_vec8(&outer, &inner), -MT_E_TRUNCATED);
    /* a failed read consumes nothing */
    CHECK_EQ(mt_rd_left(&outer), 3);
    const uint8_t *b;
    CHECK_EQ(mt_rd_borrow(&outer, 4, &b), -MT_E_TRUNCATED);
    CHECK_EQ(mt_rd_borrow(&outer, 3, &b), 0);
    CHECK_EQ(mt_rd_end(&outer), 0);
    CHECK_EQ(mt_rd_left(&r), 4);
}

static void failed_reads_consume_nothing(void)
{
    static const uint8_t m[] = {1, 2, 3};
    mt_rd r;
    uint32_t v;
    mt_rd_init(&r, m, sizeof(m));
    CHECK_EQ(mt_rd_u32(&r, &v), -MT_E_TRUNCATED);
    CHECK_EQ(mt_rd_left(&r), 3);
    CHECK_EQ(mt_rd_skip(&r, 4), -MT_E_TRUNCATED);
    CHECK_EQ(mt_rd_skip(&r, SIZE_MAX), -MT_E_TRUNCATED);
    CHECK_EQ(mt_rd_left(&r), 3);
    mt_rd sub;
    CHECK_EQ(mt_rd_vec24(&r, &sub), -MT_E_TRUNCATED); /* claims 0x010203 bytes */
    CHECK_EQ(mt_rd_left(&r), 3);
    CHECK_EQ(mt_rd_u24(&r, &v), 0);
    CHECK_EQ(v, 0x010203);
    CHECK_EQ(mt_rd_u8(&r, (uint8_t *)&v), -MT_E_TRUNCATED);
}

static void vector_bounds(void)
{
    static const uint8_t m[] = {0x00, 0x02, 'h', 'i'};
    mt_rd r, sub;
    mt_rd_init(&r, m, sizeof(m));
    CHECK_EQ(mt_rd_vec(&r, 2, 3, 10, &sub), -MT_E_BAD_LENGTH);
    CHECK_EQ(mt_rd_vec(&r, 2, 0, 1, &sub), -MT_E_BAD_LENGTH);
    CHECK_EQ(mt_rd_left(&r), 4);
    CHECK_EQ(mt_rd_vec(&r, 4, 0, 10, &sub), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_rd_vec(&r, 2, 2, 2, &sub), 0);
    CHECK_EQ(mt_rd_left(&sub), 2);
    CHECK_EQ(mt_rd_end(&r), 0);
    /* a prefix longer than what is left */
    mt_rd_init(&r, m, 1);
    CHECK_EQ(mt_rd_vec16(&r, &sub), -MT_E_TRUNCATED);
    /* empty input and a NULL pointer */
    mt_rd_init(&r, NULL, 5);
    CHECK_EQ(mt_rd_left(&r), 0);
    CHECK_EQ(mt_rd_end(&r), 0);
}

static void fixed_writer_is_bounded_and_sticky(void)
{
    uint8_t buf[4] = {0};
    mt_wr w;
    mt_wr_init_fixed(&w, buf, 3);
    CHECK_EQ(mt_wr_u16(&w, 0x0102), 0);
    CHECK_EQ(mt_wr_u16(&w, 0x0304), -MT_E_BUFFER_FULL);
    CHECK_EQ(w.len, 2);
    CHECK_EQ(buf[2], 0);
    /* sticky: even a write that would fit now fails */
    CHECK_EQ(mt_wr_u8(&w, 5), -MT_E_BUFFER_FULL);
    CHECK_EQ(mt_wr_finish(&w), -MT_E_BUFFER_FULL);
    CHECK_EQ(buf[3], 0);
    mt_wr_reset(&w);
    CHECK_EQ(mt_wr_bytes(&w, "abc", 3), 0);
    CHECK_EQ(mt_wr_bytes(&w, "", 0), 0);
    CHECK_EQ(mt_wr_bytes(&w, "d", 1), -MT_E_BUFFER_FULL);
    CHECK_EQ(buf[3], 0);
    mt_wr_reset(&w);
    CHECK_EQ(mt_wr_bytes(&w, "abcd", SIZE_MAX), -MT_E_BUFFER_FULL);
}

static void back_patched_lengths(void)
{
    mt_wr w;
    mt_wr_init_growable(&w, 1 << 20);
    CHECK_EQ(mt_wr_open(&w, 3), 0);
    CHECK_EQ(mt_wr_open(&w, 2), 0);
    uint8_t *p;
    CHECK_EQ(mt_wr_reserve(&w, 300, &p), 0);
    memset(p, 0x5a, 300);
    CHECK_EQ(mt_wr_close(&w), 0);
    CHECK_EQ(mt_wr_open(&w, 1), 0);
    CHECK_EQ(mt_wr_close(&w), 0);
    CHECK_EQ(mt_wr_close(&w), 0);
    CHECK_EQ(mt_wr_finish(&w), 0);
    CHECK_EQ(w.len, 3 + 2 + 300 + 1);
    CHECK(w.p[0] == 0 && w.p[1] == 0x01 && w.p[2] == 0x2f); /* 303 */
    CHECK(w.p[3] == 0x01 && w.p[4] == 0x2c);                /* 300 */
    CHECK(w.p[305] == 0);
    size_t n;
    uint8_t *taken = mt_wr_take(&w, &n);
    CHECK(taken != NULL);
    CHECK_EQ(n, 306);
    CHECK_EQ(w.len, 0);
    free(taken);
    mt_wr_free(&w);
}

static void length_field_overflow(void)
{
    mt_wr w;
    mt_wr_init_growable(&w, 1 << 20);
    CHECK_EQ(mt_wr_open(&w, 1), 0);
    uint8_t *p;
    CHECK_EQ(mt_wr_reserve(&w, 256, &p), 0);
    CHECK_EQ(mt_wr_close(&w), -MT_E_BAD_LENGTH);
    mt_wr_free(&w);
    mt_wr_init_growable(&w, 1 << 20);
    CHECK_EQ(mt_wr_open(&w, 1), 0);
    CHECK_EQ(mt_wr_reserve(&w, 255, &p), 0);
    CHECK_EQ(mt_wr_close(&w), 0);
    CHECK_EQ(w.p[0], 255);
    mt_wr_free(&w);
}

static void nesting_errors(void)
{
    mt_wr w;
    mt_wr_init_growable(&w, 1024);
    CHECK_EQ(mt_wr_close(&w), -MT_E_NESTING);
    mt_wr_free(&w);
    mt_wr_init_growable(&w, 1024);
    for (int i = 0; i < MT_WR_MAX_OPEN; i++) {
        CHECK_EQ(mt_wr_open(&w, 2), 0);
    }
    CHECK_EQ(mt_wr_open(&w, 2), -MT_E_NESTING);
    mt_wr_free(&w);
    mt_wr_init_growable(&w, 1024);
    CHECK_EQ(mt_wr_open(&w, 2), 0);
    CHECK_EQ(mt_wr_finish(&w), -MT_E_NESTING);
    size_t n;
    CHECK(mt_wr_take(&w, &n) == NULL);
    CHECK_EQ(n, 0);
    mt_wr_free(&w);
    mt_wr_init_growable(&w, 1024);
    CHECK_EQ(mt_wr_open(&w, 4), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
    mt_wr_init_growable(&w, 1024);
    CHECK_EQ(mt_wr_u24(&w, 0x1000000), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
}

static void growable_cap(void)
{
    mt_wr w;
    mt_wr_init_growable(&w, 1000);
    for (int i = 0; i < 1000; i++) {
        CHECK_EQ(mt_wr_u8(&w, (uint8_t)i), 0);
    }
    CHECK_EQ(mt_wr_u8(&w, 0), -MT_E_BUFFER_FULL);
    CHECK_EQ(w.len, 1000);
    CHECK(w.cap <= 1000);
    for (int i = 0; i < 1000; i++) {
        if (w.p[i] != (uint8_t)i) {
            CHECK(w.p[i] == (uint8_t)i);
            break;
        }
    }
    mt_wr_free(&w);
    CHECK(w.p == NULL);
}

int main(void)
{
    RUN(integers_round_trip);
    RUN(sample_parses);
    RUN(truncation_at_every_offset);
    RUN(trailing_bytes);
    RUN(each_length_field_corrupted);
    RUN(nested_vector_overruns_parent);
    RUN(failed_reads_consume_nothing);
    RUN(vector_bounds);
    RUN(fixed_writer_is_bounded_and_sticky);
    RUN(back_patched_lengths);
    RUN(length_field_overflow);
    RUN(nesting_errors);
    RUN(growable_cap);
    return t_done();
}
