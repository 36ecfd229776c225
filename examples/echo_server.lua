-- A TLS echo server: every line a client sends comes back. One connection at a time (see
-- examples/loop_echo_server.lua for many at once).
--   lua5.4 examples/echo_server.lua CERT KEY [PORT]
-- Try it: openssl s_client -connect 127.0.0.1:PORT   (type lines; Ctrl-D ends)
-- from a checkout (run in its top directory) the module is found without installing:
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;" .. package.cpath
local tls = require "moontls"

local cert, key, port = arg[1], arg[2], tonumber(arg[3] or "8443")
if not cert or not key then
   io.stderr:write("usage: lua5.4 examples/echo_server.lua CERT KEY [PORT]\n")
   os.exit(2)
end
local ctx = assert(tls.context { mode = "server", certificate = cert, key = key })
local srv = assert(tls.listen("127.0.0.1", port, ctx, { timeout = 60 }))
print(("echo server on 127.0.0.1:%d"):format(select(2, srv:getsockname())))
io.stdout:flush()
while true do
   local f, err = srv:accept()
   if f then
      while true do
         local line = f:receive("*l")
         if not line then break end
         f:send(line .. "\n")
      end
      f:close()
   else
      io.stderr:write("handshake failed: ", tostring(err), "\n")
   end
end
