/*
 * PEM (RFC 7468): lines "-----BEGIN label-----" ... "-----END label-----" with
 * base64 between. Lines are scanned with mt_rd; base64 goes through nettle.
 * Whitespace inside the body is skipped; RFC 1421 headers (a line with ':')
 * are refused, since legacy-encrypted keys are not supported.
 */
#include "pem.h"

#include <nettle/base64.h>
#include <string.h>

#include "err.h"

static const char begin[] = "-----BEGIN ";
static const char end_[] = "-----END ";
static const char dashes[] = "-----";

/* The next line of r without its line ending or trailing blanks; 0 at the end of input. */
static int next_line(mt_rd *r, const uint8_t **line, size_t *n)
{
    if (!mt_rd_until(r, '\n', line, n)) {
        return 0;
    }
    while (*n > 0 &&
           ((*line)[*n - 1] == '\r' || (*line)[*n - 1] == ' ' || (*line)[*n - 1] == '\t')) {
        (*n)--;
    }
    return 1;
}

/* If line is "<prefix>label-----", copy the label. */
static int boundary(const uint8_t *line, size_t n, const char *prefix,
                    char label[MT_PEM_MAX_LABEL + 1])
{
    size_t pl = strlen(prefix);
    if (n < pl + 5 || memcmp(line, prefix, pl) != 0 || memcmp(line + n - 5, dashes, 5) != 0) {
        return 0;
    }
    size_t ll = n - pl - 5;
    if (ll > MT_PEM_MAX_LABEL) {
        return 0;
    }
    for (size_t i = 0; i < ll; i++) {
        /* RFC 7468 3: labels are printable ASCII except '-' at the ends */
        if (line[pl + i] < 0x20 || line[pl + i] > 0x7e) {
            return 0;
        }
    }
    memcpy(label, line + pl, ll);
    label[ll] = '\0';
    return 1;
}

int mt_pem_is_pem(const uint8_t *p, size_t n)
{
    size_t bl = sizeof(begin) - 1;
    for (size_t i = 0; i + bl <= n; i++) {
        if (p[i] == '-' && memcmp(p + i, begin, bl) == 0) {
            return 1;
        }
    }
    return 0;
}

int mt_pem_next(mt_rd *text, char label[MT_PEM_MAX_LABEL + 1], mt_wr *der)
{
    const uint8_t *line;
    size_t n;
    for (;;) {
        if (!next_line(text, &line, &n)) {
            return 0;
        }
        if (boundary(line, n, begin, label)) {
            break;
        }
    }
    struct base64_decode_ctx ctx;
    base64_decode_init(&ctx);
    size_t start = der->len;
    char end_label[MT_PEM_MAX_LABEL + 1];
    int rc = -MT_E_PEM;
    while (next_line(text, &line, &n)) {
        if (boundary(line, n, end_, end_label)) {
            if (strcmp(label, end_label) == 0 && base64_decode_final(&ctx)) {
                rc = 1;
            }
            break;
        }
        if (memchr(line, ':', n) || memchr(line, '-', n)) {
            break; /* RFC 1421 header or a stray boundary */
        }
        /* base64 shrinks: n bytes of text never decode to more than n bytes */
        uint8_t *dst;
        GUARD(mt_wr_reserve(der, n, &dst));
        size_t got = n;
        if (!base64_decode_update(&ctx, &got, dst, n, (const char *)line)) {
            break;
        }
        mt_wr_truncate(der, der->len - (n - got));
    }
    if (rc < 0) {
        mt_wr_truncate(der, start);
    }
    return rc;
}

int mt_pem_write(mt_wr *out, const char *label, const uint8_t *der, size_t n)
{
    GUARD(mt_wr_bytes(out, begin, sizeof(begin) - 1));
    GUARD(mt_wr_bytes(out, label, strlen(label)));
    GUARD(mt_wr_bytes(out, "-----\n", 6));
    for (size_t i = 0; i < n; i += 48) {
        size_t chunk = n - i < 48 ? n - i : 48;
        uint8_t *dst;
        GUARD(mt_wr_reserve(out, BASE64_ENCODE_RAW_LENGTH(chunk), &dst));
        base64_encode_raw((char *)dst, chunk, der + i);
        GUARD(mt_wr_u8(out, '\n'));
    }
    GUARD(mt_wr_bytes(out, end_, sizeof(end_) - 1));
    GUARD(mt_wr_bytes(out, label, strlen(label)));
    return mt_wr_bytes(out, "-----\n", 6);
}
