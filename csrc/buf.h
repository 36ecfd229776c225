/*
 * buf.h -- the bounds-checked reader and writer.
 *
 * Every byte of wire data the core parses goes through mt_rd, and every
 * message it builds goes through mt_wr; no other file does pointer arithmetic
 * on wire data (STYLE.md). Integers are big-endian (network order).
 *
 * Reader: a view of borrowed bytes. Reads either succeed whole or fail with
 * -MT_E_TRUNCATED and consume nothing. A length-prefixed vector is taken as a
 * sub-reader; a parser finishes each reader with mt_rd_end(), which fails with
 * -MT_E_TRAILING when bytes are left over.
 *
 * Writer: a fixed buffer the caller owns, or a growable heap buffer with a
 * size cap. Vectors are written by opening a length field (1, 2 or 3 bytes),
 * writing the body, and closing, which back-patches the length. Errors are
 * sticky: after the first failure every call fails with the same code, so a
 * builder may check only at the end (every call is still MT_WUR). A growable
 * writer wipes memory it releases, since messages may carry secrets.
 */
#ifndef MT_BUF_H
#define MT_BUF_H

#include "mt.h"

typedef struct mt_rd {
    const uint8_t *p;
    size_t len;
    size_t off;
} mt_rd;

/* Start reading `len` bytes at `p` (p may be NULL when len is 0). */
void mt_rd_init(mt_rd *r, const void *p, size_t len);

/* Bytes not yet consumed. */
size_t mt_rd_left(const mt_rd *r);

/* Read one big-endian integer. Errors: -MT_E_TRUNCATED. */
MT_WUR int mt_rd_u8(mt_rd *r, uint8_t *v);
MT_WUR int mt_rd_u16(mt_rd *r, uint16_t *v);
MT_WUR int mt_rd_u24(mt_rd *r, uint32_t *v);
MT_WUR int mt_rd_u32(mt_rd *r, uint32_t *v);

/* Point `*out` at the next `n` bytes (no copy) and consume them. Errors: -MT_E_TRUNCATED. */
MT_WUR int mt_rd_borrow(mt_rd *r, size_t n, const uint8_t **out);

/* Copy the next `n` bytes to `dst`. Errors: -MT_E_TRUNCATED. */
MT_WUR int mt_rd_copy(mt_rd *r, void *dst, size_t n);

/* Borrow the bytes up to the next `delim` (excluded) and consume them and the delimiter;
 * without a delimiter, everything left. Returns 1, or 0 when nothing is left. */
int mt_rd_until(mt_rd *r, uint8_t delim, const uint8_t **out, size_t *n);

/* Consume `n` bytes. Errors: -MT_E_TRUNCATED. */
MT_WUR int mt_rd_skip(mt_rd *r, size_t n);

/*
 * Take a vector with a `lenbytes`-byte length prefix (1, 2 or 3) as sub-reader
 * `sub`, whose length must lie in [min, max] (TLS's <min..max>). Consumes the
 * prefix and the body. Errors: -MT_E_TRUNCATED when the prefix or the body runs
 * past the end of `r`, -MT_E_BAD_LENGTH when the length is outside [min, max].
 */
MT_WUR int mt_rd_vec(mt_rd *r, int lenbytes, size_t min, size_t max, mt_rd *sub);

/* mt_rd_vec with no bound but the parent's: 8-, 16- and 24-bit length prefixes. */
MT_WUR int mt_rd_vec8(mt_rd *r, mt_rd *sub);
MT_WUR int mt_rd_vec16(mt_rd *r, mt_rd *sub);
MT_WUR int mt_rd_vec24(mt_rd *r, mt_rd *sub);

/* Succeeds when every byte was consumed. Errors: -MT_E_TRAILING. */
MT_WUR int mt_rd_end(const mt_rd *r);

/* Deepest nesting of open length fields in one writer. */
#define MT_WR_MAX_OPEN 8

typedef struct mt_wr {
    uint8_t *p;
    size_t len;
    size_t cap;
    size_t max; /* growable writers: never grow past this many bytes */
    int growable;
    int err; /* sticky: 0 or the first negative error */
    int depth;
    size_t open_at[MT_WR_MAX_OPEN];
    uint8_t open_bytes[MT_WR_MAX_OPEN];
} mt_wr;

/* Write into `buf` of `cap` bytes owned by the caller; never grows. */
void mt_wr_init_fixed(mt_wr *w, void *buf, size_t cap);

/* Write into a heap buffer that grows as needed up to `max` bytes. */
void mt_wr_init_growable(mt_wr *w, size_t max);

/* Release a growable writer's buffer (wiped first); a fixed buffer is only forgotten. */
void mt_wr_free(mt_wr *w);

/* Forget the contents but keep the buffer (wiped). Clears the sticky error. */
void mt_wr_reset(mt_wr *w);

/* mt_wr_reset without the wipe, for public bytes only (records already on the wire). */
void mt_wr_rewind(mt_wr *w);

/*
 * Hand the heap buffer of a growable writer to the caller, who must free it.
 * Returns NULL (and *len = 0) if the writer failed or holds nothing, or is fixed.
 * The writer is left empty and may be reused.
 */
uint8_t *mt_wr_take(mt_wr *w, size_t *len);

/* Append one big-endian integer. Errors: -MT_E_BUFFER_FULL, -MT_E_NOMEM, -MT_E_INVALID_ARG
 * (value too wide for u24). */
MT_WUR int mt_wr_u8(mt_wr *w, uint8_t v);
MT_WUR int mt_wr_u16(mt_wr *w, uint16_t v);
MT_WUR int mt_wr_u24(mt_wr *w, uint32_t v);
MT_WUR int mt_wr_u32(mt_wr *w, uint32_t v);

/* Append `n` bytes from `p`. Errors: -MT_E_BUFFER_FULL, -MT_E_NOMEM. */
MT_WUR int mt_wr_bytes(mt_wr *w, const void *p, size_t n);

/* Append `n` zero bytes and point `*out` at them, to be filled in place before
 * the next write (a later write may move a growable buffer). */
MT_WUR int mt_wr_reserve(mt_wr *w, size_t n, uint8_t **out);

/* Drop everything after the first `len` bytes (wiped); no-op if len >= the current length. */
void mt_wr_truncate(mt_wr *w, size_t len);

/* Insert `n` bytes from `p` at offset `at` (<= len), moving what follows.
 * Errors: -MT_E_BUFFER_FULL, -MT_E_NOMEM, -MT_E_INVALID_ARG (at past the end). */
MT_WUR int mt_wr_insert(mt_wr *w, size_t at, const void *p, size_t n);

/* Open a length field of `lenbytes` (1, 2 or 3) to be back-patched by mt_wr_close().
 * Errors: -MT_E_NESTING when MT_WR_MAX_OPEN fields are open, -MT_E_INVALID_ARG. */
MT_WUR int mt_wr_open(mt_wr *w, int lenbytes);

/* Close the innermost open field and write its length.
 * Errors: -MT_E_NESTING when none is open, -MT_E_BAD_LENGTH when the body is too long. */
MT_WUR int mt_wr_close(mt_wr *w);

/* Succeeds when the writer has no error and no field is left open. */
MT_WUR int mt_wr_finish(const mt_wr *w);

#endif
