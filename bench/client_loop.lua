-- Sequential TLS 1.2 handshakes with the moontls client for `seconds`, one after another in
-- one process (the client-side handshake rows; the server is openssl s_server). Certificate
-- verification is off, as with openssl s_time. Prints the number of handshakes.
--   lua5.4 bench/client_loop.lua PORT SECONDS new|reuse SUITE
package.path = "bench/?.lua;" .. package.path
require "lib"
local tls = require "moontls"
local socket = require "socket"

local port, seconds, mode, suite = tonumber(arg[1]), tonumber(arg[2]), arg[3], arg[4]
assert(port and seconds and (mode == "new" or mode == "reuse") and suite,
   "usage: client_loop.lua PORT SECONDS new|reuse SUITE")
local ctx = assert(tls.context { mode = "client", verify = "none", ciphers = { suite },
   groups = { "x25519" }, max_version = "tls1.2" })
local n, session = 0, nil
local stop = socket.gettime() + seconds
while socket.gettime() < stop do
   local f = assert(tls.connect("127.0.0.1", port, { context = ctx, server_name = "localhost",
      timeout = 10, session = session }))
   if mode == "reuse" then
      if session and not f:info().resumed then error("the session was not resumed") end
      session = f:getsession() or session
   end
   f:close()
   n = n + 1
end
print(n)
