#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "err.h"

void mt_rd_init(mt_rd *r, const void *p, size_t len)
{
    r->p = p;
    r->len = p ? len : 0;
    r->off = 0;
}

size_t mt_rd_left(const mt_rd *r)
{
    return r->len - r->off;
}

MT_WUR static int take(mt_rd *r, size_t n, const uint8_t **out)
{
    ENSURE(n <= mt_rd_left(r), TRUNCATED);
    *out = r->p + r->off;
    r->off += n;
    return 0;
}

int mt_rd_u8(mt_rd *r, uint8_t *v)
{
    const uint8_t *b;
    GUARD(take(r, 1, &b));
    *v = b[0];
    return 0;
}

int mt_rd_u16(mt_rd *r, uint16_t *v)
{
    const uint8_t *b;
    GUARD(take(r, 2, &b));
    *v = (uint16_t)((b[0] << 8) | b[1]);
    return 0;
}

int mt_rd_u24(mt_rd *r, uint32_t *v)
{
    const uint8_t *b;
    GUARD(take(r, 3, &b));
    *v = ((uint32_t)b[0] << 16) | ((uint32_t)b[1] << 8) | b[2];
    return 0;
}

int mt_rd_u32(mt_rd *r, uint32_t *v)
{
    const uint8_t *b;
    GUARD(take(r, 4, &b));
    *v = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    return 0;
}

int mt_rd_borrow(mt_rd *r, size_t n, const uint8_t **out)
{
    return take(r, n, out);
}

int mt_rd_copy(mt_rd *r, void *dst, size_t n)
{
    const uint8_t *b;
    GUARD(take(r, n, &b));
    if (n > 0) {
        memcpy(dst, b, n);
    }
    return 0;
}

int mt_rd_skip(mt_rd *r, size_t n)
{
    const uint8_t *b;
    return take(r, n, &b);
}

int mt_rd_until(mt_rd *r, uint8_t delim, const uint8_t **out, size_t *n)
{
    size_t left = mt_rd_left(r);
    if (left == 0) {
        return 0;
    }
    const uint8_t *rest = r->p + r->off;
    const uint8_t *hit = memchr(rest, delim, left);
    *out = rest;
    *n = hit ? (size_t)(hit - rest) : left;
    r->off += hit ? *n + 1 : *n;
    return 1;
}

int mt_rd_vec(mt_rd *r, int lenbytes, size_t min, size_t max, mt_rd *sub)
{
    ENSURE(lenbytes >= 1 && lenbytes <= 3, INVALID_ARG);
    ENSURE((size_t)lenbytes <= mt_rd_left(r), TRUNCATED);
    size_t n = 0;
    for (int i = 0; i < lenbytes; i++) {
        n = (n << 8) | r->p[r->off + (size_t)i];
    }
    /* Check the body before consuming anything, so a failed read leaves r as it was. */
    ENSURE(n <= mt_rd_left(r) - (size_t)lenbytes, TRUNCATED);
    ENSURE(n >= min && n <= max, BAD_LENGTH);
    r->off += (size_t)lenbytes;
    mt_rd_init(sub, r->p + r->off, n);
    r->off += n;
    return 0;
}

int mt_rd_vec8(mt_rd *r, mt_rd *sub)
{
    return mt_rd_vec(r, 1, 0, 0xff, sub);
}

int mt_rd_vec16(mt_rd *r, mt_rd *sub)
{
    return mt_rd_vec(r, 2, 0, 0xffff, sub);
}

int mt_rd_vec24(mt_rd *r, mt_rd *sub)
{
    return mt_rd_vec(r, 3, 0, 0xffffff, sub);
}

int mt_rd_end(const mt_rd *r)
{
    ENSURE(mt_rd_left(r) == 0, TRAILING);
    return 0;
}

/* ---- writer ---- */

void mt_wr_init_fixed(mt_wr *w, void *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->p = buf;
    w->cap = buf ? cap : 0;
    w->max = w->cap;
}

void mt_wr_init_growable(mt_wr *w, size_t max)
{
    memset(w, 0, sizeof(*w));
    w->growable = 1;
    w->max = max;
}

void mt_wr_free(mt_wr *w)
{
    if (w->growable && w->p) {
        mt_wipe(w->p, w->cap);
        free(w->p);
    }
    int growable = w->growable;
    size_t max = w->max;
    memset(w, 0, sizeof(*w));
    w->growable = growable;
    w->max = max;
}

void mt_wr_reset(mt_wr *w)
{
    if (w->p) {
        mt_wipe(w->p, w->len);
    }
    w->len = 0;
    w->err = 0;
    w->depth = 0;
}

void mt_wr_rewind(mt_wr *w)
{
    w->len = 0;
    w->err = 0;
    w->depth = 0;
}

uint8_t *mt_wr_take(mt_wr *w, size_t *len)
{
    uint8_t *p = NULL;
    *len = 0;
    if (w->growable && w->err == 0 && w->depth == 0 && w->len > 0) {
        p = w->p;
        *len = w->len;
        w->p = NULL;
        w->cap = 0;
        w->len = 0;
    }
    return p;
}

static int fail(mt_wr *w, int err)
{
    if (w->err == 0) {
        w->err = err;
    }
    return w->err;
}

/* Make room for n more bytes; grows a growable buffer by doubling, wiping the old copy. */
MT_WUR static int room(mt_wr *w, size_t n)
{
    if (w->err) {
        return w->err;
    }
    if (n > w->max || w->len > w->max - n) {
        return fail(w, -MT_E_BUFFER_FULL);
    }
    size_t need = w->len + n;
    if (need <= w->cap) {
        return 0;
    }
    size_t cap = w->cap ? w->cap : 64;
    while (cap < need) {
        cap = cap > w->max / 2 ? w->max : cap * 2;
    }
    uint8_t *np = malloc(cap);
    if (!np) {
        return fail(w, -MT_E_NOMEM);
    }
    if (w->p) {
        memcpy(np, w->p, w->len);
        mt_wipe(w->p, w->cap);
        free(w->p);
    }
    w->p = np;
    w->cap = cap;
    return 0;
}

static void put_be(uint8_t *dst, uint32_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        dst[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

MT_WUR static int put_int(mt_wr *w, uint32_t v, int n)
{
    GUARD(room(w, (size_t)n));
    put_be(w->p + w->len, v, n);
    w->len += (size_t)n;
    return 0;
}

int mt_wr_u8(mt_wr *w, uint8_t v)
{
    return put_int(w, v, 1);
}

int mt_wr_u16(mt_wr *w, uint16_t v)
{
    return put_int(w, v, 2);
}

int mt_wr_u24(mt_wr *w, uint32_t v)
{
    if (v > 0xffffff) {
        return fail(w, -MT_E_INVALID_ARG);
    }
    return put_int(w, v, 3);
}

int mt_wr_u32(mt_wr *w, uint32_t v)
{
    return put_int(w, v, 4);
}

int mt_wr_bytes(mt_wr *w, const void *p, size_t n)
{
    GUARD(room(w, n));
    if (n > 0) {
        memcpy(w->p + w->len, p, n);
        w->len += n;
    }
    return 0;
}

int mt_wr_reserve(mt_wr *w, size_t n, uint8_t **out)
{
    GUARD(room(w, n));
    *out = w->p + w->len;
    if (n > 0) {
        memset(*out, 0, n);
    }
    w->len += n;
    return 0;
}

void mt_wr_truncate(mt_wr *w, size_t len)
{
    if (len < w->len) {
        mt_wipe(w->p + len, w->len - len);
        w->len = len;
    }
}

int mt_wr_insert(mt_wr *w, size_t at, const void *p, size_t n)
{
    if (w->err) {
        return w->err;
    }
    if (at > w->len) {
        return fail(w, -MT_E_INVALID_ARG);
    }
    GUARD(room(w, n));
    if (n > 0) {
        memmove(w->p + at + n, w->p + at, w->len - at);
        memcpy(w->p + at, p, n);
        w->len += n;
    }
    return 0;
}

int mt_wr_open(mt_wr *w, int lenbytes)
{
    if (w->err) {
        return w->err;
    }
    if (lenbytes < 1 || lenbytes > 3) {
        return fail(w, -MT_E_INVALID_ARG);
    }
    if (w->depth >= MT_WR_MAX_OPEN) {
        return fail(w, -MT_E_NESTING);
    }
    size_t at = w->len;
    GUARD(put_int(w, 0, lenbytes));
    w->open_at[w->depth] = at;
    w->open_bytes[w->depth] = (uint8_t)lenbytes;
    w->depth++;
    return 0;
}

int mt_wr_close(mt_wr *w)
{
    if (w->err) {
        return w->err;
    }
    if (w->depth == 0) {
        return fail(w, -MT_E_NESTING);
    }
    w->depth--;
    size_t at = w->open_at[w->depth];
    int n = w->open_bytes[w->depth];
    size_t body = w->len - at - (size_t)n;
    if (body >> (8 * n) != 0) {
        return fail(w, -MT_E_BAD_LENGTH);
    }
    put_be(w->p + at, (uint32_t)body, n);
    return 0;
}

int mt_wr_finish(const mt_wr *w)
{
    if (w->err) {
        return w->err;
    }
    ENSURE(w->depth == 0, NESTING);
    return 0;
}
