/*
 * x509_verify.c -- trust stores, path building and path validation (RFC 5280 6.1),
 * name constraints (RFC 5280 4.2.1.10).
 *
 * IMPLEMENTATION NOTES
 * - Store: anchors are kept as DER with the FNV-1a hash of their canonical
 *   subject (mt_x509_canon_name) in a chained hash table. Loading only splits
 *   PEM, decodes base64 and reads the outer TLVs up to the subject; an anchor
 *   is parsed the first time a candidate lookup hits it, and the result (or
 *   the failure) is cached in the entry.
 * - Building is a depth-first search from the leaf. At each step the
 *   candidates for the current certificate's issuer are the anchors and the
 *   presented intermediates whose subject matches its issuer name, ordered
 *   anchors first, then those whose subjectKeyIdentifier equals the
 *   authorityKeyIdentifier. A candidate already on the path is skipped (no
 *   loops), and every signature check is counted: after
 *   MT_X509_MAX_SIG_CHECKS the search stops, so hostile bundles (cycles, 100
 *   same-name CAs) cost a bounded amount of work.
 * - A path is complete when it reaches an anchor; then check_path() applies
 *   the RFC 5280 6.1 checks to the whole path. A failure backtracks, so an
 *   alternative issuer (cross-signature, second root) still gets its chance.
 * - Error choice: failures are ranked (a complete path that failed a check
 *   beats a signature failure, which beats "no issuer"); the first failure of
 *   the best rank is reported with its depth (0 = leaf).
 * - path[0] is the leaf, path[len-1] the anchor.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asn1.h"
#include "err.h"
#include "pem.h"
#include "x509.h"

/* ---- trust store ---- */

typedef struct store_entry {
    uint8_t *der;
    size_t len;
    uint32_t hash; /* of the canonical subject */
    int next;      /* next entry in the bucket, -1 at the end */
    int failed;    /* parsing failed once: never a candidate */
    mt_x509 *cert; /* parsed on first use */
} store_entry;

#define STORE_BUCKETS 256

struct mt_x509_store {
    store_entry *e;
    size_t n, cap;
    int bucket[STORE_BUCKETS];
};

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    mt_rd r;
    uint8_t b;
    mt_rd_init(&r, p, n);
    while (mt_rd_u8(&r, &b) == 0) {
        h = (h ^ b) * 16777619u;
    }
    return h;
}

static int name_hash(const uint8_t *name, size_t len, uint32_t *h)
{
    mt_wr w;
    mt_wr_init_growable(&w, 1u << 20);
    int rc = mt_x509_canon_name(name, len, &w);
    if (rc == 0) {
        *h = fnv1a(w.p, w.len);
    }
    mt_wr_free(&w);
    return rc;
}

int mt_x509_store_new(mt_x509_store **out)
{
    mt_x509_store *s = calloc(1, sizeof(*s));
    ENSURE(s, NOMEM);
    for (int i = 0; i < STORE_BUCKETS; i++) {
        s->bucket[i] = -1;
    }
    *out = s;
    return 0;
}

void mt_x509_store_free(mt_x509_store *s)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].der);
        mt_x509_free(s->e[i].cert);
    }
    free(s->e);
    free(s);
}

size_t mt_x509_store_count(const mt_x509_store *s)
{
    return s->n;
}

/* The subject Name TLV of a certificate, reading only the TLVs before it. */
static int skim_subject(const uint8_t *der, size_t len, const uint8_t **subj, size_t *slen)
{
    mt_rd r, cert, tbs;
    mt_asn1_tlv t;
    int present;
    mt_rd_init(&r, der, len);
    GUARD(mt_asn1_expect(&r, MT_ASN1_SEQUENCE, &cert));
    GUARD(mt_rd_end(&r));
    GUARD(mt_asn1_expect(&cert, MT_ASN1_SEQUENCE, &tbs));
    GUARD(mt_asn1_optional(&tbs, MT_ASN1_CONTEXT | MT_ASN1_CONSTRUCTED | 0, &r, &present));
    GUARD(mt_asn1_next(&tbs, &t)); /* serial */
    GUARD(mt_asn1_next(&tbs, &t)); /* signature */
    GUARD(mt_asn1_next(&tbs, &t)); /* issuer */
    GUARD(mt_asn1_next(&tbs, &t)); /* validity */
    return mt_asn1_raw(&tbs, MT_ASN1_SEQUENCE, subj, slen);
}

int mt_x509_store_add_der(mt_x509_store *s, const uint8_t *der, size_t len)
{
    const uint8_t *subj;
    size_t slen;
    uint32_t h;
    if (skim_subject(der, len, &subj, &slen) < 0 || name_hash(subj, slen, &h) < 0) {
        return -MT_E_CERT_PARSE;
    }
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 16;
        store_entry *p = realloc(s->e, ncap * sizeof(*p));
        ENSURE(p, NOMEM);
        s->e = p;
        s->cap = ncap;
    }
    store_entry *e = &s->e[s->n];
    memset(e, 0, sizeof(*e));
    e->der = malloc(len);
    ENSURE(e->der, NOMEM);
    memcpy(e->der, der, len);
    e->len = len;
    e->hash = h;
    e->next = s->bucket[h % STORE_BUCKETS];
    s->bucket[h % STORE_BUCKETS] = (int)s->n;
    s->n++;
    return 0;
}

int mt_x509_store_add(mt_x509_store *s, const uint8_t *data, size_t len, size_t *added)
{
    size_t count = 0;
    int rc = 0;
    if (added) {
        *added = 0;
    }
    if (!mt_pem_is_pem(data, len)) {
        GUARD(mt_x509_store_add_der(s, data, len));
        count = 1;
    } else {
        mt_rd text;
        mt_wr der;
        char label[MT_PEM_MAX_LABEL + 1];
        mt_rd_init(&text, data, len);
        mt_wr_init_growable(&der, 1u << 24);
        while ((rc = mt_pem_next(&text, label, &der)) == 1) {
            if (strcmp(label, "CERTIFICATE") == 0) {
                rc = mt_x509_store_add_der(s, der.p, der.len);
                if (rc < 0) {
                    break;
                }
                count++;
            }
            mt_wr_reset(&der);
        }
        mt_wr_free(&der);
        GUARD(rc);
        ENSURE(count > 0, PEM_NONE);
    }
    if (added) {
        *added = count;
    }
    return 0;
}

int mt_x509_store_add_file(mt_x509_store *s, const char *path, size_t *added)
{
    FILE *f = fopen(path, "rb");
    ENSURE(f, INVALID_ARG);
    mt_wr w;
    uint8_t *chunk;
    int rc = 0;
    mt_wr_init_growable(&w, 1u << 28);
    for (;;) {
        rc = mt_wr_reserve(&w, 65536, &chunk);
        if (rc < 0) {
            break;
        }
        size_t got = fread(chunk, 1, 65536, f);
        w.len -= 65536 - got;
        if (got < 65536) {
            break;
        }
    }
    if (ferror(f)) {
        rc = -MT_E_INVALID_ARG;
    }
    fclose(f);
    if (rc == 0) {
        rc = mt_x509_store_add(s, w.p, w.len, added);
    }
    mt_wr_free(&w);
    return rc;
}

/* The parsed anchor of entry i, or NULL when it does not parse. */
static mt_x509 *store_cert(mt_x509_store *s, int i)
{
    store_entry *e = &s->e[i];
    if (!e->cert && !e->failed && mt_x509_parse(e->der, e->len, &e->cert) < 0) {
        e->failed = 1;
    }
    return e->cert;
}

/* ---- verification context ---- */

#define MAX_CANDIDATES 64

enum { RANK_NONE, RANK_NO_ISSUER, RANK_BUILD, RANK_PATH };

typedef struct vctx {
    const mt_x509_verify_opts *o;
    mt_x509 *const *chain;
    size_t n;
    mt_x509_store *store;
    mt_x509 *path[MT_X509_MAX_PATH];
    size_t len;
    int sig_checks;
    int err, err_depth, err_rank;
    int max_depth;
    size_t nc_work;
} vctx;

static void note(vctx *v, int rank, int err, size_t depth)
{
    if (rank > v->err_rank) {
        v->err_rank = rank;
        v->err = err;
        v->err_depth = (int)depth;
    }
}

static int same_cert(const mt_x509 *a, const mt_x509 *b)
{
    return a == b || (a->der_len == b->der_len && memcmp(a->der, b->der, a->der_len) == 0);
}

static int on_path(const vctx *v, const mt_x509 *c)
{
    for (size_t i = 0; i < v->len; i++) {
        if (same_cert(v->path[i], c)) {
            return 1;
        }
    }
    return 0;
}

static int is_anchor(vctx *v, const mt_x509 *c)
{
    uint32_t h;
    if (!v->store || name_hash(c->subject, c->subject_len, &h) < 0) {
        return 0;
    }
    for (int i = v->store->bucket[h % STORE_BUCKETS]; i >= 0; i = v->store->e[i].next) {
        const store_entry *e = &v->store->e[i];
        if (e->len == c->der_len && memcmp(e->der, c->der, e->len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Key sizes below which we refuse keys (Debian's OpenSSL security level 2 does too). */
#define MIN_RSA_BITS 2048
#define MIN_DSA_BITS 2048

static int weak_key(const mt_key *k)
{
    mt_key_type t = mt_key_type_of(k);
    return (t == MT_KEY_RSA && mt_key_bits(k) < MIN_RSA_BITS) ||
           (t == MT_KEY_DSA && mt_key_bits(k) < MIN_DSA_BITS);
}

/* Check that `issuer` signed `child`. Counts against the budget. */
static int check_sig(vctx *v, const mt_x509 *child, const mt_x509 *issuer)
{
    mt_key *k = NULL;
    ENSURE(v->sig_checks < MT_X509_MAX_SIG_CHECKS, CERT_CHAIN_TOO_LONG);
    v->sig_checks++;
    /* Refuse MD5 always and SHA-1 unless allowed, before any cryptography. */
    ENSURE(child->sig_alg.hash != MT_HASH_MD5, CERT_WEAK_SIGNATURE);
    ENSURE(child->sig_alg.hash != MT_HASH_SHA1 || v->o->allow_sha1, CERT_WEAK_SIGNATURE);
    ENSURE(child->sig_alg.kind != MT_SIG_NONE, CERT_SIGNATURE);
    ENSURE(mt_key_from_spki(issuer->spki, issuer->spki_len, &k) == 0, CERT_SIGNATURE);
    int rc =
        mt_key_verify(k, child->sig_alg, child->tbs, child->tbs_len, child->sig, child->sig_len);
    int weak = weak_key(k);
    mt_key_free(k);
    ENSURE(rc == 0, CERT_SIGNATURE);
    ENSURE(!weak, CERT_WEAK_KEY);
    return 0;
}

/* ---- name constraints (RFC 5280 4.2.1.10) ---- */

static int lc(int ch)
{
    return (ch >= 'A' && ch <= 'Z') ? ch + 32 : ch;
}

static int ieq(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (lc(a[i]) != lc(b[i])) {
            return 0;
        }
    }
    return 1;
}

/* Drop one trailing dot. */
static size_t trim_dot(const uint8_t *p, size_t n)
{
    return (n > 0 && p[n - 1] == '.') ? n - 1 : n;
}

/* 1 if host name d equals constraint c or ends with "." + c (an empty c matches all). */
static int dns_within(const uint8_t *d, size_t dn, const uint8_t *c, size_t cn)
{
    dn = trim_dot(d, dn);
    cn = trim_dot(c, cn);
    if (cn == 0) {
        return 1;
    }
    if (dn == cn) {
        return ieq(d, c, cn);
    }
    return dn > cn && d[dn - cn - 1] == '.' && ieq(d + dn - cn, c, cn);
}

static size_t count_labels(const uint8_t *p, size_t n)
{
    size_t k = n ? 1 : 0;
    for (size_t i = 0; i < n; i++) {
        k += p[i] == '.';
    }
    return k;
}

/* A SAN dNSName usable for constraint checks: LDH labels, optional leading "*." */
static int dns_valid(const uint8_t *p, size_t n)
{
    size_t len = 0;
    n = trim_dot(p, n);
    if (n == 0) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        int ch = p[i];
        if (ch == '.') {
            if (len == 0) {
                return 0;
            }
            len = 0;
            continue;
        }
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '-' || ch == '_' || (ch == '*' && i == 0 && n > 1 && p[1] == '.');
        if (!ok) {
            return 0;
        }
        len++;
    }
    return len > 0;
}

/*
 * DNS name (maybe "*.base") against constraint c. For a wildcard, `permitted` asks whether
 * every name it matches lies within c; otherwise whether some name it matches does (so an
 * excluded subtree inside the wildcard's reach excludes it: CVE-2025-61727).
 */
static int dns_match(const uint8_t *d, size_t dn, const uint8_t *c, size_t cn, int permitted)
{
    if (dn >= 2 && d[0] == '*' && d[1] == '.') {
        const uint8_t *base = d + 2;
        size_t bn = trim_dot(base, dn - 2);
        size_t ccn = trim_dot(c, cn);
        if (dns_within(base, bn, c, cn)) {
            return 1;
        }
        if (permitted) {
            return 0;
        }
        /* c == "<label>.base": some name the wildcard matches is c itself. */
        return ccn > bn && dns_within(c, ccn, base, bn) &&
               count_labels(c, ccn) == count_labels(base, bn) + 1;
    }
    return dns_within(d, dn, c, cn);
}

static int ip_match(const uint8_t *a, size_t an, const uint8_t *c, size_t cn)
{
    if (cn != 2 * an) {
        return 0;
    }
    for (size_t i = 0; i < an; i++) {
        if ((a[i] & c[an + i]) != (c[i] & c[an + i])) {
            return 0;
        }
    }
    return 1;
}

/* Position of the single '@' of a mailbox, or -1 when it is not local@domain. */
static long mailbox_at(const uint8_t *p, size_t n)
{
    long at = -1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '@') {
            if (at >= 0) {
                return -1;
            }
            at = (long)i;
        }
    }
    return (at > 0 && (size_t)at + 1 < n) ? at : -1;
}

static int email_match(const uint8_t *e, size_t en, const uint8_t *c, size_t cn)
{
    long at = mailbox_at(e, en);
    if (at < 0) {
        return 0;
    }
    const uint8_t *dom = e + at + 1;
    size_t dn = en - (size_t)at - 1;
    if (mailbox_at(c, cn) >= 0) {
        /* A particular mailbox: local part exact, domain case-insensitive. */
        long cat = mailbox_at(c, cn);
        return cat == at && memcmp(e, c, (size_t)at) == 0 && dn == cn - (size_t)cat - 1 &&
               ieq(dom, c + cat + 1, dn);
    }
    if (cn > 0 && c[0] == '.') {
        return dn > cn && ieq(dom + dn - cn, c, cn);
    }
    return dn == cn && ieq(dom, c, cn);
}

/* The host of a URI "scheme://[user@]host[:port][/...]", or 0 when it has none. */
static int uri_host(const uint8_t *u, size_t n, const uint8_t **h, size_t *hn)
{
    size_t i = 0;
    while (i < n && u[i] != ':') {
        i++;
    }
    if (i + 2 >= n || u[i + 1] != '/' || u[i + 2] != '/') {
        return 0;
    }
    size_t start = i + 3, end = start;
    while (end < n && u[end] != '/' && u[end] != '?' && u[end] != '#') {
        end++;
    }
    for (size_t k = start; k < end; k++) {
        if (u[k] == '@') {
            start = k + 1;
        }
    }
    size_t stop = start;
    while (stop < end && u[stop] != ':') {
        stop++;
    }
    *h = u + start;
    *hn = stop - start;
    return *hn > 0;
}

static int uri_match(const uint8_t *u, size_t un, const uint8_t *c, size_t cn)
{
    const uint8_t *h;
    size_t hn;
    if (!uri_host(u, un, &h, &hn)) {
        return 0;
    }
    if (cn > 0 && c[0] == '.') {
        return hn > cn && ieq(h + hn - cn, c, cn);
    }
    return hn == cn && ieq(h, c, cn);
}

/* directoryName: the constraint's RDNs are a prefix of the name's RDNs. */
static int dn_match(const uint8_t *name, size_t nn, const uint8_t *c, size_t cn)
{
    mt_rd rn, rc, sn, sc, rdn_n, rdn_c;
    int ok = 1;
    mt_rd_init(&rn, name, nn);
    mt_rd_init(&rc, c, cn);
    if (mt_asn1_expect(&rn, MT_ASN1_SEQUENCE, &sn) < 0 ||
        mt_asn1_expect(&rc, MT_ASN1_SEQUENCE, &sc) < 0) {
        return 0;
    }
    while (ok && mt_rd_left(&sc) > 0) {
        mt_wr a, b;
        if (mt_asn1_expect(&sc, MT_ASN1_SET, &rdn_c) < 0 ||
            mt_asn1_expect(&sn, MT_ASN1_SET, &rdn_n) < 0) {
            return 0;
        }
        const uint8_t *pa, *pb;
        size_t la = mt_rd_left(&rdn_c), lb = mt_rd_left(&rdn_n);
        if (mt_rd_borrow(&rdn_c, la, &pa) < 0 || mt_rd_borrow(&rdn_n, lb, &pb) < 0) {
            return 0;
        }
        mt_wr_init_growable(&a, 1u << 20);
        mt_wr_init_growable(&b, 1u << 20);
        /* Compare the canonical forms of a one-RDN Name built around each SET. */
        mt_asn1_mark ma, mb;
        ok = mt_asn1_open(&a, MT_ASN1_SEQUENCE, &ma) == 0 &&
             mt_asn1_w_tlv(&a, MT_ASN1_SET, pa, la) == 0 && mt_asn1_close(&a, &ma) == 0 &&
             mt_asn1_open(&b, MT_ASN1_SEQUENCE, &mb) == 0 &&
             mt_asn1_w_tlv(&b, MT_ASN1_SET, pb, lb) == 0 && mt_asn1_close(&b, &mb) == 0 &&
             mt_x509_name_eq(a.p, a.len, b.p, b.len);
        mt_wr_free(&a);
        mt_wr_free(&b);
    }
    return ok;
}

/* One name of type `type` against every subtree of that type in `subtrees`.
 * Returns 1 if some subtree matches, 0 if none, and *seen = 1 if the type occurs. */
static int subtrees_match(vctx *v, const uint8_t *subtrees, size_t len, int type, const uint8_t *p,
                          size_t n, int permitted, int *seen)
{
    mt_rd it;
    mt_x509_gn gn;
    *seen = 0;
    mt_rd_init(&it, subtrees, len);
    while (mt_x509_subtree_next(&it, &gn) == 1) {
        if (gn.type != type) {
            continue;
        }
        *seen = 1;
        if (++v->nc_work > MT_X509_MAX_NC_CHECKS) {
            return -1;
        }
        int m;
        switch (type) {
        case MT_GN_DNS:
            m = dns_match(p, n, gn.value, gn.len, permitted);
            break;
        case MT_GN_IP:
            m = ip_match(p, n, gn.value, gn.len);
            break;
        case MT_GN_EMAIL:
            m = email_match(p, n, gn.value, gn.len);
            break;
        case MT_GN_URI:
            m = uri_match(p, n, gn.value, gn.len);
            break;
        case MT_GN_DIRNAME:
            m = dn_match(p, n, gn.value, gn.len);
            break;
        default:
            m = 1; /* a form we cannot compare: treated as matching (see name_ok) */
            break;
        }
        if (m) {
            return 1;
        }
    }
    return 0;
}

/* RFC 5280 6.1.3 (b), (c): the name is within the permitted subtrees of its type (if any)
 * and in none of the excluded ones. Forms we cannot compare are refused when constrained. */
static int name_ok(vctx *v, const mt_x509 *ca, int type, const uint8_t *p, size_t n)
{
    int seen, m;
    int comparable = type == MT_GN_DNS || type == MT_GN_IP || type == MT_GN_EMAIL ||
                     type == MT_GN_URI || type == MT_GN_DIRNAME;
    if (ca->nc_excluded) {
        m = subtrees_match(v, ca->nc_excluded, ca->nc_excluded_len, type, p, n, 0, &seen);
        if (m != 0 || (seen && !comparable)) {
            return 0;
        }
    }
    if (ca->nc_permitted) {
        m = subtrees_match(v, ca->nc_permitted, ca->nc_permitted_len, type, p, n, 1, &seen);
        if (m < 0 || (seen && (m == 0 || !comparable))) {
            return 0;
        }
    }
    /* A constrained form whose name is malformed cannot be shown to comply. */
    if (type == MT_GN_DNS && !dns_valid(p, n)) {
        int s1 = 0, s2 = 0;
        if (ca->nc_permitted) {
            (void)subtrees_match(v, ca->nc_permitted, ca->nc_permitted_len, type, p, 0, 1, &s1);
        }
        if (ca->nc_excluded) {
            (void)subtrees_match(v, ca->nc_excluded, ca->nc_excluded_len, type, p, 0, 0, &s2);
        }
        return !(s1 || s2);
    }
    if (type == MT_GN_EMAIL && mailbox_at(p, n) < 0) {
        return 0;
    }
    return 1;
}

/* A CN that looks like a host name (for constraints on certificates without SANs). */
static int cn_is_host(const mt_x509_attr *a)
{
    if (a->tag != MT_ASN1_UTF8_STRING && a->tag != MT_ASN1_PRINTABLE_STRING &&
        a->tag != MT_ASN1_IA5_STRING) {
        return 0;
    }
    int dot = 0;
    for (size_t i = 0; i < a->len; i++) {
        dot |= a->value[i] == '.';
    }
    return dot && dns_valid(a->value, a->len);
}

/* Every name of `c` against the constraints of `ca`. */
static int check_nc(vctx *v, const mt_x509 *ca, const mt_x509 *c, int is_leaf)
{
    mt_rd it;
    mt_x509_gn gn;
    mt_x509_name_iter ni;
    mt_x509_attr a;
    mt_rd_init(&it, c->san, c->san_len);
    while (mt_x509_gn_next(&it, &gn) == 1) {
        ENSURE(name_ok(v, ca, gn.type, gn.value, gn.len), CERT_NAME_CONSTRAINTS);
    }
    /* RFC 5280 4.2.1.10: directoryName constraints apply to the subject; rfc822Name
     * constraints to emailAddress attributes of the subject. */
    if (c->subject_len > 2) {
        ENSURE(name_ok(v, ca, MT_GN_DIRNAME, c->subject, c->subject_len), CERT_NAME_CONSTRAINTS);
    }
    GUARD(mt_x509_name_iter_init(&ni, c->subject, c->subject_len));
    while (mt_x509_name_next(&ni, &a) == 1) {
        if (a.short_name && strcmp(a.short_name, "emailAddress") == 0) {
            ENSURE(name_ok(v, ca, MT_GN_EMAIL, a.value, a.len), CERT_NAME_CONSTRAINTS);
        }
        /* Without SANs a leaf's host-name CN is what clients match: constrain it too. */
        if (is_leaf && !c->san && a.short_name && strcmp(a.short_name, "CN") == 0 &&
            cn_is_host(&a)) {
            ENSURE(name_ok(v, ca, MT_GN_DNS, a.value, a.len), CERT_NAME_CONSTRAINTS);
        }
    }
    return 0;
}

/* ---- per-certificate checks on a complete path ---- */

static int strict_checks(const mt_x509 *c, int issuer, int anchor)
{
    mt_rd r;
    uint8_t first;
    /* RFC 5280 4.1.2.2: serial positive, at most 20 octets (anchors are taken as given:
     * some roots in use have serial 0). */
    mt_rd_init(&r, c->serial, c->serial_len);
    if (!anchor) {
        ENSURE(c->serial_len <= 20 && mt_rd_u8(&r, &first) == 0 && !(first & 0x80), CERT_INVALID);
        ENSURE(!(c->serial_len == 1 && first == 0), CERT_INVALID);
    }
    /* RFC 5280 4.1.2.4: the issuer field MUST contain a non-empty name. */
    ENSURE(c->issuer_len > 2, CERT_INVALID);
    /* RFC 5280 4.2.1.1 / 4.2.1.2: AKI and SKI non-critical; AKI keyIdentifier required
     * except in self-signed certificates; SKI required in CA certificates. */
    ENSURE(!(c->ext_critical & (MT_EXT_AKI | MT_EXT_SKI)), CERT_INVALID);
    ENSURE(c->self_issued || anchor || c->aki, CERT_INVALID);
    ENSURE(!issuer || c->ski, CERT_INVALID);
    if (issuer) {
        /* RFC 5280 4.1.2.6: a CA's subject is non-empty; 4.2.1.9: BC critical in CAs. */
        ENSURE(c->subject_len > 2, CERT_INVALID);
        ENSURE(c->ext_critical & MT_EXT_BC, CERT_INVALID);
        /* RFC 5280 4.2.1.10 and 4.2.1.11: nameConstraints and policyConstraints MUST be
         * critical. */
        ENSURE(!(c->ext_present & MT_EXT_NC) || (c->ext_critical & MT_EXT_NC), CERT_INVALID);
        ENSURE(!(c->ext_present & MT_EXT_PC) || (c->ext_critical & MT_EXT_PC), CERT_INVALID);
    } else {
        /* RFC 5280 4.2.1.10: nameConstraints MUST be used only in a CA certificate. */
        ENSURE(!(c->ext_present & MT_EXT_NC) || c->is_ca, CERT_INVALID);
    }
    /* RFC 5280 4.2.1.6: an empty subject requires a critical subjectAltName. */
    ENSURE(c->subject_len > 2 || (c->ext_critical & MT_EXT_SAN), CERT_INVALID);
    /* RFC 5280 4.2.1.3: keyCertSign only with cA. */
    ENSURE(!(c->ext_present & MT_EXT_KU) || !(c->key_usage & MT_KU_KEY_CERT_SIGN) || c->is_ca,
           CERT_INVALID);
    return 0;
}

static int check_eku(const vctx *v, const mt_x509 *c)
{
    unsigned want = v->o->purpose == MT_X509_PURPOSE_SERVER   ? MT_EKU_SERVER
                    : v->o->purpose == MT_X509_PURPOSE_CLIENT ? MT_EKU_CLIENT
                                                              : 0;
    if (!want || !(c->ext_present & MT_EXT_EKU)) {
        return 0;
    }
    /* RFC 5280 4.2.1.12; anyExtendedKeyUsage accepted as OpenSSL does. */
    ENSURE(c->eku & (want | MT_EKU_ANY), CERT_PURPOSE);
    return 0;
}

static int check_cert(vctx *v, size_t i, size_t below)
{
    const mt_x509 *c = v->path[i];
    int anchor = i == v->len - 1;
    /* RFC 5280 6.1.3 (a)(2): the validity period includes the validation time. OpenSSL also
     * checks the anchor's, and so do we. */
    ENSURE(v->o->time >= c->not_before, CERT_NOT_YET_VALID);
    ENSURE(v->o->time <= c->not_after, CERT_EXPIRED);
    /* RFC 5280 4.2: unrecognised critical extensions make the certificate unusable. */
    ENSURE(!c->unknown_critical, CERT_CRITICAL);
    if (i > 0) {
        /* RFC 5280 6.1.4 (k): an issuer must be a CA (basicConstraints cA). A v1 anchor is
         * taken as a CA, as OpenSSL does, unless strict. */
        int v1_anchor = anchor && c->version < 3 && c->self_issued && !v->o->strict;
        ENSURE((c->ext_present & MT_EXT_BC && c->is_ca) || v1_anchor, CERT_NOT_CA);
        /* RFC 5280 6.1.4 (m): non-self-issued intermediates below this CA <= pathLen. */
        ENSURE(c->pathlen < 0 || below <= (size_t)c->pathlen, CERT_PATHLEN);
        /* RFC 5280 6.1.4 (n): keyCertSign when keyUsage is present. */
        ENSURE(!(c->ext_present & MT_EXT_KU) || (c->key_usage & MT_KU_KEY_CERT_SIGN),
               CERT_KEY_USAGE);
    }
    GUARD(check_eku(v, c));
    if (v->o->strict) {
        GUARD(strict_checks(c, i > 0, anchor && i > 0));
    }
    return 0;
}

static int check_leaf_key(const mt_x509 *c)
{
    mt_key *k = NULL;
    /* A key we cannot load (P-192, explicit curve parameters, ...) cannot be used. */
    ENSURE(mt_key_from_spki(c->spki, c->spki_len, &k) == 0, KEY_UNSUPPORTED);
    int weak = weak_key(k);
    mt_key_free(k);
    ENSURE(!weak, CERT_WEAK_KEY);
    return 0;
}

static int check_names(vctx *v, size_t *depth)
{
    for (size_t i = 1; i < v->len; i++) {
        const mt_x509 *ca = v->path[i];
        if (!(ca->ext_present & MT_EXT_NC)) {
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            /* RFC 5280 6.1.3 (b): not applied to self-issued intermediates. */
            if (j > 0 && v->path[j]->self_issued) {
                continue;
            }
            *depth = j;
            GUARD(check_nc(v, ca, v->path[j], j == 0));
        }
    }
    return 0;
}

static int inet_pton_ip(const char *text, uint8_t addr[16])
{
    return inet_pton(AF_INET, text, addr) == 1 || inet_pton(AF_INET6, text, addr) == 1;
}

static int check_identity(vctx *v)
{
    const mt_x509 *leaf = v->path[0];
    if (v->o->host) {
        uint8_t tmp[16];
        int is_ip = inet_pton_ip(v->o->host, tmp);
        if (is_ip) {
            ENSURE(mt_x509_check_ip(leaf, v->o->host), CERT_IP);
        } else {
            ENSURE(mt_x509_check_host(leaf, v->o->host, !v->o->no_cn_fallback), CERT_HOSTNAME);
        }
    }
    if (v->o->ip) {
        ENSURE(mt_x509_check_ip(leaf, v->o->ip), CERT_IP);
    }
    return 0;
}

/* All RFC 5280 6.1 checks on the complete path; on failure *depth names the certificate. */
static int check_path(vctx *v, size_t *depth)
{
    size_t below = 0;
    for (size_t i = 0; i < v->len; i++) {
        *depth = i;
        GUARD(check_cert(v, i, below));
        if (i > 0 && !v->path[i]->self_issued) {
            below++;
        }
    }
    *depth = 0;
    GUARD(check_leaf_key(v->path[0]));
    GUARD(check_names(v, depth));
    *depth = 0;
    return check_identity(v);
}

/* ---- path building ---- */

typedef struct cand {
    mt_x509 *c;
    int anchor;
    int score;
} cand;

static int aki_score(const mt_x509 *child, const mt_x509 *issuer)
{
    if (!child->aki || !issuer->ski) {
        return 1;
    }
    return (child->aki_len == issuer->ski_len &&
            memcmp(child->aki, issuer->ski, child->aki_len) == 0)
               ? 2
               : 0;
}

static size_t collect(vctx *v, const mt_x509 *cur, cand *out)
{
    size_t k = 0;
    uint32_t h;
    if (v->store && name_hash(cur->issuer, cur->issuer_len, &h) == 0) {
        for (int i = v->store->bucket[h % STORE_BUCKETS]; i >= 0 && k < MAX_CANDIDATES;
             i = v->store->e[i].next) {
            if (v->store->e[i].hash != h) {
                continue;
            }
            mt_x509 *c = store_cert(v->store, i);
            if (c && mt_x509_name_eq(c->subject, c->subject_len, cur->issuer, cur->issuer_len)) {
                out[k++] = (cand){c, 1, 4 + aki_score(cur, c)};
            }
        }
    }
    for (size_t i = 1; i < v->n && k < MAX_CANDIDATES; i++) {
        mt_x509 *c = v->chain[i];
        if (mt_x509_name_eq(c->subject, c->subject_len, cur->issuer, cur->issuer_len) &&
            !is_anchor(v, c)) {
            out[k++] = (cand){c, 0, aki_score(cur, c)};
        }
    }
    /* Stable insertion sort by score, highest first. */
    for (size_t i = 1; i < k; i++) {
        cand t = out[i];
        size_t j = i;
        while (j > 0 && out[j - 1].score < t.score) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = t;
    }
    return k;
}

static size_t intermediates_counted(const vctx *v)
{
    size_t n = 0;
    for (size_t i = 1; i < v->len; i++) {
        n += !v->path[i]->self_issued;
    }
    return n;
}

static int finish(vctx *v)
{
    size_t depth = 0;
    v->nc_work = 0;
    int rc = check_path(v, &depth);
    if (rc < 0) {
        note(v, RANK_PATH, rc, depth);
    }
    return rc;
}

static int build(vctx *v)
{
    mt_x509 *cur = v->path[v->len - 1];
    cand cands[MAX_CANDIDATES];
    size_t k = collect(v, cur, cands);
    int tried = 0;
    for (size_t i = 0; i < k; i++) {
        cand *cd = &cands[i];
        if (on_path(v, cd->c)) {
            continue;
        }
        tried = 1;
        if (v->len + 1 > MT_X509_MAX_PATH) {
            note(v, RANK_BUILD, -MT_E_CERT_CHAIN_TOO_LONG, v->len - 1);
            return -1;
        }
        v->path[v->len++] = cd->c;
        if (!cd->anchor && intermediates_counted(v) > (size_t)v->max_depth) {
            v->len--;
            note(v, RANK_BUILD, -MT_E_CERT_CHAIN_TOO_LONG, v->len);
            continue;
        }
        int rc = check_sig(v, cur, cd->c);
        if (rc < 0) {
            v->len--;
            note(v, RANK_BUILD, rc, v->len - 1);
            if (rc == -MT_E_CERT_CHAIN_TOO_LONG) {
                return rc;
            }
            continue;
        }
        rc = cd->anchor ? finish(v) : build(v);
        if (rc == 0) {
            return 0;
        }
        v->len--;
        if (v->sig_checks >= MT_X509_MAX_SIG_CHECKS) {
            return rc;
        }
    }
    if (!tried) {
        /* Nothing issued this certificate: which message fits best? */
        int err = -MT_E_CERT_NO_ISSUER;
        if (cur->self_issued) {
            err = v->len == 1 ? -MT_E_CERT_SELF_SIGNED : -MT_E_CERT_UNTRUSTED_ROOT;
        }
        note(v, RANK_NO_ISSUER, err, v->len - 1);
    }
    return -1;
}

int mt_x509_verify(mt_x509 *const *chain, size_t n, mt_x509_store *store,
                   const mt_x509_verify_opts *opts, int *fail_depth)
{
    vctx v;
    ENSURE(n > 0 && chain && opts, INVALID_ARG);
    memset(&v, 0, sizeof(v));
    v.o = opts;
    v.chain = chain;
    v.n = n;
    v.store = store;
    v.max_depth = opts->max_depth < 0 ? 10 : opts->max_depth;
    v.path[0] = chain[0];
    v.len = 1;
    v.err = -MT_E_CERT_NO_ISSUER;
    /* A leaf that is itself an anchor is trusted as such. */
    if (is_anchor(&v, chain[0]) && finish(&v) == 0) {
        return 0;
    }
    if (build(&v) == 0) {
        return 0;
    }
    if (fail_depth) {
        *fail_depth = v.err_depth;
    }
    return v.err;
}
