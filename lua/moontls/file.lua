--- moontls.File over a transport: the waiting loop around the C engine.
-- The C object (core.file_new) never blocks: it takes and gives record bytes
-- and plaintext. This module moves bytes between it and a LuaSocket-style
-- socket, waits with socket.select bounded by the File's timeout, and answers
-- the engine's decisions (the chain verdict through moontls.x509.verify).
-- Blocking style, LuaSocket vocabulary: send, receive, settimeout, close.
local core = require "moontls.core"
local socket = require "socket"
local x509 = require "moontls.x509"
local decide = require "moontls.decide"

local M = {}

local File = {}
File.__index = File
M.File = File

local CHUNK = 16384

--- Wraps a connected socket. opts: server_name (client SNI and host name to verify),
-- timeout (seconds, nil = forever; defaults to none), session (client: a Session from
-- f:getsession() to resume).
function M.wrap(sock, ctx, opts)
   opts = opts or {}
   local conn, err, code = core.file_new(ctx.core, ctx.mode == "client" and opts.server_name
      or nil)
   if not conn then return nil, err, code end
   if opts.session and ctx.mode == "client" then
      local ok, rerr, rcode = conn:resume(opts.session)
      if not ok then return nil, rerr, rcode end
   end
   sock:settimeout(0)
   return setmetatable({ sock = sock, conn = conn, ctx = ctx, server_name = opts.server_name,
      timeout = opts.timeout, rbuf = "" }, File)
end

function File:settimeout(t)
   self.timeout = t
   return 1
end

function File:getfd()
   return self.sock:getfd()
end

function File:dirty()
   return #self.rbuf > 0 or self.conn:dirty()
end

local function deadline(self)
   return self.timeout and socket.gettime() + self.timeout or nil
end

-- Waits due the socket is readable (or writable); false on timeout.
local function wait(self, due, for_write)
   local left = due and due - socket.gettime() or nil
   if left and left <= 0 then return false end
   local r, w = socket.select(not for_write and { self.sock } or nil,
      for_write and { self.sock } or nil, left)
   return (for_write and w or r)[1] ~= nil
end

-- Sends every pending record. Returns true, or nil, err.
local function flush(self, due)
   while true do
      local out = self.conn:pending()
      if #out == 0 then return true end
      local last, err, partial = self.sock:send(out)
      local n = last or partial or 0
      if n > 0 then self.conn:sent(n) end
      if not last then
         if err ~= "timeout" then return nil, err end
         if not wait(self, due, true) then return nil, "timeout" end
      end
   end
end

-- Gives the engine input it refused earlier (it stops taking input while it waits for a
-- decision or while plaintext waits to be read). Returns true, or nil, err, code.
local function refeed(self)
   local input = self.pending_input
   if input then
      local used, err, code = self.conn:feed(input)
      if not used then return nil, err, code end
      self.pending_input = used < #input and input:sub(used + 1) or nil
   end
   return true
end

-- Feeds the engine: held-back input first, else what the socket has (waiting for it).
-- Returns true, or nil, err, code.
local function pull(self, due)
   if self.pending_input then
      local before = #self.pending_input
      local ok, err, code = refeed(self)
      if not ok then return nil, err, code end
      if not self.pending_input or #self.pending_input < before then return true end
   end
   while true do
      local data, err, partial = self.sock:receive(CHUNK)
      data = data or partial
      if data and #data > 0 then
         self.pending_input = (self.pending_input or "") .. data
         return refeed(self)
      end
      if err == "closed" then return nil, "closed" end
      if err ~= "timeout" then return nil, err end
      if not wait(self, due, false) then return nil, "timeout" end
   end
end

--- Runs the handshake to its end. Returns true, or nil, message, code.
function File:handshake()
   local due = deadline(self)
   while true do
      local st = self.conn:status()
      if st.connected then
         if self.ctx.keylog then self.ctx:log_key(self.conn:keylog()) end
         decide.record(self)
         local ok, err = flush(self, due)
         if not ok then return nil, err end
         return true
      end
      local ok, err, code
      if st.decision then
         ok, err, code = decide.answer(self)
         if not ok then
            flush(self, due)
            return nil, err, code
         end
      elseif st.closed then
         flush(self, due)
         return nil, self.conn:error() -- message, code
      else
         ok, err, code = flush(self, due)
         if ok then ok, err, code = pull(self, due) end
         if not ok then
            if err ~= "timeout" then flush(self, due) end
            local emsg, ecode = self.conn:error()
            return nil, emsg or err, ecode or code
         end
      end
   end
end

--- Sends data (or data:sub(i, j)); returns the index of the last byte sent, or
-- nil, err, last index sent.
function File:send(data, i, j)
   data = (i or j) and data:sub(i or 1, j or -1) or data
   local due = deadline(self)
   local done = 0
   while done < #data do
      local n, err, code = self.conn:write(data:sub(done + 1, done + 4 * CHUNK))
      if n then
         done = done + n
      elseif err ~= "wantwrite" then
         return nil, err, done, code
      end
      local ok, ferr = flush(self, due)
      if not ok then return nil, ferr, done end
   end
   return (i or 1) - 1 + done
end

-- Moves decrypted plaintext into rbuf; true if some arrived, nil, err otherwise.
local function fill(self, due)
   while true do
      local s, err, code = self.conn:read(CHUNK)
      if s then
         self.rbuf = self.rbuf .. s
         return true
      end
      if err ~= "wantread" then return nil, err, code end
      if self.conn:decision() then -- a renegotiation asks for a chain verdict
         local vok, verr, vcode = verify_peer(self)
         if not vok then
            flush(self, due)
            return nil, verr, vcode
         end
      end
      local ok, ferr = flush(self, due)
      if not ok then return nil, ferr end
      local pok, perr, pcode = pull(self, due)
      if not pok then return nil, perr, pcode end
   end
end

--- LuaSocket's receive: "*l" / "l" (a line without the end of line), "*a" / "a"
-- (due the peer closes), or a byte count. Returns data, or nil, err, partial.
function File:receive(pattern, prefix)
   pattern = pattern or "*l"
   local due = deadline(self)
   local head = prefix or ""
   while true do
      if pattern == "*l" or pattern == "l" then
         local nl = self.rbuf:find("\n", 1, true)
         if nl then
            local line = self.rbuf:sub(1, nl - 1):gsub("\r$", "")
            self.rbuf = self.rbuf:sub(nl + 1)
            return head .. line
         end
      elseif type(pattern) == "number" then
         if #self.rbuf >= pattern then
            local s = self.rbuf:sub(1, pattern)
            self.rbuf = self.rbuf:sub(pattern + 1)
            return head .. s
         end
      elseif pattern ~= "*a" and pattern ~= "a" then
         error("bad pattern '" .. tostring(pattern) .. "'", 2)
      end
      local ok, err = fill(self, due)
      if not ok then
         local partial = self.rbuf
         self.rbuf = ""
         if err == "closed" and (pattern == "*a" or pattern == "a") then
            return head .. partial
         end
         return nil, err, head .. partial
      end
   end
end

--- Sends close_notify, waits up to `linger` seconds (default 1) for the peer's, closes.
function File:close(linger)
   if self.closed then return 1 end
   self.closed = true
   if not self.conn:closed() then
      self.conn:close_notify()
      flush(self, socket.gettime() + (linger or 1))
      self.conn:close()
   end
   self.sock:close()
   return 1
end

function File:info()
   return self.conn:info()
end

function File:getalpn()
   return self.conn:info().alpn
end

function File:getsniname()
   return self.conn:info().sni
end

function File:getpeercertificate(n)
   local der = self.conn:peer_chain()[n or 1]
   return der and x509.load(der)[1] or nil
end

--- The Session to resume later (moontls.connect/wrap{session = s}), or nil, err.
function File:getsession()
   return self.conn:session()
end

function File:export(label, context, length)
   return self.conn:export(label, context, length)
end

--- Connects over TCP, wraps and handshakes. opts: context (default: a client context
-- verifying against the system store), server_name (default host), timeout.
function M.connect(host, port, opts)
   opts = opts or {}
   local ctx = opts.context
   if not ctx then
      local err
      ctx, err = require("moontls.context").new { mode = "client" }
      if not ctx then return nil, err end
   end
   local sock, err = socket.connect(host, port)
   if not sock then return nil, err end
   local name = opts.server_name
   if name == nil then name = host end
   local f, werr, code = M.wrap(sock, ctx, { server_name = name, timeout = opts.timeout,
      session = opts.session })
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

--- A listening TLS port (Pike SSL.Port): accept() returns Files that finished the handshake.
function M.listen(host, port, ctx, opts)
   local sock, err = socket.bind(host, port)
   if not sock then return nil, err end
   return setmetatable({ sock = sock, ctx = ctx, opts = opts or {} }, Port)
end

--- Accepts one connection and runs its handshake; returns a File or nil, err.
function Port:accept()
   local s, err = self.sock:accept()
   if not s then return nil, err end
   local f, werr, code = M.wrap(s, self.ctx, { timeout = self.opts.timeout })
   if not f then
      s:close()
      return nil, werr, code
   end
   local ok, herr, hcode = f:handshake()
   if not ok then
      f:close(0)
      return nil, herr, hcode
   end
   return f
end

function Port:getsockname()
   return self.sock:getsockname()
end

function Port:settimeout(t)
   return self.sock:settimeout(t)
end

function Port:close()
   return self.sock:close()
end

--- Renegotiates (TLS 1.2, RFC 5746 only): a server sends HelloRequest, a client a new
-- ClientHello; runs the new handshake (peer chain checked again), keeping application data
-- that arrives meanwhile for receive(). Returns true, or nil, message, code; a peer that
-- answers no_renegotiation gives nil, "renegotiation refused by peer", "no_renegotiation".
function File:renegotiate()
   local before = self.conn:info().renegotiations
   local ok, err, code = self.conn:renegotiate()
   if not ok then return nil, err, code end
   local due = deadline(self)
   while true do
      local st = self.conn:status()
      if st.closed then
         flush(self, due)
         return nil, self.conn:error()
      end
      if not st.handshaking then
         local fok, ferr = flush(self, due)
         if not fok then return nil, ferr end
         if self.conn:info().renegotiations == before then
            return nil, "renegotiation refused by peer", "no_renegotiation"
         end
         if self.ctx.keylog then self.ctx:log_key(self.conn:keylog()) end
         return true
      end
      if st.decision then
         ok, err, code = verify_peer(self)
      elseif st.readable then
         ok, err, code = self.conn:read(CHUNK)
         if ok then self.rbuf = self.rbuf .. ok end
      else
         ok, err, code = flush(self, due)
         if ok then ok, err, code = pull(self, due) end
      end
      if not ok then
         flush(self, due)
         local emsg, ecode = self.conn:error()
         return nil, emsg or err, ecode or code
      end
   end
end

return M
