/*
 * moontls.Socket -- the native TCP transport under Files made by moontls.connect and
 * moontls.listen (lua/moontls/transport.lua): a descriptor and nothing else, so an idle
 * connection keeps no receive buffer here (LuaSocket's tcp object holds 8 KiB). Every call
 * is nonblocking; the waiting lives in Lua (moontls.loop, cqueues, socket.select).
 *
 *   core.sock_resolve(host, port [, passive]) -> {address, ...} | nil, message
 *       addresses are opaque strings (sockaddrs) for sock_connect / sock_listen
 *   core.sock_connect(address) -> Socket, connected | nil, message
 *       connected false: in progress; wait until writable, then sock:connected()
 *   core.sock_listen(address [, backlog]) -> Socket | nil, message
 *   sock:connected() -> true | nil, message ("connection refused", ...)
 *   sock:accept() -> Socket | nil, "wantread" | nil, message
 *   sock:recv([max]) -> bytes | nil, "wantread" | nil, "closed" | nil, message
 *   sock:send(data [, i [, j]]) -> count taken from data[i..j] (0: the socket is full)
 *       | nil, message ("closed" for a reset or broken connection)
 *   sock:shutdown(["both" | "send" | "receive"]) -> 1 | nil, message
 *   sock:getpeername() / sock:getsockname() -> address, port, "inet" | "inet6" | nil, message
 *   sock:setoption("tcp-nodelay", on) -> 1 | nil, message; sock:getoption("tcp-nodelay")
 *   sock:getfd() -> fd (-1 once closed); sock:dirty() -> false; sock:close() -> 1
 * A closed Socket answers nil, "closed" (as LuaSocket's does).
 */
#include <limits.h>
#include <netinet/in.h>
#include <string.h>

#include "err.h"
#include "lua_common.h"
#include "sys_sock.h"

/* Most addresses one name gives here (getaddrinfo lists each family once per address). */
#define MAX_ADDRS 16
/* recv() reads into the C stack up to this size, larger counts into a luaL_Buffer. */
#define STACK_RECV 16384
#define MAX_RECV (1 << 20)

typedef struct {
    mt_lua_obj h;
    int fd;
} sock;

static int push_errno(lua_State *L, int sys_errno)
{
    lua_pushnil(L);
    lua_pushstring(L, mt_sock_strerror(sys_errno));
    return 2;
}

static int push_closed(lua_State *L)
{
    lua_pushnil(L);
    lua_pushliteral(L, "closed");
    return 2;
}

static void sock_release(sock *s)
{
    if (s->h.open) {
        mt_sock_close(s->fd);
    }
    s->fd = -1;
    s->h.open = 0;
}

/* A new closed Socket on the stack. Made before the descriptor it will own, so a memory
 * error raises while there is no descriptor to leak. */
static sock *push_sock(lua_State *L)
{
    sock *s = mt_lua_new(L, MT_SOCKET_T, sizeof(*s), 0);
    s->fd = -1;
    return s;
}

static sock *check_sock(lua_State *L)
{
    return luaL_checkudata(L, 1, MT_SOCKET_T);
}

static unsigned check_port(lua_State *L, int idx)
{
    lua_Integer port = luaL_checkinteger(L, idx);
    luaL_argcheck(L, port >= 0 && port <= 65535, idx, "port must be between 0 and 65535");
    return (unsigned)port;
}

static void check_addr(lua_State *L, int idx, mt_sock_addr *a)
{
    size_t len;
    const char *bytes = luaL_checklstring(L, idx, &len);
    luaL_argcheck(L, mt_sock_addr_set(a, bytes, len) == 0, idx, "not an address from sock_resolve");
}

static int sock_resolve(lua_State *L)
{
    const char *host = luaL_optstring(L, 1, NULL);
    unsigned port = check_port(L, 2);
    int passive = lua_toboolean(L, 3);
    mt_sock_addr addrs[MAX_ADDRS];
    size_t n;
    int gai_err, sys_errno;
    if (mt_sock_resolve(host, port, passive, addrs, MAX_ADDRS, &n, &gai_err, &sys_errno) < 0) {
        lua_pushnil(L);
        lua_pushstring(L, mt_sock_gai_strerror(gai_err, sys_errno));
        return 2;
    }
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushlstring(L, (const char *)&addrs[i].ss, addrs[i].len);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int sock_connect(lua_State *L)
{
    mt_sock_addr a;
    check_addr(L, 1, &a);
    sock *s = push_sock(L);
    int sys_errno;
    int rc = mt_sock_connect(&a, &s->fd, &sys_errno);
    if (rc < 0 && rc != -MT_E_WANT_WRITE) {
        return push_errno(L, sys_errno);
    }
    s->h.open = 1;
    lua_pushboolean(L, rc == 0);
    return 2;
}

static int sock_listen(lua_State *L)
{
    mt_sock_addr a;
    check_addr(L, 1, &a);
    lua_Integer backlog = luaL_optinteger(L, 2, 32);
    luaL_argcheck(L, backlog >= 0 && backlog <= INT_MAX, 2, "backlog out of range");
    sock *s = push_sock(L);
    int sys_errno;
    if (mt_sock_listen(&a, (int)backlog, &s->fd, &sys_errno) < 0) {
        return push_errno(L, sys_errno);
    }
    s->h.open = 1;
    return 1;
}

static int m_connected(lua_State *L)
{
    sock *s = check_sock(L);
    if (!s->h.open) {
        return push_closed(L);
    }
    int sys_errno;
    if (mt_sock_connected(s->fd, &sys_errno) < 0) {
        return push_errno(L, sys_errno);
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int m_accept(lua_State *L)
{
    sock *s = check_sock(L);
    if (!s->h.open) {
        return push_closed(L);
    }
    sock *c = push_sock(L);
    int sys_errno;
    int rc = mt_sock_accept(s->fd, &c->fd, &sys_errno);
    if (rc == -MT_E_WANT_READ) {
        lua_pushnil(L);
        lua_pushliteral(L, "wantread");
        return 2;
    }
    if (rc < 0) {
        return push_errno(L, sys_errno);
    }
    c->h.open = 1;
    return 1;
}

/* A recv that got nothing: pushes nil, why and returns 2; 0 when n bytes came. */
static int recv_result(lua_State *L, long n, int sys_errno)
{
    if (n == -MT_E_WANT_READ) {
        lua_pushnil(L);
        lua_pushliteral(L, "wantread");
        return 2;
    }
    if (n < 0) {
        return push_errno(L, sys_errno);
    }
    if (n == 0) {
        return push_closed(L);
    }
    return 0;
}

static int m_recv(lua_State *L)
{
    sock *s = check_sock(L);
    lua_Integer max = luaL_optinteger(L, 2, STACK_RECV);
    luaL_argcheck(L, max > 0 && max <= MAX_RECV, 2, "1 .. 1048576 bytes");
    if (!s->h.open) {
        return push_closed(L);
    }
    int sys_errno;
    if (max <= STACK_RECV) {
        char buf[STACK_RECV];
        long n = mt_sock_recv(s->fd, buf, (size_t)max, &sys_errno);
        int k = recv_result(L, n, sys_errno);
        if (k > 0) {
            return k;
        }
        lua_pushlstring(L, buf, (size_t)n);
        return 1;
    }
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, (size_t)max);
    long n = mt_sock_recv(s->fd, p, (size_t)max, &sys_errno);
    int k = recv_result(L, n, sys_errno);
    if (k > 0) {
        return k;
    }
    luaL_pushresultsize(&b, (size_t)n);
    return 1;
}

static int m_send(lua_State *L)
{
    sock *s = check_sock(L);
    size_t len;
    const char *data = luaL_checklstring(L, 2, &len);
    lua_Integer i = luaL_optinteger(L, 3, 1);
    lua_Integer j = luaL_optinteger(L, 4, (lua_Integer)len);
    luaL_argcheck(L, i >= 1, 3, "start index must be positive");
    luaL_argcheck(L, j >= 0, 4, "end index must not be negative");
    if (j > (lua_Integer)len) {
        j = (lua_Integer)len;
    }
    if (!s->h.open) {
        return push_closed(L);
    }
    if (i > j) {
        lua_pushinteger(L, 0);
        return 1;
    }
    int sys_errno;
    long n = mt_sock_send(s->fd, data + (i - 1), (size_t)(j - i + 1), &sys_errno);
    if (n < 0) {
        return push_errno(L, sys_errno);
    }
    lua_pushinteger(L, n);
    return 1;
}

static int m_shutdown(lua_State *L)
{
    static const char *const hows[] = {"both", "send", "receive", NULL};
    static const int codes[] = {SHUT_RDWR, SHUT_WR, SHUT_RD};
    sock *s = check_sock(L);
    int how = luaL_checkoption(L, 2, "both", hows);
    if (!s->h.open) {
        return push_closed(L);
    }
    int sys_errno;
    if (mt_sock_shutdown(s->fd, codes[how], &sys_errno) < 0) {
        return push_errno(L, sys_errno);
    }
    lua_pushinteger(L, 1);
    return 1;
}

static int push_name(lua_State *L, int peer)
{
    sock *s = check_sock(L);
    if (!s->h.open) {
        return push_closed(L);
    }
    char host[INET6_ADDRSTRLEN + 16];
    unsigned port;
    int family, sys_errno;
    if (mt_sock_name(s->fd, peer, host, sizeof(host), &port, &family, &sys_errno) < 0) {
        return push_errno(L, sys_errno);
    }
    lua_pushstring(L, host);
    lua_pushinteger(L, (lua_Integer)port);
    lua_pushstring(L, family == AF_INET6 ? "inet6" : "inet");
    return 3;
}

static int m_getpeername(lua_State *L)
{
    return push_name(L, 1);
}

static int m_getsockname(lua_State *L)
{
    return push_name(L, 0);
}

static const char *const options[] = {"tcp-nodelay", NULL};

static int m_setoption(lua_State *L)
{
    sock *s = check_sock(L);
    luaL_checkoption(L, 2, NULL, options);
    luaL_checkany(L, 3);
    if (!s->h.open) {
        return push_closed(L);
    }
    int sys_errno;
    if (mt_sock_nodelay(s->fd, lua_toboolean(L, 3), &sys_errno) < 0) {
        return push_errno(L, sys_errno);
    }
    lua_pushinteger(L, 1);
    return 1;
}

static int m_getoption(lua_State *L)
{
    sock *s = check_sock(L);
    luaL_checkoption(L, 2, NULL, options);
    if (!s->h.open) {
        return push_closed(L);
    }
    int on, sys_errno;
    if (mt_sock_nodelay_get(s->fd, &on, &sys_errno) < 0) {
        return push_errno(L, sys_errno);
    }
    lua_pushboolean(L, on);
    return 1;
}

static int m_getfd(lua_State *L)
{
    sock *s = check_sock(L);
    lua_pushinteger(L, s->h.open ? s->fd : -1);
    return 1;
}

/* socket.select's protocol: no data is buffered above the kernel. */
static int m_dirty(lua_State *L)
{
    check_sock(L);
    lua_pushboolean(L, 0);
    return 1;
}

static int m_close(lua_State *L)
{
    sock_release(check_sock(L));
    lua_pushinteger(L, 1);
    return 1;
}

static int m_gc(lua_State *L)
{
    sock_release(check_sock(L));
    return 0;
}

static int m_tostring(lua_State *L)
{
    sock *s = check_sock(L);
    if (!s->h.open) {
        lua_pushliteral(L, MT_SOCKET_T " (closed)");
    } else {
        lua_pushfstring(L, MT_SOCKET_T " (fd %d): %p", s->fd, (void *)s);
    }
    return 1;
}

static const luaL_Reg methods[] = {
    {"connected", m_connected},
    {"accept", m_accept},
    {"recv", m_recv},
    {"send", m_send},
    {"shutdown", m_shutdown},
    {"getpeername", m_getpeername},
    {"getsockname", m_getsockname},
    {"setoption", m_setoption},
    {"getoption", m_getoption},
    {"getfd", m_getfd},
    {"dirty", m_dirty},
    {"close", m_close},
    {NULL, NULL},
};

static const luaL_Reg meta[] = {
    {"__gc", m_gc},
    {"__close", m_gc},
    {"__tostring", m_tostring},
    {NULL, NULL},
};

void mt_lua_sock_register(lua_State *L)
{
    mt_lua_class(L, MT_SOCKET_T, methods, meta);
    lua_pushcfunction(L, sock_resolve);
    lua_setfield(L, -2, "sock_resolve");
    lua_pushcfunction(L, sock_connect);
    lua_setfield(L, -2, "sock_connect");
    lua_pushcfunction(L, sock_listen);
    lua_setfield(L, -2, "sock_listen");
}
