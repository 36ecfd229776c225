/*
 * lua_common.h -- helpers shared by the binding files (csrc/lua_*.c), the only
 * files that include lua.h.
 *
 * Object life cycle (STYLE.md): a constructor creates the userdata zeroed with
 * its metatable already set -- a closed object -- and only then initialises
 * it, so an error half-way leaves something __gc can collect. close(),
 * __close and __gc all call one idempotent function per class.
 */
#ifndef MT_LUA_COMMON_H
#define MT_LUA_COMMON_H

#include <lauxlib.h>
#include <lua.h>

/* Metatable names, part of the API. */
#define MT_CONTEXT_T "moontls.Context"
#define MT_SESSION_T "moontls.Session"
#define MT_FILE_T "moontls.File"
#define MT_KEY_T "moontls.Key"
#define MT_CERTIFICATE_T "moontls.Certificate"
#define MT_TRUSTSTORE_T "moontls.TrustStore"
#define MT_POLLER_T "moontls.Poller"
#define MT_SOCKET_T "moontls.Socket"

/* Every class struct starts with this header. */
typedef struct mt_lua_obj {
    int open;
} mt_lua_obj;

/*
 * Create metatable `tname` with __index = methods, __name, and the given
 * metamethods (NULL-terminated luaL_Reg lists). Leaves nothing on the stack.
 */
void mt_lua_class(lua_State *L, const char *tname, const luaL_Reg *methods, const luaL_Reg *meta);

/* A new zeroed (closed) userdata of `size` bytes with `nuv` user values and metatable `tname`. */
void *mt_lua_new(lua_State *L, const char *tname, size_t size, int nuv);

/* The object at `idx`, which must be of class `tname` and open; raises otherwise. */
void *mt_lua_check_open(lua_State *L, int idx, const char *tname);

/* Push `nil, message, name` for a core error code (negative) and return 3. */
int mt_lua_fail(lua_State *L, int code);

/* The key of the moontls.Key object at `idx` (open); raises otherwise. Implemented in
 * lua_keys.c. The pointer stays valid while the object is reachable and not closed. */
struct mt_key;
struct mt_key *mt_lua_check_key(lua_State *L, int idx);

/* Take a use of the open Context at idx (raises otherwise): its engine configuration stays
 * valid, even across ctx:close(), until mt_lua_context_unref(returned pointer). */
struct mt_config;
void *mt_lua_context_acquire(lua_State *L, int idx, const struct mt_config **cfg, int *server);
void mt_lua_context_unref(void *ctx);

/* Push a new moontls.Session holding a copy of s; check one at idx (open, raises otherwise). */
struct mt_session;
void mt_lua_session_push(lua_State *L, const struct mt_session *s);
const struct mt_session *mt_lua_session_check(lua_State *L, int idx);

/* Registration functions of each class, called by luaopen_moontls_core with the module
 * table on top of the stack: each creates its metatable and adds its constructor. */
void mt_lua_context_register(lua_State *L);
void mt_lua_session_register(lua_State *L);
void mt_lua_file_register(lua_State *L);
void mt_lua_keys_register(lua_State *L);
void mt_lua_crypto_register(lua_State *L);
void mt_lua_x509_register(lua_State *L);
/* core.x509_build (lua_x509write.c): certificate issuance for moontls.certgen. */
void mt_lua_x509write_register(lua_State *L);
/* core.poller_new, core.monotime (lua_loop.c): the backend of moontls.loop. */
void mt_lua_loop_register(lua_State *L);
/* core.sock_* (lua_sock.c): the native TCP transport, class moontls.Socket. */
void mt_lua_sock_register(lua_State *L);

#endif
