/*
 * session.h -- resumable TLS state (Pike SSL.Session) and the server's
 * session-ID cache (RFC 5246 7.3, F.1.4).
 *
 * A session holds what an abbreviated handshake needs: version, suite, the
 * master secret, whether extended master secret was used (RFC 7627 5.3), and
 * the SNI and ALPN it was made for. The cache is a small table with LRU
 * eviction and a lifetime; entries are wiped when evicted or removed. Lookups
 * copy, so a caller never holds a pointer into the table.
 */
#ifndef MT_SESSION_H
#define MT_SESSION_H

#include "mt.h"

/* Longest TLS 1.3 ticket a client keeps (OpenSSL's and GnuTLS's are a few hundred bytes). */
#define MT_TICKET_MAX 1024

typedef struct mt_session {
    uint16_t version;
    uint16_t suite;
    uint8_t sid[32];
    uint8_t sid_len;
    uint8_t ems;
    uint8_t master[48];
    int64_t created; /* Unix seconds */
    char sni[256];
    char alpn[256];
    /* TLS 1.3 (RFC 8446 4.6.1): master holds the resumption PSK (hash length of the suite);
     * a client keeps the server's ticket, a server keys its cache with sid (the ticket it
     * issued) */
    uint32_t age_add, lifetime;
    uint16_t ticket_len;
    uint8_t ticket[MT_TICKET_MAX];
    /* TLS 1.3: the ticket's max_early_data_size (RFC 8446 4.6.1 early_data); 0: no 0-RTT */
    uint32_t max_early_data;
} mt_session;

/* Wipe a session's secrets (and everything else). */
void mt_session_wipe(mt_session *s);

typedef struct mt_cache mt_cache;

/* A cache of at most `size` sessions living `lifetime` seconds. Errors: -MT_E_NOMEM,
 * -MT_E_INVALID_ARG (size 0 or over 1,000,000). */
MT_WUR int mt_cache_new(size_t size, uint32_t lifetime, mt_cache **out);

/* Wipe and free every entry and the cache (NULL is fine). */
void mt_cache_free(mt_cache *c);

/* Store a copy of s under its session id (replacing an older entry with the same id, evicting
 * the least recently used when full). A session without id is ignored. */
void mt_cache_put(mt_cache *c, const mt_session *s, int64_t now);

/* Copy the live session with this id into *out: 1 if found, 0 if absent or expired (an
 * expired entry is removed). */
int mt_cache_get(mt_cache *c, const uint8_t *sid, size_t sid_len, int64_t now, mt_session *out);

/* Forget the session with this id (after a fatal alert, RFC 5246 7.2.2). */
void mt_cache_remove(mt_cache *c, const uint8_t *sid, size_t sid_len);

/* Number of live entries (for tests and stats). */
size_t mt_cache_count(const mt_cache *c);

#endif
