/*
 * moontls.Session -- negotiated, resumable state (Pike SSL.Session).
 * Skeleton: records its creation time; version, suite, secrets, peer chain and
 * encode/decode arrive with the engine and the sessions work.
 */
#include <time.h>

#include "lua_common.h"

typedef struct {
    mt_lua_obj h;
    time_t created;
} session;

static void session_release(session *s)
{
    s->h.open = 0;
}

/* core.session_new() -> an empty Session. */
static int session_new(lua_State *L)
{
    session *s = mt_lua_new(L, MT_SESSION_T, sizeof(*s), 1);
    s->created = time(NULL);
    s->h.open = 1;
    return 1;
}

/* session:time() -> creation time, Unix seconds. */
static int session_time(lua_State *L)
{
    session *s = mt_lua_check_open(L, 1, MT_SESSION_T);
    lua_pushinteger(L, (lua_Integer)s->created);
    return 1;
}

static int session_close(lua_State *L)
{
    session_release(luaL_checkudata(L, 1, MT_SESSION_T));
    return 0;
}

static int session_closed(lua_State *L)
{
    session *s = luaL_checkudata(L, 1, MT_SESSION_T);
    lua_pushboolean(L, !s->h.open);
    return 1;
}

static int session_tostring(lua_State *L)
{
    session *s = luaL_checkudata(L, 1, MT_SESSION_T);
    if (!s->h.open) {
        lua_pushstring(L, MT_SESSION_T " (closed)");
    } else {
        lua_pushfstring(L, MT_SESSION_T ": %p", (void *)s);
    }
    return 1;
}

static const luaL_Reg methods[] = {
    {"time", session_time},
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
}
