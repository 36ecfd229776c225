/*
 * libFuzzer target: a server engine given a ClientHello body (the input, after one control
 * byte), wrapped in a handshake header and split across records; decisions are answered
 * (select: switch to a second configuration; session: offer nothing; verify: accept), and
 * whatever the server sends is discarded. Then the rest of the input is fed as raw record
 * bytes. Any crash, leak or sanitizer report is a bug: bad input must end in an error.
 *   make fuzz FUZZ_SECONDS=60
 */
#include <stdlib.h>
#include <string.h>

#include "../../csrc/engine.h"
#include "../../csrc/err.h"
#include "../../csrc/keys.h"

static mt_config cfg_a, cfg_b;
static mt_chain chain;
static uint8_t *der[1];
static size_t der_len[1];

static void setup(void)
{
    static uint8_t fake[] = {0x30, 0x03, 0x02, 0x01, 0x01}; /* never parsed by the server */
    mt_key *key;
    if (mt_key_generate(MT_KEY_EC_P256, 0, &key) < 0) {
        abort();
    }
    der[0] = fake;
    der_len[0] = sizeof(fake);
    chain.der = der;
    chain.der_len = der_len;
    chain.n = 1;
    chain.key = key;
    mt_config_defaults(&cfg_a);
    mt_config_defaults(&cfg_b);
    cfg_a.chains[0] = cfg_b.chains[0] = &chain;
    cfg_a.nchains = cfg_b.nchains = 1;
    static const uint8_t alpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    memcpy(cfg_b.alpn, alpn, sizeof(alpn));
    cfg_b.alpn_len = sizeof(alpn);
    cfg_b.client_auth = MT_CLIENT_AUTH_OPTIONAL;
}

static void drain(mt_conn *c)
{
    size_t len;
    while (mt_conn_out(c, &len)) {
        mt_conn_out_done(c, len);
    }
    while (mt_conn_decision(c)) {
        int d = mt_conn_decision(c);
        if (d == MT_DECIDE_SELECT && mt_conn_set_config(c, &cfg_b) < 0) {
            abort();
        }
        if (mt_conn_decide(c, 0) < 0) {
            break;
        }
        while (mt_conn_out(c, &len)) {
            mt_conn_out_done(c, len);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (size < 3) {
        return 0;
    }
    uint8_t ctl = data[0];
    size_t hello_len = ((size_t)data[1] << 8 | data[2]) % (size - 2);
    data += 3;
    size -= 3;
    cfg_a.decide_select = ctl & 1;
    cfg_a.decide_session = (ctl >> 1) & 1;
    cfg_b.decide_session = (ctl >> 2) & 1;
    size_t frag = 1 + ((ctl >> 3) & 0x1f) * 64; /* record size for the hello */
    mt_conn *c;
    if (mt_conn_new(&cfg_a, 1, NULL, &c) < 0) {
        return 0;
    }
    /* handshake header + body, in records of `frag` bytes */
    size_t msg_len = 4 + hello_len;
    uint8_t *msg = malloc(msg_len);
    msg[0] = 1;
    msg[1] = (uint8_t)(hello_len >> 16);
    msg[2] = (uint8_t)(hello_len >> 8);
    msg[3] = (uint8_t)hello_len;
    memcpy(msg + 4, data, hello_len);
    for (size_t off = 0; off < msg_len && !(mt_conn_status(c) & MT_ST_CLOSED);) {
        size_t n = msg_len - off < frag ? msg_len - off : frag;
        uint8_t rec[5 + 2048];
        rec[0] = 22;
        rec[1] = 3;
        rec[2] = 3;
        rec[3] = (uint8_t)(n >> 8);
        rec[4] = (uint8_t)n;
        memcpy(rec + 5, msg + off, n);
        size_t used;
        int rc = mt_conn_feed(c, rec, 5 + n, &used);
        drain(c);
        if (rc < 0) {
            break;
        }
        off += n;
    }
    free(msg);
    /* the rest: raw record bytes */
    const uint8_t *rest = data + hello_len;
    size_t left = size - hello_len;
    while (left > 0 && !(mt_conn_status(c) & MT_ST_CLOSED)) {
        size_t used = 0;
        int rc = mt_conn_feed(c, rest, left, &used);
        drain(c);
        uint8_t buf[512];
        size_t n;
        while (mt_conn_read(c, buf, sizeof(buf), &n) == 0 && n > 0) {
        }
        if (rc < 0 || used == 0) {
            break;
        }
        rest += used;
        left -= used;
    }
    mt_conn_free(c);
    return 0;
}
