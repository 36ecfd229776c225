/* Stateless session tickets: see ticket.h. */
#include <nettle/gcm.h>
#include <string.h>

#include "ct.h"
#include "err.h"
#include "rng.h"
#include "session_codec.h"
#include "ticket.h"

#define NONCE_LEN 12
#define TAG_LEN 16

MT_WUR static int fresh_key(mt_ticket_key *k, int64_t now)
{
    GUARD(mt_rng_bytes(k->name, sizeof(k->name)));
    GUARD(mt_rng_bytes(k->key, sizeof(k->key)));
    k->created = now;
    return 0;
}

int mt_tickets_init(mt_tickets *t, uint32_t period, int64_t now)
{
    memset(t, 0, sizeof(*t));
    t->period = period ? period : MT_TICKET_PERIOD_DEFAULT;
    t->n = 1;
    return fresh_key(&t->keys[0], now);
}

int mt_tickets_set(mt_tickets *t, const uint8_t *keys, size_t n, int64_t now)
{
    ENSURE(n > 0 && n <= MT_TICKET_MAX_KEYS, INVALID_ARG);
    const size_t one = MT_TICKET_NAME_LEN + MT_TICKET_KEY_LEN;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            ENSURE(memcmp(keys + i * one, keys + j * one, MT_TICKET_NAME_LEN) != 0, INVALID_ARG);
        }
    }
    mt_tickets_wipe(t);
    for (size_t i = 0; i < n; i++) {
        memcpy(t->keys[i].name, keys + i * one, MT_TICKET_NAME_LEN);
        memcpy(t->keys[i].key, keys + i * one + MT_TICKET_NAME_LEN, MT_TICKET_KEY_LEN);
        t->keys[i].created = now;
    }
    t->n = n;
    t->period = 0;
    return 0;
}

int mt_tickets_rotate(mt_tickets *t, int64_t now)
{
    if (t->period == 0 || t->n == 0 || now - t->keys[0].created < (int64_t)t->period) {
        return 0;
    }
    mt_ticket_key k;
    GUARD(fresh_key(&k, now));
    /* the current key opens tickets for one more period; the one before is wiped; after a
     * long pause (two periods or more) the old current key is too old to keep */
    int keep = now - t->keys[0].created < 2 * (int64_t)t->period;
    mt_wipe(&t->keys[1], sizeof(t->keys[1]));
    if (keep) {
        t->keys[1] = t->keys[0];
    }
    t->keys[0] = k;
    t->n = keep ? 2 : 1;
    mt_wipe(&k, sizeof(k));
    return 0;
}

int mt_ticket_seal(mt_tickets *t, const mt_session *s, int64_t now, mt_wr *out)
{
    uint8_t body_buf[MT_SESSION_FIELDS_MAX], ct[sizeof(body_buf)], nonce[NONCE_LEN], tag[TAG_LEN];
    mt_wr body;
    struct gcm_aes256_ctx g;
    int rc;
    ENSURE(t->n > 0, INVALID_ARG);
    GUARD(mt_tickets_rotate(t, now));
    mt_wr_init_fixed(&body, body_buf, sizeof(body_buf));
    BAIL(rc, mt_session_fields_write(s, &body));
    BAIL(rc, mt_rng_bytes(nonce, sizeof(nonce)));
    const mt_ticket_key *k = &t->keys[0];
    gcm_aes256_set_key(&g, k->key);
    gcm_aes256_set_iv(&g, NONCE_LEN, nonce);
    gcm_aes256_update(&g, MT_TICKET_NAME_LEN, k->name);
    gcm_aes256_encrypt(&g, body.len, ct, body.p);
    gcm_aes256_digest(&g, TAG_LEN, tag);
    BAIL(rc, mt_wr_bytes(out, k->name, MT_TICKET_NAME_LEN));
    BAIL(rc, mt_wr_bytes(out, nonce, NONCE_LEN));
    BAIL(rc, mt_wr_bytes(out, ct, body.len));
    BAIL(rc, mt_wr_bytes(out, tag, TAG_LEN));
out:
    mt_wipe(&g, sizeof(g));
    mt_wipe(body_buf, sizeof(body_buf));
    mt_wipe(ct, sizeof(ct));
    return rc;
}

int mt_ticket_open(mt_tickets *t, const uint8_t *p, size_t len, int64_t now, mt_session *s)
{
    uint8_t pt[MT_SESSION_FIELDS_MAX], tag[TAG_LEN];
    struct gcm_aes256_ctx g;
    mt_session_wipe(s);
    GUARD(mt_tickets_rotate(t, now));
    ENSURE(len >= MT_TICKET_OVERHEAD && len - MT_TICKET_OVERHEAD <= sizeof(pt), SESSION_DAMAGED);
    const mt_ticket_key *k = NULL;
    for (size_t i = 0; i < t->n && !k; i++) {
        /* key names are public (they travel in clear): no need to hide which matched */
        if (memcmp(t->keys[i].name, p, MT_TICKET_NAME_LEN) == 0) {
            k = &t->keys[i];
        }
    }
    ENSURE(k != NULL, SESSION_DAMAGED);
    size_t n = len - MT_TICKET_OVERHEAD;
    gcm_aes256_set_key(&g, k->key);
    gcm_aes256_set_iv(&g, NONCE_LEN, p + MT_TICKET_NAME_LEN);
    gcm_aes256_update(&g, MT_TICKET_NAME_LEN, p);
    gcm_aes256_decrypt(&g, n, pt, p + MT_TICKET_NAME_LEN + NONCE_LEN);
    gcm_aes256_digest(&g, TAG_LEN, tag);
    mt_wipe(&g, sizeof(g));
    int rc = mt_ct_eq(tag, p + len - TAG_LEN, TAG_LEN) ? 0 : -MT_E_SESSION_DAMAGED;
    if (rc == 0 && mt_session_fields_read(pt, n, s) < 0) {
        rc = -MT_E_SESSION_DAMAGED;
    }
    mt_wipe(pt, sizeof(pt));
    if (rc < 0) {
        mt_session_wipe(s);
    }
    return rc;
}

void mt_tickets_wipe(mt_tickets *t)
{
    mt_wipe(t->keys, sizeof(t->keys));
    t->n = 0;
}
