-- N full TLS 1.2 handshakes (ECDSA P-256 + X25519, AES-128-GCM) with both ends in this one
-- Lua process, every end a coroutine of moontls.loop, 20 connections at a time; the same
-- harness drives moontls or LuaSec (Debian lua-sec, `require "ssl"`, over LuaSocket).
-- Prints the wall seconds from the first connect to the last handshake.
--   lua5.4 bench/lua_handshakes.lua moontls|luasec N CERT KEY
package.path = "bench/?.lua;" .. package.path
require "lib"
local loop = require "moontls.loop"
local socket = require "socket"

local impl, N, certfile, keyfile = arg[1], tonumber(arg[2]), arg[3], arg[4]
assert((impl == "moontls" or impl == "luasec") and N and keyfile,
   "usage: lua_handshakes.lua moontls|luasec N CERT KEY")
local PARALLEL = 20
local lp = loop.new()

-- accept(srv_sock) and connect(port) run inside loop tasks and return once the handshake
-- is done.
local accept, connect
if impl == "moontls" then
   local tls = require "moontls"
   local sctx = assert(tls.context { mode = "server", certificate = certfile, key = keyfile,
      ciphers = { "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" }, groups = { "x25519" } })
   local cctx = assert(tls.context { mode = "client", verify = "none", max_version = "tls1.2",
      ciphers = { "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" }, groups = { "x25519" } })
   function accept(sock)
      local f = assert(tls.wrap(sock, sctx, { timeout = 30, loop = lp }))
      assert(f:handshake())
      return f
   end
   function connect(port)
      local sock = assert(socket.tcp())
      sock:settimeout(0)
      sock:connect("127.0.0.1", port)
      lp:wait(sock:getfd(), "w", 30)
      local f = assert(tls.wrap(sock, cctx, { server_name = "localhost", timeout = 30,
         loop = lp }))
      assert(f:handshake())
      return f
   end
else
   local ssl = require "ssl"
   local sparams = { mode = "server", protocol = "tlsv1_2", certificate = certfile,
      key = keyfile, ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256", curveslist = "X25519:P-256",
      options = { "all", "no_ticket" } }
   local cparams = { mode = "client", protocol = "tlsv1_2", verify = "none",
      ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256", curveslist = "X25519:P-256",
       options = { "all" } }
   local sctx, cctx = assert(ssl.newcontext(sparams)), assert(ssl.newcontext(cparams))
   local function handshake(c)
      c:settimeout(0)
      while true do
         local ok, err = c:dohandshake()
         if ok then return c end
         if err == "wantread" then
            assert(lp:wait(c:getfd(), "r", 30), "handshake timeout")
         elseif err == "wantwrite" then
            assert(lp:wait(c:getfd(), "w", 30), "handshake timeout")
         else
            error("luasec handshake: " .. tostring(err))
         end
      end
   end
   function accept(sock)
      return handshake(assert(ssl.wrap(sock, sctx)))
   end
   function connect(port)
      local sock = assert(socket.tcp())
      sock:settimeout(0)
      sock:connect("127.0.0.1", port)
      lp:wait(sock:getfd(), "w", 30)
      local c = assert(ssl.wrap(sock, cctx))
      c:sni("localhost")
      return handshake(c)
   end
end

local srv = assert(socket.bind("127.0.0.1", 0, 256))
srv:settimeout(0)
local _, port = srv:getsockname()
local done, accepted = 0, 0
local t0 = loop.now()
lp:spawn(function()
   while accepted < N do
      lp:wait(srv:getfd(), "r", 30)
      local sock = srv:accept()
      if sock then
         accepted = accepted + 1
         sock:settimeout(0)
         lp:spawn(function() accept(sock):close() end)
      end
   end
end)
local next_ = 0
for _ = 1, PARALLEL do
   lp:spawn(function()
      while next_ < N do
         next_ = next_ + 1
         connect(port):close()
         done = done + 1
      end
   end)
end
assert(lp:run())
assert(done == N)
print(("%.6f"):format(loop.now() - t0))
srv:close()
