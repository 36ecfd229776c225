-- moontls.loop: tasks, timers, fd waits and watches on both backends (epoll and poll).
local loop = require "moontls.loop"
local socket = require "socket"
local helpers = require "helpers"

-- Number of open fds of this process, after collecting garbage (finalizers run, then what
-- they held goes in the next cycles). Listed in-process: a child listing /proc/PID/fd
-- races with popen closing its end of the pipe. (lfs comes with busted.)
local lfs = require "lfs"
local pid = io.open("/proc/self/stat"):read("l"):match("^(%d+)")
local function fd_count()
   for _ = 1, 4 do collectgarbage() end
   local n = 0
   for name in lfs.dir("/proc/self/fd") do
      if name:match("^%d+$") then n = n + 1 end
   end
   return n
end

-- A connected TCP pair on 127.0.0.1, both non-blocking.
local listener
local function tcp_pair()
   if not listener then
      listener = assert(socket.bind("127.0.0.1", 0, 1024))
   end
   local _, port = listener:getsockname()
   local c = assert(socket.connect("127.0.0.1", port))
   local s = assert(listener:accept())
   c:settimeout(0)
   s:settimeout(0)
   return c, s
end

-- Inside a task: sends all of data, waiting for room.
local function send_all(lp, sock, data)
   local i = 1
   while i <= #data do
      local last, err, partial = sock:send(data, i)
      if last then return true end
      if err ~= "timeout" then return nil, err end
      i = partial + 1
      assert(lp:wait(sock:getfd(), "w", 10), "send timed out")
   end
   return true
end

-- Inside a task: one line, waiting for it.
local function recv_line(lp, sock)
   local buf = ""
   while true do
      local line, err, partial = sock:receive("*l", buf)
      if line then return line end
      if err ~= "timeout" then return nil, err end
      buf = partial
      assert(lp:wait(sock:getfd(), "r", 10), "receive timed out")
   end
end

-- Records task errors instead of printing them.
local function quiet(lp)
   local errs = {}
   lp.on_error = function(obj, err, tb)
      errs[#errs + 1] = { obj = obj, err = err, tb = tb }
   end
   return errs
end

describe("moontls.loop module", function()
   it("gives a monotonic clock in seconds", function()
      local a = loop.now()
      local b = loop.now()
      assert.is_number(a)
      assert.is_true(b >= a)
   end)

   it("has one default loop, created on first use", function()
      local d = loop.default()
      assert.equals(d, loop.default())
      assert.is_nil(loop.current())
      local seen
      d:spawn(function() seen = loop.current() end)
      assert.is_true(d:run())
      assert.equals(d, seen)
   end)

   it("picks the backend from the option or $MOONTLS_LOOP_BACKEND", function()
      assert.equals("poll", loop.new { backend = "poll" }:backend())
      assert.equals("epoll", loop.new { backend = "epoll" }:backend())
      local ok, code, out = helpers.run("MOONTLS_LOOP_BACKEND=poll " .. helpers.lua
         .. " -e 'package.path=\"lua/?.lua;\"..package.path; package.cpath=\""
         .. (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;\"..package.cpath;"
         .. " print(require(\"moontls.loop\").new():backend())'")
      assert.is_true(ok, tostring(code) .. out)
      assert.equals("poll\n", out)
      assert.has_error(function() loop.new { backend = "kqueue" } end,
         "bad argument #1 to 'new' (backend must be \"auto\", \"epoll\" or \"poll\")")
   end)
end)

describe("docs/loop.md", function()
   it("has an example that runs", function()
      local f = assert(io.open("docs/loop.md"))
      local code = f:read("a"):match("```lua\n(.-)```")
      f:close()
      assert.is_string(code)
      local printed = {}
      local env = setmetatable({ print = function(...)
         printed[#printed + 1] = table.concat({ ... }, " ")
      end }, { __index = _G })
      assert(load(code, "=docs/loop.md", "t", env))()
      assert.same({ "HELLO FROM CLIENT 1", "HELLO FROM CLIENT 2", "HELLO FROM CLIENT 3" },
         printed)
   end)
end)

for _, backend in ipairs { "epoll", "poll" } do
   describe("moontls.loop on " .. backend, function()
      local lp
      before_each(function()
         lp = assert(loop.new { backend = backend })
      end)
      after_each(function()
         lp:close()
      end)

      it("returns from run() at once when nothing is there", function()
         assert.is_true(lp:run())
         assert.equals(0, lp:step())
         assert.equals(0, lp:step(0))
      end)

      it("fires timers in due order, equal dues in creation order, never early", function()
         local order = {}
         local t0 = loop.now()
         for _, d in ipairs { 0.03, 0.01, 0.02, 0.01, 0 } do
            lp:timer(d, function(h)
               assert.is_true(loop.now() - t0 >= d)
               assert.is_nil(loop.current()) -- callbacks run outside any task
               order[#order + 1] = tostring(d) .. (getmetatable(h) == loop.Timer and "" or "?")
            end)
         end
         local dead = lp:timer(0.015, function() order[#order + 1] = "cancelled" end)
         assert.is_true(dead:cancel())
         assert.is_false(dead:cancel())
         assert.is_true(lp:run())
         assert.same({ "0", "0.01", "0.01", "0.02", "0.03" }, order)
         -- generous bound: the whole run is far below a second
         assert.is_true(loop.now() - t0 < 2)
      end)

      it("sleeps many tasks, each at least its time", function()
         local woke, n = 0, 300
         for i = 1, n do
            local d = (i * 7 % 50) / 1000
            lp:spawn(function()
               local t0 = loop.now()
               lp:sleep(d)
               assert.is_true(loop.now() - t0 >= d)
               woke = woke + 1
            end)
         end
         local errs = quiet(lp)
         assert.is_true(lp:run())
         assert.same({}, errs)
         assert.equals(n, woke)
         assert.same({ tasks = 0, watches = 0, timers = 0, fds = 0 }, lp:stats())
      end)

      it("fires 300 timers in the order of their due times", function()
         local fired, n = {}, 300
         for i = 1, n do
            local d = (i * 7919 % 97) / 2000
            -- the loop reads the clock between lo and hi: due is in [lo + d, hi + d]
            local lo = loop.now()
            local e = { d = d }
            lp:timer(d, function() fired[#fired + 1] = e end)
            e.lo, e.hi = lo + d, loop.now() + d
         end
         assert.is_true(lp:run())
         assert.equals(n, #fired)
         for i = 2, n do
            -- an earlier fire never has a certainly later due
            assert.is_true(fired[i - 1].lo <= fired[i].hi)
         end
      end)

      it("waits for readable, writable and times out", function()
         local c, s = tcp_pair()
         local got = {}
         lp:spawn(function()
            local t0 = loop.now()
            got.timeout = lp:wait(s:getfd(), "r", 0.05)
            got.waited = loop.now() - t0
            got.w = lp:wait(s:getfd(), "w")
            got.rw_one = lp:wait(s:getfd(), "rw")
            lp:spawn(function()
               lp:sleep(0.01)
               c:send("x")
            end)
            got.r = lp:wait(s:getfd(), "r", 5)
            got.data = s:receive(1)
            c:send("y")
            lp:sleep(0.01)
            got.rw_both = lp:wait(s:getfd(), "rw")
            got.zero = loop.wait(c:getfd(), "r", 0)
         end)
         local errs = quiet(lp)
         assert.is_true(lp:run())
         assert.same({}, errs)
         assert.is_false(got.timeout)
         assert.is_true(got.waited >= 0.05 and got.waited < 2)
         assert.equals("w", got.w)
         assert.equals("w", got.rw_one)
         assert.equals("r", got.r)
         assert.equals("x", got.data)
         assert.equals("rw", got.rw_both)
         assert.is_false(got.zero)
         c:close()
         s:close()
      end)

      it("serves a reader and a writer of the same fd", function()
         local c, s = tcp_pair()
         local log = {}
         lp:spawn(function()
            local got = lp:wait(s:getfd(), "r", 5)
            log[#log + 1] = "r:" .. tostring(got)
            log[#log + 1] = s:receive(3)
         end)
         lp:spawn(function()
            local got = lp:wait(s:getfd(), "w", 5)
            log[#log + 1] = "w:" .. tostring(got)
            lp:sleep(0.02)
            assert(c:send("abc"))
         end)
         assert.is_true(lp:run())
         assert.same({ "w:w", "r:r", "abc" }, log)
         c:close()
         s:close()
      end)

      it("runs 1000 tasks, each waiting on its own socket pair, and leaks no fd", function()
         local before = fd_count()
         local inner = assert(loop.new { backend = backend })
         local socks, n, woke = {}, 1000, 0
         for i = 1, n do socks[i] = { tcp_pair() } end
         for i = 1, n do
            inner:spawn(function()
               local s = socks[i][2]
               assert.equals("r", inner:wait(s:getfd(), "r", 30))
               assert.equals("ping" .. i, s:receive(#("ping" .. i)))
               assert(s:send("pong"))
               woke = woke + 1
            end)
         end
         inner:step(0) -- every task starts and waits
         inner:step(0) -- the waits reach the poller
         assert.same({ tasks = n, watches = 0, timers = 0, fds = n }, inner:stats())
         local t0 = loop.now()
         for i = n, 1, -1 do assert(socks[i][1]:send("ping" .. i)) end
         assert.is_true(inner:run())
         local elapsed = loop.now() - t0
         assert.equals(n, woke)
         for i = 1, n do
            socks[i][1]:settimeout(5)
            assert.equals("pong", socks[i][1]:receive(4))
         end
         assert.same({ tasks = 0, watches = 0, timers = 0, fds = 0 }, inner:stats())
         inner:close()
         for i = 1, n do
            socks[i][1]:close()
            socks[i][2]:close()
         end
         -- a figure for the report, not an assertion
         print(("# %s: 1000 tasks woken and answered in %.1f ms"):format(backend,
            elapsed * 1000))
         assert.equals(before, fd_count())
      end)

      it("cancels tasks: sleeping, waiting, queued, itself; pending closes run", function()
         local c, s = tcp_pair()
         local closed, resumed = {}, {}
         local function closer(name)
            return setmetatable({}, { __close = function() closed[#closed + 1] = name end })
         end
         local sleeper = lp:spawn(function()
            local _ <close> = closer("sleeper")
            lp:sleep(10)
            resumed.sleeper = true
         end)
         local waiter = lp:spawn(function()
            local _ <close> = closer("waiter")
            lp:wait(s:getfd(), "r")
            resumed.waiter = true
         end)
         local queued = lp:spawn(function() resumed.queued = true end)
         local selfish = lp:spawn(function()
            local _ <close> = closer("self")
            loop.task():cancel()
            resumed.selfish = true
         end)
         assert.is_true(queued:cancel())
         assert.equals("cancelled", queued:status())
         assert.equals(3, lp:step(0)) -- sleeper, waiter, selfish ran; queued was skipped
         lp:step(0)
         assert.equals("waiting", sleeper:status())
         assert.equals("waiting", waiter:status())
         assert.equals("cancelled", selfish:status())
         assert.equals(1, lp:stats().fds)
         assert.is_true(sleeper:cancel())
         assert.is_true(waiter:cancel())
         assert.is_false(waiter:cancel())
         assert.is_true(waiter:done())
         assert.same({ nil, "cancelled" }, { waiter:result() })
         c:send("x") -- the cancelled waiter must not wake
         assert.is_true(lp:run())
         assert.same({}, resumed)
         table.sort(closed)
         assert.same({ "self", "sleeper", "waiter" }, closed)
         assert.same({ tasks = 0, watches = 0, timers = 0, fds = 0 }, lp:stats())
         c:close()
         s:close()
      end)

      it("reports errors in tasks through on_error, with a traceback; others go on", function()
         local errs = quiet(lp)
         local finished = false
         local function failing_function() error("boom in task") end
         local bad = lp:spawn(function()
            lp:sleep(0.01)
            failing_function()
         end)
         lp:spawn(function()
            lp:sleep(0.02)
            finished = true
         end)
         assert.is_true(lp:run())
         assert.is_true(finished)
         assert.equals(1, #errs)
         assert.equals(bad, errs[1].obj)
         assert.matches("boom in task", errs[1].err)
         assert.matches("failing_function", errs[1].tb)
         assert.equals("failed", bad:status())
         local ok, err = bad:result()
         assert.is_false(ok)
         assert.matches("boom in task", err)
      end)

      it("reports errors in watch and timer callbacks; the loop goes on", function()
         local errs = quiet(lp)
         local c, s = tcp_pair()
         local fired = 0
         local tm = lp:timer(0, function() error("timer trouble") end)
         local w
         w = lp:watch(s:getfd(), "w", function(h)
            h:cancel()
            error({ code = 42 }) -- not a string: passed on as it is
         end)
         lp:timer(0.01, function() fired = fired + 1 end)
         assert.is_true(lp:run())
         assert.equals(1, fired)
         assert.equals(2, #errs)
         table.sort(errs, function(a, b) return tostring(a.obj) < tostring(b.obj) end)
         assert.equals(tm, errs[1].obj)
         assert.matches("timer trouble", errs[1].err)
         assert.matches("stack traceback", errs[1].tb)
         assert.equals(w, errs[2].obj)
         assert.same({ code = 42 }, errs[2].err)
         c:close()
         s:close()
      end)

      it("forgets an fd in every loop", function()
         local other = loop.new { backend = backend }
         local c, s = tcp_pair()
         local got = {}
         lp:spawn(function() got.a = { lp:wait(s:getfd(), "r") } end)
         other:spawn(function() got.b = { other:wait(s:getfd(), "r") } end)
         lp:step(0)
         other:step(0)
         loop.forget(s:getfd())
         assert.is_true(lp:run())
         assert.is_true(other:run())
         assert.same({ a = { nil, "closed" }, b = { nil, "closed" } }, got)
         assert.equals(0, other:stats().fds)
         other:close()
         c:close()
         s:close()
      end)

      it("prints task errors to stderr by default", function()
         local ok, _, out = helpers.run(helpers.lua .. " -e '"
            .. "package.path=\"lua/?.lua;\"..package.path; package.cpath=\""
            .. (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;\"..package.cpath;"
            .. "local lp = require(\"moontls.loop\").new{backend=\"" .. backend .. "\"};"
            .. "local function deep() error(\"kaboom\") end;"
            .. "lp:spawn(function() deep() end); assert(lp:run()); print(\"after\")' 2>&1")
         assert.is_true(ok, out)
         assert.matches("moontls.loop: error in moontls.Task", out, 1, true)
         assert.matches("kaboom", out)
         assert.matches("stack traceback", out)
         assert.matches("deep", out)
         assert.matches("after", out)
      end)

      it("lets an on_error that raises stop run(); the loop goes on afterwards", function()
         lp.on_error = function(_, err) error("fatal: " .. tostring(err), 0) end
         local later = false
         lp:spawn(function() error("first", 0) end)
         lp:spawn(function() later = true end)
         assert.has_error(function() lp:run() end, "fatal: first")
         lp.on_error = nil
         assert.is_true(lp:run())
         assert.is_true(later)
      end)

      it("joins tasks and detects tasks that wait for each other", function()
         local a = lp:spawn(function(x)
            lp:sleep(0.01)
            return x, x * 2
         end, 21)
         local got
         lp:spawn(function() got = { a:join() } end)
         assert.is_true(lp:run())
         assert.same({ true, 21, 42 }, got)
         local t1, t2
         t1 = lp:spawn(function() lp:sleep(0); t2:join() end)
         t2 = lp:spawn(function() lp:sleep(0); t1:join() end)
         local ok, err = lp:run()
         assert.is_nil(ok)
         assert.equals("moontls.loop: deadlock: 2 task(s) wait and nothing can wake them", err)
      end)

      it("calls watch callbacks while the fd is ready, never inside one another", function()
         local c, s = tcp_pair()
         local errs = quiet(lp)
         local inside, calls, max_inside = 0, 0, 0
         local function enter_cb()
            inside = inside + 1
            if inside > max_inside then max_inside = inside end
         end
         local h
         h = lp:watch(s:getfd(), "r", function(handle, mode)
            enter_cb()
            assert.equals(h, handle)
            assert.equals("r", mode)
            calls = calls + 1
            -- data left unread: level-triggered, the next step calls again
            if calls == 3 then
               assert.equals("xy", s:receive(2))
               handle:cancel()
            end
            -- re-entering the loop from a callback is refused
            local ok, err = pcall(lp.step, lp, 0)
            assert.is_false(ok)
            assert.matches("step called from inside the loop", err)
            inside = inside - 1
         end)
         local wcalls = 0
         local wh = lp:watch(c:getfd(), "w", function(handle, mode)
            enter_cb()
            assert.equals("w", mode)
            wcalls = wcalls + 1
            if wcalls == 1 then c:send("xy") end
            if wcalls == 5 then handle:cancel() end
            inside = inside - 1
         end)
         for i = 1, 20 do
            lp:timer(i / 1000, function()
               enter_cb()
               inside = inside - 1
            end)
         end
         assert.is_true(lp:run())
         assert.same({}, errs)
         assert.equals(1, max_inside)
         assert.equals(3, calls)
         assert.equals(5, wcalls)
         assert.is_false(h:cancel())
         assert.is_false(wh:cancel())
         assert.same({ tasks = 0, watches = 0, timers = 0, fds = 0 }, lp:stats())
         c:close()
         s:close()
      end)

      it("takes turns: yield, a bare coroutine.yield, and tasks spawned meanwhile", function()
         local log = {}
         lp:spawn(function()
            for i = 1, 3 do
               log[#log + 1] = "a" .. i
               lp:yield()
            end
         end)
         lp:spawn(function()
            for i = 1, 3 do
               log[#log + 1] = "b" .. i
               coroutine.yield("ignored")
            end
         end)
         lp:spawn(function()
            log[#log + 1] = "c"
            loop.yield()
            lp:spawn(function() log[#log + 1] = "spawned" end)
            log[#log + 1] = "c again"
         end)
         assert.equals(3, lp:step(0))
         assert.same({ "a1", "b1", "c" }, log)
         assert.equals(3, lp:step(0))
         assert.same({ "a1", "b1", "c", "a2", "b2", "c again" }, log)
         assert.is_true(lp:run())
         assert.same({ "a1", "b1", "c", "a2", "b2", "c again", "a3", "b3", "spawned" }, log)
      end)

      it("returns what step() ran and waits at most its timeout", function()
         lp:spawn(function() end)
         lp:timer(0, function() end)
         assert.equals(2, lp:step(0)) -- the new task and the timer due now
         assert.equals(0, lp:step(0))
         local c, s = tcp_pair()
         lp:watch(s:getfd(), "r", function() end)
         local t0 = loop.now()
         assert.equals(0, lp:step(0.05))
         local dt = loop.now() - t0
         assert.is_true(dt >= 0.045 and dt < 2, tostring(dt))
         c:close()
         s:close()
      end)

      it("stops run() on stop()", function()
         local n = 0
         local c, s = tcp_pair()
         local h = lp:watch(s:getfd(), "w", function()
            n = n + 1
            if n == 3 then lp:stop() end
         end)
         assert.is_true(lp:run())
         assert.equals(3, n)
         h:cancel()
         c:close()
         s:close()
      end)

      it("survives an fd closed while waited on, and its number reused", function()
         local c, s = tcp_pair()
         local fd = s:getfd()
         local log = {}
         lp:spawn(function()
            local first = lp:wait(fd, "r", 5)
            log[#log + 1] = first
            -- the fd is closed and its number comes back for a new socket at once
            s:close()
            c:close()
            local c2, s2 = tcp_pair()
            log[#log + 1] = (c2:getfd() == fd or s2:getfd() == fd) and "reused" or "not reused"
            local mine = c2:getfd() == fd and c2 or s2
            local other = mine == c2 and s2 or c2
            lp:spawn(function()
               lp:sleep(0.02)
               other:send("z")
            end)
            local second = lp:wait(fd, "r", 5)
            log[#log + 1] = second
            log[#log + 1] = mine:receive(1)
            -- forget: a waiter of a fd about to close hears it
            lp:spawn(function()
               lp:sleep(0.01)
               loop.forget(fd)
               mine:close()
               other:close()
            end)
            local third = lp:wait(fd, "r", 5)
            local _, fourth = lp:wait(fd, "r", 5)
            log[#log + 1] = tostring(third) .. "," .. tostring(fourth)
         end)
         lp:spawn(function()
            lp:sleep(0.01)
            c:send("a")
         end)
         local errs = quiet(lp)
         assert.is_true(lp:run())
         assert.same({}, errs)
         -- the second wait of the last line is on a closed fd: refused at registration
         assert.equals(5, #log)
         assert.same({ "r", "reused", "r", "z" }, { log[1], log[2], log[3], log[4] })
         assert.matches("^nil,", log[5])
         assert.matches("Bad file descriptor", log[5])
         assert.same({ tasks = 0, watches = 0, timers = 0, fds = 0 }, lp:stats())
      end)

      if backend == "poll" then
         it("ends a watch on an fd closed under it (POLLNVAL), telling its callback", function()
            local c, s = tcp_pair()
            local got
            lp:watch(s:getfd(), "r", function(_, mode, err)
               got = { mode = mode, err = err }
            end)
            lp:step(0)
            s:close()
            c:close()
            assert.is_true(lp:run())
            assert.same({ err = "file descriptor closed while waited on" }, got)
         end)
      end

      it("ends a watch on an fd forgotten, telling its callback", function()
         local c, s = tcp_pair()
         local got
         lp:watch(s:getfd(), "r", function(_, mode, err)
            got = { mode = mode, err = err }
         end)
         lp:step(0)
         loop.forget(s:getfd())
         s:close()
         c:close()
         assert.is_true(lp:run())
         assert.same({ err = "closed" }, got)
      end)

      it("treats a regular file as always ready", function()
         local path = os.tmpname()
         local keep = assert(io.open(path, "r"))
         -- a Lua file gives no fd number: find it in /proc
         local p = io.popen("ls -l /proc/" .. pid .. "/fd")
         local list = p:read("a")
         p:close()
         local fdnum
         for n, target in list:gmatch("(%d+) %-> ([^\n]+)") do
            if target == path then fdnum = tonumber(n) end
         end
         assert.is_number(fdnum)
         local got
         lp:spawn(function() got = lp:wait(fdnum, "rw", 1) end)
         assert.is_true(lp:run())
         assert.equals("rw", got)
         keep:close()
         os.remove(path)
      end)

      it("raises on misuse with clear messages", function()
         assert.has_error(function() lp:wait(0, "r") end,
            "moontls.loop: wait called outside a task")
         assert.has_error(function() lp:sleep(1) end,
            "moontls.loop: sleep called outside a task")
         assert.has_error(function() loop.sleep(1) end,
            "moontls.loop: sleep called outside a task")
         assert.has_error(function() loop.wait(0, "r") end,
            "moontls.loop: wait called outside a task")
         assert.has_error(function() lp:spawn(42) end,
            "bad argument #1 to 'spawn' (function expected, got number)")
         assert.has_error(function() lp:timer(-1, print) end,
            "bad argument #1 to 'timer' (seconds expected, a number >= 0)")
         assert.has_error(function() lp:timer(1) end,
            "bad argument #2 to 'timer' (function expected, got nil)")
         assert.has_error(function() lp:watch(-1, "r", print) end,
            "bad argument #1 to 'watch' (file descriptor expected, an integer >= 0)")
         assert.has_error(function() lp:watch(0, "x", print) end,
            "bad argument #2 to 'watch' (mode must be \"r\", \"w\" or \"rw\")")
         local other = loop.new { backend = backend }
         local errs = quiet(lp)
         lp:spawn(function() other:sleep(1) end)
         lp:spawn(function() lp:run() end)
         lp:spawn(function() lp:wait(0, "r", 0 / 0) end)
         lp:spawn(function() lp:close() end)
         assert.is_true(lp:run())
         assert.equals(4, #errs)
         assert.matches("moontls.loop: sleep called from a task of another loop", errs[1].err)
         assert.matches("moontls.loop: run called from inside the loop", errs[2].err)
         assert.matches("seconds expected", errs[3].err)
         assert.matches("moontls.loop: close called from inside the loop", errs[4].err)
         other:close()
         other:close()
         assert.has_error(function() other:spawn(print) end,
            "moontls.loop: attempt to use a closed loop")
      end)

      it("refuses a task resumed from outside the loop", function()
         local errs = quiet(lp)
         local t = lp:spawn(function() lp:sleep(10) end)
         lp:step(0)
         local ok, err = coroutine.resume(t.co, "intruder")
         assert.is_false(ok)
         assert.matches("task resumed from outside its loop", err)
         assert.equals("failed", t:status())
         assert.is_true(lp:run())
         assert.same({}, errs)
      end)

      it("closes: tasks cancelled, epoll fd freed; dropped loops are collected", function()
         local before = fd_count()
         for _ = 1, 50 do
            local l = loop.new { backend = backend }
            l:spawn(function() l:sleep(10) end)
            l:step(0)
         end
         assert.equals(before, fd_count())
         local l = loop.new { backend = backend }
         local t = l:spawn(function() l:sleep(10) end)
         l:timer(10, print)
         l:step(0)
         l:close()
         l:close()
         assert.equals("cancelled", t:status())
         assert.equals(before, fd_count())
         -- <close> handlers of cancelled tasks: spawning is refused, an on_error that
         -- raises comes out of close() after everything is freed
         l = loop.new { backend = backend }
         local done = {}
         for i = 1, 3 do
            l:spawn(function()
               local _ <close> = setmetatable({}, { __close = function()
                  done[#done + 1] = i
                  l:spawn(print)
               end })
               l:sleep(10)
            end)
         end
         l:step(0)
         l.on_error = function(_, err) error("on_error: " .. tostring(err), 0) end
         local ok, err = pcall(l.close, l)
         assert.is_false(ok)
         assert.matches("^on_error: .*attempt to use a closed loop", err)
         assert.equals(3, #done)
         assert.equals(before, fd_count())
         assert.equals("moontls.Loop (closed)", tostring(l))
      end)

      it("runs an echo server and 200 clients over plain LuaSocket in one loop", function()
         local errs = quiet(lp)
         local server = assert(socket.bind("127.0.0.1", 0, 256))
         server:settimeout(0)
         local _, port = server:getsockname()
         local served, answered = 0, 0
         local nclients, nlines = 200, 5
         local acceptor = lp:spawn(function()
            while true do
               lp:wait(server:getfd(), "r")
               for conn in function() return server:accept() end do
                  conn:settimeout(0)
                  lp:spawn(function()
                     while true do
                        local line = recv_line(lp, conn)
                        if not line then break end
                        assert(send_all(lp, conn, line .. "\n"))
                     end
                     conn:close()
                     served = served + 1
                  end)
               end
            end
         end)
         for i = 1, nclients do
            lp:spawn(function()
               local c = socket.tcp()
               c:settimeout(0)
               local ok, err = c:connect("127.0.0.1", port)
               if not ok then
                  assert.equals("timeout", err)
                  assert.equals("w", lp:wait(c:getfd(), "w", 10))
               end
               for j = 1, nlines do
                  local msg = ("client %d line %d %s"):format(i, j, ("x"):rep(i * 37 % 500))
                  assert(send_all(lp, c, msg .. "\n"))
                  assert.equals(msg, recv_line(lp, c))
               end
               c:close()
               answered = answered + 1
               if answered == nclients then
                  lp:spawn(function()
                     while served < nclients do lp:sleep(0.005) end
                     acceptor:cancel()
                  end)
               end
            end)
         end
         local t0 = loop.now()
         assert.is_true(lp:run())
         assert.same({}, errs)
         assert.equals(nclients, answered)
         assert.equals(nclients, served)
         print(("# %s: echo of %d clients x %d lines in %.1f ms"):format(backend, nclients,
            nlines, (loop.now() - t0) * 1000))
         server:close()
      end)
   end)
end

describe("moontls.Poller (the loop's C backend)", function()
   local core = require "moontls.core"

   it("checks its arguments", function()
      local p = assert(core.poller_new("poll"))
      assert.has_error(function() p:set(-1, 1) end,
         "bad argument #1 to 'set' (not a file descriptor)")
      assert.has_error(function() p:set(0, 4) end,
         "bad argument #2 to 'set' (mask must be between 0 and 3)")
      assert.has_error(function() p:wait(0 / 0, {}) end,
         "bad argument #1 to 'wait' (timeout is not a number)")
      assert.has_error(function() p:wait(0) end)
      assert.has_error(function() core.poller_new("select") end)
      local n, err, code = p:set(2 ^ 30 | 0, 1)
      assert.is_nil(n)
      assert.equals("Bad file descriptor", err)
      assert.equals("EBADF", code)
      assert.equals(0, p:count())
      p:close()
   end)

   it("reports ready fds into the table it is given", function()
      for _, backend in ipairs { "epoll", "poll" } do
         local p = assert(core.poller_new(backend))
         assert.equals(backend, p:backend())
         local c, s = tcp_pair()
         assert.is_true(p:set(s:getfd(), 3))
         assert.equals(3, p:get(s:getfd()))
         local out = {}
         assert.equals(1, p:wait(1, out))
         assert.same({ s:getfd(), 2 }, out)
         c:send("x")
         assert.equals(1, p:wait(1, out))
         assert.same({ s:getfd(), 3 }, out)
         assert.is_true(p:set(s:getfd(), 0))
         assert.equals(0, p:wait(0, out))
         assert.matches("^moontls.Poller %(" .. backend .. ", 0 fds%)", tostring(p))
         p:close()
         c:close()
         s:close()
      end
   end)
end)
