/*
 * moontls.Poller -- the C backend of moontls.loop (lua/moontls/loop.lua): one epoll
 * instance (or a poll(2) set) with a level-triggered interest mask per fd, and the
 * monotonic clock. The scheduler -- tasks, timers, waiters -- lives in Lua.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "err.h"
#include "lua_common.h"
#include "sys.h"

typedef struct {
    mt_lua_obj h;
    mt_poll *p;
} poller;

static const char *const backends[] = {"auto", "epoll", "poll", NULL};

static void poller_release(poller *o)
{
    mt_poll_free(o->p);
    o->p = NULL;
    o->h.open = 0;
}

/* Pushes nil, message, errno name-ish code and returns 3. */
static int sys_fail(lua_State *L, int rc, int sys_errno)
{
    lua_pushnil(L);
    if (sys_errno != 0) {
        lua_pushstring(L, strerror(sys_errno));
        lua_pushstring(L, sys_errno == EBADF ? "EBADF" : mt_err_name(-rc));
    } else {
        lua_pushstring(L, mt_err_message(-rc));
        lua_pushstring(L, mt_err_name(-rc));
    }
    return 3;
}

/* core.poller_new([backend]) -> Poller | nil, message, code. backend: "auto" (default),
 * "epoll", "poll". */
static int poller_new(lua_State *L)
{
    int backend = luaL_checkoption(L, 1, "auto", backends);
    poller *o = mt_lua_new(L, MT_POLLER_T, sizeof(*o), 0);
    int sys_errno;
    int rc = mt_poll_new(&o->p, backend, &sys_errno);
    if (rc < 0) {
        return sys_fail(L, rc, sys_errno);
    }
    o->h.open = 1;
    return 1;
}

static int check_fd(lua_State *L, int idx)
{
    lua_Integer fd = luaL_checkinteger(L, idx);
    luaL_argcheck(L, fd >= 0 && fd <= INT_MAX, idx, "not a file descriptor");
    return (int)fd;
}

/* poller:set(fd, mask [, refresh]) -> true | nil, message, code. mask: 0..3 (1 read,
 * 2 write); 0 removes the fd. */
static int poller_set(lua_State *L)
{
    poller *o = mt_lua_check_open(L, 1, MT_POLLER_T);
    int fd = check_fd(L, 2);
    lua_Integer mask = luaL_checkinteger(L, 3);
    luaL_argcheck(L, mask >= 0 && mask <= 3, 3, "mask must be between 0 and 3");
    int sys_errno;
    int rc = mt_poll_set(o->p, fd, (unsigned)mask, lua_toboolean(L, 4), &sys_errno);
    if (rc < 0) {
        return sys_fail(L, rc, sys_errno);
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* poller:get(fd) -> the interest mask of fd (0 when not registered). */
static int poller_get(lua_State *L)
{
    poller *o = mt_lua_check_open(L, 1, MT_POLLER_T);
    lua_pushinteger(L, (lua_Integer)mt_poll_get(o->p, check_fd(L, 2)));
    return 1;
}

/* poller:count() -> number of fds with an interest. */
static int poller_count(lua_State *L)
{
    poller *o = mt_lua_check_open(L, 1, MT_POLLER_T);
    lua_pushinteger(L, (lua_Integer)mt_poll_count(o->p));
    return 1;
}

/* Seconds (nil = forever) to poll's milliseconds, rounded up so a wait never ends early. */
static int timeout_ms(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx)) {
        return -1;
    }
    lua_Number t = luaL_checknumber(L, idx);
    luaL_argcheck(L, !isnan(t), idx, "timeout is not a number");
    if (t <= 0) {
        return 0;
    }
    lua_Number ms = ceil(t * 1000.0);
    return ms >= (lua_Number)INT_MAX ? INT_MAX : (int)ms;
}

/* poller:wait(timeout, out) -> n | nil, message, code. Waits at most timeout seconds (nil:
 * no limit) and stores the ready fds in the table out: out[2i-1] = fd, out[2i] = mask
 * (1 read, 2 write, 4 the fd is closed), for i = 1..n. */
static int poller_wait(lua_State *L)
{
    poller *o = mt_lua_check_open(L, 1, MT_POLLER_T);
    int ms = timeout_ms(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    const mt_poll_event *ev;
    size_t n;
    int sys_errno;
    int rc = mt_poll_wait(o->p, ms, &ev, &n, &sys_errno);
    if (rc < 0) {
        return sys_fail(L, rc, sys_errno);
    }
    for (size_t i = 0; i < n; i++) {
        lua_pushinteger(L, ev[i].fd);
        lua_rawseti(L, 3, (lua_Integer)(2 * i + 1));
        lua_pushinteger(L, (lua_Integer)ev[i].mask);
        lua_rawseti(L, 3, (lua_Integer)(2 * i + 2));
    }
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

/* poller:backend() -> "epoll" | "poll". */
static int poller_backend(lua_State *L)
{
    poller *o = mt_lua_check_open(L, 1, MT_POLLER_T);
    lua_pushstring(L, backends[mt_poll_backend(o->p)]);
    return 1;
}

static int poller_close(lua_State *L)
{
    poller_release(luaL_checkudata(L, 1, MT_POLLER_T));
    return 0;
}

static int poller_closed(lua_State *L)
{
    poller *o = luaL_checkudata(L, 1, MT_POLLER_T);
    lua_pushboolean(L, !o->h.open);
    return 1;
}

static int poller_tostring(lua_State *L)
{
    poller *o = luaL_checkudata(L, 1, MT_POLLER_T);
    if (!o->h.open) {
        lua_pushstring(L, MT_POLLER_T " (closed)");
    } else {
        lua_pushfstring(L, MT_POLLER_T " (%s, %d fds): %p", backends[mt_poll_backend(o->p)],
                        (int)mt_poll_count(o->p), (void *)o);
    }
    return 1;
}

/* core.monotime() -> seconds on CLOCK_MONOTONIC (float). */
static int core_monotime(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)mt_sys_monotonic_ns() / 1e9);
    return 1;
}

static const luaL_Reg methods[] = {
    {"set", poller_set},         {"get", poller_get},
    {"count", poller_count},     {"wait", poller_wait},
    {"backend", poller_backend}, {"close", poller_close},
    {"closed", poller_closed},   {NULL, NULL},
};

static const luaL_Reg meta[] = {
    {"__gc", poller_close},
    {"__close", poller_close},
    {"__tostring", poller_tostring},
    {NULL, NULL},
};

void mt_lua_loop_register(lua_State *L)
{
    mt_lua_class(L, MT_POLLER_T, methods, meta);
    lua_pushcfunction(L, poller_new);
    lua_setfield(L, -2, "poller_new");
    lua_pushcfunction(L, core_monotime);
    lua_setfield(L, -2, "monotime");
}
