/*
 * core.x509_build{...} -- certificate issuance for lua/moontls/certgen.lua.
 *
 * The table is the already-normalised form certgen.lua builds; this file only
 * converts it to an mt_x509w_params. Arrays of structs live in Lua userdata
 * (collected if a later argument raises), strings are borrowed from the table,
 * which stays on the stack for the whole call, and the output writers sit in a
 * userdata whose __gc frees them, so no C heap memory is unowned at a raise.
 */
#include <string.h>

#include "asn1.h"
#include "err.h"
#include "keys.h"
#include "lua_common.h"
#include "pem.h"
#include "x509_write.h"

#define SCRATCH_T "moontls.x509write.scratch"

/* Output writers, freed by __gc (and explicitly at the end). */
typedef struct {
    mt_wr der, pem, ca;
    int live;
} scratch;

static int scratch_gc(lua_State *L)
{
    scratch *s = luaL_checkudata(L, 1, SCRATCH_T);
    if (s->live) {
        mt_wr_free(&s->der);
        mt_wr_free(&s->pem);
        mt_wr_free(&s->ca);
        s->live = 0;
    }
    return 0;
}

/* Pushes t[field] and returns its type. */
static int field(lua_State *L, int t, const char *name)
{
    return lua_getfield(L, t, name);
}

static int opt_bool(lua_State *L, int t, const char *name)
{
    field(L, t, name);
    int v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

static lua_Integer opt_int(lua_State *L, int t, const char *name, lua_Integer def)
{
    lua_Integer v = def;
    if (field(L, t, name) != LUA_TNIL) {
        int isnum;
        v = lua_tointegerx(L, -1, &isnum);
        if (!isnum) {
            luaL_error(L, "x509_build: field '%s' must be an integer", name);
        }
    }
    lua_pop(L, 1);
    return v;
}

/* t[name] as a string borrowed from the table (valid while t is on the stack), or NULL. */
static const char *opt_str(lua_State *L, int t, const char *name, size_t *len)
{
    const char *s = NULL;
    *len = 0;
    if (field(L, t, name) != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TSTRING) {
            luaL_error(L, "x509_build: field '%s' must be a string", name);
        }
        s = lua_tolstring(L, -1, len);
    }
    lua_pop(L, 1);
    return s;
}

/* Array t[name] (or an empty one): pushes it and returns its length. */
static size_t opt_array(lua_State *L, int t, const char *name)
{
    int ty = field(L, t, name);
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        lua_newtable(L);
    } else if (ty != LUA_TTABLE) {
        luaL_error(L, "x509_build: field '%s' must be a table", name);
    }
    return (size_t)luaL_len(L, -1);
}

/* The string on top matched against `names` (NULL-terminated); pops it, raises if unknown. */
static int pop_option(lua_State *L, const char *const *names, const char *what)
{
    const char *v = lua_tostring(L, -1);
    for (int i = 0; v != NULL && names[i] != NULL; i++) {
        if (strcmp(names[i], v) == 0) {
            lua_pop(L, 1);
            return i;
        }
    }
    return luaL_error(L, "x509_build: invalid %s '%s'", what, v ? v : "?");
}

static const mt_key *get_key(lua_State *L, int t, const char *name)
{
    field(L, t, name);
    const mt_key *k = mt_lua_check_key(L, lua_gettop(L));
    lua_pop(L, 1); /* the key stays referenced by the table */
    return k;
}

/* Element i of the array on top as a string. */
static const char *elem_str(lua_State *L, lua_Integer i, size_t *len, const char *what)
{
    lua_geti(L, -1, i);
    if (lua_type(L, -1) != LUA_TSTRING) {
        luaL_error(L, "x509_build: %s[%d] must be a string", what, (int)i);
    }
    const char *s = lua_tolstring(L, -1, len);
    lua_pop(L, 1);
    return s;
}

/* Borrowed strings stay valid: every table they come from is reachable from argument 1. */
static void get_subject(lua_State *L, int t, mt_x509w_params *p, int anchor)
{
    static const char *const tags[] = {"utf8", "printable", "ia5", NULL};
    static const uint8_t tagv[] = {MT_ASN1_UTF8_STRING, MT_ASN1_PRINTABLE_STRING,
                                   MT_ASN1_IA5_STRING};
    size_t n = opt_array(L, t, "subject");
    mt_x509w_attr *a = lua_newuserdatauv(L, n * sizeof(*a) + 1, 0);
    memset(a, 0, n * sizeof(*a) + 1);
    lua_rawseti(L, anchor, (lua_Integer)luaL_len(L, anchor) + 1);
    for (size_t i = 0; i < n; i++) {
        if (lua_geti(L, -1, (lua_Integer)i + 1) != LUA_TTABLE) {
            luaL_error(L, "x509_build: subject[%d] must be {attr, value[, type]}", (int)i + 1);
        }
        a[i].attr = elem_str(L, 1, &a[i].attr_len, "subject attribute");
        a[i].value = elem_str(L, 2, &a[i].value_len, "subject value");
        if (lua_geti(L, -1, 3) != LUA_TNIL) {
            a[i].tag = tagv[pop_option(L, tags, "string type")];
        } else {
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    p->subject = a;
    p->n_subject = n;
}

/* Array of {kind, value} general names. */
static const mt_x509w_gn *get_names(lua_State *L, int t, const char *name, size_t *count,
                                    int anchor)
{
    static const char *const kinds[] = {"DNS", "IP", "email", "URI", NULL};
    static const int kindv[] = {MT_X509W_GN_DNS, MT_X509W_GN_IP, MT_X509W_GN_EMAIL,
                                MT_X509W_GN_URI};
    size_t n = opt_array(L, t, name);
    mt_x509w_gn *g = lua_newuserdatauv(L, n * sizeof(*g) + 1, 0);
    memset(g, 0, n * sizeof(*g) + 1);
    lua_rawseti(L, anchor, (lua_Integer)luaL_len(L, anchor) + 1);
    for (size_t i = 0; i < n; i++) {
        if (lua_geti(L, -1, (lua_Integer)i + 1) != LUA_TTABLE) {
            luaL_error(L, "x509_build: %s[%d] must be {kind, value}", name, (int)i + 1);
        }
        lua_geti(L, -1, 1);
        g[i].kind = kindv[pop_option(L, kinds, "name kind")];
        g[i].value = elem_str(L, 2, &g[i].len, name);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    *count = n;
    return g;
}

static void get_eku(lua_State *L, int t, mt_x509w_params *p, int anchor)
{
    size_t n = opt_array(L, t, "eku");
    const char **e = lua_newuserdatauv(L, n * sizeof(*e) + 1, 0);
    memset(e, 0, n * sizeof(*e) + 1);
    lua_rawseti(L, anchor, (lua_Integer)luaL_len(L, anchor) + 1);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        e[i] = elem_str(L, (lua_Integer)i + 1, &len, "eku");
    }
    lua_pop(L, 1);
    p->eku = e;
    p->n_eku = n;
}

/* key_usage = false (omit), nil (default) or a list of RFC 5280 bit names. */
static void get_key_usage(lua_State *L, int t, mt_x509w_params *p)
{
    static const char *const bits[] = {
        "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
        "keyCertSign",      "cRLSign",        "encipherOnly",    "decipherOnly",     NULL};
    int ty = field(L, t, "key_usage");
    if (ty == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
        p->key_usage = MT_X509W_KU_OMIT;
    } else if (ty == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, -1);
        luaL_argcheck(L, n > 0, 1, "key_usage must name at least one bit");
        for (lua_Integer i = 1; i <= n; i++) {
            lua_geti(L, -1, i);
            p->key_usage |= 1u << pop_option(L, bits, "key usage");
        }
    } else if (ty != LUA_TNIL) {
        luaL_error(L, "x509_build: key_usage must be a list of names or false");
    }
    lua_pop(L, 1);
}

static void get_extra(lua_State *L, int t, mt_x509w_params *p, int anchor)
{
    size_t n = opt_array(L, t, "extensions");
    mt_x509w_ext *e = lua_newuserdatauv(L, n * sizeof(*e) + 1, 0);
    memset(e, 0, n * sizeof(*e) + 1);
    lua_rawseti(L, anchor, (lua_Integer)luaL_len(L, anchor) + 1);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        if (lua_geti(L, -1, (lua_Integer)i + 1) != LUA_TTABLE) {
            luaL_error(L, "x509_build: extensions[%d] must be {oid=, critical=, value=}",
                       (int)i + 1);
        }
        int et = lua_gettop(L);
        e[i].oid = opt_str(L, et, "oid", &e[i].oid_len);
        e[i].value = (const uint8_t *)opt_str(L, et, "value", &len);
        e[i].value_len = len;
        e[i].critical = opt_bool(L, et, "critical");
        if (e[i].oid == NULL || e[i].value == NULL) {
            luaL_error(L, "x509_build: extensions[%d] needs oid and value", (int)i + 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    p->extra = e;
    p->n_extra = n;
}

static void get_params(lua_State *L, int t, mt_x509w_params *p, int anchor)
{
    size_t len;
    p->subject_key = get_key(L, t, "key");
    p->signing_key = get_key(L, t, "sign_key");
    get_subject(L, t, p, anchor);
    p->serial = (const uint8_t *)opt_str(L, t, "serial", &len);
    p->serial_len = len;
    p->not_before = (int64_t)opt_int(L, t, "not_before", 0);
    p->not_after = (int64_t)opt_int(L, t, "not_after", 0);
    p->ca = opt_bool(L, t, "ca");
    lua_Integer pathlen = opt_int(L, t, "pathlen", -1);
    luaL_argcheck(L, pathlen >= -1 && pathlen <= 1000, 1, "pathlen out of range");
    p->has_pathlen = pathlen >= 0;
    p->pathlen = p->has_pathlen ? (int)pathlen : 0;
    p->no_basic_constraints = opt_bool(L, t, "no_basic_constraints");
    get_key_usage(L, t, p);
    get_eku(L, t, p, anchor);
    p->san = get_names(L, t, "san", &p->n_san, anchor);
    p->nc_permitted = get_names(L, t, "nc_permitted", &p->n_nc_permitted, anchor);
    p->nc_excluded = get_names(L, t, "nc_excluded", &p->n_nc_excluded, anchor);
    p->no_ski = opt_bool(L, t, "no_ski");
    p->no_aki = opt_bool(L, t, "no_aki");
    p->skip_ca_key_check = opt_bool(L, t, "skip_ca_key_check");
    const char *hash = opt_str(L, t, "hash", &len);
    if (hash != NULL) {
        p->hash = mt_hash_from_name(hash);
        if (p->hash == MT_HASH_NONE) {
            luaL_error(L, "x509_build: unknown hash '%s'", hash);
        }
    }
    p->sig_variant = opt_bool(L, t, "pss") ? MT_X509W_SIG_PSS : MT_X509W_SIG_DEFAULT;
    get_extra(L, t, p, anchor);
}

/* CA certificate as DER: PEM input is decoded into s->ca. */
static int get_ca(lua_State *L, int t, mt_x509w_params *p, scratch *s)
{
    size_t len;
    const char *ca = opt_str(L, t, "ca_cert", &len);
    if (ca == NULL) {
        return 0;
    }
    if (!mt_pem_is_pem((const uint8_t *)ca, len)) {
        p->ca_der = (const uint8_t *)ca;
        p->ca_der_len = len;
        return 0;
    }
    char label[MT_PEM_MAX_LABEL + 1];
    mt_rd r;
    mt_rd_init(&r, ca, len);
    for (;;) {
        mt_wr_reset(&s->ca);
        int rc = mt_pem_next(&r, label, &s->ca);
        if (rc < 0) {
            return rc;
        }
        if (rc == 0) {
            return -MT_E_PEM_NONE;
        }
        if (strcmp(label, "CERTIFICATE") == 0) {
            p->ca_der = s->ca.p;
            p->ca_der_len = s->ca.len;
            return 0;
        }
    }
}

/* nil, message, "invalid_argument" for the parameter errors a user makes most. */
static int fail_arg(lua_State *L, const char *msg)
{
    lua_pushnil(L);
    lua_pushstring(L, msg);
    lua_pushstring(L, mt_err_name(MT_E_INVALID_ARG));
    return 3;
}

/* Explain the common mistakes before mt_x509w_build reports a bare invalid_argument. */
static const char *misuse(const mt_x509w_params *p, scratch *s)
{
    mt_x509w_ca ca;
    if (!mt_key_is_private(p->signing_key)) {
        return "the signing key is a public key";
    }
    if (p->not_before > p->not_after) {
        return "not_after is before not_before";
    }
    if (p->skip_ca_key_check) {
        return NULL;
    }
    if (p->ca_der == NULL) {
        if (!mt_key_public_eq(p->subject_key, p->signing_key)) {
            return "a self-signed certificate must be signed by its own key";
        }
        return NULL;
    }
    mt_wr_reset(&s->pem);
    if (mt_x509w_ca_info(p->ca_der, p->ca_der_len, &ca) == 0 &&
        mt_key_write_spki(p->signing_key, &s->pem) == 0 &&
        !(s->pem.len == ca.spki_len && memcmp(s->pem.p, ca.spki, ca.spki_len) == 0)) {
        return "ca_key is not the key of ca_cert";
    }
    mt_wr_reset(&s->pem);
    return NULL;
}

/* core.x509_build(t) -> pem, der | nil, message, code */
static int x509_build(lua_State *L)
{
    mt_x509w_params p;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_newtable(L); /* 2: anchor for scratch arrays */
    memset(&p, 0, sizeof(p));
    get_params(L, 1, &p, 2);

    scratch *s = lua_newuserdatauv(L, sizeof(*s), 0); /* 3 */
    memset(s, 0, sizeof(*s));
    luaL_setmetatable(L, SCRATCH_T);
    mt_wr_init_growable(&s->der, MT_X509W_MAX_CERT);
    mt_wr_init_growable(&s->pem, 2 * MT_X509W_MAX_CERT);
    mt_wr_init_growable(&s->ca, MT_X509W_MAX_CERT);
    s->live = 1;

    int rc = get_ca(L, 1, &p, s);
    if (rc < 0) {
        return mt_lua_fail(L, rc);
    }
    const char *why = misuse(&p, s);
    if (why != NULL) {
        return fail_arg(L, why);
    }
    rc = mt_x509w_build(&p, &s->der);
    if (rc == 0) {
        rc = mt_pem_write(&s->pem, "CERTIFICATE", s->der.p, s->der.len);
    }
    if (rc < 0) {
        return mt_lua_fail(L, rc); /* the writers go with the scratch userdata */
    }
    lua_pushlstring(L, (const char *)s->pem.p, s->pem.len);
    lua_pushlstring(L, (const char *)s->der.p, s->der.len);
    return 2;
}

void mt_lua_x509write_register(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__gc", scratch_gc}, {NULL, NULL}};
    luaL_newmetatable(L, SCRATCH_T);
    luaL_setfuncs(L, meta, 0);
    lua_pop(L, 1);
    lua_pushcfunction(L, x509_build);
    lua_setfield(L, -2, "x509_build");
}
