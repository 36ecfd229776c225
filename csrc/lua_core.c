/* The moontls.core module: registers the classes and the module-level functions. */
#include <limits.h>
#include <string.h>

#include "err.h"
#include "lua_common.h"
#include "mt.h"
#include "rng.h"
#include "sys.h"

/* Largest moontls.random() request: enough for any key or nonce, bounded for misuse. */
#define RANDOM_MAX (16u << 20)

void mt_lua_class(lua_State *L, const char *tname, const luaL_Reg *methods, const luaL_Reg *meta)
{
    luaL_newmetatable(L, tname);
    luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

void *mt_lua_new(lua_State *L, const char *tname, size_t size, int nuv)
{
    void *p = lua_newuserdatauv(L, size, nuv);
    memset(p, 0, size);
    luaL_setmetatable(L, tname);
    return p;
}

void *mt_lua_check_open(lua_State *L, int idx, const char *tname)
{
    mt_lua_obj *o = luaL_checkudata(L, idx, tname);
    if (!o->open) {
        luaL_error(L, "attempt to use a closed %s", tname);
    }
    return o;
}

int mt_lua_fail(lua_State *L, int code)
{
    lua_pushnil(L);
    lua_pushstring(L, mt_err_message(code));
    lua_pushstring(L, mt_err_name(code));
    return 3;
}

/* core.random(n) -> n bytes from the DRBG, or nil, message, code. */
static int core_random(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 0 && n <= (lua_Integer)RANDOM_MAX, 1,
                  "byte count must be between 0 and 16777216");
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, (size_t)n);
    int rc = mt_rng_bytes(p, (size_t)n);
    if (rc < 0) {
        return mt_lua_fail(L, rc);
    }
    luaL_pushresultsize(&b, (size_t)n);
    return 1;
}

/* core.errors() -> {name = {message =, alert =}} : the error table, for docs and tests. */
static int core_errors(lua_State *L)
{
    lua_createtable(L, 0, MT_E_COUNT_);
    for (int i = 1; i < MT_E_COUNT_; i++) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, mt_err_message(i));
        lua_setfield(L, -2, "message");
        const char *alert = mt_alert_name(mt_err_alert(i));
        if (alert) {
            lua_pushstring(L, alert);
            lua_setfield(L, -2, "alert");
        }
        lua_setfield(L, -2, mt_err_name(i));
    }
    return 1;
}

/* core.write_private_file(path, data) -> true | nil, message: a file only its owner can read. */
static int core_write_private_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t len;
    const char *data = luaL_checklstring(L, 2, &len);
    int sys_errno;
    if (mt_sys_write_private(path, data, len, &sys_errno) < 0) {
        lua_pushnil(L);
        lua_pushstring(L, strerror(sys_errno));
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* core.read_fd(fd, max) -> bytes ("" at end of file) | nil, "wantread" | nil, message:
 * one read(2), for relaying a descriptor such as stdin without stdio's buffering. */
static int core_read_fd(lua_State *L)
{
    lua_Integer fd = luaL_checkinteger(L, 1);
    lua_Integer max = luaL_optinteger(L, 2, 16384);
    luaL_argcheck(L, fd >= 0 && fd <= INT_MAX, 1, "not a file descriptor");
    luaL_argcheck(L, max > 0 && max <= (1 << 20), 2, "1 .. 1048576 bytes");
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, (size_t)max);
    int sys_errno;
    long n = mt_sys_read((int)fd, p, (size_t)max, &sys_errno);
    if (n == -MT_E_WANT_READ) {
        lua_pushnil(L);
        lua_pushliteral(L, "wantread");
        return 2;
    }
    if (n < 0) {
        lua_pushnil(L);
        lua_pushstring(L, strerror(sys_errno));
        return 2;
    }
    luaL_pushresultsize(&b, (size_t)n);
    return 1;
}

static const luaL_Reg core_funcs[] = {
    {"read_fd", core_read_fd},
    {"write_private_file", core_write_private_file},
    {"random", core_random},
    {"errors", core_errors},
    {NULL, NULL},
};

__attribute__((visibility("default"))) int luaopen_moontls_core(lua_State *L);

int luaopen_moontls_core(lua_State *L)
{
    luaL_checkversion(L);
    luaL_newlib(L, core_funcs);
    lua_pushstring(L, MT_VERSION);
    lua_setfield(L, -2, "_VERSION");
    mt_lua_context_register(L);
    mt_lua_session_register(L);
    mt_lua_file_register(L);
    mt_lua_keys_register(L);
    mt_lua_crypto_register(L);
    mt_lua_x509_register(L);
    mt_lua_x509write_register(L);
    mt_lua_loop_register(L);
    mt_lua_sock_register(L);
    return 1;
}
