-- A TLS server keeping its sessions in Redis, so that several such servers (processes or
-- machines behind a load balancer) resume each other's sessions. Sessions are stored sealed
-- with a key all servers share (SESSION_KEY_HEX: 64 hex digits), under moontls:session:<id>,
-- for 10 minutes. Each connection is served in a moontls.loop task; the Redis calls yield.
--   lua5.4 examples/redis_session_server.lua CERT KEY PORT REDIS_PORT SESSION_KEY_HEX
-- Each connection prints "conn N resumed=yes|no"; the server answers lines with themselves.
package.path = "lua/?.lua;lua/?/init.lua;examples/?.lua;" .. package.path
package.cpath = (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;" .. package.cpath
local tls = require "moontls"
local resp = require "resp"

local cert, key, port, redis_port, hexkey = table.unpack(arg)
if not (cert and key and port and redis_port and hexkey and #hexkey == 64) then
   io.stderr:write("usage: lua5.4 examples/redis_session_server.lua CERT KEY PORT REDIS_PORT "
      .. "SESSION_KEY_HEX\n")
   os.exit(2)
end
local session_key = hexkey:gsub("..", function(h) return string.char(tonumber(h, 16)) end)

local redis = assert(resp.connect("127.0.0.1", tonumber(redis_port)))
local function hex(s) return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end)) end

local ctx = assert(tls.context { mode = "server", certificate = cert, key = key,
   session_cache = false })
ctx.session_key = session_key -- record_session's strings are sealed with it, lookup's opened
ctx.record_session = function(id, encoded)
   assert(redis:call("SET", "moontls:session:" .. hex(id), encoded, "EX", "600"))
end
ctx.lookup_session = function(id)
   return redis:call("GET", "moontls:session:" .. hex(id)) -- the sealed string, or nil
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
