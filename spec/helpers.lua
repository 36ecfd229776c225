-- Shared helpers for the specs: running commands and temporary directories.
local helpers = {}

--- Runs a shell command; returns ok, exit code, combined output.
function helpers.run(cmd)
   local p = assert(io.popen("(" .. cmd .. ") 2>&1", "r"))
   local out = p:read("a")
   local ok, _, code = p:close()
   return ok == true, code, out
end

--- A fresh temporary directory, removed by helpers.rmtree.
function helpers.tmpdir()
   local ok, _, out = helpers.run("mktemp -d")
   assert(ok, out)
   return (out:gsub("%s+$", ""))
end

function helpers.rmtree(dir)
   assert(dir:match("^/tmp/"), "refusing to remove " .. dir)
   os.execute("rm -rf '" .. dir .. "'")
end

--- Path of the external test data (shared/testdata, never edited): $MOONTLS_TESTDATA, or
-- shared/ beside the checkout (as CI lays it out), or the workplace copy.
function helpers.testdata(sub)
   for _, d in ipairs { os.getenv("MOONTLS_TESTDATA") or false, "../shared/testdata",
      "/work/shared/testdata" } do
      if d then
         local f = io.open(d .. "/MANIFEST.md")
         if f then
            f:close()
            return d .. "/" .. sub
         end
      end
   end
   error("external test data not found: set MOONTLS_TESTDATA or put shared/ beside the checkout")
end

--- A whole file's contents ("" when it cannot be read).
function helpers.slurp(path)
   local f = io.open(path)
   local s = f and f:read("a") or ""
   if f then f:close() end
   return s
end

local started = {}

--- Starts `cmd` from the checkout in the background, in a process group of its own (so
-- helpers.stop_all ends it with everything it started), under a 60 s lifetime, stdout to
-- DIR/out and stderr to DIR/err. Waits (at most 10 s) until `ready(h)` returns a value, and
-- keeps it as h.port. Returns h: {pid, dir, port, out(), err()}.
function helpers.start(cmd, ready)
   local dir = helpers.tmpdir()
   local p = assert(io.popen(("cd %s && setsid timeout 60 %s >%s/out 2>%s/err & echo $!")
      :format(os.getenv("PWD"), cmd, dir, dir)))
   local h = { pid = tonumber(p:read("l")), dir = dir }
   p:close()
   started[#started + 1] = h
   function h.out() return helpers.slurp(dir .. "/out") end
   function h.err() return helpers.slurp(dir .. "/err") end
   for _ = 1, 200 do
      h.port = ready(h)
      if h.port then return h end
      require("socket").sleep(0.05)
   end
   error(cmd .. " did not start:\n" .. h.out() .. h.err())
end

--- The port from a "... 127.0.0.1:PORT" line on stdout (a helpers.start `ready`).
function helpers.port_on_stdout(h)
   return tonumber(h.out():match("127%.0%.0%.1:(%d+)"))
end

--- Stops every process helpers.start started (its whole group) and removes its directory.
function helpers.stop_all()
   for _, h in ipairs(started) do
      os.execute("kill -TERM -- -" .. h.pid .. " 2>/dev/null")
      helpers.rmtree(h.dir)
   end
   started = {}
end

--- The Lua interpreter running the specs.
helpers.lua = os.getenv("LUA") or "lua5.4"

-- Under `make asan` the interpreter runs with the sanitizer runtimes in LD_PRELOAD (it is not
-- instrumented, the module is). Other programs the specs start must not inherit them (pgrep,
-- for one, deadlocks at start with ASan preloaded); Lua processes that load the module get
-- them back through helpers.lua.
local preload = os.getenv("LD_PRELOAD")
-- luacheck: push ignore 122 142 143
if preload and preload ~= "" and not io.moontls_unpreloaded then
   local popen, execute = io.popen, os.execute
   io.popen = function(cmd, mode)
      return popen("unset LD_PRELOAD; " .. cmd, mode)
   end
   os.execute = function(cmd)
      if cmd == nil then return execute() end
      return execute("unset LD_PRELOAD; " .. cmd)
   end
   io.moontls_unpreloaded = true
end
if preload and preload ~= "" then
   -- every instance of this file (busted's helper run and require "helpers") says so
   helpers.lua = "env LD_PRELOAD='" .. preload .. "' " .. helpers.lua
end
-- luacheck: pop

return helpers
