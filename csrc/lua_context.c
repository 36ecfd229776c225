/*
 * moontls.Context -- configuration and policy (Pike SSL.Context).
 * Skeleton: holds the mode; versions, suites, certificates and trust arrive
 * with the engine and X.509 work.
 */
#include <string.h>

#include "lua_common.h"

typedef struct {
    mt_lua_obj h;
    int server;
} context;

static void context_release(context *c)
{
    c->h.open = 0;
}

/* core.context_new(mode) with mode "client" or "server". */
static int context_new(lua_State *L)
{
    static const char *const modes[] = {"client", "server", NULL};
    int mode = luaL_checkoption(L, 1, NULL, modes);
    context *c = mt_lua_new(L, MT_CONTEXT_T, sizeof(*c), 1);
    c->server = mode == 1;
    c->h.open = 1;
    return 1;
}

static int context_mode(lua_State *L)
{
    context *c = mt_lua_check_open(L, 1, MT_CONTEXT_T);
    lua_pushstring(L, c->server ? "server" : "client");
    return 1;
}

static int context_close(lua_State *L)
{
    context_release(luaL_checkudata(L, 1, MT_CONTEXT_T));
    return 0;
}

static int context_closed(lua_State *L)
{
    context *c = luaL_checkudata(L, 1, MT_CONTEXT_T);
    lua_pushboolean(L, !c->h.open);
    return 1;
}

static int context_tostring(lua_State *L)
{
    context *c = luaL_checkudata(L, 1, MT_CONTEXT_T);
    if (!c->h.open) {
        lua_pushstring(L, MT_CONTEXT_T " (closed)");
    } else {
        lua_pushfstring(L, MT_CONTEXT_T " (%s): %p", c->server ? "server" : "client", (void *)c);
    }
    return 1;
}

static const luaL_Reg methods[] = {
    {"mode", context_mode},
    {"close", context_close},
    {"closed", context_closed},
    {NULL, NULL},
};

static const luaL_Reg meta[] = {
    {"__gc", context_close},
    {"__close", context_close},
    {"__tostring", context_tostring},
    {NULL, NULL},
};

void mt_lua_context_register(lua_State *L)
{
    mt_lua_class(L, MT_CONTEXT_T, methods, meta);
    lua_pushcfunction(L, context_new);
    lua_setfield(L, -2, "context_new");
}
