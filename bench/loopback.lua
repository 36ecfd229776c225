-- Bulk over loopback TCP: the client sends MIB MiB in 16 KiB writes over TLS 1.2
-- (ECDHE-ECDSA, AES-128-GCM), the server (a child process running this script) reads it all
-- in 16 KiB receives and answers "ok". Both ends use plain blocking calls of moontls.File or
-- of LuaSec (Debian lua-sec over LuaSocket): the same harness for both. Prints MiB per wall
-- second, from the first byte sent to the answer (the handshake excluded).
--   lua5.4 bench/loopback.lua moontls|luasec MIB CERT KEY
package.path = "bench/?.lua;" .. package.path
local lib = require "lib"
local socket = require "socket"

local impl, mib, certfile, keyfile, role = arg[1], tonumber(arg[2]), arg[3], arg[4], arg[5]
assert((impl == "moontls" or impl == "luasec") and mib and keyfile,
   "usage: loopback.lua moontls|luasec MIB CERT KEY")
local SIZE = 16384
local total = mib * 1024 * 1024

-- wrap(sock, server?) -> an object with send/receive/close, its handshake done
local wrap
if impl == "moontls" then
   local tls = require "moontls"
   local ctx
   function wrap(sock, server)
      ctx = ctx or assert(server and tls.context { mode = "server", certificate = certfile,
         key = keyfile, ciphers = { "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" } }
         or tls.context { mode = "client", verify = "none",
            ciphers = { "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" } })
      local f = assert(tls.wrap(sock, ctx, { server_name = "localhost", timeout = 60 }))
      assert(f:handshake())
      return f
   end
else
   local ssl = require "ssl"
   function wrap(sock, server)
      local c = assert(ssl.wrap(sock, { mode = server and "server" or "client",
         protocol = "tlsv1_2", certificate = server and certfile or nil,
         key = server and keyfile or nil, verify = "none",
         ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256", curveslist = "X25519:P-256",
         options = { "all", "no_ticket" } }))
      c:settimeout(60)
      assert(c:dohandshake())
      return c
   end
end

if role == "server" then
   local srv = assert(socket.bind("127.0.0.1", 0))
   local _, port = srv:getsockname()
   io.stdout:write(port, "\n")
   io.stdout:flush()
   srv:settimeout(30)
   local sock = assert(srv:accept())
   sock:settimeout(60)
   local f = wrap(sock, true)
   local got = 0
   while got < total do
      local data = assert(f:receive(math.min(SIZE, total - got)))
      got = got + #data
   end
   f:send("ok\n")
   f:close()
   return
end

local child = assert(io.popen(lib.join { lib.LUA, "bench/loopback.lua", impl, tostring(mib),
   certfile, keyfile, "server" }))
local port = assert(tonumber(child:read("l")))
local sock = assert(socket.connect("127.0.0.1", port))
sock:settimeout(60)
local f = wrap(sock, false)
local chunk = string.rep("y", SIZE)
local t0 = socket.gettime()
for _ = 1, total // SIZE do assert(f:send(chunk)) end
assert(f:receive("*l") == "ok")
local secs = socket.gettime() - t0
f:close()
child:close()
print(("%.3f"):format(mib / secs))
