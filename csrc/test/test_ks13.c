/* Unit tests for ks13.c: the TLS 1.3 key schedule against the RFC 8448 traces (sections 3 to
 * 7: secrets, keys, Finished, binder, resumption PSK, and every protected record sealed and
 * opened through record.c), against an independent HKDF built on nettle's hkdf/hmac for
 * SHA-256 and SHA-384, and its misuse errors. */
#include <nettle/hkdf.h>
#include <nettle/hmac.h>
#include <stdint.h>
#include <stdlib.h>

#include "../buf.h"
#include "../ct.h"
#include "../err.h"
#include "../kex.h"
#include "../ks13.h"
#include "../record.h"
#include "../suites.h"
#include "rfc8448_vectors.h"
#include "t.h"

#define NVALUES (sizeof(rfc8448_values) / sizeof(rfc8448_values[0]))

static int n_checked; /* RFC 8448 values compared, over all cases */
static char used[NVALUES];

typedef struct blob {
    uint8_t b[1024];
    size_t n;
} blob;

/* The RFC 8448 value, or NULL (and, when `must`, a failed case). */
static const rfc8448_value *find(int sec, const char *actor, const char *step, const char *field,
                                 int occ, int must)
{
    for (size_t i = 0; i < NVALUES; i++) {
        const rfc8448_value *v = &rfc8448_values[i];
        if (v->section == sec && strcmp(v->actor, actor) == 0 && strcmp(v->step, step) == 0 &&
            strcmp(v->field, field) == 0 && v->occurrence == occ) {
            used[i] = 1;
            return v;
        }
    }
    if (must) {
        printf("# RFC 8448 %d {%s} %s / %s #%d: no such value\n", sec, actor, step, field, occ);
        t_case_failed = 1;
    }
    return NULL;
}

static void unhex(const rfc8448_value *v, blob *out)
{
    out->n = 0;
    for (size_t i = 0; v != NULL && i < v->len && i < sizeof(out->b); i++) {
        unsigned x;
        sscanf(v->hex + 2 * i, "%2x", &x);
        out->b[out->n++] = (uint8_t)x;
    }
}

static void get(blob *out, int sec, const char *actor, const char *step, const char *field, int occ)
{
    unhex(find(sec, actor, step, field, occ, 1), out);
}

/* Compare got with an RFC 8448 value (which must exist). */
#define KAT(got, n, sec, actor, step, field, occ)                                                  \
    kat(__LINE__, got, n, sec, actor, step, field, occ, 1)

static int kat(int line, const uint8_t *got, size_t n, int sec, const char *actor, const char *step,
               const char *field, int occ, int must)
{
    const rfc8448_value *v = find(sec, actor, step, field, occ, must);
    if (v == NULL) {
        return 0;
    }
    blob want;
    unhex(v, &want);
    n_checked++;
    if (want.n != n || memcmp(want.b, got, n) != 0) {
        printf("# line %d: RFC 8448 %d {%s} %s / %s #%d differs\n", line, sec, actor, step, field,
               occ);
        t_case_failed = 1;
    }
    return 1;
}

/* ---- the traces, as data ---- */

#define CH "construct a ClientHello handshake message"
#define SH "construct a ServerHello handshake message"
#define EE "construct an EncryptedExtensions handshake message"
#define CR "construct a CertificateRequest handshake message"
#define CERT "construct a Certificate handshake message"
#define CV "construct a CertificateVerify handshake message"
#define FIN "construct a Finished handshake message"
#define EOED "construct an EndOfEarlyData handshake message"
#define HS_REC "send handshake record"
#define AD_REC "send application_data record"
#define AL_REC "send alert record"
#define X25519_KP "create an ephemeral x25519 key pair"
#define P256_KP "create an ephemeral P-256 key pair"

typedef struct msgref {
    const char *actor, *step, *field;
    int occ;
} msgref;

/* Which record protection a record is under. */
enum { P_CE, P_SHS, P_CHS, P_SAP, P_CAP, NPROT };

typedef struct recref {
    const char *actor, *step;
    int occ;
    int prot;
    uint8_t type; /* inner content type */
} recref;

typedef struct flow {
    int sec;
    uint16_t group;
    const char *kp; /* the key pair step whose shares make the (EC)DHE secret */
    int psk;        /* 1: resumption with the PSK of section 3's ticket, 0-RTT */
    int hrr;        /* 1: msgs[0] is ClientHello1, msgs[1] the HelloRetryRequest */
    msgref msgs[12];
    int sh, s_fin, c_fin; /* transcript lengths (messages) through ServerHello and Finisheds */
    recref recs[10];
} flow;

static const flow s3 = {
    3,
    MT_GROUP_X25519,
    X25519_KP,
    0,
    0,
    {{"client", CH, "ClientHello", 1},
     {"server", SH, "ServerHello", 1},
     {"server", EE, "EncryptedExtensions", 1},
     {"server", CERT, "Certificate", 1},
     {"server", CV, "CertificateVerify", 1},
     {"server", FIN, "Finished", 1},
     {"client", FIN, "Finished", 1}},
    2,
    6,
    7,
    {{"server", HS_REC, 2, P_SHS, MT_CT_HANDSHAKE},
     {"client", HS_REC, 2, P_CHS, MT_CT_HANDSHAKE},
     {"server", HS_REC, 3, P_SAP, MT_CT_HANDSHAKE}, /* NewSessionTicket */
     {"client", AD_REC, 1, P_CAP, MT_CT_APPLICATION_DATA},
     {"server", AD_REC, 1, P_SAP, MT_CT_APPLICATION_DATA},
     {"client", AL_REC, 1, P_CAP, MT_CT_ALERT},
     {"server", AL_REC, 1, P_SAP, MT_CT_ALERT}},
};

/* RFC 8448 4: the "ClientHello (477 octets)" there is the truncated one the binder covers; the
 * whole ClientHello is the record's payload. */
static const flow s4 = {
    4,
    MT_GROUP_X25519,
    X25519_KP,
    1,
    0,
    {{"client", HS_REC, "payload", 1},
     {"server", SH, "ServerHello", 1},
     {"server", EE, "EncryptedExtensions", 1},
     {"server", FIN, "Finished", 1},
     {"client", EOED, "EndOfEarlyData", 1},
     {"client", FIN, "Finished", 1}},
    2,
    4,
    6,
    {{"client", AD_REC, 1, P_CE, MT_CT_APPLICATION_DATA},
     {"server", HS_REC, 2, P_SHS, MT_CT_HANDSHAKE},
     {"client", HS_REC, 2, P_CE, MT_CT_HANDSHAKE}, /* EndOfEarlyData */
     {"client", HS_REC, 3, P_CHS, MT_CT_HANDSHAKE},
     {"client", AD_REC, 2, P_CAP, MT_CT_APPLICATION_DATA},
     {"server", AD_REC, 1, P_SAP, MT_CT_APPLICATION_DATA},
     {"client", AL_REC, 1, P_CAP, MT_CT_ALERT},
     {"server", AL_REC, 1, P_SAP, MT_CT_ALERT}},
};

/* RFC 8448 5: the HelloRetryRequest is labelled ServerHello. */
static const flow s5 = {
    5,
    MT_GROUP_SECP256R1,
    P256_KP,
    0,
    1,
    {{"client", CH, "ClientHello", 1},
     {"server", SH, "ServerHello", 1},
     {"client", CH, "ClientHello", 2},
     {"server", SH, "ServerHello", 2},
     {"server", EE, "EncryptedExtensions", 1},
     {"server", CERT, "Certificate", 1},
     {"server", CV, "CertificateVerify", 1},
     {"server", FIN, "Finished", 1},
     {"client", FIN, "Finished", 1}},
    4,
    8,
    9,
    {{"server", HS_REC, 3, P_SHS, MT_CT_HANDSHAKE},
     {"client", HS_REC, 3, P_CHS, MT_CT_HANDSHAKE},
     {"client", AL_REC, 1, P_CAP, MT_CT_ALERT},
     {"server", AL_REC, 1, P_SAP, MT_CT_ALERT}},
};

static const flow s6 = {
    6,
    MT_GROUP_X25519,
    X25519_KP,
    0,
    0,
    {{"client", CH, "ClientHello", 1},
     {"server", SH, "ServerHello", 1},
     {"server", EE, "EncryptedExtensions", 1},
     {"server", CR, "CertificateRequest", 1},
     {"server", CERT, "Certificate", 1},
     {"server", CV, "CertificateVerify", 1},
     {"server", FIN, "Finished", 1},
     {"client", CERT, "Certificate", 1},
     {"client", CV, "CertificateVerify", 1},
     {"client", FIN, "Finished", 1}},
    2,
    7,
    10,
    {{"server", HS_REC, 2, P_SHS, MT_CT_HANDSHAKE},
     {"client", HS_REC, 2, P_CHS, MT_CT_HANDSHAKE},
     {"client", AL_REC, 1, P_CAP, MT_CT_ALERT},
     {"server", AL_REC, 1, P_SAP, MT_CT_ALERT}},
};

/* RFC 8448 7: ChangeCipherSpec records are outside the transcript and unprotected. */
static const flow s7 = {
    7,
    MT_GROUP_X25519,
    X25519_KP,
    0,
    0,
    {{"client", CH, "ClientHello", 1},
     {"server", SH, "ServerHello", 1},
     {"server", EE, "EncryptedExtensions", 1},
     {"server", CERT, "Certificate", 1},
     {"server", CV, "CertificateVerify", 1},
     {"server", FIN, "Finished", 1},
     {"client", FIN, "Finished", 1}},
    2,
    6,
    7,
    {{"server", HS_REC, 2, P_SHS, MT_CT_HANDSHAKE},
     {"client", HS_REC, 2, P_CHS, MT_CT_HANDSHAKE},
     {"client", AL_REC, 1, P_CAP, MT_CT_ALERT},
     {"server", AL_REC, 1, P_SAP, MT_CT_ALERT}},
};

/* ---- running one trace ---- */

typedef struct run {
    const flow *f;
    uint8_t th[13][32]; /* th[k]: transcript hash over the first k messages */
    uint8_t sec[NPROT][32];
    uint8_t exp[32], res[32];
    mt_ks13 ks;
} run;

/* Every ephemeral key pair of the section: the public value from the private key. */
static void check_key_pairs(int sec)
{
    for (size_t i = 0; i < NVALUES; i++) {
        const rfc8448_value *v = &rfc8448_values[i];
        if (v->section != sec || strcmp(v->field, "private key") != 0) {
            continue;
        }
        used[i] = 1;
        uint16_t group = strstr(v->step, "P-256") ? MT_GROUP_SECP256R1 : MT_GROUP_X25519;
        blob priv;
        unhex(v, &priv);
        mt_kex_share s;
        CHECK_EQ(mt_kex_set_private(&s, group, priv.b, priv.n), 0);
        KAT(s.pub, s.pub_len, sec, v->actor, v->step, "public key", v->occurrence);
        mt_kex_wipe(&s);
    }
}

/* Both sides' (EC)DHE secret from the RFC's private keys: the Handshake Secret's IKM. */
static void shared_secret(const flow *f, uint8_t *dhe, size_t *dhe_len)
{
    mt_kex_share c, s;
    blob cpriv, spriv;
    uint8_t other[MT_KEX_MAX_SECRET];
    size_t other_len = 0;
    get(&cpriv, f->sec, "client", f->kp, "private key", 1);
    get(&spriv, f->sec, "server", f->kp, "private key", 1);
    CHECK_EQ(mt_kex_set_private(&c, f->group, cpriv.b, cpriv.n), 0);
    CHECK_EQ(mt_kex_set_private(&s, f->group, spriv.b, spriv.n), 0);
    CHECK_EQ(mt_kex_derive(&c, s.pub, s.pub_len, dhe, dhe_len), 0);
    CHECK_EQ(mt_kex_derive(&s, c.pub, c.pub_len, other, &other_len), 0);
    CHECK(*dhe_len == other_len && memcmp(dhe, other, other_len) == 0);
    KAT(dhe, *dhe_len, f->sec, "server", "extract secret \"handshake\"", "IKM", 1);
    mt_kex_wipe(&c);
    mt_kex_wipe(&s);
}

/* th[k] for every prefix of the message list, through mt_ks13_th (message_hash after an HRR). */
static void transcript(run *r)
{
    mt_ks13_th t;
    CHECK_EQ(mt_ks13_th_init(&t, &nettle_sha256), 0);
    mt_ks13_th_current(&t, r->th[0]);
    for (int k = 0; r->f->msgs[k].actor != NULL; k++) {
        const msgref *m = &r->f->msgs[k];
        blob msg;
        get(&msg, r->f->sec, m->actor, m->step, m->field, m->occ);
        if (r->f->hrr && k == 1) {
            mt_ks13_th_hrr(&t);
        }
        mt_ks13_th_update(&t, msg.b, msg.n);
        mt_ks13_th_current(&t, r->th[k + 1]);
    }
    mt_ks13_th_wipe(&t);
}

/* A Derive-Secret result and the transcript hash it used, wherever the trace lists them. */
static void check_derived(const run *r, const char *label, const uint8_t *secret, const uint8_t *th)
{
    char step[64];
    snprintf(step, sizeof(step), "derive secret \"tls13 %s\"", label);
    int found = 0;
    for (int a = 0; a < 2; a++) {
        const char *actor = a ? "server" : "client";
        found += kat(__LINE__, secret, 32, r->f->sec, actor, step, "expanded", 1, 0);
        found += kat(__LINE__, th, 32, r->f->sec, actor, step, "hash", 1, 0);
    }
    CHECK(found >= 2);
}

/* 0-RTT (RFC 8448 4): Early Secret from section 3's ticket PSK, the binder, early secrets. */
static void early_psk(run *r)
{
    const int sec = r->f->sec;
    blob psk, ch;
    get(&psk, 3, "server", "generate resumption secret \"tls13 resumption\"", "expanded", 1);
    KAT(psk.b, psk.n, sec, "client", "extract secret \"early\"", "IKM", 1);
    CHECK_EQ(mt_ks13_early(&r->ks, psk.b, psk.n), 0);
    KAT(r->ks.secret, 32, sec, "client", "extract secret \"early\"", "secret", 1);

    /* RFC 8446 4.2.11.2: the binder covers the ClientHello up to the binders list (2-byte list
     * length, 1-byte binder length, 32-byte binder), and ends the ClientHello. */
    get(&ch, sec, "client", HS_REC, "payload", 1);
    size_t trunc = ch.n - 35;
    KAT(ch.b, trunc, sec, "client", CH, "ClientHello", 1);
    KAT(ch.b, trunc, sec, "client", "calculate PSK binder", "ClientHello prefix", 1);
    mt_ks13_th t;
    uint8_t bh[32], bk[32], fk[32], binder[32];
    CHECK_EQ(mt_ks13_th_init(&t, &nettle_sha256), 0);
    mt_ks13_th_peek(&t, ch.b, trunc, bh);
    KAT(bh, 32, sec, "client", "calculate PSK binder", "binder hash", 1);
    CHECK_EQ(mt_ks13_binder_key(&r->ks, 1, bk), 0);
    KAT(bk, 32, sec, "client", "calculate PSK binder", "PRK", 1);
    CHECK_EQ(mt_ks13_finished_key(&nettle_sha256, bk, 32, fk), 0);
    KAT(fk, 32, sec, "client", "calculate PSK binder", "expanded", 1);
    CHECK_EQ(mt_ks13_finished(&nettle_sha256, bk, 32, bh, 32, binder), 0);
    KAT(binder, 32, sec, "client", "calculate PSK binder", "finished", 1);
    CHECK(memcmp(ch.b + ch.n - 32, binder, 32) == 0);
    CHECK_EQ(mt_ks13_finished_check(&nettle_sha256, bk, 32, bh, 32, ch.b + ch.n - 32, 32), 0);
    /* the same PSK as an external one gives another binder key */
    uint8_t ext[32];
    CHECK_EQ(mt_ks13_binder_key(&r->ks, 0, ext), 0);
    CHECK(memcmp(ext, bk, 32) != 0);
    mt_ks13_th_wipe(&t);

    uint8_t eem[32];
    CHECK_EQ(mt_ks13_derive(&r->ks, MT_KS13_C_E_TRAFFIC, r->th[1], 32, r->sec[P_CE]), 0);
    check_derived(r, "c e traffic", r->sec[P_CE], r->th[1]);
    CHECK_EQ(mt_ks13_derive(&r->ks, MT_KS13_E_EXP_MASTER, r->th[1], 32, eem), 0);
    check_derived(r, "e exp master", eem, r->th[1]);
}

/* "tls13 derived" salt of the next stage, from a checked stage secret. */
static void check_derived_salt(const run *r, const char *which)
{
    uint8_t eh[32], salt[32];
    mt_ks13_th t;
    CHECK_EQ(mt_ks13_th_init(&t, &nettle_sha256), 0);
    mt_ks13_th_current(&t, eh);
    CHECK_EQ(mt_hkdf_expand_label(&nettle_sha256, r->ks.secret, "derived", eh, 32, salt, 32), 0);
    char step[64];
    snprintf(step, sizeof(step), "derive secret for %s \"tls13 derived\"", which);
    KAT(salt, 32, r->f->sec, "server", step, "expanded", 1);
    KAT(eh, 32, r->f->sec, "server", step, "hash", 1);
    kat(__LINE__, salt, 32, r->f->sec, "client", step, "expanded", 1, 0);
    kat(__LINE__, eh, 32, r->f->sec, "client", step, "hash", 1, 0);
    snprintf(step, sizeof(step), "extract secret \"%s\"", which);
    KAT(salt, 32, r->f->sec, "server", step, "salt", 1);
}

static void handshake_stage(run *r)
{
    const flow *f = r->f;
    uint8_t dhe[MT_KEX_MAX_SECRET];
    size_t dhe_len = 0;
    shared_secret(f, dhe, &dhe_len);
    check_derived_salt(r, "handshake");
    CHECK_EQ(mt_ks13_handshake(&r->ks, dhe, dhe_len), 0);
    KAT(r->ks.secret, 32, f->sec, "server", "extract secret \"handshake\"", "secret", 1);
    CHECK_EQ(mt_ks13_derive(&r->ks, MT_KS13_C_HS_TRAFFIC, r->th[f->sh], 32, r->sec[P_CHS]), 0);
    CHECK_EQ(mt_ks13_derive(&r->ks, MT_KS13_S_HS_TRAFFIC, r->th[f->sh], 32, r->sec[P_SHS]), 0);
    check_derived(r, "c hs traffic", r->sec[P_CHS], r->th[f->sh]);
    check_derived(r, "s hs traffic", r->sec[P_SHS], r->th[f->sh]);
    check_derived_salt(r, "master");
    static const uint8_t zeros[32] = {0};
    KAT(zeros, 32, f->sec, "server", "extract secret \"master\"", "IKM", 1);
    CHECK_EQ(mt_ks13_master(&r->ks), 0);
    KAT(r->ks.secret, 32, f->sec, "server", "extract secret \"master\"", "secret", 1);
    CHECK_EQ(mt_ks13_derive(&r->ks, MT_KS13_C_AP_TRAFFIC, r->th[f->s_fin], 32, r->sec[P_CAP]), 0);
    CHECK_EQ(mt_ks13_derive(&r->ks, MT_KS13_S_AP_TRAFFIC, r->th[f->s_fin], 32, r->sec[P_SAP]), 0);
    CHECK_EQ(mt_ks13_derive(&r->ks, MT_KS13_EXP_MASTER, r->th[f->s_fin], 32, r->exp), 0);
    CHECK_EQ(mt_ks13_derive(&r->ks, MT_KS13_RES_MASTER, r->th[f->c_fin], 32, r->res), 0);
    check_derived(r, "c ap traffic", r->sec[P_CAP], r->th[f->s_fin]);
    check_derived(r, "s ap traffic", r->sec[P_SAP], r->th[f->s_fin]);
    check_derived(r, "exp master", r->exp, r->th[f->s_fin]);
    check_derived(r, "res master", r->res, r->th[f->c_fin]);
    mt_wipe(dhe, sizeof(dhe));
}

/* Finished (RFC 8446 4.4.4) of one side: finished_key, verify_data over the transcript before
 * it, the Finished message, and the check (which fails on any change). */
static void check_finished(const run *r, const char *actor, const uint8_t *base, int before)
{
    const int sec = r->f->sec;
    const char *step = "calculate finished \"tls13 finished\"";
    uint8_t fk[32], vd[32];
    KAT(base, 32, sec, actor, step, "PRK", 1);
    CHECK_EQ(mt_ks13_finished_key(&nettle_sha256, base, 32, fk), 0);
    KAT(fk, 32, sec, actor, step, "expanded", 1);
    CHECK_EQ(mt_ks13_finished(&nettle_sha256, base, 32, r->th[before], 32, vd), 0);
    KAT(vd, 32, sec, actor, step, "finished", 1);
    uint8_t msg[36] = {20, 0, 0, 32};
    memcpy(msg + 4, vd, 32);
    KAT(msg, 36, sec, actor, FIN, "Finished", 1);
    CHECK_EQ(mt_ks13_finished_check(&nettle_sha256, base, 32, r->th[before], 32, vd, 32), 0);
    for (size_t i = 0; i < 32; i++) {
        vd[i] ^= 0x80;
        CHECK_EQ(mt_ks13_finished_check(&nettle_sha256, base, 32, r->th[before], 32, vd, 32),
                 -MT_E_DECRYPT_ERROR);
        vd[i] ^= 0x80;
    }
    CHECK_EQ(mt_ks13_finished_check(&nettle_sha256, base, 32, r->th[before], 32, vd, 31),
             -MT_E_DECRYPT_ERROR);
    CHECK_EQ(mt_ks13_finished_check(&nettle_sha256, base, 32, r->th[before + 1], 32, vd, 32),
             -MT_E_DECRYPT_ERROR);
}

/* Every "derive ... traffic keys" step the trace lists: key and IV from the traffic secret. */
static void check_traffic_keys(const run *r)
{
    static const struct {
        const char *actor, *step;
        int prot;
    } steps[] = {
        {"client", "derive write traffic keys for early application data", P_CE},
        {"server", "derive write traffic keys for handshake data", P_SHS},
        {"server", "derive read traffic keys for handshake data", P_CHS},
        {"client", "derive write traffic keys for handshake data", P_CHS},
        {"server", "derive write traffic keys for application data", P_SAP},
        {"client", "derive write traffic keys for application data", P_CAP},
    };
    int found = 0;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (find(r->f->sec, steps[i].actor, steps[i].step, "PRK", 1, 0) == NULL) {
            continue;
        }
        const uint8_t *secret = r->sec[steps[i].prot];
        uint8_t key[MT_AEAD_MAX_KEY], iv[MT_AEAD_NONCE_LEN];
        KAT(secret, 32, r->f->sec, steps[i].actor, steps[i].step, "PRK", 1);
        CHECK_EQ(mt_ks13_traffic_keys(&nettle_sha256, secret, 32, &mt_aead_aes128_gcm, key, iv), 0);
        KAT(key, 16, r->f->sec, steps[i].actor, steps[i].step, "key expanded", 1);
        KAT(iv, 12, r->f->sec, steps[i].actor, steps[i].step, "iv expanded", 1);
        found++;
    }
    CHECK(found >= 4);
}

/* Each protected record: sealing its payload gives the RFC's record, opening the RFC's record
 * gives the payload and inner type. Sequence numbers follow the list order. */
static void check_records(const run *r)
{
    mt_rec_prot seal[NPROT], open[NPROT];
    memset(seal, 0, sizeof(seal));
    memset(open, 0, sizeof(open));
    for (int p = 0; p < NPROT; p++) {
        if (p == P_CE && !r->f->psk) {
            continue;
        }
        CHECK_EQ(mt_ks13_set_prot(&seal[p], &nettle_sha256, r->sec[p], 32, &mt_aead_aes128_gcm), 0);
        CHECK_EQ(mt_ks13_set_prot(&open[p], &nettle_sha256, r->sec[p], 32, &mt_aead_aes128_gcm), 0);
    }
    for (const recref *rr = r->f->recs; rr->actor != NULL; rr++) {
        blob payload, rec;
        get(&payload, r->f->sec, rr->actor, rr->step, "payload", rr->occ);
        get(&rec, r->f->sec, rr->actor, rr->step, "complete record", rr->occ);
        uint8_t out[1100];
        mt_wr w;
        mt_wr_init_fixed(&w, out, sizeof(out));
        CHECK_EQ(mt_rec_seal(&seal[rr->prot], rr->type, 0x0303, payload.b, payload.n, &w), 0);
        KAT(out, w.len, r->f->sec, rr->actor, rr->step, "complete record", rr->occ);

        uint8_t type;
        uint16_t version;
        size_t len = 0, off = 0, n = 0;
        CHECK_EQ(mt_rec_header(rec.b, &open[rr->prot], &type, &version, &len), 0);
        CHECK_EQ(len, rec.n - MT_REC_HEADER);
        CHECK_EQ(mt_rec_open(&open[rr->prot], &type, version, rec.b + MT_REC_HEADER, len, &off, &n),
                 0);
        CHECK_EQ(type, rr->type);
        KAT(rec.b + MT_REC_HEADER + off, n, r->f->sec, rr->actor, rr->step, "payload", rr->occ);
    }
    for (int p = 0; p < NPROT; p++) {
        mt_rec_prot_clear(&seal[p]);
        mt_rec_prot_clear(&open[p]);
    }
}

/* The unprotected records of the section (ClientHello, ServerHello, ChangeCipherSpec): header
 * and payload, through mt_rec_seal without protection. */
static void check_plain_records(int sec)
{
    mt_rec_prot clear;
    memset(&clear, 0, sizeof(clear));
    int found = 0;
    for (size_t i = 0; i < NVALUES; i++) {
        const rfc8448_value *v = &rfc8448_values[i];
        if (v->section != sec || strcmp(v->field, "complete record") != 0 ||
            strncmp(v->hex, "17", 2) == 0) {
            continue;
        }
        blob rec, payload;
        unhex(v, &rec);
        get(&payload, sec, v->actor, v->step, "payload", v->occurrence);
        uint8_t out[600];
        mt_wr w;
        mt_wr_init_fixed(&w, out, sizeof(out));
        uint16_t version = (uint16_t)(rec.b[1] << 8 | rec.b[2]);
        CHECK_EQ(mt_rec_seal(&clear, rec.b[0], version, payload.b, payload.n, &w), 0);
        KAT(out, w.len, sec, v->actor, v->step, "complete record", v->occurrence);
        found++;
    }
    CHECK(found >= 2);
}

static void run_flow(const flow *f)
{
    run r;
    memset(&r, 0, sizeof(r));
    r.f = f;
    check_key_pairs(f->sec);
    transcript(&r);
    CHECK_EQ(mt_ks13_init(&r.ks, &nettle_sha256), 0);
    if (f->psk) {
        early_psk(&r);
    } else {
        /* RFC 8446 7.1: no PSK is HashLen zeros */
        static const uint8_t zeros[32] = {0};
        KAT(zeros, 32, f->sec, "server", "extract secret \"early\"", "IKM", 1);
        CHECK_EQ(mt_ks13_early(&r.ks, NULL, 0), 0);
        KAT(r.ks.secret, 32, f->sec, "server", "extract secret \"early\"", "secret", 1);
    }
    check_derived_salt(&r, "handshake");
    handshake_stage(&r);
    check_finished(&r, "server", r.sec[P_SHS], f->s_fin - 1);
    check_finished(&r, "client", r.sec[P_CHS], f->c_fin - 1);
    check_traffic_keys(&r);
    check_records(&r);
    check_plain_records(f->sec);
    if (f->sec == 3) {
        /* RFC 8446 4.6.1: the ticket's PSK from its nonce (the NewSessionTicket says 00 00). */
        /* NewSessionTicket: type(1) length(3) lifetime(4) age_add(4) nonce<0..255> ... */
        uint8_t psk[32];
        blob nst;
        get(&nst, 3, "server", "construct a NewSessionTicket handshake message", "NewSessionTicket",
            1);
        const uint8_t *nonce = nst.b + 13;
        size_t nonce_len = nst.b[12];
        const char *step = "generate resumption secret \"tls13 resumption\"";
        KAT(r.res, 32, 3, "server", step, "PRK", 1);
        KAT(nonce, nonce_len, 3, "server", step, "hash", 1);
        CHECK_EQ(mt_ks13_resumption_psk(&nettle_sha256, r.res, 32, nonce, nonce_len, psk), 0);
        KAT(psk, 32, 3, "server", step, "expanded", 1);
    }
    mt_ks13_wipe(&r.ks);
    CHECK(mt_ct_is_zero(&r.ks, sizeof(r.ks)));
}

static void rfc8448_simple_1rtt(void)
{
    run_flow(&s3);
}

static void rfc8448_resumed_0rtt(void)
{
    run_flow(&s4);
}

static void rfc8448_hello_retry_request(void)
{
    run_flow(&s5);
}

static void rfc8448_client_auth(void)
{
    run_flow(&s6);
}

static void rfc8448_compatibility_mode(void)
{
    run_flow(&s7);
}

/* Every HKDF-Expand-Label of the traces (derive secret, traffic keys, finished, resumption):
 * the RFC's "info" parsed back into length, label and context, given to mt_hkdf_expand_label
 * with the RFC's PRK, gives the RFC's "expanded". */
static void rfc8448_every_expand_label(void)
{
    int n = 0;
    for (size_t i = 0; i < NVALUES; i++) {
        const rfc8448_value *v = &rfc8448_values[i];
        size_t fl = strlen(v->field);
        if (fl < 4 || strcmp(v->field + fl - 4, "info") != 0) {
            continue;
        }
        char want_field[32];
        snprintf(want_field, sizeof(want_field), "%.*sexpanded", (int)(fl - 4), v->field);
        blob info, prk, want;
        unhex(find(v->section, v->actor, v->step, v->field, v->occurrence, 1), &info);
        get(&prk, v->section, v->actor, v->step, "PRK", v->occurrence);
        get(&want, v->section, v->actor, v->step, want_field, v->occurrence);
        /* HkdfLabel: uint16 length, opaque label<7..255>, opaque context<0..255> */
        mt_rd r, lab, ctx;
        uint16_t len = 0;
        mt_rd_init(&r, info.b, info.n);
        CHECK_EQ(mt_rd_u16(&r, &len), 0);
        CHECK_EQ(mt_rd_vec(&r, 1, 7, 255, &lab), 0);
        CHECK_EQ(mt_rd_vec8(&r, &ctx), 0);
        CHECK_EQ(mt_rd_end(&r), 0);
        CHECK(lab.len >= 6 && memcmp(lab.p, "tls13 ", 6) == 0 && len == want.n);
        char label[256];
        snprintf(label, sizeof(label), "%.*s", (int)(lab.len - 6), (const char *)lab.p + 6);
        uint8_t got[64];
        CHECK_EQ(mt_hkdf_expand_label(&nettle_sha256, prk.b, label, ctx.p, ctx.len, got, len), 0);
        KAT(got, len, v->section, v->actor, v->step, want_field, v->occurrence);
        n++;
    }
    CHECK_EQ(n, 101);
}

/* A changed byte, another outer type or version, or a truncated RFC record fails
 * authentication. */
static int open_changed(const blob *rec, const uint8_t *secret, size_t flip, uint8_t type,
                        uint16_t version, size_t cut)
{
    uint8_t frag[128];
    size_t len = rec->n - MT_REC_HEADER - cut, off, n;
    memcpy(frag, rec->b + MT_REC_HEADER, len);
    if (flip < len) {
        frag[flip] ^= 1;
    }
    mt_rec_prot p;
    memset(&p, 0, sizeof(p));
    CHECK_EQ(mt_ks13_set_prot(&p, &nettle_sha256, secret, 32, &mt_aead_aes128_gcm), 0);
    int rc = mt_rec_open(&p, &type, version, frag, len, &off, &n);
    mt_rec_prot_clear(&p);
    return rc;
}

static void rfc8448_records_tampered(void)
{
    blob rec, cap;
    get(&rec, 3, "client", AD_REC, "complete record", 1);
    get(&cap, 3, "server", "derive secret \"tls13 c ap traffic\"", "expanded", 1);
    const uint8_t ad = MT_CT_APPLICATION_DATA;
    CHECK_EQ(open_changed(&rec, cap.b, SIZE_MAX, ad, 0x0303, 0), 0);
    for (size_t i = 0; i < rec.n - MT_REC_HEADER; i++) {
        CHECK_EQ(open_changed(&rec, cap.b, i, ad, 0x0303, 0), -MT_E_BAD_RECORD_MAC);
    }
    CHECK_EQ(open_changed(&rec, cap.b, SIZE_MAX, MT_CT_HANDSHAKE, 0x0303, 0), -MT_E_BAD_RECORD_MAC);
    CHECK_EQ(open_changed(&rec, cap.b, SIZE_MAX, ad, 0x0301, 0), -MT_E_BAD_RECORD_MAC);
    for (size_t cut = 1; cut < rec.n - MT_REC_HEADER; cut++) {
        CHECK_EQ(open_changed(&rec, cap.b, SIZE_MAX, ad, 0x0303, cut), -MT_E_BAD_RECORD_MAC);
    }
    /* the server's key does not open the client's record */
    blob sap;
    get(&sap, 3, "server", "derive secret \"tls13 s ap traffic\"", "expanded", 1);
    CHECK_EQ(open_changed(&rec, sap.b, SIZE_MAX, ad, 0x0303, 0), -MT_E_BAD_RECORD_MAC);
}

/* ---- an independent HKDF (nettle's hkdf.h and hmac.h) for both hashes ---- */

static void ind_expand_label(size_t hlen, const uint8_t *secret, const char *label,
                             const uint8_t *ctx, size_t clen, uint8_t *out, size_t olen)
{
    uint8_t info[600];
    size_t n = 0, llen = strlen(label);
    info[n++] = (uint8_t)(olen >> 8);
    info[n++] = (uint8_t)olen;
    info[n++] = (uint8_t)(6 + llen);
    memcpy(info + n, "tls13 ", 6);
    memcpy(info + n + 6, label, llen);
    n += 6 + llen;
    info[n++] = (uint8_t)clen;
    if (clen > 0) {
        memcpy(info + n, ctx, clen);
    }
    n += clen;
    if (hlen == 48) {
        struct hmac_sha384_ctx h;
        hmac_sha384_set_key(&h, hlen, secret);
        hkdf_expand(&h, (nettle_hash_update_func *)hmac_sha384_update,
                    (nettle_hash_digest_func *)hmac_sha384_digest, hlen, n, info, olen, out);
    } else {
        struct hmac_sha256_ctx h;
        hmac_sha256_set_key(&h, hlen, secret);
        hkdf_expand(&h, (nettle_hash_update_func *)hmac_sha256_update,
                    (nettle_hash_digest_func *)hmac_sha256_digest, hlen, n, info, olen, out);
    }
}

static void ind_extract(size_t hlen, const uint8_t *salt, const uint8_t *ikm, size_t ikm_len,
                        uint8_t *out)
{
    if (hlen == 48) {
        struct hmac_sha384_ctx h;
        hmac_sha384_set_key(&h, hlen, salt);
        hkdf_extract(&h, (nettle_hash_update_func *)hmac_sha384_update,
                     (nettle_hash_digest_func *)hmac_sha384_digest, hlen, ikm_len, ikm, out);
    } else {
        struct hmac_sha256_ctx h;
        hmac_sha256_set_key(&h, hlen, salt);
        hkdf_extract(&h, (nettle_hash_update_func *)hmac_sha256_update,
                     (nettle_hash_digest_func *)hmac_sha256_digest, hlen, ikm_len, ikm, out);
    }
}

static void ind_hash(const struct nettle_hash *hash, const uint8_t *a, size_t alen,
                     const uint8_t *b, size_t blen, uint8_t *out)
{
    mt_hash_ctx c;
    hash->init(&c);
    hash->update(&c, alen, a);
    hash->update(&c, blen, b);
    hash->digest(&c, hash->digest_size, out);
}

static void ind_hmac(size_t hlen, const uint8_t *key, const uint8_t *data, uint8_t *out)
{
    if (hlen == 48) {
        struct hmac_sha384_ctx h;
        hmac_sha384_set_key(&h, hlen, key);
        hmac_sha384_update(&h, hlen, data);
        hmac_sha384_digest(&h, hlen, out);
    } else {
        struct hmac_sha256_ctx h;
        hmac_sha256_set_key(&h, hlen, key);
        hmac_sha256_update(&h, hlen, data);
        hmac_sha256_digest(&h, hlen, out);
    }
}

#define EQ(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

/* The whole schedule for one hash (with or without PSK and DHE) against the independent HKDF. */
static void schedule_vs_independent(const struct nettle_hash *hash, int with_psk, int with_dhe)
{
    const size_t hl = hash->digest_size;
    uint8_t psk[48], dhe[56], th1[48], th2[48], th3[48], th4[48], zeros[48] = {0}, eh[48];
    for (size_t i = 0; i < sizeof(psk); i++) {
        psk[i] = (uint8_t)(0xa0 + i);
    }
    for (size_t i = 0; i < sizeof(dhe); i++) {
        dhe[i] = (uint8_t)(7 * i + 1);
    }
    ind_hash(hash, (const uint8_t *)"CH", 2, NULL, 0, th1);
    ind_hash(hash, (const uint8_t *)"CHSH", 4, NULL, 0, th2);
    ind_hash(hash, (const uint8_t *)"CHSH..SF", 8, NULL, 0, th3);
    ind_hash(hash, (const uint8_t *)"CHSH..SF..CF", 12, NULL, 0, th4);
    ind_hash(hash, NULL, 0, NULL, 0, eh);

    uint8_t early[48], hs[48], ms[48], salt[48], want[48], got[48];
    ind_extract(hl, zeros, with_psk ? psk : zeros, hl, early);
    ind_expand_label(hl, early, "derived", eh, hl, salt, hl);
    ind_extract(hl, salt, with_dhe ? dhe : zeros, with_dhe ? sizeof(dhe) : hl, hs);
    ind_expand_label(hl, hs, "derived", eh, hl, salt, hl);
    ind_extract(hl, salt, zeros, hl, ms);

    mt_ks13 ks;
    CHECK_EQ(mt_ks13_init(&ks, hash), 0);
    CHECK_EQ(mt_ks13_early(&ks, with_psk ? psk : NULL, with_psk ? hl : 0), 0);
    EQ(ks.secret, early, hl);
    CHECK_EQ(mt_ks13_binder_key(&ks, 1, got), 0);
    ind_expand_label(hl, early, "res binder", eh, hl, want, hl);
    EQ(got, want, hl);
    CHECK_EQ(mt_ks13_binder_key(&ks, 0, got), 0);
    ind_expand_label(hl, early, "ext binder", eh, hl, want, hl);
    EQ(got, want, hl);
    static const struct {
        mt_ks13_secret which;
        const char *label;
        int stage, th;
    } rows[] = {
        {MT_KS13_C_E_TRAFFIC, "c e traffic", 0, 1},   {MT_KS13_E_EXP_MASTER, "e exp master", 0, 1},
        {MT_KS13_C_HS_TRAFFIC, "c hs traffic", 1, 2}, {MT_KS13_S_HS_TRAFFIC, "s hs traffic", 1, 2},
        {MT_KS13_C_AP_TRAFFIC, "c ap traffic", 2, 3}, {MT_KS13_S_AP_TRAFFIC, "s ap traffic", 2, 3},
        {MT_KS13_EXP_MASTER, "exp master", 2, 3},     {MT_KS13_RES_MASTER, "res master", 2, 4},
    };
    const uint8_t *stage_secret[] = {early, hs, ms};
    const uint8_t *ths[] = {NULL, th1, th2, th3, th4};
    for (int stage = 0; stage < 3; stage++) {
        if (stage == 1) {
            CHECK_EQ(mt_ks13_handshake(&ks, with_dhe ? dhe : NULL, with_dhe ? sizeof(dhe) : 0), 0);
        } else if (stage == 2) {
            CHECK_EQ(mt_ks13_master(&ks), 0);
        }
        EQ(ks.secret, stage_secret[stage], hl);
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
            if (rows[i].stage != stage) {
                continue;
            }
            CHECK_EQ(mt_ks13_derive(&ks, rows[i].which, ths[rows[i].th], hl, got), 0);
            ind_expand_label(hl, stage_secret[stage], rows[i].label, ths[rows[i].th], hl, want, hl);
            EQ(got, want, hl);
        }
    }
    mt_ks13_wipe(&ks);
}

static void sha256_and_sha384_schedules(void)
{
    for (int h = 0; h < 2; h++) {
        const struct nettle_hash *hash = h ? &nettle_sha384 : &nettle_sha256;
        schedule_vs_independent(hash, 0, 1); /* full handshake */
        schedule_vs_independent(hash, 1, 1); /* psk_dhe_ke */
        schedule_vs_independent(hash, 1, 0); /* psk_ke */
    }
}

/* Keys of every TLS 1.3 suite, Finished, KeyUpdate, resumption PSK and exporter, both hashes. */
static void per_secret_functions_vs_independent(void)
{
    static const uint16_t ids[] = {0x1301, 0x1302, 0x1303, 0x1304, 0x1305};
    for (size_t s = 0; s < sizeof(ids) / sizeof(ids[0]); s++) {
        const mt_suite *suite = mt_suite_by_id(ids[s]);
        const struct nettle_hash *hash = mt_ks13_suite_hash(suite);
        CHECK(hash == (ids[s] == 0x1302 ? &nettle_sha384 : &nettle_sha256));
        if (hash == NULL) {
            continue;
        }
        size_t hl = hash->digest_size;
        uint8_t secret[48], th[48], got[64], want[64], key[MT_AEAD_MAX_KEY], iv[12];
        for (size_t i = 0; i < hl; i++) {
            secret[i] = (uint8_t)(i * 13 + s);
            th[i] = (uint8_t)(0xff - i);
        }
        CHECK_EQ(mt_ks13_traffic_keys(hash, secret, hl, suite->aead, key, iv), 0);
        ind_expand_label(hl, secret, "key", NULL, 0, want, suite->aead->key_len);
        EQ(key, want, suite->aead->key_len);
        ind_expand_label(hl, secret, "iv", NULL, 0, want, 12);
        EQ(iv, want, 12);

        /* the suite's AEAD under TLS 1.3 framing: two records sealed, opened by the peer */
        mt_rec_prot wp, rp;
        memset(&wp, 0, sizeof(wp));
        memset(&rp, 0, sizeof(rp));
        CHECK_EQ(mt_ks13_set_prot(&wp, hash, secret, hl, suite->aead), 0);
        CHECK_EQ(mt_ks13_set_prot(&rp, hash, secret, hl, suite->aead), 0);
        for (int i = 0; i < 2; i++) {
            uint8_t rec[64], type = 0;
            uint16_t version;
            size_t len = 0, off = 0, n = 0;
            mt_wr w;
            mt_wr_init_fixed(&w, rec, sizeof(rec));
            CHECK_EQ(mt_rec_seal(&wp, MT_CT_ALERT, 0x0303, (const uint8_t *)"\x01\x00", 2, &w), 0);
            CHECK_EQ(w.len, MT_REC_HEADER + 2 + 1 + suite->aead->tag_len);
            CHECK_EQ(mt_rec_header(rec, &rp, &type, &version, &len), 0);
            CHECK_EQ(mt_rec_open(&rp, &type, version, rec + MT_REC_HEADER, len, &off, &n), 0);
            CHECK(type == MT_CT_ALERT && n == 2 && rec[MT_REC_HEADER + off] == 1);
        }
        mt_rec_prot_clear(&wp);
        mt_rec_prot_clear(&rp);

        uint8_t fk[48];
        ind_expand_label(hl, secret, "finished", NULL, 0, fk, hl);
        CHECK_EQ(mt_ks13_finished_key(hash, secret, hl, got), 0);
        EQ(got, fk, hl);
        ind_hmac(hl, fk, th, want);
        CHECK_EQ(mt_ks13_finished(hash, secret, hl, th, hl, got), 0);
        EQ(got, want, hl);
        CHECK_EQ(mt_ks13_finished_check(hash, secret, hl, th, hl, want, hl), 0);

        const uint8_t nonce[3] = {1, 2, 3};
        ind_expand_label(hl, secret, "resumption", nonce, 3, want, hl);
        CHECK_EQ(mt_ks13_resumption_psk(hash, secret, hl, nonce, 3, got), 0);
        EQ(got, want, hl);

        /* RFC 8446 7.2: two KeyUpdates chain */
        uint8_t upd[48];
        memcpy(upd, secret, hl);
        CHECK_EQ(mt_ks13_update_traffic(hash, upd, hl), 0);
        ind_expand_label(hl, secret, "traffic upd", NULL, 0, want, hl);
        EQ(upd, want, hl);
        CHECK_EQ(mt_ks13_update_traffic(hash, upd, hl), 0);
        ind_expand_label(hl, want, "traffic upd", NULL, 0, got, hl);
        EQ(upd, got, hl);

        /* RFC 8446 7.5 exporter; an absent and an empty context are the same */
        uint8_t ctxh[48], es[48];
        const uint8_t context[5] = {'h', 'e', 'l', 'l', 'o'};
        ind_hash(hash, NULL, 0, NULL, 0, ctxh);
        ind_expand_label(hl, secret, "EXPERIMENTAL test", ctxh, hl, es, hl);
        ind_hash(hash, context, 5, NULL, 0, ctxh);
        ind_expand_label(hl, es, "exporter", ctxh, hl, want, 64);
        CHECK_EQ(mt_ks13_export(hash, secret, hl, "EXPERIMENTAL test", context, 5, got, 64), 0);
        EQ(got, want, 64);
        uint8_t a[20], b[20];
        CHECK_EQ(mt_ks13_export(hash, secret, hl, "EXPERIMENTAL test", NULL, 0, a, 20), 0);
        CHECK_EQ(mt_ks13_export(hash, secret, hl, "EXPERIMENTAL test", context, 0, b, 20), 0);
        EQ(a, b, 20);
        CHECK(memcmp(a, got, 20) != 0);
    }
}

/* The transcript: reading it does not disturb it; peek; the HelloRetryRequest message_hash. */
static void transcript_helper(void)
{
    for (int h = 0; h < 2; h++) {
        const struct nettle_hash *hash = h ? &nettle_sha384 : &nettle_sha256;
        size_t hl = hash->digest_size;
        const uint8_t ch1[] = "client hello one", hrr[] = "retry", ch2[] = "client hello two";
        uint8_t got[48], want[48], again[48];
        mt_ks13_th t;
        CHECK_EQ(mt_ks13_th_init(&t, hash), 0);
        mt_ks13_th_update(&t, ch1, 6);
        mt_ks13_th_update(&t, ch1 + 6, sizeof(ch1) - 6); /* a message in two parts */
        mt_ks13_th_current(&t, got);
        mt_ks13_th_current(&t, again);
        ind_hash(hash, ch1, sizeof(ch1), NULL, 0, want);
        EQ(got, want, hl);
        EQ(again, want, hl);
        mt_ks13_th_peek(&t, hrr, sizeof(hrr), got);
        ind_hash(hash, ch1, sizeof(ch1), hrr, sizeof(hrr), want);
        EQ(got, want, hl);
        mt_ks13_th_current(&t, got);
        ind_hash(hash, ch1, sizeof(ch1), NULL, 0, want);
        EQ(got, want, hl); /* peek left it alone */

        /* RFC 8446 4.4.1: message_hash = fe 00 00 HashLen || Hash(ClientHello1) */
        uint8_t mh[4 + 48] = {254, 0, 0, (uint8_t)hl};
        ind_hash(hash, ch1, sizeof(ch1), NULL, 0, mh + 4);
        mt_ks13_th_hrr(&t);
        mt_ks13_th_update(&t, hrr, sizeof(hrr));
        mt_ks13_th_update(&t, ch2, sizeof(ch2));
        mt_ks13_th_current(&t, got);
        mt_hash_ctx c;
        hash->init(&c);
        hash->update(&c, 4 + hl, mh);
        hash->update(&c, sizeof(hrr), hrr);
        hash->update(&c, sizeof(ch2), ch2);
        hash->digest(&c, hl, want);
        EQ(got, want, hl);
        mt_ks13_th_wipe(&t);
        CHECK(t.hash == NULL);
    }
}

/* The key log lines of section 3, in the NSS format. */
static void keylog_lines(void)
{
    blob ch, chs;
    get(&ch, 3, "client", CH, "ClientHello", 1);
    get(&chs, 3, "server", "derive secret \"tls13 c hs traffic\"", "expanded", 1);
    const uint8_t *cr = ch.b + 6; /* type(1) length(3) legacy_version(2) random(32) */
    char line[MT_KS13_KEYLOG_MAX], want[MT_KS13_KEYLOG_MAX];
    CHECK_EQ(mt_ks13_keylog(line, sizeof(line), MT_KS13_C_HS_TRAFFIC, cr, chs.b, 32), 0);
    const rfc8448_value *v =
        find(3, "server", "derive secret \"tls13 c hs traffic\"", "expanded", 1, 1);
    snprintf(want, sizeof(want), "CLIENT_HANDSHAKE_TRAFFIC_SECRET %s %s\n",
             "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7", v->hex);
    CHECK(strcmp(line, want) == 0);
    static const struct {
        mt_ks13_secret which;
        const char *label;
    } names[] = {
        {MT_KS13_C_E_TRAFFIC, "CLIENT_EARLY_TRAFFIC_SECRET"},
        {MT_KS13_E_EXP_MASTER, "EARLY_EXPORTER_SECRET"},
        {MT_KS13_S_HS_TRAFFIC, "SERVER_HANDSHAKE_TRAFFIC_SECRET"},
        {MT_KS13_C_AP_TRAFFIC, "CLIENT_TRAFFIC_SECRET_0"},
        {MT_KS13_S_AP_TRAFFIC, "SERVER_TRAFFIC_SECRET_0"},
        {MT_KS13_EXP_MASTER, "EXPORTER_SECRET"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        CHECK_EQ(mt_ks13_keylog(line, sizeof(line), names[i].which, cr, chs.b, 32), 0);
        size_t l = strlen(names[i].label);
        CHECK(strncmp(line, names[i].label, l) == 0 && line[l] == ' ');
        CHECK_EQ(strlen(line), l + 1 + 64 + 1 + 64 + 1);
    }
    /* a SHA-384 secret on the longest label fits MT_KS13_KEYLOG_MAX exactly with its NUL */
    uint8_t s48[48] = {0};
    CHECK_EQ(mt_ks13_keylog(line, sizeof(line), MT_KS13_C_HS_TRAFFIC, cr, s48, 48), 0);
    CHECK_EQ(strlen(line) + 1, MT_KS13_KEYLOG_MAX);
    CHECK_EQ(mt_ks13_keylog(line, MT_KS13_KEYLOG_MAX - 1, MT_KS13_C_HS_TRAFFIC, cr, s48, 48),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_keylog(line, sizeof(line), MT_KS13_RES_MASTER, cr, s48, 48),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_keylog(line, sizeof(line), (mt_ks13_secret)99, cr, s48, 48),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_keylog(line, sizeof(line), MT_KS13_EXP_MASTER, cr, s48, 0), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_keylog(line, sizeof(line), MT_KS13_EXP_MASTER, cr, s48, 49),
             -MT_E_INVALID_ARG);
}

/* Stages in the wrong order, other hashes, wrong lengths: errors, never output. */
static void misuse(void)
{
    uint8_t s[64] = {0}, out[64];
    mt_ks13 ks;
    mt_ks13_th t;
    static const struct nettle_hash *bad[] = {NULL, &nettle_md5, &nettle_sha1, &nettle_sha224,
                                              &nettle_sha512};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ(mt_ks13_init(&ks, bad[i]), -MT_E_INVALID_ARG);
        CHECK_EQ(mt_ks13_th_init(&t, bad[i]), -MT_E_INVALID_ARG);
        CHECK_EQ(mt_ks13_traffic_keys(bad[i], s, 32, &mt_aead_aes128_gcm, out, out + 32),
                 -MT_E_INVALID_ARG);
        CHECK_EQ(mt_ks13_finished_key(bad[i], s, 32, out), -MT_E_INVALID_ARG);
        CHECK_EQ(mt_ks13_export(bad[i], s, 32, "x", NULL, 0, out, 8), -MT_E_INVALID_ARG);
    }
    CHECK(mt_ks13_suite_hash(NULL) == NULL);
    CHECK(mt_ks13_suite_hash(mt_suite_by_id(0xc02f)) == NULL); /* a TLS 1.2 suite */

    /* an initialised-to-nothing schedule refuses everything */
    CHECK_EQ(mt_ks13_init(&ks, &nettle_md5), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_early(&ks, NULL, 0), -MT_E_INVALID_ARG);

    CHECK_EQ(mt_ks13_init(&ks, &nettle_sha256), 0);
    CHECK_EQ(mt_ks13_binder_key(&ks, 1, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_handshake(&ks, s, 32), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_master(&ks), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_derive(&ks, MT_KS13_C_E_TRAFFIC, s, 32, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_early(&ks, s, 0), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_early(&ks, NULL, 32), -MT_E_INVALID_ARG);
    uint8_t big[MT_KS13_MAX_DHE + 1] = {0};
    CHECK_EQ(mt_ks13_early(&ks, big, MT_KS13_MAX_PSK + 1), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_early(&ks, s, 1), 0);                  /* a 1-byte external PSK is allowed */
    CHECK_EQ(mt_ks13_early(&ks, s, 32), -MT_E_INVALID_ARG); /* twice */
    CHECK_EQ(mt_ks13_derive(&ks, MT_KS13_C_HS_TRAFFIC, s, 32, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_derive(&ks, MT_KS13_C_E_TRAFFIC, s, 31, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_derive(&ks, MT_KS13_C_E_TRAFFIC, s, 48, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_derive(&ks, MT_KS13_C_E_TRAFFIC, NULL, 32, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_derive(&ks, (mt_ks13_secret)8, s, 32, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_derive(&ks, (mt_ks13_secret)-1, s, 32, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_master(&ks), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_handshake(&ks, s, 0), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_handshake(&ks, NULL, 32), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_handshake(&ks, big, MT_KS13_MAX_DHE + 1), -MT_E_INVALID_ARG);
    CHECK_EQ(ks.stage, MT_KS13_EARLY); /* failures moved nothing */
    CHECK_EQ(mt_ks13_handshake(&ks, big, MT_KS13_MAX_DHE), 0);
    CHECK_EQ(mt_ks13_binder_key(&ks, 0, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_derive(&ks, MT_KS13_E_EXP_MASTER, s, 32, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_derive(&ks, MT_KS13_RES_MASTER, s, 32, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_handshake(&ks, s, 32), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_master(&ks), 0);
    CHECK_EQ(mt_ks13_master(&ks), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_derive(&ks, MT_KS13_S_HS_TRAFFIC, s, 32, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_derive(&ks, MT_KS13_RES_MASTER, s, 32, out), 0);
    mt_ks13_wipe(&ks);
    CHECK_EQ(mt_ks13_derive(&ks, MT_KS13_RES_MASTER, s, 32, out), -MT_E_INVALID_ARG);

    /* lengths that do not match the hash */
    const struct nettle_hash *h = &nettle_sha256;
    CHECK_EQ(mt_ks13_resumption_psk(h, s, 31, s, 2, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_resumption_psk(h, s, 48, s, 2, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_resumption_psk(h, s, 32, big, 256, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_resumption_psk(h, s, 32, big, 255, out), 0);
    CHECK_EQ(mt_ks13_traffic_keys(h, s, 32, NULL, out, out + 32), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_traffic_keys(h, s, 48, &mt_aead_aes128_gcm, out, out + 32), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_traffic_keys(&nettle_sha384, s, 32, &mt_aead_aes128_gcm, out, out + 32),
             -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_finished_key(h, s, 0, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_finished(h, s, 32, s, 31, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_finished(h, s, 32, NULL, 32, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_finished(h, s, 33, s, 32, out), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_finished_check(h, s, 32, s, 48, out, 32), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_finished_check(h, s, 32, s, 32, out, 0), -MT_E_DECRYPT_ERROR);
    CHECK_EQ(mt_ks13_finished_check(h, s, 32, s, 32, out, 48), -MT_E_DECRYPT_ERROR);

    uint8_t keep[32];
    memcpy(keep, s, 32);
    CHECK_EQ(mt_ks13_update_traffic(h, s, 48), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_update_traffic(&nettle_sha384, s, 32), -MT_E_INVALID_ARG);
    CHECK(memcmp(keep, s, 32) == 0);

    char label[260];
    memset(label, 'a', sizeof(label));
    label[249] = '\0';
    CHECK_EQ(mt_ks13_export(h, s, 32, label, NULL, 0, out, 8), 0);
    label[249] = 'a';
    label[250] = '\0';
    CHECK_EQ(mt_ks13_export(h, s, 32, label, NULL, 0, out, 8), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_export(h, s, 32, NULL, NULL, 0, out, 8), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_export(h, s, 32, "x", NULL, 3, out, 8), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_export(h, s, 31, "x", NULL, 0, out, 8), -MT_E_INVALID_ARG);
    uint8_t *long_out = malloc(255 * 32 + 1);
    CHECK(long_out != NULL);
    if (long_out != NULL) {
        CHECK_EQ(mt_ks13_export(h, s, 32, "x", NULL, 0, long_out, 255 * 32), 0);
        CHECK_EQ(mt_ks13_export(h, s, 32, "x", NULL, 0, long_out, 255 * 32 + 1), -MT_E_INVALID_ARG);
        free(long_out);
    }

    /* a failed mt_ks13_set_prot leaves the protection as it was */
    mt_rec_prot p, before;
    memset(&p, 0, sizeof(p));
    CHECK_EQ(mt_ks13_set_prot(&p, h, s, 32, &mt_aead_aes128_gcm), 0);
    p.seq = 5;
    before = p;
    CHECK_EQ(mt_ks13_set_prot(&p, h, s, 48, &mt_aead_aes128_gcm), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_ks13_set_prot(&p, h, s, 32, NULL), -MT_E_INVALID_ARG);
    CHECK(memcmp(&p, &before, sizeof(p)) == 0);
    mt_rec_prot_clear(&p);
    mt_rec_prot_clear(&before);
}

static void values_counted(void)
{
    /* KS13_UNUSED=1 lists the trace values no case compares (HkdfLabel "info" encodings, PRKs
     * that repeat a checked secret, ...). */
    printf("# %d RFC 8448 values compared\n", n_checked);
    if (getenv("KS13_UNUSED")) {
        for (size_t i = 0; i < NVALUES; i++) {
            if (!used[i]) {
                printf("# unused: %d {%s} %s / %s #%d\n", rfc8448_values[i].section,
                       rfc8448_values[i].actor, rfc8448_values[i].step, rfc8448_values[i].field,
                       rfc8448_values[i].occurrence);
            }
        }
    }
    CHECK_EQ(n_checked, 451); /* every comparison above ran (the cases before this one) */
}

int main(void)
{
    RUN(rfc8448_simple_1rtt);
    RUN(rfc8448_resumed_0rtt);
    RUN(rfc8448_hello_retry_request);
    RUN(rfc8448_client_auth);
    RUN(rfc8448_compatibility_mode);
    RUN(rfc8448_every_expand_label);
    RUN(rfc8448_records_tampered);
    RUN(sha256_and_sha384_schedules);
    RUN(per_secret_functions_vs_independent);
    RUN(transcript_helper);
    RUN(keylog_lines);
    RUN(misuse);
    RUN(values_counted);
    return t_done();
}
