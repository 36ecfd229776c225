/*
 * pem.h -- PEM armour (RFC 7468): several blocks per text, labels checked,
 * text outside the blocks ignored.
 */
#ifndef MT_PEM_H
#define MT_PEM_H

#include "buf.h"
#include "mt.h"

/* Longest label accepted ("ENCRYPTED PRIVATE KEY" is 21). */
#define MT_PEM_MAX_LABEL 64

/* 1 if the text contains a "-----BEGIN " line, else 0 (so it is PEM, not DER). */
int mt_pem_is_pem(const uint8_t *p, size_t n);

/*
 * Find the next block from the reader's position. On success returns 1, copies the label
 * (NUL-terminated) to `label`, and appends the decoded bytes to `der`; the reader moves past
 * the END line. Returns 0 when no BEGIN line is left. Errors: -MT_E_PEM (END label differs,
 * bad base64, missing END line, RFC 1421 headers such as Proc-Type), -MT_E_NOMEM,
 * -MT_E_BUFFER_FULL.
 */
MT_WUR int mt_pem_next(mt_rd *text, char label[MT_PEM_MAX_LABEL + 1], mt_wr *der);

/* Append the PEM block of der/n under `label` to out (64-column lines, trailing newline). */
MT_WUR int mt_pem_write(mt_wr *out, const char *label, const uint8_t *der, size_t n);

#endif
