-- Holds N idle established TLS connections in one process (server and client ends both
-- here, on moontls.loop) and reports memory per connection end: RSS (from /proc) and Lua
-- heap, before and after, and the time the N handshakes took. With "luasec" the same is done
-- with LuaSec (Debian lua-sec over LuaSocket) on the same loop, for comparison; the last line
-- "RESULT rss heap" gives the KiB per connection end (for bench/run.lua).
--   lua5.4 bench/idle_conns.lua [N] [moontls|luasec]
package.path = "lua/?.lua;lua/?/init.lua;bench/?.lua;" .. package.path
package.cpath = (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;" .. package.cpath
local tls = require "moontls"
local loop = require "moontls.loop"

local N = tonumber(arg[1] or "1000")
if arg[2] == "luasec" then
   require("idle_luasec")(N)
   return
end

local function rss_kib()
   for line in io.lines("/proc/self/status") do
      local v = line:match("^VmRSS:%s+(%d+)")
      if v then return tonumber(v) end
   end
end

local key = tls.keys.generate("ec-p256")
local cert = tls.x509.selfsigned { key = key, cn = "localhost", san = { "DNS:localhost" } }
local sctx = assert(tls.context { mode = "server", certificate = cert, key = key:pem() })
local cctx = assert(tls.context { mode = "client", cafile = cert })

local lp = loop.new()
local port = assert(tls.listen("127.0.0.1", 0, sctx, { timeout = 60, backlog = 1024 }))
local portnum = select(2, port:getsockname())
local servers, clients = {}, {}
collectgarbage()
collectgarbage()
local rss0, heap0 = rss_kib(), collectgarbage("count")
local t0 = loop.now()
-- the handler keeps the File and returns: no task per connection stays behind (as in
-- idle_luasec.lua), so the figures are the connections' own
port:serve(function(f)
   servers[#servers + 1] = f
end, function(err) io.stderr:write("server: ", tostring(err), "\n") end, lp)
local opened = 0
for _ = 1, N do
   lp:spawn(function()
      local f, err = tls.connect("127.0.0.1", portnum, { context = cctx,
         server_name = "localhost", timeout = 60 })
      if not f then
         io.stderr:write("client: ", tostring(err), "\n")
         return
      end
      clients[#clients + 1] = f
      opened = opened + 1
   end)
end
lp:spawn(function()
   while opened < N or #servers < N do loop.sleep(0.01) end
   local took = loop.now() - t0
   collectgarbage()
   collectgarbage()
   local rss, heap = rss_kib(), collectgarbage("count")
   print(("%d connections (%d ends) established in %.2f s"):format(N, 2 * N, took))
   print(("RSS +%.0f KiB: %.1f KiB per connection end"):format(rss - rss0, (rss - rss0) / (2 * N)))
   print(("Lua heap +%.0f KiB: %.1f KiB per connection end"):format(heap - heap0,
      (heap - heap0) / (2 * N)))
   print(("RESULT %.3f %.3f"):format((rss - rss0) / (2 * N), (heap - heap0) / (2 * N)))
   for _, f in ipairs(clients) do f:close(0) end
   for _, f in ipairs(servers) do f:close(0) end
   port:close()
end)
assert(lp:run())
lp:close()
