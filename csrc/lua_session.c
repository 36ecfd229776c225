/*
 * moontls.Session -- negotiated, resumable state (Pike SSL.Session): a copy of
 * the engine's mt_session, taken from a connected File and offered again to
 * moontls.connect/wrap{session = s}. The master secret never leaves C and is
 * wiped on close; __tostring shows only public facts. encode()/core.session_decode
 * turn it into an opaque versioned string and back (session_codec.h).
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
    session *o = mt_lua_new(L, MT_SESSION_T, sizeof(*o), 0);
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
    session *o = mt_lua_new(L, MT_SESSION_T, sizeof(*o), 0);
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

/* session:encode([key]) -> string: opaque and versioned; sealed (AES-256-GCM) with a 32-byte
 * key, else plain (the master secret in the clear: store it as a secret). */
static int session_encode(lua_State *L)
{
    session *o = mt_lua_check_open(L, 1, MT_SESSION_T);
    const uint8_t *key = opt_key(L, 2);
    mt_wr w;
    mt_wr_init_growable(&w, 4096);
    int rc = mt_session_encode(&o->s, key, &w);
    if (rc == 0) {
        lua_pushlstring(L, (const char *)w.p, w.len);
    }
    if (w.p) {
        mt_wipe(w.p, w.len);
    }
    mt_wr_free(&w);
    return rc < 0 ? mt_lua_fail(L, rc) : 1;
}

/* core.session_decode(s[, key]) -> Session | nil, message, code */
static int session_decode(lua_State *L)
{
    size_t n;
    const uint8_t *p = (const uint8_t *)luaL_checklstring(L, 1, &n);
    const uint8_t *key = opt_key(L, 2);
    mt_session s;
    int rc = mt_session_decode(p, n, key, &s);
    if (rc < 0) {
        return mt_lua_fail(L, rc);
    }
    mt_lua_session_push(L, &s);
    mt_session_wipe(&s);
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
        lua_pushfstring(L, MT_SESSION_T " (%s, sni %s): %p", s ? s->name : "empty",
                        o->s.sni[0] ? o->s.sni : "-", (void *)o);
    }
    return 1;
}

static const luaL_Reg methods[] = {
    {"time", session_time},
    {"cipher", session_cipher},
    {"id", session_id},
    {"encode", session_encode},
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
