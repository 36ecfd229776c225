--- Answers the engine's decisions with the Context's hooks (DESIGN: "the core never calls
-- Lua; the Lua layer answers and resumes", so every hook may yield: it runs in whatever
-- coroutine drives the File).
--
-- Hooks, set on a Context (or passed as options of the same name):
--   ctx.select_context(name, alpn)   server: the Context for this SNI / ALPN list; nil keeps
--                                    this one, false refuses the name (unrecognized_name)
--   ctx.find_cert(name)              server, lazy certificate loading: called when no
--                                    certificate of the Context covers the name; returns
--                                    {certificate =, key =, password =} (PEM or paths) or nil
--   ctx.verify(chain, result)        the peer chain (moontls.x509 certificates) and the
--                                    built-in verdict {ok =, reason =, depth =, code =};
--                                    returns true to accept, or false, reason [, code]
--   ctx.lookup_session(id)           server: what record_session stored under id (binary):
--                                    the encoded string (or a Session), or nil
--   ctx.record_session(id, encoded, session)
--                                    server: a new session to store: encoded is
--                                    session:encode(ctx.session_key) -- sealed when the
--                                    Context has a session_key (32 bytes), else plain (it
--                                    holds the master secret: store it as a secret)
--   ctx.encode_ticket(session)       server: the ticket for a new session (a string of 1..1024
--                                    bytes, e.g. a key into a store) and its lifetime in
--                                    seconds (nil: the Context's); nil lets the built-in keys
--                                    seal one
--   ctx.decode_ticket(ticket)        server: the Session a client's ticket stands for (or its
--                                    encoding), or nil: then the built-in keys try to open it
local x509 = require "moontls.x509"

local M = {}

-- Derived Contexts made from find_cert results, per parent Context and name; a bounded cache.
local MAX_DERIVED = 256

local function is_ip(name)
   return name and (name:match("^%d+%.%d+%.%d+%.%d+$") or name:find(":", 1, true)) and true
end

-- The peer chain through moontls.x509.verify and the verify hook.
local function verify_peer(f)
   local conn, ctx = f.conn, f.ctx
   local certs = {}
   for i, der in ipairs(conn:peer_chain()) do
      local list, err = x509.load(der)
      if not list then
         conn:decide(false, "bad_certificate")
         return nil, "certificate verify failed: " .. tostring(err), "bad_certificate"
      end
      certs[i] = list[1]
   end
   local opts = ctx:trust()
   -- a server judges the client's chain (clientAuth), a client the server's and its name
   opts.purpose = ctx.mode == "server" and "client" or "server"
   if ctx.mode == "client" and f.server_name then
      if is_ip(f.server_name) then
         opts.ip = f.server_name
      else
         opts.host = f.server_name
      end
   end
   local ok, reason, depth, code = x509.verify(certs, opts)
   local hook = rawget(ctx, "verify")
   if type(hook) == "function" then
      local verdict, hreason, hcode = hook(certs, { ok = ok and true or false, reason = reason,
         depth = depth, code = code })
      if verdict then
         ok = true
      else
         ok, reason = false, hreason or reason or "rejected by the verify hook"
         code = hcode or code
      end
   end
   if ok then
      f.verdict = "ok"
      return conn:decide(true)
   end
   f.verify_error = "certificate verify failed: " .. tostring(reason)
   conn:decide(false, code or "certificate_unknown")
   return nil, f.verify_error, code
end

-- The Context for a certificate find_cert returned: the parent's options with it.
local function derived(ctx, name, found)
   local cache = rawget(ctx, "_derived")
   if not cache then
      cache = { n = 0, by = {} }
      rawset(ctx, "_derived", cache)
   end
   local d = cache.by[name]
   if d then return d end
   if type(found) ~= "table" or not found.certificate or not found.key then
      return nil, "find_cert must return {certificate =, key =} or nil"
   end
   local opts = {}
   for k, v in pairs(ctx.options or {}) do opts[k] = v end
   opts.certificates = nil
   opts.certificate, opts.key, opts.password = found.certificate, found.key, found.password
   opts.select_context, opts.find_cert = nil, nil
   local err, code
   d, err, code = require("moontls.context").new(opts)
   if not d then return nil, err, code end
   -- the derived Context answers the session hooks like its parent
   for _, h in ipairs { "verify", "lookup_session", "record_session", "session_key" } do
      if rawget(ctx, h) then d[h] = rawget(ctx, h) end
   end
   if cache.n >= MAX_DERIVED then
      cache.by, cache.n = {}, 0
   end
   cache.by[name], cache.n = d, cache.n + 1
   return d
end

-- "select": select_context, then find_cert.
local function select(f)
   local conn, ctx = f.conn, f.ctx
   local name, alpn = conn:hello()
   local hook = rawget(ctx, "select_context")
   if type(hook) == "function" then
      local other = hook(name, alpn)
      if other == false then
         conn:decide(false, "unrecognized_name")
         return nil, "no context for server name '" .. name .. "'", "unrecognized_name"
      end
      if other ~= nil then
         if type(other) ~= "table" or not other.core or other.mode ~= "server" then
            conn:decide(false, "internal_error")
            return nil, "select_context must return a server Context, nil or false",
               "internal_error"
         end
         conn:use_context(other.core)
         f.ctx = other
         return conn:decide(true)
      end
   end
   local find = rawget(ctx, "find_cert")
   if type(find) == "function" and name ~= "" and not ctx.core:covers(name) then
      local cache = rawget(ctx, "_derived")
      local known = cache and cache.by[name]
      local found = known or find(name)
      if found then
         local d, err, code = derived(ctx, name, found)
         if not d then
            conn:decide(false, "internal_error")
            return nil, "find_cert: " .. tostring(err), code
         end
         conn:use_context(d.core)
         f.ctx = d
      end
   end
   return conn:decide(true)
end

-- A hook's answer for the session to resume: a Session, its encoding (sealed under
-- ctx.session_key if it has one) or nil. Offered to the engine; true when it took it.
local function offer(f, s)
   if type(s) == "string" then
      s = require("moontls.session").decode(s, rawget(f.ctx, "session_key"))
   end
   if s == nil then return false end
   if not pcall(f.conn.offer_session, f.conn, s) then return nil end
   f.offered = s
   return true
end

-- "session": lookup_session; nil lets the built-in cache answer.
local function session(f)
   local hook = rawget(f.ctx, "lookup_session")
   if type(hook) == "function" and offer(f, hook(f.conn:session_id())) == nil then
      -- a session for another id, or not a Session: a full handshake
      f.session_hook_error = "lookup_session returned a session for another id"
   end
   return f.conn:decide(true)
end

-- "ticket": decode_ticket; nil lets the built-in keys try.
local function ticket(f)
   local hook = rawget(f.ctx, "decode_ticket")
   if type(hook) == "function" and offer(f, hook(f.conn:ticket())) == nil then
      f.ticket_hook_error = "decode_ticket must return a Session, its encoding or nil"
   end
   return f.conn:decide(true)
end

-- "new_ticket": encode_ticket; nil lets the built-in keys seal one (none without keys).
local function new_ticket(f)
   local conn, ctx = f.conn, f.ctx
   local hook = rawget(ctx, "encode_ticket")
   if type(hook) == "function" then
      local t, lifetime = hook(conn:ticket_session())
      if t ~= nil and not pcall(conn.set_ticket, conn, t, lifetime) then
         f.ticket_hook_error = "encode_ticket must return a string of 1 to 1024 bytes "
            .. "and a lifetime of 0 to 604800 s"
      end
   end
   return conn:decide(true)
end

M.verify, M.select, M.session, M.ticket, M.new_ticket = verify_peer, select, session, ticket,
   new_ticket
local answer = { verify = verify_peer, select = select, session = session, ticket = ticket,
   new_ticket = new_ticket }

--- Answers the pending decision of File f (fields conn, ctx, server_name). Returns true, or
-- nil, message, code (the engine has then failed the handshake and queued its alert).
function M.answer(f)
   local d = f.conn:decision()
   if not d then return true end
   local ok, err, code = answer[d](f)
   if not ok then return nil, err, code end
   return true
end

--- After a server's full handshake: hands the new session to record_session, if set.
function M.record(f)
   local hook = rawget(f.ctx, "record_session")
   if type(hook) ~= "function" or f.ctx.mode ~= "server" or f.conn:info().resumed then
      return
   end
   local id = f.conn:session_id()
   if id == "" then return end
   local s = f.getsession and f:getsession() or f.conn:session()
   if not s then return end
   local encoded = assert(s:encode(rawget(f.ctx, "session_key")))
   hook(id, encoded, s)
end

return M
