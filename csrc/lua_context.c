/*
 * moontls.Context -- configuration and policy (Pike SSL.Context): the engine's
 * mt_config plus the certificate chains and keys it points to, owned here and
 * wiped on close. Connections (moontls.File) keep their Context alive through a
 * user value.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "err.h"
#include "kex.h"
#include "kex_dh.h"
#include "keys.h"
#include "lua_common.h"
#include "pem.h"
#include "replay.h"
#include "session.h"
#include "suites.h"
#include "ticket.h"
#include "x509.h"

#define MAX_CHAIN_CERTS 10

typedef struct {
    mt_lua_obj h;
    int users;        /* Files using cfg: freeing waits for them */
    int free_pending; /* closed while Files still used it */
    int server;
    mt_config cfg;
    mt_chain chains[MT_MAX_CHAINS];
    uint8_t *der[MT_MAX_CHAINS][MAX_CHAIN_CERTS];
    size_t der_len[MT_MAX_CHAINS][MAX_CHAIN_CERTS];
    uint8_t *ca_names;  /* cfg.ca_names: the CertificateRequest's certificate_authorities */
    mt_tickets tickets; /* cfg.tickets (server, unless tickets = false): wiped on free */
} context;

/* Frees the chains and keys now. */
static void context_free(context *c)
{
    for (size_t i = 0; i < MT_MAX_CHAINS; i++) {
        for (size_t j = 0; j < MAX_CHAIN_CERTS; j++) {
            free(c->der[i][j]);
            c->der[i][j] = NULL;
        }
        mt_key_free(c->chains[i].key);
        c->chains[i].key = NULL;
        mt_x509_free((mt_x509 *)c->chains[i].leaf);
        c->chains[i].leaf = NULL;
    }
    c->cfg.nchains = 0;
    mt_cache_free(c->cfg.cache);
    c->cfg.cache = NULL;
    mt_replay_free(c->cfg.replay);
    c->cfg.replay = NULL;
    free(c->ca_names);
    c->ca_names = NULL;
    c->cfg.ca_names = NULL;
    c->cfg.ca_names_len = 0;
    mt_tickets_wipe(&c->tickets);
    c->cfg.tickets = NULL;
    c->h.open = 0;
    c->free_pending = 0;
}

/* close/__close/__gc: no new Files from here on; keys are wiped once no File uses them. */
static void context_release(context *c)
{
    c->h.open = 0;
    if (c->users > 0) {
        c->free_pending = 1;
    } else {
        context_free(c);
    }
}

void *mt_lua_context_acquire(lua_State *L, int idx, const struct mt_config **cfg, int *server)
{
    context *c = mt_lua_check_open(L, idx, MT_CONTEXT_T);
    c->users++;
    *cfg = &c->cfg;
    *server = c->server;
    return c;
}

void mt_lua_context_unref(void *ctx)
{
    context *c = ctx;
    if (c && --c->users == 0 && c->free_pending) {
        context_free(c);
    }
}

/* Load chain k from the PEM certificates and key at the top of opts.chains[k]. */
static int load_chain(context *c, size_t k, const char *certs, size_t clen, const char *key,
                      size_t klen, const char *pw, size_t pwlen)
{
    mt_chain *ch = &c->chains[k];
    mt_rd r;
    mt_wr der;
    char label[MT_PEM_MAX_LABEL + 1];
    int rc;
    mt_rd_init(&r, certs, clen);
    mt_wr_init_growable(&der, 1 << 20);
    ch->der = c->der[k];
    ch->der_len = c->der_len[k];
    ch->n = 0;
    while ((rc = mt_pem_next(&r, label, &der)) == 1) {
        if (strcmp(label, "CERTIFICATE") != 0) {
            mt_wr_reset(&der);
            continue;
        }
        if (ch->n == MAX_CHAIN_CERTS) {
            rc = -MT_E_INVALID_ARG;
            break;
        }
        size_t n;
        uint8_t *p = mt_wr_take(&der, &n);
        if (!p) {
            rc = -MT_E_PEM;
            break;
        }
        c->der[k][ch->n] = p;
        c->der_len[k][ch->n] = n;
        ch->n++;
    }
    mt_wr_free(&der);
    if (rc < 0) {
        return rc;
    }
    if (ch->n == 0) {
        return -MT_E_PEM_NONE;
    }
    GUARD(mt_key_load((const uint8_t *)key, klen, pw, pwlen, &ch->key));
    /* the leaf, parsed once, lets the engine pick this chain by SNI */
    mt_x509 *leaf;
    GUARD(mt_x509_parse(ch->der[0], ch->der_len[0], &leaf));
    ch->leaf = leaf;
    /* a key that is not the leaf's would fail every handshake: say so now */
    mt_key *pub;
    GUARD(mt_key_from_spki(leaf->spki, leaf->spki_len, &pub));
    int same = mt_key_public_eq(pub, ch->key);
    mt_key_free(pub);
    return same ? 0 : -MT_E_KEY_MISMATCH;
}

/* Reads a list of strings at opts[field] into names (or leaves it empty); raises on a
 * non-string entry. Returns the count. */
static size_t string_list(lua_State *L, int opts, const char *field, const char **names, size_t max)
{
    size_t n = 0;
    if (lua_getfield(L, opts, field) == LUA_TTABLE) {
        for (lua_Integer i = 1; lua_geti(L, -1, i) != LUA_TNIL; i++) {
            if (lua_type(L, -1) != LUA_TSTRING || n == max) {
                luaL_error(L, "%s: expected at most %d strings", field, (int)max);
            }
            names[n++] = lua_tostring(L, -1);
            lua_pop(L, 1); /* the string stays alive in the table */
        }
        lua_pop(L, 1);
    } else if (!lua_isnil(L, -1)) {
        luaL_error(L, "%s must be a list of strings", field);
    }
    lua_pop(L, 1);
    return n;
}

static void set_suites(lua_State *L, context *c, int opts)
{
    const char *names[MT_MAX_LIST];
    size_t n = string_list(L, opts, "ciphers", names, MT_MAX_LIST);
    if (n == 0) {
        return;
    }
    c->cfg.nsuites = 0;
    for (size_t i = 0; i < n; i++) {
        const mt_suite *s = mt_suite_by_name(names[i]);
        if (!s) {
            luaL_error(L, "unknown cipher suite '%s' (use IANA names)", names[i]);
        }
        c->cfg.suites[c->cfg.nsuites++] = s->id;
    }
}

/* The name of a NamedGroup this build has ("x25519", ..., "ffdhe2048", ...), or NULL. */
static const char *group_name(uint16_t g)
{
    return mt_kex_supported(g) ? mt_kex_group_name(g) : mt_dh_group_name(g);
}

static void set_groups(lua_State *L, context *c, int opts)
{
    static const uint16_t all[] = {MT_GROUP_X25519,
                                   MT_GROUP_SECP256R1,
                                   MT_GROUP_SECP384R1,
                                   MT_GROUP_X448,
                                   MT_GROUP_SECP521R1,
                                   256,
                                   257,
                                   258,
                                   259,
                                   260};
    const char *names[MT_MAX_LIST];
    size_t n = string_list(L, opts, "groups", names, MT_MAX_LIST);
    if (n == 0) {
        return;
    }
    c->cfg.ngroups = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < sizeof(all) / sizeof(all[0]) && strcmp(group_name(all[j]), names[i])) {
            j++;
        }
        if (j == sizeof(all) / sizeof(all[0])) {
            luaL_error(L, "unknown group '%s'", names[i]);
        }
        c->cfg.groups[c->cfg.ngroups++] = all[j];
    }
}

/* min_version / max_version = "tls1.2" | "tls1.3" (context.lua checked the names) */
static void set_versions(lua_State *L, context *c, int opts)
{
    static const char *const names[] = {"tls1.2", "tls1.3", NULL};
    static const uint16_t codes[] = {MT_TLS12, MT_TLS13};
    lua_getfield(L, opts, "min_version");
    c->cfg.min_version = codes[luaL_checkoption(L, -1, "tls1.2", names)];
    lua_getfield(L, opts, "max_version");
    c->cfg.max_version = codes[luaL_checkoption(L, -1, "tls1.3", names)];
    lua_pop(L, 2);
    if (c->cfg.min_version > c->cfg.max_version) {
        luaL_error(L, "min_version is above max_version");
    }
}

static void set_alpn(lua_State *L, context *c, int opts)
{
    const char *names[32];
    size_t n = string_list(L, opts, "alpn", names, 32);
    mt_wr w;
    mt_wr_init_fixed(&w, c->cfg.alpn, sizeof(c->cfg.alpn));
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        /* RFC 7301 3.1: names of 1..255 bytes */
        if (len == 0 || len > 255 || mt_wr_u8(&w, (uint8_t)len) < 0 ||
            mt_wr_bytes(&w, names[i], len) < 0) {
            luaL_error(L, "alpn: protocol names must be 1 to 255 bytes, 500 bytes in all");
        }
    }
    c->cfg.alpn_len = w.len;
}

/* opts.client_auth = "none" | "optional" | "require" (server) and opts.ca_names = {DER Name,
 * ...}: the CertificateRequest's certificate_authorities (RFC 5246 7.4.4). */
static void set_client_auth(lua_State *L, context *c, int opts)
{
    static const char *const modes[] = {"none", "optional", "require", NULL};
    static const int values[] = {MT_CLIENT_AUTH_NONE, MT_CLIENT_AUTH_OPTIONAL,
                                 MT_CLIENT_AUTH_REQUIRE};
    lua_getfield(L, opts, "client_auth");
    c->cfg.client_auth = values[luaL_checkoption(L, -1, "none", modes)];
    lua_pop(L, 1);
    size_t total = 0, n = 0;
    if (lua_getfield(L, opts, "ca_names") != LUA_TNIL) {
        luaL_checktype(L, -1, LUA_TTABLE);
        for (lua_Integer i = 1; lua_geti(L, -1, i) != LUA_TNIL; i++, n++) {
            size_t len;
            if (lua_type(L, -1) != LUA_TSTRING) {
                luaL_error(L, "ca_names must be a list of DER names");
            }
            lua_tolstring(L, -1, &len);
            lua_pop(L, 1);
            total += 2 + len;
            /* RFC 5246 7.4.4: DistinguishedName<1..2^16-1>,
             * certificate_authorities<0..2^16-1> */
            if (len == 0 || total > 0xffff) {
                luaL_error(L, "ca_names: too many or too long names (64 kB in all)");
            }
        }
        lua_pop(L, 1);
    }
    if (total > 0) {
        c->ca_names = malloc(total); /* the Context's from here on: freed by context_free */
        if (!c->ca_names) {
            luaL_error(L, "out of memory");
        }
        mt_wr w;
        mt_wr_init_fixed(&w, c->ca_names, total);
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            size_t len;
            lua_geti(L, -1, (lua_Integer)i + 1);
            const char *der = lua_tolstring(L, -1, &len);
            rc = mt_wr_u16(&w, (uint16_t)len);
            rc = rc < 0 ? rc : mt_wr_bytes(&w, der, len);
            lua_pop(L, 1);
        }
        c->cfg.ca_names = c->ca_names;
        c->cfg.ca_names_len = w.len;
        if (rc < 0) {
            luaL_error(L, "ca_names: %s", mt_err_message(rc));
        }
    }
    lua_pop(L, 1);
}

/* opts.max_fragment_length = 512 | 1024 | 2048 | 4096 (client: RFC 6066 4) and
 * opts.record_size_limit = 64..16384 (RFC 8449). */
static void set_record_limits(lua_State *L, context *c, int opts)
{
    lua_getfield(L, opts, "max_fragment_length");
    if (!lua_isnil(L, -1)) {
        lua_Integer v = luaL_checkinteger(L, -1);
        uint8_t code = 0;
        for (uint8_t k = 1; k <= 4; k++) {
            code = v == (lua_Integer)256 << k ? k : code;
        }
        if (code == 0) {
            luaL_error(L, "max_fragment_length must be 512, 1024, 2048 or 4096");
        }
        c->cfg.max_fragment_length = code;
    }
    lua_getfield(L, opts, "record_size_limit");
    if (!lua_isnil(L, -1)) {
        lua_Integer v = luaL_checkinteger(L, -1);
        if (v < 64 || v > 16384) {
            luaL_error(L, "record_size_limit must be 64..16384");
        }
        c->cfg.record_size_limit = (uint16_t)v;
    }
    lua_pop(L, 2);
}

/* Application ticket keys (n x 48 bytes: name[16] | key[32], the first sealing) at the top of
 * the stack into c; raises on misuse. */
static void take_ticket_keys(lua_State *L, context *c)
{
    size_t n;
    const char *k = luaL_checklstring(L, -1, &n);
    if (n == 0 || n % (MT_TICKET_NAME_LEN + MT_TICKET_KEY_LEN) != 0 ||
        n / (MT_TICKET_NAME_LEN + MT_TICKET_KEY_LEN) > MT_TICKET_MAX_KEYS) {
        luaL_error(L, "ticket_keys: 1 to %d keys of a 16-byte name and a 32-byte key",
                   MT_TICKET_MAX_KEYS);
    }
    if (mt_tickets_set(&c->tickets, (const uint8_t *)k, n / 48, (int64_t)time(NULL)) < 0) {
        luaL_error(L, "ticket_keys: two keys with one name");
    }
    c->cfg.tickets = &c->tickets;
}

/* opts.tickets (false: none; default on), ticket_rotation (seconds between key rotations,
 * default 12 h), ticket_lifetime (seconds, default 2 h, at most 7 days), ticket_keys (a string
 * of 48-byte keys, see take_ticket_keys). A client only asks for tickets or not. */
static int set_tickets(lua_State *L, context *c, int opts)
{
    lua_getfield(L, opts, "tickets");
    int on = !(lua_isboolean(L, -1) && !lua_toboolean(L, -1));
    lua_pop(L, 1);
    if (!c->server) {
        c->cfg.no_tickets = !on;
        return 0;
    }
    lua_getfield(L, opts, "ticket_lifetime");
    lua_Integer life = luaL_optinteger(L, -1, 0);
    lua_getfield(L, opts, "ticket_rotation");
    lua_Integer period = luaL_optinteger(L, -1, MT_TICKET_PERIOD_DEFAULT);
    lua_pop(L, 2);
    if (life < 0 || life > MT_TICKET_LIFETIME_MAX || period < 1 || period > 0x7fffffff) {
        luaL_error(L, "ticket_lifetime: 1..604800 s; ticket_rotation: at least 1 s");
    }
    c->cfg.ticket_lifetime = (uint32_t)life;
    if (!on) {
        return 0;
    }
    int rc = mt_tickets_init(&c->tickets, (uint32_t)period, (int64_t)time(NULL));
    if (rc < 0) {
        return rc;
    }
    c->cfg.tickets = &c->tickets;
    if (lua_getfield(L, opts, "ticket_keys") != LUA_TNIL) {
        take_ticket_keys(L, c);
    }
    lua_pop(L, 1);
    return 0;
}

/* opts.post_handshake_auth = bool (TLS 1.3, RFC 8446 4.6.2), opts.early_data = bytes (0-RTT,
 * RFC 8446 4.2.10: a server announces and accepts that much, a client sends at most that much)
 * and opts.anti_replay = {size =, window =} (server: the register of used ClientHellos). */
static int set_tls13_options(lua_State *L, context *c, int opts)
{
    lua_getfield(L, opts, "post_handshake_auth");
    c->cfg.post_handshake_auth = lua_toboolean(L, -1);
    lua_getfield(L, opts, "psk_ke");
    c->cfg.psk_ke = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, opts, "early_data");
    lua_Integer early = luaL_optinteger(L, -1, 0);
    if (early < 0 || early > 0x7fffffff) {
        return luaL_error(L, "early_data must be 0..2147483647 bytes");
    }
    c->cfg.max_early_data = (uint32_t)early;
    lua_pop(L, 2);
    if (!c->server || early == 0) {
        return 0;
    }
    lua_Integer size = 4096, window = 10;
    if (lua_getfield(L, opts, "anti_replay") == LUA_TTABLE) {
        lua_getfield(L, -1, "size");
        size = luaL_optinteger(L, -1, size);
        lua_getfield(L, -2, "window");
        window = luaL_optinteger(L, -1, window);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    if (size < 1 || size > 1000000 || window < 1 || window > 3600) {
        return luaL_error(L, "anti_replay: size 1..1000000, window 1..3600 s");
    }
    int rc = mt_replay_new((size_t)size, (uint32_t)window, &c->cfg.replay);
    return rc < 0 ? mt_lua_fail(L, rc) : 0;
}

/* core.context_new(mode, opts) -> Context | nil, message, code
 * opts: chains = {{cert = PEM, key = PEM, password = s}, ...}, ciphers = {IANA names},
 * groups = {names}, alpn = {names}, verify = bool (pause to verify the peer's chain),
 * client_auth and ca_names (server, see set_client_auth), max_fragment_length and
 * record_size_limit (see set_record_limits), renegotiation = false (refuse it), tickets and
 * ticket_* (see set_tickets), post_handshake_auth, early_data, anti_replay (see
 * set_tls13_options). */
static int context_new(lua_State *L)
{
    static const char *const modes[] = {"client", "server", NULL};
    int mode = luaL_checkoption(L, 1, NULL, modes);
    int opts = lua_istable(L, 2) ? 2 : 0;
    if (!opts) {
        lua_newtable(L);
        opts = lua_gettop(L);
    }
    context *c = mt_lua_new(L, MT_CONTEXT_T, sizeof(*c), 1);
    c->server = mode == 1;
    mt_config_defaults(&c->cfg);
    c->h.open = 1;
    set_suites(L, c, opts);
    set_groups(L, c, opts);
    set_versions(L, c, opts);
    set_alpn(L, c, opts);
    set_client_auth(L, c, opts);
    set_record_limits(L, c, opts);
    if (set_tls13_options(L, c, opts) != 0) {
        return 3; /* nil, message, code */
    }
    lua_getfield(L, opts, "verify");
    c->cfg.verify_peer = lua_toboolean(L, -1);
    /* renegotiation = false refuses it both ways (nil: allowed, RFC 5746 only) */
    lua_getfield(L, opts, "renegotiation");
    c->cfg.no_renegotiation = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
    lua_pop(L, 2);
    /* session_cache = {size =, lifetime =} or false; servers cache by default */
    int ct = lua_getfield(L, opts, "session_cache");
    if (c->server && !(ct == LUA_TBOOLEAN && !lua_toboolean(L, -1))) {
        lua_Integer size = 1000, lifetime = 600;
        if (ct == LUA_TTABLE) {
            lua_getfield(L, -1, "size");
            size = luaL_optinteger(L, -1, size);
            lua_getfield(L, -2, "lifetime");
            lifetime = luaL_optinteger(L, -1, lifetime);
            lua_pop(L, 2);
        }
        if (size < 1 || size > 1000000 || lifetime < 1 || lifetime > 7 * 86400) {
            return luaL_error(L, "session_cache: size 1..1000000, lifetime 1..604800 s");
        }
        int rc = mt_cache_new((size_t)size, (uint32_t)lifetime, &c->cfg.cache);
        if (rc < 0) {
            return mt_lua_fail(L, rc);
        }
    }
    lua_pop(L, 1);
    int trc = set_tickets(L, c, opts);
    if (trc < 0) {
        return mt_lua_fail(L, trc);
    }
    if (lua_getfield(L, opts, "chains") == LUA_TTABLE) {
        for (lua_Integer i = 1; lua_geti(L, -1, i) == LUA_TTABLE; i++) {
            size_t clen, klen, pwlen = 0;
            if (c->cfg.nchains == MT_MAX_CHAINS) {
                return luaL_error(L, "at most %d certificate chains", MT_MAX_CHAINS);
            }
            lua_getfield(L, -1, "cert");
            lua_getfield(L, -2, "key");
            lua_getfield(L, -3, "password");
            const char *cert = luaL_checklstring(L, -3, &clen);
            const char *key = luaL_checklstring(L, -2, &klen);
            const char *pw = lua_isnil(L, -1) ? NULL : luaL_checklstring(L, -1, &pwlen);
            int rc = load_chain(c, c->cfg.nchains, cert, clen, key, klen, pw, pwlen);
            if (rc < 0) {
                context_free(c);
                return mt_lua_fail(L, rc);
            }
            c->cfg.chains[c->cfg.nchains] = &c->chains[c->cfg.nchains];
            c->cfg.nchains++;
            lua_pop(L, 4);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 1;
}

/* ctx:set_decisions(select, session, ticket): whether servers pause for the "select",
 * "session" and "ticket"/"new_ticket" decisions (the Lua layer turns them on when the
 * select_context / lookup_session / encode_ticket, decode_ticket hooks are set). Connections
 * already past their ClientHello are not affected. */
static int context_set_decisions(lua_State *L)
{
    context *c = mt_lua_check_open(L, 1, MT_CONTEXT_T);
    c->cfg.decide_select = lua_toboolean(L, 2);
    c->cfg.decide_session = lua_toboolean(L, 3);
    c->cfg.decide_ticket = lua_toboolean(L, 4);
    return 0;
}

/* ctx:set_ticket_keys(keys): a server's ticket keys, n x 48 bytes (name[16] | key[32]); the
 * first seals, all open, none rotates. Turns tickets on. Raises on misuse. */
static int context_set_ticket_keys(lua_State *L)
{
    context *c = mt_lua_check_open(L, 1, MT_CONTEXT_T);
    luaL_argcheck(L, c->server, 1, "ticket keys are for a server context");
    lua_settop(L, 2);
    take_ticket_keys(L, c);
    return 0;
}

/* ctx:covers(name) -> whether one of the certificates is for that host name (RFC 6125). */
static int context_covers(lua_State *L)
{
    context *c = mt_lua_check_open(L, 1, MT_CONTEXT_T);
    const char *name = luaL_checkstring(L, 2);
    int yes = 0;
    for (size_t i = 0; i < c->cfg.nchains && !yes; i++) {
        const mt_chain *ch = c->cfg.chains[i];
        yes = ch->leaf && mt_x509_check_host(ch->leaf, name, 1);
    }
    lua_pushboolean(L, yes);
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
        lua_pushfstring(L, MT_CONTEXT_T " (%s, %d certificate chains): %p",
                        c->server ? "server" : "client", (int)c->cfg.nchains, (void *)c);
    }
    return 1;
}

static const luaL_Reg methods[] = {
    {"mode", context_mode},
    {"set_decisions", context_set_decisions},
    {"set_ticket_keys", context_set_ticket_keys},
    {"covers", context_covers},
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
