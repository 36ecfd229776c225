/* Unit tests for the DER reader/writer (asn1.c) and PEM armour (pem.c). */
#include <stdint.h>
#include <stdlib.h>

#include "../asn1.h"
#include "../err.h"
#include "../pem.h"
#include "t.h"

/* Read one TLV from bytes; returns the rc and the body length. */
static int next_of(const uint8_t *p, size_t n, size_t *len)
{
    mt_rd r;
    mt_asn1_tlv t;
    mt_rd_init(&r, p, n);
    int rc = mt_asn1_next(&r, &t);
    *len = rc == 0 ? t.len : 0;
    return rc;
}

static void lengths_strict_der(void)
{
    uint8_t big[300] = {0x04, 0x82, 0x01, 0x00};
    size_t len;
    CHECK_EQ(next_of(big, 4 + 256, &len), 0);
    CHECK_EQ(len, 256);
    static const uint8_t short_form[] = {0x04, 0x02, 'h', 'i'};
    CHECK_EQ(next_of(short_form, sizeof(short_form), &len), 0);
    CHECK_EQ(len, 2);
    static const uint8_t long_small[] = {0x04, 0x81, 0x02, 'h', 'i'}; /* not minimal */
    CHECK_EQ(next_of(long_small, sizeof(long_small), &len), -MT_E_ASN1);
    uint8_t lead_zero[300] = {0x04, 0x82, 0x00, 0x80}; /* leading zero length octet */
    CHECK_EQ(next_of(lead_zero, 4 + 128, &len), -MT_E_ASN1);
    static const uint8_t indefinite[] = {0x30, 0x80, 0x00, 0x00};
    CHECK_EQ(next_of(indefinite, sizeof(indefinite), &len), -MT_E_ASN1);
    static const uint8_t five[] = {0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00};
    CHECK_EQ(next_of(five, sizeof(five), &len), -MT_E_ASN1);
    static const uint8_t four_gib[] = {0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00};
    CHECK_EQ(next_of(four_gib, sizeof(four_gib), &len), -MT_E_TRUNCATED);
    static const uint8_t high_tag[] = {0x1f, 0x81, 0x00, 0x00};
    CHECK_EQ(next_of(high_tag, sizeof(high_tag), &len), -MT_E_ASN1);
    static const uint8_t past_end[] = {0x04, 0x03, 'h', 'i'};
    CHECK_EQ(next_of(past_end, sizeof(past_end), &len), -MT_E_TRUNCATED);
    /* truncation at every offset of a long-form TLV */
    for (size_t n = 0; n < 4 + 256; n++) {
        uint8_t *p = malloc(n ? n : 1);
        memcpy(p, big, n);
        CHECK_EQ(next_of(p, n, &len), -MT_E_TRUNCATED);
        free(p);
    }
}

static void expect_and_optional(void)
{
    static const uint8_t m[] = {0x30, 0x06, 0x02, 0x01, 0x05, 0xa0, 0x01, 0x00, 0x00};
    mt_rd r, seq, body;
    int present;
    mt_rd_init(&r, m, sizeof(m) - 2);
    CHECK_EQ(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq), -MT_E_TRUNCATED);
    mt_rd_init(&r, m, sizeof(m) - 1);
    CHECK_EQ(mt_asn1_expect(&r, MT_ASN1_SET, &seq), -MT_E_ASN1);
    CHECK_EQ(mt_rd_left(&r), sizeof(m) - 1); /* nothing consumed */
    if (mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq) != 0) {
        CHECK(0);
        return;
    }
    CHECK_EQ(mt_rd_end(&r), 0);
    CHECK_EQ(mt_asn1_optional(&seq, 0xa1, &body, &present), 0);
    CHECK_EQ(present, 0);
    int64_t v;
    CHECK_EQ(mt_asn1_small(&seq, &v), 0);
    CHECK_EQ(v, 5);
    CHECK_EQ(mt_asn1_optional(&seq, 0xa0, &body, &present), 0);
    CHECK_EQ(present, 1);
    CHECK_EQ(mt_rd_left(&body), 1);
    CHECK_EQ(mt_rd_end(&seq), 0);
    CHECK_EQ(mt_asn1_optional(&seq, 0xa0, &body, &present), 0);
    CHECK_EQ(present, 0);
    /* trailing bytes after the SEQUENCE are the caller's mt_rd_end's to refuse */
    mt_rd_init(&r, m, sizeof(m));
    CHECK_EQ(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &seq), 0);
    CHECK_EQ(mt_rd_end(&r), -MT_E_TRAILING);
}

/* Decode an INTEGER TLV with mt_asn1_uint. */
static int uint_of(const uint8_t *p, size_t n, size_t *len, uint8_t *first)
{
    mt_rd r;
    const uint8_t *v;
    mt_rd_init(&r, p, n);
    int rc = mt_asn1_uint(&r, &v, len);
    *first = rc == 0 && *len ? v[0] : 0;
    return rc;
}

static void integers(void)
{
    size_t len;
    uint8_t first;
    static const uint8_t zero[] = {0x02, 0x01, 0x00};
    CHECK_EQ(uint_of(zero, 3, &len, &first), 0);
    CHECK_EQ(len, 0);
    static const uint8_t pos[] = {0x02, 0x02, 0x00, 0x80};
    CHECK_EQ(uint_of(pos, 4, &len, &first), 0);
    CHECK_EQ(len, 1);
    CHECK_EQ(first, 0x80);
    static const uint8_t nonmin[] = {0x02, 0x02, 0x00, 0x7f};
    CHECK_EQ(uint_of(nonmin, 4, &len, &first), -MT_E_ASN1);
    static const uint8_t nonmin_neg[] = {0x02, 0x02, 0xff, 0x80};
    CHECK_EQ(uint_of(nonmin_neg, 4, &len, &first), -MT_E_ASN1);
    static const uint8_t neg[] = {0x02, 0x01, 0x80};
    CHECK_EQ(uint_of(neg, 3, &len, &first), -MT_E_ASN1);
    static const uint8_t empty[] = {0x02, 0x00};
    CHECK_EQ(uint_of(empty, 2, &len, &first), -MT_E_ASN1);
    static const uint8_t wrong_tag[] = {0x04, 0x01, 0x01};
    CHECK_EQ(uint_of(wrong_tag, 3, &len, &first), -MT_E_ASN1);
    /* small: 62 bits at most */
    static const uint8_t big[] = {0x02, 0x08, 0x40, 0, 0, 0, 0, 0, 0, 0};
    mt_rd r;
    int64_t v;
    mt_rd_init(&r, big, sizeof(big));
    CHECK_EQ(mt_asn1_small(&r, &v), -MT_E_ASN1);
    static const uint8_t ok[] = {0x02, 0x08, 0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    mt_rd_init(&r, ok, sizeof(ok));
    CHECK_EQ(mt_asn1_small(&r, &v), 0);
    CHECK(v == 0x3fffffffffffffffLL);
}

static void booleans_nulls_bits(void)
{
    mt_rd r;
    int b;
    static const uint8_t t[] = {0x01, 0x01, 0xff}, f[] = {0x01, 0x01, 0x00};
    static const uint8_t ber_true[] = {0x01, 0x01, 0x01}, long_bool[] = {0x01, 0x02, 0, 0};
    mt_rd_init(&r, t, 3);
    CHECK_EQ(mt_asn1_bool(&r, &b), 0);
    CHECK_EQ(b, 1);
    mt_rd_init(&r, f, 3);
    CHECK_EQ(mt_asn1_bool(&r, &b), 0);
    CHECK_EQ(b, 0);
    mt_rd_init(&r, ber_true, 3);
    CHECK_EQ(mt_asn1_bool(&r, &b), -MT_E_ASN1);
    mt_rd_init(&r, long_bool, 4);
    CHECK_EQ(mt_asn1_bool(&r, &b), -MT_E_ASN1);
    static const uint8_t null_ok[] = {0x05, 0x00}, null_bad[] = {0x05, 0x01, 0x00};
    mt_rd_init(&r, null_ok, 2);
    CHECK_EQ(mt_asn1_null(&r), 0);
    mt_rd_init(&r, null_bad, 3);
    CHECK_EQ(mt_asn1_null(&r), -MT_E_ASN1);
    const uint8_t *p;
    size_t n;
    unsigned unused;
    static const uint8_t ku[] = {0x03, 0x02, 0x02, 0x84};
    mt_rd_init(&r, ku, 4);
    CHECK_EQ(mt_asn1_bits(&r, &p, &n, &unused), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(unused, 2);
    static const uint8_t ku_dirty[] = {0x03, 0x02, 0x02, 0x85}; /* an unused bit is set */
    mt_rd_init(&r, ku_dirty, 4);
    CHECK_EQ(mt_asn1_bits(&r, &p, &n, &unused), -MT_E_ASN1);
    static const uint8_t bad_unused[] = {0x03, 0x02, 0x08, 0x00};
    mt_rd_init(&r, bad_unused, 4);
    CHECK_EQ(mt_asn1_bits(&r, &p, &n, &unused), -MT_E_ASN1);
    static const uint8_t empty_unused[] = {0x03, 0x01, 0x01};
    mt_rd_init(&r, empty_unused, 3);
    CHECK_EQ(mt_asn1_bits(&r, &p, &n, &unused), -MT_E_ASN1);
    static const uint8_t no_octet[] = {0x03, 0x00};
    mt_rd_init(&r, no_octet, 2);
    CHECK_EQ(mt_asn1_bits(&r, &p, &n, &unused), -MT_E_TRUNCATED);
    mt_rd_init(&r, ku, 4);
    CHECK_EQ(mt_asn1_bits_bytes(&r, &p, &n), -MT_E_ASN1);
}

static void oids(void)
{
    static const struct {
        const char *text;
        const char *der;
        size_t n;
    } rows[] = {
        {"1.2.840.113549.1.1.11", "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", 9},
        {"2.5.29.17", "\x55\x1d\x11", 3},
        {"1.3.101.112", "\x2b\x65\x70", 3},
        {"2.999.3", "\x88\x37\x03", 3},
        {"0.9.2342.19200300.100.1.25", "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", 10},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint8_t out[32];
        size_t n;
        CHECK_EQ(mt_asn1_oid_parse(rows[i].text, out, sizeof(out), &n), 0);
        CHECK_EQ(n, rows[i].n);
        CHECK(memcmp(out, rows[i].der, rows[i].n) == 0);
        char text[64];
        CHECK_EQ(mt_asn1_oid_text((const uint8_t *)rows[i].der, rows[i].n, text, sizeof(text)), 0);
        CHECK(strcmp(text, rows[i].text) == 0);
        CHECK(mt_asn1_oid_is(out, n, rows[i].der, rows[i].n));
    }
    CHECK(MT_OID_IS((const uint8_t *)"\x55\x1d\x11", 3, "\x55\x1d\x11"));
    CHECK(!MT_OID_IS((const uint8_t *)"\x55\x1d\x11", 3, "\x55\x1d\x12"));
    uint8_t out[4];
    size_t n;
    CHECK_EQ(mt_asn1_oid_parse("1", out, sizeof(out), &n), -MT_E_ASN1);
    CHECK_EQ(mt_asn1_oid_parse("3.1", out, sizeof(out), &n), -MT_E_ASN1);
    CHECK_EQ(mt_asn1_oid_parse("1.40", out, sizeof(out), &n), -MT_E_ASN1);
    CHECK_EQ(mt_asn1_oid_parse("1.2.", out, sizeof(out), &n), -MT_E_ASN1);
    CHECK_EQ(mt_asn1_oid_parse("1.02", out, sizeof(out), &n), -MT_E_ASN1);
    CHECK_EQ(mt_asn1_oid_parse("1.2.3.4.5.6", out, sizeof(out), &n), -MT_E_BUFFER_FULL);
    mt_rd r;
    const uint8_t *p;
    static const uint8_t nonmin[] = {0x06, 0x03, 0x2a, 0x80, 0x01};
    mt_rd_init(&r, nonmin, sizeof(nonmin));
    CHECK_EQ(mt_asn1_oid(&r, &p, &n), -MT_E_ASN1);
    static const uint8_t unfinished[] = {0x06, 0x02, 0x2a, 0x86};
    mt_rd_init(&r, unfinished, sizeof(unfinished));
    CHECK_EQ(mt_asn1_oid(&r, &p, &n), -MT_E_ASN1);
    static const uint8_t empty[] = {0x06, 0x00};
    mt_rd_init(&r, empty, sizeof(empty));
    CHECK_EQ(mt_asn1_oid(&r, &p, &n), -MT_E_ASN1);
    char small[6];
    CHECK_EQ(mt_asn1_oid_text((const uint8_t *)"\x55\x1d\x11", 3, small, sizeof(small)),
             -MT_E_BUFFER_FULL);
}

static int time_of(uint8_t tag, const char *s, int64_t *t)
{
    return mt_asn1_time_body(tag, (const uint8_t *)s, strlen(s), t);
}

static void times(void)
{
    int64_t t;
    CHECK_EQ(time_of(MT_ASN1_UTC_TIME, "700101000000Z", &t), 0);
    CHECK_EQ(t, 0);
    CHECK_EQ(time_of(MT_ASN1_UTC_TIME, "491231235959Z", &t), 0);
    CHECK_EQ(t, 2524607999LL);
    CHECK_EQ(time_of(MT_ASN1_UTC_TIME, "500101000000Z", &t), 0);
    CHECK_EQ(t, -631152000LL);
    CHECK_EQ(time_of(MT_ASN1_GENERALIZED_TIME, "20500101000000Z", &t), 0);
    CHECK_EQ(t, 2524608000LL);
    CHECK_EQ(time_of(MT_ASN1_GENERALIZED_TIME, "20000229120000Z", &t), 0);
    CHECK_EQ(t, 951825600LL);
    CHECK_EQ(time_of(MT_ASN1_GENERALIZED_TIME, "19000229120000Z", &t), -MT_E_ASN1);
    CHECK_EQ(time_of(MT_ASN1_GENERALIZED_TIME, "20230230000000Z", &t), -MT_E_ASN1);
    CHECK_EQ(time_of(MT_ASN1_UTC_TIME, "701301000000Z", &t), -MT_E_ASN1);
    CHECK_EQ(time_of(MT_ASN1_UTC_TIME, "700101000000", &t), -MT_E_ASN1);
    CHECK_EQ(time_of(MT_ASN1_UTC_TIME, "7001010000Z", &t), -MT_E_ASN1);
    CHECK_EQ(time_of(MT_ASN1_UTC_TIME, "700101000060Z", &t), -MT_E_ASN1);
    CHECK_EQ(time_of(MT_ASN1_UTC_TIME, "700101240000Z", &t), -MT_E_ASN1);
    CHECK_EQ(time_of(MT_ASN1_UTC_TIME, "700101000000+0000", &t), -MT_E_ASN1);
    CHECK_EQ(time_of(MT_ASN1_GENERALIZED_TIME, "20000101000000.5Z", &t), -MT_E_ASN1);
    CHECK_EQ(time_of(MT_ASN1_GENERALIZED_TIME, "2000010100000aZ", &t), -MT_E_ASN1);
    CHECK_EQ(time_of(MT_ASN1_IA5_STRING, "700101000000Z", &t), -MT_E_ASN1);
    /* civil <-> epoch over a wide range */
    for (int64_t x = -5000000000LL; x < 260000000000LL; x += 987654321) {
        int y, mo, d, h, mi, s;
        mt_asn1_civil(x, &y, &mo, &d, &h, &mi, &s);
        CHECK_EQ(mt_asn1_epoch(y, mo, d, h, mi, s), x);
    }
}

static void writer_round_trip(void)
{
    static const size_t sizes[] = {0, 1, 127, 128, 255, 256, 65535, 65536, 70000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        mt_wr w;
        mt_wr_init_growable(&w, 1 << 20);
        mt_asn1_mark seq, oct;
        CHECK_EQ(mt_asn1_open(&w, MT_ASN1_SEQUENCE, &seq), 0);
        CHECK_EQ(mt_asn1_open(&w, MT_ASN1_OCTET_STRING, &oct), 0);
        uint8_t *p;
        CHECK_EQ(mt_wr_reserve(&w, sizes[i], &p), 0);
        memset(p, 0x42, sizes[i]);
        CHECK_EQ(mt_asn1_close(&w, &oct), 0);
        CHECK_EQ(mt_asn1_w_small(&w, 65537), 0);
        CHECK_EQ(mt_asn1_close(&w, &seq), 0);
        mt_rd r, body, os;
        mt_rd_init(&r, w.p, w.len);
        CHECK_EQ(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &body), 0);
        CHECK_EQ(mt_rd_end(&r), 0);
        CHECK_EQ(mt_asn1_expect(&body, MT_ASN1_OCTET_STRING, &os), 0);
        CHECK_EQ(mt_rd_left(&os), sizes[i]);
        int64_t v;
        CHECK_EQ(mt_asn1_small(&body, &v), 0);
        CHECK_EQ(v, 65537);
        CHECK_EQ(mt_rd_end(&body), 0);
        CHECK_EQ(mt_asn1_walk(w.p, w.len, 4), 0);
        mt_wr_free(&w);
    }
}

static void writer_integers_and_bits(void)
{
    uint8_t buf[32];
    mt_wr w;
    mt_wr_init_fixed(&w, buf, sizeof(buf));
    static const uint8_t lead[] = {0x00, 0x00, 0x80, 0x01};
    CHECK_EQ(mt_asn1_w_uint(&w, lead, sizeof(lead)), 0);
    static const uint8_t want[] = {0x02, 0x03, 0x00, 0x80, 0x01};
    CHECK_EQ(w.len, sizeof(want));
    CHECK(memcmp(buf, want, sizeof(want)) == 0);
    mt_wr_reset(&w);
    CHECK_EQ(mt_asn1_w_uint(&w, NULL, 0), 0);
    CHECK(w.len == 3 && buf[0] == 2 && buf[1] == 1 && buf[2] == 0);
    mt_wr_reset(&w);
    CHECK_EQ(mt_asn1_w_small(&w, 0x7f), 0);
    CHECK(w.len == 3 && buf[2] == 0x7f);
    mt_wr_reset(&w);
    /* keyUsage digitalSignature (0) | keyCertSign (5) */
    CHECK_EQ(mt_asn1_w_named_bits(&w, (1u << 0) | (1u << 5)), 0);
    static const uint8_t ku[] = {0x03, 0x02, 0x02, 0x84};
    CHECK(w.len == 4 && memcmp(buf, ku, 4) == 0);
    mt_wr_reset(&w);
    CHECK_EQ(mt_asn1_w_named_bits(&w, 1u << 8), 0); /* decipherOnly */
    static const uint8_t dec[] = {0x03, 0x03, 0x07, 0x00, 0x80};
    CHECK(w.len == 5 && memcmp(buf, dec, 5) == 0);
    mt_wr_reset(&w);
    CHECK_EQ(mt_asn1_w_named_bits(&w, 0), 0);
    CHECK(w.len == 3 && buf[1] == 1 && buf[2] == 0);
    mt_rd r;
    const uint8_t *p;
    size_t n;
    unsigned unused;
    mt_rd_init(&r, buf, w.len);
    CHECK_EQ(mt_asn1_bits(&r, &p, &n, &unused), 0);
    mt_wr_reset(&w);
    CHECK_EQ(mt_asn1_w_bool(&w, 1), 0);
    CHECK_EQ(mt_asn1_w_null(&w), 0);
    CHECK_EQ(MT_ASN1_W_OID(&w, "\x55\x1d\x13"), 0);
    static const uint8_t misc[] = {0x01, 0x01, 0xff, 0x05, 0x00, 0x06, 0x03, 0x55, 0x1d, 0x13};
    CHECK(w.len == sizeof(misc) && memcmp(buf, misc, sizeof(misc)) == 0);
}

static void writer_times(void)
{
    static const int64_t ts[] = {
        0, -631152000LL, 2524607999LL, 2524608000LL, -631152001LL, 253402300799LL};
    static const uint8_t tags[] = {MT_ASN1_UTC_TIME,         MT_ASN1_UTC_TIME,
                                   MT_ASN1_UTC_TIME,         MT_ASN1_GENERALIZED_TIME,
                                   MT_ASN1_GENERALIZED_TIME, MT_ASN1_GENERALIZED_TIME};
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        uint8_t buf[32];
        mt_wr w;
        mt_wr_init_fixed(&w, buf, sizeof(buf));
        CHECK_EQ(mt_asn1_w_time(&w, ts[i]), 0);
        CHECK_EQ(buf[0], tags[i]);
        mt_rd r;
        int64_t t;
        mt_rd_init(&r, buf, w.len);
        CHECK_EQ(mt_asn1_time(&r, &t), 0);
        CHECK_EQ(t, ts[i]);
    }
}

/* n SEQUENCEs nested in each other, built from the inside out. */
static uint8_t *nested(size_t depth, size_t *len)
{
    mt_wr w;
    mt_wr_init_growable(&w, 1 << 20);
    mt_asn1_mark *marks = calloc(depth, sizeof(*marks));
    int rc = 0;
    for (size_t i = 0; i < depth; i++) {
        rc |= mt_asn1_open(&w, MT_ASN1_SEQUENCE, &marks[i]);
    }
    for (size_t i = depth; i > 0; i--) {
        rc |= mt_asn1_close(&w, &marks[i - 1]);
    }
    free(marks);
    CHECK_EQ(rc, 0);
    return mt_wr_take(&w, len);
}

static void walk_depth_and_truncation(void)
{
    size_t n;
    uint8_t *deep = nested(1000, &n);
    CHECK(deep != NULL);
    CHECK_EQ(mt_asn1_walk(deep, n, MT_ASN1_MAX_DEPTH), -MT_E_ASN1_DEPTH);
    free(deep);
    uint8_t *ok = nested(10, &n);
    CHECK_EQ(mt_asn1_walk(ok, n, MT_ASN1_MAX_DEPTH), 0);
    CHECK_EQ(mt_asn1_walk(ok, n, 5), -MT_E_ASN1_DEPTH);
    free(ok);
    /* a structure with primitives inside; every truncation fails, as do trailing bytes */
    mt_wr w;
    mt_wr_init_growable(&w, 4096);
    mt_asn1_mark a, b;
    int rc = mt_asn1_open(&w, MT_ASN1_SEQUENCE, &a);
    rc |= mt_asn1_w_small(&w, 123456789);
    rc |= mt_asn1_open(&w, 0xa3, &b);
    rc |= mt_asn1_w_tlv(&w, MT_ASN1_OCTET_STRING, "abcdefghij", 10);
    rc |= mt_asn1_w_time(&w, 1700000000);
    rc |= mt_asn1_close(&w, &b);
    rc |= mt_asn1_w_bits(&w, (const uint8_t *)"xyz", 3);
    rc |= mt_asn1_close(&w, &a);
    rc |= mt_wr_u8(&w, 0);
    CHECK_EQ(rc, 0);
    CHECK_EQ(mt_asn1_walk(w.p, w.len - 1, 8), 0);
    CHECK_EQ(mt_asn1_walk(w.p, w.len, 8), -MT_E_TRAILING);
    for (size_t cut = 0; cut < w.len - 1; cut++) {
        uint8_t *p = malloc(cut ? cut : 1);
        memcpy(p, w.p, cut);
        int got = mt_asn1_walk(p, cut, 8);
        CHECK(got == -MT_E_TRUNCATED || got == -MT_E_ASN1);
        free(p);
    }
    /* every length octet made one larger or smaller is caught */
    for (size_t i = 0; i < w.len - 1; i++) {
        for (int d = -1; d <= 1; d += 2) {
            uint8_t *p = malloc(w.len - 1);
            memcpy(p, w.p, w.len - 1);
            p[i] = (uint8_t)(p[i] + d);
            /* only corruptions of a length octet must fail; tags/content may stay valid */
            int is_len = (i == 1 || i == 3 || i == 9 || i == 11 || i == 23 || i == 38);
            int got = mt_asn1_walk(p, w.len - 1, 8);
            if (is_len) {
                CHECK(got < 0);
            }
            free(p);
        }
    }
    mt_wr_free(&w);
}

static void pem_blocks(void)
{
    static const char text[] = "junk before\n"
                               "-----BEGIN FIRST-----\r\n"
                               "aGVs\r\n"
                               "bG8=\r\n"
                               "-----END FIRST-----\r\n"
                               "between\n"
                               "-----BEGIN SECOND THING-----\n"
                               "d29y bGQ=\n"
                               "-----END SECOND THING-----\n"
                               "after";
    mt_rd r;
    mt_wr der;
    char label[MT_PEM_MAX_LABEL + 1];
    mt_rd_init(&r, text, sizeof(text) - 1);
    mt_wr_init_growable(&der, 1 << 16);
    CHECK(mt_pem_is_pem((const uint8_t *)text, sizeof(text) - 1));
    CHECK(!mt_pem_is_pem((const uint8_t *)"\x30\x03\x02\x01\x00", 5));
    CHECK_EQ(mt_pem_next(&r, label, &der), 1);
    CHECK(strcmp(label, "FIRST") == 0);
    CHECK(der.len == 5 && memcmp(der.p, "hello", 5) == 0);
    mt_wr_reset(&der);
    CHECK_EQ(mt_pem_next(&r, label, &der), 1);
    CHECK(strcmp(label, "SECOND THING") == 0);
    CHECK(der.len == 5 && memcmp(der.p, "world", 5) == 0);
    CHECK_EQ(mt_pem_next(&r, label, &der), 0);
    mt_wr_free(&der);
}

static int pem_one(const char *text)
{
    mt_rd r;
    mt_wr der;
    char label[MT_PEM_MAX_LABEL + 1];
    mt_rd_init(&r, text, strlen(text));
    mt_wr_init_growable(&der, 1 << 16);
    int rc = mt_pem_next(&r, label, &der);
    if (rc < 0) {
        CHECK_EQ(der.len, 0);
    }
    mt_wr_free(&der);
    return rc;
}

static void pem_errors(void)
{
    CHECK_EQ(pem_one("-----BEGIN A-----\naGVsbG8=\n-----END A-----\n"), 1);
    CHECK_EQ(pem_one("-----BEGIN A-----\naGVsbG8=\n-----END B-----\n"), -MT_E_PEM);
    CHECK_EQ(pem_one("-----BEGIN A-----\naGVsbG8=\n"), -MT_E_PEM);
    CHECK_EQ(pem_one("-----BEGIN A-----\naGV*bG8=\n-----END A-----\n"), -MT_E_PEM);
    CHECK_EQ(pem_one("-----BEGIN A-----\naGVsbG8\n-----END A-----\n"), -MT_E_PEM);
    CHECK_EQ(pem_one("-----BEGIN A-----\nProc-Type: 4,ENCRYPTED\naGVsbG8=\n-----END A-----\n"),
             -MT_E_PEM);
    CHECK_EQ(pem_one("no armour here"), 0);
    CHECK_EQ(pem_one(""), 0);
    CHECK_EQ(pem_one("-----BEGIN A----\naGVsbG8=\n-----END A-----\n"), 0);
}

static void pem_write_round_trip(void)
{
    uint8_t data[200];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 13);
    }
    for (size_t n = 0; n <= sizeof(data); n += 47) {
        mt_wr out, der;
        mt_wr_init_growable(&out, 1 << 16);
        mt_wr_init_growable(&der, 1 << 16);
        CHECK_EQ(mt_pem_write(&out, "TEST DATA", data, n), 0);
        mt_rd r;
        char label[MT_PEM_MAX_LABEL + 1];
        mt_rd_init(&r, out.p, out.len);
        CHECK_EQ(mt_pem_next(&r, label, &der), 1);
        CHECK(strcmp(label, "TEST DATA") == 0);
        CHECK_EQ(der.len, n);
        CHECK(n == 0 || memcmp(der.p, data, n) == 0);
        mt_wr_free(&out);
        mt_wr_free(&der);
    }
}

int main(void)
{
    RUN(lengths_strict_der);
    RUN(expect_and_optional);
    RUN(integers);
    RUN(booleans_nulls_bits);
    RUN(oids);
    RUN(times);
    RUN(writer_round_trip);
    RUN(writer_integers_and_bits);
    RUN(writer_times);
    RUN(walk_depth_and_truncation);
    RUN(pem_blocks);
    RUN(pem_errors);
    RUN(pem_write_round_trip);
    return t_done();
}
