-- The native TCP transport (moontls.Socket: csrc/sys_sock.c, csrc/lua_sock.c) under the
-- Files moontls.connect and moontls.listen make: the socket calls themselves, connect
-- failures in LuaSocket's words (refused, timeout on a full backlog), IPv6, the names of
-- both ends, no descriptor left behind over 200 connections, an accept loop, waiting with
-- socket.select outside any scheduler.
local socket = require "socket"
local lfs = require "lfs"
local tls = require "moontls"
local core = require "moontls.core"
local loop = require "moontls.loop"
local certs = require "support.certs"

local pki = certs.get()

local function sctx()
   return assert(tls.context { mode = "server", certificate = pki.ec.cert, key = pki.ec.key })
end

local function cctx()
   return assert(tls.context { mode = "client", cafile = pki.ec.ca })
end

local function open_fds()
   for _ = 1, 4 do collectgarbage() end
   local n = 0
   for e in lfs.dir("/proc/self/fd") do
      if e ~= "." and e ~= ".." then n = n + 1 end
   end
   return n
end

-- A loop whose failing tasks fail the test (run() raises).
local function new_loop()
   local lp = loop.new()
   lp.on_error = function(_, err, tb) error(tostring(tb or err), 0) end
   return lp
end

local function addr(host, port)
   return assert(core.sock_resolve(host, port))[1]
end

-- Waits (socket.select: a Socket has getfd) until s is writable; true when it is.
local function writable(s, secs)
   local _, w = socket.select(nil, { s }, secs)
   return w and w[1] ~= nil
end

local function readable(s, secs)
   local r = socket.select({ s }, nil, secs)
   return r and r[1] ~= nil
end

-- A connected pair of Sockets through listener l.
local function pair(l)
   local _, port = l:getsockname()
   local c, connected = assert(core.sock_connect(addr("127.0.0.1", port)))
   if not connected then
      assert(writable(c, 5), "connect timed out")
      assert(c:connected())
   end
   assert(readable(l, 5), "nothing to accept")
   return c, assert(l:accept())
end

-- A port number nobody listens on now (a listener's, closed).
local function closed_port()
   local l = assert(core.sock_listen(addr("127.0.0.1", 0)))
   local _, port = l:getsockname()
   l:close()
   return port
end

local function has_ipv6_loopback()
   local f = io.open("/proc/net/if_inet6")
   if not f then return false end
   local all = f:read("a")
   f:close()
   return all:find("^0+1 ") ~= nil or all:find("\n0+1 ") ~= nil
end

describe("moontls.Socket", function()
   it("listens, connects, accepts, moves bytes both ways and closes", function()
      local l = assert(core.sock_listen(addr("127.0.0.1", 0), 8))
      assert.matches("^moontls.Socket %(fd %d+%)", tostring(l))
      local host, port, family = l:getsockname()
      assert.same({ "127.0.0.1", "inet" }, { host, family })
      assert.is_true(math.type(port) == "integer" and port > 0)
      assert.same({ nil, "wantread" }, { l:accept() })
      local c, s = pair(l)
      -- the names match, LuaSocket style: address, port, family
      assert.same({ "127.0.0.1", port, "inet" }, { c:getpeername() })
      assert.same({ c:getsockname() }, { s:getpeername() })
      assert.is_true(c:getoption("tcp-nodelay"))
      assert.is_true(s:getoption("tcp-nodelay"))
      assert.equal(1, s:setoption("tcp-nodelay", false))
      assert.is_false(s:getoption("tcp-nodelay"))
      assert.is_false(c:dirty())
      assert.same({ nil, "wantread" }, { s:recv() })
      assert.equal(5, c:send("hello"))
      assert.equal(3, c:send("abcdef", 2, 4))
      assert(readable(s, 5))
      local got = ""
      while #got < 8 do
         local d = s:recv(3)
         if d then got = got .. d else assert(readable(s, 5)) end
      end
      assert.equal("hellobcd", got)
      -- half-close: the peer reads the end of the stream as "closed"
      assert.equal(1, c:shutdown("send"))
      assert(readable(s, 5))
      assert.same({ nil, "closed" }, { s:recv() })
      c:close()
      -- a gone peer: sending ends in "closed" (EPIPE / reset), never a SIGPIPE
      local n, err
      for _ = 1, 200 do
         n, err = s:send("x")
         if not n then break end
         socket.sleep(0.005)
      end
      assert.same({ nil, "closed" }, { n, err })
      -- closed: -1 as fd, nil, "closed" for the rest, closing again is fine
      s:close()
      assert.equal(-1, s:getfd())
      assert.same({ nil, "closed" }, { s:recv() })
      assert.same({ nil, "closed" }, { s:send("x") })
      assert.same({ nil, "closed" }, { s:getpeername() })
      assert.equal(1, s:close())
      assert.equal("moontls.Socket (closed)", tostring(s))
      l:close()
   end)

   it("refuses bad arguments", function()
      assert.has_error(function() core.sock_resolve("127.0.0.1", 70000) end)
      assert.has_error(function() core.sock_connect("not an address") end)
      assert.has_error(function() core.sock_listen(string.rep("\0", 16)) end)
      local l = assert(core.sock_listen(addr("127.0.0.1", 0)))
      assert.has_error(function() l:setoption("reuseport", true) end)
      assert.has_error(function() l:recv(0) end)
      assert.has_error(function() l:shutdown("sideways") end)
      assert.has_error(function() l:send("x", 0) end)
      assert.has_error(function() l:send("x", 1, -1) end)
      l:close()
   end)

   it("says \"address already in use\" for a taken port", function()
      local l = assert(core.sock_listen(addr("127.0.0.1", 0)))
      local _, port = l:getsockname()
      assert.same({ nil, "address already in use" },
         { core.sock_listen(addr("127.0.0.1", port)) })
      assert.same({ nil, "address already in use" },
         { tls.listen("127.0.0.1", port, sctx()) })
      l:close()
   end)

   it("connect to a closed port: \"connection refused\"", function()
      local port = closed_port()
      local s, connected = core.sock_connect(addr("127.0.0.1", port))
      if s and not connected then
         assert(writable(s, 5))
         assert.same({ nil, "connection refused" }, { s:connected() })
         s:close()
      else
         assert.same({ nil, "connection refused" }, { s, connected })
      end
      local t0 = socket.gettime()
      assert.same({ nil, "connection refused" },
         { tls.connect("127.0.0.1", port, { context = cctx(), timeout = 5 }) })
      assert.is_true(socket.gettime() - t0 < 2)
   end)

   it("connect to a listener whose backlog is full: \"timeout\" after the timeout", function()
      -- backlog 0 holds one connection; the next SYN is dropped and the connect hangs
      local l = assert(core.sock_listen(addr("127.0.0.1", 0), 0))
      local _, port = l:getsockname()
      local held = {}
      local full = false
      for _ = 1, 8 do
         local s, connected = assert(core.sock_connect(addr("127.0.0.1", port)))
         held[#held + 1] = s
         if not connected and not writable(s, 0.2) then
            full = true
            break
         end
      end
      assert.is_true(full, "the backlog never filled")
      local t0 = socket.gettime()
      assert.same({ nil, "timeout" },
         { tls.connect("127.0.0.1", port, { context = cctx(), timeout = 0.3 }) })
      local took = socket.gettime() - t0
      assert.is_true(took >= 0.25 and took < 3, "took " .. took)
      for _, s in ipairs(held) do s:close() end
      l:close()
   end)

   it("IPv6 on ::1 when the loopback has it, a clear failure when not", function()
      if has_ipv6_loopback() then
         local port = assert(tls.listen("::1", 0, sctx(), { timeout = 5 }))
         local host, pn, family = port:getsockname()
         assert.same({ "::1", "inet6" }, { host, family })
         local lp = new_loop()
         local peer, me, line
         lp:spawn(function()
            local f = assert(port:accept())
            peer = { f:getpeername() }
            line = f:receive()
            f:close()
         end)
         lp:spawn(function()
            local f = assert(tls.connect("::1", pn, { context = cctx(),
               server_name = "localhost", timeout = 5 }))
            assert.same({ "::1", pn, "inet6" }, { f:getpeername() })
            me = { f:getsockname() }
            assert(f:send("v6\n"))
            f:close()
         end)
         assert(lp:run())
         assert.equal("v6", line)
         assert.equal("inet6", peer[3])
         assert.same(me, peer)
         port:close()
      else
         local port, err = tls.listen("::1", 0, sctx())
         assert.is_nil(port)
         assert.is_string(err)
      end
   end)

   it("Files made by connect and accept name both ends and their fds", function()
      local lp = new_loop()
      local port = assert(tls.listen("127.0.0.1", 0, sctx(), { timeout = 5 }))
      local _, pn = port:getsockname()
      assert.equal(port:getfd(), port.sock:getfd())
      local server_side, me
      lp:spawn(function()
         local f = assert(port:accept())
         server_side = { peer = { f:getpeername() }, me = { f:getsockname() }, fd = f:getfd() }
         assert.equal("ping", f:receive())
         assert(f:send("pong\n"))
         f:close()
      end)
      lp:spawn(function()
         local f = assert(tls.connect("127.0.0.1", pn, { context = cctx(),
            server_name = "localhost", timeout = 5 }))
         assert.same({ "127.0.0.1", pn, "inet" }, { f:getpeername() })
         me = { f:getsockname() }
         assert.is_true(f:getfd() >= 0)
         assert(f:send("ping\n"))
         assert.equal("pong", f:receive())
         f:close()
         assert.equal(-1, f:getfd())
      end)
      assert(lp:run())
      assert.same(me, server_side.peer)
      assert.same({ "127.0.0.1", pn, "inet" }, server_side.me)
      assert.is_true(server_side.fd >= 0)
      port:close()
      assert.equal(-1, port:getfd())
   end)

   it("waits with socket.select outside any scheduler", function()
      local port = assert(tls.listen("127.0.0.1", 0, sctx(), { timeout = 5 }))
      local _, pn = port:getsockname()
      port:settimeout(0.2)
      local t0 = socket.gettime()
      assert.same({ nil, "timeout" }, { port:accept() })
      assert.is_true(socket.gettime() - t0 >= 0.15)
      -- a silent peer: the handshake times out on the File's own timeout
      local t1 = socket.gettime()
      assert.same({ nil, "timeout" },
         { tls.connect("127.0.0.1", pn, { context = cctx(), timeout = 0.3 }) })
      assert.is_true(socket.gettime() - t1 >= 0.25)
      port:close()
   end)

   it("leaves no descriptor behind over 200 connections and 50 refused ones", function()
      local port = assert(tls.listen("127.0.0.1", 0, sctx(), { timeout = 5, backlog = 64 }))
      local _, pn = port:getsockname()
      local before = open_fds()
      local lp = new_loop()
      local served = 0
      port:serve(function(f)
         assert.equal("hi", f:receive())
         f:close(0)
         served = served + 1
      end, function(err) error(err) end, lp)
      lp:spawn(function()
         for _ = 1, 200 do
            local f = assert(tls.connect("127.0.0.1", pn, { context = cctx(),
               server_name = "localhost", timeout = 5 }))
            assert(f:send("hi\n"))
            f:close(0)
         end
         local dead = closed_port()
         for _ = 1, 50 do
            assert.same({ nil, "connection refused" },
               { tls.connect("127.0.0.1", dead, { context = cctx(), timeout = 5 }) })
         end
         while served < 200 do lp:sleep(0.01) end
         port:close()
      end)
      assert(lp:run())
      lp:close()
      assert.equal(200, served)
      assert.equal(before - 1, open_fds()) -- the port's own descriptor is gone too
   end)

   it("an accept loop serves concurrent clients (Port:serve)", function()
      local lp = new_loop()
      local port = assert(tls.listen("127.0.0.1", 0, sctx(), { timeout = 5 }))
      local _, pn = port:getsockname()
      local N, replies, done = 20, {}, 0
      port:serve(function(f)
         local line = f:receive()
         assert(f:send(line:upper() .. "\n"))
         f:close()
      end, function(err) error(err) end, lp)
      for i = 1, N do
         lp:spawn(function()
            local f = assert(tls.connect("127.0.0.1", pn, { context = cctx(),
               server_name = "localhost", timeout = 5 }))
            assert(f:send("client " .. i .. "\n"))
            replies[i] = f:receive()
            f:close()
            done = done + 1
            if done == N then port:close() end
         end)
      end
      assert(lp:run())
      for i = 1, N do assert.equal("CLIENT " .. i, replies[i]) end
   end)
end)
