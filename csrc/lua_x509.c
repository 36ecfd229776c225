/*
 * moontls.Certificate and moontls.TrustStore -- X.509 certificates (x509.h).
 *
 * core.x509_load(pem_or_der) -> {Certificate...} | nil, message, code
 * core.store_new() -> TrustStore; store:add(pem_or_der), store:add_file(path), store:count()
 * core.x509_verify({leaf, intermediates...}, store|nil, opts) -> true | nil, message, depth, code
 * core.Certificate: the method table, so lua/moontls/x509.lua can add Lua methods.
 */
#include <arpa/inet.h>
#include <nettle/nettle-meta.h>
#include <stdlib.h>
#include <string.h>

#include "asn1.h"
#include "err.h"
#include "keys.h"
#include "lua_common.h"
#include "pem.h"
#include "x509.h"

#define TEXT_MAX (1u << 24)

typedef struct {
    mt_lua_obj h;
    mt_x509 *c;
} cert_obj;

typedef struct {
    mt_lua_obj h;
    mt_x509_store *s;
} store_obj;

static void cert_release(cert_obj *o)
{
    mt_x509_free(o->c);
    o->c = NULL;
    o->h.open = 0;
}

static void store_release(store_obj *o)
{
    mt_x509_store_free(o->s);
    o->s = NULL;
    o->h.open = 0;
}

static mt_x509 *check_cert(lua_State *L, int idx)
{
    return ((cert_obj *)mt_lua_check_open(L, idx, MT_CERTIFICATE_T))->c;
}

/* Push the bytes of a growable writer and free it; raises on a failed writer after freeing. */
static int push_wr(lua_State *L, mt_wr *w, int rc)
{
    if (rc < 0) {
        mt_wr_free(w);
        return mt_lua_fail(L, rc);
    }
    lua_pushlstring(L, (const char *)w->p, w->len);
    mt_wr_free(w);
    return 1;
}

/* core.x509_load(data) */
static int x509_load(lua_State *L)
{
    size_t len, n;
    const char *data = luaL_checklstring(L, 1, &len);
    mt_x509 **list;
    int rc = mt_x509_parse_all((const uint8_t *)data, len, &list, &n);
    if (rc < 0) {
        return mt_lua_fail(L, rc);
    }
    /* Objects are created closed first, then take ownership one by one. */
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        cert_obj *o = mt_lua_new(L, MT_CERTIFICATE_T, sizeof(*o), 0);
        o->c = list[i];
        list[i] = NULL;
        o->h.open = 1;
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    free(list);
    return 1;
}

/* Push a Name as {{"CN", "x"}, ...} and its one-line text. */
static int push_name(lua_State *L, const uint8_t *name, size_t len)
{
    mt_x509_name_iter it;
    mt_x509_attr a;
    mt_wr w;
    int rc, i = 0;
    GUARD(mt_x509_name_iter_init(&it, name, len));
    lua_newtable(L);
    while ((rc = mt_x509_name_next(&it, &a)) == 1) {
        char oid[128];
        lua_createtable(L, 2, 0);
        if (a.short_name) {
            lua_pushstring(L, a.short_name);
        } else if (mt_asn1_oid_text(a.oid, a.oid_len, oid, sizeof(oid)) == 0) {
            lua_pushstring(L, oid);
        } else {
            lua_pushstring(L, "?");
        }
        lua_rawseti(L, -2, 1);
        mt_wr_init_growable(&w, TEXT_MAX);
        rc = mt_x509_attr_utf8(&a, &w);
        if (rc < 0) {
            mt_wr_free(&w);
            return rc;
        }
        lua_pushlstring(L, (const char *)w.p, w.len);
        mt_wr_free(&w);
        lua_rawseti(L, -2, 2);
        lua_rawseti(L, -2, ++i);
    }
    GUARD(rc);
    mt_wr_init_growable(&w, TEXT_MAX);
    rc = mt_x509_name_text(name, len, &w);
    if (rc < 0) {
        mt_wr_free(&w);
        return rc;
    }
    lua_pushlstring(L, (const char *)w.p, w.len);
    mt_wr_free(&w);
    return 0;
}

static int cert_subject(lua_State *L)
{
    mt_x509 *c = check_cert(L, 1);
    int rc = push_name(L, c->subject, c->subject_len);
    return rc < 0 ? mt_lua_fail(L, rc) : 2;
}

/* subject_der() -> the DER Name, as CertificateRequest's certificate_authorities carry it */
static int cert_subject_der(lua_State *L)
{
    mt_x509 *c = check_cert(L, 1);
    lua_pushlstring(L, (const char *)c->subject, c->subject_len);
    return 1;
}

static int cert_issuer(lua_State *L)
{
    mt_x509 *c = check_cert(L, 1);
    int rc = push_name(L, c->issuer, c->issuer_len);
    return rc < 0 ? mt_lua_fail(L, rc) : 2;
}

static void push_hex(lua_State *L, const uint8_t *p, size_t n, const char *sep)
{
    static const char hex[] = "0123456789ABCDEF";
    luaL_Buffer b;
    mt_rd r;
    uint8_t v;
    int first = 1;
    luaL_buffinit(L, &b);
    mt_rd_init(&r, p, n);
    while (mt_rd_u8(&r, &v) == 0) {
        if (!first && sep) {
            luaL_addstring(&b, sep);
        }
        first = 0;
        luaL_addchar(&b, hex[v >> 4]);
        luaL_addchar(&b, hex[v & 15]);
    }
    luaL_pushresult(&b);
}

/* serial() -> upper-case hex of the INTEGER as encoded (leading 00 of positive serials
 * dropped, as `openssl x509 -serial` prints it). */
static int cert_serial(lua_State *L)
{
    mt_x509 *c = check_cert(L, 1);
    mt_rd r;
    const uint8_t *p;
    uint8_t first;
    size_t n = c->serial_len;
    mt_rd_init(&r, c->serial, n);
    if (n > 1 && mt_rd_u8(&r, &first) == 0 && first == 0) {
        n--;
    } else {
        mt_rd_init(&r, c->serial, n);
    }
    if (mt_rd_borrow(&r, n, &p) < 0) {
        return mt_lua_fail(L, -MT_E_INTERNAL);
    }
    push_hex(L, p, n, NULL);
    return 1;
}

static int cert_not_before(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check_cert(L, 1)->not_before);
    return 1;
}

static int cert_not_after(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check_cert(L, 1)->not_after);
    return 1;
}

static int cert_version(lua_State *L)
{
    lua_pushinteger(L, check_cert(L, 1)->version);
    return 1;
}

static int cert_sigalg(lua_State *L)
{
    lua_pushstring(L, mt_x509_sigalg_name(check_cert(L, 1)));
    return 1;
}

static int cert_der(lua_State *L)
{
    mt_x509 *c = check_cert(L, 1);
    lua_pushlstring(L, (const char *)c->der, c->der_len);
    return 1;
}

static int cert_spki(lua_State *L)
{
    mt_x509 *c = check_cert(L, 1);
    lua_pushlstring(L, (const char *)c->spki, c->spki_len);
    return 1;
}

static int cert_pem(lua_State *L)
{
    mt_x509 *c = check_cert(L, 1);
    mt_wr w;
    mt_wr_init_growable(&w, TEXT_MAX);
    return push_wr(L, &w, mt_pem_write(&w, "CERTIFICATE", c->der, c->der_len));
}

/* fingerprint("sha256"|"sha1"|...) -> upper-case hex with colons, as openssl prints it. */
static int cert_fingerprint(lua_State *L)
{
    mt_x509 *c = check_cert(L, 1);
    const char *name = luaL_optstring(L, 2, "sha256");
    const struct nettle_hash *h = mt_hash_nettle(mt_hash_from_name(name));
    luaL_argcheck(L, h != NULL, 2, "unknown hash");
    uint8_t ctx[512], digest[64];
    luaL_argcheck(L, h->context_size <= sizeof(ctx) && h->digest_size <= sizeof(digest), 2,
                  "hash too large");
    h->init(ctx);
    h->update(ctx, c->der_len, c->der);
    h->digest(ctx, h->digest_size, digest);
    push_hex(L, digest, h->digest_size, ":");
    return 1;
}

static void push_gn_list(lua_State *L, const uint8_t *p, size_t n, int subtrees);

/* A GeneralName as a string: DNS, email, URI as is; IP as text; directoryName as text. */
static void push_gn_value(lua_State *L, const mt_x509_gn *gn)
{
    char buf[64];
    switch (gn->type) {
    case MT_GN_IP:
        if (gn->len == 4 || gn->len == 16) {
            inet_ntop(gn->len == 4 ? AF_INET : AF_INET6, gn->value, buf, sizeof(buf));
            lua_pushstring(L, buf);
        } else if (gn->len == 8 || gn->len == 32) {
            size_t half = gn->len / 2, bits = 0;
            mt_rd r;
            uint8_t b;
            inet_ntop(half == 4 ? AF_INET : AF_INET6, gn->value, buf, sizeof(buf));
            mt_rd_init(&r, gn->value, gn->len);
            int skipped = mt_rd_skip(&r, half);
            while (skipped == 0 && mt_rd_u8(&r, &b) == 0) {
                for (; b; b &= (uint8_t)(b - 1)) {
                    bits++;
                }
            }
            lua_pushfstring(L, "%s/%d", buf, (int)bits);
        } else {
            push_hex(L, gn->value, gn->len, NULL);
        }
        return;
    case MT_GN_DIRNAME: {
        mt_wr w;
        mt_wr_init_growable(&w, TEXT_MAX);
        if (mt_x509_name_text(gn->value, gn->len, &w) == 0) {
            lua_pushlstring(L, (const char *)w.p, w.len);
        } else {
            lua_pushliteral(L, "?");
        }
        mt_wr_free(&w);
        return;
    }
    case MT_GN_DNS:
    case MT_GN_EMAIL:
    case MT_GN_URI:
        lua_pushlstring(L, (const char *)gn->value, gn->len);
        return;
    default:
        push_hex(L, gn->value, gn->len, NULL);
        return;
    }
}

static const char *gn_key(int type)
{
    switch (type) {
    case MT_GN_DNS:
        return "dns";
    case MT_GN_IP:
        return "ip";
    case MT_GN_EMAIL:
        return "email";
    case MT_GN_URI:
        return "uri";
    case MT_GN_DIRNAME:
        return "dirname";
    default:
        return "other";
    }
}

/* Push {dns={...}, ip={...}, email={...}, uri={...}, dirname={...}, other={...}}. */
static void push_gn_list(lua_State *L, const uint8_t *p, size_t n, int subtrees)
{
    static const char *const keys[] = {"dns", "ip", "email", "uri", "dirname", "other"};
    mt_rd it;
    mt_x509_gn gn;
    lua_createtable(L, 0, 6);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        lua_newtable(L);
        lua_setfield(L, -2, keys[i]);
    }
    mt_rd_init(&it, p, n);
    while ((subtrees ? mt_x509_subtree_next(&it, &gn) : mt_x509_gn_next(&it, &gn)) == 1) {
        lua_getfield(L, -1, gn_key(gn.type));
        push_gn_value(L, &gn);
        lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
        lua_pop(L, 1);
    }
}

static int cert_san(lua_State *L)
{
    mt_x509 *c = check_cert(L, 1);
    push_gn_list(L, c->san, c->san_len, 0);
    return 1;
}

static void push_ku(lua_State *L, unsigned ku)
{
    static const char *const names[] = {"digitalSignature", "nonRepudiation", "keyEncipherment",
                                        "dataEncipherment", "keyAgreement",   "keyCertSign",
                                        "cRLSign",          "encipherOnly",   "decipherOnly"};
    int k = 0;
    lua_newtable(L);
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (ku & (1u << i)) {
            lua_pushstring(L, names[i]);
            lua_rawseti(L, -2, ++k);
        }
    }
}

static void push_eku(lua_State *L, const mt_x509 *c)
{
    mt_rd it;
    const uint8_t *oid;
    size_t n;
    int k = 0;
    lua_newtable(L);
    mt_rd_init(&it, c->eku_body, c->eku_len);
    while (mt_x509_eku_next(&it, &oid, &n) == 1) {
        const char *name = mt_x509_eku_name(oid, n);
        char buf[128];
        if (!name && mt_asn1_oid_text(oid, n, buf, sizeof(buf)) == 0) {
            name = buf;
        }
        lua_pushstring(L, name ? name : "?");
        lua_rawseti(L, -2, ++k);
    }
}

/* The decoded value of a known extension, or the raw value bytes. */
static void push_ext_value(lua_State *L, const mt_x509 *c, const char *name, const mt_x509_ext *e)
{
    if (!name) {
        lua_pushlstring(L, (const char *)e->value, e->len);
    } else if (strcmp(name, "basicConstraints") == 0) {
        lua_createtable(L, 0, 2);
        lua_pushboolean(L, c->is_ca);
        lua_setfield(L, -2, "ca");
        if (c->pathlen >= 0) {
            lua_pushinteger(L, c->pathlen);
            lua_setfield(L, -2, "pathlen");
        }
    } else if (strcmp(name, "keyUsage") == 0) {
        push_ku(L, c->key_usage);
    } else if (strcmp(name, "extendedKeyUsage") == 0) {
        push_eku(L, c);
    } else if (strcmp(name, "subjectAltName") == 0) {
        push_gn_list(L, c->san, c->san_len, 0);
    } else if (strcmp(name, "nameConstraints") == 0) {
        lua_createtable(L, 0, 2);
        if (c->nc_permitted) {
            push_gn_list(L, c->nc_permitted, c->nc_permitted_len, 1);
            lua_setfield(L, -2, "permitted");
        }
        if (c->nc_excluded) {
            push_gn_list(L, c->nc_excluded, c->nc_excluded_len, 1);
            lua_setfield(L, -2, "excluded");
        }
    } else if (strcmp(name, "subjectKeyIdentifier") == 0) {
        push_hex(L, c->ski, c->ski_len, ":");
    } else if (strcmp(name, "authorityKeyIdentifier") == 0) {
        lua_createtable(L, 0, 1);
        if (c->aki) {
            push_hex(L, c->aki, c->aki_len, ":");
            lua_setfield(L, -2, "keyid");
        }
    } else {
        lua_pushlstring(L, (const char *)e->value, e->len);
    }
}

/* extensions() -> {{oid=, name=, critical=, value=}, ...} in certificate order. */
static int cert_extensions(lua_State *L)
{
    mt_x509 *c = check_cert(L, 1);
    mt_rd it;
    mt_x509_ext e;
    int k = 0;
    lua_newtable(L);
    mt_rd_init(&it, c->exts, c->exts_len);
    while (mt_x509_ext_next(&it, &e) == 1) {
        char oid[128];
        const char *name = mt_x509_ext_name(e.oid, e.oid_len);
        lua_createtable(L, 0, 4);
        if (mt_asn1_oid_text(e.oid, e.oid_len, oid, sizeof(oid)) == 0) {
            lua_pushstring(L, oid);
            lua_setfield(L, -2, "oid");
        }
        if (name) {
            lua_pushstring(L, name);
            lua_setfield(L, -2, "name");
        }
        lua_pushboolean(L, e.critical);
        lua_setfield(L, -2, "critical");
        push_ext_value(L, c, name, &e);
        lua_setfield(L, -2, "value");
        lua_rawseti(L, -2, ++k);
    }
    return 1;
}

/* check_host(name, cn_fallback=true) / check_ip(addr) -> boolean */
static int cert_check_host(lua_State *L)
{
    mt_x509 *c = check_cert(L, 1);
    const char *host = luaL_checkstring(L, 2);
    int fallback = lua_isnoneornil(L, 3) ? 1 : lua_toboolean(L, 3);
    lua_pushboolean(L, mt_x509_check_host(c, host, fallback));
    return 1;
}

static int cert_check_ip(lua_State *L)
{
    mt_x509 *c = check_cert(L, 1);
    lua_pushboolean(L, mt_x509_check_ip(c, luaL_checkstring(L, 2)));
    return 1;
}

static int cert_close(lua_State *L)
{
    cert_release(luaL_checkudata(L, 1, MT_CERTIFICATE_T));
    return 0;
}

static int cert_closed(lua_State *L)
{
    cert_obj *o = luaL_checkudata(L, 1, MT_CERTIFICATE_T);
    lua_pushboolean(L, !o->h.open);
    return 1;
}

static int cert_tostring(lua_State *L)
{
    cert_obj *o = luaL_checkudata(L, 1, MT_CERTIFICATE_T);
    if (!o->h.open) {
        lua_pushliteral(L, MT_CERTIFICATE_T " (closed)");
        return 1;
    }
    mt_wr w;
    mt_wr_init_growable(&w, TEXT_MAX);
    int rc = mt_x509_name_text(o->c->subject, o->c->subject_len, &w);
    if (rc < 0) {
        mt_wr_free(&w);
        lua_pushliteral(L, MT_CERTIFICATE_T ": ?");
        return 1;
    }
    lua_pushliteral(L, MT_CERTIFICATE_T ": ");
    lua_pushlstring(L, (const char *)w.p, w.len);
    mt_wr_free(&w);
    lua_concat(L, 2);
    return 1;
}

/* ---- trust store ---- */

static int store_new(lua_State *L)
{
    store_obj *o = mt_lua_new(L, MT_TRUSTSTORE_T, sizeof(*o), 0);
    int rc = mt_x509_store_new(&o->s);
    if (rc < 0) {
        return mt_lua_fail(L, rc);
    }
    o->h.open = 1;
    return 1;
}

static int store_add(lua_State *L)
{
    store_obj *o = mt_lua_check_open(L, 1, MT_TRUSTSTORE_T);
    size_t len, added;
    int rc;
    if (lua_isuserdata(L, 2)) {
        mt_x509 *c = check_cert(L, 2);
        rc = mt_x509_store_add_der(o->s, c->der, c->der_len);
        added = 1;
    } else {
        const char *data = luaL_checklstring(L, 2, &len);
        rc = mt_x509_store_add(o->s, (const uint8_t *)data, len, &added);
    }
    if (rc < 0) {
        return mt_lua_fail(L, rc);
    }
    lua_pushinteger(L, (lua_Integer)added);
    return 1;
}

static int store_add_file(lua_State *L)
{
    store_obj *o = mt_lua_check_open(L, 1, MT_TRUSTSTORE_T);
    size_t added;
    int rc = mt_x509_store_add_file(o->s, luaL_checkstring(L, 2), &added);
    if (rc < 0) {
        return mt_lua_fail(L, rc);
    }
    lua_pushinteger(L, (lua_Integer)added);
    return 1;
}

static int store_count(lua_State *L)
{
    store_obj *o = mt_lua_check_open(L, 1, MT_TRUSTSTORE_T);
    lua_pushinteger(L, (lua_Integer)mt_x509_store_count(o->s));
    return 1;
}

static int store_close(lua_State *L)
{
    store_release(luaL_checkudata(L, 1, MT_TRUSTSTORE_T));
    return 0;
}

static int store_tostring(lua_State *L)
{
    store_obj *o = luaL_checkudata(L, 1, MT_TRUSTSTORE_T);
    if (!o->h.open) {
        lua_pushliteral(L, MT_TRUSTSTORE_T " (closed)");
    } else {
        lua_pushfstring(L, MT_TRUSTSTORE_T ": %d anchors", (int)mt_x509_store_count(o->s));
    }
    return 1;
}

/* ---- verification ---- */

static lua_Integer opt_int(lua_State *L, int t, const char *k, lua_Integer dflt)
{
    lua_getfield(L, t, k);
    lua_Integer v = lua_isnil(L, -1) ? dflt : luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    return v;
}

static int opt_bool(lua_State *L, int t, const char *k, int dflt)
{
    lua_getfield(L, t, k);
    int v = lua_isnil(L, -1) ? dflt : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

/* An optional string field, kept alive on the stack (pushed; the caller pops). */
static const char *opt_str(lua_State *L, int t, const char *k)
{
    lua_getfield(L, t, k);
    return lua_isnil(L, -1) ? NULL : luaL_checkstring(L, -1);
}

/* core.x509_verify(certs, store|nil, opts) */
static int x509_verify(lua_State *L)
{
    static const char *const purposes[] = {"any", "server", "client", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    mt_x509_store *store = NULL;
    if (!lua_isnil(L, 2)) {
        store = ((store_obj *)mt_lua_check_open(L, 2, MT_TRUSTSTORE_T))->s;
    }
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    luaL_argcheck(L, n >= 1 && n <= 1000, 1, "between 1 and 1000 certificates expected");
    mt_x509_verify_opts o;
    memset(&o, 0, sizeof(o));
    o.time = (int64_t)opt_int(L, 3, "time", 0);
    o.allow_sha1 = opt_bool(L, 3, "allow_sha1", 0);
    o.max_depth = (int)opt_int(L, 3, "max_depth", -1);
    o.no_cn_fallback = !opt_bool(L, 3, "cn_fallback", 1);
    o.strict = opt_bool(L, 3, "strict", 0);
    lua_getfield(L, 3, "purpose");
    o.purpose = luaL_checkoption(L, -1, "any", purposes);
    lua_pop(L, 1);
    o.host = opt_str(L, 3, "host"); /* stays on the stack until we return */
    o.ip = opt_str(L, 3, "ip");
    mt_x509 **chain = lua_newuserdatauv(L, (size_t)n * sizeof(*chain), 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        chain[i - 1] = check_cert(L, -1);
        lua_pop(L, 1);
    }
    int depth = 0;
    int rc = mt_x509_verify(chain, (size_t)n, store, &o, &depth);
    if (rc < 0) {
        lua_pushnil(L);
        lua_pushstring(L, mt_err_message(rc));
        lua_pushinteger(L, depth);
        lua_pushstring(L, mt_err_name(rc));
        return 4;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static const luaL_Reg cert_methods[] = {
    {"subject", cert_subject},
    {"subject_der", cert_subject_der},
    {"issuer", cert_issuer},
    {"serial", cert_serial},
    {"not_before", cert_not_before},
    {"not_after", cert_not_after},
    {"version", cert_version},
    {"sigalg", cert_sigalg},
    {"der", cert_der},
    {"spki", cert_spki},
    {"pem", cert_pem},
    {"fingerprint", cert_fingerprint},
    {"san", cert_san},
    {"extensions", cert_extensions},
    {"check_host", cert_check_host},
    {"check_ip", cert_check_ip},
    {"close", cert_close},
    {"closed", cert_closed},
    {NULL, NULL},
};

static const luaL_Reg cert_meta[] = {
    {"__gc", cert_close},
    {"__close", cert_close},
    {"__tostring", cert_tostring},
    {NULL, NULL},
};

static const luaL_Reg store_methods[] = {
    {"add", store_add},     {"add_file", store_add_file},
    {"count", store_count}, {"close", store_close},
    {NULL, NULL},
};

static const luaL_Reg store_meta[] = {
    {"__gc", store_close},
    {"__close", store_close},
    {"__tostring", store_tostring},
    {NULL, NULL},
};

void mt_lua_x509_register(lua_State *L)
{
    mt_lua_class(L, MT_CERTIFICATE_T, cert_methods, cert_meta);
    mt_lua_class(L, MT_TRUSTSTORE_T, store_methods, store_meta);
    luaL_getmetatable(L, MT_CERTIFICATE_T);
    lua_getfield(L, -1, "__index");
    lua_setfield(L, -3, "Certificate");
    lua_pop(L, 1);
    lua_pushcfunction(L, x509_load);
    lua_setfield(L, -2, "x509_load");
    lua_pushcfunction(L, x509_verify);
    lua_setfield(L, -2, "x509_verify");
    lua_pushcfunction(L, store_new);
    lua_setfield(L, -2, "store_new");
}
