--- Figures for moontls.loop (docs/loop.md): scheduler costs and 1000 tasks on 1000 TCP pairs.
-- Run from the checkout after `make`: lua5.4 tools/loop-bench.lua [epoll|poll] [tasks]
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;" .. package.cpath
local loop = require "moontls.loop"
local socket = require "socket"

local backend = arg[1] or "auto"
local n = tonumber(arg[2]) or 1000
local lp = assert(loop.new { backend = backend })
backend = lp:backend()

local function report(what, t0, ops)
   local dt = loop.now() - t0
   print(("%-5s %-44s %8.1f ms  %6.2f us/op"):format(backend, what, dt * 1e3, dt / ops * 1e6))
end

local t0 = loop.now()
lp:spawn(function() for _ = 1, 100000 do lp:yield() end end)
assert(lp:run())
report("one task, 100000 yields", t0, 100000)

t0 = loop.now()
for _ = 1, n do lp:spawn(function() for _ = 1, 100 do lp:sleep(0) end end) end
assert(lp:run())
report(n .. " tasks x 100 sleep(0)", t0, n * 100)

local srv = assert(socket.bind("127.0.0.1", 0, n))
local _, port = srv:getsockname()
local pairs_ = {}
for i = 1, n do
   local c = assert(socket.connect("127.0.0.1", port))
   local s = assert(srv:accept())
   c:settimeout(0)
   s:settimeout(0)
   pairs_[i] = { c, s }
end
srv:close()

t0 = loop.now()
for i = 1, n do
   lp:spawn(function()
      local fd = pairs_[i][1]:getfd()
      for _ = 1, 100 do lp:wait(fd, "w") end
   end)
end
assert(lp:run())
report(n .. " tasks x 100 waits on a writable fd", t0, n * 100)

t0 = loop.now()
for i = 1, n do
   lp:spawn(function()
      local fd = pairs_[i][1]:getfd()
      for _ = 1, 100 do lp:wait(fd, "w", 60) end
   end)
end
assert(lp:run())
report(n .. " tasks x 100 waits with a timeout", t0, n * 100)

for i = 1, n do
   lp:spawn(function()
      local s = pairs_[i][2]
      assert(lp:wait(s:getfd(), "r", 60))
      assert(s:receive(1))
   end)
end
lp:step(0) -- the tasks start
lp:step(0) -- their waits reach the poller
for i = 1, n do assert(pairs_[i][1]:send("x")) end
t0 = loop.now()
assert(lp:run())
report(n .. " waiting tasks woken, each reads a byte", t0, n)

t0 = loop.now()
for i = 1, n do
   lp:spawn(function()
      local c, s = pairs_[i][1], pairs_[i][2]
      for _ = 1, 10 do
         assert(c:send("p"))
         assert(lp:wait(s:getfd(), "r", 60))
         assert(s:receive(1))
         assert(s:send("q"))
         assert(lp:wait(c:getfd(), "r", 60))
         assert(c:receive(1))
      end
   end)
end
assert(lp:run())
report(n .. " pairs x 10 ping-pongs (LuaSocket I/O included)", t0, n * 20)

for i = 1, n do
   pairs_[i][1]:close()
   pairs_[i][2]:close()
end
lp:close()
