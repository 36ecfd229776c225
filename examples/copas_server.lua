-- A TLS echo server on copas: copas accepts, moontls wraps the copas socket (a cooperative
-- transport), and every connection runs in its own copas thread.
--   lua5.4 examples/copas_server.lua CERT KEY [PORT] [COUNT]
-- COUNT: stop after that many connections (default: serve forever).
-- from a checkout (run in its top directory) the module is found without installing:
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;" .. package.cpath
package.path = package.path .. ";/usr/share/lua/5.1/?.lua" -- where Debian's lua-copas lives
local tls = require "moontls"
local copas = require "copas"
local socket = require "socket"

local cert, key = arg[1], arg[2]
local port, count = tonumber(arg[3] or "8443"), tonumber(arg[4] or "")
if not cert or not key then
   io.stderr:write("usage: lua5.4 examples/copas_server.lua CERT KEY [PORT] [COUNT]\n")
   os.exit(2)
end

local ctx = assert(tls.context { mode = "server", certificate = cert, key = key })
local srv = assert(socket.bind("127.0.0.1", port))
print(("copas echo server on 127.0.0.1:%d"):format(select(2, srv:getsockname())))
io.stdout:flush()

local served, finished = 0, 0
copas.addserver(srv, function(sock)
   served = served + 1
   local f = assert(tls.wrap(copas.wrap(sock), ctx, { timeout = 30 }))
   local ok, err = f:handshake()
   if ok then
      while true do
         local line = f:receive("*l")
         if not line then break end
         f:send(line .. "\n")
      end
   else
      io.stderr:write("handshake failed: ", tostring(err), "\n")
   end
   f:close()
   finished = finished + 1
end)
while not count or finished < count do copas.step(1) end
srv:close()
