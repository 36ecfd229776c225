/* pair.h -- two engines wired together in memory, for the engine tests (test_engine,
 * test_engine13, test_engine13b, test_tickets_engine, test_engine_slim): a server identity, the
 * pump that moves bytes between two mt_conn, a client/server pair and an echo through it. */
#ifndef MT_TEST_PAIR_H
#define MT_TEST_PAIR_H

#include <stdlib.h>

#include "../engine.h"
#include "../err.h"
#include "../keys.h"
#include "fake_cert.h"
#include "t.h"

/* A key and a one-certificate chain around it (fake_cert). */
typedef struct ident {
    mt_key *key;
    mt_wr cert;
    uint8_t *der[1];
    size_t der_len[1];
    mt_chain chain;
} ident;

/* id's chain: a certificate around id->key. */
static inline void id_chain(ident *id)
{
    mt_wr_init_growable(&id->cert, 1 << 16);
    fake_cert(id->key, &id->cert);
    id->der[0] = id->cert.p;
    id->der_len[0] = id->cert.len;
    id->chain.der = id->der;
    id->chain.der_len = id->der_len;
    id->chain.n = 1;
    id->chain.key = id->key;
}

/* A fresh key of `type` (`bits` for RSA, else 0) and its chain; CHECKs that the key came. */
static inline void make_id(ident *id, mt_key_type type, unsigned bits)
{
    memset(id, 0, sizeof(*id));
    int rc = mt_key_generate(type, bits, &id->key);
    CHECK_EQ(rc, 0);
    if (rc == 0) {
        id_chain(id);
    }
}

static inline void free_id(ident *id)
{
    mt_key_free(id->key);
    mt_wr_free(&id->cert);
}

/* What pump does besides moving bytes; a test sets these once, before its cases (zero: the
 * failing side's alert delivered, no hooks). */
static struct pump_opts {
    int no_alert; /* leave the alert the failing side queued where it is */
    /* A replacement for the `*len` bytes `from` has to send (malloc'd, taken whole, *len set to
     * its length), or NULL to send them as they are. */
    uint8_t *(*edit)(const mt_conn *from, const uint8_t *p, size_t *len);
    /* Told of the bytes of `from` delivered as they were. */
    void (*seen)(const mt_conn *from, const uint8_t *p, size_t n);
} pump_opts;

/* Move every pending byte between a and b until neither moves (a decision stops a side); the
 * first error, after delivering the alert the failing side queued (unless pump_opts.no_alert). */
static inline int pump(mt_conn *a, mt_conn *b)
{
    for (int round = 0; round < 1000; round++) {
        int moved = 0;
        mt_conn *from[2] = {a, b}, *to[2] = {b, a};
        for (int i = 0; i < 2; i++) {
            size_t len, used;
            const uint8_t *p = mt_conn_out(from[i], &len);
            if (len == 0) {
                continue;
            }
            size_t elen = len;
            uint8_t *edited = pump_opts.edit ? pump_opts.edit(from[i], p, &elen) : NULL;
            int rc = mt_conn_feed(to[i], edited ? edited : p, edited ? elen : len, &used);
            if (!edited && pump_opts.seen) {
                pump_opts.seen(from[i], p, used);
            }
            mt_conn_out_done(from[i], edited ? len : used);
            free(edited);
            moved |= used > 0;
            if (rc < 0) {
                const uint8_t *q = mt_conn_out(to[i], &len);
                if (len && !pump_opts.no_alert) {
                    size_t u2;
                    int ignored = mt_conn_feed(from[i], q, len, &u2);
                    (void)ignored; /* the receiver fails with the alert; rc already says why */
                }
                return rc;
            }
        }
        if (!moved) {
            return 0;
        }
    }
    return -MT_E_INTERNAL;
}

typedef struct pair {
    mt_config ccfg, scfg;
    mt_conn *c, *s;
} pair;

/* Configs with the defaults (1.3 preferred) and the server's chain; nothing runs yet. */
static inline void setup(pair *p, ident *id)
{
    mt_config_defaults(&p->ccfg);
    mt_config_defaults(&p->scfg);
    p->scfg.chains[0] = &id->chain;
    p->scfg.nchains = 1;
    p->c = p->s = NULL;
}

/* Both engines: the client to server name `sni`, offering session `resume` when given. */
static inline int start_to(pair *p, const mt_session *resume, const char *sni)
{
    int rc = mt_conn_new(&p->ccfg, 0, sni, &p->c);
    if (rc == 0 && resume) {
        rc = mt_conn_resume(p->c, resume);
    }
    if (rc == 0) {
        rc = mt_conn_new(&p->scfg, 1, NULL, &p->s);
    }
    return rc;
}

static inline int start(pair *p)
{
    return start_to(p, NULL, "example.com");
}

/* A handshake (start_to, then pump); 0 or the first error. */
static inline int run_to(pair *p, const mt_session *resume, const char *sni)
{
    int rc = start_to(p, resume, sni);
    return rc ? rc : pump(p->c, p->s);
}

static inline int run(pair *p)
{
    return run_to(p, NULL, "example.com");
}

static inline void free_pair(pair *p)
{
    mt_conn_free(p->c);
    mt_conn_free(p->s);
    p->c = p->s = NULL;
}

/* Send len bytes from a to b through the engines, read them back, compare. */
static inline int echo(mt_conn *a, mt_conn *b, size_t len)
{
    uint8_t *data = malloc(len + 1), *got = malloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        data[i] = (uint8_t)(i * 31 + 7);
    }
    size_t sent = 0, recvd = 0;
    int rc = 0;
    while (rc == 0 && recvd < len) {
        size_t n = 0;
        if (sent < len) {
            rc = mt_conn_write(a, data + sent, len - sent, &n);
            if (rc == -MT_E_WANT_WRITE) {
                rc = 0;
            }
            sent += n;
        }
        if (rc == 0) {
            rc = pump(a, b);
        }
        while (rc == 0) {
            size_t k;
            int r = mt_conn_read(b, got + recvd, len - recvd, &k);
            if (r == -MT_E_WANT_READ) {
                break;
            }
            rc = r;
            recvd += k;
            if (rc == 0) {
                rc = pump(a, b); /* taking plaintext frees room for the next record */
            }
        }
    }
    if (rc == 0 && (recvd != len || memcmp(data, got, len) != 0)) {
        rc = -MT_E_INTERNAL;
    }
    free(data);
    free(got);
    return rc;
}

#endif
