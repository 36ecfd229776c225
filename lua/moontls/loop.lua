--- moontls.loop: the built-in event loop and coroutine scheduler.
-- A loop runs tasks (coroutines), fd watches and timers on one moontls.Poller (C: epoll,
-- or poll(2) as the fallback). Inside a task, lp:wait(fd, mode, timeout) and lp:sleep(secs)
-- yield to the loop instead of blocking; moontls' File layer waits through lp:wait when it
-- runs inside a task. Callbacks (watches, timers) run from the loop, one at a time.
--
-- IMPLEMENTATION NOTES
-- - One step: apply the fd interest changes (flush), wait in the poller (not at all when
--   something is runnable), wake the waiters of ready fds, expire timers, then run the batch
--   of runnable items queued so far. Items queued while the batch runs wait for the next
--   step, so a task that yields in a loop cannot starve the others.
-- - fds[fd] holds every waiter of fd (task waits and watches); the poller's interest is the
--   union of their modes, level-triggered. A fd whose waiters went and came back between
--   two flushes is re-registered (`refresh`): its number may name a new file by then.
-- - Timers, sleeps and wait timeouts share one binary heap ordered by (due, seq); entries
--   know their heap index, so a wait that ends early leaves nothing behind.
local core = require "moontls.core"

local M = {}

local Loop = {}
Loop.__index = Loop
local Task = {}
Task.__index = Task
local Watch = {}
Watch.__index = Watch
local Timer = {}
Timer.__index = Timer
M.Loop, M.Task, M.Watch, M.Timer = Loop, Task, Watch, Timer

local R, W, BAD = 1, 2, 4
local MODES = { r = R, w = W, rw = R | W, wr = R | W }
local NAMES = { "r", "w", "rw" }
local WAKE = setmetatable({}, { __name = "moontls.loop wake token" })

-- coroutine -> its task; weak keys (an ephemeron: a dropped loop frees its tasks)
local task_of = setmetatable({}, { __mode = "k" })
-- every open loop, for loop.forget
local loops = setmetatable({}, { __mode = "k" })
local default_loop

local now = core.monotime
M.now = now

local function prefix(msg)
   return "moontls.loop: " .. msg
end

---------------------------------------------------------------------------------------------
-- binary heap on (due, seq); entry.hi is its index. The comparison is written out in the
-- two loops (a function call per level costs more than the rest).
local function heap_up(h, i)
   local e = h[i]
   local due, seq = e.due, e.seq
   while i > 1 do
      local p = i // 2
      local pe = h[p]
      local pd = pe.due
      if pd < due or (pd == due and pe.seq < seq) then break end
      h[i] = pe
      pe.hi = i
      i = p
   end
   h[i] = e
   e.hi = i
end

local function heap_down(h, i)
   local n = #h
   local e = h[i]
   local due, seq = e.due, e.seq
   while true do
      local c = 2 * i
      if c > n then break end
      local ce = h[c]
      if c < n then
         local o = h[c + 1]
         if o.due < ce.due or (o.due == ce.due and o.seq < ce.seq) then
            c = c + 1
            ce = o
         end
      end
      local cd = ce.due
      if cd > due or (cd == due and ce.seq > seq) then break end
      h[i] = ce
      ce.hi = i
      i = c
   end
   h[i] = e
   e.hi = i
end

local function heap_push(self, e, secs)
   self.seq = self.seq + 1
   e.due, e.seq = now() + secs, self.seq
   local h = self.heap
   h[#h + 1] = e
   heap_up(h, #h)
end

local function heap_remove(self, e)
   local i = e.hi
   if not i then return end
   e.hi = nil
   local h = self.heap
   local n = #h
   local last = h[n]
   h[n] = nil
   if i < n then
      h[i] = last
      last.hi = i
      heap_up(h, i)
      heap_down(h, last.hi)
   end
end

---------------------------------------------------------------------------------------------
-- argument checks

local function check_open(self)
   if getmetatable(self) ~= Loop then error(prefix("not a loop"), 3) end
   if self.closed then error(prefix("attempt to use a closed loop"), 3) end
end

local function check_secs(v, n, what, optional)
   if v == nil and optional then return nil end
   if math.type(v) == nil or v ~= v or v < 0 then
      error(("bad argument #%d to '%s' (seconds expected, a number >= 0)"):format(n, what), 3)
   end
   return v
end

-- LuaSocket's getfd() gives a float: any integral number >= 0 is taken.
local function check_fd(fd, what)
   local i = math.type(fd) and math.tointeger(fd)
   if not i or i < 0 then
      error(("bad argument #1 to '%s' (file descriptor expected, an integer >= 0)")
         :format(what), 3)
   end
   return i
end

local function check_mode(mode, what)
   local m = MODES[mode]
   if not m then
      error(("bad argument #2 to '%s' (mode must be \"r\", \"w\" or \"rw\")"):format(what), 3)
   end
   return m
end

local function callable(f)
   if type(f) == "function" then return true end
   local mt = getmetatable(f)
   return type(mt) == "table" and mt.__call ~= nil
end

-- The task running the current coroutine, which must belong to self.
local function running_task(self, what)
   local t = task_of[coroutine.running()]
   if not t then error(prefix(what .. " called outside a task"), 3) end
   if t.loop ~= self then error(prefix(what .. " called from a task of another loop"), 3) end
   return t
end

---------------------------------------------------------------------------------------------
-- fd waiters: task waits ({task=, fd=, mask=}) and watches

local function add_waiter(self, fd, w)
   local rec = self.fds[fd]
   if not rec then
      rec = { nr = 0, nw = 0, waiters = {} }
      self.fds[fd] = rec
   end
   rec.waiters[w] = true
   if w.mask & R ~= 0 then rec.nr = rec.nr + 1 end
   if w.mask & W ~= 0 then rec.nw = rec.nw + 1 end
   if rec.removed then rec.refresh = true end
   self.dirty[fd] = true
end

local function remove_waiter(self, w)
   local rec = self.fds[w.fd]
   if not rec or not rec.waiters[w] then return end
   rec.waiters[w] = nil
   if w.mask & R ~= 0 then rec.nr = rec.nr - 1 end
   if w.mask & W ~= 0 then rec.nw = rec.nw - 1 end
   rec.removed = true
   self.dirty[w.fd] = true
end

local function push(self, item)
   local q = self.runq
   q[#q + 1] = item
end

-- Makes a waiting task runnable; it resumes with v, e at the next batch.
local function wake(self, t, v, e)
   t.waiting = nil
   t.wv, t.we = v, e
   t.state = "ready"
   push(self, t)
end

-- Undoes whatever the task waits on (an fd, a timer, another task).
local function detach(self, t)
   local w = t.waiting
   if not w then return end
   t.waiting = nil
   if w.fd then remove_waiter(self, w) end
   heap_remove(self, w)
   if w.target then w.target.joiners[t] = nil end
end

-- fd is not usable any more (closed, refused): every waiter hears it once.
local function fail_fd(self, fd, rec, err)
   self.fds[fd] = nil
   self.dirty[fd] = nil
   for w in pairs(rec.waiters) do
      if getmetatable(w) == Watch then
         if w.active then
            w.active = false
            self.nwatches = self.nwatches - 1
            w.err = err
            push(self, w)
         end
      else
         heap_remove(self, w)
         wake(self, w.task, nil, err)
      end
   end
end

-- Applies the interest changes since the last flush to the poller.
local function flush(self)
   local dirty, fds, poller = self.dirty, self.fds, self.poller
   local failed
   for fd in pairs(dirty) do
      dirty[fd] = nil
      local rec = fds[fd]
      if rec then
         local mask = (rec.nr > 0 and R or 0) | (rec.nw > 0 and W or 0)
         local ok, err = poller:set(fd, mask, rec.refresh)
         rec.refresh, rec.removed = nil, nil
         if mask == 0 then
            fds[fd] = nil
         elseif not ok then
            failed = failed or {}
            failed[fd] = err
         end
      end
   end
   if failed then
      for fd, err in pairs(failed) do
         local rec = fds[fd]
         if rec then fail_fd(self, fd, rec, err) end
      end
   end
end

-- Wakes the waiters of fd for the ready mask m (BAD: the fd was closed under the loop).
local function fd_ready(self, fd, m)
   local rec = self.fds[fd]
   if not rec then return end
   if m & BAD ~= 0 then
      self.poller:set(fd, 0)
      fail_fd(self, fd, rec, "file descriptor closed while waited on")
      return
   end
   for w in pairs(rec.waiters) do
      local got = w.mask & m
      if got ~= 0 then
         if getmetatable(w) == Watch then
            if not w.pending then
               w.pending = NAMES[got]
               push(self, w)
            end
         else
            remove_waiter(self, w)
            heap_remove(self, w)
            wake(self, w.task, NAMES[got])
         end
      end
   end
end

---------------------------------------------------------------------------------------------
-- running items

local function default_on_error(obj, _, traceback)
   io.stderr:write(prefix("error in " .. tostring(obj) .. ": " .. tostring(traceback) .. "\n"))
end

local function report(self, obj, err, tb)
   local h = self.on_error or default_on_error
   h(obj, err, tb)
end

-- A task reached its end (done, failed or cancelled): joiners wake, counts drop.
local function finish(self, t, state)
   t.state = state
   self.tasks[t] = nil
   self.ntasks = self.ntasks - 1
   task_of[t.co] = nil
   for j in pairs(t.joiners) do
      t.joiners[j] = nil
      wake(self, j)
   end
end

local function close_task(self, t)
   local ok, err = coroutine.close(t.co)
   if not ok then
      t.error = err
      report(self, t, err, prefix("error while closing a cancelled task: " .. tostring(err)))
   end
end

local function after_resume(self, t, ok, ...)
   local co = t.co
   if coroutine.status(co) == "dead" then
      if ok then
         t.results = table.pack(...)
         finish(self, t, "done")
      else
         local err = ...
         t.error = err
         local tb = debug.traceback(co, tostring(err))
         coroutine.close(co)
         finish(self, t, "failed")
         report(self, t, err, tb)
      end
   elseif t.cancel_requested then
      detach(self, t)
      finish(self, t, "cancelled")
      close_task(self, t)
   elseif t.state == "running" then
      -- a plain coroutine.yield() in the task: run it again next step
      t.state = "ready"
      t.wv, t.we = nil, nil
      push(self, t)
   end
end

local function resume(self, t)
   t.state = "running"
   if t.args then
      local args = t.args
      t.args = nil
      return after_resume(self, t, coroutine.resume(t.co, table.unpack(args, 1, args.n)))
   end
   local v, e = t.wv, t.we
   t.wv, t.we = nil, nil
   return after_resume(self, t, coroutine.resume(t.co, WAKE, v, e))
end

local last_tb
local function keep_traceback(e)
   last_tb = debug.traceback(tostring(e), 2)
   return e
end

local function call(self, h, ...)
   local ok, err = xpcall(h.cb, keep_traceback, h, ...)
   if not ok then report(self, h, err, last_tb) end
end

-- Runs one queued item; returns 1 if it ran something.
local function dispatch(self, item)
   local mt = getmetatable(item)
   if mt == Task then
      if item.state ~= "ready" then return 0 end
      resume(self, item)
      return 1
   elseif mt == Watch then
      local mode, err = item.pending, item.err
      item.pending, item.err = nil, nil
      if err then
         call(self, item, nil, err)
         return 1
      end
      if not item.active or not mode then return 0 end
      call(self, item, mode)
      return 1
   else -- Timer
      if not item.active then return 0 end
      item.active = false
      self.ntimers = self.ntimers - 1
      call(self, item)
      return 1
   end
end

-- Runs the runnable items queued before it started. If an error escapes (from on_error),
-- the rest of the batch runs on the next call.
local function run_batch(self)
   local q = self.batch
   if not q then
      q = self.runq
      if #q == 0 then return 0 end
      self.runq = self.spare or {}
      self.spare = nil
      self.batch, self.bi = q, 1
   end
   local ran = 0
   local n = #q
   while self.bi <= n do
      local i = self.bi
      local item = q[i]
      q[i] = false
      self.bi = i + 1
      if item then ran = ran + dispatch(self, item) end
   end
   for i = n, 1, -1 do q[i] = nil end
   self.batch, self.spare = nil, q
   return ran
end

local function expire(self)
   local h = self.heap
   local t = now()
   while h[1] and h[1].due <= t do
      local e = h[1]
      heap_remove(self, e)
      local mt = getmetatable(e)
      if mt == Timer then
         push(self, e)
      elseif e.fd then -- a wait that timed out
         remove_waiter(self, e)
         wake(self, e.task, false)
      else -- a sleep
         wake(self, e.task)
      end
   end
end

local function step(self, timeout)
   flush(self)
   local wait_for = timeout
   if #self.runq > 0 or self.batch then
      wait_for = 0
   else
      local top = self.heap[1]
      if top then
         local d = top.due - now()
         if d < 0 then d = 0 end
         if wait_for == nil or d < wait_for then wait_for = d end
      end
      -- nothing registered: no event can come, so do not block forever
      if wait_for == nil and self.poller:count() == 0 then wait_for = 0 end
   end
   local out = self.out
   local n, err = self.poller:wait(wait_for, out)
   if not n then return nil, prefix(err) end
   for i = 1, n do
      fd_ready(self, out[2 * i - 1], out[2 * i])
   end
   expire(self)
   return run_batch(self)
end

---------------------------------------------------------------------------------------------
-- the loop

--- loop.new([opts]) -> a new loop, or nil, message. opts.backend: "epoll", "poll" or "auto"
-- (default: $MOONTLS_LOOP_BACKEND, else "auto" = epoll where the kernel has it).
function M.new(opts)
   if opts ~= nil and type(opts) ~= "table" then
      error("bad argument #1 to 'new' (table expected, got " .. type(opts) .. ")", 2)
   end
   local backend = opts and opts.backend or os.getenv("MOONTLS_LOOP_BACKEND") or "auto"
   if backend ~= "auto" and backend ~= "epoll" and backend ~= "poll" then
      error("bad argument #1 to 'new' (backend must be \"auto\", \"epoll\" or \"poll\")", 2)
   end
   local poller, err = core.poller_new(backend)
   if not poller then return nil, prefix(err) end
   local self = setmetatable({
      poller = poller, out = {}, fds = {}, dirty = {}, heap = {}, seq = 0,
      runq = {}, tasks = {}, ntasks = 0, nwatches = 0, ntimers = 0,
   }, Loop)
   loops[self] = true
   return self
end

--- The process-wide loop, created on first use.
function M.default()
   if not default_loop or default_loop.closed then
      default_loop = assert(M.new())
   end
   return default_loop
end

--- The loop whose task runs the current coroutine, or nil outside any task.
function M.current()
   local t = task_of[coroutine.running()]
   return t and t.loop
end

--- The task running the current coroutine, or nil.
function M.task()
   return task_of[coroutine.running()]
end

local function current_or_raise(what)
   local lp = M.current()
   if not lp then error(prefix(what .. " called outside a task"), 3) end
   return lp
end

--- loop.sleep(secs), loop.wait(fd, mode, timeout), loop.yield(): the same on the current loop.
function M.sleep(secs)
   return current_or_raise("sleep"):sleep(secs)
end

function M.wait(fd, mode, timeout)
   return current_or_raise("wait"):wait(fd, mode, timeout)
end

function M.yield()
   return current_or_raise("yield"):yield()
end

--- Tells every loop that fd is about to be closed: its waiting tasks resume with
-- nil, "closed", its watches end (their callback gets nil, "closed"). Call it before
-- closing a socket a loop may be watching.
function M.forget(fd)
   fd = check_fd(fd, "forget")
   for lp in pairs(loops) do
      if not lp.closed then lp:forget(fd) end
   end
end

function Loop:forget(fd)
   check_open(self)
   fd = check_fd(fd, "forget")
   local rec = self.fds[fd]
   if rec then
      self.poller:set(fd, 0)
      fail_fd(self, fd, rec, "closed")
   end
end

function Loop:backend()
   check_open(self)
   return self.poller:backend()
end

--- lp:spawn(fn, ...) -> task: fn(...) runs in a new coroutine from the next step.
function Loop:spawn(fn, ...)
   check_open(self)
   if not callable(fn) then
      error("bad argument #1 to 'spawn' (function expected, got " .. type(fn) .. ")", 2)
   end
   if type(fn) ~= "function" then
      local f = fn
      fn = function(...) return f(...) end
   end
   local co = coroutine.create(fn)
   local t = setmetatable({ loop = self, co = co, args = table.pack(...), state = "ready",
      joiners = {} }, Task)
   task_of[co] = t
   self.tasks[t] = true
   self.ntasks = self.ntasks + 1
   push(self, t)
   return t
end

-- Suspends the running task t until the loop wakes it; returns what it was woken with.
local function suspend(t)
   local token, v, e = coroutine.yield()
   if token ~= WAKE then
      -- resumed by someone else than the loop: the task ends here, failed
      local lp = t.loop
      local msg = prefix("task resumed from outside its loop")
      detach(lp, t)
      t.error = msg
      finish(lp, t, "failed")
      error(msg, 3)
   end
   return v, e
end

--- Inside a task: waits until fd is ready for mode ("r", "w", "rw") or timeout seconds
-- (nil = no limit) pass. Returns the ready mode ("r", "w" or "rw"), false on timeout, or
-- nil, message when the fd is closed or refused by the poller.
function Loop:wait(fd, mode, timeout)
   check_open(self)
   local t = running_task(self, "wait")
   fd = check_fd(fd, "wait")
   local m = check_mode(mode, "wait")
   timeout = check_secs(timeout, 3, "wait", true)
   local w = { task = t, fd = fd, mask = m }
   add_waiter(self, fd, w)
   if timeout then heap_push(self, w, timeout) end
   t.waiting = w
   t.state = "waiting"
   return suspend(t)
end

--- Inside a task: lets secs seconds pass while the other tasks run.
function Loop:sleep(secs)
   check_open(self)
   local t = running_task(self, "sleep")
   secs = check_secs(secs, 1, "sleep")
   local e = { task = t }
   heap_push(self, e, secs)
   t.waiting = e
   t.state = "waiting"
   suspend(t)
end

--- Inside a task: lets every other runnable task run once, then goes on.
function Loop:yield()
   check_open(self)
   local t = running_task(self, "yield")
   wake(self, t)
   suspend(t)
end

--- lp:watch(fd, mode, cb) -> watch: cb(watch, ready_mode) runs from the loop each step fd
-- is ready, until watch:cancel(). If the fd turns out closed, the watch ends and
-- cb(watch, nil, message) runs once.
function Loop:watch(fd, mode, cb)
   check_open(self)
   fd = check_fd(fd, "watch")
   local m = check_mode(mode, "watch")
   if not callable(cb) then
      error("bad argument #3 to 'watch' (function expected, got " .. type(cb) .. ")", 2)
   end
   local h = setmetatable({ loop = self, fd = fd, mask = m, mode = NAMES[m], cb = cb,
      active = true }, Watch)
   add_waiter(self, fd, h)
   self.nwatches = self.nwatches + 1
   return h
end

--- lp:timer(secs, cb) -> timer: cb(timer) runs once from the loop after secs seconds.
function Loop:timer(secs, cb)
   check_open(self)
   secs = check_secs(secs, 1, "timer")
   if not callable(cb) then
      error("bad argument #2 to 'timer' (function expected, got " .. type(cb) .. ")", 2)
   end
   local h = setmetatable({ loop = self, cb = cb, active = true }, Timer)
   heap_push(self, h, secs)
   self.ntimers = self.ntimers + 1
   return h
end

local function enter(self, what)
   check_open(self)
   if self.in_step then
      error(prefix(what .. " called from inside the loop (a task or a callback)"), 3)
   end
end

--- One round: waits at most timeout seconds (nil: until something happens; not at all
-- when nothing can happen) and runs what is ready. Returns how many tasks and callbacks ran,
-- or nil, message if the poller failed.
function Loop:step(timeout)
   enter(self, "step")
   timeout = check_secs(timeout, 1, "step", true)
   self.in_step = true
   local ok, n, err = pcall(step, self, timeout)
   self.in_step = false
   if not ok then error(n, 0) end
   return n, err
end

--- Steps until no task, watch or timer is left, or lp:stop(). Returns true; nil, message
-- if the poller failed or if tasks are left that nothing can wake (they all wait for each
-- other).
function Loop:run()
   enter(self, "run")
   self.stopped = false
   while not self.stopped and (self.ntasks + self.nwatches + self.ntimers > 0
      or #self.runq > 0 or self.batch) do
      if #self.runq == 0 and not self.batch and #self.heap == 0 and next(self.dirty) == nil
         and self.poller:count() == 0 then
         return nil, prefix(("deadlock: %d task(s) wait and nothing can wake them")
            :format(self.ntasks))
      end
      local n, err = self:step()
      if not n then return nil, err end
   end
   flush(self) -- nothing stays registered for waits that ended
   return true
end

--- Makes run() return after the current step.
function Loop:stop()
   self.stopped = true
end

--- What the loop holds: {tasks =, watches =, timers =, fds =} (fds: registered with the
-- poller).
function Loop:stats()
   check_open(self)
   if not self.in_step then flush(self) end
   return { tasks = self.ntasks, watches = self.nwatches, timers = self.ntimers,
      fds = self.poller:count() }
end

--- Cancels every task, watch and timer and frees the poller (its epoll fd). Idempotent.
function Loop:close()
   if self.closed then return end
   if self.in_step then error(prefix("close called from inside the loop"), 2) end
   -- closed from here on: what the <close> handlers of cancelled tasks try to add is refused
   self.closed = true
   loops[self] = nil
   local tasks, first_err = {}, nil
   for t in pairs(self.tasks) do tasks[#tasks + 1] = t end
   for _, t in ipairs(tasks) do
      -- an on_error that raises must not leave the other tasks or the epoll fd behind
      local ok, err = pcall(t.cancel, t)
      if not ok and first_err == nil then first_err = err end
   end
   local handles = {}
   for _, rec in pairs(self.fds) do
      for w in pairs(rec.waiters) do handles[#handles + 1] = w end
   end
   for _, e in ipairs(self.heap) do handles[#handles + 1] = e end
   for _, h in ipairs(handles) do
      if getmetatable(h) == Watch or getmetatable(h) == Timer then h:cancel() end
   end
   self.poller:close()
   if first_err ~= nil then error(first_err, 0) end
end

-- No __gc: a dropped loop's poller frees its epoll fd by itself, and finalizers should not
-- run task code (to-be-closed variables) at collection time.
Loop.__close = Loop.close

function Loop:__tostring()
   if self.closed then return "moontls.Loop (closed)" end
   return ("moontls.Loop (%s, %d tasks)"):format(self.poller:backend(), self.ntasks)
end

---------------------------------------------------------------------------------------------
-- tasks

--- "ready", "running", "waiting", "done", "failed" or "cancelled".
function Task:status()
   return self.state
end

--- True once the task has ended (done, failed or cancelled).
function Task:done()
   local s = self.state
   return s == "done" or s == "failed" or s == "cancelled"
end

--- true, results... when done; false, error when failed; nil, "cancelled"; nil, "running"
-- while it has not ended.
function Task:result()
   local s = self.state
   if s == "done" then return true, table.unpack(self.results, 1, self.results.n) end
   if s == "failed" then return false, self.error end
   if s == "cancelled" then return nil, "cancelled" end
   return nil, "running"
end

--- Inside another task of the same loop: waits until this task ends, then returns
-- task:result().
function Task:join()
   local lp = self.loop
   local t = running_task(lp, "join")
   if t == self then error(prefix("a task cannot join itself"), 2) end
   if not self:done() then
      self.joiners[t] = true
      t.waiting = { target = self }
      t.state = "waiting"
      suspend(t)
   end
   return self:result()
end

--- Ends the task: its coroutine is closed (pending to-be-closed variables run) and it never
-- resumes. A task may cancel itself (cancel() then does not return). Returns true, or false
-- if it had already ended.
function Task:cancel()
   if self:done() then return false end
   local lp = self.loop
   if self.state == "running" then
      if coroutine.running() ~= self.co then
         error(prefix("cannot cancel a task from a coroutine it is running"), 2)
      end
      self.cancel_requested = true
      coroutine.yield()
      error(prefix("cancelled task resumed")) -- not reached: the loop closes it
   end
   detach(lp, self)
   finish(lp, self, "cancelled")
   close_task(lp, self)
   return true
end

function Task:__tostring()
   return ("moontls.Task (%s): %s"):format(self.state, tostring(self.co):match("0x%x+") or "")
end

---------------------------------------------------------------------------------------------
-- watches and timers

--- Stops the watch. Returns true, or false if it had already stopped.
function Watch:cancel()
   if not self.active then return false end
   self.active = false
   self.pending = nil
   self.loop.nwatches = self.loop.nwatches - 1
   remove_waiter(self.loop, self)
   return true
end

function Watch:__tostring()
   return ("moontls.Watch (fd %d, %s%s)"):format(self.fd, self.mode,
      self.active and "" or ", cancelled")
end

--- Stops the timer before it fires. Returns true, or false if it had fired or stopped.
function Timer:cancel()
   if not self.active then return false end
   self.active = false
   self.loop.ntimers = self.loop.ntimers - 1
   heap_remove(self.loop, self)
   return true
end

function Timer:__tostring()
   return "moontls.Timer" .. (self.active and "" or " (done)")
end

return M
