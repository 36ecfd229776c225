/* Unit tests for X.509 parsing, host-name matching, trust stores and path validation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../buf.h"
#include "../err.h"
#include "../pem.h"
#include "../x509.h"
#include "t.h"
#include "x509_data.h"

#define NOT_BEFORE 1795633949
#define NOT_AFTER 4949233949LL

static mt_x509 *parse(const uint8_t *p, size_t n)
{
    mt_x509 *c = NULL;
    CHECK_EQ(mt_x509_parse(p, n, &c), 0);
    return c;
}

static int text_is(int (*fn)(const uint8_t *, size_t, mt_wr *), const uint8_t *p, size_t n,
                   const char *want)
{
    mt_wr w;
    mt_wr_init_growable(&w, 4096);
    int ok = fn(p, n, &w) == 0 && w.len == strlen(want) && memcmp(w.p, want, w.len) == 0;
    if (!ok) {
        printf("# got '%.*s', want '%s'\n", (int)w.len, w.p ? (const char *)w.p : "", want);
    }
    mt_wr_free(&w);
    return ok;
}

static void test_parse_leaf(void)
{
    mt_x509 *c = parse(leaf_der, leaf_der_len);
    if (!c) {
        return;
    }
    CHECK_EQ(c->version, 3);
    CHECK_EQ(c->serial_len, 8);
    CHECK(memcmp(c->serial, "\x12\x34\x56\x78\x90\xab\xcd\xef", 8) == 0);
    CHECK_EQ(c->not_before, NOT_BEFORE);
    CHECK_EQ(c->not_after, NOT_AFTER);
    CHECK_EQ(c->sig_alg.kind, MT_SIG_ECDSA);
    CHECK_EQ(c->sig_alg.hash, MT_HASH_SHA256);
    CHECK(strcmp(mt_x509_sigalg_name(c), "ecdsa-with-SHA256") == 0);
    CHECK(text_is(mt_x509_name_text, c->subject, c->subject_len,
                  "C=DE, O=Moon Ltd, CN=www.example.com"));
    CHECK(text_is(mt_x509_name_text, c->issuer, c->issuer_len, "O=Moon Test, CN=Moon Root CA"));
    CHECK(!c->is_ca);
    CHECK_EQ(c->pathlen, -1);
    CHECK(c->ext_present & MT_EXT_KU);
    CHECK(c->ext_critical & MT_EXT_KU);
    CHECK_EQ(c->key_usage, MT_KU_DIGITAL_SIGNATURE | MT_KU_KEY_ENCIPHERMENT);
    CHECK_EQ(c->eku, MT_EKU_SERVER | MT_EKU_CLIENT);
    CHECK(c->aki != NULL && c->ski != NULL);
    CHECK(!c->unknown_critical);
    CHECK(!c->self_issued);
    /* SANs in order, with their types */
    static const int types[] = {MT_GN_DNS, MT_GN_DNS, MT_GN_IP, MT_GN_IP, MT_GN_EMAIL, MT_GN_URI};
    mt_rd it;
    mt_x509_gn gn;
    size_t k = 0;
    mt_rd_init(&it, c->san, c->san_len);
    while (mt_x509_gn_next(&it, &gn) == 1) {
        CHECK(k < 6 && gn.type == types[k]);
        k++;
    }
    CHECK_EQ(k, 6);
    mt_x509_free(c);
}

static void test_parse_root(void)
{
    mt_x509 *c = parse(root_der, root_der_len);
    if (!c) {
        return;
    }
    CHECK(c->is_ca);
    CHECK(c->self_issued);
    CHECK(c->ext_critical & MT_EXT_BC);
    CHECK_EQ(c->key_usage, MT_KU_KEY_CERT_SIGN | MT_KU_CRL_SIGN);
    CHECK(mt_x509_name_eq(c->subject, c->subject_len, c->issuer, c->issuer_len));
    mt_x509_free(c);
}

/* PEM with two blocks and unrelated text around them. */
static void test_parse_all_pem(void)
{
    mt_wr w;
    mt_x509 **list;
    size_t n;
    mt_wr_init_growable(&w, 1 << 16);
    CHECK_EQ(mt_wr_bytes(&w, "junk before\n", 12), 0);
    CHECK_EQ(mt_pem_write(&w, "CERTIFICATE", leaf_der, leaf_der_len), 0);
    CHECK_EQ(mt_pem_write(&w, "PRIVATE KEY", (const uint8_t *)"x", 1), 0);
    CHECK_EQ(mt_pem_write(&w, "CERTIFICATE", root_der, root_der_len), 0);
    CHECK_EQ(mt_x509_parse_all(w.p, w.len, &list, &n), 0);
    CHECK_EQ(n, 2);
    if (n == 2) {
        CHECK_EQ(list[0]->der_len, leaf_der_len);
        CHECK_EQ(list[1]->der_len, root_der_len);
        mt_x509_free_list(list, n);
    }
    /* DER input gives one certificate */
    CHECK_EQ(mt_x509_parse_all(root_der, root_der_len, &list, &n), 0);
    CHECK_EQ(n, 1);
    mt_x509_free_list(list, n);
    /* PEM without certificates */
    mt_wr_reset(&w);
    CHECK_EQ(mt_pem_write(&w, "PRIVATE KEY", (const uint8_t *)"x", 1), 0);
    CHECK_EQ(mt_x509_parse_all(w.p, w.len, &list, &n), -MT_E_PEM_NONE);
    mt_wr_free(&w);
}

static void test_truncation_every_offset(void)
{
    for (size_t i = 0; i < leaf_der_len; i++) {
        mt_x509 *c = (mt_x509 *)1;
        int rc = mt_x509_parse(leaf_der, i, &c);
        if (rc != -MT_E_CERT_PARSE || c != NULL) {
            printf("# truncation at %zu: rc %d\n", i, rc);
            CHECK(0);
            break;
        }
    }
    /* and one byte too many */
    uint8_t *p = malloc(leaf_der_len + 1);
    memcpy(p, leaf_der, leaf_der_len);
    p[leaf_der_len] = 0;
    mt_x509 *c;
    CHECK_EQ(mt_x509_parse(p, leaf_der_len + 1, &c), -MT_E_CERT_PARSE);
    free(p);
}

/* Every single-byte change of the certificate: a clean result, never a crash. Changes in the
 * signed part that still parse must fail verification. */
static void test_every_byte_flipped(void)
{
    uint8_t *p = malloc(leaf_der_len);
    mt_x509_store *s;
    CHECK_EQ(mt_x509_store_new(&s), 0);
    CHECK_EQ(mt_x509_store_add_der(s, root_der, root_der_len), 0);
    mt_x509_verify_opts o = {.time = NOT_BEFORE + 10, .max_depth = -1};
    size_t accepted = 0;
    for (size_t i = 0; i < leaf_der_len; i++) {
        memcpy(p, leaf_der, leaf_der_len);
        p[i] ^= 0x01;
        mt_x509 *c;
        int rc = mt_x509_parse(p, leaf_der_len, &c);
        CHECK(rc == 0 || rc == -MT_E_CERT_PARSE);
        if (rc == 0) {
            accepted += mt_x509_verify(&c, 1, s, &o, NULL) == 0;
            mt_x509_free(c);
        }
    }
    /* Only the unsigned outer bytes could keep a valid chain; flipping them breaks the DER
     * or the signature, so nothing verifies. */
    CHECK_EQ(accepted, 0);
    mt_x509_store_free(s);
    free(p);
}

static void test_hostile_lengths(void)
{
    mt_x509 *c;
    /* length past the end */
    uint8_t *p = malloc(leaf_der_len);
    memcpy(p, leaf_der, leaf_der_len);
    p[3] = (uint8_t)(p[3] + 1); /* outer SEQUENCE 0x30 0x82 hi lo */
    CHECK_EQ(mt_x509_parse(p, leaf_der_len, &c), -MT_E_CERT_PARSE);
    free(p);
    /* non-minimal length: 0x30 0x81 0x05 ... */
    static const uint8_t nonmin[] = {0x30, 0x81, 0x05, 0x02, 0x01, 0x01, 0x05, 0x00};
    CHECK_EQ(mt_x509_parse(nonmin, sizeof(nonmin), &c), -MT_E_CERT_PARSE);
    /* 4 GiB length claim */
    static const uint8_t huge[] = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30, 0x00};
    CHECK_EQ(mt_x509_parse(huge, sizeof(huge), &c), -MT_E_CERT_PARSE);
    static const uint8_t huge5[] = {0x30, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00, 0x30};
    CHECK_EQ(mt_x509_parse(huge5, sizeof(huge5), &c), -MT_E_CERT_PARSE);
    /* indefinite length (BER) */
    static const uint8_t indef[] = {0x30, 0x80, 0x30, 0x00, 0x00, 0x00};
    CHECK_EQ(mt_x509_parse(indef, sizeof(indef), &c), -MT_E_CERT_PARSE);
    /* empty input */
    CHECK_EQ(mt_x509_parse(leaf_der, 0, &c), -MT_E_CERT_PARSE);
}

/* 1000 nested SEQUENCEs, built from the inside out with minimal lengths. */
static void test_deep_nesting(void)
{
    enum { DEPTH = 1000 };
    size_t cap = DEPTH * 6 + 16, len = 0;
    uint8_t *buf = malloc(cap);
    uint8_t *tmp = malloc(cap);
    for (int d = 0; d < DEPTH; d++) {
        size_t h = 0;
        tmp[h++] = 0x30;
        if (len < 128) {
            tmp[h++] = (uint8_t)len;
        } else if (len < 256) {
            tmp[h++] = 0x81;
            tmp[h++] = (uint8_t)len;
        } else {
            tmp[h++] = 0x82;
            tmp[h++] = (uint8_t)(len >> 8);
            tmp[h++] = (uint8_t)len;
        }
        memcpy(tmp + h, buf, len);
        len += h;
        memcpy(buf, tmp, len);
    }
    mt_x509 *c;
    CHECK_EQ(mt_x509_parse(buf, len, &c), -MT_E_CERT_PARSE);
    mt_x509_store *s;
    CHECK_EQ(mt_x509_store_new(&s), 0);
    CHECK_EQ(mt_x509_store_add_der(s, buf, len), -MT_E_CERT_PARSE);
    mt_x509_store_free(s);
    free(buf);
    free(tmp);
}

struct host_row {
    const char *pattern, *host;
    int want;
};

static void test_host_match_table(void)
{
    static const struct host_row rows[] = {
        {"example.com", "example.com", 1},
        {"Example.COM", "eXample.com", 1},       /* ASCII case-insensitive */
        {"example.com.", "example.com", 1},      /* trailing dot on the pattern */
        {"example.com", "example.com.", 1},      /* trailing dot on the host */
        {"example.com", "www.example.com", 0},   /* no implicit subdomains */
        {"www.example.com", "example.com", 0},   /* nor parents */
        {"*.example.com", "www.example.com", 1}, /* whole left-most label */
        {"*.example.com", "WWW.Example.Com.", 1},
        {"*.example.com", "example.com", 0},           /* matches exactly one label */
        {"*.example.com", "a.b.example.com", 0},       /* never more than one */
        {"*.example.com", ".example.com", 0},          /* never an empty label */
        {"w*.example.com", "www.example.com", 0},      /* partial-label wildcard refused */
        {"*w.example.com", "www.example.com", 0},      /* partial-label wildcard refused */
        {"www.*.com", "www.example.com", 0},           /* not left-most */
        {"*.*.example.com", "a.b.example.com", 0},     /* only one wildcard */
        {"xn--*.example.com", "xn--a.example.com", 0}, /* not inside an A-label */
        {"*.com", "example.com", 0},                   /* at least two labels after it */
        {"*", "com", 0},
        {"*.", "com", 0},
        {"*.co.uk", "example.co.uk", 1}, /* PSL not consulted: two labels suffice */
        {"foo_bar.example.com", "foo_bar.example.com", 0}, /* not a host name */
        {"example.com", "", 0},
        {"", "example.com", 0},
        {"exa mple.com", "exa mple.com", 0},
        {"example..com", "example..com", 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int got = mt_x509_host_match(rows[i].pattern, strlen(rows[i].pattern), rows[i].host,
                                     strlen(rows[i].host));
        if (got != rows[i].want) {
            printf("# host_match('%s', '%s') = %d, want %d\n", rows[i].pattern, rows[i].host, got,
                   rows[i].want);
            CHECK(0);
        }
    }
}

static void test_check_host_and_ip(void)
{
    mt_x509 *c = parse(leaf_der, leaf_der_len);
    if (!c) {
        return;
    }
    CHECK(mt_x509_check_host(c, "www.example.com", 1));
    CHECK(mt_x509_check_host(c, "a.example.org", 1));
    CHECK(!mt_x509_check_host(c, "example.org", 1));
    CHECK(!mt_x509_check_host(c, "192.0.2.7", 1)); /* IPs never match DNS names */
    CHECK(mt_x509_check_ip(c, "192.0.2.7"));
    CHECK(mt_x509_check_ip(c, "2001:db8:0::1"));
    CHECK(!mt_x509_check_ip(c, "192.0.2.8"));
    CHECK(!mt_x509_check_ip(c, "www.example.com"));
    mt_x509_free(c);
    /* the root has no SAN: its CN is used only with the fallback */
    c = parse(root_der, root_der_len);
    CHECK(!mt_x509_check_host(c, "Moon Root CA", 1)); /* not a host name */
    mt_x509_free(c);
}

static int verify(mt_x509 *leaf, const mt_x509_verify_opts *o, int *depth)
{
    mt_x509_store *s;
    int rc = mt_x509_store_new(&s);
    if (rc == 0) {
        rc = mt_x509_store_add_der(s, root_der, root_der_len);
    }
    if (rc == 0) {
        rc = mt_x509_verify(&leaf, 1, s, o, depth);
    }
    mt_x509_store_free(s);
    return rc;
}

static void test_verify(void)
{
    mt_x509 *leaf = parse(leaf_der, leaf_der_len);
    int depth = -1;
    if (!leaf) {
        return;
    }
    mt_x509_verify_opts o = {.time = NOT_BEFORE + 60, .max_depth = -1};
    o.host = "www.example.com";
    o.purpose = MT_X509_PURPOSE_SERVER;
    CHECK_EQ(verify(leaf, &o, &depth), 0);
    o.time = NOT_BEFORE - 1;
    CHECK_EQ(verify(leaf, &o, &depth), -MT_E_CERT_NOT_YET_VALID);
    CHECK_EQ(depth, 0);
    o.time = NOT_AFTER + 1;
    CHECK_EQ(verify(leaf, &o, &depth), -MT_E_CERT_EXPIRED);
    o.time = NOT_AFTER; /* notAfter is inclusive (RFC 5280 4.1.2.5) */
    CHECK_EQ(verify(leaf, &o, &depth), 0);
    o.host = "other.example.com";
    CHECK_EQ(verify(leaf, &o, &depth), -MT_E_CERT_HOSTNAME);
    o.host = NULL;
    o.ip = "192.0.2.7";
    CHECK_EQ(verify(leaf, &o, &depth), 0);
    o.ip = "192.0.2.9";
    CHECK_EQ(verify(leaf, &o, &depth), -MT_E_CERT_IP);
    o.ip = NULL;
    /* no anchor at all */
    CHECK_EQ(mt_x509_verify(&leaf, 1, NULL, &o, &depth), -MT_E_CERT_NO_ISSUER);
    CHECK_EQ(depth, 0);
    /* the root alone, presented as leaf without anchors: self-signed */
    mt_x509 *root = parse(root_der, root_der_len);
    CHECK_EQ(mt_x509_verify(&root, 1, NULL, &o, &depth), -MT_E_CERT_SELF_SIGNED);
    /* root presented as an intermediate but not trusted */
    mt_x509 *chain[2] = {leaf, root};
    CHECK_EQ(mt_x509_verify(chain, 2, NULL, &o, &depth), -MT_E_CERT_UNTRUSTED_ROOT);
    CHECK_EQ(depth, 1);
    /* a broken signature */
    uint8_t *p = malloc(leaf_der_len);
    memcpy(p, leaf_der, leaf_der_len);
    p[leaf_der_len - 3] ^= 0x40;
    mt_x509 *bad;
    if (mt_x509_parse(p, leaf_der_len, &bad) == 0) {
        CHECK_EQ(verify(bad, &o, &depth), -MT_E_CERT_SIGNATURE);
        mt_x509_free(bad);
    }
    free(p);
    mt_x509_free(root);
    mt_x509_free(leaf);
}

static void test_store(void)
{
    mt_x509_store *s;
    mt_wr w;
    size_t added = 0;
    CHECK_EQ(mt_x509_store_new(&s), 0);
    mt_wr_init_growable(&w, 1 << 16);
    CHECK_EQ(mt_pem_write(&w, "CERTIFICATE", root_der, root_der_len), 0);
    CHECK_EQ(mt_pem_write(&w, "CERTIFICATE", leaf_der, leaf_der_len), 0);
    CHECK_EQ(mt_x509_store_add(s, w.p, w.len, &added), 0);
    CHECK_EQ(added, 2);
    CHECK_EQ(mt_x509_store_count(s), 2);
    CHECK_EQ(mt_x509_store_add(s, (const uint8_t *)"nothing", 7, &added), -MT_E_CERT_PARSE);
    CHECK_EQ(mt_x509_store_add_file(s, "/nonexistent/file.pem", &added), -MT_E_INVALID_ARG);
    mt_wr_free(&w);
    mt_x509_store_free(s);
}

int main(void)
{
    RUN(test_parse_leaf);
    RUN(test_parse_root);
    RUN(test_parse_all_pem);
    RUN(test_truncation_every_offset);
    RUN(test_every_byte_flipped);
    RUN(test_hostile_lengths);
    RUN(test_deep_nesting);
    RUN(test_host_match_table);
    RUN(test_check_host_and_ip);
    RUN(test_verify);
    RUN(test_store);
    return t_done();
}
