-- Session resumption from the client side: the second connection offers the first one's
-- session and skips the full handshake (no certificate, no key exchange).
--   lua5.4 examples/session_reuse.lua HOST PORT [CAFILE]
-- from a checkout (run in its top directory) the module is found without installing:
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;" .. package.cpath
local tls = require "moontls"

local host, port, cafile = arg[1], tonumber(arg[2] or ""), arg[3]
if not host or not port then
   io.stderr:write("usage: lua5.4 examples/session_reuse.lua HOST PORT [CAFILE]\n")
   os.exit(2)
end
local ctx = assert(tls.context { mode = "client", cafile = cafile or true })
local session
for i = 1, 3 do
   local f = assert(tls.connect(host, port, { context = ctx, session = session, timeout = 10 }))
   print(("connection %d: %s, resumed: %s"):format(i, f:info().cipher,
      tostring(f:info().resumed)))
   session = f:getsession() or session
   f:close()
end
