/* fake_cert.h -- a certificate for the engine tests (test_engine, test_engine13). */
#ifndef MT_TEST_FAKE_CERT_H
#define MT_TEST_FAKE_CERT_H

#include "../asn1.h"
#include "../buf.h"
#include "../keys.h"
#include "t.h"

/* A structurally valid certificate around `key`'s SPKI (the engine does not judge the chain;
 * that is the application's decision). */
static void fake_cert(const mt_key *key, mt_wr *out)
{
    mt_asn1_mark cert, tbs, v, alg, name, validity, alg2;
    int rc = mt_asn1_open(out, MT_ASN1_SEQUENCE, &cert);
    rc |= mt_asn1_open(out, MT_ASN1_SEQUENCE, &tbs);
    rc |= mt_asn1_open(out, 0xa0, &v);
    rc |= mt_asn1_w_small(out, 2);
    rc |= mt_asn1_close(out, &v);
    rc |= mt_asn1_w_small(out, 1);
    rc |= mt_asn1_open(out, MT_ASN1_SEQUENCE, &alg);
    rc |= MT_ASN1_W_OID(out, "\x2a\x86\x48\xce\x3d\x04\x03\x02");
    rc |= mt_asn1_close(out, &alg);
    rc |= mt_asn1_open(out, MT_ASN1_SEQUENCE, &name);
    rc |= mt_asn1_close(out, &name);
    rc |= mt_asn1_open(out, MT_ASN1_SEQUENCE, &validity);
    rc |= mt_asn1_w_time(out, 0);
    rc |= mt_asn1_w_time(out, 4000000000LL);
    rc |= mt_asn1_close(out, &validity);
    rc |= mt_asn1_open(out, MT_ASN1_SEQUENCE, &name);
    rc |= mt_asn1_close(out, &name);
    rc |= mt_key_write_spki(key, out);
    rc |= mt_asn1_close(out, &tbs);
    rc |= mt_asn1_open(out, MT_ASN1_SEQUENCE, &alg2);
    rc |= MT_ASN1_W_OID(out, "\x2a\x86\x48\xce\x3d\x04\x03\x02");
    rc |= mt_asn1_close(out, &alg2);
    rc |= mt_asn1_w_bits(out, (const uint8_t *)"sig", 3);
    rc |= mt_asn1_close(out, &cert);
    CHECK_EQ(rc, 0);
}

#endif
