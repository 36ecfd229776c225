/*
 * ticket.h -- stateless session tickets (RFC 5077 for TLS 1.2, NewSessionTicket in 1.3):
 * the session sealed with AES-256-GCM under a key picked by a 16-byte key name.
 * Ticket = key_name[16] | nonce[12] | ciphertext | tag[16], with the key name as additional
 * data; the plaintext is u32 age_add | u32 lifetime | the session body (session_codec.h).
 * The tag is compared in constant time; every buffer that held plaintext is wiped.
 *
 * Keys rotate: the current key seals; after `period` seconds it becomes the previous key
 * (still opening tickets for one more period) and a fresh key seals; the one before is
 * wiped. Keys the application sets (several servers sharing them) do not rotate by
 * themselves: the first seals, all open.
 */
#ifndef MT_TICKET_H
#define MT_TICKET_H

#include "buf.h"
#include "session.h"

#define MT_TICKET_NAME_LEN 16
#define MT_TICKET_KEY_LEN 32
#define MT_TICKET_MAX_KEYS 4
#define MT_TICKET_PERIOD_DEFAULT (12 * 3600)
/* name + nonce + tag around the plaintext; its age_add, lifetime and max_early_data before
 * the body */
#define MT_TICKET_OVERHEAD (16 + 12 + 16)
#define MT_TICKET_PREFIX 12

typedef struct mt_ticket_key {
    uint8_t name[MT_TICKET_NAME_LEN];
    uint8_t key[MT_TICKET_KEY_LEN];
    int64_t created;
} mt_ticket_key;

typedef struct mt_tickets {
    mt_ticket_key keys[MT_TICKET_MAX_KEYS]; /* [0] seals; all open */
    size_t n;
    uint32_t period; /* seconds between rotations; 0 for application keys (no rotation) */
} mt_tickets;

/* Random keys rotating every `period` seconds (0: MT_TICKET_PERIOD_DEFAULT).
 * Errors: -MT_E_RANDOM. */
MT_WUR int mt_tickets_init(mt_tickets *t, uint32_t period, int64_t now);

/* The application's keys: n entries of name[16] | key[32], the first sealing. They replace
 * (and wipe) the current ones and stop rotation. Errors: -MT_E_INVALID_ARG (n of 0 or over
 * MT_TICKET_MAX_KEYS, or two keys with one name). */
MT_WUR int mt_tickets_set(mt_tickets *t, const uint8_t *keys, size_t n, int64_t now);

/* Rotate if the period is over (a no-op for application keys). Errors: -MT_E_RANDOM. */
MT_WUR int mt_tickets_rotate(mt_tickets *t, int64_t now);

/* Seal s into a ticket appended to out (rotating first when due). Errors: as rotate,
 * -MT_E_INVALID_ARG (an empty session), from out. */
MT_WUR int mt_ticket_seal(mt_tickets *t, const mt_session *s, int64_t now, mt_wr *out);

/* Open a ticket into *s (rotating first when due). Errors: -MT_E_SESSION_DAMAGED for any
 * ticket that does not open (unknown or expired key name, bad tag, bad length, malformed
 * body): the caller falls back to a full handshake. *s is wiped on error. */
MT_WUR int mt_ticket_open(mt_tickets *t, const uint8_t *p, size_t len, int64_t now, mt_session *s);

/* Wipe every key. */
void mt_tickets_wipe(mt_tickets *t);

#endif
