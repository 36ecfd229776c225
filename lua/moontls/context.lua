--- moontls.context{...}: configuration and policy (Pike SSL.Context).
-- The C Context (moontls.core) holds the engine configuration, chains and keys;
-- this Lua table adds what the Lua layer decides: trust anchors and the
-- verification policy, and the hooks users set as fields.
local core = require "moontls.core"

local M = {}

local Context = {}
Context.__index = Context
M.Context = Context

-- The hooks (see moontls.decide); setting one on a server turns its decision point on.
local HOOKS = { select_context = true, find_cert = true, verify = true, lookup_session = true,
   record_session = true, encode_ticket = true, decode_ticket = true }

local function sync_decisions(ctx)
   if ctx.mode == "server" then
      ctx.core:set_decisions(rawget(ctx, "select_context") ~= nil
         or rawget(ctx, "find_cert") ~= nil, rawget(ctx, "lookup_session") ~= nil,
         rawget(ctx, "encode_ticket") ~= nil or rawget(ctx, "decode_ticket") ~= nil)
   end
end

-- Ticket keys as the C core takes them: n x (name[16] .. key[32]). Accepts that string, or a
-- list of {name = 16 bytes, key = 32 bytes}. Raises on anything else.
local function ticket_key_string(keys, level)
   if type(keys) == "string" then
      if #keys == 0 or #keys % 48 ~= 0 or #keys > 4 * 48 then
         error("ticket_keys: a string of 1 to 4 keys of 48 bytes (name[16] .. key[32])", level)
      end
      return keys
   end
   if type(keys) ~= "table" or #keys == 0 or #keys > 4 then
      error("ticket_keys: a list of 1 to 4 {name = 16 bytes, key = 32 bytes}", level)
   end
   local parts = {}
   for i, k in ipairs(keys) do
      if type(k) ~= "table" or type(k.name) ~= "string" or #k.name ~= 16
         or type(k.key) ~= "string" or #k.key ~= 32 then
         error("ticket_keys: entry " .. i .. " needs name (16 bytes) and key (32 bytes)", level)
      end
      parts[i] = k.name .. k.key
   end
   return table.concat(parts)
end

function Context.__newindex(ctx, k, v)
   if HOOKS[k] and v ~= nil and type(v) ~= "function" then
      error(k .. " must be a function", 2)
   end
   rawset(ctx, k, v)
   if HOOKS[k] then sync_decisions(ctx) end
end

--- A PEM string, or the contents of the file it names.
local function pem_or_file(v, what)
   if type(v) ~= "string" then
      error(what .. " must be a path or a PEM string", 3)
   end
   if v:find("-----BEGIN", 1, true) then return v end
   local f, err = io.open(v, "rb")
   if not f then return nil, what .. ": " .. err end
   local s = f:read("a")
   f:close()
   return s
end

--- The DER subject names of the certificates in cafile (a path or PEM string), for a
-- CertificateRequest; {} for the system store (true). Returns the list or nil, message.
function M.ca_names(cafile)
   if cafile == true then return {} end
   local pem, err = pem_or_file(cafile, "cafile")
   if not pem then return nil, err end
   local certs, lerr = require("moontls.x509").load(pem)
   if not certs then return nil, "cafile: " .. tostring(lerr) end
   local names = {}
   for i, cert in ipairs(certs) do names[i] = cert:subject_der() end
   return names
end

--- Creates a context. Options (all optional but a server's certificate):
--   mode = "client" | "server"
--   certificate = path or PEM (leaf first, then intermediates), key = path or PEM,
--     password = for an encrypted key; or certificates = {{certificate=, key=, password=}, ...}
--   cafile = true (system store, the client default) | path | PEM string
--   verify = client: "peer" (default) | "none"; server: "none" (default) | "optional" |
--     "require" (client certificates: a server that verifies needs cafile; the subjects of
--     the cafile certificates are sent as certificate_authorities, none for the system store)
--   a client's certificate/key (or certificates) is offered when the server asks for one
--   ciphers = {IANA suite names}, groups = {"x25519", ...}, alpn = {"h2", "http/1.1"}
--   min_version / max_version = "tls1.2" | "tls1.3" (default: both, 1.3 preferred)
--   session_cache = {size = 1000, lifetime = 600} (servers, the default; false turns
--     resumption off); clients: true or {size = 100, lifetime = 600} keeps sessions per
--     host:port and resumes them in connect/wrap (moontls.client_cache; default off)
--   keylog = path or function(line): SSLKEYLOGFILE lines for Wireshark
--   max_fragment_length = 512 | 1024 | 2048 | 4096 (client: ask for smaller records, RFC 6066)
--   record_size_limit = 64..16384: the largest record we take (RFC 8449; a client sends it
--     only when set, a server answers a client's with it or 16384)
--   hooks, also settable as fields later (ctx.find_cert = function ... end), may yield:
--     select_context, find_cert, lookup_session, record_session, and verify as a function
--     (see moontls.decide); a server with select_context or find_cert may start without
--     certificates
--   renegotiation = false: refuse renegotiation both ways (default true: secure renegotiation,
--     RFC 5746, with peers that support it; f:renegotiate() starts one)
--   tickets = true (default) | false: session tickets (RFC 5077 for 1.2, RFC 8446 4.6.1 for
--     1.3). A server seals them with random keys rotating every ticket_rotation seconds
--     (default 43200; the previous key still opens for one more period), or with ticket_keys
--     (see Context:ticket_keys); ticket_lifetime = seconds a ticket stays good (default 7200,
--     at most 604800). Hooks encode_ticket / decode_ticket replace the sealing (moontls.decide).
--     A client asks for 1.2 tickets (it always takes 1.3 ones).
--   post_handshake_auth = bool (TLS 1.3, RFC 8446 4.6.2): a client offers to authenticate
--     after the handshake (default: when it has a certificate); a server that verifies client
--     certificates asks clients that offered it only later, with f:request_client_auth()
--   early_data = bytes (TLS 1.3 0-RTT, RFC 8446 2.3; default 0, off): a server announces it
--     in its tickets and takes that much early data from a resuming client (f:early_data());
--     a client sends at most that much (wrap/connect option early_data)
--   psk_ke = true (TLS 1.3; default false): resume without a new key exchange (RFC 8446
--     4.2.9 psk_ke): a client offers it beside psk_dhe_ke, a server picks it when offered.
--     Cheaper; the resumed connection has no forward secrecy of its own
--   anti_replay = {size = 4096, window = 10} (server with early_data): the register of used
--     ClientHellos (entries) and the freshness window (seconds) for early data
-- Raises on misuse; returns nil, message on unreadable files or bad keys.
function M.new(opts)
   opts = opts or {}
   if type(opts) ~= "table" then error("context options must be a table", 2) end
   local mode = opts.mode or "client"
   if mode ~= "client" and mode ~= "server" then
      error("mode must be 'client' or 'server'", 2)
   end
   local list = opts.certificates
   if not list and opts.certificate then
      list = { { certificate = opts.certificate, key = opts.key, password = opts.password } }
   end
   local chains = {}
   for i, c in ipairs(list or {}) do
      if not c.certificate or not c.key then
         error("each certificate needs certificate and key", 2)
      end
      local cert, err = pem_or_file(c.certificate, "certificate")
      if not cert then return nil, err end
      local key, kerr = pem_or_file(c.key, "key")
      if not key then return nil, kerr end
      chains[i] = { cert = cert, key = key, password = c.password }
   end
   if mode == "server" and #chains == 0 and not opts.select_context and not opts.find_cert then
      error("a server context needs certificate and key (or a find_cert hook)", 2)
   end
   local verify = opts.verify
   if type(verify) == "function" or verify == nil then
      verify = mode == "client" and "peer" or "none"
   end
   if mode == "client" and verify ~= "peer" and verify ~= "none" then
      error("verify must be 'peer' or 'none' for a client", 2)
   end
   if mode == "server" and verify ~= "none" and verify ~= "optional" and verify ~= "require" then
      error("verify must be 'none', 'optional' or 'require' for a server", 2)
   end
   local ca_names
   if mode == "server" and verify ~= "none" then
      if opts.cafile == nil then
         error("a server verifying client certificates needs cafile (true for the system store)", 2)
      end
      local names, err = M.ca_names(opts.cafile)
      if not names then return nil, err end
      ca_names = names
   end
   for _, v in ipairs { opts.min_version or "tls1.2", opts.max_version or "tls1.3" } do
      if v ~= "tls1.2" and v ~= "tls1.3" then error("unsupported version '" .. v .. "'", 2) end
   end
   if opts.renegotiation ~= nil and type(opts.renegotiation) ~= "boolean" then
      error("renegotiation must be a boolean", 2)
   end
   if opts.tickets ~= nil and type(opts.tickets) ~= "boolean" then
      error("tickets must be a boolean", 2)
   end
   local ticket_keys = opts.ticket_keys ~= nil and ticket_key_string(opts.ticket_keys, 3) or nil
   local pha = opts.post_handshake_auth
   if pha ~= nil and type(pha) ~= "boolean" then
      error("post_handshake_auth must be a boolean", 2)
   end
   if pha == nil then pha = mode == "client" and #chains > 0 end
   if opts.psk_ke ~= nil and type(opts.psk_ke) ~= "boolean" then
      error("psk_ke must be a boolean", 2)
   end
   local early = opts.early_data
   if early ~= nil and (math.type(early) ~= "integer" or early < 0) then
      error("early_data must be a byte count", 2)
   end
   if opts.anti_replay ~= nil and type(opts.anti_replay) ~= "table" then
      error("anti_replay must be a table {size =, window =}", 2)
   end
   if mode == "server" and opts.max_fragment_length ~= nil then
      error("max_fragment_length is a client option (a server accepts any valid request)", 2)
   end
   local server_cache = nil
   if mode == "server" then server_cache = opts.session_cache end
   local c, err, code = core.context_new(mode, { chains = chains, ciphers = opts.ciphers,
      groups = opts.groups, alpn = opts.alpn,
      min_version = opts.min_version, max_version = opts.max_version,
      verify = verify == "peer" or verify == "optional" or verify == "require",
      client_auth = mode == "server" and verify or nil, ca_names = ca_names,
      session_cache = server_cache,
      max_fragment_length = mode == "client" and opts.max_fragment_length or nil,
      record_size_limit = opts.record_size_limit, renegotiation = opts.renegotiation,
      tickets = opts.tickets, ticket_keys = mode == "server" and ticket_keys or nil,
      ticket_rotation = opts.ticket_rotation, ticket_lifetime = opts.ticket_lifetime,
      post_handshake_auth = pha, early_data = opts.early_data, anti_replay = opts.anti_replay,
      psk_ke = opts.psk_ke })
   if not c then return nil, err, code end
   local cafile = opts.cafile
   if cafile == nil and mode == "client" then cafile = true end
   local keylog = opts.keylog
   if keylog ~= nil and type(keylog) ~= "string" and type(keylog) ~= "function" then
      error("keylog must be a path or a function", 2)
   end
   local options = {}
   for k, v in pairs(opts) do options[k] = v end
   local ctx = setmetatable({ core = c, mode = mode, verify_mode = verify, cafile = cafile,
      keylog = keylog, options = options }, Context)
   if mode == "client" and opts.session_cache then
      rawset(ctx, "client_sessions", require("moontls.client_cache").new(opts.session_cache))
   end
   for k in pairs(HOOKS) do
      if type(opts[k]) == "function" then ctx[k] = opts[k] end
   end
   return ctx
end

--- Sets a server's ticket keys: keys = {{name = 16 bytes, key = 32 bytes}, ...} (1 to 4) or
-- the same as one string of 48-byte name .. key entries. The first seals new tickets, all open
-- tickets; they replace the random rotating keys (and turn tickets on). Servers that share
-- keys accept each other's tickets; to rotate, call again with a new first key and the old
-- one after it. Raises on misuse.
function Context:ticket_keys(keys)
   if self.mode ~= "server" then error("ticket keys are for a server context", 2) end
   self.core:set_ticket_keys(ticket_key_string(keys, 3))
   return self
end

--- The trust options for moontls.x509.verify.
function Context:trust()
   local t = {}
   if self.cafile == true then
      t.cafile = true
   elseif type(self.cafile) == "string" and self.cafile:find("-----BEGIN", 1, true) then
      t.ca = self.cafile
   else
      t.cafile = self.cafile
   end
   return t
end

--- Hands an SSLKEYLOGFILE line to the keylog option (appended to the file it names).
function Context:log_key(line)
   local k = self.keylog
   if type(k) == "function" then
      k(line)
   elseif type(k) == "string" then
      local f = io.open(k, "a")
      if f then
         f:write(line)
         f:close()
      end
   end
end

function Context:close()
   self.core:close()
end

Context.__close = Context.close

function Context:__tostring()
   return tostring(self.core)
end

return M
