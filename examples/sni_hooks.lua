-- A server choosing its certificate per name with hooks that may yield: select_context
-- picks a whole Context by SNI, find_cert loads certificates on first use (here from
-- DIR/NAME.pem and DIR/NAME.key), and sessions live in a Lua table through
-- lookup_session / record_session (a shared store such as Redis would go there).
--   lua5.4 examples/sni_hooks.lua DEFAULT_CERT DEFAULT_KEY DIR [PORT]
-- Try it: openssl s_client -connect 127.0.0.1:PORT -servername NAME
-- from a checkout (run in its top directory) the module is found without installing:
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;" .. package.cpath
local tls = require "moontls"

local cert, key, dir, port = arg[1], arg[2], arg[3], tonumber(arg[4] or "8443")
if not cert or not key or not dir then
   io.stderr:write("usage: lua5.4 examples/sni_hooks.lua CERT KEY DIR [PORT]\n")
   os.exit(2)
end

local ctx = assert(tls.context { mode = "server", certificate = cert, key = key,
   session_cache = false })

ctx.find_cert = function(name)
   if not name:match("^[%w.-]+$") then return nil end -- never build paths from odd names
   local f = io.open(dir .. "/" .. name .. ".pem")
   if not f then return nil end
   f:close()
   return { certificate = dir .. "/" .. name .. ".pem", key = dir .. "/" .. name .. ".key" }
end

local store = {}
ctx.record_session = function(id, encoded) store[id] = encoded end
ctx.lookup_session = function(id) return store[id] end

local srv = assert(tls.listen("127.0.0.1", port, ctx, { timeout = 30 }))
print(("listening on 127.0.0.1:%d"):format(select(2, srv:getsockname())))
io.stdout:flush()
while true do
   local f, err = srv:accept()
   if f then
      local info = f:info()
      print(("%s: %s resumed=%s"):format(info.sni or "-", info.cipher, tostring(info.resumed)))
      io.stdout:flush()
      f:send("hello " .. (info.sni or "stranger") .. "\n")
      f:close()
   else
      print("handshake failed: " .. tostring(err))
   end
end
