-- A TLS server sharing its sessions with other such servers (processes or machines behind a
-- load balancer), so a client resumes on any of them what it began on one. MODE says how:
--   ids      (default) TLS 1.2 session ids: record_session / lookup_session keep each session
--            in Redis under moontls:session:<id>, sealed with SESSION_KEY_HEX (64 hex digits,
--            the same on every server), for 10 minutes. Tickets are off.
--   tickets  TLS 1.2 and 1.3 tickets kept in Redis: encode_ticket stores the session (sealed
--            with SESSION_KEY_HEX) under moontls:ticket:<random handle> and sends the handle
--            as the ticket; decode_ticket looks it up. Servers share the store, not keys.
--   keys:HEX stateless TLS 1.2 and 1.3 tickets sealed with shared ticket keys (HEX: 96 hex
--            digits per key, name[16] .. key[32], the first sealing); no Redis traffic.
-- Each connection is served in a moontls.loop task; the Redis calls yield.
--   lua5.4 examples/redis_session_server.lua CERT KEY PORT REDIS_PORT SESSION_KEY_HEX [MODE]
-- Each connection prints "conn N resumed=yes|no"; the server answers lines with themselves.
package.path = "lua/?.lua;lua/?/init.lua;examples/?.lua;" .. package.path
package.cpath = (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;" .. package.cpath
local tls = require "moontls"
local resp = require "resp"

local cert, key, port, redis_port, hexkey, mode = table.unpack(arg)
mode = mode or "ids"
local function unhex(h)
   return (h:gsub("..", function(x) return string.char(tonumber(x, 16)) end))
end
local ticket_keys = mode:match("^keys:(%x+)$")
if not (cert and key and port and redis_port and hexkey and #hexkey == 64)
   or not (mode == "ids" or mode == "tickets" or (ticket_keys and #ticket_keys % 96 == 0)) then
   io.stderr:write("usage: lua5.4 examples/redis_session_server.lua CERT KEY PORT REDIS_PORT "
      .. "SESSION_KEY_HEX [ids|tickets|keys:HEX]\n")
   os.exit(2)
end
local session_key = unhex(hexkey)

local redis = assert(resp.connect("127.0.0.1", tonumber(redis_port)))
local function hex(s) return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end)) end

local ctx
if mode == "ids" then
   -- (a client presenting a ticket is never resumed by its session id, RFC 5077 3.4)
   ctx = assert(tls.context { mode = "server", certificate = cert, key = key,
      session_cache = false, tickets = false })
   ctx.session_key = session_key -- record_session's strings are sealed with it, lookup's opened
   ctx.record_session = function(id, encoded)
      assert(redis:call("SET", "moontls:session:" .. hex(id), encoded, "EX", "600"))
   end
   ctx.lookup_session = function(id)
      return redis:call("GET", "moontls:session:" .. hex(id)) -- the sealed string, or nil
   end
elseif mode == "tickets" then
   ctx = assert(tls.context { mode = "server", certificate = cert, key = key,
      session_cache = false })
   ctx.session_key = session_key -- decode_ticket's strings are opened with it
   ctx.encode_ticket = function(session)
      local handle = assert(tls.random(16))
      assert(redis:call("SET", "moontls:ticket:" .. hex(handle), session:encode(session_key),
         "EX", "7200"))
      return handle, 7200
   end
   ctx.decode_ticket = function(ticket)
      if #ticket ~= 16 then return nil end -- not one of ours
      return redis:call("GET", "moontls:ticket:" .. hex(ticket)) -- the sealed string, or nil
   end
else
   ctx = assert(tls.context { mode = "server", certificate = cert, key = key,
      session_cache = false, ticket_keys = unhex(ticket_keys) })
end

local srv = assert(tls.listen("127.0.0.1", tonumber(port), ctx, { timeout = 30 }))
print(("listening on 127.0.0.1:%d"):format(select(2, srv:getsockname())))
io.stdout:flush()
local lp = tls.loop.new()
local n = 0
srv:serve(function(f)
   n = n + 1
   print(("conn %d resumed=%s"):format(n, f:info().resumed and "yes" or "no"))
   io.stdout:flush()
   while true do
      local line = f:receive("*l")
      if not line then break end
      f:send(line .. "\n")
   end
   f:close()
end, function(err) print("handshake failed: " .. tostring(err)) end, lp)
lp:run()
