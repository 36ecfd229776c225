--- Transports under a moontls.File, and the ways a File waits for them.
--
-- A transport moves record bytes; it never blocks the process by itself:
--   tr:recv(max) -> bytes | nil, "again" | nil, "closed" | nil, err
--   tr:send(bytes) -> count taken (0 = would block) | nil, err
--   tr.sock (the object under it: a File's getpeername/getsockname ask it),
--   tr.fd (a file descriptor to wait on) or tr.cooperative (its calls wait by themselves,
--   yielding to their own scheduler: an OpenResty cosocket, a copas socket, a test pipe).
-- wait(tr, mode, due) waits until tr.fd is ready for mode ("r", "w", "rw") or the deadline
-- (socket.gettime() seconds, nil = none): under moontls.loop, under cqueues, else with
-- socket.select. Returns true when ready, false on timeout.
local socket = require "socket"

local M = {}

local gettime = socket.gettime

-- moontls.loop, when it can be loaded (false when not)
local loopmod
local function loop_module()
   if loopmod == nil then
      local ok, m = pcall(require, "moontls.loop")
      loopmod = ok and m or false
   end
   return loopmod
end

--- Tells the schedulers that fd is about to be closed: moontls.loop ends its waiters and
-- watches, cqueues drops the descriptor from its pollers.
function M.forget(fd)
   if not fd then return end
   local lm = loop_module()
   if lm then lm.forget(fd) end
   local cq = package.loaded.cqueues
   if cq and cq.cancel then cq.cancel(fd) end
end

-- The File writes whole flights and records in one send each, so Nagle's algorithm only adds
-- delay: a resumed TLS 1.2 client's first request after its Finished waited for the server's
-- delayed ACK (40 ms on Linux). Wrapped sockets get TCP_NODELAY.
local function nodelay(sock)
   if sock.setoption then pcall(sock.setoption, sock, "tcp-nodelay", true) end
end

-- Plain LuaSocket tcp: the socket is switched to timeout 0 and waited on by fd.
local Sock = {}
Sock.__index = Sock

function M.socket(sock)
   sock:settimeout(0)
   nodelay(sock)
   return setmetatable({ sock = sock, fd = math.tointeger(sock:getfd()) }, Sock)
end

function Sock:recv(max)
   local data, err, partial = self.sock:receive(max)
   data = data or partial
   if data and #data > 0 then return data end
   if err == "timeout" or err == "wantread" then return nil, "again" end
   return nil, err
end

function Sock:send(s)
   local last, err, partial = self.sock:send(s)
   if last then return last end
   if err == "timeout" or err == "wantwrite" then return partial or 0 end
   return nil, err
end

function Sock:close()
   M.forget(self.fd)
   self.fd = nil
   return self.sock:close()
end

-- A moontls.Socket (core.sock_*: moontls.connect and moontls.listen make them): the native
-- transport, a descriptor without a buffer of its own. Its recv and send are nonblocking.
local Native = {}
Native.__index = Native

function M.native(sock)
   return setmetatable({ sock = sock, fd = sock:getfd() }, Native)
end

function Native:recv(max)
   local data, err = self.sock:recv(max)
   if data then return data end
   if err == "wantread" then return nil, "again" end
   return nil, err
end

function Native:send(s)
   return self.sock:send(s)
end

Native.close = Sock.close

--- true when sock is a moontls.Socket.
function M.is_native(sock)
   local mt = type(sock) == "userdata" and getmetatable(sock)
   return type(mt) == "table" and mt.__name == "moontls.Socket"
end

-- A cooperative object with LuaSocket-style send/receive whose calls wait by themselves. A
-- receive(n) of such objects (OpenResty, copas.wrap) waits for exactly n bytes, so reads
-- follow the record framing: the 5-byte header, then the body it announces. `need` counts
-- what the current header or body still lacks; `hdr` collects a split header.
local Co = {}
Co.__index = Co

function M.cooperative(obj)
   return setmetatable({ sock = obj, cooperative = true, need = 5, hdr = "", in_body = false },
      Co)
end

-- Follows the record framing over bytes that went to the engine by another way (STARTTLS's
-- pending data), so the next receive asks for the right count.
function Co:skip(bytes)
   local i = 1
   while i <= #bytes do
      local k = math.min(self.need, #bytes - i + 1)
      if not self.in_body then self.hdr = self.hdr .. bytes:sub(i, i + k - 1) end
      i = i + k
      self.need = self.need - k
      if self.need == 0 then
         if self.in_body then
            self.in_body, self.need = false, 5
         else
            local len = self.hdr:byte(4) * 256 + self.hdr:byte(5)
            self.hdr = ""
            self.in_body, self.need = len > 0, len > 0 and len or 5
         end
      end
   end
end

function Co:recv(max)
   local n = math.min(self.need, max)
   local obj = self.sock
   local data, err, partial
   if obj.receiveany then
      data, err = obj:receiveany(n)
   else
      data, err, partial = obj:receive(n)
      data = data or partial
   end
   if data and #data > 0 then
      self:skip(data)
      return data
   end
   if err == "closed" or err == nil then return nil, "closed" end
   return nil, err
end

function Co:send(s)
   local last, err = self.sock:send(s)
   if not last then return nil, err end
   return #s
end

function Co:close()
   if self.sock.close then return self.sock:close() end
end

-- A LuaSocket tcp inside a copas (1.x) coroutine: copas' own receive/send yield to its
-- dispatcher until the socket is ready.
local Copas = {}
Copas.__index = Copas

function M.copas(sock, copas)
   sock:settimeout(0)
   nodelay(sock)
   return setmetatable({ sock = sock, copas = copas, cooperative = true,
      fd = math.tointeger(sock:getfd()) }, Copas)
end

function Copas:recv(max)
   local data, err, partial = self.copas.receivePartial(self.sock, max)
   data = data or partial
   if data and #data > 0 then return data end
   if err == "timeout" then return nil, "again" end
   return nil, err
end

function Copas:send(s)
   local last, err = self.copas.send(self.sock, s)
   if not last then return nil, err end
   return #s
end

Copas.close = Sock.close

--- The transport for `sock`: a moontls.Socket, a LuaSocket tcp (has getfd), or a cooperative
-- object with send/receive. opts.copas (the copas module) drives a LuaSocket tcp through copas.
function M.of(sock, opts)
   if M.is_native(sock) then return M.native(sock) end
   if opts and opts.copas then return M.copas(sock, opts.copas) end
   if type(sock) == "userdata" and tostring(sock):match("^tcp{") then return M.socket(sock) end
   local ok, getfd = pcall(function() return sock.getfd end)
   if ok and getfd and not opts.cooperative then
      local fd = math.tointeger(sock:getfd())
      if fd and fd >= 0 then return M.socket(sock) end
   end
   local has = pcall(function() assert(sock.send and sock.receive) end)
   if not has then error("transport needs send and receive methods", 3) end
   return M.cooperative(sock)
end

-- The waiting strategies, tried in order: the built-in loop, cqueues, socket.select.
local function current_loop()
   local lm = loop_module()
   return lm and lm.current()
end

local function cqueues_running()
   local cq = package.loaded.cqueues
   return cq and cq.running() and cq
end

-- A pollable for cqueues.poll: pollfd/events/timeout.
local Pollable = {}
Pollable.__index = Pollable
function Pollable:pollfd() return self.fd end
function Pollable:events() return self.mode end
function Pollable:timeout() return self.left end

--- Waits until tr is ready for mode or due passes; true when ready, false on timeout.
-- custom (optional): function(fd, mode, secs) doing the waiting instead.
function M.wait(tr, mode, due, custom)
   local left
   if due then
      left = due - gettime()
      if left <= 0 then return false end
   end
   if custom then return custom(tr.fd, mode, left) ~= false end
   local lp = current_loop()
   if lp then
      -- nil, "closed" (the fd went away) counts as ready: the next recv/send says why
      return lp:wait(tr.fd, mode, left) ~= false
   end
   local cq = cqueues_running()
   if cq then
      local p = setmetatable({ fd = tr.fd, mode = mode, left = left }, Pollable)
      return cq.poll(p, left) == p
   end
   local want_r, want_w = mode:find("r", 1, true), mode:find("w", 1, true)
   local set = { tr.sock }
   local r, w = socket.select(want_r and set or nil, want_w and set or nil, left)
   return (r and r[1] or w and w[1]) ~= nil
end

--- true when the calling coroutine runs under a scheduler a File can yield to.
function M.scheduled()
   return current_loop() and true or cqueues_running() and true or false
end

M.current_loop = current_loop

return M
