/*
 * moontls.Session -- negotiated, resumable state (Pike SSL.Session): a copy of
 * the engine's mt_session, taken from a connected File and offered again to
 * moontls.connect/wrap{session = s}. The master secret never leaves C and is
 * wiped on close; __tostring shows only public facts. encode()/core.session_decode
 * turn it into an opaque versioned string and back (session_codec.h).
 *
 * Beside the engine's state a Session keeps, in its user value, what the Lua layer knew of
 * the peer when it was made: the chain as received (DER strings, leaf first) and the verdict
 * on it; both travel in the encoding, so a resumed connection still shows its peer.
 */
#include <string.h>
#include <time.h>

#include "ct.h"
#include "lua_common.h"
#include "session.h"
#include "session_codec.h"
#include "suites.h"

typedef struct {
    mt_lua_obj h;
    mt_session s;
} session;

static void session_release(session *o)
{
    mt_session_wipe(&o->s);
    o->h.open = 0;
}

void mt_lua_session_push(lua_State *L, const mt_session *s)
{
    session *o = mt_lua_new(L, MT_SESSION_T, sizeof(*o), 1);
    o->s = *s;
    o->h.open = 1;
}

const mt_session *mt_lua_session_check(lua_State *L, int idx)
{
    session *o = mt_lua_check_open(L, idx, MT_SESSION_T);
    return &o->s;
}

/* core.session_new() -> an empty Session (no id: it resumes nothing). */
static int session_new(lua_State *L)
{
    session *o = mt_lua_new(L, MT_SESSION_T, sizeof(*o), 1);
    o->s.created = (int64_t)time(NULL);
    o->h.open = 1;
    return 1;
}

/* session:time() -> creation time, Unix seconds. */
static int session_time(lua_State *L)
{
    session *o = mt_lua_check_open(L, 1, MT_SESSION_T);
    lua_pushinteger(L, (lua_Integer)o->s.created);
    return 1;
}

/* session:cipher() -> IANA suite name ("" for an empty session). */
static int session_cipher(lua_State *L)
{
    session *o = mt_lua_check_open(L, 1, MT_SESSION_T);
    const mt_suite *s = mt_suite_by_id(o->s.suite);
    lua_pushstring(L, s ? s->name : "");
    return 1;
}

/* session:id() -> the session id as hex (public: it travels in clear in hellos). */
static int session_id(lua_State *L)
{
    static const char hex[] = "0123456789abcdef";
    session *o = mt_lua_check_open(L, 1, MT_SESSION_T);
    char buf[65];
    for (size_t i = 0; i < o->s.sid_len; i++) {
        buf[2 * i] = hex[o->s.sid[i] >> 4];
        buf[2 * i + 1] = hex[o->s.sid[i] & 15];
    }
    lua_pushlstring(L, buf, 2u * o->s.sid_len);
    return 1;
}

/* An optional 32-byte key at idx (nil: none). */
static const uint8_t *opt_key(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx)) {
        return NULL;
    }
    size_t n;
    const char *k = luaL_checklstring(L, idx, &n);
    luaL_argcheck(L, n == MT_SESSION_KEY_LEN, idx, "a session key is 32 bytes");
    return (const uint8_t *)k;
}

/* The user value's fields: chain (a list of DER strings) and verified (0..2). */
static uint8_t extra_verified(lua_State *L, int idx)
{
    uint8_t v = MT_VERIFIED_NONE;
    if (lua_getiuservalue(L, idx, 1) == LUA_TTABLE) {
        lua_getfield(L, -1, "verified");
        v = (uint8_t)lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return v;
}

/* The chain of the Session at idx as TLS certificate_list entries, into w. */
static int extra_chain(lua_State *L, int idx, mt_wr *w)
{
    int rc = 0, top = lua_gettop(L);
    if (lua_getiuservalue(L, idx, 1) == LUA_TTABLE && lua_getfield(L, -1, "chain") == LUA_TTABLE) {
        for (lua_Integer i = 1; rc == 0 && lua_rawgeti(L, -1, i) == LUA_TSTRING; i++) {
            size_t n;
            const char *der = lua_tolstring(L, -1, &n);
            if ((rc = mt_wr_u24(w, (uint32_t)n)) == 0) {
                rc = mt_wr_bytes(w, der, n);
            }
            lua_pop(L, 1);
        }
    }
    lua_settop(L, top);
    return rc;
}

/* session:set_peer(chain, verified): the peer chain (list of DER strings, leaf first) and the
 * verdict on it ("ok", "failed" or nil), kept with the session (the File layer calls it). */
static int session_set_peer(lua_State *L)
{
    mt_lua_check_open(L, 1, MT_SESSION_T);
    static const char *const verdicts[] = {"none", "ok", "failed", NULL};
    int verdict = luaL_checkoption(L, 3, "none", verdicts);
    lua_createtable(L, 0, 2);
    lua_createtable(L, 0, 0);
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        for (lua_Integer i = 1; lua_rawgeti(L, 2, i) != LUA_TNIL; i++) {
            luaL_argcheck(L,
                          lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) > 0 &&
                              lua_rawlen(L, -1) <= 0xffffff,
                          2, "a list of DER strings");
            lua_rawseti(L, -2, i);
        }
        lua_pop(L, 1);
    }
    lua_setfield(L, -2, "chain");
    lua_pushinteger(L, verdict);
    lua_setfield(L, -2, "verified");
    lua_setiuservalue(L, 1, 1);
    return 0;
}

/* session:peer_chain() -> list of DER strings (empty when none was kept) */
static int session_peer_chain(lua_State *L)
{
    mt_lua_check_open(L, 1, MT_SESSION_T);
    lua_settop(L, 1);
    lua_newtable(L);
    if (lua_getiuservalue(L, 1, 1) == LUA_TTABLE && lua_getfield(L, -1, "chain") == LUA_TTABLE) {
        for (lua_Integer i = 1; lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
            lua_rawseti(L, 2, i);
        }
    }
    lua_settop(L, 2);
    return 1;
}

static const char *const verdict_names[] = {NULL, "ok", "failed"};

/* session:info() -> {version =, cipher =, id =, sni =, alpn =, ems =, created =, lifetime =,
 * ticket = bool, verified = "ok"|"failed"|nil, peer_certificates = n}: public facts only */
static int session_info(lua_State *L)
{
    session *o = mt_lua_check_open(L, 1, MT_SESSION_T);
    const mt_suite *su = mt_suite_by_id(o->s.suite);
    lua_createtable(L, 0, 11);
    lua_pushstring(L, o->s.version == MT_TLS13   ? "TLSv1.3"
                      : o->s.version == MT_TLS12 ? "TLSv1.2"
                                                 : "");
    lua_setfield(L, -2, "version");
    lua_pushstring(L, su ? su->name : "");
    lua_setfield(L, -2, "cipher");
    lua_pushcfunction(L, session_id);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, o->s.sni);
    lua_setfield(L, -2, "sni");
    lua_pushstring(L, o->s.alpn);
    lua_setfield(L, -2, "alpn");
    lua_pushboolean(L, o->s.ems);
    lua_setfield(L, -2, "ems");
    lua_pushinteger(L, (lua_Integer)o->s.created);
    lua_setfield(L, -2, "created");
    lua_pushinteger(L, (lua_Integer)o->s.lifetime);
    lua_setfield(L, -2, "lifetime");
    lua_pushboolean(L, o->s.ticket_len > 0);
    lua_setfield(L, -2, "ticket");
    uint8_t v = extra_verified(L, 1);
    if (v > 0 && v < 3) {
        lua_pushstring(L, verdict_names[v]);
        lua_setfield(L, -2, "verified");
    }
    lua_pushcfunction(L, session_peer_chain);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
    lua_setfield(L, -3, "peer_certificates");
    lua_pop(L, 1);
    return 1;
}

/* session:encode([key]) -> string: opaque and versioned; sealed (AES-256-GCM) with a 32-byte
 * key, else plain (the master secret in the clear: store it as a secret). */
static int session_encode(lua_State *L)
{
    session *o = mt_lua_check_open(L, 1, MT_SESSION_T);
    const uint8_t *key = opt_key(L, 2);
    mt_wr chain, w;
    mt_wr_init_growable(&chain, MT_SESSION_CHAIN_MAX);
    int rc = extra_chain(L, 1, &chain);
    /* a chain too long to keep is left out; the verdict stays */
    mt_session_extra x = {extra_verified(L, 1), chain.p, rc == 0 ? chain.len : 0};
    mt_wr_init_growable(&w, 1u << 20);
    rc = mt_session_encode(&o->s, &x, key, &w);
    if (rc == 0) {
        lua_pushlstring(L, (const char *)w.p, w.len);
    }
    if (w.p) {
        mt_wipe(w.p, w.len);
    }
    mt_wr_free(&w);
    mt_wr_free(&chain);
    return rc < 0 ? mt_lua_fail(L, rc) : 1;
}

/* core.session_decode(s[, key]) -> Session | nil, message, code */
static int session_decode(lua_State *L)
{
    size_t n;
    const uint8_t *p = (const uint8_t *)luaL_checklstring(L, 1, &n);
    const uint8_t *key = opt_key(L, 2);
    mt_session s;
    uint8_t verified;
    mt_wr chain;
    mt_wr_init_growable(&chain, MT_SESSION_CHAIN_MAX);
    int rc = mt_session_decode_extra(p, n, key, &s, &verified, &chain);
    if (rc < 0) {
        mt_wr_free(&chain);
        return mt_lua_fail(L, rc);
    }
    mt_lua_session_push(L, &s);
    mt_session_wipe(&s);
    /* the chain's entries were checked by the codec */
    lua_createtable(L, 0, 2);
    lua_newtable(L);
    mt_rd r, v;
    mt_rd_init(&r, chain.p, chain.len);
    for (lua_Integer i = 1; mt_rd_left(&r) && mt_rd_vec24(&r, &v) == 0; i++) {
        lua_pushlstring(L, (const char *)v.p + v.off, mt_rd_left(&v));
        lua_rawseti(L, -2, i);
    }
    lua_setfield(L, -2, "chain");
    lua_pushinteger(L, verified);
    lua_setfield(L, -2, "verified");
    lua_setiuservalue(L, -2, 1);
    mt_wr_free(&chain);
    return 1;
}

static int session_close(lua_State *L)
{
    session_release(luaL_checkudata(L, 1, MT_SESSION_T));
    return 0;
}

static int session_closed(lua_State *L)
{
    session *o = luaL_checkudata(L, 1, MT_SESSION_T);
    lua_pushboolean(L, !o->h.open);
    return 1;
}

static int session_tostring(lua_State *L)
{
    session *o = luaL_checkudata(L, 1, MT_SESSION_T);
    if (!o->h.open) {
        lua_pushstring(L, MT_SESSION_T " (closed)");
    } else {
        const mt_suite *s = mt_suite_by_id(o->s.suite);
        lua_pushfstring(L, MT_SESSION_T " (%s %s, sni %s%s): %p",
                        o->s.version == MT_TLS13 ? "TLSv1.3" : "TLSv1.2", s ? s->name : "empty",
                        o->s.sni[0] ? o->s.sni : "-", o->s.ticket_len ? ", ticket" : "", (void *)o);
    }
    return 1;
}

static const luaL_Reg methods[] = {
    {"time", session_time},
    {"cipher", session_cipher},
    {"id", session_id},
    {"encode", session_encode},
    {"info", session_info},
    {"peer_chain", session_peer_chain},
    {"set_peer", session_set_peer},
    {"close", session_close},
    {"closed", session_closed},
    {NULL, NULL},
};

static const luaL_Reg meta[] = {
    {"__gc", session_close},
    {"__close", session_close},
    {"__tostring", session_tostring},
    {NULL, NULL},
};

void mt_lua_session_register(lua_State *L)
{
    mt_lua_class(L, MT_SESSION_T, methods, meta);
    lua_pushcfunction(L, session_new);
    lua_setfield(L, -2, "session_new");
    lua_pushcfunction(L, session_decode);
    lua_setfield(L, -2, "session_decode");
}
