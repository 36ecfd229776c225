/*
 * moontls.Key -- a public or private key (keys.h): load, generate, write, sign, verify.
 */
#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "err.h"
#include "keys.h"
#include "lua_common.h"
#include "pem.h"

/* Largest encoding a key method produces (a 16384-bit RSA PKCS#8 PEM is about 13 KB). */
#define KEY_OUT_MAX (1u << 20)

typedef struct {
    mt_lua_obj h;
    mt_key *k;
} key_obj;

/* Frees and wipes the key; safe to call any number of times. */
static void key_release(key_obj *o)
{
    mt_key_free(o->k);
    o->k = NULL;
    o->h.open = 0;
}

/* core.key_load(pem_or_der, password?) */
static int key_load(lua_State *L)
{
    size_t len, pwlen = 0;
    const char *data = luaL_checklstring(L, 1, &len);
    const char *pw = luaL_optlstring(L, 2, NULL, &pwlen);
    key_obj *o = mt_lua_new(L, MT_KEY_T, sizeof(*o), 0);
    int rc = mt_key_load((const uint8_t *)data, len, pw, pwlen, &o->k);
    if (rc < 0) {
        return mt_lua_fail(L, rc);
    }
    o->h.open = 1;
    return 1;
}

/* core.key_from_spki(der) */
static int key_from_spki(lua_State *L)
{
    size_t len;
    const char *der = luaL_checklstring(L, 1, &len);
    key_obj *o = mt_lua_new(L, MT_KEY_T, sizeof(*o), 0);
    int rc = mt_key_from_spki((const uint8_t *)der, len, &o->k);
    if (rc < 0) {
        return mt_lua_fail(L, rc);
    }
    o->h.open = 1;
    return 1;
}

/* core.key_generate(kind) with kind "rsa-2048" ... "ed448". */
static int key_generate(lua_State *L)
{
    static const char *const kinds[] = {"rsa-2048",     "rsa-3072",     "rsa-4096",     "ec-p256",
                                        "ec-p384",      "ec-p521",      "ed25519",      "ed448",
                                        "rsa-pss-2048", "rsa-pss-3072", "rsa-pss-4096", NULL};
    static const mt_key_type types[] = {
        MT_KEY_RSA,     MT_KEY_RSA,   MT_KEY_RSA, MT_KEY_EC_P256, MT_KEY_EC_P384, MT_KEY_EC_P521,
        MT_KEY_ED25519, MT_KEY_ED448, MT_KEY_RSA, MT_KEY_RSA,     MT_KEY_RSA};
    static const unsigned bits[] = {2048, 3072, 4096, 0, 0, 0, 0, 0, 2048, 3072, 4096};
    int i = luaL_checkoption(L, 1, NULL, kinds);
    key_obj *o = mt_lua_new(L, MT_KEY_T, sizeof(*o), 0);
    int rc = mt_key_generate(types[i], bits[i], &o->k);
    if (rc == 0 && i >= 8) {
        rc = mt_key_set_rsa_pss(o->k); /* id-RSASSA-PSS, no parameters (RFC 4055 1.2) */
    }
    if (rc < 0) {
        return mt_lua_fail(L, rc);
    }
    o->h.open = 1;
    return 1;
}

static mt_key *check_key(lua_State *L, int idx)
{
    key_obj *o = mt_lua_check_open(L, idx, MT_KEY_T);
    return o->k;
}

struct mt_key *mt_lua_check_key(lua_State *L, int idx)
{
    return check_key(L, idx);
}

static int key_type(lua_State *L)
{
    mt_key *k = check_key(L, 1);
    lua_pushstring(L, mt_key_is_rsa_pss(k) ? "rsa-pss" : mt_key_type_name(mt_key_type_of(k)));
    return 1;
}

static int key_bits(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)mt_key_bits(check_key(L, 1)));
    return 1;
}

static int key_private(lua_State *L)
{
    lua_pushboolean(L, mt_key_is_private(check_key(L, 1)));
    return 1;
}

static int key_public(lua_State *L)
{
    mt_key *k = check_key(L, 1);
    key_obj *o = mt_lua_new(L, MT_KEY_T, sizeof(*o), 0);
    int rc = mt_key_public(k, &o->k);
    if (rc < 0) {
        return mt_lua_fail(L, rc);
    }
    o->h.open = 1;
    return 1;
}

/* Encodings. DER_SPKI: SPKI; DER_KEY: PKCS#8 for private keys, SPKI for public ones. */
enum { DER_SPKI, DER_KEY };

/* Writes the encoding into w; returns 0 or a core error. `label` gets the PEM label. */
static int encode(const mt_key *k, int what, mt_wr *w, const char **label)
{
    int rc;
    if (what == DER_KEY && mt_key_is_private(k)) {
        *label = "PRIVATE KEY";
        rc = mt_key_write_pkcs8(k, w);
    } else {
        *label = "PUBLIC KEY";
        rc = mt_key_write_spki(k, w);
    }
    return rc < 0 ? rc : mt_wr_finish(w);
}

/* Pushes the DER (pem = 0) or PEM (pem = 1) of the key. The writers are wiped and freed
 * before anything that may raise. */
static int push_encoding(lua_State *L, int what, int pem)
{
    mt_key *k = check_key(L, 1);
    mt_wr der, text;
    const char *label;
    mt_wr_init_growable(&der, KEY_OUT_MAX);
    mt_wr_init_growable(&text, KEY_OUT_MAX);
    int rc = encode(k, what, &der, &label);
    if (rc == 0 && pem) {
        rc = mt_pem_write(&text, label, der.p, der.len);
        rc = rc < 0 ? rc : mt_wr_finish(&text);
    }
    size_t len;
    uint8_t *p = pem ? mt_wr_take(&text, &len) : mt_wr_take(&der, &len);
    mt_wr_free(&der);
    mt_wr_free(&text);
    if (rc < 0 || !p) {
        free(p);
        return mt_lua_fail(L, rc < 0 ? rc : -MT_E_INTERNAL);
    }
    /* lua_pushlstring may raise on memory errors: copy into a Lua buffer we own first. */
    luaL_Buffer b;
    char *dst = luaL_buffinitsize(L, &b, len);
    memcpy(dst, p, len);
    mt_wipe(p, len);
    free(p);
    luaL_pushresultsize(&b, len);
    return 1;
}

static int key_pem(lua_State *L)
{
    return push_encoding(L, DER_KEY, 1);
}

static int key_der(lua_State *L)
{
    return push_encoding(L, DER_KEY, 0);
}

static int key_spki(lua_State *L)
{
    return push_encoding(L, DER_SPKI, 0);
}

/* The signature algorithm for key k from the hash argument at `hidx` and the options table
 * at `oidx`. Raises on misuse (unknown hash name, bad options). */
static mt_sig_alg sig_alg(lua_State *L, const mt_key *k, int hidx, int oidx)
{
    mt_sig_alg alg = {MT_SIG_NONE, MT_HASH_NONE, 0};
    int pss = 0;
    lua_Integer salt = -1;
    if (!lua_isnoneornil(L, oidx)) {
        luaL_checktype(L, oidx, LUA_TTABLE);
        pss = lua_getfield(L, oidx, "pss") != LUA_TNIL && lua_toboolean(L, -1);
        if (lua_getfield(L, oidx, "salt") != LUA_TNIL) {
            luaL_argcheck(L, lua_isinteger(L, -1), oidx, "salt must be an integer");
            salt = lua_tointeger(L, -1);
            luaL_argcheck(L, salt >= 0 && salt <= 65535, oidx, "salt out of range");
        }
        lua_pop(L, 2);
    }
    pss |= mt_key_is_rsa_pss(k); /* an id-RSASSA-PSS key signs with PSS only */
    switch (mt_key_type_of(k)) {
    case MT_KEY_RSA:
        alg.kind = pss ? MT_SIG_RSA_PSS : MT_SIG_RSA_PKCS1;
        break;
    case MT_KEY_EC_P256:
    case MT_KEY_EC_P384:
    case MT_KEY_EC_P521:
        alg.kind = MT_SIG_ECDSA;
        break;
    case MT_KEY_ED25519:
    case MT_KEY_ED448:
        alg.kind = MT_SIG_EDDSA;
        break;
    case MT_KEY_DSA:
        alg.kind = MT_SIG_DSA;
        break;
    case MT_KEY_NONE:
    default:
        break;
    }
    luaL_argcheck(L, !pss || alg.kind == MT_SIG_RSA_PSS, oidx, "pss needs an RSA key");
    if (alg.kind != MT_SIG_EDDSA) {
        const char *name = luaL_checkstring(L, hidx);
        alg.hash = (uint8_t)mt_hash_from_name(name);
        luaL_argcheck(L, alg.hash != MT_HASH_NONE, hidx, "unknown hash");
    }
    alg.salt_len = (uint16_t)(salt >= 0 ? (size_t)salt : mt_hash_len(alg.hash));
    return alg;
}

/* key:sign(data, hash, opts) -> signature, or nil, message, code */
static int key_sign(lua_State *L)
{
    mt_key *k = check_key(L, 1);
    size_t len;
    const char *msg = luaL_checklstring(L, 2, &len);
    mt_sig_alg alg = sig_alg(L, k, 3, 4);
    luaL_argcheck(L, mt_key_is_private(k), 1, "signing needs a private key");
    mt_wr sig;
    mt_wr_init_growable(&sig, KEY_OUT_MAX);
    int rc = mt_key_sign(k, alg, (const uint8_t *)msg, len, &sig);
    rc = rc < 0 ? rc : mt_wr_finish(&sig);
    size_t n;
    uint8_t *p = mt_wr_take(&sig, &n);
    mt_wr_free(&sig);
    if (rc < 0 || !p) {
        free(p);
        return mt_lua_fail(L, rc < 0 ? rc : -MT_E_INTERNAL);
    }
    luaL_Buffer b;
    char *dst = luaL_buffinitsize(L, &b, n);
    memcpy(dst, p, n);
    free(p);
    luaL_pushresultsize(&b, n);
    return 1;
}

/* key:verify(data, sig, hash, opts) -> true, or nil, message, code */
static int key_verify(lua_State *L)
{
    mt_key *k = check_key(L, 1);
    size_t len, siglen;
    const char *msg = luaL_checklstring(L, 2, &len);
    const char *sig = luaL_checklstring(L, 3, &siglen);
    mt_sig_alg alg = sig_alg(L, k, 4, 5);
    int rc = mt_key_verify(k, alg, (const uint8_t *)msg, len, (const uint8_t *)sig, siglen);
    if (rc < 0) {
        return mt_lua_fail(L, rc);
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int key_close(lua_State *L)
{
    key_release(luaL_checkudata(L, 1, MT_KEY_T));
    return 0;
}

static int key_closed(lua_State *L)
{
    key_obj *o = luaL_checkudata(L, 1, MT_KEY_T);
    lua_pushboolean(L, !o->h.open);
    return 1;
}

static int key_tostring(lua_State *L)
{
    key_obj *o = luaL_checkudata(L, 1, MT_KEY_T);
    if (!o->h.open) {
        lua_pushstring(L, MT_KEY_T " (closed)");
    } else {
        lua_pushfstring(L, MT_KEY_T " (%s, %d bits, %s): %p",
                        mt_key_type_name(mt_key_type_of(o->k)), (int)mt_key_bits(o->k),
                        mt_key_is_private(o->k) ? "private" : "public", (void *)o);
    }
    return 1;
}

static const luaL_Reg methods[] = {
    {"type", key_type},     {"bits", key_bits},   {"private", key_private}, {"public", key_public},
    {"pem", key_pem},       {"der", key_der},     {"spki", key_spki},       {"sign", key_sign},
    {"verify", key_verify}, {"close", key_close}, {"closed", key_closed},   {NULL, NULL},
};

static const luaL_Reg meta[] = {
    {"__gc", key_close},
    {"__close", key_close},
    {"__tostring", key_tostring},
    {NULL, NULL},
};

void mt_lua_keys_register(lua_State *L)
{
    mt_lua_class(L, MT_KEY_T, methods, meta);
    lua_pushcfunction(L, key_load);
    lua_setfield(L, -2, "key_load");
    lua_pushcfunction(L, key_generate);
    lua_setfield(L, -2, "key_generate");
    lua_pushcfunction(L, key_from_spki);
    lua_setfield(L, -2, "key_from_spki");
}
