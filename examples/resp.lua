-- A small Redis (RESP2) client over LuaSocket for the examples: one connection, commands
-- sent as arrays of bulk strings, replies parsed. Inside a moontls.loop task it waits with
-- the loop (so a slow Redis stalls only the caller); elsewhere it blocks.
--   local resp = require "resp"          -- package.path must include examples/
--   local r = assert(resp.connect("127.0.0.1", 6379))
--   r:call("SET", "k", "v", "EX", "600")  --> "OK";  r:call("GET", "k") --> "v" | nil
local socket = require "socket"
local loop = require "moontls.loop"

local M = {}
local Client = {}
Client.__index = Client

local TIMEOUT = 5

function M.connect(host, port)
   local sock, err = socket.connect(host, port)
   if not sock then return nil, err end
   sock:settimeout(0)
   return setmetatable({ sock = sock, buf = "" }, Client)
end

-- Waits until the socket is ready (mode "r" or "w"): under the loop, or with select.
local function wait(self, mode)
   local lp = loop.current()
   if lp then return lp:wait(self.sock:getfd(), mode, TIMEOUT) end
   local r, w = socket.select(mode == "r" and { self.sock } or nil,
      mode == "w" and { self.sock } or nil, TIMEOUT)
   return #(mode == "r" and r or w) > 0
end

local function send_all(self, data)
   local i = 1
   while i <= #data do
      local last, err, partial = self.sock:send(data, i)
      if last then return true end
      if err ~= "timeout" then return nil, err end
      i = partial + 1
      if not wait(self, "w") then return nil, "timeout" end
   end
   return true
end

-- n bytes, or a line without its CRLF (n == nil)
local function read(self, n)
   while true do
      if n and #self.buf >= n then
         local s = self.buf:sub(1, n)
         self.buf = self.buf:sub(n + 1)
         return s
      end
      if not n then
         local e = self.buf:find("\r\n", 1, true)
         if e then
            local s = self.buf:sub(1, e - 1)
            self.buf = self.buf:sub(e + 2)
            return s
         end
      end
      local data, err, partial = self.sock:receive(65536)
      data = data or partial
      if data and #data > 0 then
         self.buf = self.buf .. data
      elseif err == "timeout" then
         if not wait(self, "r") then return nil, "timeout" end
      else
         return nil, err
      end
   end
end

local function reply(self)
   local line, err = read(self)
   if not line then return nil, err end
   local kind, rest = line:sub(1, 1), line:sub(2)
   if kind == "+" then return rest end
   if kind == "-" then return nil, rest end
   if kind == ":" then return tonumber(rest) end
   if kind == "$" then
      local n = tonumber(rest)
      if n < 0 then return nil end
      local s, rerr = read(self, n + 2)
      if not s then return nil, rerr end
      return s:sub(1, n)
   end
   if kind == "*" then
      local t = {}
      for i = 1, tonumber(rest) do t[i] = reply(self) end
      return t
   end
   return nil, "bad reply: " .. line
end

--- Sends a command (arguments are strings); returns the reply, or nil, err.
function Client:call(...)
   -- one command at a time on the connection: other tasks wait their turn
   while self.busy do
      if not loop.current() then return nil, "busy" end
      loop.sleep(0.001)
   end
   self.busy = true
   local res, err = self:_call(...)
   self.busy = false
   return res, err
end

function Client:_call(...)
   local args = table.pack(...)
   local parts = { "*" .. args.n .. "\r\n" }
   for i = 1, args.n do
      local a = tostring(args[i])
      parts[#parts + 1] = "$" .. #a .. "\r\n" .. a .. "\r\n"
   end
   local ok, err = send_all(self, table.concat(parts))
   if not ok then return nil, err end
   return reply(self)
end

function Client:close()
   self.sock:close()
end

return M
