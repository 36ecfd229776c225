/*
 * IMPLEMENTATION NOTES
 *
 * Every read starts from an mt_rd and goes through read_header(), which
 * accepts only DER: a low-tag-number identifier (0x1f, the high-tag escape, is
 * refused), a definite length in minimal form (short form < 0x80; long form
 * 0x81..0x84 with no leading zero octet and a value >= 0x80), and a body that
 * fits in what is left. Nothing is consumed on failure. Lengths of up to 4
 * octets can claim 4 GiB; the fit check runs before any use of the value.
 *
 * The writer puts a tag and remembers the body offset; close() inserts the
 * minimal length in front of the body with mt_wr_insert (one memmove per
 * constructed value, fine for certificate-sized output).
 */
#include "asn1.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

/* Parse tag and length at r's position without consuming. */
MT_WUR static int read_header(const mt_rd *r, mt_asn1_tlv *t, size_t *hdr)
{
    mt_rd c = *r;
    uint8_t tag, l0;
    GUARD(mt_rd_u8(&c, &tag));
    /* X.690 8.1.2.4: tag numbers >= 31 use the high-tag form, which X.509 never needs. */
    ENSURE((tag & 0x1f) != 0x1f, ASN1);
    GUARD(mt_rd_u8(&c, &l0));
    size_t len;
    if (l0 < 0x80) {
        len = l0;
    } else {
        /* X.690 10.1: DER uses the definite form with the fewest octets. 0x80 is indefinite. */
        size_t nb = l0 & 0x7f;
        ENSURE(nb >= 1 && nb <= 4, ASN1);
        len = 0;
        for (size_t i = 0; i < nb; i++) {
            uint8_t b;
            GUARD(mt_rd_u8(&c, &b));
            ENSURE(!(i == 0 && b == 0), ASN1);
            len = (len << 8) | b;
        }
        ENSURE(len >= 0x80, ASN1);
    }
    ENSURE(len <= mt_rd_left(&c), TRUNCATED);
    t->tag = tag;
    *hdr = c.off - r->off;
    t->len = len;
    return 0;
}

int mt_asn1_next(mt_rd *r, mt_asn1_tlv *t)
{
    size_t hdr;
    GUARD(read_header(r, t, &hdr));
    const uint8_t *raw;
    GUARD(mt_rd_borrow(r, hdr + t->len, &raw));
    t->raw = raw;
    t->raw_len = hdr + t->len;
    t->body = raw + hdr;
    return 0;
}

int mt_asn1_peek(const mt_rd *r, uint8_t *tag)
{
    mt_rd c = *r;
    return mt_rd_u8(&c, tag);
}

int mt_asn1_expect(mt_rd *r, uint8_t tag, mt_rd *body)
{
    mt_asn1_tlv t;
    size_t hdr;
    GUARD(read_header(r, &t, &hdr));
    ENSURE(t.tag == tag, ASN1);
    GUARD(mt_asn1_next(r, &t));
    mt_rd_init(body, t.body, t.len);
    return 0;
}

int mt_asn1_optional(mt_rd *r, uint8_t tag, mt_rd *body, int *present)
{
    uint8_t next;
    *present = 0;
    if (mt_rd_left(r) == 0 || mt_asn1_peek(r, &next) < 0 || next != tag) {
        return 0;
    }
    GUARD(mt_asn1_expect(r, tag, body));
    *present = 1;
    return 0;
}

int mt_asn1_raw(mt_rd *r, uint8_t tag, const uint8_t **raw, size_t *raw_len)
{
    mt_asn1_tlv t;
    size_t hdr;
    GUARD(read_header(r, &t, &hdr));
    ENSURE(t.tag == tag, ASN1);
    GUARD(mt_asn1_next(r, &t));
    *raw = t.raw;
    *raw_len = t.raw_len;
    return 0;
}

/* The whole body of a primitive TLV with `tag`. */
MT_WUR static int primitive(mt_rd *r, uint8_t tag, const uint8_t **p, size_t *n)
{
    mt_rd body;
    GUARD(mt_asn1_expect(r, tag, &body));
    *n = mt_rd_left(&body);
    return mt_rd_borrow(&body, *n, p);
}

int mt_asn1_integer(mt_rd *r, const uint8_t **p, size_t *n)
{
    GUARD(primitive(r, MT_ASN1_INTEGER, p, n));
    /* X.690 8.3.2: at least one octet; the first nine bits are never all 0 or all 1. */
    ENSURE(*n >= 1, ASN1);
    if (*n >= 2) {
        ENSURE(!((*p)[0] == 0x00 && !((*p)[1] & 0x80)), ASN1);
        ENSURE(!((*p)[0] == 0xff && ((*p)[1] & 0x80)), ASN1);
    }
    return 0;
}

int mt_asn1_uint(mt_rd *r, const uint8_t **p, size_t *n)
{
    GUARD(mt_asn1_integer(r, p, n));
    ENSURE(!((*p)[0] & 0x80), ASN1);
    if ((*p)[0] == 0) {
        /* borrow past the sign octet: both are views into the same input */
        mt_rd v;
        mt_rd_init(&v, *p, *n);
        GUARD(mt_rd_skip(&v, 1));
        *n = mt_rd_left(&v);
        GUARD(mt_rd_borrow(&v, *n, p));
    }
    return 0;
}

int mt_asn1_small(mt_rd *r, int64_t *v)
{
    const uint8_t *p;
    size_t n;
    GUARD(mt_asn1_uint(r, &p, &n));
    ENSURE(n <= 7 || (n == 8 && p[0] < 0x40), ASN1);
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        x = (x << 8) | p[i];
    }
    *v = (int64_t)x;
    return 0;
}

int mt_asn1_bool(mt_rd *r, int *v)
{
    const uint8_t *p;
    size_t n;
    GUARD(primitive(r, MT_ASN1_BOOLEAN, &p, &n));
    /* X.690 11.1: DER encodes TRUE as 0xff. */
    ENSURE(n == 1 && (p[0] == 0x00 || p[0] == 0xff), ASN1);
    *v = p[0] == 0xff;
    return 0;
}

int mt_asn1_null(mt_rd *r)
{
    const uint8_t *p;
    size_t n;
    GUARD(primitive(r, MT_ASN1_NULL, &p, &n));
    ENSURE(n == 0, ASN1);
    return 0;
}

int mt_asn1_bits(mt_rd *r, const uint8_t **p, size_t *n, unsigned *unused)
{
    mt_rd body;
    uint8_t u;
    GUARD(mt_asn1_expect(r, MT_ASN1_BIT_STRING, &body));
    GUARD(mt_rd_u8(&body, &u));
    *n = mt_rd_left(&body);
    GUARD(mt_rd_borrow(&body, *n, p));
    ENSURE(u <= 7, ASN1);
    ENSURE(!(*n == 0 && u != 0), ASN1);
    /* X.690 11.2.1: the unused bits are zero. */
    ENSURE(*n == 0 || ((*p)[*n - 1] & ((1u << u) - 1)) == 0, ASN1);
    *unused = u;
    return 0;
}

int mt_asn1_bits_bytes(mt_rd *r, const uint8_t **p, size_t *n)
{
    unsigned unused;
    GUARD(mt_asn1_bits(r, p, n, &unused));
    ENSURE(unused == 0, ASN1);
    return 0;
}

/* X.690 8.19: subidentifiers in base 128, high bit set on all but the last octet, no 0x80
 * leading octet. */
MT_WUR static int oid_check(const uint8_t *p, size_t n)
{
    ENSURE(n >= 1, ASN1);
    ENSURE(!(p[n - 1] & 0x80), ASN1);
    int start = 1;
    for (size_t i = 0; i < n; i++) {
        ENSURE(!(start && p[i] == 0x80), ASN1);
        start = !(p[i] & 0x80);
    }
    return 0;
}

int mt_asn1_oid(mt_rd *r, const uint8_t **p, size_t *n)
{
    GUARD(primitive(r, MT_ASN1_OID, p, n));
    return oid_check(*p, *n);
}

int mt_asn1_oid_is(const uint8_t *p, size_t n, const char *oid, size_t oid_len)
{
    return n == oid_len && memcmp(p, oid, n) == 0;
}

int mt_asn1_oid_text(const uint8_t *p, size_t n, char *buf, size_t size)
{
    GUARD(oid_check(p, n));
    ENSURE(size > 0, BUFFER_FULL);
    buf[0] = '\0';
    size_t used = 0;
    uint64_t v = 0;
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        ENSURE(v < ((uint64_t)1 << 56), ASN1); /* larger arcs are not printed */
        v = (v << 7) | (p[i] & 0x7f);
        if (p[i] & 0x80) {
            continue;
        }
        int k;
        if (first) {
            /* X.690 8.19.4: the first subidentifier packs two arcs. */
            uint64_t a = v < 40 ? 0 : v < 80 ? 1 : 2;
            k = snprintf(buf + used, size - used, "%llu.%llu", (unsigned long long)a,
                         (unsigned long long)(v - 40 * a));
            first = 0;
        } else {
            k = snprintf(buf + used, size - used, ".%llu", (unsigned long long)v);
        }
        ENSURE(k > 0 && (size_t)k < size - used, BUFFER_FULL);
        used += (size_t)k;
        v = 0;
    }
    return 0;
}

/* Append subidentifier v in base 128 to out[*n..size). */
MT_WUR static int put_arc(uint64_t v, uint8_t *out, size_t size, size_t *n)
{
    uint8_t tmp[10];
    size_t k = 0;
    do {
        tmp[k++] = (uint8_t)(v & 0x7f);
        v >>= 7;
    } while (v);
    ENSURE(*n + k <= size, BUFFER_FULL);
    while (k > 0) {
        k--;
        out[(*n)++] = (uint8_t)(tmp[k] | (k ? 0x80 : 0));
    }
    return 0;
}

int mt_asn1_oid_parse(const char *text, uint8_t *out, size_t size, size_t *n)
{
    uint64_t arcs[2] = {0, 0};
    int count = 0;
    const char *s = text;
    *n = 0;
    for (;;) {
        ENSURE(*s >= '0' && *s <= '9', ASN1);
        ENSURE(!(*s == '0' && s[1] >= '0' && s[1] <= '9'), ASN1);
        uint64_t v = 0;
        while (*s >= '0' && *s <= '9') {
            ENSURE(v < ((uint64_t)1 << 56), ASN1);
            v = v * 10 + (uint64_t)(*s - '0');
            s++;
        }
        if (count < 2) {
            arcs[count] = v;
            if (count == 1) {
                ENSURE(arcs[0] <= 2 && (arcs[0] == 2 || arcs[1] < 40), ASN1);
                GUARD(put_arc(arcs[0] * 40 + arcs[1], out, size, n));
            }
        } else {
            GUARD(put_arc(v, out, size, n));
        }
        count++;
        if (*s == '\0') {
            break;
        }
        ENSURE(*s == '.', ASN1);
        s++;
    }
    ENSURE(count >= 2, ASN1);
    return 0;
}

/* Days from 1970-01-01 to year/month/day (proleptic Gregorian; H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t mt_asn1_epoch(int year, int month, int day, int hour, int min, int sec)
{
    return days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
}

void mt_asn1_civil(int64_t t, int *year, int *month, int *day, int *hour, int *min, int *sec)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t rem = t - days * 86400;
    *hour = (int)(rem / 3600);
    *min = (int)(rem / 60 % 60);
    *sec = (int)(rem % 60);
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (*month <= 2));
}

/* n decimal digits at p as a number; -1 if any is not a digit. */
static int digits(const uint8_t *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

int mt_asn1_time_body(uint8_t tag, const uint8_t *p, size_t n, int64_t *t)
{
    int year;
    const uint8_t *rest;
    /* RFC 5280 4.1.2.5.1/4.1.2.5.2: YYMMDDHHMMSSZ and YYYYMMDDHHMMSSZ, always with seconds
     * and Z, never with fractions. */
    if (tag == MT_ASN1_UTC_TIME) {
        ENSURE(n == 13, ASN1);
        int yy = digits(p, 2);
        ENSURE(yy >= 0, ASN1);
        year = yy >= 50 ? 1900 + yy : 2000 + yy;
        rest = p + 2;
    } else if (tag == MT_ASN1_GENERALIZED_TIME) {
        ENSURE(n == 15, ASN1);
        year = digits(p, 4);
        ENSURE(year >= 0, ASN1);
        rest = p + 4;
    } else {
        return -MT_E_ASN1;
    }
    int mon = digits(rest, 2), day = digits(rest + 2, 2), hour = digits(rest + 4, 2);
    int min = digits(rest + 6, 2), sec = digits(rest + 8, 2);
    ENSURE(rest[10] == 'Z', ASN1);
    ENSURE(mon >= 1 && mon <= 12 && day >= 1 && hour >= 0 && hour <= 23, ASN1);
    ENSURE(min >= 0 && min <= 59 && sec >= 0 && sec <= 59, ASN1);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    ENSURE(day <= mdays[mon - 1] + (mon == 2 && leap), ASN1);
    *t = mt_asn1_epoch(year, mon, day, hour, min, sec);
    return 0;
}

int mt_asn1_time(mt_rd *r, int64_t *t)
{
    uint8_t tag;
    GUARD(mt_asn1_peek(r, &tag));
    ENSURE(tag == MT_ASN1_UTC_TIME || tag == MT_ASN1_GENERALIZED_TIME, ASN1);
    const uint8_t *p;
    size_t n;
    GUARD(primitive(r, tag, &p, &n));
    return mt_asn1_time_body(tag, p, n, t);
}

MT_WUR static int walk(mt_rd *r, int depth, int max_depth)
{
    while (mt_rd_left(r) > 0) {
        mt_asn1_tlv t;
        GUARD(mt_asn1_next(r, &t));
        if (t.tag & MT_ASN1_CONSTRUCTED) {
            ENSURE(depth < max_depth, ASN1_DEPTH);
            mt_rd body;
            mt_rd_init(&body, t.body, t.len);
            GUARD(walk(&body, depth + 1, max_depth));
        }
    }
    return 0;
}

int mt_asn1_walk(const uint8_t *p, size_t n, int max_depth)
{
    mt_rd r;
    mt_asn1_tlv t;
    mt_rd_init(&r, p, n);
    GUARD(mt_asn1_next(&r, &t));
    GUARD(mt_rd_end(&r));
    mt_rd_init(&r, t.raw, t.raw_len);
    return walk(&r, 0, max_depth < MT_ASN1_MAX_DEPTH ? max_depth : MT_ASN1_MAX_DEPTH);
}

/* ---- writer ---- */

int mt_asn1_open(mt_wr *w, uint8_t tag, mt_asn1_mark *m)
{
    GUARD(mt_wr_u8(w, tag));
    m->body = w->len;
    return 0;
}

int mt_asn1_close(mt_wr *w, const mt_asn1_mark *m)
{
    GUARD(mt_wr_finish(w));
    ENSURE(m->body <= w->len, NESTING);
    size_t len = w->len - m->body;
    uint8_t hdr[5];
    size_t k = 0;
    if (len < 0x80) {
        hdr[k++] = (uint8_t)len;
    } else {
        ENSURE(len <= 0xffffffffu, BAD_LENGTH);
        int nb = len > 0xffffff ? 4 : len > 0xffff ? 3 : len > 0xff ? 2 : 1;
        hdr[k++] = (uint8_t)(0x80 | nb);
        for (int i = nb - 1; i >= 0; i--) {
            hdr[k++] = (uint8_t)(len >> (8 * i));
        }
    }
    return mt_wr_insert(w, m->body, hdr, k);
}

int mt_asn1_w_tlv(mt_wr *w, uint8_t tag, const void *p, size_t n)
{
    mt_asn1_mark m;
    GUARD(mt_asn1_open(w, tag, &m));
    GUARD(mt_wr_bytes(w, p, n));
    return mt_asn1_close(w, &m);
}

int mt_asn1_w_uint(mt_wr *w, const uint8_t *p, size_t n)
{
    mt_rd r;
    mt_rd_init(&r, p, n);
    /* drop leading zero octets */
    while (mt_rd_left(&r) > 1) {
        mt_rd c = r;
        uint8_t b;
        GUARD(mt_rd_u8(&c, &b));
        if (b != 0) {
            break;
        }
        r = c;
    }
    mt_asn1_mark m;
    GUARD(mt_asn1_open(w, MT_ASN1_INTEGER, &m));
    mt_rd peek = r;
    uint8_t first;
    if (mt_rd_u8(&peek, &first) < 0 || (first & 0x80)) {
        /* empty magnitude: zero; top bit set: a sign octet keeps it positive */
        GUARD(mt_wr_u8(w, 0));
    }
    const uint8_t *rest;
    size_t left = mt_rd_left(&r);
    GUARD(mt_rd_borrow(&r, left, &rest));
    GUARD(mt_wr_bytes(w, rest, left));
    return mt_asn1_close(w, &m);
}

int mt_asn1_w_small(mt_wr *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 7; i >= 0; i--) {
        b[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
    return mt_asn1_w_uint(w, b, sizeof(b));
}

int mt_asn1_w_bool(mt_wr *w, int v)
{
    uint8_t b = v ? 0xff : 0x00;
    return mt_asn1_w_tlv(w, MT_ASN1_BOOLEAN, &b, 1);
}

int mt_asn1_w_null(mt_wr *w)
{
    return mt_asn1_w_tlv(w, MT_ASN1_NULL, NULL, 0);
}

int mt_asn1_w_oid(mt_wr *w, const char *oid, size_t n)
{
    return mt_asn1_w_tlv(w, MT_ASN1_OID, oid, n);
}

int mt_asn1_w_bits(mt_wr *w, const uint8_t *p, size_t n)
{
    mt_asn1_mark m;
    GUARD(mt_asn1_open(w, MT_ASN1_BIT_STRING, &m));
    GUARD(mt_wr_u8(w, 0));
    GUARD(mt_wr_bytes(w, p, n));
    return mt_asn1_close(w, &m);
}

int mt_asn1_w_named_bits(mt_wr *w, unsigned bits)
{
    ENSURE(bits <= 0xffff, INVALID_ARG);
    int top = -1;
    for (int i = 0; i < 16; i++) {
        if (bits & (1u << i)) {
            top = i;
        }
    }
    uint8_t b[3] = {0, 0, 0};
    size_t nbytes = top < 0 ? 0 : (size_t)(top / 8 + 1);
    for (int i = 0; i <= top; i++) {
        if (bits & (1u << i)) {
            b[1 + i / 8] |= (uint8_t)(0x80 >> (i % 8));
        }
    }
    /* X.690 11.2.2: DER drops trailing zero bits of a named bit list. */
    b[0] = (uint8_t)(top < 0 ? 0 : 7 - top % 8);
    return mt_asn1_w_tlv(w, MT_ASN1_BIT_STRING, b, 1 + nbytes);
}

int mt_asn1_w_time(mt_wr *w, int64_t t)
{
    int y, mo, d, h, mi, s;
    mt_asn1_civil(t, &y, &mo, &d, &h, &mi, &s);
    ENSURE(y >= 0 && y <= 9999, INVALID_ARG);
    char buf[20];
    int n;
    if (y >= 1950 && y <= 2049) {
        n = snprintf(buf, sizeof(buf), "%02d%02d%02d%02d%02d%02dZ", y % 100, mo, d, h, mi, s);
        return mt_asn1_w_tlv(w, MT_ASN1_UTC_TIME, buf, (size_t)n);
    }
    n = snprintf(buf, sizeof(buf), "%04d%02d%02d%02d%02d%02dZ", y, mo, d, h, mi, s);
    return mt_asn1_w_tlv(w, MT_ASN1_GENERALIZED_TIME, buf, (size_t)n);
}
