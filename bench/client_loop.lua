-- Sequential TLS handshakes with the moontls client, one after another in one process:
-- COUNT of them, or as many as fit in SECONDS ("3s"). It drives the server-side handshake
-- rows (the same client for both servers) and is "ours" in the client-side rows. Certificate
-- verification is off, as with openssl s_time. VERSION is tls1.2 (default) or tls1.3; a 1.3
-- "reuse" run sends a line and reads the answer on each connection (the server's ticket comes
-- after the handshake; the server must echo: moontls server --echo, openssl s_server -rev).
-- Prints the number of handshakes.
--   lua5.4 bench/client_loop.lua PORT COUNT|SECONDSs new|reuse SUITE [VERSION]
package.path = "bench/?.lua;" .. package.path
require "lib"
local tls = require "moontls"
local socket = require "socket"

local port, mode, suite, version = tonumber(arg[1]), arg[3], arg[4], arg[5] or "tls1.2"
local count, seconds = tonumber(arg[2]), tonumber((arg[2] or ""):match("^([%d.]+)s$"))
assert(port and (count or seconds) and (mode == "new" or mode == "reuse") and suite,
   "usage: client_loop.lua PORT COUNT|SECONDSs new|reuse SUITE")
local ctx = assert(tls.context { mode = "client", verify = "none", ciphers = { suite },
   groups = { "x25519", "secp256r1" }, min_version = version, max_version = version })
local n, session = 0, nil
local stop = seconds and socket.gettime() + seconds
while (count and n < count) or (stop and socket.gettime() < stop) do
   local f = assert(tls.connect("127.0.0.1", port, { context = ctx, server_name = "localhost",
      timeout = 10, session = session }))
   if mode == "reuse" and version == "tls1.3" then
      assert(f:send("ping\n"))
      assert(f:receive("*l"))
   end
   if mode == "reuse" then
      if session and not f:info().resumed then error("the session was not resumed") end
      session = f:getsession() or session
   end
   f:close()
   n = n + 1
end
print(n)
