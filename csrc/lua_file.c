/*
 * moontls.File (C part) -- one TLS connection's engine (engine.h). The Lua
 * module moontls.file adds the transport and the waiting; these methods never
 * block and never do I/O:
 *   feed(bytes) -> used             records received from the peer
 *   pending() -> bytes              records to send (not consumed)
 *   sent(n)                         n bytes of pending() went out
 *   read(max) -> bytes              plaintext received
 *   write(bytes) -> n               plaintext to send
 *   status([t]) -> {flags}          the engine's state word (filled into t when given)
 *   trim()                          release what an idle engine does not need
 *   decision() -> "verify" | "select" | "session" | nil; decide(ok, code_name)
 *   hello() -> sni, {alpn}; use_context(ctx) (at "select")
 *   session_id(); offer_session(session) (at "session")
 *   ticket(); offer_session(session) (at "ticket"); ticket_session(); set_ticket(t, life)
 *   (at "new_ticket")
 *   peer_chain() -> {der, ...}; info() -> {...}; close_notify(); export(label, ctx, n)
 *   renegotiate() -> true           start a secure renegotiation (status().handshaking)
 *   request_client_auth() -> true   TLS 1.3 post-handshake CertificateRequest (server)
 *   write_early(bytes) -> n         TLS 1.3 0-RTT data (client, before the ServerHello)
 * read() returns a second value, true, when the bytes are early data (0-RTT, replayable).
 * Transient results are `nil, "wantread"` / `nil, "wantwrite"` / `nil, "closed"`;
 * failures `nil, message, code`.
 */
#include <string.h>

#include "engine.h"
#include "err.h"
#include "kex.h"
#include "kex_dh.h"
#include "lua_common.h"
#include "session.h"
#include "suites.h"

typedef struct {
    mt_lua_obj h;
    mt_conn *conn;
    void *ctx; /* the Context's use count, released on close */
} file;

static void file_release(file *f)
{
    mt_conn_free(f->conn);
    f->conn = NULL;
    mt_lua_context_unref(f->ctx);
    f->ctx = NULL;
    f->h.open = 0;
}

/* nil, name for transient states; nil, message, name for failures (peer alerts named). */
static int push_error(lua_State *L, int rc, mt_conn *c)
{
    if (rc == -MT_E_WANT_READ || rc == -MT_E_WANT_WRITE || rc == -MT_E_CLOSED) {
        lua_pushnil(L);
        lua_pushstring(L, mt_err_name(rc));
        return 2;
    }
    if (rc == -MT_E_PEER_ALERT && c && mt_conn_peer_alert(c) >= 0) {
        const char *name = mt_alert_name(mt_conn_peer_alert(c));
        lua_pushnil(L);
        lua_pushfstring(L, "%s alert received", name ? name : "unknown");
        lua_pushstring(L, mt_err_name(rc));
        return 3;
    }
    return mt_lua_fail(L, rc);
}

/* core.file_new(ctx, server_name) -> File */
static int file_new(lua_State *L)
{
    const char *sni = luaL_optstring(L, 2, NULL);
    file *f = mt_lua_new(L, MT_FILE_T, sizeof(*f), 1);
    const struct mt_config *cfg;
    int server;
    f->ctx = mt_lua_context_acquire(L, 1, &cfg, &server);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    f->h.open = 1; /* from here on, release() undoes the acquire */
    int rc = mt_conn_new(cfg, server, server ? NULL : sni, &f->conn);
    if (rc < 0) {
        file_release(f);
        return mt_lua_fail(L, rc);
    }
    return 1;
}

static file *check(lua_State *L)
{
    return mt_lua_check_open(L, 1, MT_FILE_T);
}

static int file_feed(lua_State *L)
{
    file *f = check(L);
    size_t len, used;
    const char *data = luaL_checklstring(L, 2, &len);
    int rc = mt_conn_feed(f->conn, (const uint8_t *)data, len, &used);
    if (rc < 0) {
        return push_error(L, rc, f->conn);
    }
    lua_pushinteger(L, (lua_Integer)used);
    return 1;
}

static int file_pending(lua_State *L)
{
    file *f = check(L);
    size_t len;
    const uint8_t *p = mt_conn_out(f->conn, &len);
    lua_pushlstring(L, p ? (const char *)p : "", len);
    return 1;
}

static int file_sent(lua_State *L)
{
    file *f = check(L);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n >= 0, 2, "negative count");
    mt_conn_out_done(f->conn, (size_t)n);
    return 0;
}

static int file_read(lua_State *L)
{
    file *f = check(L);
    lua_Integer max = luaL_optinteger(L, 2, 16384);
    luaL_argcheck(L, max > 0 && max <= (1 << 24), 2, "size must be between 1 and 16777216");
    const uint8_t *p;
    size_t n;
    int early = (mt_conn_status(f->conn) & MT_ST_EARLY_DATA) != 0;
    int rc = mt_conn_peek(f->conn, &p, &n);
    if (rc < 0) {
        return push_error(L, rc, f->conn);
    }
    n = n < (size_t)max ? n : (size_t)max;
    lua_pushlstring(L, (const char *)p, n); /* one copy, straight from the record */
    mt_conn_consume(f->conn, n);
    lua_pushboolean(L, early);
    return 2;
}

static int file_write(lua_State *L)
{
    file *f = check(L);
    size_t len, n;
    const char *data = luaL_checklstring(L, 2, &len);
    int rc = mt_conn_write(f->conn, (const uint8_t *)data, len, &n);
    if (rc < 0) {
        return push_error(L, rc, f->conn);
    }
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

static int file_status(lua_State *L)
{
    file *f = check(L);
    static const struct {
        int bit;
        const char *name;
    } bits[] = {
        {MT_ST_WANT_INPUT, "want_input"},   {MT_ST_HAS_OUTPUT, "has_output"},
        {MT_ST_READABLE, "readable"},       {MT_ST_WRITABLE, "writable"},
        {MT_ST_DECISION, "decision"},       {MT_ST_CONNECTED, "connected"},
        {MT_ST_PEER_CLOSED, "peer_closed"}, {MT_ST_CLOSED, "closed"},
        {MT_ST_HANDSHAKING, "handshaking"}, {MT_ST_EARLY_DATA, "early_data"},
    };
    int st = mt_conn_status(f->conn);
    if (lua_istable(L, 2)) {
        /* the caller's table, refilled only when the state word changed */
        lua_settop(L, 2);
        if (lua_getfield(L, 2, "bits") == LUA_TNUMBER && lua_tointeger(L, -1) == st) {
            lua_settop(L, 2);
            return 1;
        }
        lua_pop(L, 1);
        lua_pushinteger(L, st);
        lua_setfield(L, 2, "bits");
    } else {
        lua_createtable(L, 0, 12);
    }
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        lua_pushboolean(L, (st & bits[i].bit) != 0);
        lua_setfield(L, -2, bits[i].name);
    }
    return 1;
}

static int file_trim(lua_State *L)
{
    mt_conn_trim(check(L)->conn);
    return 0;
}

static int file_error(lua_State *L)
{
    file *f = check(L);
    int rc = mt_conn_error(f->conn);
    if (rc == 0) {
        return 0;
    }
    int n = push_error(L, rc, f->conn); /* nil, message [, code] */
    lua_remove(L, -n);                  /* drop the nil */
    return n - 1;
}

static int file_decision(lua_State *L)
{
    static const char *const names[] = {NULL,      "verify", "select",
                                        "session", "ticket", "new_ticket"};
    file *f = check(L);
    int d = mt_conn_decision(f->conn);
    if (d > 0 && d < (int)(sizeof(names) / sizeof(names[0]))) {
        lua_pushstring(L, names[d]);
        return 1;
    }
    return 0;
}

/* hello() -> sni, {alpn names}: at the "select" decision, what the client asked for ("" when
 * it sent no name; an empty list when no ALPN). */
static int file_hello(lua_State *L)
{
    file *f = check(L);
    const char *sni;
    const uint8_t *alpn;
    size_t alpn_len;
    int rc = mt_conn_hello(f->conn, &sni, &alpn, &alpn_len);
    if (rc < 0) {
        return luaL_error(L, "hello() outside the select decision");
    }
    lua_pushstring(L, sni);
    lua_newtable(L);
    /* the engine checked the list: u8-prefixed, non-empty names filling it exactly */
    for (size_t off = 0, i = 1; off < alpn_len; i++) {
        size_t n = alpn[off];
        lua_pushlstring(L, (const char *)alpn + off + 1, n);
        lua_rawseti(L, -2, (lua_Integer)i);
        off += 1 + n;
    }
    return 2;
}

/* use_context(ctx): at the "select" decision, go on with another server Context. */
static int file_use_context(lua_State *L)
{
    file *f = check(L);
    if (mt_conn_decision(f->conn) != MT_DECIDE_SELECT) {
        return luaL_error(L, "use_context() outside the select decision");
    }
    const struct mt_config *cfg;
    int server;
    void *ctx = mt_lua_context_acquire(L, 2, &cfg, &server);
    if (!server) {
        mt_lua_context_unref(ctx);
        return luaL_argerror(L, 2, "a server Context is needed");
    }
    int rc = mt_conn_set_config(f->conn, cfg);
    if (rc < 0) {
        mt_lua_context_unref(ctx);
        return push_error(L, rc, f->conn);
    }
    mt_lua_context_unref(f->ctx);
    f->ctx = ctx;
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 1, 1);
    lua_pushboolean(L, 1);
    return 1;
}

/* session_id() -> the client's offered id at the "session" decision, else this connection's
 * (a binary string, "" when none). */
static int file_session_id(lua_State *L)
{
    file *f = check(L);
    const uint8_t *id;
    size_t n = mt_conn_session_id(f->conn, &id);
    lua_pushlstring(L, n ? (const char *)id : "", n);
    return 1;
}

/* offer_session(session): at the "session" decision, the session stored under that id; at the
 * "ticket" decision, the session the ticket stands for. */
static int file_offer_session(lua_State *L)
{
    file *f = check(L);
    int d = mt_conn_decision(f->conn);
    if (d != MT_DECIDE_SESSION && d != MT_DECIDE_TICKET) {
        return luaL_error(L, "offer_session() outside the session and ticket decisions");
    }
    int rc = mt_conn_offer_session(f->conn, mt_lua_session_check(L, 2));
    if (rc < 0) {
        return luaL_argerror(L, 2, "the session's id is not the one asked for");
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* ticket() -> the ticket the client offers, at the "ticket" decision (a binary string). */
static int file_ticket(lua_State *L)
{
    file *f = check(L);
    if (mt_conn_decision(f->conn) != MT_DECIDE_TICKET) {
        return luaL_error(L, "ticket() outside the ticket decision");
    }
    const uint8_t *t;
    size_t n = mt_conn_ticket(f->conn, &t);
    lua_pushlstring(L, (const char *)t, n);
    return 1;
}

/* ticket_session() -> the Session a new ticket stands for, at the "new_ticket" decision. */
static int file_ticket_session(lua_State *L)
{
    file *f = check(L);
    mt_session s;
    if (mt_conn_ticket_session(f->conn, &s) < 0) {
        return luaL_error(L, "ticket_session() outside the new_ticket decision");
    }
    mt_lua_session_push(L, &s);
    mt_session_wipe(&s);
    return 1;
}

/* set_ticket(ticket[, lifetime]): at the "new_ticket" decision, the ticket to send (1..1024
 * bytes) and its lifetime in seconds (default: the Context's). */
static int file_set_ticket(lua_State *L)
{
    file *f = check(L);
    size_t n;
    const char *t = luaL_checklstring(L, 2, &n);
    lua_Integer life = luaL_optinteger(L, 3, 0);
    luaL_argcheck(L, life >= 0 && life <= MT_TICKET_LIFETIME_MAX, 3, "lifetime: 0..604800 s");
    if (mt_conn_decision(f->conn) != MT_DECIDE_NEW_TICKET) {
        return luaL_error(L, "set_ticket() outside the new_ticket decision");
    }
    if (mt_conn_set_ticket(f->conn, (const uint8_t *)t, n, (uint32_t)life) < 0) {
        return luaL_argerror(L, 2, "a ticket is 1 to 1024 bytes");
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* decide(true) accepts; decide(false, code_name) fails the handshake with that error. */
static int file_decide(lua_State *L)
{
    file *f = check(L);
    int verdict = 0;
    if (!lua_toboolean(L, 2)) {
        int code = mt_err_by_name(luaL_optstring(L, 3, "certificate_unknown"));
        verdict = -(code ? code : MT_E_CERTIFICATE_UNKNOWN);
    }
    int rc = mt_conn_decide(f->conn, verdict);
    if (rc < 0) {
        return push_error(L, rc, f->conn);
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int file_peer_chain(lua_State *L)
{
    file *f = check(L);
    const uint8_t *der;
    size_t len;
    size_t n = mt_conn_peer_chain(f->conn, 0, &der, &len);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        mt_conn_peer_chain(f->conn, i, &der, &len);
        lua_pushlstring(L, (const char *)der, len);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int file_info(lua_State *L)
{
    file *f = check(L);
    mt_conn_info in;
    mt_conn_get_info(f->conn, &in);
    const mt_suite *s = mt_suite_by_id(in.suite);
    lua_createtable(L, 0, 12);
    lua_pushstring(L, in.version == 0x0303 ? "TLSv1.2" : in.version == 0x0304 ? "TLSv1.3" : "");
    lua_setfield(L, -2, "version");
    lua_pushstring(L, s ? s->name : "");
    lua_setfield(L, -2, "cipher");
    const char *g =
        mt_kex_supported(in.group) ? mt_kex_group_name(in.group) : mt_dh_group_name(in.group);
    lua_pushstring(L, g ? g : "");
    lua_setfield(L, -2, "group");
    lua_pushinteger(L, in.sigalg);
    lua_setfield(L, -2, "sigalg");
    lua_pushboolean(L, in.ems);
    lua_setfield(L, -2, "ems");
    lua_pushboolean(L, in.etm);
    lua_setfield(L, -2, "etm");
    lua_pushboolean(L, in.resumed);
    lua_setfield(L, -2, "resumed");
    lua_pushinteger(L, in.renegotiations);
    lua_setfield(L, -2, "renegotiations");
    lua_pushboolean(L, in.secure_renegotiation);
    lua_setfield(L, -2, "secure_renegotiation");
    lua_pushboolean(L, in.post_handshake_auth);
    lua_setfield(L, -2, "post_handshake_auth");
    lua_pushinteger(L, in.client_auths);
    lua_setfield(L, -2, "client_auths");
    /* 0-RTT: nil when not offered */
    static const char *const early[] = {NULL, "offered", "accepted", "rejected"};
    if (in.early_data > 0 && in.early_data <= 3) {
        lua_pushstring(L, early[in.early_data]);
        lua_setfield(L, -2, "early_data");
        lua_pushinteger(L, (lua_Integer)in.early_bytes);
        lua_setfield(L, -2, "early_bytes");
    }
    /* record limits (RFC 6066 4, RFC 8449), only those in effect */
    static const char *const names[] = {"max_fragment_length", "send_limit", "recv_limit"};
    const unsigned lim[] = {in.max_fragment, in.send_limit, in.recv_limit};
    for (size_t i = 0; i < 3; i++) {
        if (lim[i]) {
            lua_pushinteger(L, lim[i]);
            lua_setfield(L, -2, names[i]);
        }
    }
    if (in.alpn[0]) {
        lua_pushstring(L, in.alpn);
        lua_setfield(L, -2, "alpn");
    }
    if (in.sni[0]) {
        lua_pushstring(L, in.sni);
        lua_setfield(L, -2, "sni");
    }
    return 1;
}

static int file_close_notify(lua_State *L)
{
    file *f = check(L);
    int rc = mt_conn_close(f->conn);
    if (rc < 0) {
        return push_error(L, rc, f->conn);
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* export(label, context_or_nil, length) -> keying material (RFC 5705) */
static int file_export(lua_State *L)
{
    file *f = check(L);
    const char *label = luaL_checkstring(L, 2);
    size_t clen = 0;
    const char *ctx = luaL_optlstring(L, 3, NULL, &clen);
    lua_Integer n = luaL_checkinteger(L, 4);
    luaL_argcheck(L, n > 0 && n <= 4096, 4, "length must be between 1 and 4096");
    luaL_Buffer b;
    uint8_t *p = (uint8_t *)luaL_buffinitsize(L, &b, (size_t)n);
    int rc = mt_conn_export(f->conn, label, (const uint8_t *)ctx, clen, ctx != NULL, p, (size_t)n);
    if (rc < 0) {
        return push_error(L, rc, f->conn);
    }
    luaL_pushresultsize(&b, (size_t)n);
    return 1;
}

/* session() -> Session | nil, message, code (connected, and the server gave an id) */
static int file_session(lua_State *L)
{
    file *f = check(L);
    mt_session s;
    int rc = mt_conn_session(f->conn, &s);
    if (rc < 0) {
        return push_error(L, rc, f->conn);
    }
    mt_lua_session_push(L, &s);
    mt_session_wipe(&s);
    return 1;
}

/* resume(session): offer the session; before the first pending() is sent. */
static int file_resume(lua_State *L)
{
    file *f = check(L);
    int rc = mt_conn_resume(f->conn, mt_lua_session_check(L, 2));
    if (rc < 0) {
        return push_error(L, rc, f->conn);
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* keylog() -> the SSLKEYLOGFILE lines for this connection (one for 1.2, five for 1.3) */
static int file_keylog(lua_State *L)
{
    file *f = check(L);
    char line[MT_CONN_KEYLOG_MAX];
    int rc = mt_conn_keylog(f->conn, line, sizeof(line));
    if (rc < 0) {
        return push_error(L, rc, f->conn);
    }
    lua_pushstring(L, line);
    return 1;
}

/* renegotiate() -> true | nil, message, code: queue a HelloRequest (server) or a ClientHello
 * (client); the new handshake then runs as records move (status().handshaking). */
static int file_renegotiate(lua_State *L)
{
    file *f = check(L);
    int rc = mt_conn_renegotiate(f->conn);
    if (rc < 0) {
        return mt_lua_fail(L, rc);
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* key_update([request]) -> true | nil, message, code: TLS 1.3 KeyUpdate (RFC 8446 4.6.3); our
 * sending keys move on, and with `request` the peer is asked to update its own. */
static int file_key_update(lua_State *L)
{
    file *f = check(L);
    int rc = mt_conn_key_update(f->conn, lua_toboolean(L, 2));
    if (rc < 0) {
        return mt_lua_fail(L, rc);
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* request_client_auth() -> true | nil, message, code: TLS 1.3 post-handshake client
 * authentication (RFC 8446 4.6.2): queue a CertificateRequest; status().handshaking until the
 * client's answer was checked (info().client_auths counts them). */
static int file_request_client_auth(lua_State *L)
{
    file *f = check(L);
    int rc = mt_conn_request_client_auth(f->conn);
    if (rc < 0) {
        return push_error(L, rc, f->conn);
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* write_early(bytes) -> n | nil, message, code: TLS 1.3 0-RTT data (RFC 8446 2.3), right after
 * resume() with a session that allows it; n may be less than #bytes (the session's limit). */
static int file_write_early(lua_State *L)
{
    file *f = check(L);
    size_t len, n;
    const char *data = luaL_checklstring(L, 2, &len);
    int rc = mt_conn_write_early(f->conn, (const uint8_t *)data, len, &n);
    if (rc < 0 && !(rc == -MT_E_WANT_WRITE && n == 0)) {
        return push_error(L, rc, f->conn);
    }
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

/* f:dirty() -> true when records wait to be sent (LuaSocket's dirty). */
static int file_dirty(lua_State *L)
{
    file *f = check(L);
    size_t len;
    mt_conn_out(f->conn, &len);
    lua_pushboolean(L, len > 0);
    return 1;
}

static int file_close(lua_State *L)
{
    file_release(luaL_checkudata(L, 1, MT_FILE_T));
    return 0;
}

static int file_closed(lua_State *L)
{
    file *f = luaL_checkudata(L, 1, MT_FILE_T);
    lua_pushboolean(L, !f->h.open);
    return 1;
}

static int file_tostring(lua_State *L)
{
    file *f = luaL_checkudata(L, 1, MT_FILE_T);
    if (!f->h.open) {
        lua_pushstring(L, MT_FILE_T " (closed)");
    } else {
        lua_pushfstring(L, MT_FILE_T ": %p", (void *)f);
    }
    return 1;
}

static const luaL_Reg methods[] = {
    {"feed", file_feed},
    {"pending", file_pending},
    {"sent", file_sent},
    {"read", file_read},
    {"write", file_write},
    {"status", file_status},
    {"trim", file_trim},
    {"error", file_error},
    {"decision", file_decision},
    {"decide", file_decide},
    {"peer_chain", file_peer_chain},
    {"info", file_info},
    {"close_notify", file_close_notify},
    {"export", file_export},
    {"session", file_session},
    {"resume", file_resume},
    {"keylog", file_keylog},
    {"dirty", file_dirty},
    {"close", file_close},
    {"hello", file_hello},
    {"use_context", file_use_context},
    {"session_id", file_session_id},
    {"offer_session", file_offer_session},
    {"ticket", file_ticket},
    {"ticket_session", file_ticket_session},
    {"set_ticket", file_set_ticket},
    {"closed", file_closed},
    {"renegotiate", file_renegotiate},
    {"key_update", file_key_update},
    {"request_client_auth", file_request_client_auth},
    {"write_early", file_write_early},
    {NULL, NULL},
};

static const luaL_Reg meta[] = {
    {"__gc", file_close},
    {"__close", file_close},
    {"__tostring", file_tostring},
    {NULL, NULL},
};

void mt_lua_file_register(lua_State *L)
{
    mt_lua_class(L, MT_FILE_T, methods, meta);
    lua_pushcfunction(L, file_new);
    lua_setfield(L, -2, "file_new");
}
