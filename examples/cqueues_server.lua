-- A TLS echo server on cqueues: each connection is a cqueues coroutine, and moontls' calls
-- (accept, receive, send) yield to cqueues instead of blocking.
--   lua5.4 examples/cqueues_server.lua CERT KEY [PORT] [COUNT]
-- COUNT: stop after that many connections (default: serve forever).
-- from a checkout (run in its top directory) the module is found without installing:
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;" .. package.cpath
local tls = require "moontls"
local cqueues = require "cqueues"

local cert, key = arg[1], arg[2]
local port, count = tonumber(arg[3] or "8443"), tonumber(arg[4] or "")
if not cert or not key then
   io.stderr:write("usage: lua5.4 examples/cqueues_server.lua CERT KEY [PORT] [COUNT]\n")
   os.exit(2)
end

local ctx = assert(tls.context { mode = "server", certificate = cert, key = key })
local srv = assert(tls.listen("127.0.0.1", port, ctx, { timeout = 30 }))
print(("cqueues echo server on 127.0.0.1:%d"):format(select(2, srv:getsockname())))
io.stdout:flush()

local cq = cqueues.new()
cq:wrap(function()
   local served = 0
   while not count or served < count do
      local f, err = srv:accept() -- yields to cqueues while nobody connects
      served = served + 1
      if f then
         cq:wrap(function()
            while true do
               local line = f:receive("*l")
               if not line then break end
               f:send(line .. "\n")
            end
            f:close()
         end)
      else
         io.stderr:write("handshake failed: ", tostring(err), "\n")
      end
   end
   srv:close()
end)
assert(cq:loop())
