/*
 * Session tickets, both versions (RFC 5077 for TLS 1.2, RFC 8446 4.6.1 for 1.3), server
 * side: which session a client's ticket stands for, and the ticket a NewSessionTicket
 * carries. A ticket is the application's (MT_DECIDE_TICKET / MT_DECIDE_NEW_TICKET), else one
 * sealed by the built-in keys (ticket.h), else (1.3 only) a random id naming a cache entry.
 * A ticket that does not open, or is out of its lifetime, only means a full handshake: never
 * an alert (RFC 5077 3.4, RFC 8446 4.2.11).
 */
#include <string.h>
#include <time.h>

#include "err.h"
#include "hs12_int.h"
#include "hs13_int.h"
#include "rng.h"
#include "session_codec.h"
#include "ticket.h"

/* the largest ticket we send: one sealed by ticket.c, or the application's */
#define TICKET_BYTES_MAX (MT_TICKET_OVERHEAD + MT_SESSION_FIELDS_MAX + MT_TICKET_MAX)

int mt_tk_enabled(const mt_conn *c)
{
    return c->cfg->tickets != NULL || c->cfg->decide_ticket;
}

int64_t mt_tk_now(const mt_conn *c)
{
    return c->cfg->clock ? c->cfg->clock() : (int64_t)time(NULL);
}

uint32_t mt_tk_lifetime(const mt_config *cfg, uint32_t asked)
{
    uint32_t l = asked                  ? asked
                 : cfg->ticket_lifetime ? cfg->ticket_lifetime
                                        : MT_TICKET_LIFETIME_DEFAULT;
    /* RFC 8446 4.6.1: never more than seven days */
    return l < MT_TICKET_LIFETIME_MAX ? l : MT_TICKET_LIFETIME_MAX;
}

int mt_tk_find(mt_conn *c, const uint8_t *p, size_t n, mt_session *s, int *found_out)
{
    const mt_config *cfg = c->cfg;
    int64_t now = mt_tk_now(c);
    int found = 0;
    *found_out = 0;
    mt_session_wipe(s);
    if (cfg->decide_ticket && !c->h->ch_ticket_asked) {
        c->h->hello_ticket = p;
        c->h->hello_ticket_len = n;
        c->decision = MT_DECIDE_TICKET;
        return MT_HS_AGAIN;
    }
    if (c->h->offered) {
        *s = *c->h->offered;
        mt_hs_session_drop(&c->h->offered);
        found = 1;
    }
    if (!found && cfg->tickets) {
        int rc = mt_ticket_open(cfg->tickets, p, n, now, s);
        /* a damaged, foreign or expired ticket is not an error (only a failing RNG is) */
        GUARD(rc == -MT_E_RANDOM ? rc : 0);
        found = rc == 0;
    }
    if (!found && c->tls13 && cfg->cache) {
        found = mt_cache_get(cfg->cache, p, n, now, s);
    }
    /* within the lifetime it was issued with (the config's for a session without one) */
    if (found &&
        (s->created > now || now - s->created >= (int64_t)mt_tk_lifetime(cfg, s->lifetime))) {
        found = 0;
    }
    if (!found) {
        mt_session_wipe(s);
    }
    *found_out = found;
    return 0;
}

int mt_tk_ask(mt_conn *c)
{
    c->h->nst_set = 0;
    if (!c->cfg->decide_ticket) {
        return 0;
    }
    c->decision = MT_DECIDE_NEW_TICKET;
    return 1;
}

int mt_tk_make(mt_conn *c, int stateful, mt_wr *w, uint32_t *lifetime)
{
    const mt_config *cfg = c->cfg;
    mt_session *s = c->h->ticket;
    ENSURE(s != NULL, INTERNAL);
    if (c->h->nst_set) {
        *lifetime = s->lifetime;
        return mt_wr_bytes(w, s->ticket, s->ticket_len);
    }
    s->lifetime = mt_tk_lifetime(cfg, s->lifetime);
    *lifetime = s->lifetime;
    if (cfg->tickets) {
        return mt_ticket_seal(cfg->tickets, s, mt_tk_now(c), w);
    }
    if (stateful && cfg->cache) {
        /* a stateful 1.3 ticket: a random id naming the session in the cache */
        s->sid_len = 32;
        GUARD(mt_rng_bytes(s->sid, 32));
        mt_cache_put(cfg->cache, s, s->created);
        return mt_wr_bytes(w, s->sid, 32);
    }
    *lifetime = 0;
    return 0;
}

int mt_tk_send(mt_conn *c)
{
    static const uint8_t nonce[1] = {0}; /* one ticket per connection (mt_hs13 PSK derivation) */
    mt_wr t, w;
    uint32_t life = 0;
    mt_wr_init_growable(&t, TICKET_BYTES_MAX);
    mt_wr_init_growable(&w, 16 + TICKET_BYTES_MAX);
    int rc = 0;
    BAIL(rc, mt_tk_make(c, c->tls13, &t, &life));
    if (c->tls13) {
        if (t.len == 0) {
            goto out; /* no ticket to give */
        }
        /* RFC 8446 4.6.1: lifetime, age_add, nonce, ticket, extensions (early_data) */
        BAIL(rc, mt_wr_u32(&w, life));
        BAIL(rc, mt_wr_u32(&w, c->h->ticket->age_add));
        BAIL(rc, mt_wr_u8(&w, sizeof(nonce)));
        BAIL(rc, mt_wr_bytes(&w, nonce, sizeof(nonce)));
    } else {
        /* RFC 5077 3.3: an empty ticket (no lifetime) says we issue none after all */
        BAIL(rc, mt_wr_u32(&w, t.len ? life : 0));
    }
    BAIL(rc, mt_wr_u16(&w, (uint16_t)t.len));
    BAIL(rc, mt_wr_bytes(&w, t.p, t.len));
    if (c->tls13) {
        BAIL(rc, mt_wr_open(&w, 2));
        if (c->h->ticket->max_early_data) {
            /* RFC 8446 4.2.10: the ticket allows 0-RTT up to max_early_data_size */
            BAIL(rc, mt_wr_u16(&w, EXT_EARLY_DATA));
            BAIL(rc, mt_wr_u16(&w, 4));
            BAIL(rc, mt_wr_u32(&w, c->h->ticket->max_early_data));
        }
        BAIL(rc, mt_wr_close(&w));
    }
    BAIL(rc, mt_wr_finish(&w));
    BAIL(rc, mt_conn_send_hs(c, HT_NEW_SESSION_TICKET, w.p, w.len));
out:
    mt_wr_free(&t);
    mt_wr_free(&w);
    mt_hs_session_drop(&c->h->ticket);
    c->h->nst_set = 0;
    return rc;
}

int mt_tk_continue(mt_conn *c)
{
    return c->tls13 ? mt_hs13_server_ticket_done(c) : mt_hs12_server_ticket_done(c);
}

size_t mt_conn_ticket(const mt_conn *c, const uint8_t **ticket)
{
    int asked = c->decision == MT_DECIDE_TICKET;
    *ticket = asked ? c->h->hello_ticket : NULL;
    return asked ? c->h->hello_ticket_len : 0;
}

int mt_conn_ticket_session(const mt_conn *c, mt_session *out)
{
    ENSURE(c->decision == MT_DECIDE_NEW_TICKET, INVALID_ARG);
    *out = *c->h->ticket;
    return 0;
}

int mt_conn_set_ticket(mt_conn *c, const uint8_t *ticket, size_t len, uint32_t lifetime)
{
    ENSURE(c->decision == MT_DECIDE_NEW_TICKET && len > 0 && len <= MT_TICKET_MAX, INVALID_ARG);
    memcpy(c->h->ticket->ticket, ticket, len);
    c->h->ticket->ticket_len = (uint16_t)len;
    c->h->ticket->lifetime = mt_tk_lifetime(c->cfg, lifetime);
    c->h->nst_set = 1;
    return 0;
}
