-- The LuaSec counterpart of bench/idle_conns.lua: N idle established TLS 1.2 connections
-- (ECDSA P-256, both ends in this process, LuaSec over LuaSocket driven by moontls.loop),
-- then RSS and Lua heap per connection end, with the same output lines.
local tls = require "moontls"
local loop = require "moontls.loop"
local socket = require "socket"
local ssl = require "ssl"

local function rss_kib()
   for line in io.lines("/proc/self/status") do
      local v = line:match("^VmRSS:%s+(%d+)")
      if v then return tonumber(v) end
   end
end

return function(N)
   -- the certificate is made with moontls (as idle_conns.lua does), handed to LuaSec as PEM
   local key = tls.keys.generate("ec-p256")
   local cert = tls.x509.selfsigned { key = key, cn = "localhost", san = { "DNS:localhost" } }
   local dir = os.tmpname()
   os.remove(dir)
   local cf, kf = dir .. ".crt", dir .. ".key"
   local f = assert(io.open(cf, "w"))
   f:write(cert)
   f:close()
   f = assert(io.open(kf, "w"))
   f:write(key:pem())
   f:close()
   local sctx = assert(ssl.newcontext { mode = "server", protocol = "tlsv1_2", certificate = cf,
      key = kf, options = { "all", "no_ticket" } })
   local cctx = assert(ssl.newcontext { mode = "client", protocol = "tlsv1_2", verify = "none",
      options = { "all" } })
   os.remove(cf)
   os.remove(kf)
   local lp = loop.new()
   local function handshake(c)
      c:settimeout(0)
      while true do
         local ok, err = c:dohandshake()
         if ok then return c end
         if err ~= "wantread" and err ~= "wantwrite" then error("luasec: " .. tostring(err)) end
         assert(lp:wait(c:getfd(), err == "wantread" and "r" or "w", 60), "handshake timeout")
      end
   end
   local srv = assert(socket.bind("127.0.0.1", 0, 1024))
   srv:settimeout(0)
   local _, port = srv:getsockname()
   local servers, clients = {}, {}
   collectgarbage()
   collectgarbage()
   local rss0, heap0 = rss_kib(), collectgarbage("count")
   local t0 = loop.now()
   local accepted = 0
   lp:spawn(function()
      while accepted < N do
         lp:wait(srv:getfd(), "r", 60)
         local sock = srv:accept()
         if sock then
            accepted = accepted + 1
            sock:settimeout(0)
            lp:spawn(function()
               local c = handshake(assert(ssl.wrap(sock, sctx)))
               servers[#servers + 1] = c
            end)
         end
      end
   end)
   for _ = 1, N do
      lp:spawn(function()
         local sock = assert(socket.tcp())
         sock:settimeout(0)
         sock:connect("127.0.0.1", port)
         lp:wait(sock:getfd(), "w", 60)
         local c = assert(ssl.wrap(sock, cctx))
         c:sni("localhost")
         c = handshake(c)
         clients[#clients + 1] = c
      end)
   end
   assert(lp:run())
   assert(#clients == N and #servers == N, ("%d clients, %d servers"):format(#clients, #servers))
   local took = loop.now() - t0
   collectgarbage()
   collectgarbage()
   local rss, heap = rss_kib(), collectgarbage("count")
   print(("%d connections (%d ends) established in %.2f s"):format(N, 2 * N, took))
   print(("RSS +%.0f KiB: %.1f KiB per connection end"):format(rss - rss0, (rss - rss0) / (2 * N)))
   print(("Lua heap +%.0f KiB: %.1f KiB per connection end"):format(heap - heap0,
      (heap - heap0) / (2 * N)))
   print(("RESULT %.3f %.3f"):format((rss - rss0) / (2 * N), (heap - heap0) / (2 * N)))
   for _, c in ipairs(clients) do c:close() end
   for _, c in ipairs(servers) do c:close() end
   srv:close()
   lp:close()
end
