-- The File layer (lua/moontls/file.lua, transport.lua): every way of driving a File moves
-- 1 MiB both ways and closes cleanly (blocking against a moontls server process, nonblocking
-- with socket.select, callbacks on moontls.loop, coroutines under moontls.loop, cqueues and
-- copas, a cooperative transport object, sans-IO feed/pending); 500 concurrent connections on
-- one loop; timeouts, vanishing and slow peers; STARTTLS with pending data; buffer limits.
local socket = require "socket"
local tls = require "moontls"
local loop = require "moontls.loop"
local certs = require "support.certs"
local server = require "support.moontls_server"

local pki = certs.get()
local MB = {}
for i = 1, 1024 do
   -- 1024 lines of 1024 bytes: the echo server is line-based
   MB[i] = ("%04d"):format(i % 10000) .. string.rep(string.char(97 + i % 26), 1019) .. "\n"
end
MB = table.concat(MB)

local function sctx()
   return assert(tls.context { mode = "server", certificate = pki.ec.cert, key = pki.ec.key })
end

local function cctx()
   return assert(tls.context { mode = "client", cafile = pki.ec.ca })
end

-- open file descriptors of this process
local function open_fds()
   local n = 0
   for e in require("lfs").dir("/proc/self/fd") do
      if e ~= "." and e ~= ".." then n = n + 1 end
   end
   return n
end

local function loopback_port(ctx, opts)
   local port = assert(tls.listen("127.0.0.1", 0, ctx, opts))
   local _, p = port:getsockname()
   return port, p
end

-- In one loop: a server task echoing everything it receives, a client task sending MB from
-- one task while a second task of the same File reads it back; both close cleanly.
local function loop_exchange(lp)
   local port, pn = loopback_port(sctx(), { timeout = 10 })
   local result = {}
   lp:spawn(function()
      local f = assert(port:accept())
      while true do
         local d, err, part = f:receive(65536)
         d = d or part
         if #d > 0 then assert(f:send(d)) end
         if err == "closed" then break end
         assert(not err or err == "closed", err)
      end
      result.server_closed = true
      f:close()
      port:close()
   end)
   lp:spawn(function()
      local f = assert(tls.connect("127.0.0.1", pn, { context = cctx(),
         server_name = "localhost", timeout = 10 }))
      local writer = lp:spawn(function() assert(f:send(MB)) end)
      result.back = assert(f:receive(#MB))
      assert(writer:join())
      assert(f:shutdown("send"))
      result.after = { f:receive("*a") }
      f:close()
   end)
   assert(lp:run())
   return result
end

describe("moontls.File", function()
   after_each(function() server.stop_all() end)

   describe("blocking", function()
      it("moves 1 MiB both ways with a moontls server process and closes cleanly", function()
         local srv = server.start(pki.ec.cert, pki.ec.key, { count = 1 })
         -- read_limit above 1 MiB: the reply is read while the request still goes out
         local f = assert(tls.connect("127.0.0.1", srv.port, { context = cctx(),
            server_name = "localhost", timeout = 10, read_limit = 2 * #MB }))
         assert.equal(#MB, f:send(MB))
         assert.equal(MB, f:receive(#MB))
         assert(f:send("quit\n"))
         -- the server closes after "quit": its close_notify ends "*a" with no error
         assert.equal("", f:receive("*a"))
         assert.equal(1, f:close())
         assert.equal(1, f:close())
         assert.matches("conn 1 ok", srv.log())
      end)

      it("sets TCP_NODELAY on the sockets it drives, both ends", function()
         -- (without it a resumed TLS 1.2 client's first request waited 40 ms for the
         -- server's delayed ACK: Nagle held it behind the unacknowledged Finished)
         local port, p = loopback_port(sctx())
         local c = socket.tcp()
         assert(c:connect("127.0.0.1", p))
         local s = assert(port.sock:accept())
         local cf = assert(tls.wrap(c, cctx(), { server_name = "localhost" }))
         local sf = assert(tls.wrap(s, sctx()))
         assert.is_true(c:getoption("tcp-nodelay"))
         assert.is_true(s:getoption("tcp-nodelay"))
         cf:close(0)
         sf:close(0)
         port:close()
      end)

      it("times out on a silent peer and returns the partial data", function()
         local srv = server.start(pki.ec.cert, pki.ec.key, { count = 1 })
         local f = assert(tls.connect("127.0.0.1", srv.port, { context = cctx(),
            server_name = "localhost", timeout = 5 }))
         assert(f:send("abc\n"))
         f:settimeout(0.3)
         local t0 = socket.gettime()
         local d, err, partial = f:receive(10)
         assert.is_nil(d)
         assert.equal("timeout", err)
         assert.equal("abc\n", partial)
         assert.is_true(socket.gettime() - t0 >= 0.25)
         -- the line pattern keeps its partial line the same way
         assert(f:send("def\nxyz"))
         assert.equal("def", f:receive("*l"))
         d, err, partial = f:receive("*l")
         assert.same({ nil, "timeout", "" }, { d, err, partial })
         f:close(0)
      end)

      it("waits through a custom wait function when given one", function()
         local srv = server.start(pki.ec.cert, pki.ec.key, { count = 2 })
         local calls, modes = 0, {}
         local f = assert(tls.connect("127.0.0.1", srv.port, { context = cctx(),
            server_name = "localhost", timeout = 5, wait = function(fd, mode, secs)
               calls = calls + 1
               modes[mode] = true
               assert.is_true(math.type(fd) == "integer" and secs > 0 and secs <= 5)
               socket.sleep(0.002)
               return true -- "maybe ready": the File tries again
            end }))
         -- nothing comes: the File waits through the function until its time is up
         f:settimeout(0.2)
         assert.same({ nil, "timeout", "" }, { f:receive("*l") })
         assert.is_true(calls > 0 and modes.r)
         f:settimeout(5)
         assert(f:send("x\n"))
         assert.equal("x", f:receive("*l"))
         -- false means the time is up
         f:close()
         local t0 = socket.gettime()
         local g, err = tls.connect("127.0.0.1", srv.port, { context = cctx(),
            server_name = "localhost", timeout = 5, wait = function() return false end })
         if g then
            -- the handshake happened not to wait (a loaded machine); a receive has to
            local d
            d, err = g:receive("*l")
            assert.is_nil(d)
            g:close(0)
         end
         assert.equal("timeout", err)
         assert.is_true(socket.gettime() - t0 < 2)
      end)

      it("errors on send and receive after close", function()
         local srv = server.start(pki.ec.cert, pki.ec.key, { count = 1 })
         local f = assert(tls.connect("127.0.0.1", srv.port, { context = cctx(),
            server_name = "localhost", timeout = 5 }))
         f:close()
         assert.same({ nil, "closed", 0 }, { f:send("x") })
         local d, err = f:receive("*l")
         assert.is_nil(d)
         assert.equal("closed", err)
         assert.equal(-1, f:getfd())
      end)
   end)

   describe("under moontls.loop", function()
      it("coroutines: 1 MiB both ways, full duplex, clean close", function()
         local r = loop_exchange(loop.new())
         assert.equal(#MB, #r.back)
         assert.is_true(r.back == MB)
         assert.is_true(r.server_closed)
         assert.same({ "" }, r.after)
      end)

      it("callbacks: a Pike-style echo server moves 1 MiB both ways", function()
         local lp = loop.new()
         local port, pn = loopback_port(sctx(), { loop = lp })
         local seen = {}
         lp:spawn(function()
            local f = assert(port:accept { handshake = false })
            port:close()
            local out, on_read = "", nil
            local function push(ff)
               if #out > 0 then
                  local last, err, done = ff:send(out)
                  assert(last or err == "wantwrite", err)
                  out = out:sub((last or done) + 1)
               end
               -- backpressure: stop reading while a reply waits
               ff:set_read_callback(#out == 0 and on_read or nil)
            end
            local depth = 0
            on_read = function(ff, data)
               depth = depth + 1
               assert.equal(1, depth) -- never re-entered
               out = out .. data
               push(ff)
               depth = depth - 1
            end
            f:set_nonblocking(on_read, function(ff)
               seen.write = (seen.write or 0) + 1
               push(ff)
            end, function(ff, err)
               seen.close = err or "clean"
               ff:close()
            end)
         end)
         local back
         lp:spawn(function()
            local f = assert(tls.connect("127.0.0.1", pn, { context = cctx(),
               server_name = "localhost", timeout = 10 }))
            local w = lp:spawn(function() assert(f:send(MB)) end)
            back = f:receive(#MB)
            assert(w:join())
            f:close()
         end)
         assert(lp:run())
         assert.is_true(back == MB)
         assert.equal("clean", seen.close)
         assert.is_true(seen.write >= 1)
      end)

      it("500 concurrent connections handshake and echo; fds and memory come back", function()
         collectgarbage()
         collectgarbage()
         local fds0, mem0 = open_fds(), collectgarbage("count")
         local lp = loop.new()
         local n, N = 0, 500
         local port, pn = loopback_port(sctx(), { timeout = 20, backlog = 1024 })
         port:serve(function(f)
            local line = f:receive("*l")
            if line then f:send(line .. "\n") end
            f:receive("*a")
            f:close()
         end, nil, lp)
         local ctx = cctx()
         local open, peak = 0, 0
         local t0 = socket.gettime()
         for i = 1, N do
            lp:spawn(function()
               local f = assert(tls.connect("127.0.0.1", pn, { context = ctx,
                  server_name = "localhost", timeout = 20 }))
               open = open + 1
               assert(f:send("hello " .. i .. "\n"))
               assert.equal("hello " .. i, f:receive("*l"))
               -- hold every connection open until all are, to measure the peak
               while open < N and socket.gettime() - t0 < 20 do lp:sleep(0.01) end
               if open == N and peak == 0 then peak = collectgarbage("count") end
               f:close()
               n = n + 1
               if n == N then port:close() end
            end)
         end
         assert(lp:run())
         local secs = socket.gettime() - t0
         assert.equal(N, n)
         lp:close()
         collectgarbage()
         collectgarbage()
         local fds1, mem1 = open_fds(), collectgarbage("count")
         print(("\n  500 connections: %.2f s, Lua heap %.1f KiB per connection (both ends), "
            .. "after: %+.0f KiB, fds %d -> %d"):format(secs, (peak - mem0) / N, mem1 - mem0,
            fds0, fds1))
         assert.equal(fds0, fds1)
         assert.is_true(mem1 - mem0 < 1024, "memory after: +" .. (mem1 - mem0) .. " KiB")
      end)

      it("callbacks: a failed handshake reaches close_cb with its error", function()
         local lp = loop.new()
         local port, pn = loopback_port(sctx(), { loop = lp })
         local cerr
         lp:spawn(function()
            local f = port:accept { handshake = false }
            port:close()
            f:handshake() -- fails: the client refuses the certificate
            f:close(0)
         end)
         lp:spawn(function()
            local sock = assert(socket.connect("127.0.0.1", pn))
            local other = assert(tls.context { mode = "client", cafile = pki.rsa.ca })
            local f = assert(tls.wrap(sock, other, { server_name = "localhost", loop = lp }))
            f:set_nonblocking(function() end, function() end, function(ff, err)
               cerr = err
               ff:close()
            end)
         end)
         assert(lp:run())
         assert.matches("certificate verify failed", cerr)
      end)

      it("a silent peer: nil, \"timeout\" with the partial data, the task yields", function()
         local lp = loop.new()
         local port, pn = loopback_port(sctx(), { timeout = 5 })
         local res, elapsed, ticks = nil, nil, 0
         lp:spawn(function()
            local f = assert(port:accept())
            port:close()
            assert(f:send("abc"))
            assert.equal("done", f:receive("*l"))
            f:close()
         end)
         lp:spawn(function()
            local f = assert(tls.connect("127.0.0.1", pn, { context = cctx(),
               server_name = "localhost", timeout = 5 }))
            f:settimeout(0.3)
            local t0 = socket.gettime()
            res = { f:receive("*l") }
            elapsed = socket.gettime() - t0
            f:send("done\n")
            f:close()
         end)
         lp:spawn(function()
            for _ = 1, 5 do
               lp:sleep(0.05)
               ticks = ticks + 1
            end
         end)
         assert(lp:run())
         assert.same({ nil, "timeout", "abc" }, res)
         assert.is_true(elapsed >= 0.25 and elapsed < 1, "waited " .. elapsed)
         assert.equal(5, ticks) -- the loop kept running while the receive waited
      end)

      it("a server's handshake has a deadline too (one byte per 100 ms)", function()
         local lp = loop.new()
         local port, pn = loopback_port(sctx(), { timeout = 0.5 })
         local res, elapsed
         lp:spawn(function()
            local t0 = socket.gettime()
            res = { port:accept() }
            elapsed = socket.gettime() - t0
            port:close()
         end)
         lp:spawn(function()
            local s = socket.tcp()
            s:settimeout(0)
            s:connect("127.0.0.1", pn)
            assert(lp:wait(s:getfd(), "w", 5))
            local drip = "\22\3\1\64\0" .. string.rep("\1", 30) -- a 16 KiB record, slowly
            for k = 1, #drip do
               if not s:send(drip:sub(k, k)) then break end
               lp:sleep(0.1)
            end
            s:close()
         end)
         assert(lp:run())
         assert.is_nil(res[1])
         assert.equal("timeout", res[2])
         assert.is_true(elapsed < 1.5, "accept took " .. elapsed)
      end)

      it("a peer sending one byte per 100 ms cannot hold a handshake past its deadline",
         function()
            local lp = loop.new()
            local raw = assert(socket.bind("127.0.0.1", 0))
            raw:settimeout(0)
            local _, pn = raw:getsockname()
            lp:spawn(function()
               assert(lp:wait(raw:getfd(), "r", 5))
               local s = assert(raw:accept())
               -- a handshake record header announcing 16 KiB, then one byte per 100 ms
               local drip = "\22\3\3\64\0" .. string.rep("\0", 40)
               for k = 1, #drip do
                  if s:send(drip:sub(k, k)) == nil then break end
                  lp:sleep(0.1)
               end
               s:close()
            end)
            local res, elapsed
            lp:spawn(function()
               local t0 = socket.gettime()
               res = { tls.connect("127.0.0.1", pn, { context = cctx(),
                  server_name = "localhost", timeout = 0.5 }) }
               elapsed = socket.gettime() - t0
            end)
            assert(lp:run())
            raw:close()
            assert.is_nil(res[1])
            assert.equal("timeout", res[2])
            assert.is_true(elapsed < 1.5, "handshake took " .. elapsed)
         end)

      it("a peer vanishing mid-handshake gives a clear error", function()
         local lp = loop.new()
         local raw = assert(socket.bind("127.0.0.1", 0))
         raw:settimeout(0)
         local _, pn = raw:getsockname()
         lp:spawn(function()
            assert(lp:wait(raw:getfd(), "r", 5))
            local s = assert(raw:accept())
            s:settimeout(0)
            assert(lp:wait(s:getfd(), "r", 5))
            s:receive(10) -- part of the ClientHello, then gone
            s:close()
         end)
         local res
         lp:spawn(function()
            res = { tls.connect("127.0.0.1", pn, { context = cctx(), server_name = "localhost",
               timeout = 5 }) }
         end)
         assert(lp:run())
         raw:close()
         assert.is_nil(res[1])
         assert.matches("closed by the peer during the handshake", res[2])
      end)

      it("STARTTLS: the server wraps with the bytes it already read", function()
         local lp = loop.new()
         local raw = assert(socket.bind("127.0.0.1", 0))
         raw:settimeout(0)
         local _, pn = raw:getsockname()
         local got
         lp:spawn(function()
            assert(lp:wait(raw:getfd(), "r", 5))
            local s = assert(raw:accept())
            s:settimeout(0)
            -- the plaintext command and the start of the ClientHello arrive together
            local buf = ""
            while #buf < 30 do
               assert(lp:wait(s:getfd(), "r", 5))
               local d, _, part = s:receive(30 - #buf)
               buf = buf .. (d or part)
            end
            assert.equal("STARTTLS\r\n", buf:sub(1, 10))
            local f = assert(tls.wrap(s, sctx(), { pending_data = buf:sub(11), timeout = 5 }))
            assert(f:handshake())
            got = f:receive("*l")
            f:send("bye\n")
            f:close()
         end)
         local reply
         lp:spawn(function()
            local s = assert(socket.connect("127.0.0.1", pn))
            local f = assert(tls.wrap(s, cctx(), { server_name = "localhost", timeout = 5 }))
            local hello = f:pending() -- the ClientHello, sent by hand right after the command
            assert(s:send("STARTTLS\r\n" .. hello))
            assert(f:handshake())
            f:send("secret\n")
            reply = f:receive("*l")
            f:close()
         end)
         assert(lp:run())
         raw:close()
         assert.equal("secret", got)
         assert.equal("bye", reply)
      end)
   end)

   describe("limits and lifetime", function()
      it("reads ahead at most read_limit; a blocked sender gets backpressure", function()
         local lp = loop.new()
         local port, pn = loopback_port(sctx(), { timeout = 10 })
         local sent_all, rq_size, final
         lp:spawn(function()
            local f = assert(port:accept())
            port:close()
            assert(f:send(string.rep("x", 8 * #MB)))
            sent_all = socket.gettime()
            f:close()
         end)
         lp:spawn(function()
            local f = assert(tls.connect("127.0.0.1", pn, { context = cctx(),
               server_name = "localhost", timeout = 10, read_limit = 65536 }))
            -- a send that has to wait reads ahead meanwhile, but only up to the limit
            local w = lp:spawn(function() f:send(string.rep("y", 100)) end)
            assert(w:join())
            lp:sleep(0.3)
            rq_size = f.rq and f.rq.size or 0 -- (the queue exists only while it holds data)
            assert.is_nil(sent_all) -- 8 MiB cannot have gone into 64 KiB and socket buffers
            local got = assert(f:receive(8 * #MB))
            final = #got
            f:close()
         end)
         assert(lp:run())
         assert.is_true(rq_size <= 65536 + 16384, "read ahead " .. rq_size)
         assert.equal(8 * #MB, final)
      end)

      it("half-close: after shutdown(\"send\") the reply still arrives", function()
         local lp = loop.new()
         local port, pn = loopback_port(sctx(), { timeout = 5 })
         local request, reply, late
         lp:spawn(function()
            local f = assert(port:accept())
            port:close()
            request = f:receive("*a") -- ends at the client's close_notify
            assert(f:send("response to " .. request))
            f:close()
         end)
         lp:spawn(function()
            local f = assert(tls.connect("127.0.0.1", pn, { context = cctx(),
               server_name = "localhost", timeout = 5 }))
            assert(f:send("request"))
            assert.equal(1, f:shutdown("send"))
            late = { f:send("more") }
            reply = f:receive("*a")
            f:close()
         end)
         assert(lp:run())
         assert.equal("request", request)
         assert.equal("response to request", reply)
         assert.same({ nil, "closed", 0 }, late)
      end)

      it("close() lingers for the peer's close_notify, at most the linger time", function()
         local lp = loop.new()
         local port, pn = loopback_port(sctx(), { timeout = 5 })
         local times = {}
         lp:spawn(function()
            -- first peer answers close_notify with its own; the second stays silent
            local f = assert(port:accept())
            assert.equal("", f:receive("*a"))
            f:close()
            local g = assert(port:accept())
            lp:sleep(1.6)
            g:close(0)
            port:close()
         end)
         lp:spawn(function()
            for i, linger in ipairs { 2, 0.3 } do
               local f = assert(tls.connect("127.0.0.1", pn, { context = cctx(),
                  server_name = "localhost", timeout = 5 }))
               local t0 = socket.gettime()
               f:close(linger)
               times[i] = socket.gettime() - t0
            end
         end)
         assert(lp:run())
         assert.is_true(times[1] < 0.5, "answered close took " .. times[1])
         assert.is_true(times[2] >= 0.25 and times[2] < 1.5, "silent close took " .. times[2])
      end)

      it("a nonblocking send queues at most write_limit", function()
         local c = assert(tls.wrap(nil, cctx(), { server_name = "localhost",
            write_limit = 65536 }))
         local s = assert(tls.wrap(nil, sctx()))
         for _ = 1, 10 do
            c:handshake()
            s:handshake()
            local out = c:pending()
            if #out > 0 then s:feed(out) end
            out = s:pending()
            if #out > 0 then c:feed(out) end
         end
         assert.is_true(c:handshake())
         local last, err, done = c:send(MB)
         assert.is_nil(last)
         assert.equal("wantwrite", err)
         -- the engine's records (64 KiB of output) plus the queue
         assert.is_true(done >= 65536 and done <= 3 * 65536, "took " .. done)
      end)

      it("<close> closes, and a dropped File's descriptor is freed by the collector", function()
         collectgarbage()
         local fds0 = open_fds()
         local port, pn = loopback_port(sctx())
         local fd
         do
            local sock = assert(socket.connect("127.0.0.1", pn))
            local f <close> = assert(tls.wrap(sock, cctx(), { server_name = "localhost",
               linger = 0 }))
            fd = f:getfd()
            assert.is_true(fd >= 0)
            local a = assert(port:accept { handshake = false })
            a:close(0)
            f:close(0)
            assert.equal(-1, f:getfd())
         end
         do
            local sock = assert(socket.connect("127.0.0.1", pn))
            local _ = assert(tls.wrap(sock, cctx(), { server_name = "localhost" }))
            local a = assert(port:accept { handshake = false })
            a:close(0)
            assert.equal(fds0 + 2, open_fds()) -- the port and the dropped File's socket
         end
         collectgarbage()
         collectgarbage()
         port:close()
         assert.equal(fds0, open_fds())
      end)
   end)

   describe("nonblocking without callbacks", function()
      it("socket.select drives both ends through 1 MiB each way", function()
         local port, pn = loopback_port(sctx())
         local sock = assert(socket.connect("127.0.0.1", pn))
         local c = assert(tls.wrap(sock, cctx(), { server_name = "localhost" })):set_nonblocking()
         local s
         local sent, got, echo = 0, {}, ""
         local gotn = 0
         local t0 = socket.gettime()
         while gotn < #MB do
            assert(socket.gettime() - t0 < 20, "stalled")
            if not s then
               local f, err = port:accept { handshake = false }
               if f then
                  s = f:set_nonblocking()
               else
                  assert.equal("timeout", err)
               end
            end
            if sent < #MB then
               local last, err, done = c:send(MB, sent + 1)
               assert(last or err == "wantwrite", err)
               sent = last or done
            end
            local d, err, part = c:receive(65536)
            d = d or part
            assert(d ~= nil and (err == nil or err == "wantread"), err)
            got[#got + 1], gotn = d, gotn + #d
            if s then
               local sd, serr, spart = s:receive(65536)
               assert(sd or serr == "wantread", serr)
               echo = echo .. (sd or spart)
               if #echo > 0 then
                  local last, werr, done = s:send(echo)
                  assert(last or werr == "wantwrite", werr)
                  echo = echo:sub((last or done) + 1)
               end
            end
            local r, w = {}, {}
            for _, f in ipairs { c, s or port } do
               local ev = f.events and f:events() or "r"
               if ev:find("r") then r[#r + 1] = f end
               if ev:find("w") then w[#w + 1] = f end
            end
            socket.select(r, w, 1)
         end
         assert.is_true(table.concat(got) == MB)
         -- a clean close in nonblocking mode: flush, close_notify, the peer sees "closed"
         c:set_blocking()
         c:settimeout(5)
         s:set_blocking()
         s:settimeout(5)
         assert(c:shutdown("send"))
         assert.equal("", s:receive("*a"))
         s:close()
         assert.equal("", c:receive("*a"))
         c:close()
         port:close()
      end)

      it("exposes the cqueues polling protocol", function()
         local port, pn = loopback_port(sctx())
         local sock = assert(socket.connect("127.0.0.1", pn))
         local c = assert(tls.wrap(sock, cctx(), { server_name = "localhost" })):set_nonblocking()
         assert.same({ nil, "wantread" }, { c:handshake() })
         assert.equal("r", c:events())
         assert.equal(sock:getfd(), c:pollfd())
         assert.is_nil(c:timeout())
         c:settimeout(2)
         assert.equal(2, c:timeout())
         c:close()
         port:close()
      end)
   end)

   describe("other schedulers", function()
      it("cqueues: 1 MiB both ways", function()
         local cqueues = require "cqueues"
         local cq = cqueues.new()
         local port, pn = loopback_port(sctx(), { timeout = 10 })
         local back, tail
         cq:wrap(function()
            local f = assert(port:accept())
            local d = assert(f:receive(#MB))
            assert(f:send(d))
            assert.equal("", f:receive("*a"))
            f:close()
         end)
         cq:wrap(function()
            local f = assert(tls.connect("127.0.0.1", pn, { context = cctx(),
               server_name = "localhost", timeout = 10 }))
            assert(f:send(MB))
            back = f:receive(#MB)
            f:shutdown("send")
            tail = f:receive("*a")
            f:close()
         end)
         assert(cq:loop())
         port:close()
         assert.is_true(back == MB)
         assert.equal("", tail)
      end)

      it("cqueues.poll(file) on a nonblocking File", function()
         local cqueues = require "cqueues"
         local cq = cqueues.new()
         local port, pn = loopback_port(sctx(), { timeout = 10 })
         local got
         cq:wrap(function()
            local f = assert(port:accept())
            f:send("polled\n")
            f:receive("*a")
            f:close()
         end)
         cq:wrap(function()
            local sock = assert(socket.connect("127.0.0.1", pn))
            local f = assert(tls.wrap(sock, cctx(), { server_name = "localhost" }))
            f:set_nonblocking()
            local polls, part = 0, nil
            while true do
               local line, err
               line, err, part = f:receive("*l", part)
               if line then
                  got = line
                  break
               end
               assert.equal("wantread", err)
               polls = polls + 1
               assert.equal(f, cqueues.poll(f, 5)) -- waits on f:pollfd() for f:events()
            end
            assert.is_true(polls >= 1)
            f:set_blocking()
            f:close()
         end)
         assert(cq:loop())
         port:close()
         assert.equal("polled", got)
      end)

      it("copas (1.x): a copas.wrap socket and a raw socket through copas' API", function()
         package.path = package.path .. ";/usr/share/lua/5.1/?.lua"
         local copas = require "copas"
         local srv = assert(socket.bind("127.0.0.1", 0))
         local _, pn = srv:getsockname()
         local done, back, tail = 0, nil, nil
         copas.addserver(srv, function(s)
            local f = assert(tls.wrap(copas.wrap(s), sctx()))
            assert(f:handshake())
            local d = assert(f:receive(#MB))
            assert(f:send(d))
            assert.equal("", f:receive("*a"))
            f:close()
            done = done + 1
         end)
         copas.addthread(function()
            local f = assert(tls.connect("127.0.0.1", pn, { copas = copas, context = cctx(),
               server_name = "localhost" }))
            assert(f:send(MB))
            back = f:receive(#MB)
            f:shutdown("send")
            tail = f:receive("*a")
            f:close()
            done = done + 1
         end)
         local t0 = socket.gettime()
         while done < 2 and socket.gettime() - t0 < 20 do copas.step(0.5) end
         srv:close()
         assert.equal(2, done)
         assert.is_true(back == MB)
         assert.equal("", tail)
      end)
   end)

   -- An in-memory cosocket pair: receive(n) waits (yields) for exactly n bytes, send never
   -- waits; a tiny round-robin runs the two coroutines.
   local function pipe_pair()
      local a, b = { inbox = {}, n = 0 }, { inbox = {}, n = 0 }
      a.peer, b.peer = b, a
      local End = {}
      End.__index = End
      function End:send(s)
         if self.closed or self.peer.closed then return nil, "closed" end
         local p = self.peer
         p.inbox[#p.inbox + 1] = s
         p.n = p.n + #s
         return #s
      end
      function End:receive(n)
         while self.n < n do
            if self.peer.closed then return nil, "closed", table.concat(self.inbox) end
            coroutine.yield()
         end
         local s = table.concat(self.inbox)
         self.inbox = { s:sub(n + 1) }
         self.n = #s - n
         return s:sub(1, n)
      end
      function End:close() self.closed = true end
      return setmetatable(a, End), setmetatable(b, End)
   end

   it("a cooperative transport object (cosocket-like send/receive)", function()
      local x, y = pipe_pair()
      local back, tail
      local co1 = coroutine.create(function()
         local f = assert(tls.wrap(x, sctx()))
         assert(f:handshake())
         local d = assert(f:receive(#MB))
         assert(f:send(d))
         assert.equal("", f:receive("*a"))
         f:close()
      end)
      local co2 = coroutine.create(function()
         local f = assert(tls.wrap(y, cctx(), { server_name = "localhost" }))
         assert(f:handshake())
         assert(f:send(MB))
         back = f:receive(#MB)
         f:shutdown("send")
         tail = f:receive("*a")
         f:close()
      end)
      for _ = 1, 100000 do
         if coroutine.status(co1) == "dead" and coroutine.status(co2) == "dead" then break end
         for _, co in ipairs { co1, co2 } do
            if coroutine.status(co) ~= "dead" then assert(coroutine.resume(co)) end
         end
      end
      assert.is_true(back == MB)
      assert.equal("", tail)
   end)

   it("sans-IO: feed/pending over an in-memory pipe", function()
      local c = assert(tls.wrap(nil, cctx(), { server_name = "localhost" }))
      local s = assert(tls.wrap(nil, sctx()))
      local function shuttle()
         local moved = 0
         local out = c:pending()
         if #out > 0 then assert(s:feed(out)) end
         moved = moved + #out
         out = s:pending()
         if #out > 0 then assert(c:feed(out)) end
         return moved + #out
      end
      local cdone, sdone
      for _ = 1, 20 do
         cdone = cdone or c:handshake()
         sdone = sdone or s:handshake()
         if shuttle() == 0 and cdone and sdone then break end
      end
      assert.is_true(cdone)
      assert.is_true(sdone)
      assert.equal("localhost", s:getsniname())
      -- 1 MiB each way: sends queue up to the write limit and say "wantwrite" beyond it
      local csent, ssent, cgot, sgot = 0, 0, {}, {}
      local cn, sn = 0, 0
      for _ = 1, 10000 do
         if csent < #MB then
            local last, err, done = c:send(MB, csent + 1)
            assert(last or err == "wantwrite", err)
            csent = last or done
         end
         if ssent < #MB then
            local last, err, done = s:send(MB, ssent + 1)
            assert(last or err == "wantwrite", err)
            ssent = last or done
         end
         c:flush()
         s:flush()
         shuttle()
         local d, _, part = c:receive(65536)
         d = d or part
         cgot[#cgot + 1], cn = d, cn + #d
         d, _, part = s:receive(65536)
         d = d or part
         sgot[#sgot + 1], sn = d, sn + #d
         if cn == #MB and sn == #MB then break end
      end
      assert.is_true(table.concat(cgot) == MB)
      assert.is_true(table.concat(sgot) == MB)
      -- close_notify both ways
      c:close()
      assert(s:feed(c:pending()))
      assert.same({ nil, "closed", "" }, { s:receive(1) })
      assert.has_error(function() s:feed(123) end)
   end)

   it("sans-IO: a failed verification is answered in the pump and named", function()
      local other = assert(tls.context { mode = "client", cafile = pki.rsa.ca })
      local c = assert(tls.wrap(nil, other, { server_name = "localhost" }))
      local s = assert(tls.wrap(nil, sctx()))
      local res
      for _ = 1, 10 do
         local r = { c:handshake() }
         if r[1] or (r[2] ~= "wantread" and r[2] ~= "wantwrite") then
            res = r
            break
         end
         s:handshake()
         local out = c:pending()
         if #out > 0 then s:feed(out) end
         out = s:pending()
         if #out > 0 then c:feed(out) end
      end
      assert.is_nil(res[1])
      assert.matches("certificate verify failed", res[2])
      -- the alert for the server is queued
      assert.is_true(#c:pending() > 0)
   end)

   it("rejects misuse", function()
      local f = assert(tls.wrap(nil, cctx()))
      assert.has_error(function() f:receive("*x") end)
      assert.has_error(function() f:send(nil) end)
      assert.has_error(function() f:shutdown("sideways") end)
      assert.has_error(function() tls.wrap(nil, {}) end)
      assert.has_error(function() f:set_nonblocking(function() end) end)
      f:close()
   end)
end)

describe("File:receiveany", function()
   it("returns what has arrived, waits only while nothing has, and reports close", function()
      local lp = loop.new()
      local port, pn = loopback_port(sctx(), { timeout = 5 })
      local got = {}
      lp:spawn(function()
         local f = assert(port:accept())
         f:send("abc")
         loop.sleep(0.05)
         f:send(("x"):rep(40000))
         loop.sleep(0.05)
         f:close()
      end)
      lp:spawn(function()
         local f = assert(tls.connect("127.0.0.1", pn, { context = cctx(),
            server_name = "localhost", timeout = 5 }))
         got[1] = f:receiveany() -- "abc" alone: nothing else has been sent yet
         local total = 0
         while total < 40000 do
            local d = assert(f:receiveany(1000))
            assert(#d <= 1000)
            total = total + #d
         end
         got[2] = total
         got[3] = { f:receiveany() }
         assert.has_error(function() f:receiveany(0) end)
         f:settimeout(0.05)
         got[4] = { f:receiveany() }
         f:close()
         port:close()
      end)
      assert(lp:run())
      lp:close()
      assert.equal("abc", got[1])
      assert.equal(40000, got[2])
      assert.same({ nil, "closed" }, got[3])
      assert.equal("closed", got[4][2])
   end)
end)
