-- HTTPS GET with moontls: verifies the server's certificate and host name against the
-- system store (or CAFILE), prints what was negotiated on stderr and the response on stdout.
--   lua5.4 examples/https_get.lua https://example.org/ [CAFILE]
-- from a checkout (run in its top directory) the module is found without installing:
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;" .. package.cpath
local tls = require "moontls"

local url, cafile = arg[1], arg[2]
local host, port, path = (url or ""):match("^https://([^/:]+):?(%d*)(/?.*)$")
if not host then
   io.stderr:write("usage: lua5.4 examples/https_get.lua https://HOST[:PORT]/PATH [CAFILE]\n")
   os.exit(2)
end
port = tonumber(port) or 443
path = path ~= "" and path or "/"

local ctx = assert(tls.context { mode = "client", cafile = cafile or true,
   alpn = { "http/1.1" } })
local f, err = tls.connect(host, port, { context = ctx, timeout = 10 })
if not f then
   io.stderr:write("connect failed: ", tostring(err), "\n")
   os.exit(1)
end
local info = f:info()
io.stderr:write(("%s %s %s\n"):format(info.version, info.cipher, info.group))
assert(f:send(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"):format(path, host)))
local body, rerr, partial = f:receive("*a")
io.stdout:write(body or partial)
f:close()
if not body then
   io.stderr:write("receive failed: ", tostring(rerr), "\n")
   os.exit(1)
end
