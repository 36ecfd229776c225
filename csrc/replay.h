/*
 * replay.h -- the server's anti-replay register for TLS 1.3 0-RTT (RFC 8446 8.1, 8.2).
 *
 * Early data is accepted only from a ClientHello whose ticket age is within the window (RFC
 * 8446 8.3) and whose PSK binder was not seen within it (8.2, "ClientHello recording"): the
 * binder is unique per ClientHello, so a replayed ClientHello repeats it. The register keeps at
 * most `size` binders, each for `window` seconds; when it is full of live entries a new
 * ClientHello is refused early data (the handshake itself goes on at 1-RTT), never forgotten.
 * One register serves every connection of a config (the application owns it; one process:
 * several processes behind one address need a shared register, or 0-RTT off).
 */
#ifndef MT_REPLAY_H
#define MT_REPLAY_H

#include "mt.h"

typedef struct mt_replay mt_replay;

#define MT_REPLAY_KEY 32 /* bytes of the binder kept */

/* A register of `size` entries (1..1,000,000) for a window of `window` seconds (1..3600).
 * Errors: -MT_E_NOMEM, -MT_E_INVALID_ARG. */
MT_WUR int mt_replay_new(size_t size, uint32_t window, mt_replay **out);

/* Free (NULL is fine). */
void mt_replay_free(mt_replay *r);

/* The window in seconds. */
uint32_t mt_replay_window(const mt_replay *r);

/* Record `key` (len >= MT_REPLAY_KEY: its first MT_REPLAY_KEY bytes count) seen at `now`:
 * 1 when it was not seen within the window (now recorded), 0 when it was (a replay) or when no
 * entry is free. */
int mt_replay_check(mt_replay *r, const uint8_t *key, size_t len, int64_t now);

#endif
