-- A moontls server whose Context answers through hooks, for spec/58 (its own process):
--   lua5.4 spec/support/hooks_server.lua PORTFILE COUNT DIR
-- DIR holds a.pem/a.key (the default certificate), b.pem/b.key (the Context chosen by
-- select_context for SNI b.example) and lazy.pem/lazy.key (loaded by find_cert for
-- lazy.example). Sessions live only in the hooks (session_cache = false). Serves COUNT
-- connections, answering each line with itself; prints "hook ..." lines as hooks run and
-- "conn N ok sni=NAME resumed=BOOL" (or "conn N fail MESSAGE") per connection.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;" .. package.cpath
local tls = require "moontls"

local portfile, count, dir = arg[1], tonumber(arg[2]) or 1, arg[3]
io.stdout:setvbuf("line")

local function hex(s)
   return (s:gsub(".", function(ch) return ("%02x"):format(ch:byte()) end))
end

local b = assert(tls.context { mode = "server", certificate = dir .. "/b.pem",
   key = dir .. "/b.key", session_cache = false })
local ctx = assert(tls.context { mode = "server", certificate = dir .. "/a.pem",
   key = dir .. "/a.key", session_cache = false })
local store = {}
ctx.select_context = function(name)
   print("hook select " .. (name ~= "" and name or "-"))
   if name == "b.example" then return b end
end
ctx.find_cert = function(name)
   print("hook find_cert " .. name)
   if name == "lazy.example" then
      return { certificate = dir .. "/lazy.pem", key = dir .. "/lazy.key" }
   end
end
local function record(id, s)
   print("hook record " .. hex(id))
   store[id] = s
end
local function lookup(id)
   print("hook lookup " .. hex(id) .. (store[id] and " found" or " miss"))
   return store[id]
end
for _, c in ipairs { ctx, b } do
   c.record_session, c.lookup_session = record, lookup
end

local port = assert(tls.listen("127.0.0.1", 0, ctx, { timeout = 10 }))
local _, p = port:getsockname()
local f = assert(io.open(portfile .. ".tmp", "w"))
f:write(p)
f:close()
os.rename(portfile .. ".tmp", portfile)
port:settimeout(15)

for n = 1, count do
   local conn, err = port:accept()
   if not conn then
      print("conn " .. n .. " fail " .. tostring(err))
   else
      local info = conn:info()
      print(("conn %d ok sni=%s resumed=%s"):format(n, info.sni or "-", tostring(info.resumed)))
      while true do
         local line = conn:receive("*l")
         if not line or line == "quit" then break end
         conn:send(line .. "\n")
      end
      conn:close()
   end
end
