-- Start spec/support/tls_server.lua (a moontls server) as its own process on 127.0.0.1.
--
--   local server = require "support.moontls_server"
--   local h = server.start(cert, key, { count = 100, mode = "echo" | "www", ciphers = {...},
--                          alpn = {...}, extra = "cert:key", keylog = path,
--                          verify = "optional" | "require", cafile = path,
--                          env = "NAME=value ..." })
--   h.port, h.log(), h.stop();  server.stop_all() stops every one still running.
-- The process has a hard lifetime (120 s) so nothing outlives a crashed run; h.stop() kills
-- it and removes its directory, and may be called twice.
local helpers = require "helpers"
local socket = require "socket"

local M = {}
local running = {}

local function list(t)
   return t and table.concat(t, ",") or "-"
end

function M.start(cert, key, opts)
   opts = opts or {}
   local dir = helpers.tmpdir()
   local portfile = dir .. "/port"
   local env = ("MOONTLS_EXTRA_CHAIN=%s MOONTLS_KEYLOG=%s %s"):format(opts.extra or "''",
      opts.keylog or "''", opts.env or "")
   local cmd = string.format("cd %s && %s timeout 120 %s spec/support/tls_server.lua %s %s %s "
      .. "%d %s %s %s %s %s > %s/log 2>&1 & echo $!", os.getenv("PWD"), env, helpers.lua,
      portfile, cert, key, opts.count or 100, opts.mode or "echo", list(opts.ciphers),
      list(opts.alpn), opts.verify or "-", opts.cafile or "''", dir)
   local p = assert(io.popen(cmd))
   local h = { pid = tonumber(p:read("l")), dir = dir }
   p:close()
   function h.log()
      local f = io.open(dir .. "/log")
      local s = f and f:read("a") or ""
      if f then f:close() end
      return s
   end
   function h.stop()
      if h.pid then
         os.execute("kill " .. h.pid .. " 2>/dev/null; sleep 0.05")
         h.pid = nil
         helpers.rmtree(dir)
      end
   end
   for _ = 1, 100 do
      local f = io.open(portfile)
      if f then
         h.port = tonumber(f:read("a"))
         f:close()
         if h.port then break end
      end
      socket.sleep(0.05)
   end
   if not h.port then
      local log = h.log()
      h.stop()
      error("moontls server did not start: " .. log, 2)
   end
   running[#running + 1] = h
   return h
end

function M.stop_all()
   for _, h in ipairs(running) do h.stop() end
   running = {}
end

return M
