--- moontls.File (Pike's SSL.File): a TLS connection over a transport, with buffered reads,
-- usable blocking, nonblocking, nonblocking with callbacks, or from a coroutine under a
-- scheduler (moontls.loop, cqueues, copas), where a blocking-style call yields.
--
-- The C object (core.file_new) never blocks: it takes and gives record bytes and plaintext
-- and sometimes pauses for a decision. Everything here is one pump (BearSSL's run_until):
-- answer a decision, move plaintext out of the engine into the read queue, records from the
-- engine to the transport, records from the transport into the engine, until the caller's
-- goal is reached; then wait (blocking mode: on the fd, through moontls.transport.wait) or
-- report what it waits for (nil, "wantread" | "wantwrite").
--
-- Modes: "block" (default; calls wait up to the File's timeout), "nb" (set_nonblocking()
-- without callbacks; calls never wait), "cb" (set_nonblocking(read_cb, write_cb, close_cb):
-- callbacks run from the moontls.loop the File is registered with). A File without a
-- transport (wrap(nil, ctx)) is sans-IO: feed() bytes in, take pending() bytes out.
local core = require "moontls.core"
local socket = require "socket"
local x509 = require "moontls.x509"
local transport = require "moontls.transport"
local decider = require "moontls.decide"

local M = {}

local File = {}
File.__index = File
M.File = File

local CHUNK = 16384
local READ_LIMIT = 256 * 1024 -- plaintext read ahead of the application, at most
local WRITE_LIMIT = 256 * 1024 -- plaintext queued by nonblocking sends, at most
local LINGER = 1 -- seconds close() waits for the peer's close_notify
local gettime = socket.gettime
local wait = transport.wait

-- The read and write queues: lists of plaintext chunks with the offset consumed in the
-- first, so large reads cost one concatenation instead of one per chunk. `scanned` counts
-- the bytes already searched for an end of line.
local function q_push(q, s)
   q.tail = q.tail + 1
   q[q.tail] = s
   q.size = q.size + #s
end

-- Takes the first n bytes (n <= size) as one string.
local function q_take(q, n)
   local parts = {}
   while n > 0 do
      local c = q[q.head]
      local avail = #c - q.off
      if avail <= n then
         parts[#parts + 1] = q.off == 0 and c or c:sub(q.off + 1)
         q[q.head] = nil
         q.head, q.off = q.head + 1, 0
         n, q.size = n - avail, q.size - avail
      else
         parts[#parts + 1] = c:sub(q.off + 1, q.off + n)
         q.off, q.size, n = q.off + n, q.size - n, 0
      end
   end
   q.scanned = 0
   if q.head > q.tail then q.head, q.tail = 1, 0 end
   return #parts == 1 and parts[1] or table.concat(parts)
end

-- The count of bytes up to and including the first "\n", or nil.
local function q_line(q)
   local base = 0
   for i = q.head, q.tail do
      local c = q[i]
      local start = i == q.head and q.off or 0
      local len = #c - start
      if base + len > q.scanned then
         local p = c:find("\n", start + 1 + math.max(0, q.scanned - base), true)
         if p then return base + p - start end
      end
      base = base + len
   end
   q.scanned = base
   return nil
end

local function new_q()
   return { head = 1, tail = 0, off = 0, size = 0, scanned = 0 }
end

-- A File keeps its queues only while they hold data (an idle connection has neither):
-- self.rq and self.wq are nil when empty.
local function qsize(q)
   return q and q.size or 0
end

-- Takes n bytes (n <= size) from the File's queue `key`, dropping the queue once empty.
local function take(self, key, n)
   local q = self[key]
   if not q then return "" end
   local s = q_take(q, n)
   if q.size == 0 then self[key] = nil end
   return s
end

-- Appends s to the File's queue `key`, making the queue if needed; returns the queue.
local function push(self, key, s)
   local q = self[key]
   if not q then
      q = new_q()
      self[key] = q
   end
   q_push(q, s)
   return q
end

-- Defaults that a File overrides only when its options say otherwise: an idle File holds
-- little more than its engine, its transport and its Context.
File.mode = "block"
File.need = 0 -- plaintext the current receive waits for (drain reads ahead at least as much)
File.read_limit = READ_LIMIT
File.write_limit = WRITE_LIMIT
File.linger = LINGER

--- Wraps a transport: a LuaSocket tcp (kept nonblocking; the File applies its own timeout),
-- any object with LuaSocket-style send/receive whose calls wait by themselves (a cosocket),
-- or nil for a sans-IO File (feed/pending). opts: server_name (client: SNI and the name to
-- verify), timeout (seconds per call, nil = none), session (client: resume it),
-- pending_data (bytes already read from the transport: STARTTLS), read_limit (plaintext
-- read ahead, default 256 KiB), write_limit (plaintext queued by nonblocking sends, default
-- 256 KiB), linger (close(): seconds to wait for the peer's
-- close_notify, default 1), copas (the copas module: drive a LuaSocket tcp through copas),
-- cooperative (true: treat sock as a cosocket even if it has getfd), loop (the moontls.loop
-- for callbacks; default the current or default loop), wait (function(fd, mode, secs) ->
-- truthy when ready, false on timeout: how a blocking-style call waits, in place of the
-- built-in choice of moontls.loop, cqueues or socket.select), port (client session cache:
-- the key is server_name:port; default the socket's peer port), early_data (client, TLS 1.3:
-- bytes sent as 0-RTT data with the session resumed when it allows, within its limit and the
-- context's early_data; what the server refuses, or what did not fit, goes out as ordinary
-- data right after the handshake: either way the server gets it once, in order, before
-- anything sent later; info().early_data says "accepted" or "rejected").
function M.wrap(sock, ctx, opts)
   opts = opts or {}
   if type(ctx) ~= "table" or not ctx.core then error("bad argument #2 (context expected)", 2) end
   local tr = sock ~= nil and transport.of(sock, opts) or nil
   local conn, err, code = core.file_new(ctx.core, ctx.mode == "client" and opts.server_name
      or nil)
   if not conn then return nil, err, code end
   local session, cache_key = opts.session, nil
   local cache = ctx.mode == "client" and rawget(ctx, "client_sessions")
   if cache and opts.server_name then
      -- the client session cache: keyed by name and port (moontls.client_cache)
      local port = opts.port
      if not port and sock and sock.getpeername then port = select(2, sock:getpeername()) end
      if port then cache_key = opts.server_name .. ":" .. tostring(port) end
      if cache_key and not session then session = cache:get(cache_key) end
   end
   if session and ctx.mode == "client" then
      local ok, rerr, rcode = conn:resume(session)
      if not ok then
         conn:close()
         return nil, rerr, rcode
      end
   end
   local early = opts.early_data
   if early ~= nil and type(early) ~= "string" then
      conn:close()
      error("early_data must be a string", 2)
   end
   local early_sent = 0
   if early and #early > 0 and ctx.mode == "client" and session then
      early_sent = conn:write_early(early) or 0
   end
   -- only the fields this File sets (nil ones and defaults would still size its table)
   local self = setmetatable({ tr = tr, conn = conn, ctx = ctx }, File)
   if ctx.mode == "client" then
      self.server_name, self.offered = opts.server_name, session
      self.cache_key = cache_key
   end
   self.tmo = opts.timeout
   if opts.read_limit then self.read_limit = opts.read_limit end
   if opts.write_limit then self.write_limit = opts.write_limit end
   if opts.linger then self.linger = opts.linger end
   if opts.loop then self.loop = opts.loop end
   if opts.wait then self.waiter = opts.wait end
   if early and #early > 0 and ctx.mode == "client" then
      self.early_out, self.early_sent = early, early_sent
   end
   local pending = opts.pending_data
   if pending and #pending > 0 then
      if tr and tr.skip then tr:skip(pending) end
      self.held = pending
   end
   return self
end

-- Plaintext out of the engine into the read queue, up to the read limit (or what the
-- current receive needs), so the engine takes records again.
local function drain(self)
   local limit = math.max(self.read_limit, self.need)
   local conn = self.conn
   while qsize(self.rq) < limit do
      local s, early = conn:read(CHUNK)
      if not s then return end
      if early then
         -- 0-RTT data (server): kept apart for early_data(); bounded by the context's
         -- early_data, which the engine enforces
         local e = self.early_in or {}
         e[#e + 1] = s
         self.early_in = e
      elseif #s > 0 then
         push(self, "rq", s)
      end
   end
end

-- Client, once connected: the early data the server did not take (or that did not fit in
-- the 0-RTT allowance) goes first in the write queue.
local function early_resend(self)
   local data, sent = self.early_out, self.early_sent
   self.early_out = nil
   if self.conn:info().early_data ~= "accepted" then sent = 0 end
   if sent < #data then push(self, "wq", data:sub(sent + 1)) end
end

-- Queued plaintext (nonblocking sends) into the engine, as much as it takes.
local function wq_flush(self)
   local conn = self.conn
   while self.wq do
      local q = self.wq
      local c = q[q.head]
      local n = conn:write(q.off == 0 and c or c:sub(q.off + 1))
      if not n or n == 0 then return end -- full, or failed: the pump reports the failure
      take(self, "wq", n)
   end
end

-- Gives the engine bytes, holding back what it refuses (it stops while plaintext waits to
-- be read or while it waits for a decision). Returns true, or nil, err, code.
local function feed(self, data)
   local held = self.held
   if held then
      data = #data > 0 and held .. data or held
      self.held = nil
   end
   local used, err, code = self.conn:feed(data)
   if not used then return nil, err, code end
   if used < #data then self.held = used == 0 and data or data:sub(used + 1) end
   return true
end

-- Sends pending records without waiting. Returns true when none are left, false when the
-- transport takes no more now, or nil, err.
local function push_out(self)
   local conn, tr = self.conn, self.tr
   if not tr then return not conn:dirty() end
   while true do
      local out = conn:pending()
      if #out == 0 then return true end
      local n, err = tr:send(out)
      if not n then
         self.terr = err
         return nil, err
      end
      if n > 0 then conn:sent(n) end
      if n < #out then return false end
   end
end

--- The engine's decisions and who answers them: decision name -> function(file) returning
-- true, or nil, message, code after answering the engine with a refusal. The engine may ask
-- at any point (a renegotiation too), so the common pump calls decide(). An answer may
-- yield (it runs in the caller's coroutine). The answers use the Context's hooks
-- (moontls.decide).
M.deciders = { verify = decider.verify, select = decider.select, session = decider.session,
   ticket = decider.ticket, new_ticket = decider.new_ticket }

local function decide(self)
   local kind = self.conn:decision()
   local fn = kind and M.deciders[kind]
   if not fn then
      self.conn:decide(false, "internal_error")
      return nil, "no answer for the engine's decision " .. tostring(kind)
   end
   return fn(self)
end

local function engine_error(self)
   local emsg, ecode = self.conn:error()
   if self.verify_error then return self.verify_error, ecode end
   return emsg, ecode
end

-- The client session cache: the connection's session (a TLS 1.3 one once its ticket came);
-- a handshake that failed forgets the session it offered.
local function remember(self)
   if self.connected then
      local s = self:getsession()
      if s then self.ctx.client_sessions:put(self.cache_key, s) end
   elseif self.offered then
      self.ctx.client_sessions:remove(self.cache_key)
   end
end

-- The pump. goal(self, st, flushed) returns true when the call is done, "again" when it
-- moved something (loop without waiting), false to go on, or nil, err, code. Returns true,
-- or nil, err, code where err is "wantread"/"wantwrite" (nonblocking and sans-IO modes),
-- "timeout", "closed", or a failure.
local function run(self, goal, due)
   local conn, tr = self.conn, self.tr
   local blocking = self.mode == "block" and tr
   local stt = {} -- conn:status() refills it when the state word changed
   while true do
      if self.released then return nil, "closed" end
      local st = conn:status(stt)
      -- one answer may lead straight to the next decision (select, then session)
      while st.decision and not st.closed do
         local ok, err, code = decide(self)
         if not ok and not conn:status().closed then return nil, err, code end
         st = conn:status()
      end
      if st.connected and not self.connected then
         self.connected = true
         if self.early_out then early_resend(self) end
         if self.ctx.keylog then self.ctx:log_key(conn:keylog()) end
         decider.record(self)
         if self.cache_key then remember(self) end
      end
      -- a renegotiation (either side's) has new keys once it ends
      if st.handshaking then
         self.renegotiating = true
      elseif self.renegotiating and st.connected then
         self.renegotiating = false
         -- (a TLS 1.3 post-handshake authentication changes no keys)
         if self.ctx.keylog and conn:info().version ~= "TLSv1.3" then
            self.ctx:log_key(conn:keylog())
         end
      end
      if st.readable then
         drain(self)
         st = conn:status(stt)
      end
      if self.wq and st.writable then
         wq_flush(self)
         st = conn:status(stt)
      end
      local flushed, serr = push_out(self)
      if flushed == nil then return nil, serr end
      local done, gerr, gcode = goal(self, st, flushed)
      if done == true then return true end
      if done == nil then return nil, gerr, gcode end
      if done ~= "again" then
         if st.closed then
            -- failed (or both sides closed): the alert it queued goes out first, if the
            -- transport takes it within the linger time
            if flushed == false and blocking and not tr.cooperative
               and wait(tr, "w", math.min(due or math.huge, gettime() + self.linger),
                  self.waiter) then
               goto continue
            end
            local emsg, ecode = engine_error(self)
            if emsg then return nil, emsg, ecode end
            return nil, "closed"
         end
         local want_r = st.want_input and not self.rshut
         if want_r and self.held then
            feed(self, "") -- a failure closes the engine: the next round sends its alert
            goto continue
         end
         if want_r and self.eof then
            if not st.connected then
               return nil, "connection closed by the peer during the handshake"
            end
            return nil, "closed"
         end
         if want_r and tr then
            if tr.cooperative and due and gettime() >= due then return nil, "timeout" end
            local data, rerr = tr:recv(CHUNK)
            if data then
               feed(self, data)
               goto continue
            end
            if rerr == "closed" then
               self.eof = true
               goto continue
            end
            if rerr ~= "again" then
               if rerr ~= "timeout" then self.terr = rerr end -- a cosocket's own timeout
               return nil, rerr
            end
         end
         local want_w = flushed == false
         if not want_r and not want_w then
            if st.readable then
               -- the read queue is full: the application has to read first
               self.want = nil
               return nil, "wantread"
            end
            if st.peer_closed or self.rshut then return nil, "closed" end
            return nil, engine_error(self) or "stalled"
         end
         self.want = want_w and (want_r and "rw" or "w") or "r"
         if not blocking then return nil, want_w and "wantwrite" or "wantread" end
         if tr.cooperative or not wait(tr, self.want, due, self.waiter) then
            return nil, "timeout"
         end
      end
      ::continue::
   end
end

-- The pump, then the engine gives back what it does not need while the File waits (its
-- record buffers and expanded keys: core.trim).
local function pump(self, goal, due)
   local ok, err, code = run(self, goal, due)
   if not self.released then self.conn:trim() end
   return ok, err, code
end

local function deadline(self)
   local t = self.tmo
   return t and t >= 0 and gettime() + t or nil
end

local arm -- callbacks mode: (re)registers the File with its loop

-- Queues data[from..to] for a nonblocking send, up to the write limit, in pieces the engine
-- takes whole. Returns the count queued.
local function queue(self, data, from, to)
   local k = math.max(0, math.min(self.write_limit - qsize(self.wq), to - from + 1))
   local pos, stop = from, from + k - 1
   while pos <= stop do
      local e = math.min(pos + 4 * CHUNK - 1, stop)
      push(self, "wq", data:sub(pos, e))
      pos = e + 1
   end
   return k
end

-- After a call in a nonblocking mode: what the File waits for now (events(), the loop
-- watch): "w" while records or queued plaintext wait, "r" while the engine takes input.
local function update_want(self)
   if self.released then return end
   local st = self.conn:status()
   local w = st.has_output or (self.wq ~= nil and st.writable)
   local r = st.want_input and not self.rshut and not self.eof
   self.want = w and (r and "rw" or "w") or (r and "r") or nil
end

local function after(self)
   if self.mode == "cb" then
      arm(self)
   elseif self.mode ~= "block" or not self.tr then
      update_want(self)
   end
end


local function handshake_goal(self, st, flushed)
   if st.connected then return flushed or self.mode ~= "block" end
   return false
end

local function renegotiation_goal(self, st, flushed)
   if st.handshaking then return false end
   return flushed or self.mode ~= "block"
end

--- Renegotiates (TLS 1.2, RFC 5746 only): a server sends HelloRequest, a client a new
-- ClientHello; runs the new handshake (peer chain checked again), keeping application data
-- that arrives meanwhile for receive(). Returns true, or nil, message, code; a peer that
-- answers no_renegotiation gives nil, "renegotiation refused by peer", "no_renegotiation".
function File:renegotiate()
   if self.released then return nil, "closed" end
   local before = self.conn:info().renegotiations
   local ok, err, code = self.conn:renegotiate()
   if not ok then return nil, err, code end
   ok, err, code = pump(self, renegotiation_goal, deadline(self))
   after(self)
   if not ok then return nil, err, code end
   if self.conn:info().renegotiations == before then
      return nil, "renegotiation refused by peer", "no_renegotiation"
   end
   return true
end

--- TLS 1.3 post-handshake client authentication (server, RFC 8446 4.6.2): sends a
-- CertificateRequest and waits for the client's answer, keeping application data that arrives
-- meanwhile for receive(). The client's chain goes through the context's verification (verify
-- = "optional" | "require", and the verify hook); getpeercertificate() then gives it. Needs a
-- client that offered post_handshake_auth (info().post_handshake_auth). Returns true, or nil,
-- message, code ("certificate_required" when verify = "require" and the client sent none).
function File:request_client_auth()
   if self.released then return nil, "closed" end
   local before = self.conn:info().client_auths
   local ok, err, code = self.conn:request_client_auth()
   if not ok then return nil, err, code end
   ok, err, code = pump(self, renegotiation_goal, deadline(self))
   after(self)
   if not ok then return nil, err, code end
   if self.conn:info().client_auths == before then
      local emsg, ecode = engine_error(self)
      return nil, emsg or "closed", ecode
   end
   return true
end

--- Server, TLS 1.3: the 0-RTT data the client sent (RFC 8446 2.3), or nil when there was
-- none. It came before the handshake ended and may be a replay (RFC 8446 8, RFC 8470: act on
-- it only when repeating it does no harm); receive() never returns it.
function File:early_data()
   local e = self.early_in
   return e and table.concat(e) or nil
end

--- Runs the handshake to its end. Returns true, or nil, message, code ("wantread" /
-- "wantwrite" in nonblocking modes: call again when ready).
function File:handshake()
   if self.released then return nil, "closed" end
   local ok, err, code = pump(self, handshake_goal, deadline(self))
   after(self)
   if ok then return true end
   return nil, err, code
end

--- Sends data (or data:sub(i, j)); returns the index of the last byte sent, or nil, err,
-- index of the last byte sent (LuaSocket). Blocking: waits until the records are out.
-- Nonblocking: what the engine does not take now is queued (up to write_limit, default
-- 256 KiB) and goes out as the transport allows; nil, "wantwrite", last when the queue is
-- full. The handshake runs first if it has not.
function File:send(data, i, j)
   if type(data) ~= "string" then
      error("bad argument #1 to 'send' (string expected, got " .. type(data) .. ")", 2)
   end
   i = i or 1
   local first = i < 0 and math.max(#data + i + 1, 1) or math.max(i, 1)
   local last = j or #data
   if last < 0 then last = #data + last + 1 end
   last = math.min(last, #data)
   if self.released or self.shut_send or self.closing then return nil, "closed", first - 1 end
   local done = first - 1
   local conn = self.conn
   local blocking = self.mode == "block" and self.tr
   local function goal(_, st, flushed)
      if done >= last then return (flushed and not self.wq) or not blocking end
      if self.wq or not st.connected then return not blocking end
      local n, err, code = conn:write(data:sub(done + 1, math.min(done + 4 * CHUNK, last)))
      if n then
         done = done + n
         return "again"
      end
      if err ~= "wantwrite" then return nil, err, code end
      return not blocking
   end
   local ok, err, code = pump(self, goal, deadline(self))
   if not blocking and (ok or err == "wantread" or err == "wantwrite") then
      ok = true
      done = done + queue(self, data, done + 1, last)
      if done < last then ok, err = nil, "wantwrite" end
   end
   if self.wcb then self.wcb_due = true end
   after(self)
   if ok then return last end
   return nil, err, done, code
end

--- Sends what queued and pending records wait, waiting in blocking mode (nonblocking:
-- true when nothing is left, else nil, "wantwrite"). Returns true, or nil, err, code.
function File:flush()
   if self.released then return nil, "closed" end
   local ok, err, code = pump(self, function(_, _, flushed)
      return flushed and not self.wq
   end, deadline(self))
   after(self)
   if ok then return true end
   return nil, err, code
end

local function pattern_kind(pattern)
   if pattern == "*l" or pattern == "l" then return "l" end
   if pattern == "*a" or pattern == "a" then return "a" end
   if math.type(pattern) == "integer" or (type(pattern) == "number" and pattern % 1 == 0) then
      return "n"
   end
   error("bad argument #1 to 'receive' (invalid pattern)", 3)
end

--- LuaSocket's receive: "*l" / "l" (a line without its end of line), "*a" / "a" (until the
-- peer closes), or a byte count; prefix goes in front. Returns data, or nil, err, partial
-- (err: "timeout", "closed", "wantread" in nonblocking modes, or a failure; the partial
-- data is consumed, as in LuaSocket: pass it back as prefix).
function File:receive(pattern, prefix)
   pattern = pattern or "*l"
   local kind = pattern_kind(pattern)
   local n = kind == "n" and math.tointeger(pattern) or nil
   if n and n < 0 then error("bad argument #1 to 'receive' (invalid pattern)", 2) end
   local head = prefix or ""
   local line
   local function goal(_, st)
      if kind == "l" then
         line = self.rq and q_line(self.rq)
         if line then return true end
      elseif kind == "n" then
         if qsize(self.rq) >= n then return true end
      end
      if (st.peer_closed and not st.readable) or (self.eof and not st.readable) then
         return nil, "closed"
      end
      return false
   end
   self.need = kind == "n" and n or math.huge
   local ok, err, code
   if self.released then
      ok, err = goal(self, { peer_closed = true })
      if not ok then err = "closed" end
   else
      ok, err, code = pump(self, goal, deadline(self))
   end
   self.need = nil
   after(self)
   if ok then
      if kind == "l" then
         local s = take(self, "rq", line)
         return head .. s:sub(1, s:byte(-2) == 13 and -3 or -2)
      end
      return head .. take(self, "rq", n)
   end
   local partial = head .. take(self, "rq", qsize(self.rq))
   if err == "closed" and kind == "a" then return partial end
   return nil, err, partial, code
end

--- Whatever plaintext is there, at most max bytes (default 16 KiB), waiting (up to the
-- timeout) only while there is none (ngx cosocket's receiveany). Returns data, or nil, err
-- ("timeout", "closed", "wantread" in nonblocking modes, or a failure).
function File:receiveany(max)
   max = max or CHUNK
   if math.type(max) ~= "integer" or max < 1 then
      error("bad argument #1 to 'receiveany' (positive integer expected)", 2)
   end
   local function goal(_, st)
      if self.rq then return true end
      if (st.peer_closed and not st.readable) or (self.eof and not st.readable) then
         return nil, "closed"
      end
      return false
   end
   local ok, err, code
   if self.rq then
      ok = true
   elseif self.released then
      err = "closed"
   else
      ok, err, code = pump(self, goal, deadline(self))
   end
   after(self)
   if ok then return take(self, "rq", math.min(max, qsize(self.rq))) end
   return nil, err, code
end

-- The engine's close_notify, once queued plaintext went into the engine.
local function send_close_notify(self, st)
   if self.wq and not st.closed then return false end
   if not self.notified then
      self.notified = true
      self.conn:close_notify()
      return "again"
   end
   return true
end

--- Half-close (LuaSocket shutdown): "send" sends close_notify (after what send() queued)
-- and keeps reading until the peer's; "receive" stops reading; "both" does both. Returns 1,
-- or nil, err (nonblocking: the rest goes out with the next calls or flush()).
function File:shutdown(how)
   how = how or "both"
   if how ~= "send" and how ~= "receive" and how ~= "both" then
      error("bad argument #1 to 'shutdown' (invalid option '" .. tostring(how) .. "')", 2)
   end
   if self.released then return nil, "closed" end
   if how ~= "send" then self.rshut = true end
   if how ~= "receive" and not self.shut_send then
      self.shut_send = true
      local ok, err = pump(self, function(_, st, flushed)
         local r = send_close_notify(self, st)
         if r ~= true then return r end
         return flushed
      end, deadline(self))
      after(self)
      if not ok and err ~= "wantwrite" and err ~= "wantread" then return nil, err end
   end
   return 1
end

local function unwatch(self)
   if self.watch then
      self.watch:cancel()
      self.watch, self.watching = nil, nil
   end
end

-- Frees the engine and closes the transport.
local function release(self)
   if self.released then return end
   if self.cache_key then remember(self) end
   self.released = true
   unwatch(self)
   if self.timer then
      self.timer:cancel()
      self.timer = nil
   end
   self.conn:close()
   if self.tr then pcall(self.tr.close, self.tr) end
end

-- close(): queued plaintext out, then close_notify, then, up to the linger time, the
-- peer's close_notify; plaintext arriving meanwhile is dropped.
local function closing_goal(self, st, flushed)
   self.rq = nil
   if st.readable then self.conn:read(CHUNK) end
   local r = send_close_notify(self, st)
   if r ~= true then return r end
   if not flushed then return false end
   if st.peer_closed or self.eof or st.closed then return true end
   return false
end

local linger_async

--- Sends close_notify, waits up to `linger` seconds (default: the File's linger, 1 s) for
-- the peer's, closes the transport. Nonblocking mode sends what it can without waiting
-- (flush() first to be sure); callbacks mode lingers in the loop. Returns 1; closing again
-- returns 1 as well.
function File:close(linger)
   if self.closing or self.released then return 1 end
   self.closing, self.shut_send = true, true
   linger = linger or self.linger
   self.rcb, self.wcb, self.ccb = nil, nil, nil
   self.rshut = false
   if self.mode == "cb" and self.tr and linger > 0 then
      unwatch(self)
      if self.timer then
         self.timer:cancel()
         self.timer = nil
      end
      linger_async(self, gettime() + linger)
      return 1
   end
   if not self.tr then
      -- sans-IO: the close_notify waits in pending(), which releases the engine once empty
      pump(self, closing_goal, nil)
      if not self.conn:dirty() then release(self) end
      return 1
   end
   if self.terr == nil then
      local blocking = self.mode == "block"
      if not blocking then self.mode = "nb" end
      pump(self, closing_goal, blocking and gettime() + linger or nil)
   end
   release(self)
   return 1
end

File.__close = function(self) self:close() end
File.__gc = function(self)
   if not self.released then
      self.released = true
      self.conn:close()
      if self.tr then pcall(self.tr.close, self.tr) end
   end
end

function File:__tostring()
   return "moontls.File: " .. (self.released and "closed" or tostring(self.conn):match(
      "0x%x+") or "?")
end

--- Timeout in seconds for each later call (nil or negative: none). LuaSocket's mode
-- argument is accepted and ignored: the timeout is a total per call.
function File:settimeout(t)
   self.tmo = t
   return 1
end

function File:gettimeout()
   return self.tmo
end

--- The transport's file descriptor (for socket.select and pollers), -1 if none.
function File:getfd()
   local fd = not self.released and self.tr and self.tr.fd
   return fd or -1
end

--- true when received data is buffered here or in the engine (socket.select then treats
-- the File as readable without polling).
function File:dirty()
   if self.released then return false end
   return self.rq ~= nil or self.held ~= nil or self.conn:status().readable
end

--- cqueues' polling protocol: cqueues.poll(f) waits for what the last call waited for.
function File:pollfd()
   return self:getfd()
end

function File:events()
   return self.want or "r"
end

function File:timeout()
   return self.tmo
end

--- Sans-IO: hands received record bytes to the engine; every byte is taken (held back
-- when the engine waits for plaintext to be read). Returns true, or nil, message, code.
function File:feed(data)
   if self.tr then error("feed is for a File without a transport (wrap(nil, ctx))", 2) end
   if self.released then return nil, "closed" end
   local ok, err, code = feed(self, data)
   if not ok then return nil, err, code end
   pump(self, function() return false end, nil)
   if self.conn:error() then return nil, engine_error(self) end
   return true
end

--- Sans-IO: the record bytes to send now (taken: they count as sent).
function File:pending()
   if self.released then return "" end
   local out = self.conn:pending()
   if #out > 0 then self.conn:sent(#out) end
   if self.closing then release(self) end
   return out
end

local verdict

function File:info()
   local t = self.conn:info()
   t.verified = verdict(self, t)
   return t
end

function File:getalpn()
   return self.conn:info().alpn
end

function File:getsniname()
   return self.conn:info().sni
end

-- The session this connection resumed (the one offered to it), if it resumed one.
-- (info: conn:info() when the caller has it already)
local function resumed_from(self, info)
   if self.offered and (info or self.conn:info()).resumed then return self.offered end
end

-- The peer chain as DER strings: as received, or kept with the session a resumption used.
local function peer_ders(self)
   local s = resumed_from(self)
   if s then return s:peer_chain() end
   return self.conn:peer_chain()
end

function verdict(self, info)
   local s = resumed_from(self, info)
   if s then return s:info().verified end
   return self.verdict
end

--- The verdict on the peer's chain: "ok" (verified, or accepted by the verify hook) or nil
-- (not checked: verify = "none", or no certificate from a client).
-- A resumed connection gives the verdict of the handshake that made its session.
function File:verified()
   return verdict(self)
end

function File:getpeercertificate(n)
   local der = peer_ders(self)[n or 1]
   return der and x509.load(der)[1] or nil
end

function File:getpeerchain()
   local t = {}
   for i, der in ipairs(peer_ders(self)) do t[i] = x509.load(der)[1] end
   return t
end

--- The Session to resume later (moontls.connect/wrap{session = s}), or nil, err. It keeps
-- the peer's chain and the verdict on it (session:peer_chain(), session:info().verified).
-- Under TLS 1.3 a client has one once the server's ticket arrived (after the handshake).
function File:getsession()
   local s, err, code = self.conn:session()
   if not s then return nil, err, code end
   s:set_peer(peer_ders(self), self:verified())
   return s
end

function File:export(label, context, length)
   return self.conn:export(label, context, length)
end

function File:getpeername()
   local sock = self.tr and self.tr.sock
   if sock and sock.getpeername then return sock:getpeername() end
end

function File:getsockname()
   local sock = self.tr and self.tr.sock
   if sock and sock.getsockname then return sock:getsockname() end
end

-- Callbacks mode -------------------------------------------------------------------------

local function the_loop(self)
   local lp = self.loop or transport.current_loop()
   if not lp then lp = require("moontls.loop").default() end
   self.loop = lp
   return lp
end

local dispatch

-- (Re)registers the File's interest with the loop: a watch on the fd for what the pump
-- waits for, and a zero timer when callbacks are due without the fd becoming ready.
function arm(self)
   if self.mode ~= "cb" or self.released or self.in_cb then return end
   local lp = the_loop(self)
   update_want(self)
   local mode = self.want
   if self.stopped then mode = nil end
   if mode ~= self.watching then
      unwatch(self)
      if mode then
         self.watch = lp:watch(self.tr.fd, mode, function() dispatch(self) end)
         self.watching = mode
      end
   end
   local due = (self.rq and self.rcb) or (self.wcb_due and self.connected
      and not self.wq and not self.conn:dirty()) or (self.ending and not self.ended)
   if due and not self.timer then
      self.timer = lp:timer(0, function()
         self.timer = nil
         dispatch(self)
      end)
   end
end

local function noop_goal()
   return false
end

local function dispatch_body(self)
   for _ = 1, 16 do
      if self.mode ~= "cb" or self.released then return end
      local ok, err, code = pump(self, noop_goal, nil)
      if self.rq and self.rcb then self.rcb(self, take(self, "rq", self.rq.size)) end
      if self.mode ~= "cb" or self.released then return end
      if self.wcb_due and self.connected and not self.wq and not self.conn:dirty() then
         self.wcb_due = false
         if self.wcb then self.wcb(self) end
         if self.mode ~= "cb" or self.released then return end
      end
      if not ok and err ~= "wantread" and err ~= "wantwrite" then
         self.ending, self.end_err, self.end_code = true, err, code
      end
      if self.ending and not self.ended and (not self.rq or not self.rcb) then
         self.ended, self.stopped = true, true
         local ccb = self.ccb
         if ccb then
            if self.end_err == "closed" then
               ccb(self)
            else
               ccb(self, self.end_err, self.end_code)
            end
         end
         return
      end
      if not (self.rq and self.rcb) and not self.conn:status().readable then return end
   end
end

function dispatch(self)
   if self.in_cb then return end
   self.in_cb = true
   local ok, err = pcall(dispatch_body, self)
   self.in_cb = false
   arm(self)
   if not ok then error(err, 0) end
end

--- Nonblocking mode. Without arguments: calls never wait, they return nil, "wantread" /
-- "wantwrite" and the File polls as its fd (getfd/dirty for socket.select, pollfd/events/
-- timeout for cqueues.poll). With callbacks (Pike): read_cb(f, data) gets plaintext as it
-- arrives, write_cb(f) runs once the handshake is done and again each time what f:send()
-- queued has gone out, close_cb(f) when the peer closed (close_cb(f, err, code) on a
-- failure). Callbacks run from the moontls.loop (opts.loop, the current or the default
-- loop), one at a time, never from inside a File method.
function File:set_nonblocking(read_cb, write_cb, close_cb)
   if read_cb == nil and write_cb == nil and close_cb == nil then
      unwatch(self)
      self.mode = "nb"
      return self
   end
   if not self.tr or self.tr.cooperative then
      error("callbacks need a transport with a file descriptor", 2)
   end
   self.mode = "cb"
   self.rcb, self.wcb, self.ccb = read_cb, write_cb, close_cb
   self.wcb_due = write_cb ~= nil
   arm(self)
   if not self.timer then
      self.timer = the_loop(self):timer(0, function()
         self.timer = nil
         dispatch(self)
      end)
   end
   return self
end

--- Back to blocking mode (callbacks dropped).
function File:set_blocking()
   unwatch(self)
   if self.timer then
      self.timer:cancel()
      self.timer = nil
   end
   self.mode = "block"
   self.rcb, self.wcb, self.ccb = nil, nil, nil
   return self
end

function File:set_read_callback(cb)
   self.rcb = cb
   arm(self)
end

function File:set_write_callback(cb)
   self.wcb = cb
   self.wcb_due = cb ~= nil
   arm(self)
end

function File:set_close_callback(cb)
   self.ccb = cb
end

-- Callbacks mode close: the loop pushes the rest out and waits for the peer's close_notify
-- up to `due`, then releases.
function linger_async(self, due)
   local lp = the_loop(self)
   self.mode = "nb"
   local function finish()
      if self.timer then
         self.timer:cancel()
         self.timer = nil
      end
      release(self)
   end
   local function step()
      if self.released then return end
      local ok, err = pump(self, closing_goal, nil)
      if ok or (err ~= "wantread" and err ~= "wantwrite") then return finish() end
      if self.watching ~= self.want then
         unwatch(self)
         if self.want then
            self.watch = lp:watch(self.tr.fd, self.want, step)
            self.watching = self.want
         end
      end
   end
   self.timer = lp:timer(math.max(0, due - gettime()), function()
      self.timer = nil
      finish()
   end)
   step()
end

-- Connecting and listening -----------------------------------------------------------

-- A TCP connection to host:port (a moontls.Socket) made without blocking the scheduler,
-- bounded by due: each address the name resolves to in turn, as LuaSocket's connect.
local function tcp_connect(host, port, due)
   local addrs, rerr = core.sock_resolve(host, port)
   if not addrs then return nil, rerr end
   local err = "no address for " .. tostring(host)
   for _, a in ipairs(addrs) do
      local s, connected = core.sock_connect(a)
      if not s then
         err = connected
      else
         local ok, cerr = true, nil
         if not connected then
            local fd = s:getfd()
            if not wait({ fd = fd, sock = s }, "w", due) then
               transport.forget(fd)
               s:close()
               return nil, "timeout"
            end
            ok, cerr = s:connected()
         end
         if ok then return s end
         transport.forget(s:getfd())
         s:close()
         err = cerr
      end
   end
   return nil, err
end

--- Connects over TCP, wraps and handshakes. opts: context (default: a client context
-- verifying against the system store), server_name (default host), timeout (bounds the
-- connect and the handshake, and is the File's timeout), and wrap's options.
function M.connect(host, port, opts)
   opts = opts or {}
   local ctx = opts.context
   if not ctx then
      local err
      ctx, err = require("moontls.context").new { mode = "client" }
      if not ctx then return nil, err end
   end
   local t = opts.timeout
   local sock, err
   if opts.copas then
      sock = socket.tcp()
      local ok, cerr = opts.copas.connect(sock, host, port)
      if not ok then
         sock:close()
         return nil, cerr
      end
   else
      sock, err = tcp_connect(host, port, t and gettime() + t or nil)
      if not sock then return nil, err end
   end
   local wopts = setmetatable({}, { __index = opts })
   if opts.server_name == nil then wopts.server_name = host end
   wopts.port = port
   local f, werr, code = M.wrap(sock, ctx, wopts)
   if not f then
      sock:close()
      return nil, werr, code
   end
   local ok, herr, hcode = f:handshake()
   if not ok then
      f:close(0)
      return nil, herr, hcode
   end
   return f
end

local Port = {}
Port.__index = Port
M.Port = Port

--- A listening TLS port (Pike SSL.Port): accept() returns Files that finished the
-- handshake. opts: wrap's options for the accepted Files (timeout, read_limit, linger, ...),
-- backlog.
function M.listen(host, port, ctx, opts)
   opts = opts or {}
   local addrs, err = core.sock_resolve(host, port, true)
   if not addrs then return nil, err end
   for _, a in ipairs(addrs) do
      local sock
      sock, err = core.sock_listen(a, opts.backlog or 128)
      if sock then
         return setmetatable({ sock = sock, ctx = ctx, opts = opts, fd = sock:getfd() }, Port)
      end
   end
   return nil, err
end

--- Accepts one connection, waiting up to the Port's timeout (settimeout; nil = forever);
-- yields under a scheduler. Returns a File that finished its handshake (unless
-- opts.handshake == false), or nil, err.
-- An accepted socket as a File, after its handshake unless `handshake` is false; or nil,
-- err, code (the socket closed).
local function start_file(port, s, handshake)
   local f, werr, code = M.wrap(s, port.ctx, port.opts)
   if not f then
      s:close()
      return nil, werr, code
   end
   if handshake == false then return f end
   local ok, herr, hcode = f:handshake()
   if not ok then
      f:close(0)
      return nil, herr, hcode
   end
   return f
end

function Port:accept(opts)
   local due = self.timeout and self.timeout >= 0 and gettime() + self.timeout or nil
   while true do
      local s, err = self.sock:accept()
      if s then return start_file(self, s, opts and opts.handshake) end
      if err ~= "wantread" then return nil, err end
      if not wait(self, "r", due) then return nil, "timeout" end
   end
end

--- Under moontls.loop: accepts connections in a task and runs handler(file) in a task of its
-- own for each (after its handshake; a failed handshake calls on_error(err, code) if
-- given). Returns the accepting task's result of lp:spawn.
function Port:serve(handler, on_error, lp)
   lp = lp or transport.current_loop() or require("moontls.loop").default()
   self.serving = true
   return lp:spawn(function()
      while self.serving do
         local s, err = self.sock:accept()
         if s then
            lp:spawn(function()
               local f, ferr, code = start_file(self, s)
               if f then
                  handler(f)
               elseif on_error then
                  on_error(ferr, code)
               end
            end)
         elseif err == "wantread" then
            lp:wait(self.fd, "r", nil)
         else
            if on_error then on_error(err) end
            if not self.serving then return end
            lp:sleep(0.01)
         end
      end
   end)
end

function Port:getsockname()
   return self.sock:getsockname()
end

function Port:getfd()
   return self.fd or -1
end

function Port.dirty()
   return false
end

function Port:settimeout(t)
   self.timeout = t
   return 1
end

function Port:close()
   self.serving = false
   transport.forget(self.fd)
   self.fd = nil
   return self.sock:close()
end

return M
