/*
 * asn1.h -- strict DER reader and writer on mt_rd / mt_wr.
 *
 * Reader: each call consumes one TLV from an mt_rd. Only DER is accepted:
 * low-tag-number form (tag numbers 0..30), definite lengths in minimal form
 * (short form below 128, long form of 1..4 bytes with no leading zero byte),
 * no indefinite length, and a body that fits in the reader. Primitive decoders
 * check the DER rules of their type (minimal INTEGER, BOOLEAN 0x00/0xff, BIT
 * STRING unused bits zero, OID subidentifiers minimal, times in the RFC 5280
 * profile). Every decoder finishes the TLV body it read; the caller ends each
 * SEQUENCE body with mt_rd_end(), so trailing bytes are rejected everywhere.
 *
 * Writer: mt_asn1_open() writes a tag and remembers where the body starts;
 * mt_asn1_close() inserts the minimal length in front of the body. Opens nest
 * like brackets; the caller keeps the marks (a stack variable per level).
 */
#ifndef MT_ASN1_H
#define MT_ASN1_H

#include "buf.h"
#include "mt.h"

/* Universal tags (class bits 00) and the constructed bit. */
enum {
    MT_ASN1_BOOLEAN = 0x01,
    MT_ASN1_INTEGER = 0x02,
    MT_ASN1_BIT_STRING = 0x03,
    MT_ASN1_OCTET_STRING = 0x04,
    MT_ASN1_NULL = 0x05,
    MT_ASN1_OID = 0x06,
    MT_ASN1_ENUMERATED = 0x0a,
    MT_ASN1_UTF8_STRING = 0x0c,
    MT_ASN1_PRINTABLE_STRING = 0x13,
    MT_ASN1_T61_STRING = 0x14,
    MT_ASN1_IA5_STRING = 0x16,
    MT_ASN1_UTC_TIME = 0x17,
    MT_ASN1_GENERALIZED_TIME = 0x18,
    MT_ASN1_VISIBLE_STRING = 0x1a,
    MT_ASN1_UNIVERSAL_STRING = 0x1c,
    MT_ASN1_BMP_STRING = 0x1e,
    MT_ASN1_SEQUENCE = 0x30,
    MT_ASN1_SET = 0x31,
    MT_ASN1_CONSTRUCTED = 0x20,
    MT_ASN1_CONTEXT = 0x80, /* context-specific class: [n] = 0x80 | n, constructed 0xa0 | n */
};

/* Deepest nesting mt_asn1_walk() accepts; no X.509 structure comes close. */
#define MT_ASN1_MAX_DEPTH 32

/* One decoded TLV. `body` views the contents; `raw` the whole encoding (tag+length+body). */
typedef struct mt_asn1_tlv {
    uint8_t tag;
    const uint8_t *body;
    size_t len;
    const uint8_t *raw;
    size_t raw_len;
} mt_asn1_tlv;

/* Read the next TLV of any tag. Errors: -MT_E_TRUNCATED, -MT_E_ASN1 (not DER). */
MT_WUR int mt_asn1_next(mt_rd *r, mt_asn1_tlv *t);

/* Tag of the next TLV without consuming it, or -MT_E_TRUNCATED at the end. */
MT_WUR int mt_asn1_peek(const mt_rd *r, uint8_t *tag);

/* Read a TLV that must have `tag`; `body` becomes a reader over its contents.
 * Errors: as mt_asn1_next, and -MT_E_ASN1 for another tag (nothing consumed). */
MT_WUR int mt_asn1_expect(mt_rd *r, uint8_t tag, mt_rd *body);

/* Like mt_asn1_expect, but an absent tag (or the end of r) sets *present = 0 and succeeds. */
MT_WUR int mt_asn1_optional(mt_rd *r, uint8_t tag, mt_rd *body, int *present);

/* Read a TLV with `tag`, returning its raw encoding (tag and length included). */
MT_WUR int mt_asn1_raw(mt_rd *r, uint8_t tag, const uint8_t **raw, size_t *raw_len);

/* INTEGER with minimal encoding. Big-endian two's complement bytes as encoded, in p and n. */
MT_WUR int mt_asn1_integer(mt_rd *r, const uint8_t **p, size_t *n);

/* Non-negative INTEGER as unsigned magnitude: leading 0x00 stripped (zero gives n = 0).
 * Errors: -MT_E_ASN1 if negative or not minimal. */
MT_WUR int mt_asn1_uint(mt_rd *r, const uint8_t **p, size_t *n);

/* Non-negative INTEGER that fits in 62 bits. Errors: -MT_E_ASN1 otherwise. */
MT_WUR int mt_asn1_small(mt_rd *r, int64_t *v);

/* BOOLEAN; DER allows only 0x00 and 0xff. */
MT_WUR int mt_asn1_bool(mt_rd *r, int *v);

/* NULL with empty body. */
MT_WUR int mt_asn1_null(mt_rd *r);

/* BIT STRING: the bytes after the unused-bits octet, and that count (0..7; unused bits must
 * be zero, and an empty string has 0). */
MT_WUR int mt_asn1_bits(mt_rd *r, const uint8_t **p, size_t *n, unsigned *unused);

/* BIT STRING with no unused bits, as bytes (keys and signatures). */
MT_WUR int mt_asn1_bits_bytes(mt_rd *r, const uint8_t **p, size_t *n);

/* OBJECT IDENTIFIER: the encoded contents (compare with mt_asn1_oid_is). Checked to be
 * well formed: non-empty, minimal subidentifiers, last byte ends a subidentifier. */
MT_WUR int mt_asn1_oid(mt_rd *r, const uint8_t **p, size_t *n);

/* 1 if the OID contents p/n equal `oid` (contents bytes, e.g. MT_OID_SHA256), else 0. */
int mt_asn1_oid_is(const uint8_t *p, size_t n, const char *oid, size_t oid_len);
#define MT_OID_IS(p, n, oid) mt_asn1_oid_is((p), (n), oid, sizeof(oid) - 1)

/* Dotted text of OID contents ("1.2.840.113549.1.1.11") into buf (always terminated).
 * Errors: -MT_E_ASN1 if malformed, -MT_E_BUFFER_FULL if buf is too small. */
MT_WUR int mt_asn1_oid_text(const uint8_t *p, size_t n, char *buf, size_t size);

/* Encode dotted OID text into contents bytes. Errors: -MT_E_ASN1, -MT_E_BUFFER_FULL. */
MT_WUR int mt_asn1_oid_parse(const char *text, uint8_t *out, size_t size, size_t *n);

/* UTCTime or GeneralizedTime in the RFC 5280 4.1.2.5 profile (ending in Z, seconds present,
 * no fractions; UTCTime years 50..99 are 19xx) as seconds since 1970 (may be negative). */
MT_WUR int mt_asn1_time(mt_rd *r, int64_t *t);

/* Decode a time body given its tag (MT_ASN1_UTC_TIME or MT_ASN1_GENERALIZED_TIME). */
MT_WUR int mt_asn1_time_body(uint8_t tag, const uint8_t *p, size_t n, int64_t *t);

/*
 * Walk a whole DER encoding and check it is well formed: every TLV strict DER,
 * constructed bodies (SEQUENCE, SET, constructed context tags) parsed
 * recursively up to `max_depth`, no trailing bytes. Errors: -MT_E_TRUNCATED,
 * -MT_E_ASN1, -MT_E_TRAILING, -MT_E_ASN1_DEPTH.
 */
MT_WUR int mt_asn1_walk(const uint8_t *p, size_t n, int max_depth);

/* ---- writer ---- */

typedef struct mt_asn1_mark {
    size_t body; /* offset of the first body byte */
} mt_asn1_mark;

/* Write `tag` and start a body; close with mt_asn1_close(). */
MT_WUR int mt_asn1_open(mt_wr *w, uint8_t tag, mt_asn1_mark *m);

/* Insert the DER length of the body started by `m`. */
MT_WUR int mt_asn1_close(mt_wr *w, const mt_asn1_mark *m);

/* A whole TLV with body p/n. */
MT_WUR int mt_asn1_w_tlv(mt_wr *w, uint8_t tag, const void *p, size_t n);

/* INTEGER from an unsigned big-endian magnitude (leading zeros dropped, 0x00 added when the
 * top bit is set; an empty or all-zero magnitude writes 0). */
MT_WUR int mt_asn1_w_uint(mt_wr *w, const uint8_t *p, size_t n);

/* INTEGER from a non-negative value. */
MT_WUR int mt_asn1_w_small(mt_wr *w, uint64_t v);

MT_WUR int mt_asn1_w_bool(mt_wr *w, int v);
MT_WUR int mt_asn1_w_null(mt_wr *w);

/* OID from contents bytes (an MT_OID_* constant: use sizeof - 1 for n). */
MT_WUR int mt_asn1_w_oid(mt_wr *w, const char *oid, size_t n);
#define MT_ASN1_W_OID(w, oid) mt_asn1_w_oid((w), oid, sizeof(oid) - 1)

/* BIT STRING of whole bytes (unused bits 0). */
MT_WUR int mt_asn1_w_bits(mt_wr *w, const uint8_t *p, size_t n);

/* BIT STRING for a named-bit list such as keyUsage: bit 0 is the top bit of the first
 * byte; DER drops trailing zero bits. `bits` holds up to 16 bits, bit i = (bits >> i) & 1. */
MT_WUR int mt_asn1_w_named_bits(mt_wr *w, unsigned bits);

/* UTCTime for years 1950..2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5). */
MT_WUR int mt_asn1_w_time(mt_wr *w, int64_t t);

/* Civil date of t (UTC). */
void mt_asn1_civil(int64_t t, int *year, int *month, int *day, int *hour, int *min, int *sec);

/* Seconds since 1970 of a UTC civil date (no range checks beyond the arithmetic). */
int64_t mt_asn1_epoch(int year, int month, int day, int hour, int min, int sec);

#endif
